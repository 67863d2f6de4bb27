"""Writing metrics: upserts on natural keys, so the same observation twice changes nothing.

A post on a platform is keyed by ``(brand, platform, "id:…" or "url:…")`` and a snapshot by
``(post, day)``; a metric an observation does not report keeps the value it had. Only
values that differ are written, so re-importing a file touches no row at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select

from studio.extensions import db
from studio.models import Brand
from studio.models.analytics import SNAPSHOT_METRICS, FollowerCount, MetricSnapshot, PublishedPost
from studio.models.base import utcnow
from studio.models.publishing import PublishAttempt

# Rows per query when looking keys up: well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 400


@dataclass(frozen=True)
class Observation:
    """A post's cumulative metrics on one day, from an import, a collector or the demo."""

    platform: str
    external_key: str  # "id:…" or "url:…"
    published_at: datetime
    snapshot_date: date
    metrics: Mapping[str, int]
    external_id: str | None = None
    url: str | None = None
    caption: str | None = None
    campaign: str | None = None
    labels: tuple[str, ...] = ()
    post_id: int | None = None
    channel_id: int | None = None


@dataclass
class UpsertResult:
    """How many observations added or changed a snapshot, and how many changed nothing."""

    changed: int = 0
    unchanged: int = 0
    posts_created: int = 0
    touched: set[int] = field(default_factory=set)  # per chunk: posts whose latest changed

    def add(self, other: UpsertResult) -> None:
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.posts_created += other.posts_created


def external_key(external_id: str | None, url: str | None) -> str:
    """Return the key an import uses: 'id:…' when there is an id, else 'url:…'."""
    if external_id:
        return "id:" + external_id
    return "url:" + (url or "")


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing_posts(
    brand: Brand, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], PublishedPost]:
    found: dict[tuple[str, str], PublishedPost] = {}
    by_platform: dict[str, list[str]] = {}
    for platform, key in keys:
        by_platform.setdefault(platform, []).append(key)
    # One platform at a time, so the (brand, platform, key) index answers each lookup;
    # a row-value IN list would scan the brand's posts on SQLite.
    for platform, platform_keys in by_platform.items():
        for chunk in _chunks(sorted(platform_keys)):
            rows = db.session.scalars(
                select(PublishedPost).where(
                    PublishedPost.brand_id == brand.id,
                    PublishedPost.platform == platform,
                    PublishedPost.external_key.in_(list(chunk)),
                )
            )
            for row in rows:
                found[(row.platform, row.external_key)] = row
    return found


def _plume_posts(brand: Brand, observations: Sequence[Observation]) -> dict[tuple[str, str], tuple]:
    """Return (post_id, channel_id) of Plume's attempts matching imported ids or URLs."""
    ids = {o.external_id for o in observations if o.external_id and o.post_id is None}
    urls = {o.url for o in observations if o.url and o.post_id is None}
    if not ids and not urls:
        return {}
    found: dict[tuple[str, str], tuple] = {}
    conditions = []
    if ids:
        conditions.append(PublishAttempt.platform_post_id.in_(sorted(ids)[:CHUNK]))
    if urls:
        conditions.append(PublishAttempt.url.in_(sorted(urls)[:CHUNK]))
    rows = db.session.execute(
        select(
            PublishAttempt.platform,
            PublishAttempt.platform_post_id,
            PublishAttempt.url,
            PublishAttempt.post_id,
            PublishAttempt.channel_id,
        ).where(PublishAttempt.brand_id == brand.id, or_(*conditions))
    )
    for platform, post_key, url, post_id, channel_id in rows:
        if post_key:
            found[(platform, "id:" + post_key)] = (post_id, channel_id)
        if url:
            found[(platform, "url:" + url)] = (post_id, channel_id)
    return found


def upsert(brand: Brand, observations: Sequence[Observation], source: str) -> UpsertResult:
    """Store ``observations`` (any number); return what changed. The caller commits."""
    result = UpsertResult()
    for chunk in _chunks(list(observations)):
        done = _upsert_chunk(brand, chunk, source)
        refresh_latest(done.touched)
        result.add(done)
    return result


def _upsert_chunk(brand: Brand, chunk: Sequence[Observation], source: str) -> UpsertResult:
    result = UpsertResult()
    posts = _existing_posts(brand, {(o.platform, o.external_key) for o in chunk})
    missing = [o for o in chunk if (o.platform, o.external_key) not in posts]
    plume = _plume_posts(brand, missing) if missing else {}
    now = utcnow()
    for obs in missing:
        key = (obs.platform, obs.external_key)
        if key in posts:
            continue  # the same post twice in one chunk (two snapshot days)
        post_id, channel_id = obs.post_id, obs.channel_id
        if post_id is None:
            post_id, channel_id = (
                plume.get(key)
                or plume.get((obs.platform, "url:" + (obs.url or "")))
                or (None, channel_id)
            )
        row = PublishedPost(
            workspace_id=brand.workspace_id,
            brand_id=brand.id,
            post_id=post_id,
            channel_id=channel_id,
            platform=obs.platform,
            external_key=obs.external_key,
            external_id=obs.external_id,
            url=obs.url,
            published_at=obs.published_at,
            caption=obs.caption or "",
            campaign=obs.campaign or "",
            labels=list(obs.labels),
            source=source,
            created_at=now,
            updated_at=now,
        )
        db.session.add(row)
        posts[key] = row
        result.posts_created += 1
    if missing:
        db.session.flush()
    # Fill in what a post row lacks (a caption from a later export), never overwrite it.
    for obs in chunk:
        row = posts[(obs.platform, obs.external_key)]
        changes = {}
        if obs.caption and not row.caption:
            changes["caption"] = obs.caption
        if obs.campaign and not row.campaign:
            changes["campaign"] = obs.campaign
        if obs.url and not row.url:
            changes["url"] = obs.url
        if obs.post_id and row.post_id is None:
            changes["post_id"] = obs.post_id
        if obs.channel_id and row.channel_id is None:
            changes["channel_id"] = obs.channel_id
        for name, value in changes.items():
            setattr(row, name, value)
        if changes:
            row.updated_at = now
    wanted = {(posts[(o.platform, o.external_key)].id, o.snapshot_date) for o in chunk}
    snapshots: dict[tuple[int, date], MetricSnapshot] = {}
    post_ids = sorted({pid for pid, _ in wanted})
    days = sorted({day for _, day in wanted})
    for part in _chunks(post_ids):
        for snap in db.session.scalars(
            select(MetricSnapshot).where(
                MetricSnapshot.published_post_id.in_(list(part)),
                MetricSnapshot.snapshot_date.in_(days),
            )
        ):
            if (snap.published_post_id, snap.snapshot_date) in wanted:
                snapshots[(snap.published_post_id, snap.snapshot_date)] = snap
    for obs in chunk:
        post = posts[(obs.platform, obs.external_key)]
        values = {k: int(v) for k, v in obs.metrics.items() if k in SNAPSHOT_METRICS}
        snap = snapshots.get((post.id, obs.snapshot_date))
        if snap is None:
            snap = MetricSnapshot(
                published_post_id=post.id,
                snapshot_date=obs.snapshot_date,
                source=source,
                created_at=now,
                updated_at=now,
                **values,
            )
            db.session.add(snap)
            snapshots[(post.id, obs.snapshot_date)] = snap
            result.changed += 1
            result.touched.add(post.id)
            continue
        differing = {k: v for k, v in values.items() if getattr(snap, k) != v}
        if not differing:
            result.unchanged += 1
            continue
        for name, value in differing.items():
            setattr(snap, name, value)
        snap.updated_at = now
        result.changed += 1
        result.touched.add(post.id)
    db.session.flush()
    return result


def refresh_latest(post_ids: Iterable[int]) -> None:
    """Copy each post's latest known value of every metric onto its row."""
    ids = sorted(set(post_ids))
    for chunk in _chunks(ids):
        latest: dict[int, dict[str, int]] = {}
        last_day: dict[int, date] = {}
        for snap in db.session.scalars(
            select(MetricSnapshot)
            .where(MetricSnapshot.published_post_id.in_(list(chunk)))
            .order_by(MetricSnapshot.published_post_id, MetricSnapshot.snapshot_date)
        ):
            values = latest.setdefault(snap.published_post_id, {})
            for key in SNAPSHOT_METRICS:
                value = getattr(snap, key)
                if value is not None:
                    values[key] = value
            last_day[snap.published_post_id] = snap.snapshot_date
        for post in db.session.scalars(select(PublishedPost).where(PublishedPost.id.in_(chunk))):
            values = latest.get(post.id, {})
            for key in SNAPSHOT_METRICS:
                setattr(post, key, values.get(key, 0))
            post.latest_snapshot = last_day.get(post.id)
            post.updated_at = utcnow()
    db.session.flush()


def record_followers(
    brand: Brand,
    platform: str,
    day: date,
    followers: int,
    *,
    channel_id: int | None = None,
) -> bool:
    """Store a channel's followers at the end of ``day``; return whether anything changed."""
    if followers < 0:
        raise ValueError("followers cannot be negative")
    account_key = f"channel:{channel_id}" if channel_id else ""
    row = db.session.scalar(
        select(FollowerCount).where(
            FollowerCount.brand_id == brand.id,
            FollowerCount.platform == platform,
            FollowerCount.account_key == account_key,
            FollowerCount.day == day,
        )
    )
    if row is None:
        db.session.add(
            FollowerCount(
                workspace_id=brand.workspace_id,
                brand_id=brand.id,
                channel_id=channel_id,
                platform=platform,
                account_key=account_key,
                day=day,
                followers=followers,
            )
        )
        db.session.flush()
        return True
    if row.followers == followers:
        return False
    row.followers = followers
    db.session.flush()
    return True
