"""Reading a brand's metrics as the pure summaries take them, and the posts behind them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from studio.analytics.summary import FollowerPoint, MetricRow, Period
from studio.extensions import db
from studio.models import Brand, MediaItem, Post, PostRevision
from studio.models.analytics import FollowerCount, PublishedPost

# Columns read for a MetricRow, in MetricRow's field order after the first five.
_METRIC_COLUMNS = (
    PublishedPost.impressions,
    PublishedPost.reach,
    PublishedPost.likes,
    PublishedPost.comments,
    PublishedPost.shares,
    PublishedPost.saves,
    PublishedPost.link_clicks,
    PublishedPost.video_views,
)


def metric_rows(
    brand: Brand,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    platforms: Iterable[str] | None = None,
) -> list[MetricRow]:
    """Return one row per published post of the brand, published in [start, end)."""
    query = select(
        PublishedPost.id,
        PublishedPost.platform,
        PublishedPost.published_at,
        PublishedPost.campaign,
        PublishedPost.labels,
        *_METRIC_COLUMNS,
    ).where(PublishedPost.brand_id == brand.id)
    if start is not None:
        query = query.where(PublishedPost.published_at >= start)
    if end is not None:
        query = query.where(PublishedPost.published_at < end)
    if platforms is not None:
        query = query.where(PublishedPost.platform.in_(list(platforms)))
    rows = []
    for pid, platform, when, campaign, labels, *values in db.session.execute(
        query.order_by(PublishedPost.published_at, PublishedPost.id)
    ):
        rows.append(
            MetricRow(
                pid,
                platform,
                _aware(when),
                campaign or None,
                tuple(labels or ()),
                *(int(v or 0) for v in values),
            )
        )
    return rows


def rows_for(
    brand: Brand, period: Period, platforms: Iterable[str] | None = None
) -> list[MetricRow]:
    """Return the rows of ``period`` and of the period before it (for the deltas)."""
    return metric_rows(
        brand, start=period.previous().start_utc, end=period.end_utc, platforms=platforms
    )


def follower_points(
    brand: Brand, first: date, last: date, platforms: Iterable[str] | None = None
) -> list[FollowerPoint]:
    """Return each platform's followers per day (channels on one platform added up)."""
    query = (
        select(FollowerCount.platform, FollowerCount.day, func.sum(FollowerCount.followers))
        .where(
            FollowerCount.brand_id == brand.id,
            FollowerCount.day >= first,
            FollowerCount.day <= last,
        )
        .group_by(FollowerCount.platform, FollowerCount.day)
        .order_by(FollowerCount.day, FollowerCount.platform)
    )
    if platforms is not None:
        query = query.where(FollowerCount.platform.in_(list(platforms)))
    return [FollowerPoint(p, d, int(n)) for p, d, n in db.session.execute(query)]


def followers_for(
    brand: Brand, period: Period, platforms: Iterable[str] | None = None
) -> list[FollowerPoint]:
    """Return follower points from the previous period's start to ``period``'s end."""
    return follower_points(
        brand, period.previous().start - timedelta(days=1), period.end, platforms
    )


def available_filters(brand: Brand) -> dict[str, list[str]]:
    """Return the platforms, campaigns and labels the brand's published posts have."""
    platforms = sorted(
        db.session.scalars(
            select(PublishedPost.platform).where(PublishedPost.brand_id == brand.id).distinct()
        )
    )
    campaigns = sorted(
        c
        for c in db.session.scalars(
            select(PublishedPost.campaign).where(PublishedPost.brand_id == brand.id).distinct()
        )
        if c
    )
    labels: set[str] = set()
    # JSON has no equality on PostgreSQL, so no DISTINCT: the set removes the repeats.
    for row in db.session.scalars(
        select(PublishedPost.labels).where(PublishedPost.brand_id == brand.id)
    ):
        labels.update(row or ())
    return {"platforms": platforms, "campaigns": campaigns, "labels": sorted(labels)}


def data_range(brand: Brand) -> tuple[datetime, datetime] | None:
    """Return the first and last publishing instants of the brand's posts, if any."""
    first, last = db.session.execute(
        select(func.min(PublishedPost.published_at), func.max(PublishedPost.published_at)).where(
            PublishedPost.brand_id == brand.id
        )
    ).one()
    if first is None:
        return None
    return _aware(first), _aware(last)


def _aware(moment: datetime) -> datetime:
    # Aggregates of a UTC column come back naive from SQLite; they are UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------
# The posts behind the rows


@dataclass
class PostDetail:
    """What the pages and the report show of one published post."""

    id: int
    platform: str
    published_at: datetime
    caption: str
    title: str
    url: str | None
    post_id: int | None
    media: MediaItem | None
    alt_text: str
    revision: int | None  # the revision whose text is shown (approved, else current)


def _variant_text(snapshot: dict[str, Any], platform: str) -> str:
    variant = (snapshot.get("variants") or {}).get(platform) or {}
    text = variant.get("text")
    return text if text is not None else str(snapshot.get("master_text") or "")


def post_details(
    ids: Iterable[int], *, revisions: dict[int, int] | None = None
) -> dict[int, PostDetail]:
    """Return details of published posts; ``revisions`` maps Plume post id to the revision
    whose copy to show (the approved one). Without one, the post's current copy is shown."""
    ids = sorted(set(ids))
    if not ids:
        return {}
    published = list(db.session.scalars(select(PublishedPost).where(PublishedPost.id.in_(ids))))
    post_ids = {p.post_id for p in published if p.post_id}
    posts = {p.id: p for p in db.session.scalars(select(Post).where(Post.id.in_(sorted(post_ids))))}
    wanted = revisions or {}
    snapshots: dict[int, tuple[int, dict[str, Any]]] = {}
    pairs = [(pid, number) for pid, number in wanted.items() if pid in posts]
    if pairs:
        rows = db.session.execute(
            select(PostRevision.post_id, PostRevision.number, PostRevision.snapshot).where(
                PostRevision.post_id.in_([p for p, _ in pairs])
            )
        )
        for post_id, number, snap in rows:
            if wanted.get(post_id) == number:
                snapshots[post_id] = (number, snap)
    media_ids: dict[int, int] = {}
    alts: dict[int, str] = {}
    for row in published:
        post = posts.get(row.post_id) if row.post_id else None
        if post is None:
            continue
        snap = snapshots.get(post.id, (None, None))[1]
        items = (snap or {}).get("media") if snap else post.media
        variant = post.variant(row.platform)
        if not snap and variant is not None and variant.media:
            items = variant.media
        if items:
            media_ids[row.id] = int(items[0].get("media_id"))
            alts[row.id] = str(items[0].get("alt_text") or "")
    media = {
        m.id: m
        for m in db.session.scalars(
            select(MediaItem).where(MediaItem.id.in_(sorted(set(media_ids.values()))))
        )
    }
    result = {}
    for row in published:
        post = posts.get(row.post_id) if row.post_id else None
        revision = None
        if post is not None:
            number, snap = snapshots.get(post.id, (None, None))
            if snap is not None:
                caption = _variant_text(snap, row.platform)
                title = str(snap.get("title") or post.title)
                revision = number
            else:
                variant = post.variant(row.platform)
                caption = variant.effective_text() if variant is not None else post.master_text
                title = post.title
                revision = post.revision
        else:
            caption, title = row.caption, ""
        item = media.get(media_ids.get(row.id, -1))
        result[row.id] = PostDetail(
            id=row.id,
            platform=row.platform,
            published_at=row.published_at,
            caption=caption or row.caption,
            title=title,
            url=row.url,
            post_id=row.post_id,
            media=item,
            alt_text=alts.get(row.id) or (item.alt_text if item else ""),
            revision=revision,
        )
    return result


def group_by_platform(rows: Iterable[MetricRow]) -> dict[str, list[MetricRow]]:
    """Return the rows per platform."""
    groups: dict[str, list[MetricRow]] = defaultdict(list)
    for row in rows:
        groups[row.platform].append(row)
    return groups
