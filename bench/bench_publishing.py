"""Publishing: schedule accuracy, and throughput beside RQ running no-op jobs.

Run: ``.venv/bin/python bench/bench_publishing.py`` (needs Redis at REDIS_URL, default
redis://127.0.0.1:6379, database 14 is emptied; SQLite in a temporary folder, or
DATABASE_URL=postgresql://… for PostgreSQL). In one run, against the same worker
processes (``flask --app app worker publishing``):

1. Baseline: N no-op RQ jobs, from enqueue until the last finished: jobs per second.
2. Throughput: N publishes due now to a local fake Mastodon: publishes per second.
3. Accuracy: M publishes due over the next 20 s (enqueued at their time, as scheduling
   does): seconds from each due time to the platform receiving the post, median and p99.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.harness import LiveStudio, seed, states
from tests.unit.publishing.fakeplatforms import FakeMastodon
from tests.unit.publishing.fakeserver import FakeServer

WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
N = int(os.environ.get("BENCH_JOBS", "200"))
M = int(os.environ.get("BENCH_TIMED", "60"))


def _redis_url() -> str:
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return base.rpartition("/")[0] + "/14"


def _wait_for(check, timeout: float = 300.0, every: float = 0.05) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError("the workers did not finish in time")
        time.sleep(every)
    return time.monotonic() - started


def _noop_baseline(studio: LiveStudio) -> float:
    from rq import Queue

    from studio.tasks.queue import redis_connection

    with studio.context():
        queue = Queue("publishing", connection=redis_connection())
        started = time.monotonic()
        jobs = [queue.enqueue("os.getpid", result_ttl=60) for _ in range(N)]
        ids = [j.id for j in jobs]
        registry = queue.finished_job_registry

        def done() -> bool:
            return len(set(registry.get_job_ids()) & set(ids)) >= N

        _wait_for(done)
        return N / (time.monotonic() - started)


def main() -> None:
    settings = {"PUBLISH_HTTP_TIMEOUT": "5", "PUBLISH_LOOKAHEAD_SECONDS": "0"}
    with tempfile.TemporaryDirectory() as tmp, FakeServer() as server:
        mastodon = FakeMastodon(server)
        studio = LiveStudio(
            Path(tmp),
            os.environ.get("DATABASE_URL", ""),
            _redis_url(),
            settings,
            db_name="plume_bench_publishing",
        )
        creds = {"instance_url": server.url, "access_token": mastodon.token}
        try:
            for _ in range(WORKERS):
                studio.start_worker("publishing")
            time.sleep(3)  # let the workers start
            baseline = _noop_baseline(studio)

            started = time.monotonic()
            seed(
                studio,
                N,
                [("mastodon", creds)],
                spread=0.0,
                start_in=0.0,
                seed_value=1,
                text="Throughput {n}",
            )
            seeded = time.monotonic() - started
            started = time.monotonic()
            _wait_for(lambda: states(studio).get("published", 0) >= N, every=0.2)
            publishing = N / (time.monotonic() - started)

            before = len(mastodon.statuses)
            due = _timed_batch(studio, creds)
            _wait_for(lambda: len(mastodon.statuses) >= before + M, every=0.2)
            lags = _lags(studio, mastodon, due)
        finally:
            studio.stop()
    lags.sort()
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    print(f"Publishing bench: {WORKERS} worker processes, database: {_backend(studio)}")
    print(f"  RQ no-op jobs:        {baseline:7.1f} jobs/s ({N} jobs)")
    print(
        f"  publishes (fake API): {publishing:7.1f} posts/s ({N} posts; seeded in {seeded:.1f} s)"
    )
    print(f"  publishing / no-op:   {publishing / baseline:7.2f}")
    print(
        f"  schedule accuracy:    median {statistics.median(lags):.2f} s, p99 {p99:.2f} s "
        f"from due time to the platform receiving the post ({M} posts due over 20 s)"
    )


def _timed_batch(studio: LiveStudio, creds: dict[str, str]) -> dict[str, datetime]:
    """Seed M posts due over the next 20 s; return each post text's due time."""
    from sqlalchemy import select

    from studio.extensions import db
    from studio.models import Post, PublishAttempt

    seed(
        studio, M, [("mastodon", creds)], spread=20.0, start_in=3.0, seed_value=2, text="Timed {n}"
    )
    with studio.context():
        rows = db.session.execute(
            select(Post.master_text, PublishAttempt.due_at)
            .join(PublishAttempt, PublishAttempt.post_id == Post.id)
            .where(Post.master_text.like("Timed %"))
        ).all()
    return {text: due for text, due in rows}


def _lags(studio: LiveStudio, mastodon: FakeMastodon, due: dict[str, datetime]) -> list[float]:
    from studio.publishing.adapters.mastodon import status_text

    lags = []
    for status in mastodon.statuses:
        text = status_text(status["content"])
        if text in due:
            received = datetime.fromisoformat(status["created_at"].replace("Z", "+00:00"))
            lags.append((received - due[text].astimezone(UTC)).total_seconds())
    return lags


def _backend(studio: LiveStudio) -> str:
    return "postgresql" if studio.database.startswith("postgresql") else "sqlite"


if __name__ == "__main__":
    main()
