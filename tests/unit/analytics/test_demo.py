"""The demo year: deterministic, believable, and shaped so every chart has something to show."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import pytest

from studio.analytics import summary as s
from studio.analytics.demo import PROFILES, generate_year

START = date(2025, 11, 1)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def year():
    return generate_year("ember-roasters", None, 5, START, seed=7)


def test_same_arguments_give_the_same_year_and_other_seeds_differ() -> None:
    one = generate_year("ember-roasters", ["x", "linkedin"], 3, START, seed=1)
    two = generate_year("ember-roasters", ["x", "linkedin"], 3, START, seed=1)
    assert one == two
    assert generate_year("ember-roasters", ["x", "linkedin"], 3, START, seed=2) != one
    assert generate_year("northwind-bank", ["x", "linkedin"], 3, START, seed=1) != one


def test_adding_a_platform_leaves_the_others_unchanged() -> None:
    alone = generate_year("b", ["linkedin"], 3, START, seed=1)
    together = generate_year("b", ["x", "linkedin"], 3, START, seed=1)
    assert [p for p in together.posts if p.platform == "linkedin"] == alone.posts


def test_every_platform_posts_about_as_often_as_asked(year) -> None:
    per_platform = Counter(p.platform for p in year.posts)
    assert set(per_platform) == set(PROFILES)
    for count in per_platform.values():
        # 52 weeks at 5 a week, plus half as many again during campaign weeks.
        assert 52 * 5 * 0.85 <= count <= 52 * 5 * 1.35


def test_posts_are_inside_the_year_in_utc_at_daytime_local_hours(year) -> None:
    last = START + timedelta(days=364)
    for post in year.posts:
        assert post.published_at.tzinfo == UTC
        local = post.published_at.astimezone(LONDON)
        assert START <= local.date() <= last
        assert 7 <= local.hour <= 22
    assert len({p.external_id for p in year.posts}) == len(year.posts)


def test_weekdays_get_more_posts_than_weekends(year) -> None:
    days = Counter(p.published_at.astimezone(LONDON).weekday() for p in year.posts)
    assert min(days[d] for d in range(5)) > max(days[5], days[6])


def test_snapshots_grow_over_time_and_never_pass_the_last_day(year) -> None:
    by_post = defaultdict(list)
    for snap in year.snapshots:
        by_post[snap.external_id].append(snap)
    assert set(by_post) == {p.external_id for p in year.posts}
    last = START + timedelta(days=364)
    for snaps in by_post.values():
        snaps.sort(key=lambda snap: snap.snapshot_date)
        assert snaps[-1].snapshot_date <= last
        for earlier, later in itertools.pairwise(snaps):
            assert later.snapshot_date > earlier.snapshot_date
            assert later.likes >= earlier.likes and later.impressions >= earlier.impressions


def test_platforms_report_only_what_their_apis_offer(year) -> None:
    rows = year.rows()
    by_platform = defaultdict(list)
    for row in rows:
        by_platform[row.platform].append(row)
    for platform in ("mastodon", "bluesky"):
        assert all(r.impressions == 0 and r.reach == 0 for r in by_platform[platform])
        assert all(r.engagement_rate is None for r in by_platform[platform])
        assert sum(r.likes for r in by_platform[platform]) > 0
    assert all(r.reach == 0 and r.impressions > 0 for r in by_platform["x"])
    assert all(r.reach > 0 for r in by_platform["instagram"])
    assert all(r.video_views > 0 for r in by_platform["youtube"])


def test_rows_are_one_per_post_from_the_latest_snapshot(year) -> None:
    rows = year.rows()
    assert len(rows) == len(year.posts)
    latest = {}
    for snap in year.snapshots:
        if (
            snap.external_id not in latest
            or snap.snapshot_date > latest[snap.external_id].snapshot_date
        ):
            latest[snap.external_id] = snap
    for row in rows[:50]:
        assert row.likes == latest[row.post_id].likes


@pytest.mark.parametrize("platform", ["linkedin", "instagram", "tiktok"])
def test_best_times_show_up_in_the_heatmap(year, platform) -> None:
    rows = [r for r in year.rows() if r.platform == platform]
    profile = PROFILES[platform]
    best = s.best_time_heatmap(rows, LONDON).best(3, min_posts=3)
    assert best
    for weekday, hour, _ in best:
        assert weekday in profile.best_days and hour in profile.best_hours


def test_campaigns_run_for_weeks_and_label_their_posts(year) -> None:
    campaigns = defaultdict(list)
    for post in year.posts:
        if post.campaign:
            campaigns[post.campaign].append(post)
            assert "campaign" in post.labels and post.campaign in post.caption_hint
    assert len(campaigns) >= 3
    for posts in campaigns.values():
        days = [p.published_at.astimezone(LONDON).date() for p in posts]
        assert 7 <= (max(days) - min(days)).days <= 28
    breakdown = s.by_campaign(year.rows())
    assert breakdown[-1].key is None and breakdown[-1].posts > sum(b.posts for b in breakdown[:-1])


def test_followers_are_daily_per_platform_and_grow(year) -> None:
    per_platform = defaultdict(list)
    for point in year.followers:
        per_platform[point.platform].append(point)
    assert set(per_platform) == set(PROFILES)
    for points in per_platform.values():
        assert len(points) == 365
        assert [p.day for p in points] == [START + timedelta(days=i) for i in range(365)]
        assert points[-1].followers > points[0].followers * 1.05


def test_every_summary_has_data_for_a_demo_month(year) -> None:
    rows = year.rows()
    period = s.Period.month(2026, 6, LONDON)
    kpis = {k.metric.key: k for k in s.kpis(rows, period, followers=year.followers)}
    for key in ("impressions", "reach", "engagement_rate", "likes", "followers"):
        assert kpis[key].value and kpis[key].previous and kpis[key].delta_pct is not None
    assert all(v > 0 for _, v in s.trend(rows, "engagements", "week", LONDON, period=period))


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="no demo profile"):
        generate_year("b", ["myspace"], 3, START)
    with pytest.raises(ValueError):
        generate_year("b", ["x"], -1, START)
