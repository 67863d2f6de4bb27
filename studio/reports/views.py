"""Analytics pages, CSV imports, report templates, reports and their downloads."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    render_template,
    request,
    send_file,
    url_for,
)

from studio.analytics.csvimport import DATE_FORMATS, FIELD_LABELS, FIELDS
from studio.analytics.metrics import METRICS, PLATFORM_FIELDS, RATIO, format_value, platform_name
from studio.assets.operations import rendition_url
from studio.extensions import db
from studio.models import Brand, Role
from studio.policy import Action, can, get_brand, require, visible_brands
from studio.reports import data, imports, sections
from studio.reports import operations as report_ops
from studio.reports.analytics import (
    TREND_METRICS,
    FilterError,
    default_period,
    parse_filters,
    period_choices,
    summarise,
)
from studio.tasks.queue import QueueUnavailable, enqueue, job_state
from studio.web import render_page, see_other, workspace_blueprint

bp = workspace_blueprint("reports", __name__)

ANALYTICS_PAGE = "reports/analytics.html"
IMPORT_PAGE = "reports/import.html"
MAPPING_PAGE = "reports/mapping.html"


def _brand(brand_id: int, action: Action = Action.VIEW_REPORTS) -> Brand:
    brand = get_brand(g.membership, brand_id)
    require(g.membership, action, brand)
    return brand


def _thumb(detail: Any) -> str | None:
    if detail is None or detail.media is None:
        return None
    return rendition_url(detail.media, "thumb")


@bp.app_template_filter("rate")
def _rate(value: float | None) -> str:
    return format_value(value, RATIO)


def _job_unavailable(message: str) -> tuple[str, int]:
    return render_template("components/job_unavailable.html", message=message), 503


# Analytics ------------------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/analytics")
def analytics(brand_id: int) -> tuple[str, int] | str:
    brand = _brand(brand_id)
    options = data.available_filters(brand)
    error = None
    status = 200
    try:
        filters = parse_filters(brand, request.args, options)
    except FilterError as exc:
        error, status = str(exc), 422
        filters = parse_filters(brand, {}, options)
    summary = summarise(brand, filters)
    context = {
        "brand": brand,
        "filters": filters,
        "summary": summary,
        "options": options,
        "periods": period_choices(brand, filters.period),
        "metric_choices": [METRICS[k] for k in TREND_METRICS],
        "platform_name": platform_name,
        "thumb": _thumb,
        "definitions": list(METRICS.values()),
        "default_period": str(default_period(brand)),
        "error": error,
        "data_range": data.data_range(brand),
    }
    return render_page(ANALYTICS_PAGE, "analytics_body", **context), status


# CSV imports ------------------------------------------------------------------------------


def _import_page(brand: Brand, **extra: Any) -> str:
    return render_page(
        IMPORT_PAGE,
        "import_form",
        brand=brand,
        platforms=[(p, platform_name(p)) for p in PLATFORM_FIELDS],
        recent=imports.recent_imports(brand),
        errors=extra.pop("errors", {}),
        chosen=extra.pop("chosen", None),
        **extra,
    )


@bp.get("/brands/<int:brand_id>/analytics/import")
def import_form(brand_id: int) -> str:
    brand = _brand(brand_id, Action.MANAGE_REPORTS)
    return _import_page(brand)


@bp.post("/brands/<int:brand_id>/analytics/import")
def upload(brand_id: int) -> Response | tuple[str, int]:
    brand = _brand(brand_id, Action.MANAGE_REPORTS)
    platform = (request.form.get("platform") or "").strip()
    file = request.files.get("file")
    if file is None or not file.filename:
        return _import_page(
            brand, errors={"file": "Choose the CSV file to import."}, chosen=platform
        ), 422
    try:
        row = imports.save_upload(brand, g.membership.user, platform, file.filename, file.read())
    except imports.UploadError as exc:
        db.session.rollback()
        return _import_page(brand, errors={exc.field or "file": exc.message}, chosen=platform), 422
    db.session.commit()
    return see_other(url_for("reports.import_detail", brand_id=brand.id, import_id=row.id))


def _mapping_context(brand: Brand, row: Any, **extra: Any) -> dict[str, Any]:
    headers = imports.preview(row).headers
    if "mapping" in extra:
        mapping, is_remembered = extra.pop("mapping"), False
    elif row.mapping:
        mapping, is_remembered = imports.ColumnMapping.from_dict(row.mapping), False
    else:
        mapping, is_remembered = imports.initial_mapping(brand, row, headers)
    shown = imports.preview(row, mapping)
    state = job_state(row.job_id) if row.job_id and row.status in ("queued", "running") else None
    return {
        "brand": brand,
        "imp": row,
        "preview": shown,
        "mapping": mapping,
        "remembered": is_remembered,
        "fields": FIELDS,
        "field_labels": FIELD_LABELS,
        "date_formats": DATE_FORMATS,
        "problems": mapping.problems(),
        "job_state": state,
        "errors": extra.pop("errors", {}),
        "form_error": extra.pop("form_error", None),
        "snapshot_value": extra.pop("snapshot_value", ""),
        **extra,
    }


@bp.get("/brands/<int:brand_id>/analytics/imports/<int:import_id>")
def import_detail(brand_id: int, import_id: int) -> str:
    brand = _brand(brand_id, Action.MANAGE_REPORTS)
    row = imports.get_import(brand, import_id)
    block = "import_results" if request.args.get("part") == "results" else "import_body"
    return render_page(MAPPING_PAGE, block, **_mapping_context(brand, row))


@bp.post("/brands/<int:brand_id>/analytics/imports/<int:import_id>")
def start_import(brand_id: int, import_id: int) -> Response | tuple[str, int] | str:
    brand = _brand(brand_id, Action.MANAGE_REPORTS)
    row = imports.get_import(brand, import_id)
    if row.status in ("queued", "running"):
        return render_page(MAPPING_PAGE, "import_body", **_mapping_context(brand, row)), 409
    headers = imports.preview(row).headers
    snapshot_raw = request.form.get("snapshot_date", "")
    try:
        mapping = imports.mapping_from_form(row.platform, request.form, headers)
        snapshot = imports.parse_snapshot_date(snapshot_raw, mapping)
        problem = imports.check_headers(headers, mapping)
        if problem is not None:
            raise imports.UploadError(problem.message)
    except imports.UploadError as exc:
        db.session.rollback()
        guess = _form_mapping(row.platform, request.form)
        context = _mapping_context(
            brand,
            row,
            mapping=guess,
            errors={exc.field: exc.message} if exc.field else {},
            form_error=exc.message,
            snapshot_value=snapshot_raw,
        )
        return render_page(MAPPING_PAGE, "import_body", **context), 422
    row.mapping = mapping.to_dict()
    row.snapshot_date = snapshot
    row.status = "queued"
    row.job_id = imports.job_id(row)
    imports.remember(brand, mapping, g.membership.user)
    db.session.commit()
    try:
        enqueue(
            "jobs.metrics.import_csv",
            row.id,
            job_id=row.job_id,
            timeout=60 * 60,
            meta={
                "workspace_id": g.workspace.id,
                "kind": "metric-import",
                "title": f"Importing {row.filename}",
                "result_url": url_for("reports.import_detail", brand_id=brand.id, import_id=row.id),
            },
        )
    except QueueUnavailable as exc:
        row.status = "uploaded"
        db.session.commit()
        return _job_unavailable(str(exc))
    return see_other(url_for("reports.import_detail", brand_id=brand.id, import_id=row.id))


def _form_mapping(platform: str, form: Any) -> imports.ColumnMapping:
    columns = {
        name: form.get(f"col_{name}").strip()
        for name in FIELDS
        if (form.get(f"col_{name}") or "").strip()
    }
    date_format = (form.get("date_format") or "").strip() or None
    try:
        return imports.ColumnMapping(
            platform, columns, date_format if date_format in DATE_FORMATS else None
        )
    except imports.MappingError:
        return imports.ColumnMapping(platform, {}, None)


# Reports --------------------------------------------------------------------------------

BRAND_REPORTS_PAGE = "reports/brand.html"


def _reports_context(brand: Brand, **extra: Any) -> dict[str, Any]:
    history = report_ops.brand_reports(brand)
    schedule = report_ops.schedule_for(brand)
    template = sections.template_for(brand.workspace_id)
    return {
        "brand": brand,
        "reports": history,
        "downloads": report_ops.download_counts(history),
        "status_of": report_ops.display_status,
        "job_state": job_state,
        "schedule": schedule,
        "next_run": report_ops.next_run(schedule, brand) if schedule else None,
        "report_template": template,
        "enabled_sections": [sections.BY_KEY[k] for k in sections.enabled(template.sections)],
        "section_choices": [
            (sections.BY_KEY[item["key"]], item["on"])
            for item in sections.normalise(template.sections)
        ],
        "chosen_sections": extra.pop("chosen_sections", None),
        "periods": period_choices(brand, default_period(brand)),
        "chosen_period": extra.pop("chosen_period", str(default_period(brand))),
        "summary_text": extra.pop("summary_text", ""),
        "errors": extra.pop("errors", {}),
        "schedule_errors": extra.pop("schedule_errors", {}),
        "link": extra.pop("link", None),
        **extra,
    }


@bp.get("/brands/<int:brand_id>/reports")
def brand_reports(brand_id: int) -> str:
    brand = _brand(brand_id)
    context = _reports_context(brand)
    db.session.commit()  # the first visit creates the workspace's report template
    return render_page(BRAND_REPORTS_PAGE, "report_history", **context)


@bp.post("/brands/<int:brand_id>/reports")
def create_report(brand_id: int) -> Response | tuple[str, int]:
    brand = _brand(brand_id, Action.MANAGE_REPORTS)
    raw_period = request.form.get("period", "")
    summary_text = request.form.get("summary", "")
    # The form lists the sections to choose from; a request without them takes the template's.
    chosen = request.form.getlist("section") if request.form.get("sections_present") else None
    try:
        period = report_ops.parse_period(brand, raw_period)
        report = report_ops.request_report(
            brand, period, summary_text, g.membership.user, section_keys=chosen
        )
    except report_ops.ReportError as exc:
        db.session.rollback()
        context = _reports_context(
            brand,
            errors={exc.field or "period": exc.message},
            chosen_period=raw_period,
            summary_text=summary_text,
            chosen_sections=chosen,
        )
        return render_page(BRAND_REPORTS_PAGE, "report_form", **context), exc.status
    db.session.commit()
    download = url_for("reports.download", brand_id=brand.id, report_id=report.id)
    try:
        report_ops.enqueue_render(report, g.workspace.id, download)
    except QueueUnavailable as exc:
        report.status = "failed"
        report.error = str(exc)
        db.session.commit()
        return _job_unavailable(str(exc))
    return see_other(url_for("reports.brand_reports", brand_id=brand.id))


def _detail_context(brand: Brand, report: Any, **extra: Any) -> dict[str, Any]:
    internal = can(g.membership, Action.MANAGE_REPORTS, brand)
    return {
        "brand": brand,
        "report": report,
        "status": report_ops.display_status(report),
        "section_labels": [
            sections.BY_KEY[k].label
            for k in report.parameters.get("sections", [])
            if k in sections.BY_KEY
        ],
        "downloads": report_ops.downloads(report) if internal else [],
        "link": None,
        "link_days": report_ops.DEFAULT_LINK_DAYS,
        "link_error": None,
        **extra,
    }


@bp.get("/brands/<int:brand_id>/reports/<int:report_id>")
def report_detail(brand_id: int, report_id: int) -> str:
    brand = _brand(brand_id)
    report = report_ops.get_report(g.membership, brand, report_id)
    return render_page("reports/detail.html", "report_link", **_detail_context(brand, report))


@bp.get("/brands/<int:brand_id>/reports/<int:report_id>/download")
def download(brand_id: int, report_id: int) -> Response:
    brand = _brand(brand_id)
    report = report_ops.get_report(g.membership, brand, report_id)
    stream = report_ops.open_pdf(report)
    via = "portal" if g.membership.role == Role.CLIENT else "studio"
    report_ops.log_download(report, g.membership.user, via, request.remote_addr or "")
    db.session.commit()
    return _pdf_response(report, stream)


def _pdf_response(report: Any, stream: Any) -> Response:
    response = send_file(
        stream,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=report.filename,
        conditional=False,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.post("/brands/<int:brand_id>/reports/<int:report_id>/link")
def create_link(brand_id: int, report_id: int) -> tuple[str, int] | str:
    brand = _brand(brand_id, Action.MANAGE_REPORTS)
    report = report_ops.get_report(g.membership, brand, report_id)
    raw = (request.form.get("days") or str(report_ops.DEFAULT_LINK_DAYS)).strip()[:6]
    try:
        days = int(raw) if raw.isdigit() else 0
        token = report_ops.link_token(report, days, current_app.secret_key)
    except report_ops.ReportError as exc:
        context = _detail_context(brand, report, link_days=raw, link_error=exc.message)
        return render_page("reports/detail.html", "report_link", **context), exc.status
    link = url_for("reports_link.shared", token=token, _external=True)
    context = _detail_context(brand, report, link=link, link_days=days)
    return render_page("reports/detail.html", "report_link", **context)


@bp.post("/brands/<int:brand_id>/reports/schedule")
def save_schedule(brand_id: int) -> Response | tuple[str, int]:
    brand = _brand(brand_id, Action.MANAGE_REPORTS)
    try:
        values = report_ops.schedule_from_form(request.form)
    except report_ops.ReportError as exc:
        db.session.rollback()
        context = _reports_context(
            brand, schedule_errors={exc.field or "day_of_month": exc.message}
        )
        return render_page(BRAND_REPORTS_PAGE, "schedule_form", **context), 422
    report_ops.save_schedule(brand, values, g.membership.user)
    db.session.commit()
    flash("Monthly reports saved." if values.enabled else "Monthly reports are off.", "success")
    return see_other(url_for("reports.brand_reports", brand_id=brand.id))


# The workspace's report template ---------------------------------------------------------


@bp.get("/reports/template")
def report_template() -> str:
    require(g.membership, Action.MANAGE_REPORTS)
    row = sections.template_for(g.workspace.id)
    db.session.commit()
    return render_page(
        "reports/template.html", "template_form", row=row, layout=_layout(row.sections), error=None
    )


def _layout(layout: Any) -> list[dict[str, Any]]:
    return [
        {**item, "section": sections.BY_KEY[item["key"]]} for item in sections.normalise(layout)
    ]


@bp.post("/reports/template")
def save_report_template() -> Response | tuple[str, int] | str:
    require(g.membership, Action.MANAGE_REPORTS)
    row = sections.template_for(g.workspace.id)
    try:
        layout = sections.layout_from_form(request.form)
        top = sections.top_posts_from_form(request.form.get("top_posts"))
    except sections.TemplateError as exc:
        db.session.rollback()
        return render_page(
            "reports/template.html",
            "template_form",
            row=row,
            layout=_layout(row.sections),
            error=str(exc),
        ), 422
    sections.save_template(row, layout, top, g.membership.user)
    db.session.commit()
    if request.form.get("move"):
        return render_page(
            "reports/template.html",
            "template_form",
            row=row,
            layout=_layout(row.sections),
            error=None,
        )
    flash("Report template saved.", "success")
    return see_other(url_for("reports.report_template"))


# The client portal's reports --------------------------------------------------------------


@bp.get("/portal/reports")
def portal_reports() -> str:
    reports = report_ops.portal_reports(g.membership)
    brands = db.session.scalars(visible_brands(g.membership)).all()
    return render_page("reports/portal.html", None, reports=reports, brands=brands)


@bp.app_template_global("portal_reports")
def _portal_reports_global(limit: int = 5) -> list[Any]:
    membership = g.get("membership")
    if membership is None:
        return []
    return report_ops.portal_reports(membership, limit)


# Signed links (no account) ----------------------------------------------------------------

link_bp = Blueprint("reports_link", __name__)


@link_bp.get("/r/<token>")
def shared(token: str) -> Response | tuple[str, int]:
    try:
        report = report_ops.resolve_link(token, current_app.secret_key)
    except report_ops.ReportError as exc:
        return render_template("reports/link_error.html", message=exc.message), exc.status
    stream = report_ops.open_pdf(report)
    report_ops.log_download(report, None, "link", request.remote_addr or "")
    db.session.commit()
    return _pdf_response(report, stream)
