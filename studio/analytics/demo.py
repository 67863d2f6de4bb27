"""A seeded generator of a believable year of metrics, so a fresh install's charts have data.

The same arguments always give the same posts, snapshots and follower counts (string seeds
go through SHA-512 in :class:`random.Random`, so ``PYTHONHASHSEED`` does not matter), and
each platform has its own stream, so adding a platform leaves the others unchanged.

What makes it believable rather than noise:

- platforms differ: audience size and growth, which metrics they report at all (Mastodon and
  Bluesky report no impressions or reach, X no reach), how much they share, save and click,
  and how quickly a post gathers its numbers (an X post is done in a day, a pin in weeks);
- each platform has best days and hours that lift engagement, so the heatmap shows them;
- weekdays get more posts than weekends; a yearly swell peaks in December;
- four campaigns a year, each a few weeks long, with more posts, more reach and more clicks;
- followers grow along a curve, faster during campaigns, with small daily wobbles.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

from studio.analytics.summary import FollowerPoint, MetricRow, zone
from studio.platforms.limits import PLATFORMS

__all__ = [
    "PROFILES",
    "DemoPost",
    "DemoSnapshot",
    "DemoYear",
    "PlatformProfile",
    "generate_year",
]


@dataclass(frozen=True, slots=True)
class PlatformProfile:
    """How one platform's demo numbers behave."""

    followers: int  # at the start of the year
    monthly_growth: float  # follower growth per 30 days, before campaigns
    reach_per_follower: float  # a typical post's reach as a share of followers
    impressions_per_reach: float
    like_rate: float  # per person reached
    comment_rate: float
    share_rate: float
    save_rate: float
    click_rate: float
    video_share: float  # share of posts that are videos
    view_rate: float  # video views per person reached
    settle_days: float  # time constant of a post gathering its final numbers
    best_days: tuple[int, ...]  # 0 = Monday
    best_hours: tuple[int, ...]
    reports_reach: bool = True
    reports_impressions: bool = True


# Typical numbers per platform; rates are per person reached, "settle" is in days.
# fmt: off
_NUMBERS = {
    # slug       followers grow reach impr  like   comment share  save   click  video view  settle
    "x":         (5200,  0.012, 0.30, 1.00, 0.012, 0.0025, 0.003, 0.0015, 0.006,  0.15, 0.35, 0.4),
    "instagram": (14800, 0.025, 0.28, 1.45, 0.045, 0.004,  0.004, 0.006,  0.0004, 0.4,  1.6,  1.5),
    "facebook":  (9600,  0.006, 0.12, 1.30, 0.025, 0.004,  0.003, 0.0,    0.008,  0.2,  0.6,  1.0),
    "linkedin":  (4100,  0.030, 0.45, 1.60, 0.022, 0.003,  0.002, 0.0,    0.012,  0.1,  0.5,  1.5),
    "threads":   (3300,  0.040, 0.35, 1.00, 0.040, 0.006,  0.004, 0.0,    0.0,    0.1,  0.0,  0.8),
    "bluesky":   (1900,  0.050, 0.40, 1.00, 0.050, 0.006,  0.010, 0.002,  0.0,    0.05, 0.0,  0.5),
    "mastodon":  (1200,  0.020, 0.50, 1.00, 0.040, 0.006,  0.015, 0.0,    0.0,    0.05, 0.0,  0.5),
    "tiktok":    (8700,  0.050, 0.90, 1.20, 0.060, 0.002,  0.004, 0.003,  0.0,    1.0,  1.0,  3.0),
    "pinterest": (2600,  0.020, 1.40, 1.00, 0.003, 0.0003, 0.0,   0.012,  0.009,  0.1,  0.4,  20.0),
    "youtube":   (3900,  0.020, 0.80, 1.00, 0.030, 0.004,  0.002, 0.0,    0.0,    1.0,  0.9,  10.0),
}
# fmt: on
# Best days (Monday = 0) and local hours: posts then get noticeably more engagement.
_BEST: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "x": ((0, 1, 2, 3, 4), (8, 12, 17)),
    "instagram": ((0, 1, 2, 3, 4, 5, 6), (11, 12, 19, 20)),
    "facebook": ((2, 3, 4), (9, 10, 13)),
    "linkedin": ((1, 2, 3), (8, 9)),
    "threads": ((0, 1, 2, 3, 4), (7, 8, 20)),
    "bluesky": ((0, 1, 2, 3, 4), (9, 10, 20)),
    "mastodon": ((0, 1, 2, 3, 4), (14, 15, 16)),
    "tiktok": ((3, 4, 5, 6), (18, 19, 20, 21)),
    "pinterest": ((5, 6), (20, 21)),
    "youtube": ((4, 5, 6), (15, 16, 17)),
}
# What the platforms' APIs leave out (see metrics.PLATFORM_FIELDS).
_NO_REACH = {"x", "threads", "bluesky", "mastodon", "pinterest", "youtube"}
_NO_IMPRESSIONS = {"bluesky", "mastodon"}

PROFILES: dict[str, PlatformProfile] = {
    slug: PlatformProfile(
        *row,
        *_BEST[slug],
        reports_reach=slug not in _NO_REACH,
        reports_impressions=slug not in _NO_IMPRESSIONS,
    )
    for slug, row in _NUMBERS.items()
}

_THEMES = (
    ("Product spotlight", "product"),
    ("Behind the scenes", "behind-the-scenes"),
    ("Customer story", "community"),
    ("How-to tip", "education"),
    ("Team update", "team"),
    ("Question for followers", "community"),
    ("Offer of the week", "promo"),
)
_CAMPAIGN_NAMES = (
    ("Spring launch", 2),
    ("Summer sale", 5),
    ("Back to work", 8),
    ("Holiday gifting", 10),
)
# Posts per weekday, Monday first: weekdays busy, Sunday quietest.
_DAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.9, 0.5, 0.35)
_SNAPSHOT_AGES = (1, 7, 28)


@dataclass(frozen=True, slots=True)
class DemoPost:
    """A published demo post: where and when, what about, and for which campaign."""

    external_id: str
    platform: str
    published_at: datetime  # aware, UTC
    caption_hint: str
    campaign: str | None
    labels: tuple[str, ...] = ()
    is_video: bool = False


@dataclass(frozen=True, slots=True)
class DemoSnapshot:
    """A post's cumulative metrics as collected on ``snapshot_date``."""

    external_id: str
    platform: str
    snapshot_date: date
    impressions: int
    reach: int
    likes: int
    comments: int
    shares: int
    saves: int
    link_clicks: int
    video_views: int


class DemoYear(NamedTuple):
    """A brand's generated year: posts, their snapshots, and followers per channel per day."""

    posts: list[DemoPost]
    snapshots: list[DemoSnapshot]
    followers: list[FollowerPoint]

    def rows(self) -> list[MetricRow]:
        """Return one :class:`MetricRow` per post from its latest snapshot."""
        latest: dict[str, DemoSnapshot] = {}
        for snap in self.snapshots:
            held = latest.get(snap.external_id)
            if held is None or snap.snapshot_date >= held.snapshot_date:
                latest[snap.external_id] = snap
        rows = []
        for post in self.posts:
            snap = latest.get(post.external_id)
            if snap is None:
                continue
            rows.append(
                MetricRow(
                    post_id=post.external_id,
                    platform=post.platform,
                    published_at=post.published_at,
                    campaign=post.campaign,
                    labels=post.labels,
                    impressions=snap.impressions,
                    reach=snap.reach,
                    likes=snap.likes,
                    comments=snap.comments,
                    shares=snap.shares,
                    saves=snap.saves,
                    link_clicks=snap.link_clicks,
                    video_views=snap.video_views,
                )
            )
        return rows


@dataclass(frozen=True, slots=True)
class _Campaign:
    name: str
    start: date
    end: date  # inclusive


def _campaigns(rng: random.Random, start: date, days: int) -> list[_Campaign]:
    result = []
    for name, month in _CAMPAIGN_NAMES:
        # Each campaign keeps its season: find that month's first day inside the year.
        year = start.year if month >= start.month else start.year + 1
        opening = date(year, month, 1) + timedelta(days=rng.randrange(0, 20))
        length = rng.randrange(14, 29)
        if opening >= start + timedelta(days=days):
            opening = date(year - 1, month, 1) + timedelta(days=rng.randrange(0, 20))
        if opening < start:
            continue
        result.append(_Campaign(name, opening, opening + timedelta(days=length - 1)))
    return sorted(result, key=lambda c: c.start)


def _campaign_on(campaigns: Sequence[_Campaign], day: date) -> _Campaign | None:
    for campaign in campaigns:
        if campaign.start <= day <= campaign.end:
            return campaign
    return None


def _season(day: date) -> float:
    # A swell peaking mid-December and a dip in mid-June, +/- 15 %.
    return 1 + 0.15 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 350) / 365)


def _followers_curve(
    rng: random.Random,
    profile: PlatformProfile,
    start: date,
    days: int,
    campaigns: Sequence[_Campaign],
) -> list[int]:
    counts = []
    current = float(profile.followers) * rng.uniform(0.85, 1.15)
    daily = (1 + profile.monthly_growth) ** (1 / 30) - 1
    for offset in range(days):
        day = start + timedelta(days=offset)
        boost = 2.5 if _campaign_on(campaigns, day) else 1.0
        # Growth slows as the audience grows (a gentle logistic bend) and wobbles daily.
        bend = 1 / (1 + current / (profile.followers * 6))
        current *= 1 + daily * boost * bend * 1.4 + rng.gauss(0, 0.0008)
        counts.append(max(int(current), 0))
    return counts


def _pick_days(rng: random.Random, week_start: date, count: int, days: int) -> list[date]:
    # Weights follow the weekday, not the offset: the year may start on any day.
    weights = [_DAY_WEIGHTS[(week_start + timedelta(days=d)).weekday()] for d in range(7)]
    chosen = rng.choices(range(7), weights=weights, k=count)
    return [week_start + timedelta(days=d) for d in sorted(chosen) if d < days]


def _publish_time(rng: random.Random, profile: PlatformProfile, day: date) -> time:
    if day.weekday() in profile.best_days and rng.random() < 0.45:
        hour = rng.choice(profile.best_hours)
    else:
        hour = rng.randrange(7, 23)
    return time(hour, rng.choice((0, 0, 15, 30, 30, 45)) + rng.randrange(0, 3))


def generate_year(
    brand_slug: str,
    platforms: Iterable[str] | None = None,
    posts_per_week: float = 4,
    start_date: date = date(2025, 11, 1),
    seed: int | str = 0,
    *,
    tz: str | tzinfo = "Europe/London",
    days: int = 365,
) -> DemoYear:
    """Return ``days`` of demo posts, snapshots and daily followers for one brand.

    ``platforms`` defaults to every platform Plume knows; ``posts_per_week`` is per
    platform. Local posting times are in ``tz`` and stored in UTC. Snapshots are taken 1, 7
    and 28 days after publishing, never after the year's last day.
    """
    tz = zone(tz)
    chosen = list(platforms) if platforms is not None else list(PLATFORMS)
    unknown = [p for p in chosen if p not in PROFILES]
    if unknown:
        raise ValueError(f"no demo profile for {', '.join(unknown)}")
    if posts_per_week < 0 or days <= 0:
        raise ValueError("posts_per_week must be 0 or more and days at least 1")
    base = f"plume-demo:{seed}:{brand_slug}"
    campaigns = _campaigns(random.Random(base), start_date, days)
    last_day = start_date + timedelta(days=days - 1)
    posts: list[DemoPost] = []
    snapshots: list[DemoSnapshot] = []
    followers: list[FollowerPoint] = []
    for platform in chosen:
        rng = random.Random(f"{base}:{platform}")
        profile = PROFILES[platform]
        curve = _followers_curve(rng, profile, start_date, days, campaigns)
        followers.extend(
            FollowerPoint(platform, start_date + timedelta(days=i), count)
            for i, count in enumerate(curve)
        )
        number = 0
        for week in range(0, days, 7):
            week_start = start_date + timedelta(days=week)
            in_campaign = _campaign_on(campaigns, week_start + timedelta(days=3))
            rate = posts_per_week * (1.5 if in_campaign else 1.0)
            count = int(rate) + (1 if rng.random() < rate - int(rate) else 0)
            for day in _pick_days(rng, week_start, count, days - week):
                number += 1
                post, post_snapshots = _post(
                    rng,
                    profile,
                    platform,
                    brand_slug,
                    number,
                    day,
                    tz,
                    curve,
                    start_date,
                    last_day,
                    campaigns,
                )
                posts.append(post)
                snapshots.extend(post_snapshots)
    posts.sort(key=lambda p: (p.published_at, p.external_id))
    return DemoYear(posts, snapshots, followers)


def _post(
    rng: random.Random,
    profile: PlatformProfile,
    platform: str,
    brand_slug: str,
    number: int,
    day: date,
    tz: tzinfo,
    curve: Sequence[int],
    start: date,
    last_day: date,
    campaigns: Sequence[_Campaign],
) -> tuple[DemoPost, list[DemoSnapshot]]:
    local = datetime.combine(day, _publish_time(rng, profile, day), tzinfo=tz)
    published = local.astimezone(UTC)
    running = _campaign_on(campaigns, day)
    campaign = running.name if running is not None and rng.random() < 0.7 else None
    theme, label = rng.choice(_THEMES)
    labels = (label, "campaign") if campaign else (label,)
    is_video = rng.random() < profile.video_share
    post = DemoPost(
        external_id=f"demo-{brand_slug}-{platform}-{number:05d}",
        platform=platform,
        published_at=published,
        caption_hint=f"{theme} ({campaign})" if campaign else theme,
        campaign=campaign,
        labels=labels,
        is_video=is_video,
    )
    # The best slots lift engagement a lot and reach a little: the heatmap reads rates.
    best = local.weekday() in profile.best_days and local.hour in profile.best_hours
    timing = 1.8 if best else (0.8 if local.hour >= 22 or local.hour < 8 else 1.0)
    boost = 1.35 if campaign else 1.0
    followers = curve[(day - start).days]
    reach = (
        followers
        * profile.reach_per_follower
        * rng.lognormvariate(0, 0.45)
        * _season(day)
        * boost
        * (1 + 0.25 * (timing - 1))
        * (1.3 if is_video else 1.0)
    )
    engaged = timing * rng.lognormvariate(0, 0.2)

    def count(rate: float, spread: float = 0.3) -> float:
        return reach * rate * engaged * rng.lognormvariate(0, spread)

    final = {
        "impressions": reach * profile.impressions_per_reach * rng.uniform(0.95, 1.1),
        "reach": reach,
        "likes": count(profile.like_rate),
        "comments": count(profile.comment_rate, 0.5),
        "shares": count(profile.share_rate, 0.5),
        "saves": count(profile.save_rate, 0.4),
        "link_clicks": count(profile.click_rate * (1.8 if campaign else 1.0), 0.4),
        "video_views": reach * profile.view_rate * rng.uniform(0.8, 1.2) if is_video else 0.0,
    }
    if not profile.reports_reach:
        final["reach"] = 0.0
    if not profile.reports_impressions:
        final["impressions"] = 0.0
    snapshots = []
    taken: set[date] = set()
    for age in _SNAPSHOT_AGES:
        on = min(day + timedelta(days=age), last_day)
        if on in taken:
            continue
        taken.add(on)
        elapsed = max((on - day).days, 0.5)
        share = 1 - math.exp(-elapsed / profile.settle_days)
        values = {key: round(value * share) for key, value in final.items()}
        snapshots.append(DemoSnapshot(post.external_id, platform, on, **values))
    return post, snapshots
