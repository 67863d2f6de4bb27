"""Periods, KPIs, trends, breakdowns, rankings and the heatmap, in the brand's time zone."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from studio.analytics import summary as s

LONDON = ZoneInfo("Europe/London")
CHICAGO = ZoneInfo("America/Chicago")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def row(post_id, when, platform="instagram", **metrics) -> s.MetricRow:
    return s.MetricRow(post_id=post_id, platform=platform, published_at=when, **metrics)


# --- Periods -----------------------------------------------------------------------------


def test_month_period_covers_its_days_and_prints_as_it_parses() -> None:
    period = s.Period.month(2026, 10, LONDON)
    assert (period.start, period.end, period.days) == (date(2026, 10, 1), date(2026, 10, 31), 31)
    assert str(period) == "2026-10"
    assert s.Period.parse(str(period), LONDON) == period
    assert period.label == "October 2026"


def test_range_period_parses_and_round_trips() -> None:
    period = s.Period.parse(" 2026-10-01..2026-10-31 ", "Europe/London")
    assert (period.start, period.end, period.kind) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
        "range",
    )
    assert s.Period.parse(str(period), LONDON) == period


def test_year_and_single_day_parse() -> None:
    assert s.Period.parse("2026", LONDON).days == 365
    day = s.Period.parse("2026-10-05", LONDON)
    assert day.start == day.end == date(2026, 10, 5)


@pytest.mark.parametrize(
    "text, message",
    [
        ("2026-13", "months run from 1 to 12"),
        ("2026-00", "months run from 1 to 12"),
        ("2026-10-31..2026-10-01", "before it starts"),
        ("2026-02-30..2026-03-01", "not a real date"),
        ("2026/10", "not a period"),
        ("October", "not a period"),
        ("", "empty"),
        ("2026-10-01..", "not a date"),
        ("2020-01-01..2026-12-31", "at most"),
    ],
)
def test_period_parse_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(s.PeriodError, match=message):
        s.Period.parse(text, LONDON)


def test_unknown_time_zone_is_a_period_error() -> None:
    with pytest.raises(s.PeriodError, match="unknown time zone"):
        s.Period.month(2026, 10, "Mars/Olympus_Mons")


def test_previous_period() -> None:
    assert str(s.Period.month(2026, 1, LONDON).previous()) == "2025-12"
    assert str(s.Period.month(2026, 3, LONDON).previous()) == "2026-02"
    assert str(s.Period.year(2026, LONDON).previous()) == "2025"
    ten_days = s.Period.parse("2026-10-11..2026-10-20", LONDON).previous()
    assert (ten_days.start, ten_days.end) == (date(2026, 10, 1), date(2026, 10, 10))


def test_month_bounds_in_utc_follow_each_zone_across_dst() -> None:
    london = s.Period.month(2026, 10, LONDON)
    # 1 October is summer time (UTC+1); 1 November is after the 25 October change (UTC+0).
    assert london.start_utc == utc(2026, 9, 30, 23)
    assert london.end_utc == utc(2026, 11, 1, 0)
    chicago = s.Period.month(2026, 10, CHICAGO)
    # Chicago leaves summer time at 02:00 on 1 November, so that midnight is still CDT.
    assert chicago.start_utc == utc(2026, 10, 1, 5)
    assert chicago.end_utc == utc(2026, 11, 1, 5)
    november = s.Period.month(2026, 11, CHICAGO)
    assert november.end_utc == utc(2026, 12, 1, 6)


def test_contains_uses_the_local_day() -> None:
    chicago = s.Period.month(2026, 10, CHICAGO)
    assert chicago.contains(utc(2026, 11, 1, 4, 30))  # 23:30 on 31 October in Chicago
    assert not chicago.contains(utc(2026, 11, 1, 5, 30))  # 00:30 on 1 November
    london = s.Period.month(2026, 10, LONDON)
    assert london.contains(utc(2026, 9, 30, 23, 30))  # 00:30 BST on 1 October
    assert london.contains(utc(2026, 10, 31, 23, 30))  # 23:30 GMT on 31 October


# --- Rows and totals ---------------------------------------------------------------------


def test_metric_row_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        s.MetricRow(1, "x", datetime(2026, 10, 1, 12))


def test_group_rate_uses_only_posts_that_have_a_rate() -> None:
    rows = [
        row(1, utc(2026, 10, 2), likes=50, reach=1000),
        row(2, utc(2026, 10, 3), platform="x", likes=10, impressions=1000),
        row(3, utc(2026, 10, 4), platform="mastodon", likes=500),  # no denominator
    ]
    totals = s.totals(rows)
    assert totals["posts"] == 3
    assert totals["likes"] == 560
    assert totals["engagements"] == 560
    assert totals["engagement_rate"] == pytest.approx(60 / 2000)


def test_totals_of_nothing_have_no_rate() -> None:
    totals = s.totals([])
    assert totals["posts"] == 0 and totals["impressions"] == 0
    assert totals["engagement_rate"] is None


# --- KPIs --------------------------------------------------------------------------------


def test_kpis_compare_with_the_previous_month() -> None:
    rows = [
        row(1, utc(2026, 10, 5, 12), impressions=3000, reach=2000, likes=100),
        row(2, utc(2026, 10, 6, 12), impressions=1000, reach=1000, likes=50),
        row(3, utc(2026, 9, 10, 12), impressions=2000, reach=1000, likes=100),
        row(4, utc(2026, 8, 10, 12), impressions=99999, reach=99999),  # neither period
    ]
    period = s.Period.month(2026, 10, LONDON)
    found = {k.metric.key: k for k in s.kpis(rows, period)}
    impressions = found["impressions"]
    assert (impressions.value, impressions.previous) == (4000, 2000)
    assert (impressions.delta_abs, impressions.delta_pct) == (2000, 1.0)
    assert impressions.direction == "up" and impressions.improved is True
    assert impressions.delta_label == "+100.0 %"
    assert found["posts"].value == 2 and found["posts"].previous == 1
    rate = found["engagement_rate"]
    assert rate.value == pytest.approx(150 / 3000)
    assert rate.previous == pytest.approx(0.1)
    assert rate.direction == "down" and rate.improved is False
    assert rate.delta_label == "\u22125.0 pts"


def test_kpis_without_data_give_none_not_zero_or_a_crash() -> None:
    period = s.Period.month(2026, 10, LONDON)
    found = {k.metric.key: k for k in s.kpis([], period)}
    assert found["posts"].value == 0 and found["posts"].delta_pct is None
    for key in ("impressions", "engagement_rate", "likes"):
        kpi = found[key]
        assert kpi.value is None and kpi.previous is None
        assert kpi.delta_abs is None and kpi.delta_pct is None
        assert kpi.value_label == "\u2014" and kpi.delta_label == "\u2014"
        assert kpi.direction is None and kpi.improved is None


def test_kpi_delta_pct_is_none_when_the_previous_value_is_zero() -> None:
    rows = [row(1, utc(2026, 10, 5), saves=5, reach=10), row(2, utc(2026, 9, 5), reach=10)]
    saves = next(
        k for k in s.kpis(rows, s.Period.month(2026, 10, LONDON)) if k.metric.key == "saves"
    )
    assert (saves.value, saves.previous, saves.delta_abs, saves.delta_pct) == (5, 0, 5, None)
    assert saves.delta_label == "+5"


def test_followers_kpi_takes_each_channels_last_count_in_the_period() -> None:
    points = [
        s.FollowerPoint("x", date(2026, 9, 30), 900),
        s.FollowerPoint("x", date(2026, 10, 31), 1000),
        s.FollowerPoint("x", date(2026, 10, 15), 950),
        s.FollowerPoint("mastodon", date(2026, 10, 20), 200),
        s.FollowerPoint("mastodon", date(2026, 9, 20), 100),
    ]
    found = s.kpis([], s.Period.month(2026, 10, LONDON), metrics=("posts",), followers=points)
    followers = found[-1]
    assert followers.metric.key == "followers"
    assert (followers.value, followers.previous) == (1200, 1000)
    assert followers.delta_pct == pytest.approx(0.2)


# --- Trends ------------------------------------------------------------------------------


def test_daily_trend_in_london_across_the_clock_change() -> None:
    rows = [
        row(1, utc(2026, 10, 24, 23, 30), impressions=10),  # 00:30 BST on the 25th
        row(2, utc(2026, 10, 25, 23, 30), impressions=5),  # 23:30 GMT on the 25th
        row(3, utc(2026, 10, 26, 0, 30), impressions=7),  # 00:30 GMT on the 26th
    ]
    period = s.Period.parse("2026-10-24..2026-10-26", LONDON)
    assert s.trend(rows, "impressions", "day", LONDON, period=period) == [
        (date(2026, 10, 24), 0),
        (date(2026, 10, 25), 15),
        (date(2026, 10, 26), 7),
    ]


def test_monthly_trend_in_chicago_puts_late_october_posts_in_october() -> None:
    rows = [
        row(1, utc(2026, 11, 1, 4, 30), likes=3, reach=100),  # 23:30 CDT on 31 October
        row(2, utc(2026, 11, 1, 6, 30), likes=4, reach=100),  # 01:30 CDT on 1 November
        row(3, utc(2026, 11, 1, 7, 30), likes=5, reach=100),  # 01:30 CST, the repeated hour
    ]
    assert s.trend(rows, "likes", "month", CHICAGO) == [
        (date(2026, 10, 1), 3),
        (date(2026, 11, 1), 9),
    ]
    # The same instants in UTC would all be November.
    assert s.trend(rows, "likes", "month", "UTC") == [(date(2026, 11, 1), 12)]


def test_weekly_trend_buckets_start_on_monday_and_fill_gaps() -> None:
    rows = [row(1, utc(2026, 10, 7, 12), reach=100, likes=5)]  # a Wednesday
    period = s.Period.month(2026, 10, LONDON)
    weeks = s.trend(rows, "engagement_rate", "week", LONDON, period=period)
    assert [d for d, _ in weeks] == [date(2026, 9, 28) + timedelta(weeks=i) for i in range(5)]
    assert weeks[1] == (date(2026, 10, 5), 0.05)
    assert weeks[0][1] is None  # no posts: no rate, not 0 %


def test_trend_of_nothing_is_empty_and_bad_arguments_are_refused() -> None:
    assert s.trend([], "likes", "day", LONDON) == []
    with pytest.raises(ValueError, match="granularity"):
        s.trend([], "likes", "hour", LONDON)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="followers_trend"):
        s.trend([], "followers", "day", LONDON)


def test_trends_by_platform_share_buckets() -> None:
    rows = [
        row(1, utc(2026, 10, 1, 12), platform="linkedin", likes=2),
        row(2, utc(2026, 10, 3, 12), platform="x", likes=4),
    ]
    result = s.trends_by_platform(rows, "likes", "day", LONDON)
    assert list(result) == ["x", "linkedin"]  # Plume's platform order
    assert result["x"] == [(date(2026, 10, 1), 0), (date(2026, 10, 2), 0), (date(2026, 10, 3), 4)]
    assert [d for d, _ in result["linkedin"]] == [d for d, _ in result["x"]]


def test_followers_trend_carries_a_missed_day_forward() -> None:
    points = [
        s.FollowerPoint("x", date(2026, 10, 1), 100),
        s.FollowerPoint("mastodon", date(2026, 10, 1), 50),
        s.FollowerPoint("x", date(2026, 10, 2), 110),
        s.FollowerPoint("x", date(2026, 10, 3), 120),
        s.FollowerPoint("mastodon", date(2026, 10, 3), 55),
    ]
    period = s.Period.parse("2026-09-30..2026-10-03", LONDON)
    assert s.followers_trend(points, "day", period=period) == [
        (date(2026, 9, 30), None),
        (date(2026, 10, 1), 150),
        (date(2026, 10, 2), 160),
        (date(2026, 10, 3), 175),
    ]
    assert s.followers_trend(points, "week", platform="x") == [(date(2026, 9, 28), 120)]


# --- Breakdowns --------------------------------------------------------------------------


def test_by_platform_in_platform_order_with_totals() -> None:
    rows = [
        row(1, utc(2026, 10, 1), platform="mastodon", likes=3),
        row(2, utc(2026, 10, 1), platform="x", likes=1, impressions=10),
        row(3, utc(2026, 10, 2), platform="x", likes=2, impressions=10),
    ]
    result = s.by_platform(rows)
    assert [(b.key, b.label, b.posts) for b in result] == [
        ("x", "X", 2),
        ("mastodon", "Mastodon", 1),
    ]
    assert result[0].value("likes") == 3
    assert result[0].engagement_rate == pytest.approx(0.15)
    assert result[1].engagement_rate is None


def test_by_campaign_orders_by_engagements_with_no_campaign_last() -> None:
    rows = [
        row(1, utc(2026, 10, 1), campaign=None, likes=1000),
        row(2, utc(2026, 10, 1), campaign="Spring", likes=5),
        row(3, utc(2026, 10, 1), campaign="Autumn", likes=50),
        row(4, utc(2026, 10, 1), campaign="", likes=1),
    ]
    result = s.by_campaign(rows)
    assert [(b.key, b.label, b.posts) for b in result] == [
        ("Autumn", "Autumn", 1),
        ("Spring", "Spring", 1),
        (None, "No campaign", 2),
    ]


def test_filter_rows_by_period_platform_campaign_and_label() -> None:
    rows = [
        row(1, utc(2026, 10, 1, 12), platform="x", campaign="A", labels=("promo",)),
        row(2, utc(2026, 10, 2, 12), platform="x", campaign="B", labels=["team", "promo"]),
        row(3, utc(2026, 9, 2, 12), platform="x", campaign="A", labels=("promo",)),
        row(4, utc(2026, 10, 2, 12), platform="linkedin", campaign="A"),
    ]
    period = s.Period.month(2026, 10, LONDON)
    assert [r.post_id for r in s.filter_rows(rows, period=period)] == [1, 2, 4]
    assert [r.post_id for r in s.filter_rows(rows, platforms=["linkedin"])] == [4]
    assert [r.post_id for r in s.filter_rows(rows, campaigns=["A"], period=period)] == [1, 4]
    assert [r.post_id for r in s.filter_rows(rows, labels=["team"])] == [2]
    assert rows[1].labels == ("team", "promo")


# --- Rankings ----------------------------------------------------------------------------


def test_top_and_bottom_posts_break_ties_the_same_way_whatever_the_input_order() -> None:
    early, late = utc(2026, 10, 1), utc(2026, 10, 2)
    rows = [
        row("b", late, likes=10),
        row("a", late, likes=10),
        row(7, early, likes=10),
        row(12, late, likes=10),
        row("z", early, likes=99),
        row("y", early, likes=1),
    ]
    expected_top = ["z", 7, 12, "a", "b", "y"]
    expected_bottom = ["y", 7, 12, "a", "b", "z"]
    for seed in range(5):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        top = s.top_posts(shuffled, 10, "likes")
        assert [p.row.post_id for p in top] == expected_top
        assert [p.rank for p in top] == [1, 2, 3, 4, 5, 6]
        bottom = s.bottom_posts(shuffled, 10, "likes")
        assert [p.row.post_id for p in bottom] == expected_bottom
    assert [p.value for p in s.top_posts(rows, 2, "likes")] == [99, 10]


def test_ranking_by_rate_skips_posts_without_one() -> None:
    rows = [
        row(1, utc(2026, 10, 1), likes=10, reach=100),
        row(2, utc(2026, 10, 1), platform="mastodon", likes=1000),
        row(3, utc(2026, 10, 1), likes=1, reach=100),
    ]
    assert [p.row.post_id for p in s.top_posts(rows, 5, "engagement_rate")] == [1, 3]
    assert [p.row.post_id for p in s.bottom_posts(rows, 1, "engagement_rate")] == [3]
    assert s.top_posts(rows, 0) == []
    with pytest.raises(ValueError):
        s.top_posts(rows, 3, "followers")


# --- Heatmap -----------------------------------------------------------------------------


def test_heatmap_buckets_follow_london_summer_and_winter_time() -> None:
    rows = [
        row(1, utc(2026, 10, 23, 8, 30), likes=10, reach=100),  # Fri 09:30 BST
        row(2, utc(2026, 10, 30, 8, 30), likes=20, reach=100),  # Fri 08:30 GMT
        row(3, utc(2026, 10, 30, 8, 45), likes=40, reach=100),  # Fri 08:45 GMT
        row(4, utc(2026, 10, 30, 8, 50), platform="mastodon", likes=40),  # no rate
    ]
    heat = s.best_time_heatmap(rows, LONDON)
    assert len(heat.values) == 7 and all(len(r) == 24 for r in heat.values)
    assert heat.values[4][9] == pytest.approx(0.1)
    assert heat.values[4][8] == pytest.approx(0.3)
    assert heat.counts[4][8] == 2 and heat.counts[4][9] == 1
    assert sum(map(sum, heat.counts)) == 3
    assert heat.best(1) == [(4, 8, pytest.approx(0.3))]
    assert heat.best(5, min_posts=2) == [(4, 8, pytest.approx(0.3))]
    sure = heat.with_min_posts(2)
    assert sure.values[4][9] is None and sure.counts[4][9] == 0
    assert sure.values[4][8] == heat.values[4][8] and sure.counts[4][8] == 2


def test_heatmap_buckets_follow_chicago_summer_and_winter_time() -> None:
    rows = [
        row(1, utc(2026, 10, 30, 14), likes=5, reach=100),  # Fri 09:00 CDT
        row(2, utc(2026, 11, 6, 14), likes=5, reach=100),  # Fri 08:00 CST
        row(3, utc(2026, 11, 2, 3, 30), likes=5, reach=100),  # Sun 21:30 CST (Mon in UTC)
    ]
    heat = s.best_time_heatmap(rows, "America/Chicago")
    assert heat.counts[4][9] == 1 and heat.counts[4][8] == 1
    assert heat.counts[6][21] == 1 and heat.counts[0][3] == 0


def test_heatmap_of_nothing_is_empty() -> None:
    heat = s.best_time_heatmap([], LONDON)
    assert heat.is_empty and heat.best() == []
    assert all(v is None for r in heat.values for v in r)
