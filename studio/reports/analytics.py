"""What a brand's analytics show for a period and filters: one summary for page and PDF.

:func:`summarise` reads the rows once and hands back KPIs with deltas, trends, rankings,
the best-time heatmap, breakdowns and the six charts (SVG plus their table alternatives).
The analytics page and the PDF report both draw from it, so they always agree.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from studio.analytics import charts
from studio.analytics.metrics import (
    METRICS,
    RATIO,
    Metric,
    format_value,
    metric,
    platform_name,
)
from studio.analytics.summary import (
    DEFAULT_KPIS,
    WEEKDAYS,
    Breakdown,
    FollowerPoint,
    Heatmap,
    Kpi,
    MetricRow,
    Period,
    PeriodError,
    RankedPost,
    best_time_heatmap,
    bottom_posts,
    by_campaign,
    by_platform,
    filter_rows,
    followers_trend,
    kpis,
    top_posts,
    trends_by_platform,
    zone,
)
from studio.extensions import db
from studio.models import Brand, BrandKit
from studio.reports import data
from studio.reports.data import PostDetail

TREND_METRICS = DEFAULT_KPIS
DEFAULT_METRIC = "engagements"
CHART_KEYS = ("trend", "followers", "platform_engagements", "platform_rate", "campaigns", "heatmap")
RANK_METRIC = "engagements"


# ---------------------------------------------------------------------------------------
# Filters


@dataclass(frozen=True)
class Filters:
    """The page's filters, read from the query string and written back into URLs."""

    period: Period
    platform: str | None = None
    campaign: str | None = None
    label: str | None = None
    metric: str = DEFAULT_METRIC

    @property
    def platforms(self) -> list[str] | None:
        return [self.platform] if self.platform else None

    def query(self, **changes: Any) -> dict[str, str]:
        """Return the filters as query arguments (only the ones that are set)."""
        values = {
            "period": str(self.period),
            "platform": self.platform,
            "campaign": self.campaign,
            "label": self.label,
            "metric": self.metric if self.metric != DEFAULT_METRIC else None,
            **changes,
        }
        return {k: str(v) for k, v in values.items() if v}

    def query_string(self, **changes: Any) -> str:
        return urlencode(self.query(**changes))


def local_today(brand: Brand) -> date:
    return datetime.now(UTC).astimezone(zone(brand.timezone)).date()


def default_period(brand: Brand, today: date | None = None) -> Period:
    """Return last month in the brand's time zone: the newest whole month."""
    today = today or local_today(brand)
    last = today.replace(day=1) - timedelta(days=1)
    return Period.month(last.year, last.month, brand.timezone)


def period_choices(
    brand: Brand, current: Period, today: date | None = None
) -> list[tuple[str, str]]:
    """Return (value, label) for the period picker: recent months, quarters and years."""
    today = today or local_today(brand)
    tz = brand.timezone
    choices: list[tuple[str, str]] = []
    last_30 = Period.between(today - timedelta(days=30), today - timedelta(days=1), tz)
    last_90 = Period.between(today - timedelta(days=90), today - timedelta(days=1), tz)
    choices.append((str(last_30), "Last 30 days"))
    choices.append((str(last_90), "Last 90 days"))
    month = today.replace(day=1)
    for _ in range(13):
        period = Period.month(month.year, month.month, tz)
        label = period.label + (
            " (so far)" if month.month == today.month and month.year == today.year else ""
        )
        choices.append((str(period), label))
        month = (month - timedelta(days=1)).replace(day=1)
    for year in (today.year, today.year - 1):
        choices.append((str(year), f"Year {year}"))
    values = {value for value, _ in choices}
    if str(current) not in values:
        choices.insert(0, (str(current), current.label))
    return choices


class FilterError(ValueError):
    """A filter that cannot be used; the page shows the message and the default view."""


def parse_filters(brand: Brand, args: Mapping[str, str], options: dict[str, list[str]]) -> Filters:
    """Read filters from a query string; unknown values raise FilterError with a message."""
    raw_period = (args.get("period") or "").strip()
    try:
        period = Period.parse(raw_period, brand.timezone) if raw_period else default_period(brand)
    except PeriodError as exc:
        raise FilterError(str(exc)) from exc
    platform = (args.get("platform") or "").strip() or None
    if platform and platform not in options["platforms"]:
        raise FilterError(f"{brand.name} has no published posts on {platform[:40]!r}.")
    campaign = (args.get("campaign") or "").strip() or None
    if campaign and campaign not in options["campaigns"]:
        raise FilterError(f"There is no campaign called {campaign[:80]!r}.")
    label = (args.get("label") or "").strip() or None
    if label and label not in options["labels"]:
        raise FilterError(f"No published post has the label {label[:80]!r}.")
    chosen = (args.get("metric") or DEFAULT_METRIC).strip()
    if chosen not in TREND_METRICS:
        raise FilterError(f"{chosen[:40]!r} is not a metric the trend can show.")
    return Filters(period, platform, campaign, label, chosen)


# ---------------------------------------------------------------------------------------
# The summary


def granularity_for(period: Period) -> str:
    """Return day, week or month buckets so a trend has a readable number of points."""
    if period.days <= 45:
        return "day"
    if period.days <= 200:
        return "week"
    return "month"


def brand_palette(brand: Brand) -> list[str]:
    """Return the brand kit's colours (primary first), or the brand colour."""
    kit = db.session.scalar(select(BrandKit).where(BrandKit.brand_id == brand.id))
    colours: list[str] = []
    if kit is not None:
        palette = kit.data.get("palette") or []
        order = {"primary": 0, "secondary": 1, "accent": 2}
        ranked = sorted(
            (c for c in palette if c.get("role") in order),
            key=lambda c: order[c.get("role")],
        )
        colours = [c["hex"] for c in ranked if c.get("hex")]
    return colours or [brand.colour]


@dataclass
class Chart:
    """A chart's SVG and the same data as a table, with a caption."""

    key: str
    title: str
    svg: str
    table: str


@dataclass
class PostEntry:
    """A ranked post with what the page shows of it."""

    rank: int
    row: MetricRow
    value: float
    detail: PostDetail | None

    @property
    def value_label(self) -> str:
        return format_value(self.value, metric(RANK_METRIC).unit)

    @property
    def rate_label(self) -> str:
        return format_value(self.row.engagement_rate, RATIO)


@dataclass
class Summary:
    """Everything the analytics page and the report show for one brand and scope."""

    brand: Brand
    filters: Filters
    granularity: str
    rows: list[MetricRow]  # the period's, filtered
    kpis: list[Kpi]
    top: list[PostEntry]
    bottom: list[PostEntry]
    heatmap: Heatmap
    best_slots: list[str]
    platforms: list[Breakdown]
    campaigns: list[Breakdown]
    charts: dict[str, Chart] = field(default_factory=dict)
    followers: list[FollowerPoint] = field(default_factory=list)
    all_rows: list[MetricRow] = field(default_factory=list)  # this period's and the last

    @property
    def has_data(self) -> bool:
        return bool(self.rows)

    @property
    def period(self) -> Period:
        return self.filters.period

    def kpi(self, key: str) -> Kpi | None:
        return next((k for k in self.kpis if k.metric.key == key), None)


def summarise(
    brand: Brand,
    filters: Filters,
    *,
    top_n: int = 5,
    bottom_n: int = 5,
    font_family: str = charts.FONT_FAMILY,
    palette: list[str] | None = None,
    approved_revisions: dict[int, int] | None = None,
    rows: list[MetricRow] | None = None,
    followers: list[FollowerPoint] | None = None,
    kpi_metrics: Sequence[str] = DEFAULT_KPIS,
    with_charts: Sequence[str] | None = None,
    chart_prefix: str = "",
) -> Summary:
    """Return the summary for ``filters`` (rows and followers may be given, for the report)."""
    period = filters.period
    tz = zone(brand.timezone)
    if rows is None:
        rows = data.rows_for(brand, period, filters.platforms)
    chosen = filter_rows(
        rows,
        platforms=filters.platforms,
        campaigns=[filters.campaign] if filters.campaign else None,
        labels=[filters.label] if filters.label else None,
    )
    if followers is None:
        followers = data.followers_for(brand, period, filters.platforms)
    elif filters.platform:
        followers = [p for p in followers if p.platform == filters.platform]
    current = [r for r in chosen if period.contains(r.published_at)]
    # Followers are per channel, not per post: a campaign or label filter leaves them out.
    follower_kpi = followers if not (filters.campaign or filters.label) else None
    kpi_list = kpis(chosen, period, metrics=kpi_metrics, followers=follower_kpi)
    ranked_top = top_posts(current, top_n, RANK_METRIC)
    ranked_bottom = bottom_posts(current, bottom_n, RANK_METRIC) if bottom_n else []
    ids = [r.row.post_id for r in ranked_top + ranked_bottom]
    details = data.post_details([int(i) for i in ids], revisions=approved_revisions)
    heat = best_time_heatmap(current, tz)
    summary = Summary(
        brand=brand,
        filters=filters,
        granularity=granularity_for(period),
        rows=current,
        kpis=kpi_list,
        top=[_entry(r, details) for r in ranked_top],
        bottom=[_entry(r, details) for r in ranked_bottom],
        heatmap=heat,
        best_slots=[
            f"{WEEKDAYS[day]} {hour:02d}:00\u2013{(hour + 1) % 24:02d}:00 "
            f"({format_value(value, RATIO)} average engagement rate)"
            for day, hour, value in heat.best(3, min_posts=2)
        ],
        platforms=by_platform(current),
        campaigns=by_campaign(current),
        followers=followers,
        all_rows=chosen,
    )
    summary.charts = build_charts(
        summary, palette or brand_palette(brand), font_family, with_charts, chart_prefix
    )
    return summary


def _entry(ranked: RankedPost, details: dict[int, PostDetail]) -> PostEntry:
    return PostEntry(ranked.rank, ranked.row, ranked.value, details.get(int(ranked.row.post_id)))


def build_charts(
    summary: Summary,
    palette: list[str],
    font_family: str,
    only: Sequence[str] | None = None,
    prefix: str = "",
) -> dict[str, Chart]:
    """Return the six charts (or ``only`` those named): trend, followers, engagements and
    rate by platform, campaigns, and the best-time heatmap. ``prefix`` keeps the SVG ids
    unique when one document holds several sets of charts."""
    builders = {
        "trend": _trend_chart,
        "followers": _followers_chart,
        "platform_engagements": _platform_engagements_chart,
        "platform_rate": _platform_rate_chart,
        "campaigns": _campaigns_chart,
        "heatmap": _heatmap_chart,
    }
    wanted = CHART_KEYS if only is None else [k for k in CHART_KEYS if k in only]
    return {key: builders[key](summary, palette, font_family, prefix) for key in wanted}


def _word(summary: Summary) -> str:
    return {"day": "day", "week": "week", "month": "month"}[summary.granularity]


def _trend_chart(summary: Summary, palette: list[str], font_family: str, prefix: str = "") -> Chart:
    period, brand, gran = summary.period, summary.brand, summary.granularity
    chosen = metric(summary.filters.metric)
    per_platform = trends_by_platform(summary.rows, chosen.key, gran, brand.timezone, period=period)
    buckets = [d for d, _ in next(iter(per_platform.values()), [])]
    if not buckets:
        buckets = [d for d, _ in _empty_buckets(period, gran)]
    labels = charts.date_labels(buckets, gran)
    series = [
        charts.Series(platform_name(p), tuple(v for _, v in points))
        for p, points in per_platform.items()
    ]
    word = _word(summary)
    unit = RATIO if chosen.is_ratio else "count"
    title = f"{chosen.label} per {word}, by platform"
    return Chart(
        "trend",
        title,
        charts.line_chart(
            labels,
            series,
            title=title,
            description=f"{chosen.label} of the posts published each {word} of "
            f"{period.label}, one line per platform. {chosen.definition}",
            palette=palette,
            unit=unit,
            font_family=font_family,
            chart_id=f"{prefix}chart-trend",
        ),
        charts.data_table(labels, series, caption=title, label_header=word.capitalize(), unit=unit),
    )


def _followers_chart(
    summary: Summary, palette: list[str], font_family: str, prefix: str = ""
) -> Chart:
    period, gran, word = summary.period, summary.granularity, _word(summary)
    followers = summary.followers
    labels = charts.date_labels([d for d, _ in _empty_buckets(period, gran)], gran)
    series = []
    for platform in sorted({p.platform for p in followers}):
        points = followers_trend(followers, gran, period=period, platform=platform)
        labels = charts.date_labels([d for d, _ in points], gran)
        series.append(charts.Series(platform_name(platform), tuple(v for _, v in points)))
    title = f"Followers per {word}, by platform"
    return Chart(
        "followers",
        title,
        charts.line_chart(
            labels,
            series,
            title=title,
            description=f"Followers at the end of each {word} of {period.label}. "
            f"{METRICS['followers'].definition}",
            palette=palette,
            font_family=font_family,
            chart_id=f"{prefix}chart-followers",
        ),
        charts.data_table(labels, series, caption=title, label_header=word.capitalize()),
    )


def _platform_engagements_chart(
    summary: Summary, palette: list[str], font_family: str, prefix: str = ""
) -> Chart:
    names = [b.label for b in summary.platforms]
    values = [b.value("engagements") for b in summary.platforms]
    title = "Engagements by platform"
    return Chart(
        "platform_engagements",
        title,
        charts.bar_chart(
            names,
            values,
            title=title,
            description=f"{METRICS['engagements'].definition} Posts published in "
            f"{summary.period.label}, added up per platform.",
            palette=palette,
            font_family=font_family,
            chart_id=f"{prefix}chart-platform-engagements",
        ),
        charts.data_table(
            names,
            [charts.Series("Engagements", tuple(values))],
            caption=title,
            label_header="Platform",
        ),
    )


def _platform_rate_chart(
    summary: Summary, palette: list[str], font_family: str, prefix: str = ""
) -> Chart:
    names = [b.label for b in summary.platforms]
    rates = [b.engagement_rate for b in summary.platforms]
    title = "Engagement rate by platform"
    rate = METRICS["engagement_rate"]
    return Chart(
        "platform_rate",
        title,
        charts.bar_chart(
            names,
            rates,
            horizontal=True,
            title=title,
            description=f"{rate.definition} {rate.note}",
            palette=palette[1:] + palette[:1] if len(palette) > 1 else palette,
            unit=RATIO,
            font_family=font_family,
            chart_id=f"{prefix}chart-platform-rate",
        ),
        charts.data_table(
            names,
            [charts.Series("Engagement rate", tuple(rates))],
            caption=title,
            label_header="Platform",
            unit=RATIO,
        ),
    )


def _campaigns_chart(
    summary: Summary, palette: list[str], font_family: str, prefix: str = ""
) -> Chart:
    names = [b.label for b in summary.campaigns]
    values = [b.value("engagements") for b in summary.campaigns]
    title = "Engagements by campaign"
    return Chart(
        "campaigns",
        title,
        charts.bar_chart(
            names,
            values,
            horizontal=True,
            title=title,
            description=f"Engagements of the posts of each campaign published in "
            f"{summary.period.label}; posts without a campaign are grouped last.",
            palette=palette,
            font_family=font_family,
            chart_id=f"{prefix}chart-campaigns",
        ),
        charts.data_table(
            names,
            [charts.Series("Engagements", tuple(values))],
            caption=title,
            label_header="Campaign",
        ),
    )


def _heatmap_chart(
    summary: Summary, palette: list[str], font_family: str, prefix: str = ""
) -> Chart:
    heat = summary.heatmap
    title = "Best day and hour to post"
    return Chart(
        "heatmap",
        title,
        charts.heatmap(
            heat.values,
            counts=heat.counts,
            title=title,
            description="Average engagement rate of the posts published in each hour of "
            f"each weekday of {summary.period.label}, in "
            f"{summary.brand.timezone.replace('_', ' ')} time. Darker cells did better; "
            "empty cells had no posts.",
            palette=palette,
            font_family=font_family,
            chart_id=f"{prefix}chart-heatmap",
        ),
        charts.heatmap_table(heat.values, caption=title),
    )


def _empty_buckets(period: Period, granularity: str) -> list[tuple[date, None]]:
    from studio.analytics.summary import bucket_start

    current = bucket_start(period.start, granularity)
    out = []
    while current <= period.end:
        out.append((current, None))
        if granularity == "day":
            current += timedelta(days=1)
        elif granularity == "week":
            current += timedelta(days=7)
        else:
            days = calendar.monthrange(current.year, current.month)[1]
            current += timedelta(days=days)
    return out


def definitions() -> list[Metric]:
    """Return every metric, as the page and the report explain them."""
    return list(METRICS.values())
