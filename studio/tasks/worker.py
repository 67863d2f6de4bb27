"""The RQ worker class the studio runs: each job gets fresh DB connections and an app context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask
from rq import SimpleWorker, Worker
from rq.job import Job
from rq.queue import Queue


class _AppContextMixin:
    app: Flask

    def perform_job(self, job: Job, queue: Queue) -> bool:
        from studio.extensions import db

        with self.app.app_context():
            try:
                return super().perform_job(job, queue)  # type: ignore[misc]
            finally:
                db.session.remove()


class StudioWorker(_AppContextMixin, Worker):
    """A forking worker; the work horse must not reuse the parent's pooled connections."""

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        self.app = app
        super().__init__(*args, **kwargs)

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        from studio.extensions import db

        with self.app.app_context():
            # Sockets inherited from the parent are shared with it; drop them unclosed.
            db.engine.dispose(close=False)
        super().main_work_horse(job, queue)


class StudioSimpleWorker(_AppContextMixin, SimpleWorker):
    """Runs jobs in its own process: used by tests that need to see one transaction."""

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        self.app = app
        super().__init__(*args, **kwargs)


def build_worker(app: Flask, queue_names: Sequence[str] | None = None) -> StudioWorker:
    """Create the production worker with the studio's crash-recovery timings."""
    from studio.tasks.queue import get_queue, redis_connection

    with app.app_context():
        names = queue_names or app.config["RQ_QUEUES"]
        return StudioWorker(
            [get_queue(n) for n in names],
            connection=redis_connection(),
            app=app,
            worker_ttl=app.config["RQ_WORKER_TTL"],
            maintenance_interval=app.config["RQ_MAINTENANCE_INTERVAL"],
            job_monitoring_interval=app.config["RQ_JOB_MONITORING_INTERVAL"],
        )


def worst_case_recovery_seconds(worker: Worker) -> int:
    """Return how long a job of a SIGKILLed worker can stay "started" before it is retried.

    The started-job registry entry outlives the last heartbeat by job_monitoring_interval + 60 s,
    and the registries are swept every maintenance_interval.
    """
    return worker.job_monitoring_interval + 60 + worker.maintenance_interval
