"""Pure summaries over plain metric rows: KPIs, trends, breakdowns, rankings, heatmap.

Every function takes :class:`MetricRow` values (one per post: its latest snapshot) and the
brand's time zone, and returns plain data that the pages, the PDF report and the charts
share. Days, weeks, months and hours are the brand's local ones (``zoneinfo``), so a post
at 23:30 UTC on 31 October lands in November for a brand in Berlin.

Nothing here divides by zero: a rate without a denominator is ``None``, a period without
posts gives ``None`` values and deltas, and empty input gives empty lists.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from studio.analytics.metrics import (
    ENGAGEMENT_FIELDS,
    POST_METRICS,
    Metric,
    format_value,
    metric,
    platform_name,
    rate_denominator,
)
from studio.platforms.limits import PLATFORMS

__all__ = [
    "DEFAULT_KPIS",
    "GRANULARITIES",
    "MAX_PERIOD_DAYS",
    "WEEKDAYS",
    "WEEKDAY_ABBR",
    "Breakdown",
    "FollowerPoint",
    "Granularity",
    "Heatmap",
    "Kpi",
    "MetricRow",
    "Period",
    "PeriodError",
    "RankedPost",
    "best_time_heatmap",
    "bottom_posts",
    "bucket_start",
    "by_campaign",
    "by_platform",
    "filter_rows",
    "followers_trend",
    "kpis",
    "top_posts",
    "totals",
    "trend",
    "trends_by_platform",
    "zone",
]

Granularity = Literal["day", "week", "month"]
GRANULARITIES: tuple[str, ...] = ("day", "week", "month")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Five years of days is more than any report shows, and bounds the work a URL can ask for.
MAX_PERIOD_DAYS = 1830
DEFAULT_KPIS = (
    "posts",
    "impressions",
    "reach",
    "engagements",
    "engagement_rate",
    "likes",
    "comments",
    "shares",
    "saves",
    "link_clicks",
    "video_views",
)
NO_CAMPAIGN = "No campaign"
MINUS = "\u2212"  # a true minus sign: same width as '+', and read aloud as "minus"


def zone(tz: str | tzinfo) -> tzinfo:
    """Return ``tz`` as a tzinfo, looking names up in the IANA database."""
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise PeriodError(
            f"unknown time zone {tz!r}; use an IANA name like 'Europe/London'"
        ) from None


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One published post's metrics (its latest snapshot), as the summaries read them."""

    post_id: int | str
    platform: str
    published_at: datetime  # aware; any zone, compared as an instant
    campaign: str | None = None
    labels: tuple[str, ...] = ()
    impressions: int = 0
    reach: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    saves: int = 0
    link_clicks: int = 0
    video_views: int = 0

    def __post_init__(self) -> None:
        if self.published_at.tzinfo is None or self.published_at.utcoffset() is None:
            raise ValueError(f"post {self.post_id!r}: published_at must be timezone-aware")
        if not isinstance(self.labels, tuple):
            object.__setattr__(self, "labels", tuple(self.labels))

    @property
    def engagements(self) -> int:
        """Return likes + comments + shares + saves + link clicks."""
        return self.likes + self.comments + self.shares + self.saves + self.link_clicks

    @property
    def engagement_rate(self) -> float | None:
        """Return engagements / (reach or impressions), or None without either."""
        denominator = rate_denominator(self.reach, self.impressions)
        return self.engagements / denominator if denominator > 0 else None

    def value(self, key: str) -> float | None:
        """Return this post's value of metric ``key`` ('posts' is 1)."""
        if key == "engagement_rate":
            return self.engagement_rate
        if key == "engagements":
            return self.engagements
        if key == "posts":
            return 1
        if key in POST_METRICS:
            return getattr(self, key)
        raise ValueError(f"{key!r} is not a per-post metric")


class FollowerPoint(NamedTuple):
    """A channel's follower count at the end of one day."""

    platform: str
    day: date
    followers: int


# ---------------------------------------------------------------------------------------
# Periods


class PeriodError(ValueError):
    """A period that cannot be read or used; the message says what to write instead."""


_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR = re.compile(r"\d{4}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_FORMS = "write a period as 2026-10 (a month), 2026 (a year) or 2026-10-01..2026-10-31"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """An inclusive range of the brand's local days: a month, a year or any range."""

    start: date
    end: date
    tz: tzinfo
    kind: Literal["month", "year", "range"] = "range"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(
                f"the period ends ({self.end.isoformat()}) before it starts "
                f"({self.start.isoformat()})"
            )
        length = (self.end - self.start).days + 1
        if length > MAX_PERIOD_DAYS:
            raise PeriodError(
                f"the period is {length:,} days long; at most {MAX_PERIOD_DAYS:,} are allowed"
            )

    @classmethod
    def month(cls, year: int, month: int, tz: str | tzinfo) -> Period:
        """Return the calendar month ``year``-``month`` in zone ``tz``."""
        if not 1 <= month <= 12:
            raise PeriodError(f"month {month} does not exist: months run from 1 to 12")
        if not 1 <= year <= 9998:
            raise PeriodError(f"year {year} is out of range")
        last = calendar.monthrange(year, month)[1]
        return cls(date(year, month, 1), date(year, month, last), zone(tz), "month")

    @classmethod
    def year(cls, year: int, tz: str | tzinfo) -> Period:
        """Return the calendar year ``year`` in zone ``tz``."""
        if not 1 <= year <= 9998:
            raise PeriodError(f"year {year} is out of range")
        return cls(date(year, 1, 1), date(year, 12, 31), zone(tz), "year")

    @classmethod
    def between(cls, start: date, end: date, tz: str | tzinfo) -> Period:
        """Return the days from ``start`` to ``end``, both included, in zone ``tz``."""
        return cls(start, end, zone(tz), "range")

    @classmethod
    def parse(cls, text: str, tz: str | tzinfo) -> Period:
        """Read '2026-10', '2026' or '2026-10-01..2026-10-31' (as :meth:`__str__` writes)."""
        if not isinstance(text, str) or not text.strip():
            raise PeriodError(f"the period is empty; {_FORMS}")
        value = text.strip()
        if ".." in value:
            first, _, last = value.partition("..")
            start = cls._parse_day(first.strip(), "start")
            end = cls._parse_day(last.strip(), "end")
            return cls.between(start, end, tz)
        if match := _MONTH.fullmatch(value):
            return cls.month(int(match[1]), int(match[2]), tz)
        if _YEAR.fullmatch(value):
            return cls.year(int(value), tz)
        if _DAY.fullmatch(value):
            day = cls._parse_day(value, "day")
            return cls.between(day, day, tz)
        raise PeriodError(f"{value[:40]!r} is not a period; {_FORMS}")

    @staticmethod
    def _parse_day(value: str, which: str) -> date:
        if not _DAY.fullmatch(value):
            raise PeriodError(f"the {which} {value[:40]!r} is not a date like 2026-10-31")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PeriodError(f"the {which} {value!r} is not a real date") from None

    def previous(self) -> Period:
        """Return the period just before: the previous month or year, or as many days."""
        if self.kind == "month":
            first = _add_months(self.start, -1)
            return Period.month(first.year, first.month, self.tz)
        if self.kind == "year":
            return Period.year(self.start.year - 1, self.tz)
        length = self.end - self.start
        end = self.start - timedelta(days=1)
        return Period(end - length, end, self.tz, "range")

    @property
    def days(self) -> int:
        """Return how many days the period has."""
        return (self.end - self.start).days + 1

    @property
    def start_utc(self) -> datetime:
        """Return the first instant of the period (local midnight) in UTC."""
        return _local_midnight(self.start, self.tz)

    @property
    def end_utc(self) -> datetime:
        """Return the first instant after the period (exclusive bound) in UTC."""
        return _local_midnight(self.end + timedelta(days=1), self.tz)

    def contains(self, moment: datetime) -> bool:
        """Return True when the aware ``moment`` falls on one of the period's local days."""
        return self.start <= moment.astimezone(self.tz).date() <= self.end

    @property
    def label(self) -> str:
        """Return a heading: 'October 2026', '2026' or '1 Oct 2026 to 31 Oct 2026' (en dash)."""
        if self.kind == "month":
            return f"{calendar.month_name[self.start.month]} {self.start.year}"
        if self.kind == "year":
            return str(self.start.year)
        if self.start == self.end:
            return _day_label(self.start)
        return f"{_day_label(self.start)} \u2013 {_day_label(self.end)}"

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.kind == "year":
            return f"{self.start.year:04d}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def _day_label(day: date) -> str:
    return f"{day.day} {calendar.month_abbr[day.month]} {day.year}"


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    # A midnight that DST skips (fold=0 reads it with the offset before the gap) lands on the
    # first instant after the gap, which is still the first instant of that local day.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


# ---------------------------------------------------------------------------------------
# Aggregation


def totals(rows: Iterable[MetricRow]) -> dict[str, float | None]:
    """Return posts, each post metric summed, engagements, and the group engagement rate."""
    sums = dict.fromkeys(POST_METRICS, 0)
    posts = 0
    rated_engagements = 0
    denominators = 0
    for row in rows:
        posts += 1
        for key in POST_METRICS:
            sums[key] += getattr(row, key)
        denominator = rate_denominator(row.reach, row.impressions)
        if denominator > 0:
            rated_engagements += row.engagements
            denominators += denominator
    result: dict[str, float | None] = {"posts": posts, **sums}
    result["engagements"] = sum(sums[key] for key in ENGAGEMENT_FIELDS)
    result["engagement_rate"] = rated_engagements / denominators if denominators else None
    return result


def _aggregate(rows: Sequence[MetricRow], key: str) -> float | None:
    if key == "posts":
        return len(rows)
    return totals(rows)[key]


def filter_rows(
    rows: Iterable[MetricRow],
    *,
    period: Period | None = None,
    platforms: Iterable[str] | None = None,
    campaigns: Iterable[str | None] | None = None,
    labels: Iterable[str] | None = None,
) -> list[MetricRow]:
    """Return the rows matching every given filter (a label filter matches any label)."""
    wanted_platforms = set(platforms) if platforms is not None else None
    wanted_campaigns = set(campaigns) if campaigns is not None else None
    wanted_labels = set(labels) if labels is not None else None
    kept = []
    for row in rows:
        if period is not None and not period.contains(row.published_at):
            continue
        if wanted_platforms is not None and row.platform not in wanted_platforms:
            continue
        if wanted_campaigns is not None and row.campaign not in wanted_campaigns:
            continue
        if wanted_labels is not None and wanted_labels.isdisjoint(row.labels):
            continue
        kept.append(row)
    return kept


# ---------------------------------------------------------------------------------------
# KPIs


@dataclass(frozen=True, slots=True)
class Kpi:
    """A metric's value in a period beside the previous period's, with the change."""

    metric: Metric
    value: float | None
    previous: float | None
    delta_abs: float | None
    delta_pct: float | None  # a ratio: 0.25 means +25 %; None when previous is 0 or absent

    @property
    def direction(self) -> Literal["up", "down", "flat"] | None:
        """Return which way the value moved, or None without both values."""
        if self.delta_abs is None:
            return None
        if self.delta_abs > 0:
            return "up"
        return "down" if self.delta_abs < 0 else "flat"

    @property
    def improved(self) -> bool | None:
        """Return True if the change is good for this metric, False if bad, else None."""
        if self.direction in (None, "flat"):
            return None
        return (self.direction == "up") == self.metric.higher_is_better

    @property
    def value_label(self) -> str:
        """Return the value formatted for the UI and report ('—' without data)."""
        return format_value(self.value, self.metric.unit)

    @property
    def previous_label(self) -> str:
        """Return the previous value formatted ('—' without data)."""
        return format_value(self.previous, self.metric.unit)

    @property
    def delta_label(self) -> str:
        """Return the change: '+12.5 %', minus-signed '3 %', '+0.4 pts' for rates, or '—'."""
        if self.metric.is_ratio:
            if self.delta_abs is None:
                return "—"
            return f"{_signed(self.delta_abs * 100, 1)} pts"
        if self.delta_pct is None:
            if self.delta_abs is None:
                return "—"
            return _signed(self.delta_abs, 0)
        return f"{_signed(self.delta_pct * 100, 1)} %"


def _signed(value: float, digits: int) -> str:
    text = f"{abs(value):,.{digits}f}"
    if float(text.replace(",", "")) == 0:
        return "±" + text
    return ("+" if value > 0 else MINUS) + text


def _change(value: float | None, previous: float | None) -> tuple[float | None, float | None]:
    if value is None or previous is None:
        return None, None
    delta = value - previous
    return delta, (delta / previous if previous else None)


def _last_followers(points: Iterable[FollowerPoint], period: Period) -> float | None:
    latest: dict[str, tuple[date, int]] = {}
    for point in points:
        if period.start <= point.day <= period.end:
            held = latest.get(point.platform)
            if held is None or point.day >= held[0]:
                latest[point.platform] = (point.day, point.followers)
    if not latest:
        return None
    return sum(count for _, count in latest.values())


def kpis(
    rows: Iterable[MetricRow],
    period: Period,
    previous_period: Period | None = None,
    *,
    metrics: Sequence[str] = DEFAULT_KPIS,
    followers: Iterable[FollowerPoint] | None = None,
) -> list[Kpi]:
    """Return each metric for posts published in ``period`` against ``previous_period``.

    ``previous_period`` defaults to ``period.previous()``. A period without posts gives None
    (not 0) for every post metric except 'posts'. Pass ``followers`` points to add a
    followers KPI: each channel's last count in the period, added across channels.
    """
    before = previous_period if previous_period is not None else period.previous()
    current_rows: list[MetricRow] = []
    previous_rows: list[MetricRow] = []
    for row in rows:
        if period.contains(row.published_at):
            current_rows.append(row)
        elif before.contains(row.published_at):
            previous_rows.append(row)
    now_totals = totals(current_rows)
    then_totals = totals(previous_rows)
    result = []
    for key in metrics:
        definition = metric(key)
        if key == "followers":
            continue
        value = now_totals[key] if current_rows or key == "posts" else None
        previous = then_totals[key] if previous_rows or key == "posts" else None
        result.append(Kpi(definition, value, previous, *_change(value, previous)))
    if followers is not None:
        points = list(followers)
        value = _last_followers(points, period)
        previous = _last_followers(points, before)
        result.append(Kpi(metric("followers"), value, previous, *_change(value, previous)))
    return result


# ---------------------------------------------------------------------------------------
# Trends


def bucket_start(day: date, granularity: str) -> date:
    """Return the first day of ``day``'s bucket: the day, its Monday, or the 1st."""
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}, not {granularity!r}")


def _next_bucket(day: date, granularity: str) -> date:
    if granularity == "day":
        return day + timedelta(days=1)
    if granularity == "week":
        return day + timedelta(days=7)
    return _add_months(day, 1)


def _buckets(first: date, last: date, granularity: str) -> list[date]:
    current = bucket_start(first, granularity)
    end = bucket_start(last, granularity)
    result = []
    while current <= end:
        result.append(current)
        current = _next_bucket(current, granularity)
    return result


def _check_trend_metric(key: str) -> None:
    metric(key)
    if key == "followers":
        raise ValueError("followers are per channel per day: use followers_trend()")


def _grouped(
    rows: Iterable[MetricRow], granularity: str, tz: tzinfo, period: Period | None
) -> dict[date, list[MetricRow]]:
    groups: dict[date, list[MetricRow]] = defaultdict(list)
    for row in rows:
        local = row.published_at.astimezone(tz).date()
        if period is not None and not period.start <= local <= period.end:
            continue
        groups[bucket_start(local, granularity)].append(row)
    return groups


def _series(
    groups: dict[date, list[MetricRow]], buckets: list[date], key: str
) -> list[tuple[date, float | None]]:
    empty = None if key == "engagement_rate" else 0
    return [
        (bucket, _aggregate(groups[bucket], key) if bucket in groups else empty)
        for bucket in buckets
    ]


def trend(
    rows: Iterable[MetricRow],
    metric_key: str,
    granularity: Granularity,
    tz: str | tzinfo,
    *,
    period: Period | None = None,
) -> list[tuple[date, float | None]]:
    """Return (bucket's first local day, value) for every bucket, oldest first.

    With ``period`` every bucket it touches is listed (empty ones as 0, or None for the
    engagement rate) and posts outside it are left out; without it the buckets run from the
    first post to the last. Weeks start on Monday.
    """
    _check_trend_metric(metric_key)
    bucket_start(date(2000, 1, 1), granularity)  # validates the granularity up front
    tz = zone(tz)
    groups = _grouped(rows, granularity, tz, period)
    if period is not None:
        buckets = _buckets(period.start, period.end, granularity)
    elif groups:
        buckets = _buckets(min(groups), max(groups), granularity)
    else:
        return []
    return _series(groups, buckets, metric_key)


def trends_by_platform(
    rows: Iterable[MetricRow],
    metric_key: str,
    granularity: Granularity,
    tz: str | tzinfo,
    *,
    period: Period | None = None,
) -> dict[str, list[tuple[date, float | None]]]:
    """Return :func:`trend` per platform, all on the same buckets, in platform order."""
    _check_trend_metric(metric_key)
    bucket_start(date(2000, 1, 1), granularity)
    tz = zone(tz)
    rows = list(rows)
    everything = _grouped(rows, granularity, tz, period)
    if period is not None:
        buckets = _buckets(period.start, period.end, granularity)
    elif everything:
        buckets = _buckets(min(everything), max(everything), granularity)
    else:
        return {}
    per_platform: dict[str, list[MetricRow]] = defaultdict(list)
    for row in rows:
        per_platform[row.platform].append(row)
    return {
        platform: _series(
            _grouped(per_platform[platform], granularity, tz, period), buckets, metric_key
        )
        for platform in _platform_order(per_platform)
    }


def _platform_order(platforms: Iterable[str]) -> list[str]:
    known = list(PLATFORMS)
    return sorted(platforms, key=lambda p: (known.index(p) if p in known else len(known), p))


def followers_trend(
    points: Iterable[FollowerPoint],
    granularity: Granularity,
    *,
    period: Period | None = None,
    platform: str | None = None,
) -> list[tuple[date, int | None]]:
    """Return (bucket, followers at the bucket's last known day, summed over channels).

    A channel with no count in a bucket carries its last earlier count forward, so a missed
    collection day does not show as a drop. Buckets before any count are None.
    """
    bucket_start(date(2000, 1, 1), granularity)
    chosen = sorted(
        (p for p in points if platform is None or p.platform == platform),
        key=lambda p: (p.day, p.platform),
    )
    if period is not None:
        buckets = _buckets(period.start, period.end, granularity)
        last_day = period.end
    elif chosen:
        buckets = _buckets(chosen[0].day, chosen[-1].day, granularity)
        last_day = chosen[-1].day
    else:
        return []
    result: list[tuple[date, int | None]] = []
    latest: dict[str, int] = {}
    index = 0
    for bucket in buckets:
        bucket_end = min(_next_bucket(bucket, granularity) - timedelta(days=1), last_day)
        while index < len(chosen) and chosen[index].day <= bucket_end:
            latest[chosen[index].platform] = chosen[index].followers
            index += 1
        result.append((bucket, sum(latest.values()) if latest else None))
    return result


# ---------------------------------------------------------------------------------------
# Breakdowns and rankings


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Totals for one group of posts: a platform or a campaign."""

    key: str | None  # platform slug or campaign name; None for posts without a campaign
    label: str
    totals: dict[str, float | None] = field(default_factory=dict)

    @property
    def posts(self) -> int:
        """Return how many posts the group has."""
        return int(self.totals.get("posts") or 0)

    @property
    def engagement_rate(self) -> float | None:
        """Return the group's engagement rate (None without reach or impressions)."""
        return self.totals.get("engagement_rate")

    def value(self, key: str) -> float | None:
        """Return the group's value of metric ``key``."""
        metric(key)
        return self.totals.get(key)


def by_platform(rows: Iterable[MetricRow]) -> list[Breakdown]:
    """Return one :class:`Breakdown` per platform with posts, in Plume's platform order."""
    groups: dict[str, list[MetricRow]] = defaultdict(list)
    for row in rows:
        groups[row.platform].append(row)
    return [
        Breakdown(platform, platform_name(platform), totals(groups[platform]))
        for platform in _platform_order(groups)
    ]


def by_campaign(rows: Iterable[MetricRow]) -> list[Breakdown]:
    """Return one :class:`Breakdown` per campaign, most engagements first, 'No campaign' last."""
    groups: dict[str | None, list[MetricRow]] = defaultdict(list)
    for row in rows:
        groups[row.campaign or None].append(row)
    named = [Breakdown(name, name, totals(members)) for name, members in groups.items() if name]
    named.sort(key=lambda b: (-(b.totals["engagements"] or 0), b.label.casefold(), b.label))
    if None in groups:
        named.append(Breakdown(None, NO_CAMPAIGN, totals(groups[None])))
    return named


@dataclass(frozen=True, slots=True)
class RankedPost:
    """A post's place in a ranking, with the value it was ranked by."""

    rank: int
    row: MetricRow
    value: float


def _id_key(post_id: int | str) -> tuple[int, int, str]:
    if isinstance(post_id, int):
        return (0, post_id, "")
    return (1, 0, str(post_id))


def _ranked(
    rows: Iterable[MetricRow], n: int, metric_key: str, best_first: bool
) -> list[RankedPost]:
    definition = metric(metric_key)
    if metric_key in ("posts", "followers"):
        raise ValueError(f"posts cannot be ranked by {definition.label.lower()}")
    if n <= 0:
        return []
    scored = []
    for row in rows:
        value = row.value(metric_key)
        if value is not None:  # a post without a rate is not the worst post
            scored.append((value, row))
    sign = -1 if best_first == definition.higher_is_better else 1
    # Ties: the earlier post first, then the post id, so the order never depends on input.
    scored.sort(key=lambda vr: (sign * vr[0], vr[1].published_at, _id_key(vr[1].post_id)))
    return [RankedPost(i + 1, row, value) for i, (value, row) in enumerate(scored[:n])]


def top_posts(
    rows: Iterable[MetricRow], n: int = 5, metric_key: str = "engagements"
) -> list[RankedPost]:
    """Return the ``n`` best posts by ``metric_key``; ties go to the earlier post, then id."""
    return _ranked(rows, n, metric_key, best_first=True)


def bottom_posts(
    rows: Iterable[MetricRow], n: int = 5, metric_key: str = "engagements"
) -> list[RankedPost]:
    """Return the ``n`` weakest posts by ``metric_key``, weakest first, ties as in top_posts."""
    return _ranked(rows, n, metric_key, best_first=False)


# ---------------------------------------------------------------------------------------
# Best time to post


@dataclass(frozen=True, slots=True)
class Heatmap:
    """Average engagement rate per local weekday (rows, Monday first) and hour (columns)."""

    values: tuple[tuple[float | None, ...], ...]  # 7 x 24; None where no post has a rate
    counts: tuple[tuple[int, ...], ...]  # 7 x 24 posts with a rate behind each average

    @property
    def is_empty(self) -> bool:
        """Return True when no cell has a value."""
        return not any(any(row) for row in self.counts)

    def with_min_posts(self, min_posts: int) -> Heatmap:
        """Return the heatmap with cells resting on fewer than ``min_posts`` posts blanked."""
        values = tuple(
            tuple(v if c >= min_posts else None for v, c in zip(vs, cs, strict=True))
            for vs, cs in zip(self.values, self.counts, strict=True)
        )
        counts = tuple(tuple(c if c >= min_posts else 0 for c in cs) for cs in self.counts)
        return Heatmap(values, counts)

    def best(self, n: int = 3, *, min_posts: int = 1) -> list[tuple[int, int, float]]:
        """Return up to ``n`` (weekday 0=Monday, hour, average) cells, best first."""
        cells = [
            (day, hour, value)
            for day, row in enumerate(self.values)
            for hour, value in enumerate(row)
            if value is not None and self.counts[day][hour] >= min_posts
        ]
        cells.sort(key=lambda c: (-c[2], c[0], c[1]))
        return cells[:n]


def best_time_heatmap(rows: Iterable[MetricRow], tz: str | tzinfo) -> Heatmap:
    """Return the mean engagement rate of posts by local weekday and hour of publishing."""
    tz = zone(tz)
    sums = [[0.0] * 24 for _ in range(7)]
    counts = [[0] * 24 for _ in range(7)]
    for row in rows:
        rate = row.engagement_rate
        if rate is None:
            continue
        local = row.published_at.astimezone(tz)
        sums[local.weekday()][local.hour] += rate
        counts[local.weekday()][local.hour] += 1
    values = tuple(
        tuple(sums[d][h] / counts[d][h] if counts[d][h] else None for h in range(24))
        for d in range(7)
    )
    return Heatmap(values, tuple(tuple(row) for row in counts))
