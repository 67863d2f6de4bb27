"""Streaming import of platforms' CSV exports, with row-level errors and stable keys.

A :class:`ColumnMapping` says which CSV header feeds which Plume field; the UI asks for it
once per platform (pre-filled by :func:`suggest_mapping`) and stores :meth:`to_dict`.
:func:`iter_rows` then reads the file one row at a time and yields an :class:`ImportedRow`
for each good row and a :class:`RowError` for each problem. A million-row export needs no
more memory than a small one, apart from 20-40 bytes per row for spotting duplicate rows
(under 40 MB for a million).

Each imported row has a natural key, ``(platform, post, snapshot date)``: upserting on it
makes importing the same file twice change nothing.
"""

from __future__ import annotations

import csv
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from types import MappingProxyType
from typing import Any, NamedTuple, TextIO
from urllib.parse import urlsplit, urlunsplit

from studio.analytics.metrics import PLATFORM_FIELDS, POST_METRICS, metric
from studio.analytics.summary import zone

__all__ = [
    "DATE_FORMATS",
    "FIELDS",
    "FIELD_LABELS",
    "INFO_FIELDS",
    "ColumnMapping",
    "ImportedRow",
    "MappingError",
    "RowError",
    "check_headers",
    "guess_date_formats",
    "iter_rows",
    "known_headers",
    "normalise_header",
    "normalise_url",
    "suggest_mapping",
]

# The fields a CSV column can feed, besides the metrics.
INFO_FIELDS = ("post_id", "post_url", "published_at", "snapshot_date", "caption", "campaign")
FIELDS: tuple[str, ...] = INFO_FIELDS + POST_METRICS
FIELD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "post_id": "Post ID",
        "post_url": "Post URL",
        "published_at": "Published at",
        "snapshot_date": "Snapshot date",
        "caption": "Caption",
        "campaign": "Campaign",
        **{key: metric(key).label for key in POST_METRICS},
    }
)
# strptime formats a user can pick, with what they look like; None is ISO 8601.
DATE_FORMATS: Mapping[str | None, str] = MappingProxyType(
    {
        None: "ISO 8601: 2026-10-31, 2026-10-31 14:05 or 2026-10-31T14:05:00+00:00",
        "%Y-%m-%d %H:%M %z": "2026-10-31 14:05 +0000",
        "%m/%d/%Y %H:%M": "10/31/2026 14:05 (US)",
        "%m/%d/%Y %I:%M %p": "10/31/2026 2:05 PM (US)",
        "%m/%d/%Y": "10/31/2026 (US)",
        "%d/%m/%Y %H:%M": "31/10/2026 14:05 (UK, Europe)",
        "%d/%m/%Y": "31/10/2026 (UK, Europe)",
        "%d.%m.%Y %H:%M": "31.10.2026 14:05",
        "%d.%m.%Y": "31.10.2026",
        "%b %d, %Y": "Oct 31, 2026",
        "%a, %b %d, %Y": "Fri, Oct 31, 2026",
    }
)
MAX_TEXT = 10_000  # a caption longer than any platform allows is cut, not stored whole
_EARLIEST, _LATEST = 2000, 2100

# Headers the platforms' exports use for the non-metric fields, most specific first.
_INFO_HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "x": {
        "post_id": ("Tweet id", "Post id"),
        "post_url": ("Tweet permalink", "Post Link"),
        "published_at": ("time", "Date"),
        "caption": ("Tweet text", "Post text"),
    },
    "instagram": {
        "post_id": ("Post ID",),
        "post_url": ("Permalink",),
        "published_at": ("Publish time",),
        "caption": ("Description",),
    },
    "facebook": {
        "post_id": ("Post ID",),
        "post_url": ("Permalink",),
        "published_at": ("Publish time",),
        "caption": ("Description", "Title"),
    },
    "linkedin": {
        "post_url": ("Post link",),
        "published_at": ("Created date",),
        "caption": ("Post title",),
        "campaign": ("Campaign name",),
    },
    "threads": {"post_id": ("Post ID",), "post_url": ("Permalink",)},
    "bluesky": {"post_id": ("URI", "CID"), "post_url": ("URL",)},
    "mastodon": {"post_id": ("Status ID",), "post_url": ("URL",)},
    "tiktok": {
        "post_id": ("Video ID",),
        "post_url": ("Video link",),
        "published_at": ("Post time",),
        "caption": ("Video title",),
    },
    "pinterest": {"post_id": ("Pin ID",), "post_url": ("Pin URL", "Pin link")},
    "youtube": {
        "post_id": ("Content", "Video ID"),
        "published_at": ("Video publish time",),
        "caption": ("Video title",),
    },
}
_GENERIC_HEADERS: dict[str, tuple[str, ...]] = {
    "post_id": ("post id", "post_id", "id", "external id", "content id"),
    "post_url": ("post url", "permalink", "url", "link", "post link"),
    "published_at": (
        "published at",
        "published",
        "publish time",
        "publish date",
        "posted",
        "post time",
        "created at",
        "date",
    ),
    "snapshot_date": ("snapshot date", "export date", "as of", "data as of"),
    "caption": ("caption", "text", "message", "description", "title"),
    "campaign": ("campaign", "campaign name"),
    **{key: (key, metric(key).label) for key in POST_METRICS},
}


class MappingError(ValueError):
    """A column mapping that cannot be used; the message names the problem."""


def normalise_header(header: str) -> str:
    """Return a header as compared: no BOM or quotes, case-folded, '_'/'-' as single spaces."""
    text = header.replace("\ufeff", "").strip().strip('"').strip()
    return " ".join(re.split(r"[\s_\-]+", text.casefold())).strip()


def known_headers(platform: str) -> dict[str, tuple[str, ...]]:
    """Return each field's header names in ``platform``'s exports, most specific first."""
    if platform not in PLATFORM_FIELDS:
        raise MappingError(f"unknown platform {platform!r}")
    result: dict[str, tuple[str, ...]] = {}
    specific = _INFO_HEADERS.get(platform, {})
    metrics = PLATFORM_FIELDS[platform]
    for name in FIELDS:
        own = specific.get(name, ()) + (metrics[name].csv_headers if name in metrics else ())
        seen: dict[str, str] = {}
        for header in own + _GENERIC_HEADERS.get(name, ()):
            seen.setdefault(normalise_header(header), header)
        result[name] = tuple(seen.values())
    return result


@dataclass(frozen=True)
class ColumnMapping:
    """Which CSV header feeds which field, and how the file writes dates."""

    platform: str
    columns: Mapping[str, str]  # field (see FIELDS) -> header as written in the file
    date_format: str | None = None  # a strptime format; None reads ISO 8601

    def __post_init__(self) -> None:
        if self.platform not in PLATFORM_FIELDS:
            raise MappingError(
                f"unknown platform {self.platform!r} (known: {', '.join(PLATFORM_FIELDS)})"
            )
        unknown = sorted(set(self.columns) - set(FIELDS))
        if unknown:
            raise MappingError(
                f"unknown field(s) {', '.join(map(repr, unknown))}; fields are {', '.join(FIELDS)}"
            )
        columns = {}
        for name, header in self.columns.items():
            if not isinstance(header, str) or not header.strip():
                raise MappingError(f"the column for {FIELD_LABELS[name]} is empty")
            columns[name] = header.strip()
        object.__setattr__(self, "columns", MappingProxyType(columns))
        if self.date_format is not None and "%" not in self.date_format:
            raise MappingError(f"{self.date_format!r} is not a date format like '%d/%m/%Y'")

    @property
    def metrics(self) -> tuple[str, ...]:
        """Return the mapped metrics, in Plume's order."""
        return tuple(key for key in POST_METRICS if key in self.columns)

    def problems(self) -> list[str]:
        """Return what the mapping lacks to import anything (empty when usable)."""
        missing = []
        if "post_id" not in self.columns and "post_url" not in self.columns:
            missing.append("a Post ID or Post URL column")
        if "published_at" not in self.columns:
            missing.append("a Published at column")
        if not self.metrics:
            missing.append("at least one metric column")
        return missing

    def to_dict(self) -> dict[str, Any]:
        """Return the mapping as JSON-ready data, to remember it per platform."""
        return {
            "platform": self.platform,
            "columns": dict(self.columns),
            "date_format": self.date_format,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnMapping:
        """Return the mapping :meth:`to_dict` stored, or raise :class:`MappingError`."""
        try:
            return cls(str(data["platform"]), dict(data["columns"]), data.get("date_format"))
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, MappingError):
                raise
            raise MappingError(f"not a stored column mapping: {error}") from None


def suggest_mapping(
    headers: Iterable[str], platform: str, *, date_format: str | None = None
) -> ColumnMapping:
    """Return a mapping of every field whose known header appears in ``headers``.

    Headers match ignoring case, spacing, '_' and '-'. The result may be incomplete
    (see :meth:`ColumnMapping.problems`): the user finishes it by hand.
    """
    present: dict[str, str] = {}
    for header in headers:
        present.setdefault(normalise_header(header), header.replace("\ufeff", "").strip())
    columns = {}
    for name, candidates in known_headers(platform).items():
        for candidate in candidates:
            found = present.get(normalise_header(candidate))
            if found is not None:
                columns[name] = found
                break
    return ColumnMapping(platform, columns, date_format)


def guess_date_formats(values: Iterable[str]) -> list[str | None]:
    """Return the :data:`DATE_FORMATS` that read every sample value, ISO first.

    One format means the choice is clear; several (31/10 or 10/31?) mean the user picks.
    """
    samples = [v.strip() for v in values if v and v.strip()]
    if not samples:
        return []
    fitting = []
    for candidate in DATE_FORMATS:
        reader = _DateReader(candidate, UTC)
        if all(reader.read(sample) is not None for sample in samples):
            fitting.append(candidate)
    return fitting


class ImportedRow(NamedTuple):
    """One good CSV row: a post's cumulative metrics on one snapshot date."""

    # A NamedTuple rather than a frozen dataclass: built a million times per big import,
    # and four times cheaper to create.
    line: int
    platform: str
    external_id: str | None
    post_url: str | None
    published_at: datetime  # aware, UTC
    snapshot_date: date
    metrics: Mapping[str, int]  # only the columns present and filled in
    caption: str | None = None
    campaign: str | None = None

    @property
    def key(self) -> tuple[str, str, date]:
        """Return the natural key to upsert on: (platform, 'id:…' or 'url:…', snapshot)."""
        if self.external_id:
            return (self.platform, "id:" + self.external_id, self.snapshot_date)
        return (self.platform, "url:" + (self.post_url or ""), self.snapshot_date)


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with one row (or, if ``fatal``, with the whole file) and where it is."""

    line: int
    column: str | None
    message: str
    fatal: bool = False


def normalise_url(url: str) -> str:
    """Return a post URL as keyed: lower-case scheme and host, no query, fragment or '/' end."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return url.strip()
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


def check_headers(headers: Iterable[str], mapping: ColumnMapping) -> RowError | None:
    """Return a fatal error listing expected and found columns, or None if all are there."""
    found = [h.replace("\ufeff", "").strip() for h in headers]
    problems = mapping.problems()
    if problems:
        return RowError(1, None, f"The column mapping needs {', '.join(problems)}.", fatal=True)
    normalised = {normalise_header(h) for h in found}
    missing = [
        (name, header)
        for name, header in mapping.columns.items()
        if normalise_header(header) not in normalised
    ]
    if not missing:
        return None
    expected = ", ".join(f"{h!r}" for h in mapping.columns.values())
    lacking = ", ".join(f"{header!r} ({FIELD_LABELS[name]})" for name, header in missing)
    shown = ", ".join(repr(h) for h in found[:40]) or "no columns"
    if len(found) > 40:
        shown += f" and {len(found) - 40} more"
    return RowError(
        1,
        None,
        f"This file does not have the columns the {mapping.platform} mapping expects. "
        f"Missing: {lacking}. Expected: {expected}. Found: {shown}.",
        fatal=True,
    )


class _DateReader:
    """Parse one column's dates, caching recent values: exports repeat the same dates."""

    __slots__ = ("_cache", "_format", "_tz")

    def __init__(self, date_format: str | None, tz: tzinfo) -> None:
        self._format = date_format
        self._tz = tz
        self._cache: dict[str, datetime | None] = {}

    def read(self, text: str) -> datetime | None:
        cached = self._cache.get(text, False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        value = self._parse(text)
        if len(self._cache) >= 4096:  # bounded: a file of unique timestamps stays small
            self._cache.clear()
        self._cache[text] = value
        return value

    def _parse(self, text: str) -> datetime | None:
        value: datetime | None = None
        if self._format is None:
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                for fallback in ("%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M:%S %z"):
                    try:
                        value = datetime.strptime(text, fallback)
                        break
                    except ValueError:
                        continue
        else:
            try:
                value = datetime.strptime(text, self._format)
            except ValueError:
                value = None
        if value is None or not _EARLIEST <= value.year <= _LATEST:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self._tz)
        return value.astimezone(UTC)


def _describe(date_format: str | None) -> str:
    return DATE_FORMATS.get(date_format) or date_format or "ISO 8601"


_THOUSANDS = str.maketrans("", "", ", \u00a0\u202f_'")  # 1,234 / 1 234 / 1'234


def _count(text: str) -> int | str:
    """Return a whole non-negative number, or the message saying why ``text`` is not one."""
    if text.isdecimal() and text.isascii():
        return int(text)
    cleaned = text.translate(_THOUSANDS)
    if cleaned.isdecimal() and cleaned.isascii():
        return int(cleaned)
    try:
        number = float(cleaned)
    except ValueError:
        return f"{text[:40]!r} is not a number"
    if number != number or number in (float("inf"), float("-inf")):
        return f"{text[:40]!r} is not a number"
    if number < 0:
        return f"{text[:40]!r} is negative; counts cannot be below 0"
    if not number.is_integer():
        return f"{text[:40]!r} is not a whole number"
    return int(number)


class _SeenKeys:
    """Remember row keys to spot duplicates in 20-40 bytes a key, not a Python set's 150.

    Keys are stored as 64-bit hashes in an open-addressing table; two different keys
    sharing a hash (odds about 1 in 30 million for a million rows) would be reported as a
    duplicate. The first line of each key is kept for the error message.
    """

    __slots__ = ("_hashes", "_lines", "_mask", "_used")

    def __init__(self) -> None:
        self._mask = 1023
        self._hashes = array("q", bytes(8 * 1024))
        self._lines = array("I", bytes(4 * 1024))
        self._used = 0

    def add(self, key: object, line: int) -> int:
        """Record ``key`` first seen on ``line``; return the earlier line, or 0 if new."""
        h = hash(key) or 1  # 0 marks an empty slot
        hashes, mask = self._hashes, self._mask
        i = h & mask
        while True:
            held = hashes[i]
            if held == 0:
                hashes[i] = h
                self._lines[i] = line
                self._used += 1
                if self._used * 3 > mask * 2:
                    self._grow()
                return 0
            if held == h:
                return self._lines[i]
            i = (i + 1) & mask

    def _grow(self) -> None:
        old_hashes, old_lines = self._hashes, self._lines
        size = (self._mask + 1) * 2
        self._mask = size - 1
        self._hashes = array("q", bytes(8 * size))
        self._lines = array("I", bytes(4 * size))
        for h, line in zip(old_hashes, old_lines, strict=True):
            if h:
                i = h & self._mask
                while self._hashes[i]:
                    i = (i + 1) & self._mask
                self._hashes[i] = h
                self._lines[i] = line


def iter_rows(
    stream: TextIO | Iterable[str],
    mapping: ColumnMapping,
    *,
    tz: str | tzinfo,
    snapshot_date: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    progress_every: int = 10_000,
    delimiter: str = ",",
    max_errors: int | None = None,
) -> Iterator[ImportedRow | RowError]:
    """Yield an :class:`ImportedRow` per good row and a :class:`RowError` per problem.

    ``stream`` is a text file opened with ``newline=""`` (or any iterable of lines); it is
    read one row at a time. Wrong columns give one fatal error first and nothing else.
    Dates without an offset are read in ``tz`` (the zone the export was written in).
    Without a snapshot-date column every row takes ``snapshot_date`` (the day the export
    was made), which is required then. ``progress(rows_read, errors)`` is called every
    ``progress_every`` rows and at the end. After ``max_errors`` errors a fatal error
    stops the import. A row with several problems yields one error per problem.
    """
    zone_info = zone(tz)
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        yield RowError(1, None, "The file is empty: it has no header row.", fatal=True)
        return
    except csv.Error as error:
        yield RowError(1, None, f"The header row cannot be read as CSV: {error}.", fatal=True)
        return
    problem = check_headers(headers, mapping)
    if problem is not None:
        yield problem
        return
    if "snapshot_date" not in mapping.columns and snapshot_date is None:
        yield RowError(
            1,
            None,
            "The file has no snapshot date column: say on which day the export was made.",
            fatal=True,
        )
        return
    index = {normalise_header(h): i for i, h in reversed(list(enumerate(headers)))}
    width = len(headers)

    def column(name: str) -> int:
        # An unmapped field reads the empty cell every row is padded with at ``width``.
        header = mapping.columns.get(name)
        return width if header is None else index[normalise_header(header)]

    # In the file's column order, so a row's errors read left to right.
    metric_columns = tuple(
        sorted(
            ((key, mapping.columns[key], column(key)) for key in mapping.metrics),
            key=lambda item: item[2],
        )
    )
    id_at, url_at = column("post_id"), column("post_url")
    published_at = column("published_at")
    snapshot_at = column("snapshot_date") if "snapshot_date" in mapping.columns else None
    caption_at, campaign_at = column("caption"), column("campaign")
    published_header = mapping.columns["published_at"]
    date_help = _describe(mapping.date_format)
    dates = _DateReader(mapping.date_format, zone_info)
    snapshots = _DateReader(None, zone_info)
    seen = _SeenKeys()
    platform = mapping.platform
    rows_read = errors = 0
    last_report = (0, 0)
    padded = width + 1

    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors += 1
            yield RowError(reader.line_num, None, f"This row cannot be read as CSV: {error}.")
            continue
        line = reader.line_num
        count = len(values)
        if count <= 1 and (not values or not values[0].strip()):
            continue  # blank lines are not rows
        rows_read += 1
        if progress is not None and rows_read % progress_every == 0:
            progress(rows_read, errors)
            last_report = (rows_read, errors)
        found: list[RowError] = []
        if count < padded:
            values.extend([""] * (padded - count))
        elif any(v.strip() for v in values[width:]):
            found.append(RowError(line, None, f"This row has {count} cells for {width} columns."))
        external_id = values[id_at].strip() or None
        raw_url = values[url_at].strip()
        post_url = normalise_url(raw_url) if raw_url else None
        if external_id is None and post_url is None:
            found.append(RowError(line, None, "This row has neither a post ID nor a post URL."))
        text = values[published_at].strip()
        moment = dates.read(text) if text else None
        if moment is None:
            message = (
                f"{text[:40]!r} is not a date in the format {date_help}."
                if text
                else "The publish date is empty."
            )
            found.append(RowError(line, published_header, message))
        if snapshot_at is not None:
            text = values[snapshot_at].strip()
            taken = snapshots.read(text) if text else None
            if taken is None:
                found.append(
                    RowError(
                        line,
                        mapping.columns["snapshot_date"],
                        f"{text[:40]!r} is not a date like 2026-10-31."
                        if text
                        else "The snapshot date is empty.",
                    )
                )
            day = taken.astimezone(zone_info).date() if taken is not None else None
        else:
            day = snapshot_date
        metrics: dict[str, int] = {}
        for key, header, at in metric_columns:
            text = values[at].strip()
            if not text:
                continue  # not reported: the upsert keeps what it had
            if text.isdecimal() and text.isascii():  # the common case, without a call
                metrics[key] = int(text)
                continue
            parsed = _count(text)
            if isinstance(parsed, str):
                found.append(RowError(line, header, parsed))
            else:
                metrics[key] = parsed
        if not found and moment is not None and day is not None:
            row = ImportedRow(
                line,
                platform,
                external_id,
                post_url,
                moment,
                day,
                metrics,
                values[caption_at].strip()[:MAX_TEXT] or None,
                values[campaign_at].strip()[:200] or None,
            )
            earlier = seen.add(row.key, line)
            if earlier:
                found.append(
                    RowError(
                        line,
                        None,
                        f"Same post and snapshot date as line {earlier}; this row is skipped.",
                    )
                )
            else:
                yield row
                continue
        for error in found:
            errors += 1
            yield error
            if max_errors is not None and errors >= max_errors:
                yield RowError(
                    line,
                    None,
                    f"Stopped after {errors:,} errors: fix the file or the mapping and "
                    "import it again (rows already imported stay as they are).",
                    fatal=True,
                )
                if progress is not None:
                    progress(rows_read, errors)
                return
    if progress is not None and last_report != (rows_read, errors):
        progress(rows_read, errors)
