"""CSV imports of platforms' analytics exports: upload, mapping, and the streamed import.

The file is kept in blob storage; the mapping screen reads only its first rows; the job
(:func:`run_import`) streams the whole file through :func:`studio.analytics.csvimport.
iter_rows`, upserting a batch at a time and reporting progress by bytes read, so a
million-row export needs no more memory than a small one. Upserts key on the natural key,
so importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from werkzeug.exceptions import NotFound

from studio.analytics.csvimport import (
    DATE_FORMATS,
    FIELD_LABELS,
    FIELDS,
    ColumnMapping,
    ImportedRow,
    MappingError,
    RowError,
    check_headers,
    guess_date_formats,
    iter_rows,
    suggest_mapping,
)
from studio.analytics.metrics import PLATFORM_FIELDS
from studio.blobs import blob_storage
from studio.extensions import db
from studio.models import Brand, User
from studio.models.analytics import CsvMapping, MetricImport
from studio.models.base import utcnow
from studio.reports import store

BATCH = 2000
KEEP_ERRORS = 200  # the first errors are stored and listed; the rest are counted
MAX_ERRORS = 50_000  # then the import stops: the file or the mapping is wrong
PREVIEW_ROWS = 5
ENCODING = "utf-8-sig"


class UploadError(ValueError):
    """An upload or a mapping that cannot be used; ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def platforms() -> list[str]:
    """Return the platforms whose exports Plume can read."""
    return list(PLATFORM_FIELDS)


def get_import(brand: Brand, import_id: int) -> MetricImport:
    """Return one of the brand's imports, or 404."""
    row = db.session.scalar(
        select(MetricImport).where(MetricImport.id == import_id, MetricImport.brand_id == brand.id)
    )
    if row is None:
        raise NotFound("No such import for this brand.")
    return row


def recent_imports(brand: Brand, limit: int = 10) -> list[MetricImport]:
    return list(
        db.session.scalars(
            select(MetricImport)
            .where(MetricImport.brand_id == brand.id)
            .order_by(MetricImport.created_at.desc(), MetricImport.id.desc())
            .limit(limit)
        )
    )


def save_upload(
    brand: Brand, user: User | None, platform: str, filename: str, data: bytes
) -> MetricImport:
    """Keep an uploaded export and return its import, waiting for a mapping."""
    if platform not in PLATFORM_FIELDS:
        raise UploadError("Choose the platform the export comes from.", "platform")
    if not data.strip():
        raise UploadError("The file is empty.", "file")
    if b"\x00" in data[:4096]:
        raise UploadError("This is not a CSV file (it holds binary data).", "file")
    try:
        headers = next(csv.reader(io.StringIO(data[:65536].decode(ENCODING, errors="replace"))))
    except (StopIteration, csv.Error):
        raise UploadError("The first line of the file is not a CSV header row.", "file") from None
    if len([h for h in headers if h.strip()]) < 2:
        raise UploadError(
            "The file needs a header row with at least two columns (is it a CSV export?).",
            "file",
        )
    key = f"imports/{brand.workspace_id}/{brand.id}/{secrets.token_hex(12)}.csv"
    blob_storage().put(key, data)
    row = MetricImport(
        workspace_id=brand.workspace_id,
        brand_id=brand.id,
        platform=platform,
        filename=(filename or "export.csv")[-255:],
        blob_key=key,
        size_bytes=len(data),
        timezone=brand.timezone,
        created_by_id=user.id if user else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


@dataclass
class Preview:
    """The first rows of an upload, for the mapping screen."""

    headers: list[str]
    rows: list[list[str]]
    date_formats: list[str | None]  # formats that read every sample date, ISO first


def preview(row: MetricImport, mapping: ColumnMapping | None = None) -> Preview:
    """Return the header and the first rows of the upload."""
    with blob_storage().open(row.blob_key) as raw:
        text = io.TextIOWrapper(raw, encoding=ENCODING, errors="replace", newline="")
        reader = csv.reader(text)
        try:
            headers = [h.strip() for h in next(reader)]
        except (StopIteration, csv.Error):
            return Preview([], [], [])
        rows = []
        try:
            for values in reader:
                if any(v.strip() for v in values):
                    rows.append(values[: len(headers) + 1])
                if len(rows) >= 50:
                    break
        except csv.Error:
            pass
    formats: list[str | None] = []
    if mapping is not None and "published_at" in mapping.columns:
        wanted = mapping.columns["published_at"]
        if wanted in headers:
            at = headers.index(wanted)
            formats = guess_date_formats(r[at] for r in rows if len(r) > at)
    return Preview(headers, rows[:PREVIEW_ROWS], formats)


def remembered(brand: Brand, platform: str) -> ColumnMapping | None:
    """Return the mapping last used for this platform's exports, if any."""
    row = db.session.scalar(
        select(CsvMapping).where(CsvMapping.brand_id == brand.id, CsvMapping.platform == platform)
    )
    if row is None:
        return None
    try:
        return ColumnMapping.from_dict(row.mapping)
    except MappingError:
        return None


def initial_mapping(
    brand: Brand, row: MetricImport, headers: list[str]
) -> tuple[ColumnMapping, bool]:
    """Return the mapping to show: the remembered one if the file has its columns, else a
    suggestion from the headers; and whether it is the remembered one."""
    known = remembered(brand, row.platform)
    if known is not None and check_headers(headers, known) is None:
        return known, True
    suggestion = suggest_mapping(headers, row.platform)
    if known is not None:
        # Keep the remembered date format: the same platform writes dates the same way.
        suggestion = ColumnMapping(suggestion.platform, suggestion.columns, known.date_format)
    return suggestion, False


def mapping_from_form(platform: str, form: Any, headers: list[str]) -> ColumnMapping:
    """Return the mapping chosen on the mapping screen (``col_<field>`` = header)."""
    columns = {}
    for name in FIELDS:
        header = (form.get(f"col_{name}") or "").strip()
        if not header:
            continue
        if header not in headers:
            raise UploadError(
                f"{FIELD_LABELS[name]}: the file has no column {header[:60]!r}.", f"col_{name}"
            )
        columns[name] = header
    date_format = (form.get("date_format") or "").strip() or None
    if date_format is not None and date_format not in DATE_FORMATS:
        raise UploadError("Choose one of the listed date formats.", "date_format")
    try:
        mapping = ColumnMapping(platform, columns, date_format)
    except MappingError as exc:
        raise UploadError(str(exc)) from exc
    problems = mapping.problems()
    if problems:
        raise UploadError("The mapping needs " + ", ".join(problems) + ".")
    return mapping


def parse_snapshot_date(raw: str | None, mapping: ColumnMapping) -> date | None:
    """Return the export day the form gives (required when no column holds it)."""
    raw = (raw or "").strip()
    if not raw:
        if "snapshot_date" not in mapping.columns:
            raise UploadError(
                "Say on which day the export was made (the file has no snapshot date column).",
                "snapshot_date",
            )
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise UploadError(f"{raw[:20]!r} is not a date like 2026-10-31.", "snapshot_date") from None


def remember(brand: Brand, mapping: ColumnMapping, user: User | None) -> None:
    """Remember the mapping for the next export of this platform."""
    row = db.session.scalar(
        select(CsvMapping).where(
            CsvMapping.brand_id == brand.id, CsvMapping.platform == mapping.platform
        )
    )
    if row is None:
        row = CsvMapping(
            workspace_id=brand.workspace_id, brand_id=brand.id, platform=mapping.platform
        )
        db.session.add(row)
    row.mapping = mapping.to_dict()
    row.updated_by_id = user.id if user else None
    row.updated_at = utcnow()
    db.session.flush()


def job_id(row: MetricImport) -> str:
    """Return a new job id for a run of the import (a failed import may be run again)."""
    return f"metric-import-{row.id}-{secrets.token_hex(4)}"


# ---------------------------------------------------------------------------------------
# The import itself (run by jobs.metrics.import_csv)


def _observation(row: ImportedRow) -> store.Observation:
    return store.Observation(
        platform=row.platform,
        external_key=row.key[1],
        published_at=row.published_at,
        snapshot_date=row.snapshot_date,
        metrics=row.metrics,
        external_id=row.external_id,
        url=row.post_url,
        caption=row.caption,
        campaign=row.campaign,
    )


def _error(error: RowError) -> dict[str, Any]:
    return {
        "line": error.line,
        "column": error.column,
        "message": error.message,
        "fatal": error.fatal,
    }


def run_import(row: MetricImport, progress: Callable[[int, str], None]) -> MetricImport:
    """Stream the file into snapshots, committing each batch; return the finished import."""
    brand = db.session.get(Brand, row.brand_id)
    assert brand is not None
    mapping = ColumnMapping.from_dict(row.mapping or {})
    row.status = "running"
    row.rows_read = row.imported = row.unchanged = row.error_count = 0
    row.errors = []
    row.message = ""
    db.session.commit()
    total = max(row.size_bytes, 1)
    errors: list[dict[str, Any]] = []
    batch: list[store.Observation] = []
    counts = {"read": 0, "errors": 0}  # rows read as iter_rows reports; errors we count
    fatal: RowError | None = None

    with blob_storage().open(row.blob_key) as raw:

        def report(rows_read: int, _errors: int) -> None:
            counts["read"] = rows_read
            done = min(raw.tell(), total)
            progress(
                min(99, int(done * 100 / total)),
                f"Read {rows_read:,} rows; {counts['errors']:,} problems so far…",
            )

        def flush() -> None:
            if not batch:
                return
            result = store.upsert(brand, batch, "csv")
            row.imported += result.changed
            row.unchanged += result.unchanged
            row.rows_read = counts["read"]
            row.error_count = counts["errors"]
            row.errors = list(errors)
            db.session.commit()
            batch.clear()

        text = io.TextIOWrapper(raw, encoding=ENCODING, errors="replace", newline="")
        for item in iter_rows(
            text,
            mapping,
            tz=row.timezone,
            snapshot_date=row.snapshot_date,
            progress=report,
            progress_every=BATCH,
            max_errors=MAX_ERRORS,
        ):
            if isinstance(item, RowError):
                counts["errors"] += 1
                if len(errors) < KEEP_ERRORS:
                    errors.append(_error(item))
                if item.fatal:
                    fatal = item
                continue
            batch.append(_observation(item))
            if len(batch) >= BATCH:
                flush()
        flush()
    row.rows_read = counts["read"]
    row.error_count = counts["errors"]
    row.errors = errors
    row.finished_at = utcnow()
    if fatal is not None and row.imported == 0 and row.unchanged == 0:
        row.status = "failed"
        row.message = fatal.message
    else:
        row.status = "finished"
        row.message = summary_line(row)
    db.session.commit()
    progress(100, row.message)
    return row


def summary_line(row: MetricImport) -> str:
    """Return what an import did, in one sentence."""
    parts = [f"{row.rows_read:,} rows read"]
    parts.append(f"{row.imported:,} snapshots added or changed")
    parts.append(f"{row.unchanged:,} already up to date")
    if row.error_count:
        parts.append(f"{row.error_count:,} errors")
    return ", ".join(parts) + "."
