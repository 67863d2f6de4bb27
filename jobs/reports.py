"""Report jobs: render one report to PDF, and the hourly check of monthly schedules.

The render is capped in time (the queue's job timeout, see
``studio.reports.operations.render_timeout``) and in memory (an address-space allowance
around WeasyPrint, ``REPORT_MEMORY_MB``). Running it again after it finished changes
nothing; after a failure it renders afresh.
"""

from __future__ import annotations

from rq import get_current_job

from jobs.progress import report as progress
from studio.extensions import db
from studio.models.analytics import Report
from studio.models.base import utcnow
from studio.reports import operations as ops


def _explain(message: str) -> None:
    job = get_current_job()
    if job is not None:
        job.meta["error"] = message
        job.save_meta()


def render_report(report_id: int) -> str:
    """Render a queued report and store its PDF, with progress for the page."""
    report = db.session.get(Report, report_id)
    if report is None:
        return "gone"
    if report.ready:
        progress(100, f"Ready: {report.pages} pages.")
        return "already finished"
    report.status = "running"
    report.error = None
    db.session.commit()
    try:
        ops.run_render(report, progress)
    except Exception as exc:
        db.session.rollback()
        message = (
            exc.args[0]
            if isinstance(exc, ops.render.ReportTooBig)
            else f"The report could not be rendered: {str(exc)[:300]}"
        )
        row = db.session.get(Report, report_id)
        if row is not None:
            row.status = "failed"
            row.error = message
            row.finished_at = utcnow()
            db.session.commit()
        _explain(message)
        raise
    db.session.commit()
    size = (report.size_bytes or 0) / 1024
    progress(100, f"Ready: {report.pages} pages, {size:,.0f} KB.")
    return "finished"


def run_schedules() -> str:
    """Create and queue the monthly reports whose time has come (hourly; safe to repeat)."""
    made = ops.run_due_schedules()
    db.session.commit()
    for report in made:
        ops.enqueue_render(report, report.workspace_id)
    return f"{len(made)} reports queued"
