"""Reports as records: request one, render it (job or CLI), list, download, link, schedule."""

from __future__ import annotations

import calendar
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, select, update
from werkzeug.exceptions import NotFound

from studio.analytics.summary import Period, PeriodError, zone
from studio.blobs import blob_storage
from studio.extensions import db
from studio.models import Brand, Membership, User
from studio.models.analytics import Report, ReportDownload, ReportSchedule, ReportTemplate
from studio.models.base import utcnow
from studio.policy import visible_brands
from studio.reports import render, sections

LINK_SALT = "plume-report-link"
MAX_LINK_DAYS = 90
DEFAULT_LINK_DAYS = 14
SUMMARY_MAX = 20_000
STALE_AFTER = timedelta(minutes=30)  # a render still "running" this long was killed


class ReportError(ValueError):
    """A report request that cannot be honoured; ``status`` is the HTTP status."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


def _setting(name: str, default: int) -> int:
    value = current_app.config.get(name) or os.environ.get(name)
    return int(value) if value else default


def render_timeout() -> int:
    """Return the seconds a render may take before its job is killed."""
    return _setting("REPORT_TIMEOUT_SECONDS", 180)


def memory_limit_mb() -> int:
    """Return the address space (MB) a render may add before it is stopped."""
    return _setting("REPORT_MEMORY_MB", render.DEFAULT_MEMORY_MB)


# Requesting and rendering ------------------------------------------------------------------


def parse_period(brand: Brand, raw: str) -> Period:
    try:
        return Period.parse(raw or "", brand.timezone)
    except PeriodError as exc:
        raise ReportError(str(exc), "period") from exc


def clean_summary(text: str) -> str:
    text = (text or "").replace("\x00", "").strip()
    if len(text) > SUMMARY_MAX:
        raise ReportError(
            f"The executive summary is {len(text):,} characters; at most {SUMMARY_MAX:,} fit.",
            "summary",
        )
    return text


def choose_sections(template: ReportTemplate, keys: Sequence[str] | None) -> list[str]:
    """Return the sections of one report: the template's, or the chosen ones in its order."""
    if keys is None:
        return sections.enabled(template.sections)
    unknown = sorted(set(keys) - set(sections.BY_KEY))
    if unknown:
        raise ReportError(f"There is no report section called {unknown[0]!r}.", "sections")
    chosen = set(keys)
    ordered = [item["key"] for item in sections.normalise(template.sections)]
    picked = [key for key in ordered if key in chosen]
    if not picked:
        raise ReportError("Choose at least one section for this report.", "sections")
    return picked


def request_report(
    brand: Brand,
    period: Period,
    summary: str,
    user: User | None,
    *,
    schedule: ReportSchedule | None = None,
    section_keys: Sequence[str] | None = None,
) -> Report:
    """Create a queued report (the caller commits).

    Its sections are the workspace template's, or ``section_keys`` when the person chose
    them for this report (kept in the template's order).
    """
    template = sections.template_for(brand.workspace_id)
    spec = render.ReportSpec(
        period=str(period),
        sections=choose_sections(template, section_keys),
        top_posts=template.top_posts,
        summary=clean_summary(summary),
    )
    report = Report(
        workspace_id=brand.workspace_id,
        brand_id=brand.id,
        title=f"{brand.name}: {period.label}",
        period=str(period),
        parameters=spec.to_dict(),
        status="queued",
        created_by_id=user.id if user else None,
        schedule_id=schedule.id if schedule else None,
    )
    db.session.add(report)
    db.session.flush()
    report.job_id = f"report-{report.id}"
    return report


def enqueue_render(report: Report, workspace_id: int, result_url: str | None = None) -> None:
    """Queue the render job (after the report row is committed)."""
    from studio.tasks.queue import enqueue

    enqueue(
        "jobs.reports.render_report",
        report.id,
        queue="reports",
        job_id=report.job_id,
        timeout=render_timeout(),
        retries=1,
        meta={
            "workspace_id": workspace_id,
            "kind": "report",
            "title": f"Report for {report.title}",
            "result_url": result_url,
        },
    )


def blob_key(report: Report) -> str:
    return (
        f"reports/{report.workspace_id}/{report.brand_id}/"
        f"report-{report.id}-{secrets.token_hex(6)}.pdf"
    )


def run_render(report: Report, progress: Any = None) -> Report:
    """Render the report, store the PDF and record its size and pages (the caller commits)."""
    say = progress or (lambda _pct, _msg: None)
    brand = db.session.get(Brand, report.brand_id)
    assert brand is not None
    spec = render.ReportSpec.from_dict(report.parameters)
    started = time.perf_counter()
    say(10, "Gathering the figures…")
    ctx = render.gather(brand, spec)
    say(35, "Writing the pages…")
    html = render.to_html(ctx)
    say(45, "Laying out the PDF (the longest step)…")
    pdf, pages = render.to_pdf(html, ctx.fetcher, memory_mb=memory_limit_mb())
    say(95, "Storing the PDF…")
    old_key = report.blob_key
    key = blob_key(report)
    blob_storage().put(key, pdf)
    if old_key and old_key != key:
        blob_storage().delete(old_key)
    report.blob_key = key
    report.size_bytes = len(pdf)
    report.pages = pages
    report.render_ms = int((time.perf_counter() - started) * 1000)
    report.status = "finished"
    report.error = None
    report.finished_at = utcnow()
    return report


def is_stale(report: Report, now: datetime | None = None) -> bool:
    """Say whether a queued or running render has been killed (by its time cap, say)."""
    now = now or utcnow()
    return report.status in ("queued", "running") and report.created_at < now - STALE_AFTER


def display_status(report: Report) -> str:
    if is_stale(report):
        return "failed"
    return report.status


# Finding ------------------------------------------------------------------------------------


def get_report(membership: Membership, brand: Brand, report_id: int) -> Report:
    """Return one of the brand's reports (the brand is already checked for the member)."""
    report = db.session.scalar(
        select(Report).where(
            Report.id == report_id,
            Report.brand_id == brand.id,
            Report.workspace_id == membership.workspace_id,
        )
    )
    if report is None:
        raise NotFound("No such report for this brand.")
    return report


def brand_reports(brand: Brand, limit: int = 50) -> list[Report]:
    return list(
        db.session.scalars(
            select(Report)
            .where(Report.brand_id == brand.id)
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(limit)
        )
    )


def portal_reports(membership: Membership, limit: int = 100) -> list[Report]:
    """Return finished reports of the brands this member may see, newest first."""
    brand_ids = visible_brands(membership).with_only_columns(Brand.id).order_by(None)
    return list(
        db.session.scalars(
            select(Report)
            .where(
                Report.workspace_id == membership.workspace_id,
                Report.brand_id.in_(brand_ids),
                Report.status == "finished",
                Report.blob_key.is_not(None),
            )
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(limit)
        )
    )


# Downloads and signed links -----------------------------------------------------------------


def open_pdf(report: Report) -> Any:
    if not report.ready:
        raise NotFound("This report has no PDF yet.")
    try:
        return blob_storage().open(report.blob_key)
    except FileNotFoundError:
        raise NotFound("This report's PDF is no longer stored.") from None


def log_download(report: Report, user: User | None, via: str, address: str = "") -> None:
    db.session.add(
        ReportDownload(
            workspace_id=report.workspace_id,
            report_id=report.id,
            user_id=user.id if user else None,
            via=via,
            address=(address or "")[:64],
        )
    )
    db.session.flush()


def downloads(report: Report) -> list[ReportDownload]:
    return list(
        db.session.scalars(
            select(ReportDownload)
            .where(ReportDownload.report_id == report.id)
            .order_by(ReportDownload.created_at.desc())
        )
    )


def download_counts(reports: list[Report]) -> dict[int, int]:
    from sqlalchemy import func

    ids = [r.id for r in reports]
    if not ids:
        return {}
    rows = db.session.execute(
        select(ReportDownload.report_id, func.count())
        .where(ReportDownload.report_id.in_(ids))
        .group_by(ReportDownload.report_id)
    )
    return {rid: n for rid, n in rows}


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=LINK_SALT)


def link_token(report: Report, days: int, secret_key: str) -> str:
    """Sign a download link for ``report`` that works for ``days`` days."""
    if not report.ready:
        raise ReportError("Only a finished report can be shared.", status=409)
    if not 1 <= days <= MAX_LINK_DAYS:
        raise ReportError(f"A link lasts from 1 to {MAX_LINK_DAYS} days.", "days")
    return _serializer(secret_key).dumps({"r": report.id, "w": report.workspace_id, "d": days})


def resolve_link(token: str, secret_key: str, now: float | None = None) -> Report:
    """Return the report a signed link names; 404 if forged, 410 if expired."""
    serializer = _serializer(secret_key)
    try:
        payload, signed_at = serializer.loads(
            token, max_age=MAX_LINK_DAYS * 86400, return_timestamp=True
        )
    except SignatureExpired:
        raise ReportError("This report link has expired. Ask for a new one.", status=410) from None
    except BadSignature:
        raise NotFound("This report link is not valid.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("r"), int):
        raise NotFound("This report link is not valid.")
    days = int(payload.get("d") or 0)
    current = now if now is not None else time.time()
    if current - signed_at.timestamp() > days * 86400:
        raise ReportError("This report link has expired. Ask for a new one.", status=410)
    report = db.session.get(Report, payload["r"])
    if report is None or report.workspace_id != payload.get("w") or not report.ready:
        raise NotFound("This report is no longer available.")
    return report


# Monthly schedules ---------------------------------------------------------------------------


def schedule_for(brand: Brand) -> ReportSchedule | None:
    return db.session.scalar(select(ReportSchedule).where(ReportSchedule.brand_id == brand.id))


@dataclass
class ScheduleInput:
    enabled: bool
    day_of_month: int
    hour: int
    summary: str


def schedule_from_form(form: Any) -> ScheduleInput:
    def number(name: str, low: int, high: int, label: str) -> int:
        raw = str(form.get(name, "") or "").strip()
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ReportError(f"{label} must be a whole number from {low} to {high}.", name)
        return int(raw)

    return ScheduleInput(
        enabled=bool(form.get("enabled")),
        day_of_month=number("day_of_month", 1, 28, "The day of the month"),
        hour=number("hour", 0, 23, "The hour"),
        summary=clean_summary(str(form.get("summary", "") or "")),
    )


def save_schedule(brand: Brand, values: ScheduleInput, user: User | None) -> ReportSchedule:
    row = schedule_for(brand)
    if row is None:
        row = ReportSchedule(workspace_id=brand.workspace_id, brand_id=brand.id)
        db.session.add(row)
    row.enabled = values.enabled
    row.day_of_month = values.day_of_month
    row.hour = values.hour
    row.summary = values.summary
    row.created_by_id = row.created_by_id or (user.id if user else None)
    row.updated_at = utcnow()
    db.session.flush()
    return row


def due_period(schedule: ReportSchedule, brand: Brand, now: datetime) -> Period | None:
    """Return last month if this schedule's time this month has come and it wasn't made."""
    local = now.astimezone(zone(brand.timezone))
    day = min(schedule.day_of_month, calendar.monthrange(local.year, local.month)[1])
    if (local.day, local.hour) < (day, schedule.hour):
        return None
    last = local.date().replace(day=1) - timedelta(days=1)
    period = Period.month(last.year, last.month, brand.timezone)
    if schedule.last_period == str(period):
        return None
    return period


def next_run(
    schedule: ReportSchedule, brand: Brand, now: datetime | None = None
) -> datetime | None:
    """Return when the schedule next makes a report, in the brand's local time."""
    if not schedule.enabled:
        return None
    now = now or datetime.now(UTC)
    local = now.astimezone(zone(brand.timezone))
    this_month = local.replace(
        day=schedule.day_of_month, hour=schedule.hour, minute=0, second=0, microsecond=0
    )
    if this_month > local:
        return this_month
    if due_period(schedule, brand, now) is not None:
        return local  # due now: the next scheduler run makes it
    following = local.date().replace(day=28) + timedelta(days=4)
    return this_month.replace(year=following.year, month=following.month)


def claim(schedule: ReportSchedule, period: Period) -> bool:
    """Mark ``period`` as made for the schedule, once: a second scheduler loses the race."""
    result = db.session.execute(
        update(ReportSchedule)
        .where(
            ReportSchedule.id == schedule.id,
            or_(ReportSchedule.last_period.is_(None), ReportSchedule.last_period != str(period)),
        )
        .values(last_period=str(period))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def run_due_schedules(now: datetime | None = None) -> list[Report]:
    """Create (not render) the reports whose monthly time has come; the caller enqueues."""
    now = now or datetime.now(UTC)
    made = []
    for schedule in db.session.scalars(
        select(ReportSchedule).where(ReportSchedule.enabled.is_(True))
    ):
        brand = db.session.get(Brand, schedule.brand_id)
        if brand is None:
            continue
        period = due_period(schedule, brand, now)
        if period is None or not claim(schedule, period):
            continue
        author = db.session.get(User, schedule.created_by_id) if schedule.created_by_id else None
        report = request_report(brand, period, schedule.summary, author, schedule=schedule)
        made.append(report)
    return made
