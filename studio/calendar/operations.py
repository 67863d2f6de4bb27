"""What the calendar shows: posts placed on brand-local days, filtered, in a fixed few queries.

Every view loads its range with the same four queries whatever the number of posts (the
brands, the schedules, their posts, their attempts: eager loading, no per-post query), and
filters in Python so the filter menus can offer every value of the period.
"""

from __future__ import annotations

import calendar as pycal
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, select

from studio.extensions import db
from studio.models import Brand, Membership, Post, PostSchedule, PostStatus, PublishAttempt
from studio.policy import visible_brands
from studio.publishing.scheduling import utc_to_wall, zone

VIEWS = ("month", "week", "list")
PER_DAY = 3  # chips a month cell shows before "+N more"
NEEDS_APPROVAL = frozenset({PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.CHANGES_REQUESTED})
STATUS_FILTERS = (
    ("needs_approval", "Needs approval"),
    ("approved", "Approved, not scheduled"),
    ("scheduled", "Scheduled"),
    ("published", "Published"),
    ("failed", "Failed or unsure"),
)


@dataclass
class Filters:
    platform: str = ""
    status: str = ""
    campaign: str = ""
    label: str = ""
    brand: int | None = None

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        raw_brand = (args.get("brand") or "").strip()
        return cls(
            platform=(args.get("platform") or "").strip()[:20],
            status=(args.get("status") or "").strip()[:20],
            campaign=(args.get("campaign") or "").strip()[:120],
            label=(args.get("label") or "").strip()[:60],
            brand=int(raw_brand) if raw_brand.isdigit() else None,
        )

    def as_args(self) -> dict[str, Any]:
        values = {
            "platform": self.platform,
            "status": self.status,
            "campaign": self.campaign,
            "label": self.label,
            "brand": self.brand,
        }
        return {k: v for k, v in values.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.as_args())


@dataclass
class CalPost:
    """The few fields of a post the calendar shows (no ORM object: 500 of them stay cheap)."""

    id: int
    brand_id: int
    title: str
    status: PostStatus
    platforms: list[str]
    labels: list[str]
    campaign: str


@dataclass
class Entry:
    """One post on the calendar."""

    post: CalPost
    due_at: datetime
    brand: Brand
    wall: datetime  # in the schedule's zone (the brand's, when it was scheduled)
    state: str  # needs_approval | approved | scheduled | published | failed | publishing
    failed: int = 0

    @property
    def day(self) -> date:
        return self.wall.date()

    @property
    def moveable(self) -> bool:
        return self.state not in ("published", "publishing")


@dataclass
class Period:
    view: str
    anchor: date
    start: date  # first day shown
    end: date  # day after the last day shown
    title: str
    prev: date
    next: date
    weeks: list[list[date]] = field(default_factory=list)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]


def period(view: str, anchor: date) -> Period:
    """Return the days a view shows around ``anchor``."""
    if view == "week":
        start = anchor - timedelta(days=anchor.weekday())
        end = start + timedelta(days=7)
        last = end - timedelta(days=1)
        title = f"{start:%d %b} \u2013 {last:%d %b %Y}"
        return Period(view, anchor, start, end, title, start - timedelta(days=7), end)
    first = anchor.replace(day=1)
    days_in = pycal.monthrange(first.year, first.month)[1]
    after = first + timedelta(days=days_in)
    prev = (first - timedelta(days=1)).replace(day=1)
    title = f"{first:%B %Y}"
    if view == "list":
        return Period(view, anchor, first, after, title, prev, after)
    start = first - timedelta(days=first.weekday())
    end = after + timedelta(days=(7 - after.weekday()) % 7)
    days = [start + timedelta(days=n) for n in range((end - start).days)]
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    return Period(view, anchor, start, end, title, prev, after, weeks)


def _state(status: PostStatus, attempts: int, failed: int, publishing: int) -> str:
    if failed:
        return "failed"
    if status is PostStatus.PUBLISHED:
        return "published"
    if publishing:
        return "publishing"
    if status in NEEDS_APPROVAL:
        return "needs_approval"
    if status is PostStatus.SCHEDULED or attempts:
        return "scheduled"
    return "approved"


@dataclass
class CalendarData:
    period: Period
    brands: list[Brand]
    entries: list[Entry]
    by_day: dict[date, list[Entry]]
    campaigns: list[str]
    labels: list[str]
    platforms: list[str]
    unscheduled: list[Post]
    total: int  # entries before filtering


def load(
    membership: Membership,
    per: Period,
    filters: Filters,
    brand: Brand | None = None,
) -> CalendarData:
    """Return the entries of the period for one brand, or every brand the member sees."""
    brands = [brand] if brand is not None else list(db.session.scalars(visible_brands(membership)))
    if brand is None and filters.brand:
        brands = [b for b in brands if b.id == filters.brand] or brands
    by_id = {b.id: b for b in brands}
    # Each brand places its posts on its own days: widen the UTC window by a day each side.
    lo = datetime.combine(per.start - timedelta(days=1), time(), tzinfo=UTC)
    hi = datetime.combine(per.end + timedelta(days=1), time(), tzinfo=UTC)
    rows = db.session.execute(
        select(
            PostSchedule.due_at,
            PostSchedule.timezone,
            PostSchedule.brand_id,
            Post.id,
            Post.title,
            Post.status,
            Post.platforms,
            Post.labels,
            Post.campaign,
        )
        .join(Post, Post.id == PostSchedule.post_id)
        .where(
            PostSchedule.brand_id.in_(list(by_id)),
            PostSchedule.due_at >= lo,
            PostSchedule.due_at < hi,
        )
        .order_by(PostSchedule.due_at, PostSchedule.id)
    ).all()
    # One row per post: how many attempts, failed (or unsure) and publishing right now.
    counts = {
        post_id: (total, failed, publishing)
        for post_id, total, failed, publishing in db.session.execute(
            select(
                PublishAttempt.post_id,
                func.count(PublishAttempt.id),
                func.sum(case((PublishAttempt.state.in_(("failed", "unknown")), 1), else_=0)),
                func.sum(case((PublishAttempt.state == "publishing", 1), else_=0)),
            )
            .join(PostSchedule, PostSchedule.post_id == PublishAttempt.post_id)
            .where(
                PostSchedule.brand_id.in_(list(by_id)),
                PostSchedule.due_at >= lo,
                PostSchedule.due_at < hi,
            )
            .group_by(PublishAttempt.post_id)
        )
    }
    entries: list[Entry] = []
    campaigns: set[str] = set()
    labels: set[str] = set()
    platforms: set[str] = set()
    for due_at, tz, brand_id, post_id, title, status, post_platforms, post_labels, campaign in rows:
        wall = utc_to_wall(due_at, tz)
        if not per.start <= wall.date() < per.end:
            continue
        total_attempts, failed, publishing = counts.get(post_id, (0, 0, 0))
        status = PostStatus(status)
        post = CalPost(
            post_id, brand_id, title, status, post_platforms or [], post_labels or [], campaign
        )
        state = _state(status, total_attempts, int(failed or 0), int(publishing or 0))
        entries.append(Entry(post, due_at, by_id[brand_id], wall, state, int(failed or 0)))
        if campaign:
            campaigns.add(campaign)
        labels.update(post.labels)
        platforms.update(post.platforms)
    total = len(entries)
    entries = [e for e in entries if _matches(e, filters)]
    by_day: dict[date, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_day[entry.day].append(entry)
    unscheduled = list(
        db.session.scalars(
            select(Post)
            .where(
                Post.brand_id.in_(list(by_id)),
                Post.status == PostStatus.APPROVED,
                Post.id.not_in(select(PostSchedule.post_id)),
            )
            .order_by(Post.updated_at.desc())
            .limit(20)
        )
    )
    return CalendarData(
        period=per,
        brands=brands,
        entries=entries,
        by_day=dict(by_day),
        campaigns=sorted(campaigns, key=str.lower),
        labels=sorted(labels, key=str.lower),
        platforms=sorted(platforms),
        unscheduled=unscheduled,
        total=total,
    )


def _matches(entry: Entry, filters: Filters) -> bool:
    post = entry.post
    if filters.platform and filters.platform not in (post.platforms or []):
        return False
    if filters.campaign and post.campaign != filters.campaign:
        return False
    if filters.label and filters.label.lower() not in {x.lower() for x in post.labels or []}:
        return False
    return not filters.status or entry.state == filters.status


def today_for(brands: list[Brand]) -> date:
    """Return today's date in the (first) brand's zone."""
    tz = brands[0].timezone if brands else "UTC"
    return datetime.now(UTC).astimezone(zone(tz)).date()


def parse_day(raw: str | None, default: date) -> date:
    try:
        return date.fromisoformat((raw or "").strip()[:10])
    except ValueError:
        return default
