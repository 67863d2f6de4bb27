"""The RQ worker class the studio runs: each job gets fresh DB connections and an app context."""

from __future__ import annotations

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
