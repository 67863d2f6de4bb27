"""The RQ queue: connection, enqueueing with the studio's defaults, and job state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

DEFAULT_JOB_TIMEOUT = 10 * 60
RESULT_TTL = 24 * 3600
FAILURE_TTL = 7 * 24 * 3600


class QueueUnavailable(RuntimeError):
    """Redis could not be reached, so the job was not queued."""


def redis_connection() -> Redis:
    """Return the app's Redis connection (created once per app)."""
    conn = current_app.extensions.get("plume_redis")
    if conn is None:
        conn = Redis.from_url(
            current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5
        )
        current_app.extensions["plume_redis"] = conn
    return conn


def get_queue(name: str = "default") -> Queue:
    """Return one of the studio's queues."""
    return Queue(name, connection=redis_connection())


def enqueue(
    func: Callable[..., Any] | str,
    *args: Any,
    queue: str = "default",
    job_id: str | None = None,
    timeout: int = DEFAULT_JOB_TIMEOUT,
    meta: dict[str, Any] | None = None,
    retries: int = 2,
    retry_intervals: list[int] | None = None,
    **kwargs: Any,
) -> Job:
    """Queue a job with the studio's timeouts, TTLs and retries; call after commit."""
    from redis.exceptions import RedisError

    try:
        return get_queue(queue).enqueue(
            func,
            args=args,
            kwargs=kwargs,
            job_id=job_id,
            job_timeout=timeout,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
            # A job whose worker died is retried once the registry sweep finds it.
            retry=Retry(max=retries, interval=retry_intervals or [10, 60]) if retries else None,
            meta=meta or {},
        )
    except RedisError as exc:
        raise QueueUnavailable(
            "The job queue is unavailable right now, so this can't start. Try again shortly."
        ) from exc


@dataclass(frozen=True)
class JobState:
    job_id: str
    status: str  # queued | started | finished | failed | missing
    progress: int
    message: str
    error: str | None
    meta: dict[str, Any]

    @property
    def done(self) -> bool:
        return self.status in {"finished", "failed", "missing"}


def job_state(job_id: str) -> JobState:
    """Return what a job's progress component shows."""
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        return JobState(job_id, "missing", 0, "This job has expired or never existed.", None, {})
    job.refresh()
    status = job.get_status(refresh=False)
    meta = dict(job.meta)
    progress = int(meta.get("progress", 0))
    message = str(meta.get("message", ""))
    error = None
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        error = meta.get("error") or _last_line(job.latest_result()) or "The job failed."
        return JobState(job_id, "failed", progress, message, str(error), meta)
    if status == JobStatus.FINISHED:
        return JobState(job_id, "finished", 100, message or "Done.", None, meta)
    if status == JobStatus.STARTED:
        return JobState(job_id, "started", progress, message or "Working…", None, meta)
    last_failure = _last_line(job.latest_result())
    if last_failure and status in (JobStatus.SCHEDULED, JobStatus.QUEUED):
        return JobState(
            job_id, "queued", progress, f"An attempt failed ({last_failure}); retrying…", None, meta
        )
    return JobState(job_id, "queued", progress, message or "Waiting for a worker…", None, meta)


def _last_line(result: Any) -> str | None:
    if result is None or getattr(result, "type", None) != result.Type.FAILED:
        return None
    text = getattr(result, "exc_string", None)
    if not text:
        return None
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else None
