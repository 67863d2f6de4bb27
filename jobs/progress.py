"""Progress reporting from inside a running job."""

from __future__ import annotations

from rq import get_current_job


def report(progress: int, message: str) -> None:
    """Store progress (0-100) and a message in the current job's meta, if running in a job."""
    job = get_current_job()
    if job is None:
        return
    job.meta["progress"] = max(0, min(100, int(progress)))
    job.meta["message"] = message
    job.save_meta()
