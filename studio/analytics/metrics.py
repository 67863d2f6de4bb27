"""Every analytics metric defined once, as data, with the engagement-rate formula.

The UI, the PDF report and the CSV importer all read the labels and definitions from here,
so a metric means the same thing on every page. Each platform's own names for the metrics
(API fields and export headers) are data too: :data:`PLATFORM_FIELDS`.

Counts are whole numbers. The engagement rate is a ratio (0.034 means 3.4 %); format it with
:func:`format_value`, never by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from studio.platforms.limits import PLATFORMS

__all__ = [
    "CHANNEL_METRICS",
    "COUNT",
    "ENGAGEMENT_FIELDS",
    "ENGAGEMENT_RATE_DEFINITION",
    "ENGAGEMENT_RATE_GROUP_NOTE",
    "METRICS",
    "PEOPLE",
    "PLATFORM_FIELDS",
    "POSTS",
    "POST_METRICS",
    "RATIO",
    "Metric",
    "PlatformField",
    "UnknownMetricError",
    "engagement_rate",
    "engagements",
    "format_compact",
    "format_value",
    "from_api",
    "metric",
    "platform_name",
    "rate_denominator",
]

# Units: "count" (events, summed), "people" (unique viewers per post, summed across posts),
# "ratio" (a fraction shown as a percentage) and "posts".
COUNT, PEOPLE, RATIO, POSTS = "count", "people", "ratio", "posts"


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric: its key, label, one-sentence definition, unit and direction."""

    key: str
    label: str
    definition: str
    unit: str
    higher_is_better: bool = True
    note: str = ""  # a footnote for the report: how the metric adds up across posts

    @property
    def is_ratio(self) -> bool:
        """Return True when the metric is a rate, not a count that can be summed."""
        return self.unit == RATIO


class UnknownMetricError(KeyError):
    """A metric key that Plume does not define; the message lists the known keys."""

    def __init__(self, key: object) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"unknown metric {self.key!r} (known: {', '.join(METRICS)})"


ENGAGEMENT_FIELDS = ("likes", "comments", "shares", "saves", "link_clicks")

ENGAGEMENT_RATE_DEFINITION = (
    "Engagements (likes, comments, shares, saves and link clicks) divided by reach; for "
    "posts whose platform reports no reach, impressions are used instead, and a post with "
    "neither has no rate (shown as a dash, never as 0 %)."
)

ENGAGEMENT_RATE_GROUP_NOTE = (
    "For several posts, the engagements and the denominators of the posts that have a rate "
    "are added up before dividing, so a large post weighs more than a small one."
)

_ALL = (
    Metric("posts", "Posts", "Number of posts published in the period.", POSTS),
    Metric(
        "impressions",
        "Impressions",
        "Times the post was shown on screen, counting repeat views by the same person.",
        COUNT,
    ),
    Metric(
        "reach",
        "Reach",
        "People who saw the post at least once, as the platform counts them.",
        PEOPLE,
        note="Reach is added up across posts, so one person who saw two posts counts twice.",
    ),
    Metric("likes", "Likes", "Likes, reactions or favourites the post received.", COUNT),
    Metric("comments", "Comments", "Comments or replies written on the post.", COUNT),
    Metric(
        "shares",
        "Shares",
        "Times people shared, reposted, quoted or boosted the post to their own audience.",
        COUNT,
    ),
    Metric("saves", "Saves", "Times people saved or bookmarked the post for later.", COUNT),
    Metric(
        "link_clicks",
        "Link clicks",
        "Clicks on the link in the post that led away from the platform.",
        COUNT,
    ),
    Metric(
        "video_views",
        "Video views",
        "Times the post's video was watched, by the platform's own rule for a view.",
        COUNT,
    ),
    Metric(
        "engagements",
        "Engagements",
        "Likes, comments, shares, saves and link clicks added together.",
        COUNT,
    ),
    Metric(
        "engagement_rate",
        "Engagement rate",
        ENGAGEMENT_RATE_DEFINITION,
        RATIO,
        note=ENGAGEMENT_RATE_GROUP_NOTE,
    ),
    Metric(
        "followers",
        "Followers",
        "People following the channel at the end of the day (for a period: its last day).",
        PEOPLE,
    ),
)

METRICS: Mapping[str, Metric] = MappingProxyType({m.key: m for m in _ALL})

# Metrics a platform reports per post (snapshotted over time) and per channel per day.
POST_METRICS = (
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "link_clicks",
    "video_views",
)
CHANNEL_METRICS = ("followers",)


def metric(key: str) -> Metric:
    """Return the metric called ``key`` or raise :class:`UnknownMetricError`."""
    try:
        return METRICS[key]
    except (KeyError, TypeError):
        raise UnknownMetricError(key) from None


def engagements(
    likes: int = 0, comments: int = 0, shares: int = 0, saves: int = 0, link_clicks: int = 0
) -> int:
    """Return the engagements: likes + comments + shares + saves + link clicks."""
    return likes + comments + shares + saves + link_clicks


def rate_denominator(reach: int | None, impressions: int | None) -> int:
    """Return the engagement rate's denominator: reach, else impressions, else 0."""
    # Per post, not per total: a post without reach uses its own impressions, so mixing
    # Instagram (reach) and X (impressions only) in one total stays meaningful.
    if reach:
        return reach
    return impressions or 0


def engagement_rate(
    likes: int,
    comments: int,
    shares: int,
    saves: int,
    link_clicks: int,
    reach: int | None,
    impressions: int | None = None,
) -> float | None:
    """Return engagements / (reach or impressions) as a ratio, or None when both are 0."""
    denominator = rate_denominator(reach, impressions)
    if denominator <= 0:
        return None
    return engagements(likes, comments, shares, saves, link_clicks) / denominator


def _group(value: int) -> str:
    return f"{value:,}"


def format_value(value: float | None, unit: str = COUNT, *, digits: int = 1) -> str:
    """Return ``value`` as the UI and report print it: '12,345', '3.4 %', or '—' for None."""
    if value is None:
        return "—"
    if unit == RATIO:
        return f"{value * 100:.{digits}f} %"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.{digits}f}"
    return _group(int(value))


def format_compact(value: float | None, unit: str = COUNT) -> str:
    """Return a short form for axis ticks and tight cells: '950', '12.3k', '4.1M'."""
    if value is None:
        return "—"
    if unit == RATIO:
        percent = value * 100
        text = f"{percent:.0f}" if abs(percent) >= 10 else f"{percent:.1f}"
        return text.removesuffix(".0") + " %"
    magnitude = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            scaled = value / limit
            text = f"{scaled:.0f}" if abs(scaled) >= 100 else f"{scaled:.1f}".rstrip("0")
            return text.rstrip(".") + suffix
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value))


@dataclass(frozen=True, slots=True)
class PlatformField:
    """What a platform calls one Plume metric: API fields (added up) and export headers."""

    metric: str
    api_fields: tuple[str, ...]
    csv_headers: tuple[str, ...] = ()
    note: str = ""


def _fields(*rows: PlatformField) -> Mapping[str, PlatformField]:
    for row in rows:
        if row.metric not in POST_METRICS and row.metric not in CHANNEL_METRICS:
            raise ValueError(f"{row.metric!r} is not a collected metric")
    return MappingProxyType({row.metric: row for row in rows})


_F = PlatformField

# What each platform's API and exports call Plume's metrics. A metric missing from a
# platform's map is one the platform does not report: it stays 0 and the engagement rate
# falls back as ENGAGEMENT_RATE_DEFINITION says. Export headers are matched ignoring case
# and spacing; platforms rename them, so the CSV importer lets a user map columns by hand.
PLATFORM_FIELDS: Mapping[str, Mapping[str, PlatformField]] = MappingProxyType(
    {
        "x": _fields(
            _F("impressions", ("impression_count",), ("Impressions",)),
            _F("likes", ("like_count",), ("Likes",)),
            _F("comments", ("reply_count",), ("Replies",)),
            _F(
                "shares",
                ("retweet_count", "quote_count"),
                ("Reposts", "Retweets", "Shares"),
                "reposts and quote posts; an export's 'Shares' column is the share sheet",
            ),
            _F("saves", ("bookmark_count",), ("Bookmarks",)),
            _F(
                "link_clicks",
                ("url_link_clicks",),
                ("URL Clicks", "url clicks"),
                "non_public_metrics: only for the author's own posts, only for 30 days",
            ),
            _F("video_views", ("view_count",), ("Media views", "Video views")),
            _F("followers", ("followers_count",)),
        ),
        "instagram": _fields(
            _F(
                "impressions",
                ("views",),
                ("Views", "Impressions"),
                "Meta replaced 'impressions' with 'views' in 2025",
            ),
            _F("reach", ("reach",), ("Reach",)),
            _F("likes", ("likes",), ("Likes",)),
            _F("comments", ("comments",), ("Comments",)),
            _F("shares", ("shares",), ("Shares",)),
            _F("saves", ("saved",), ("Saves", "Saved")),
            _F(
                "link_clicks",
                ("link_clicks",),
                ("Link clicks", "Sticker taps"),
                "only stories with a link sticker; feed captions cannot carry links",
            ),
            _F("video_views", ("plays",), ("Plays",)),
            _F("followers", ("followers_count",)),
        ),
        "facebook": _fields(
            _F("impressions", ("post_impressions",), ("Impressions", "Views")),
            _F("reach", ("post_impressions_unique",), ("Reach",)),
            _F(
                "likes",
                ("reactions",),
                ("Reactions", "Likes"),
                "all reactions (like, love, haha, wow, sad, angry)",
            ),
            _F("comments", ("comments",), ("Comments",)),
            _F("shares", ("shares",), ("Shares",)),
            _F("link_clicks", ("link_clicks",), ("Link clicks",)),
            _F("video_views", ("post_video_views",), ("3-second video views", "Video views")),
            _F("followers", ("followers_count",)),
        ),
        "linkedin": _fields(
            _F("impressions", ("impressionCount",), ("Impressions",)),
            _F(
                "reach",
                ("uniqueImpressionsCount",),
                ("Unique impressions", "Members reached"),
            ),
            _F("likes", ("likeCount",), ("Reactions", "Likes")),
            _F("comments", ("commentCount",), ("Comments",)),
            _F("shares", ("shareCount",), ("Reposts", "Shares")),
            _F(
                "link_clicks",
                ("clickCount",),
                ("Clicks",),
                "LinkedIn counts every click on the post, not only the link",
            ),
            _F("video_views", ("videoViews",), ("Views", "Video views")),
            _F("followers", ("followerCount",)),
        ),
        "threads": _fields(
            _F("impressions", ("views",), ("Views",), "Meta labels 'views' as in development"),
            _F("likes", ("likes",), ("Likes",)),
            _F("comments", ("replies",), ("Replies",)),
            _F("shares", ("reposts", "quotes", "shares"), ("Reposts", "Quotes", "Shares")),
            _F("followers", ("followers_count",)),
        ),
        "bluesky": _fields(
            _F("likes", ("likeCount",), ("Likes",)),
            _F("comments", ("replyCount",), ("Replies",)),
            _F("shares", ("repostCount", "quoteCount"), ("Reposts", "Quotes")),
            _F("saves", ("bookmarkCount",), ("Bookmarks",)),
            _F("followers", ("followersCount",)),
        ),
        "mastodon": _fields(
            _F("likes", ("favourites_count",), ("Favourites", "Favorites")),
            _F("comments", ("replies_count",), ("Replies",)),
            _F("shares", ("reblogs_count",), ("Boosts", "Reblogs")),
            _F("followers", ("followers_count",)),
        ),
        "tiktok": _fields(
            _F("impressions", ("view_count",), ("Video views", "Views", "Total views")),
            _F("reach", ("reach",), ("Reached audience", "Reach")),
            _F("likes", ("like_count",), ("Likes", "Total likes")),
            _F("comments", ("comment_count",), ("Comments", "Total comments")),
            _F("shares", ("share_count",), ("Shares", "Total shares")),
            _F("saves", ("favorites",), ("Saves", "Add to Favorites")),
            _F("video_views", ("view_count",), ("Video views", "Views", "Total views")),
            _F("followers", ("follower_count",)),
        ),
        "pinterest": _fields(
            _F("impressions", ("IMPRESSION",), ("Impressions",)),
            _F("likes", ("TOTAL_REACTIONS",), ("Reactions",)),
            _F("comments", ("TOTAL_COMMENTS",), ("Comments",)),
            _F("saves", ("SAVE",), ("Saves",)),
            _F("link_clicks", ("OUTBOUND_CLICK",), ("Outbound clicks",)),
            _F("video_views", ("VIDEO_MRC_VIEW",), ("Video views",)),
            _F("followers", ("follower_count",)),
        ),
        "youtube": _fields(
            _F(
                "impressions",
                ("videoThumbnailImpressions",),
                ("Impressions",),
                "thumbnail impressions, from the Analytics API reports only",
            ),
            _F("likes", ("likeCount", "likes"), ("Likes",)),
            _F("comments", ("commentCount", "comments"), ("Comments",)),
            _F("shares", ("shares",), ("Shares",)),
            _F("video_views", ("viewCount", "views"), ("Views",)),
            _F("followers", ("subscriberCount",), (), "subscribers"),
        ),
    }
)


def platform_name(slug: str) -> str:
    """Return the platform's display name ('linkedin' -> 'LinkedIn'), or the slug itself."""
    rules = PLATFORMS.get(slug)
    return rules.name if rules is not None else slug


def from_api(platform: str, payload: Mapping[str, Any]) -> dict[str, int]:
    """Return Plume metrics from a flat mapping of a platform's API counts.

    ``payload`` maps API field names (``favourites_count``, ``likeCount`` ...) to numbers;
    fields the platform maps to one metric are added up (Bluesky reposts + quotes = shares).
    Metrics whose fields are all absent are left out, so an upsert keeps what it had.
    Missing, ``None`` or non-numeric values are skipped; negative ones raise ValueError.
    """
    fields = PLATFORM_FIELDS.get(platform)
    if fields is None:
        raise ValueError(f"unknown platform {platform!r} (known: {', '.join(PLATFORM_FIELDS)})")
    result: dict[str, int] = {}
    for key, field in fields.items():
        total: int | None = None
        for name in field.api_fields:
            raw = payload.get(name)
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                continue
            if raw < 0:
                raise ValueError(f"{platform} {name} is negative ({raw})")
            total = (total or 0) + int(raw)
        if total is not None:
            result[key] = total
    return result
