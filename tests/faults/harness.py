"""A real studio for fault tests and benchmarks: its own database, Redis database and RQ
worker processes (``flask --app app worker``), which can be SIGKILLed and restarted.

The test process seeds through the app (real commits, no rolled-back connection) and can
run the reconciler itself, as the scheduler process would every minute.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support import databases

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Worker:
    proc: subprocess.Popen
    started: float = field(default_factory=time.monotonic)


class LiveStudio:
    """Workers in subprocesses against a database and Redis of their own."""

    def __init__(
        self,
        tmp: Path,
        database_url: str,
        redis_url: str,
        settings: dict[str, str],
        *,
        db_name: str = "plume_faults",
    ) -> None:
        self.tmp = tmp
        self.database = databases.fresh_database(database_url, tmp, db_name)
        self.redis_url = redis_url
        self.log = open(tmp / "workers.log", "w")  # noqa: SIM115 - closed in stop()
        self.env = {
            **os.environ,
            "PLUME_INSTANCE_PATH": str(tmp),
            "DATABASE_URL": self.database,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "fault-test-secret",
            "CHANNEL_SECRET_KEY": "pM4fH3b2XnqQ1y0y4j9bXx7m4g5k2Y5q0W6v1cZ8r3E=",
            "PLUME_ENV": "development",
            "PUBLISH_ALLOW_PRIVATE_HOSTS": "1",  # for the workers: the fakes are local
            **settings,
        }
        for key, value in settings.items():
            os.environ[key] = value  # the reconciler in this process reads the same settings
        self.workers: list[Worker] = []
        self.kills = 0
        self.app = self._app()

    def _app(self) -> Any:
        from flask_migrate import upgrade

        from studio import create_app
        from studio.config import DevelopmentConfig

        os.environ["CHANNEL_SECRET_KEY"] = self.env["CHANNEL_SECRET_KEY"]
        app = create_app(
            DevelopmentConfig,
            {
                "SQLALCHEMY_DATABASE_URI": self.database,
                "REDIS_URL": self.redis_url,
                "SECRET_KEY": "fault-test-secret",
                "CHANNEL_SECRET_KEY": self.env["CHANNEL_SECRET_KEY"],
                "PUBLISH_ALLOW_PRIVATE_HOSTS": True,  # the fake platforms are on 127.0.0.1
            },
        )
        app.instance_path = str(self.tmp)
        with app.app_context():
            upgrade(revision="heads")
        from redis import Redis

        Redis.from_url(self.redis_url).flushdb()
        return app

    @contextmanager
    def context(self) -> Iterator[None]:
        from studio.extensions import db

        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    # -- workers ------------------------------------------------------------------------

    def start_worker(self, *queues: str) -> Worker:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker", *(queues or ("publishing",))],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the work horse dies with it
        )
        worker = Worker(proc)
        self.workers.append(worker)
        return worker

    def kill(self, worker: Worker) -> None:
        """SIGKILL the worker and its work horse, mid-job or not."""
        with suppress(ProcessLookupError):
            os.killpg(worker.proc.pid, signal.SIGKILL)
        worker.proc.wait(timeout=10)
        self.workers.remove(worker)
        self.kills += 1

    def restart_dead(self, *queues: str) -> int:
        dead = [w for w in self.workers if w.proc.poll() is not None]
        for worker in dead:
            self.workers.remove(worker)
            self.start_worker(*queues)
        return len(dead)

    def stop(self) -> None:
        for worker in list(self.workers):
            try:
                os.killpg(worker.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + 10
        for worker in list(self.workers):
            try:
                worker.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(worker.proc.pid, signal.SIGKILL)
                worker.proc.wait(timeout=5)
        self.workers.clear()
        self.log.close()
        with self.app.app_context():
            from studio.extensions import db

            db.engine.dispose()

    def flush_redis(self) -> None:
        from redis import Redis

        Redis.from_url(self.redis_url).flushdb()

    def worker_log(self, tail: int = 4000) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.tmp / "workers.log").read_text()[-tail:]


def seed(
    studio: LiveStudio,
    posts: int,
    channels: list[tuple[str, dict[str, str]]],
    *,
    spread: float,
    start_in: float = 1.0,
    seed_value: int = 1,
    text: str = "Fault post {n}: fresh roast ☕",
) -> list[int]:
    """Create an approved post per n, scheduled on every channel, due spread over ``spread`` s.

    Returns the attempt ids (committed, enqueued with RQ at their due times).
    """
    from sqlalchemy import select, update

    from studio.auth.operations import create_user
    from studio.composer import operations as composer
    from studio.extensions import db
    from studio.models import Brand, Membership, PostStatus, PublishAttempt
    from studio.publishing import operations as ops
    from studio.publishing import scheduling as sched
    from studio.workspaces.operations import create_workspace

    rng = random.Random(seed_value)
    with studio.context():
        user = create_user("Fault Owner", f"faults{seed_value}@plume.example", "fault-pass-123")
        workspace = create_workspace(user, f"Faults {seed_value}")
        owner = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        platforms = sorted({p for p, _ in channels if p in ("mastodon", "bluesky")})
        brand = Brand(
            workspace_id=workspace.id,
            name="Fault Roasters",
            slug=f"fault-roasters-{seed_value}",
            timezone="Europe/London",
            platforms=platforms or ["mastodon"],
        )
        db.session.add(brand)
        db.session.commit()
        for platform, values in channels:
            ops.connect_channel(owner, brand, platform, values)
        db.session.commit()
        local = sched.utc_to_wall(datetime.now(UTC) + timedelta(minutes=2), brand.timezone)
        local = local.replace(tzinfo=None, second=0, microsecond=0)
        for n in range(posts):
            post = composer.create_post(owner, brand, f"Fault {n}")
            post.master_text = text.format(n=n)
            post.status = PostStatus.APPROVED
            db.session.flush()
            sched.schedule_post(owner, post, local)
        db.session.commit()
        ids = list(db.session.scalars(select(PublishAttempt.id).order_by(PublishAttempt.id)))
        now = datetime.now(UTC)
        for attempt_id in ids:
            due = now + timedelta(seconds=start_in + rng.random() * spread)
            db.session.execute(
                update(PublishAttempt).where(PublishAttempt.id == attempt_id).values(due_at=due)
            )
        db.session.commit()
        attempts = list(db.session.scalars(select(PublishAttempt)))
        sched.enqueue_attempts(attempts)
    return ids


def states(studio: LiveStudio) -> dict[str, int]:
    from sqlalchemy import func, select

    from studio.extensions import db
    from studio.models import PublishAttempt

    with studio.context():
        rows = db.session.execute(
            select(PublishAttempt.state, func.count(PublishAttempt.id)).group_by(
                PublishAttempt.state
            )
        ).all()
    return {state: count for state, count in rows}
