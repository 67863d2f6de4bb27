"""CSV import: mapping, validation with row-level errors, stable keys, streaming memory."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from studio.analytics import csvimport as ci

ROOT = Path(__file__).resolve().parents[3]
SNAPSHOT = date(2026, 11, 1)
INSTAGRAM_HEADERS = "Post ID,Permalink,Description,Publish time,Reach,Views,Likes,Comments,Saves"


def instagram_mapping(**overrides) -> ci.ColumnMapping:
    return ci.suggest_mapping(INSTAGRAM_HEADERS.split(","), "instagram", **overrides)


def run(text: str, mapping: ci.ColumnMapping | None = None, **options):
    options.setdefault("tz", "Europe/London")
    options.setdefault("snapshot_date", SNAPSHOT)
    items = list(
        ci.iter_rows(io.StringIO(text, newline=""), mapping or instagram_mapping(), **options)
    )
    rows = [i for i in items if isinstance(i, ci.ImportedRow)]
    errors = [i for i in items if isinstance(i, ci.RowError)]
    return rows, errors


GOOD = (
    INSTAGRAM_HEADERS + "\n"
    "1001,https://www.instagram.com/p/AAA/,First post,2026-10-01 09:00,1200,1800,90,4,7\n"
    '1002,https://www.instagram.com/p/BBB/,"Second, with comma",2026-10-02T18:30:00Z,'
    "800,950,40,,2\n"
)


# --- Mapping -----------------------------------------------------------------------------


def test_suggest_mapping_matches_headers_ignoring_case_spaces_and_underscores() -> None:
    headers = ["\ufeff POST_ID ", "publish  time", "REACH", "likes", "Saved", "Other"]
    mapping = ci.suggest_mapping(headers, "instagram")
    assert dict(mapping.columns) == {
        "post_id": "POST_ID",
        "published_at": "publish  time",
        "reach": "REACH",
        "likes": "likes",
        "saves": "Saved",
    }
    assert mapping.problems() == []


def test_suggest_mapping_reads_an_x_analytics_export() -> None:
    headers = [
        "Tweet id",
        "Tweet permalink",
        "Tweet text",
        "time",
        "impressions",
        "engagements",
        "engagement rate",
        "retweets",
        "replies",
        "likes",
        "user profile clicks",
        "url clicks",
        "media views",
    ]
    columns = ci.suggest_mapping(headers, "x").columns
    assert columns["post_id"] == "Tweet id"
    assert columns["post_url"] == "Tweet permalink"
    assert columns["published_at"] == "time"
    assert columns["shares"] == "retweets"
    assert columns["comments"] == "replies"
    assert columns["link_clicks"] == "url clicks"
    assert columns["video_views"] == "media views"
    assert "engagements" not in columns


def test_suggested_mapping_can_be_incomplete_and_says_what_it_lacks() -> None:
    mapping = ci.suggest_mapping(["Caption", "Something"], "linkedin")
    assert mapping.problems() == [
        "a Post ID or Post URL column",
        "a Published at column",
        "at least one metric column",
    ]


def test_mapping_round_trips_through_json_and_rejects_nonsense() -> None:
    mapping = instagram_mapping(date_format="%d/%m/%Y %H:%M")
    stored = json.loads(json.dumps(mapping.to_dict()))
    assert ci.ColumnMapping.from_dict(stored) == mapping
    with pytest.raises(ci.MappingError, match="unknown field"):
        ci.ColumnMapping("x", {"favourites": "Likes"})
    with pytest.raises(ci.MappingError, match="unknown platform"):
        ci.ColumnMapping("myspace", {})
    with pytest.raises(ci.MappingError, match="empty"):
        ci.ColumnMapping("x", {"likes": "  "})
    with pytest.raises(ci.MappingError, match="not a stored column mapping"):
        ci.ColumnMapping.from_dict({"columns": {}})
    with pytest.raises(ci.MappingError, match="not a date format"):
        ci.ColumnMapping("x", {"likes": "Likes"}, "dd/mm/yyyy")


def test_guess_date_formats_is_sure_only_when_the_samples_are() -> None:
    assert ci.guess_date_formats(["2026-10-31 14:05", "2026-11-01"]) == [None]
    assert ci.guess_date_formats(["31/10/2026 14:05"]) == ["%d/%m/%Y %H:%M"]
    both = ci.guess_date_formats(["10/11/2026 09:00"])
    assert set(both) == {"%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M"}
    assert ci.guess_date_formats(["next Tuesday"]) == []


# --- Good rows ---------------------------------------------------------------------------


def test_good_rows_are_imported_with_utc_times_and_only_reported_metrics() -> None:
    rows, errors = run(GOOD)
    assert errors == []
    first, second = rows
    assert first.line == 2 and first.external_id == "1001"
    assert first.post_url == "https://www.instagram.com/p/AAA"
    # A time without an offset is read in the export's zone: 09:00 BST is 08:00 UTC.
    assert first.published_at == datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    assert second.published_at == datetime(2026, 10, 2, 18, 30, tzinfo=UTC)
    assert first.metrics == {
        "impressions": 1800,
        "reach": 1200,
        "likes": 90,
        "comments": 4,
        "saves": 7,
    }
    assert "comments" not in second.metrics  # an empty cell is "not reported", not 0
    assert second.caption == "Second, with comma"
    assert first.snapshot_date == SNAPSHOT
    assert first.key == ("instagram", "id:1001", SNAPSHOT)


def test_an_explicit_date_format_and_thousands_separators() -> None:
    mapping = instagram_mapping(date_format="%m/%d/%Y %H:%M")
    text = INSTAGRAM_HEADERS + '\n7,,,10/31/2026 14:05,"12,345",1 200,3,0,0\n'
    rows, errors = run(text, mapping, tz="America/Chicago")
    assert errors == []
    assert rows[0].published_at == datetime(2026, 10, 31, 19, 5, tzinfo=UTC)
    assert rows[0].metrics["reach"] == 12345
    assert rows[0].metrics["impressions"] == 1200


def test_a_snapshot_date_column_overrides_the_argument() -> None:
    mapping = ci.ColumnMapping(
        "mastodon",
        {"post_url": "url", "published_at": "date", "snapshot_date": "as of", "likes": "favs"},
    )
    text = "url,date,as of,favs\nhttps://m.example/@a/1,2026-10-01,2026-10-05,3\n"
    rows, errors = run(text, mapping, snapshot_date=None)
    assert errors == []
    assert rows[0].snapshot_date == date(2026, 10, 5)
    assert rows[0].key == ("mastodon", "url:https://m.example/@a/1", date(2026, 10, 5))


def test_line_numbers_count_physical_lines_across_multiline_cells() -> None:
    text = (
        INSTAGRAM_HEADERS + "\n"
        '1,,"two\nline caption",2026-10-01,1,1,1,1,1\n'
        "2,,,not a date,1,1,1,1,1\n"
    )
    rows, errors = run(text)
    assert rows[0].caption == "two\nline caption"
    assert [(e.line, e.column) for e in errors] == [(4, "Publish time")]


def test_blank_lines_are_skipped_and_progress_is_reported() -> None:
    body = "".join(f"{i},,,2026-10-01,1,1,1,1,1\n\n" for i in range(25))
    calls: list[tuple[int, int]] = []
    rows, errors = run(
        INSTAGRAM_HEADERS + "\n" + body, progress=lambda *a: calls.append(a), progress_every=10
    )
    assert len(rows) == 25 and errors == []
    assert calls == [(10, 0), (20, 0), (25, 0)]


# --- Bad input ---------------------------------------------------------------------------


def test_wrong_columns_give_one_clear_error_listing_expected_and_found() -> None:
    text = "Post ID,Date,Likes\n1,2026-10-01,3\n"
    rows, errors = run(text)
    assert rows == [] and len(errors) == 1
    error = errors[0]
    assert error.fatal and error.line == 1
    assert "'Reach' (Reach)" in error.message and "'Publish time' (Published at)" in error.message
    assert "Expected:" in error.message and "Found: 'Post ID', 'Date', 'Likes'" in error.message


def test_an_unusable_mapping_and_an_empty_file_are_fatal() -> None:
    _, errors = run(GOOD, ci.ColumnMapping("x", {"likes": "Likes"}))
    assert errors[0].fatal and "Post ID or Post URL" in errors[0].message
    _, errors = run("")
    assert errors[0].fatal and "empty" in errors[0].message


def test_without_a_snapshot_date_the_import_asks_for_one() -> None:
    rows, errors = run(GOOD, snapshot_date=None)
    assert rows == [] and errors[0].fatal and "snapshot date" in errors[0].message


@pytest.mark.parametrize(
    "cells, column, message",
    [
        ("1,,,2026-13-45,1,1,1,1,1", "Publish time", "is not a date in the format ISO 8601"),
        ("1,,,,1,1,1,1,1", "Publish time", "publish date is empty"),
        ("1,,,1850-01-01,1,1,1,1,1", "Publish time", "is not a date"),
        ("1,,,2026-10-01,-5,1,1,1,1", "Reach", "is negative"),
        ("1,,,2026-10-01,1,lots,1,1,1", "Views", "is not a number"),
        ("1,,,2026-10-01,1,1,2.5,1,1", "Likes", "is not a whole number"),
        ("1,,,2026-10-01,1,1,1,1,nan", "Saves", "is not a number"),
        (",,,2026-10-01,1,1,1,1,1", None, "neither a post ID nor a post URL"),
        ("1,,,2026-10-01,1,1,1,1,1,surprise", None, "10 cells for 9 columns"),
    ],
)
def test_bad_cells_give_row_errors_naming_line_and_column(cells, column, message) -> None:
    text = INSTAGRAM_HEADERS + "\n" + cells + "\n2,,,2026-10-01,1,1,1,1,1\n"
    rows, errors = run(text)
    assert [r.external_id for r in rows] == ["2"]  # the good row still imports
    assert len(errors) == 1
    assert (errors[0].line, errors[0].column, errors[0].fatal) == (2, column, False)
    assert message in errors[0].message


def test_a_row_with_several_problems_reports_each() -> None:
    _, errors = run(INSTAGRAM_HEADERS + "\n1,,,soon,-1,x,1,1,1\n")
    assert [e.column for e in errors] == ["Publish time", "Reach", "Views"]


def test_a_giant_cell_is_one_row_error_and_the_import_goes_on() -> None:
    mapping = ci.suggest_mapping(["Post ID", "Publish time", "Likes"], "x")
    text = (
        "\ufeffPost ID,Publish time,Likes\n"
        "1,2026-10-01,3\n"
        f'2,2026-10-01,"{"x" * 200_000}"\n'
        "3,2026-10-01,4\n"
    )
    rows, errors = run(text, mapping)
    assert [r.external_id for r in rows] == ["1", "3"]
    assert errors[0].line == 3 and "cannot be read as CSV" in errors[0].message


def test_duplicate_keys_in_one_file_point_at_the_first_line() -> None:
    text = (
        INSTAGRAM_HEADERS + "\n"
        "1,,,2026-10-01,1,1,1,1,1\n"
        "2,,,2026-10-01,1,1,1,1,1\n"
        "1,,,2026-10-03,9,9,9,9,9\n"
    )
    rows, errors = run(text)
    assert [r.external_id for r in rows] == ["1", "2"]
    assert errors[0].line == 4 and "as line 2" in errors[0].message


def test_max_errors_stops_with_a_fatal_error() -> None:
    body = "".join(f"{i},,,bad,1,1,1,1,1\n" for i in range(10))
    _, errors = run(INSTAGRAM_HEADERS + "\n" + body, max_errors=3)
    assert len(errors) == 4 and errors[-1].fatal and "Stopped after 3 errors" in errors[-1].message


# --- Idempotence -------------------------------------------------------------------------


def test_importing_the_same_file_twice_gives_the_same_keys_and_values() -> None:
    first, _ = run(GOOD)
    second, _ = run(GOOD)
    assert first == second
    assert [r.key for r in first] == [r.key for r in second]
    assert len({r.key for r in first}) == 2


def test_url_keys_ignore_tracking_queries_case_of_host_and_trailing_slash() -> None:
    mapping = ci.ColumnMapping("instagram", {"post_url": "url", "published_at": "d", "likes": "l"})
    a, _ = run("url,d,l\nHTTPS://WWW.Instagram.com/p/AAA/?igsh=xyz,2026-10-01,1\n", mapping)
    b, _ = run("url,d,l\nhttps://www.instagram.com/p/AAA,2026-10-01,1\n", mapping)
    assert a[0].key == b[0].key
    assert a[0].key[1] == "url:https://www.instagram.com/p/AAA"


# --- Streaming ---------------------------------------------------------------------------


def synthetic_lines(count: int) -> Iterator[str]:
    """Yield a header and ``count`` distinct rows without building them all."""
    yield INSTAGRAM_HEADERS + "\r\n"
    tail = [
        f",,,2026-10-{d:02d} {d % 24:02d}:15,{d * 37},{d * 53},{d},{d % 7},{d % 3}\r\n"
        for d in range(1, 29)
    ]
    for i in range(count):
        yield str(i) + tail[i % 28]


def test_memory_kept_per_row_is_tiny_and_rows_are_not_held() -> None:
    mapping = instagram_mapping()

    def peak(count: int) -> int:
        tracemalloc.start()
        try:
            imported = 0
            for item in ci.iter_rows(
                synthetic_lines(count), mapping, tz="UTC", snapshot_date=SNAPSHOT
            ):
                imported += isinstance(item, ci.ImportedRow)
            assert imported == count
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(12_000)
    # Holding the rows would cost ~700 bytes each; the duplicate table costs under 60.
    assert (large - small) / 10_000 < 100
    assert large < 2_000_000


def test_a_million_rows_stream_through_in_bounded_memory() -> None:
    # A child process, so the peak resident size belongs to this import alone.
    script = textwrap.dedent(
        """
        import json, resource, sys
        from datetime import date
        sys.path.insert(0, sys.argv[1])
        from tests.unit.analytics.test_csvimport import instagram_mapping, synthetic_lines
        from studio.analytics.csvimport import ImportedRow, iter_rows

        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        calls = []
        rows = errors = 0
        for item in iter_rows(
            synthetic_lines(1_000_000), instagram_mapping(), tz="UTC",
            snapshot_date=date(2026, 11, 1), progress=lambda r, e: calls.append(r),
            progress_every=100_000,
        ):
            if isinstance(item, ImportedRow):
                rows += 1
            else:
                errors += 1
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"rows": rows, "errors": errors, "growth_kb": after - before,
                          "progress": calls}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["rows"] == 1_000_000 and result["errors"] == 0
    assert result["progress"][-1] == 1_000_000 and len(result["progress"]) == 10
    # The duplicate table peaks near 38 MB at a million keys; holding the rows would need
    # several hundred MB.
    assert result["growth_kb"] < 80_000, result
