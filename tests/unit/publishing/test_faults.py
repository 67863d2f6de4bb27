"""Exactly once under random faults: the adapters' contract, driven like the scheduler.

A fake platform drops connections before and after acting, answers 503 and answers too
late, at random. The retry loop follows the rule the scheduler must follow: retry
TransientError and UnknownOutcome; where the platform has no idempotency (or its key has
expired), look for the post with ``find_existing`` before sending again. Every post must
end up on the platform exactly once.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from studio.publishing.adapters.base import Adapter, OutgoingMedia, OutgoingPost, Published
from studio.publishing.adapters.bluesky import BlueskyAdapter, SessionCache
from studio.publishing.adapters.mastodon import MastodonAdapter, status_text
from studio.publishing.errors import TransientError, UnknownOutcome
from tests.unit.publishing.fakeplatforms import FakeBluesky, FakeMastodon
from tests.unit.publishing.fakeserver import Chaos, FakeServer

POSTS = 25
ATTEMPTS = 15


def publish_until_settled(
    adapter: Adapter, post: OutgoingPost, creds: dict, key: str, *, look_first: bool
) -> Published:
    """Retry like the scheduler until the post is published."""
    since = datetime.now(UTC) - timedelta(minutes=1)
    for attempt in range(ATTEMPTS):
        if attempt and look_first:
            try:
                found = adapter.find_existing(post, creds, key, since)
            except TransientError:
                continue
            if found is not None:
                return found
        try:
            return adapter.publish(post, creds, key)
        except (TransientError, UnknownOutcome):
            continue
    pytest.fail(f"{key} was not settled after {ATTEMPTS} attempts")


def _chaos(seed: int) -> Chaos:
    return Chaos(
        seed=seed, error=0.15, drop_before=0.1, drop_after=0.15, slow=0.05, slow_seconds=0.8
    )


def _posts() -> list[OutgoingPost]:
    image = OutgoingMedia(b"\xff\xd8tiny\xff\xd9", "image/jpeg", "A cup", 100, 100)
    return [
        OutgoingPost(f"Post {n} ☕ #roast", media=[image] if n % 3 == 0 else [])
        for n in range(POSTS)
    ]


@pytest.mark.parametrize("honour_idempotency", [True, False], ids=["key", "key-expired"])
def test_mastodon_publishes_each_post_exactly_once(fast, honour_idempotency):
    with FakeServer() as server:
        mastodon = FakeMastodon(server, honour_idempotency=honour_idempotency)
        server.chaos = chaos = _chaos(seed=7 if honour_idempotency else 8)
        adapter = MastodonAdapter(**{**fast, "timeout": 0.3})
        creds = {"instance_url": server.url, "access_token": mastodon.token}

        results = [
            publish_until_settled(
                adapter, post, creds, f"post-{n}:mastodon", look_first=not honour_idempotency
            )
            for n, post in enumerate(_posts())
        ]

    texts = Counter(status_text(s["content"]) for s in mastodon.statuses)
    assert texts == Counter(p.text for p in _posts())  # each exactly once
    assert {r.platform_post_id for r in results} == {s["id"] for s in mastodon.statuses}
    assert chaos.counts.get("drop_after", 0) + chaos.counts.get("slow", 0) > 0
    assert chaos.counts.get("error", 0) + chaos.counts.get("drop_before", 0) > 0


def test_bluesky_publishes_each_post_exactly_once(fast):
    with FakeServer() as server:
        pds = FakeBluesky(server)
        server.chaos = chaos = _chaos(seed=11)
        adapter = BlueskyAdapter(sessions=SessionCache(), **{**fast, "timeout": 0.3})
        creds = {"pds_url": server.url, "handle": pds.handle, "app_password": pds.password}

        results = [
            publish_until_settled(adapter, post, creds, f"post-{n}:bluesky", look_first=False)
            for n, post in enumerate(_posts())
        ]

    texts = Counter(r["value"]["text"] for r in pds.records.values())
    assert texts == Counter(p.text for p in _posts())
    assert {r.platform_post_id for r in results} == {r["uri"] for r in pds.records.values()}
    assert chaos.counts.get("drop_after", 0) + chaos.counts.get("slow", 0) > 0
