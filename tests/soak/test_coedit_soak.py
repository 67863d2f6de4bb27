"""Several editors save random edits to one post against a real server for a bounded time.

At the end every accepted edit is in the revision it produced, the revision chain has no
gap, and the final text is the last revision. Prints how many saves, merges and conflicts.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time

import httpx
import pytest
from sqlalchemy import create_engine, select, text

from studio.models import PostRevision

PASSWORD = "plume-demo-2026"
EDITORS = ["owner", "manager", "designer", "writer"]
SOAK_SECONDS = 12


class Editor:
    """One person in a browser: a session, a base revision and the text as they see it."""

    def __init__(self, base_url: str, handle: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10, follow_redirects=False)
        page = self.http.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = self.http.post(
            "/login",
            data={"csrf_token": token, "email": f"{handle}@plume.example", "password": PASSWORD},
        )
        assert response.status_code == 303, response.text[:300]
        self.handle = handle
        self.token = ""
        self.saves = self.merges = self.conflicts = 0
        self.accepted: list[tuple[int, str]] = []  # (revision it produced, marker it added)

    def open(self, path: str) -> None:
        page = self.http.get(path).text
        self.token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        self.base = int(
            re.search(r'id="base-revision" name="base_revision" value="(\d+)"', page).group(1)
        )
        self.text = re.search(
            r'<textarea id="master_text"[^>]*>(.*?)</textarea>', page, re.S
        ).group(1)
        self.text = self.text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        self.path = path

    def edit_once(self, n: int) -> None:
        marker = f"[{self.handle}-{n}]"
        words = self.text.split(" ")
        at = random.randrange(len(words) + 1)
        mine = " ".join([*words[:at], marker, *words[at:]])
        response = self.http.post(
            f"{self.path}/save",
            data={"base_revision": str(self.base), "master_text": mine},
            headers={"HX-Request": "true", "X-CSRFToken": self.token},
        )
        if response.status_code == 409:
            self.conflicts += 1
            self.open(self.path)  # take the current text and try again with a new edit
            return
        assert response.status_code == 200, response.text[:300]
        revision = int(re.search(r'name="base_revision" value="(\d+)"', response.text).group(1))
        self.saves += 1
        self.accepted.append((revision, marker))
        self.base = revision
        self.text = mine
        if "HX-Trigger" in response.headers:
            self.merges += 1
            self.text = json.loads(response.headers["HX-Trigger"])["plume:merged"]["fields"][
                "master_text"
            ]


@pytest.mark.soak
def test_concurrent_editors_never_lose_an_accepted_edit(live_studio):
    live_studio.flask("seed-demo")
    owner = Editor(live_studio.url, "owner")
    brand_page = owner.http.get("/w/copperline-agency/brands").text
    brand_id = re.search(r"/w/copperline-agency/brands/(\d+)", brand_page).group(1)
    created = owner.http.post(
        f"/w/copperline-agency/brands/{brand_id}/posts",
        data={"title": "Soak"},
        headers={"X-CSRFToken": re.search(r'"X-CSRFToken": "([^"]+)"', brand_page).group(1)},
    )
    post_path = created.headers["Location"]
    editors = [owner] + [Editor(live_studio.url, h) for h in EDITORS[1:]]
    for e in editors:
        e.open(post_path)
    # Start from a sentence so edits land in different places.
    seed = (
        "Fresh beans roasted every morning in our little arch by the railway line, ready by nine."
    )
    owner.http.post(
        f"{post_path}/save",
        data={"base_revision": str(owner.base), "master_text": seed},
        headers={"HX-Request": "true", "X-CSRFToken": owner.token},
    )
    for e in editors:
        e.open(post_path)

    deadline = time.monotonic() + SOAK_SECONDS
    errors: list[BaseException] = []

    def run(editor: Editor, seed_value: int) -> None:
        random.seed(seed_value)
        n = 0
        try:
            while time.monotonic() < deadline and n < 400:
                n += 1
                editor.edit_once(n)
                time.sleep(random.uniform(0, 0.05))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e, i)) for i, e in enumerate(editors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in editors:
        e.http.close()
    assert not errors, errors

    engine = create_engine(live_studio.env["DATABASE_URL"])
    with engine.connect() as conn:
        post_id = int(post_path.rstrip("/").rsplit("/", 1)[1])
        rows = conn.execute(
            select(PostRevision.number, PostRevision.kind, PostRevision.snapshot)
            .where(PostRevision.post_id == post_id)
            .order_by(PostRevision.number)
        ).all()
        final = conn.execute(
            text("SELECT master_text, revision FROM posts WHERE id = :id"), {"id": post_id}
        ).one()
    engine.dispose()

    numbers = [r.number for r in rows]
    assert numbers == list(range(1, len(numbers) + 1)), "the revision chain has a gap"
    assert final.revision == numbers[-1]
    assert final.master_text == rows[-1].snapshot["master_text"]
    snapshots = {r.number: r.snapshot["master_text"] for r in rows}
    accepted = [item for e in editors for item in e.accepted]
    lost = [(rev, marker) for rev, marker in accepted if marker not in snapshots[rev]]
    assert not lost, f"accepted edits missing from the revision they produced: {lost[:5]}"
    # Nobody deletes markers here, so every accepted edit must also be in the final text.
    missing = [marker for _, marker in accepted if marker not in final.master_text]
    assert not missing, f"accepted edits missing from the final text: {missing[:5]}"

    saves = sum(e.saves for e in editors)
    merges = sum(e.merges for e in editors)
    conflicts = sum(e.conflicts for e in editors)
    kinds = [r.kind for r in rows]
    print(
        f"\nsoak: {len(editors)} editors, {SOAK_SECONDS}s: {saves} saves accepted "
        f"({merges} merged with others' edits), {conflicts} conflicts answered 409, "
        f"{len(rows)} revisions ({kinds.count('merge')} merges), chain unbroken, nothing lost"
    )
    assert saves > 20 and merges > 0
