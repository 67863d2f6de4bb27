"""Exactly-once publishing under faults: real Redis, real RQ worker processes, SIGKILL.

A few hundred posts go to two local fake platforms (Mastodon and Bluesky, see
tests/unit/publishing/fakeplatforms.py) that answer slowly, drop connections before and
after acting, and return 5xx at random. Worker processes are SIGKILLed at random moments
and restarted; Redis is flushed once mid-run; this process runs the reconciler every second
(the scheduler process does it every minute). At the end every post is on its platform
exactly once, or failed/unknown with a reason; none twice; none stuck.

The Mastodon fake does not honour Idempotency-Key and Plume is told to trust keys for 0 s:
every retry after a lost answer must look for the post first (the one-hour-later case). The
Bluesky fake dedupes by record key, the way a PDS does. Bounded: about a minute.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.faults.harness import LiveStudio, seed, states
from tests.unit.publishing.fakeplatforms import FakeBluesky, FakeMastodon
from tests.unit.publishing.fakeserver import Chaos, FakeServer

pytestmark = pytest.mark.faults

POSTS = int(os.environ.get("FAULT_POSTS", "100"))  # two channels each
WORKERS = 3
FAULT_PHASE = 40.0  # seconds during which workers are killed
DEADLINE = 150.0  # everything must have settled by then: anything left is "stuck"
SETTINGS = {
    "PUBLISH_LEASE_SECONDS": "12",
    "PUBLISH_HTTP_TIMEOUT": "1.0",
    "PUBLISH_RETRY_BASE_SECONDS": "0.5",
    "PUBLISH_RETRY_CAP_SECONDS": "3",
    "PUBLISH_MAX_TRIES": "12",
    "PUBLISH_MASTODON_KEY_TTL_SECONDS": "0",
    "PUBLISH_LOOKAHEAD_SECONDS": "30",
    "RQ_WORKER_TTL": "10",
}


def _chaos(seed: int) -> Chaos:
    return Chaos(
        seed=seed, error=0.12, drop_before=0.06, drop_after=0.08, slow=0.08, slow_seconds=1.6
    )


def _fault_redis_url(redis_url: str) -> str:
    base, _, _ = redis_url.rpartition("/")
    return f"{base}/15" if not redis_url.startswith("unix") else redis_url.replace("db=", "db=15&")


def test_every_post_is_published_once_or_explained(tmp_path: Path, redis_url: str):
    from studio.extensions import db
    from studio.models import PublishAttempt
    from studio.publishing import scheduling as sched

    rng = random.Random(2026)
    with FakeServer() as m_server, FakeServer() as b_server:
        mastodon = FakeMastodon(m_server, honour_idempotency=False)
        bluesky = FakeBluesky(b_server)
        studio = LiveStudio(
            tmp_path,
            os.environ.get("TEST_DATABASE_URL", ""),
            _fault_redis_url(redis_url),
            SETTINGS,
            db_name=f"plume_faults_{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}",
        )
        started = time.monotonic()
        try:
            ids = seed(
                studio,
                POSTS,
                [
                    ("mastodon", {"instance_url": m_server.url, "access_token": mastodon.token}),
                    (
                        "bluesky",
                        {
                            "pds_url": b_server.url,
                            "handle": bluesky.handle,
                            "app_password": bluesky.password,
                        },
                    ),
                ],
                spread=15.0,
            )
            m_server.chaos = m_chaos = _chaos(1)
            b_server.chaos = b_chaos = _chaos(2)
            for _ in range(WORKERS):
                studio.start_worker("publishing")
            flushed = False
            next_kill = time.monotonic() + rng.uniform(2.0, 5.0)
            next_reconcile = 0.0
            settled_at = None
            while time.monotonic() - started < DEADLINE:
                time.sleep(0.25)
                elapsed = time.monotonic() - started
                if not flushed and elapsed > 12:
                    studio.flush_redis()  # every reminder in Redis is gone
                    flushed = True
                if elapsed < FAULT_PHASE and time.monotonic() >= next_kill and studio.workers:
                    studio.kill(rng.choice(studio.workers))
                    next_kill = time.monotonic() + rng.uniform(2.0, 5.0)
                studio.restart_dead("publishing")
                while len(studio.workers) < WORKERS:
                    studio.start_worker("publishing")
                if time.monotonic() >= next_reconcile:
                    next_reconcile = time.monotonic() + 1.0
                    with studio.context():
                        sched.reconcile()
                    counts = states(studio)
                    if not counts.get("scheduled") and not counts.get("publishing"):
                        settled_at = elapsed
                        break
            # Stop the chaos and the killing; let the last leases expire and settle.
            with studio.context():
                sched.reconcile()
            final = states(studio)
            with studio.context():
                attempts = list(db.session.scalars(select(PublishAttempt)))
                db.session.expunge_all()
        finally:
            studio.stop()

    on_mastodon = Counter(_mastodon_text(s["content"]) for s in mastodon.statuses)
    on_bluesky = Counter(r["value"]["text"] for r in bluesky.records.values())
    twice = [t for t, n in (*on_mastodon.items(), *on_bluesky.items()) if n > 1]
    texts = {a.id: f"Fault post {n}: fresh roast ☕" for n, a in _by_post(attempts)}
    stuck = [a.id for a in attempts if a.state in ("scheduled", "publishing")]
    unexplained = [a.id for a in attempts if a.state in ("failed", "unknown") and not a.error]
    wrong = []
    for a in attempts:
        seen = (on_mastodon if a.platform == "mastodon" else on_bluesky)[texts[a.id]]
        if a.state == "published" and seen != 1:
            wrong.append((a.id, a.state, seen))
        if a.state == "failed" and seen != 0:
            wrong.append((a.id, a.state, seen))
    print(
        f"\nfault test: {len(ids)} publishes ({POSTS} posts, 2 channels) settled in "
        f"{settled_at or time.monotonic() - started:.1f} s; states {dict(final)}; "
        f"on Mastodon {sum(on_mastodon.values())}, on Bluesky {sum(on_bluesky.values())}; "
        f"duplicates {len(twice)}; stuck {len(stuck)}; worker SIGKILLs {studio.kills}; "
        f"Redis flushed once; retries {sum(max(0, a.attempts - 1) for a in attempts)}; "
        f"chaos Mastodon {dict(m_chaos.counts)}, Bluesky {dict(b_chaos.counts)}"
    )
    assert not twice, f"published twice: {twice[:5]}"
    assert not stuck, f"stuck: {stuck[:10]}\n{studio.worker_log()}"
    assert not unexplained
    assert not wrong, wrong[:10]
    assert final.get("published", 0) >= len(ids) * 0.9  # the rest failed with reasons
    assert studio.kills >= 3
    assert m_chaos.counts.get("drop_after", 0) and m_chaos.counts.get("slow", 0)


def _mastodon_text(content: str) -> str:
    from studio.publishing.adapters.mastodon import status_text

    return status_text(content)


def _by_post(attempts):
    """Yield (n, attempt): posts were made in order, so the n-th post id is "Fault post n"."""
    order = sorted({a.post_id for a in attempts})
    index = {post_id: n for n, post_id in enumerate(order)}
    for attempt in attempts:
        yield index[attempt.post_id], attempt
