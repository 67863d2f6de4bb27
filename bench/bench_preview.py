"""Benchmark the composer's live preview as a user sees it, through the Flask test client.

A post with a 1,500-character caption, 4 images and 9 platforms, against a brand kit with
200 rules: every keystroke's preview request counts, validates and voice-checks all nine
variants and renders their cards. Baseline in the same process: a bare Flask endpoint that
returns a fixed string. Also prints the SQL queries per preview, with 1 and with 4 images,
to show the count does not grow with the post (no N+1).

    .venv/bin/python bench/bench_preview.py [--runs 200]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PLUME_ENV", "test")

from flask import Flask
from PIL import Image
from sqlalchemy import event

CAPTION = (
    "Our autumn single origin lands this Friday: a washed Ethiopian from the Worka "
    "co-operative, roasted light for bergamot, peach and a honeyed finish. Come taste it at "
    "the Railway Arch café from 8 am, or order beans online at https://emberroasters.example/"
    "shop/worka?ref=news and get them fresh on Saturday. Thanks to @worka_coop and every "
    "grower we buy from. #EmberRoasters #coffee #specialtycoffee "
)


def caption(n: int) -> str:
    text = (CAPTION * 6)[:1490]
    return f"{text} v{n:05d}"


def photo(seed: int) -> bytes:
    image = Image.effect_noise((1600, 1200), 40 + seed).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def kit_with_rules(name: str) -> dict:
    banned = [{"phrase": f"bannedword{i} phrase", "suggestion": f"better{i}"} for i in range(190)]
    banned += [
        {"phrase": w, "severity": "block"}
        for w in ("cheap", "deal", "hurry", "insane", "guaranteed")
    ]
    banned += [
        {"phrase": w} for w in ("cup of joe", "to die for", "limited time", "act now", "best ever")
    ]
    return {
        "name": name,
        "voice": {
            "banned": banned,
            "brand_terms": [{"term": "Ember Roasters"}, {"term": "Railway Arch"}],
            "required": [{"phrase": "#ad", "tags": ["sponsored"], "severity": "block"}],
            "hashtags": {"required": ["#EmberRoasters"], "max_count": 5},
            "emoji": {"allowed": True, "max_count": 3},
            "exclamations": {"max_count": 1},
            "all_caps": {"max_count": 2},
            "reading": {"max_grade": 10, "max_sentence_words": 35},
            "links": {"own_domains": ["emberroasters.example"]},
        },
    }


def timed(fn, runs: int) -> tuple[list[float], list[float]]:
    """Return wall-clock and CPU milliseconds per call (CPU time is what a loaded machine
    can't inflate: it counts only the time this process actually ran)."""
    wall, cpu = [], []
    for i in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(i)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def p95(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="plume-bench-"))
    from flask_migrate import upgrade

    from studio import create_app
    from studio.assets import operations as assets
    from studio.auth.operations import create_user
    from studio.brands.operations import create_brand
    from studio.composer import operations as composer
    from studio.config import TestConfig
    from studio.extensions import db
    from studio.kits import operations as kits
    from studio.models import Membership, Role
    from studio.workspaces.operations import create_workspace
    from tests.conftest import StudioClient

    app = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
            "WTF_CSRF_ENABLED": False,
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        },
    )
    app.instance_path = str(tmp)
    with app.app_context():
        upgrade(revision="heads")
        user = create_user("Bench Writer", "bench@plume.example", "a bench password")
        workspace = create_workspace(user, "Bench Agency")
        membership = db.session.scalar(db.select(Membership).where(Membership.user_id == user.id))
        assert membership.role == Role.OWNER
        brand = create_brand(membership, "Ember Roasters", "Europe/London", None, "#c8553d")
        kits.save_kit(kits.get_kit(brand), kit_with_rules("Ember Roasters"), user)
        items = [assets.add_media(brand, photo(i), f"photo{i}.jpg", user).item for i in range(4)]
        for item in items:
            assets.update_details(item, f"Photo {item.id} of the roastery", [])
        one = composer.create_post(membership, brand, "One image")
        four = composer.create_post(membership, brand, "Four images")
        one.media = [{"media_id": items[0].id}]
        four.media = [{"media_id": i.id} for i in items]
        one.master_text = four.master_text = caption(0)
        db.session.commit()
        posts = {
            "one": f"/w/{workspace.slug}/posts/{one.id}",
            "four": f"/w/{workspace.slug}/posts/{four.id}",
        }
        engine = db.engine

    app.test_client_class = StudioClient
    client = app.test_client()
    client.post("/login", data={"email": "bench@plume.example", "password": "a bench password"})

    queries = {"n": 0}

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_a, **_k) -> None:  # type: ignore[no-untyped-def]
        queries["n"] += 1

    def preview(path: str):
        def run(i: int) -> None:
            response = client.post(
                f"{path}/preview", data={"master_text": caption(i)}, headers={"HX-Request": "true"}
            )
            assert response.status_code == 200, response.status_code
            assert response.data.count(b'class="pv pv-') == 9

        return run

    counts = {}
    for label, path in posts.items():
        queries["n"] = 0
        preview(path)(1)
        counts[label] = queries["n"]

    bare = Flask("bare")

    @bare.post("/preview")
    def fixed() -> str:
        return "fixed"

    bare_client = bare.test_client()

    def baseline(_i: int) -> None:
        assert bare_client.post("/preview", data={"master_text": caption(0)}).status_code == 200

    timed(preview(posts["four"]), 20)  # warm caches (compiled voice rules, templates)
    timed(baseline, 20)
    plume, plume_cpu = timed(preview(posts["four"]), args.runs)
    base, base_cpu = timed(baseline, args.runs)

    med, base_med = statistics.median(plume), statistics.median(base)
    load = os.getloadavg()[0]
    print(
        "preview request, 1,500-char caption, 4 images, 9 platforms, 200-rule kit "
        f"({args.runs} runs)"
    )
    print(
        f"  Plume preview:        median {med:7.2f} ms   p95 {p95(plume):7.2f} ms   "
        f"CPU median {statistics.median(plume_cpu):6.2f} ms"
    )
    print(
        f"  bare Flask endpoint:  median {base_med:7.2f} ms   p95 {p95(base):7.2f} ms   "
        f"CPU median {statistics.median(base_cpu):6.2f} ms"
    )
    print(f"  ratio (median): {med / base_med:.1f}x the bare endpoint; target: median under 15 ms")
    print(f"  machine load average while measuring: {load:.1f} on {os.cpu_count()} cores")
    print(
        f"  SQL queries per preview: {counts['one']} with 1 image, {counts['four']} with 4 images"
    )


if __name__ == "__main__":
    main()
