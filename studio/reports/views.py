"""Analytics pages, CSV imports, report templates, reports and their downloads."""

from __future__ import annotations

from typing import Any

from flask import Response, g, render_template, request, url_for

from studio.analytics.csvimport import DATE_FORMATS, FIELD_LABELS, FIELDS
from studio.analytics.metrics import METRICS, PLATFORM_FIELDS, RATIO, format_value, platform_name
from studio.assets.operations import rendition_url
from studio.extensions import db
from studio.models import Brand
from studio.policy import Action, get_brand, require
from studio.reports import data, imports
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
