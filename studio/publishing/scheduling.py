"""Scheduling and publishing exactly once: the database side.

Times: a person picks a wall-clock time in the brand's zone. The schedule keeps that wall
time and the zone's name, and the UTC instant they map to (``due_at``); the reconciler
re-derives the instant from the wall time, so a time-zone rule change never moves a post.
A wall time that does not exist (clocks going forward) is moved forward by the gap; one
that happens twice (clocks going back) means the first.

Publishing: each (post, channel) has one :class:`PublishAttempt` with a stable idempotency
key. A worker claims it by compare-and-set (``scheduled → publishing`` with a lease: ``FOR
UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite an UPDATE checked by rowcount inside the
BEGIN IMMEDIATE transaction every write uses), sends it, and settles it with another
compare-and-set on the lease token. Retries follow the adapters' contract:

- TransientError: back off exponentially with jitter, at least the platform's Retry-After.
- UnknownOutcome (or a worker that died holding the lease): the next try re-sends with the
  same key only where the platform dedupes on it (Mastodon only for an hour); otherwise it
  first looks for the post with ``find_existing``; a platform that can do neither makes the
  attempt ``unknown`` for a person to confirm.
- PermanentError: fail at once with the platform's reason and what to do; except that an
  OAuth access token refused with a 401 is first renewed once and the same publish re-sent.

Redis carries only reminders: each attempt is enqueued at its due time under a deterministic
job id, and :func:`reconcile` (every minute) enqueues whatever is due and not queued, and
settles attempts whose lease expired, so emptying Redis loses nothing.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import configure_mappers, selectinload

from studio.database import read_only
from studio.extensions import db
from studio.models import Brand, Membership, Post, PostStatus, User
from studio.models.base import utcnow
from studio.models.publishing import (
    MIRROR_CHANNELS,
    AttemptState,
    Channel,
    PostSchedule,
    PublishAttempt,
    QueueSlot,
)
from studio.publishing import (
    LABELS,
    OutgoingPost,
    PermanentError,
    Published,
    PublishError,
    TransientError,
    UnknownOutcome,
)
from studio.publishing import operations as ops

log = logging.getLogger(__name__)

S = AttemptState
# Mastodon keeps Idempotency-Keys for one hour; Plume trusts them for 55 minutes.
MASTODON_KEY_TTL_SECONDS = 55 * 60
LOOK_BACK = timedelta(minutes=5)  # find_existing looks from a little before the first try
PUBLISH_QUEUE = "publishing"


class SchedulingError(ValueError):
    def __init__(self, message: str, status: int = 422, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


# -- settings -------------------------------------------------------------------------------


def warm_up() -> None:
    """Configure the ORM once at start-up: RQ forks a work horse per job, and each would
    otherwise spend about 0.1 s configuring every mapper before its first query."""
    configure_mappers()


def _setting(name: str, default: float) -> float:
    """Return a publishing setting from the app's config, else the environment."""
    value = current_app.config.get(name)
    if value in (None, ""):
        value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def job_timeout() -> int:
    """RQ kills a publish job before its lease ends, so a lease never outlives its worker."""
    lease = lease_seconds()
    return int(max(5, lease - max(3, min(15, lease * 0.2))))


def lease_seconds() -> float:
    """How long a claimed attempt belongs to its worker (the job is killed before it ends)."""
    return _setting("PUBLISH_LEASE_SECONDS", 600)


def max_tries() -> int:
    return int(_setting("PUBLISH_MAX_TRIES", 8))


def backoff(tries: int, retry_after: float | None = None) -> float:
    """Return seconds before try number ``tries + 1``: exponential, jittered, ≥ Retry-After."""
    base = _setting("PUBLISH_RETRY_BASE_SECONDS", 30)
    cap = _setting("PUBLISH_RETRY_CAP_SECONDS", 900)
    wait = min(cap, base * 2 ** max(0, tries - 1))
    wait = wait * (0.5 + random.random() / 2)  # jitter, not security
    return max(wait, retry_after or 0.0)


# -- time zones -----------------------------------------------------------------------------


def zone(name: str | None) -> ZoneInfo:
    """Return the zone called ``name``, or UTC for an unknown name."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def wall_to_utc(local: datetime, tz: str) -> datetime:
    """Return the UTC instant of a wall-clock time in ``tz`` (first one if it happens twice)."""
    return local.replace(tzinfo=zone(tz), fold=0).astimezone(UTC)


def utc_to_wall(instant: datetime, tz: str) -> datetime:
    """Return ``instant`` as an aware wall-clock time in ``tz``."""
    return instant.astimezone(zone(tz))


def wall_note(local: datetime, tz: str) -> str | None:
    """Explain a wall time a clock change makes odd in ``tz``, or None."""
    zinfo = zone(tz)
    first = local.replace(tzinfo=zinfo, fold=0)
    back = first.astimezone(UTC).astimezone(zinfo).replace(tzinfo=None)
    if back != local:
        return (
            f"{local:%H:%M} does not exist on {local:%d %b} in {tz} (the clocks go forward); "
            f"it will go out at {back:%H:%M}."
        )
    if first.utcoffset() != local.replace(tzinfo=zinfo, fold=1).utcoffset():
        return (
            f"{local:%H:%M} happens twice on {local:%d %b} in {tz} (the clocks go back); "
            "it will go out the first time."
        )
    return None


def parse_local(day: str, clock: str) -> datetime:
    """Return the naive wall time from a date (YYYY-MM-DD) and a time (HH:MM) field."""
    try:
        d = date.fromisoformat((day or "").strip())
    except ValueError as exc:
        raise SchedulingError("Enter a date such as 2026-03-29.", field="date") from exc
    try:
        t = time.fromisoformat((clock or "").strip()[:5])
    except ValueError as exc:
        raise SchedulingError("Enter a time such as 09:30.", field="time") from exc
    return datetime.combine(d, t.replace(second=0, microsecond=0))


def local_string(local: datetime) -> str:
    return local.strftime("%Y-%m-%dT%H:%M")


def schedule_wall(schedule: PostSchedule) -> datetime:
    """Return the schedule's chosen wall time (naive) in its zone."""
    return datetime.strptime(schedule.local_time, "%Y-%m-%dT%H:%M")


# -- who may be published -------------------------------------------------------------------


def _approvals() -> Any:
    try:
        from studio.approvals import operations as approvals
    except ImportError:  # the approvals area is not installed
        return None
    return approvals


def has_approval_flow(brand: Brand) -> bool:
    """Tell whether the brand's posts need approval before they are published."""
    approvals = _approvals()
    if approvals is None or not hasattr(approvals, "flow_steps"):
        return False
    return bool(approvals.flow_steps(brand))


def publish_blocker(post: Post) -> str | None:
    """Return why the post may not be published now, or None if it may."""
    status = PostStatus(post.status)
    if status in (PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.PUBLISHED):
        approvals = _approvals()
        check = getattr(approvals, "is_fully_approved", None)
        needs_flow = status is not PostStatus.PUBLISHED and check is not None
        if needs_flow and has_approval_flow(post.brand) and not check(post):
            return "The post's approvals no longer cover its current version."
        return None
    if status is PostStatus.DRAFT and not has_approval_flow(post.brand):
        return None  # a brand without an approval flow publishes drafts as they are
    return f"The post is {status.label.lower()}: it needs approval before it is published."


def _set_status(post: Post, status: PostStatus, user: User | None, note: str = "") -> None:
    if post.status == status:
        return
    approvals = _approvals()
    if approvals is not None and hasattr(approvals, "change_status"):
        approvals.change_status(post, status, user, "publishing", note=note)
    else:
        post.status = status


# -- schedules ------------------------------------------------------------------------------


@dataclass
class ScheduleResult:
    schedule: PostSchedule
    attempts: list[PublishAttempt] = field(default_factory=list)
    planned_only: str | None = None  # why nothing will be published (yet)
    note: str | None = None  # a clock-change remark


def _key(post: Post, channel: Channel) -> str:
    return f"plume-{post.id}-{channel.id}-{secrets.token_hex(6)}"


def _variant_platform(post: Post, channel: Channel) -> str | None:
    if channel.platform in MIRROR_CHANNELS:
        mirror = channel.mirror_platform
        return mirror if mirror in post.platforms else None
    return channel.platform


def get_schedule(post: Post) -> PostSchedule | None:
    return db.session.scalar(select(PostSchedule).where(PostSchedule.post_id == post.id))


def post_attempts(post: Post) -> list[PublishAttempt]:
    return list(
        db.session.scalars(
            select(PublishAttempt)
            .where(PublishAttempt.post_id == post.id)
            .options(selectinload(PublishAttempt.channel))
            .order_by(PublishAttempt.id)
        )
    )


def schedule_post(
    membership: Membership,
    post: Post,
    local: datetime,
    *,
    tz: str | None = None,
    channel_ids: Iterable[int] | None = None,
    from_queue: bool = False,
    now: datetime | None = None,
) -> ScheduleResult:
    """Put the post on the calendar at a wall time; if it may be published, schedule it.

    Call :func:`enqueue_attempts` with the result's attempts after the commit.
    """
    now = now or utcnow()
    tz = tz or post.brand.timezone or "UTC"
    due = wall_to_utc(local, tz)
    if post.status == PostStatus.PUBLISHED:
        raise SchedulingError("This post was already published.", status=409)
    if due < now - timedelta(minutes=1):
        raise SchedulingError("Choose a time in the future.", field="time")
    schedule = get_schedule(post)
    if schedule is None:
        schedule = PostSchedule(
            workspace_id=post.workspace_id,
            brand_id=post.brand_id,
            post_id=post.id,
            created_by_id=membership.user_id,
        )
        db.session.add(schedule)
    schedule.due_at = due
    schedule.local_time = local_string(local)
    schedule.timezone = tz
    schedule.from_queue = from_queue
    schedule.updated_at = now
    if channel_ids is not None:
        schedule.channel_ids = sorted({int(c) for c in channel_ids})
    db.session.flush()
    result = ScheduleResult(schedule, note=wall_note(local, tz))
    blocker = publish_blocker(post)
    if blocker:
        result.planned_only = blocker
        return result
    result.attempts = _sync_attempts(post, schedule, now)
    if not result.attempts and not _any_attempt(post):
        result.planned_only = "The brand has no connected channel for this post's platforms."
    elif post.status != PostStatus.SCHEDULED:
        _set_status(post, PostStatus.SCHEDULED, membership.user, f"for {schedule.local_time}")
    return result


def _any_attempt(post: Post) -> bool:
    return db.session.scalar(select(PublishAttempt.id).where(PublishAttempt.post_id == post.id))


def _sync_attempts(post: Post, schedule: PostSchedule, now: datetime) -> list[PublishAttempt]:
    """Create the missing attempts, drop unchosen pending ones, move pending ones' time."""
    channels = ops.channels_for_post(post, ops.brand_channels(post.brand))
    if schedule.channel_ids is not None:
        chosen = set(schedule.channel_ids)
        channels = [c for c in channels if c.id in chosen]
    existing = {a.channel_id: a for a in post_attempts(post)}
    wanted = {c.id for c in channels}
    pending: list[PublishAttempt] = []
    for channel_id, attempt in existing.items():
        if attempt.state == S.SCHEDULED and channel_id not in wanted:
            db.session.delete(attempt)
        elif attempt.state == S.SCHEDULED:
            attempt.due_at = schedule.due_at
            attempt.updated_at = now
            pending.append(attempt)
    for channel in channels:
        if channel.id in existing:
            continue
        variant_platform = _variant_platform(post, channel)
        variant = post.variant(variant_platform) if variant_platform else None
        attempt = PublishAttempt(
            workspace_id=post.workspace_id,
            brand_id=post.brand_id,
            post_id=post.id,
            post_variant_id=variant.id if variant else None,
            channel_id=channel.id,
            platform=channel.platform,
            variant_platform=variant_platform,
            idempotency_key=_key(post, channel),
            state=S.SCHEDULED.value,
            due_at=schedule.due_at,
        )
        db.session.add(attempt)
        pending.append(attempt)
    db.session.flush()
    return pending


def activate(post: Post, user: User | None = None) -> list[PublishAttempt]:
    """Schedule a planned post once it may be published (the approvals area may call this)."""
    schedule = get_schedule(post)
    if schedule is None or publish_blocker(post) is not None:
        return []
    now = utcnow()
    if schedule.due_at < now:
        return []  # its time passed while it waited: a person picks a new one
    attempts = _sync_attempts(post, schedule, now)
    if attempts:
        _set_status(post, PostStatus.SCHEDULED, user, f"for {schedule.local_time}")
    return attempts


def unschedule(post: Post, user: User | None) -> int:
    """Take the post off the calendar; attempts already sent (or maybe sent) stay."""
    removed = 0
    for attempt in post_attempts(post):
        if attempt.state in (S.SCHEDULED, S.FAILED):
            db.session.delete(attempt)
            removed += 1
    schedule = get_schedule(post)
    if schedule is not None:
        db.session.delete(schedule)
    db.session.flush()
    if post.status == PostStatus.SCHEDULED and not _any_attempt(post):
        _set_status(post, PostStatus.APPROVED, user, "unscheduled")
    return removed


# -- queue slots ----------------------------------------------------------------------------

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def queue_slots(brand: Brand) -> list[QueueSlot]:
    return list(
        db.session.scalars(
            select(QueueSlot)
            .where(QueueSlot.brand_id == brand.id)
            .order_by(QueueSlot.weekday, QueueSlot.time)
        )
    )


def parse_slots(text: str) -> list[tuple[int, str]]:
    """Read "Tue/Thu 09:30, Fri 14:00" into (weekday, "HH:MM") pairs."""
    found: list[tuple[int, str]] = []
    names = {w.lower(): i for i, w in enumerate(WEEKDAYS)}
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        days, _, clock = part.rpartition(" ")
        try:
            t = time.fromisoformat(clock.strip())
        except ValueError as exc:
            raise SchedulingError(f"“{part}”: write the time as 09:30.", field="slots") from exc
        for day in days.replace("/", " ").replace("+", " ").split():
            key = day.strip().lower()[:3]
            if key not in names:
                raise SchedulingError(
                    f"“{part}”: use day names such as Mon, Tue, Wed.", field="slots"
                )
            found.append((names[key], f"{t:%H:%M}"))
    return sorted(set(found))


def set_queue_slots(brand: Brand, slots: list[tuple[int, str]]) -> None:
    for row in queue_slots(brand):
        db.session.delete(row)
    db.session.flush()
    for weekday, clock in slots:
        db.session.add(
            QueueSlot(
                workspace_id=brand.workspace_id, brand_id=brand.id, weekday=weekday, time=clock
            )
        )
    db.session.flush()


def next_free_slot(brand: Brand, now: datetime | None = None, weeks: int = 12) -> datetime | None:
    """Return the brand's next queue slot (wall time) that no scheduled post holds yet."""
    slots = queue_slots(brand)
    if not slots:
        return None
    now = now or utcnow()
    tz = brand.timezone or "UTC"
    taken = {
        row.local_time
        for row in db.session.scalars(
            select(PostSchedule).where(
                PostSchedule.brand_id == brand.id,
                PostSchedule.due_at >= now,
                PostSchedule.due_at <= now + timedelta(weeks=weeks, days=1),
            )
        )
    }
    today = utc_to_wall(now, tz).date()
    for offset in range(weeks * 7 + 1):
        day = today + timedelta(days=offset)
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            local = datetime.combine(day, time.fromisoformat(slot.time))
            if wall_to_utc(local, tz) <= now or local_string(local) in taken:
                continue
            return local
    return None


# -- enqueueing -----------------------------------------------------------------------------


def job_id(attempt: PublishAttempt) -> str:
    """The RQ job id of the attempt's next try (deterministic: enqueueing twice is harmless)."""
    return f"publish-{attempt.id}-{attempt.attempts}"


def enqueue_attempts(attempts: Iterable[PublishAttempt]) -> int:
    """Remind RQ of each attempt at its due time (after commit; a failure is only logged)."""
    from redis.exceptions import RedisError

    from studio.tasks.queue import FAILURE_TTL, RESULT_TTL, get_queue

    count = 0
    try:
        queue = get_queue(PUBLISH_QUEUE)
        timeout = job_timeout()
        for attempt in attempts:
            options: dict[str, Any] = {
                "job_id": job_id(attempt),
                "job_timeout": timeout,
                "result_ttl": RESULT_TTL,
                "failure_ttl": FAILURE_TTL,
                "meta": {"workspace_id": attempt.workspace_id, "kind": "publish"},
            }
            if attempt.due_at > utcnow() + timedelta(seconds=1):
                queue.enqueue_at(attempt.due_at, "jobs.publishing.publish", attempt.id, **options)
            else:
                queue.enqueue("jobs.publishing.publish", attempt.id, **options)
            count += 1
    except RedisError as exc:
        # The reconciler enqueues it once Redis is back: the database is the truth.
        log.warning("could not enqueue publish attempts (%s); the reconciler will", exc)
    return count


# -- claiming and settling ------------------------------------------------------------------


def _is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def claim(attempt_id: int, now: datetime | None = None) -> str | None:
    """Take the attempt for this worker if it is due and nobody has it; return the lease token."""
    now = now or utcnow()
    if _is_postgres():
        locked = db.session.scalar(
            select(PublishAttempt.id)
            .where(PublishAttempt.id == attempt_id, PublishAttempt.state == S.SCHEDULED)
            .with_for_update(skip_locked=True)
        )
        if locked is None:
            db.session.rollback()
            return None
    token = secrets.token_hex(16)
    result = db.session.execute(
        update(PublishAttempt)
        .where(
            PublishAttempt.id == attempt_id,
            PublishAttempt.state == S.SCHEDULED,
            PublishAttempt.due_at <= now + timedelta(seconds=1),
        )
        .values(
            state=S.PUBLISHING.value,
            lease_token=token,
            lease_until=now + timedelta(seconds=lease_seconds()),
            attempts=PublishAttempt.attempts + 1,
            first_attempt_at=func.coalesce(PublishAttempt.first_attempt_at, now),
            last_attempt_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        return None
    db.session.commit()
    return token


def _settle(attempt_id: int, token: str | None, **values: Any) -> bool:
    """Write the outcome if this worker still holds the lease (or, for published, always)."""
    values.setdefault("updated_at", utcnow())
    values.setdefault("lease_token", None)
    values.setdefault("lease_until", None)
    query = update(PublishAttempt).where(PublishAttempt.id == attempt_id)
    if values.get("state") == S.PUBLISHED.value:
        # A platform's "published" is a fact: record it even if the lease was lost.
        query = query.where(PublishAttempt.state != S.PUBLISHED.value)
    else:
        query = query.where(
            PublishAttempt.state == S.PUBLISHING.value, PublishAttempt.lease_token == token
        )
    result = db.session.execute(query.values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]


@dataclass
class Outcome:
    state: str
    message: str = ""
    retry_at: datetime | None = None


def _may_resend(adapter: ops.Adapter, attempt: PublishAttempt, now: datetime) -> bool:
    """Tell whether re-sending under the same key cannot make a second post."""
    if not adapter.supports_idempotency:
        return False
    if attempt.platform == "mastodon" and attempt.first_attempt_at is not None:
        trusted = _setting("PUBLISH_MASTODON_KEY_TTL_SECONDS", MASTODON_KEY_TTL_SECONDS)
        return now - attempt.first_attempt_at < timedelta(seconds=trusted)
    return True


def can_retry_safely(attempt: PublishAttempt, now: datetime | None = None) -> bool:
    """Tell whether a try that may have been sent can be tried again without a duplicate."""
    adapter = ops.adapter_for_channel(attempt.channel, attempt.post_id)
    return _may_resend(adapter, attempt, now or utcnow()) or ops.can_look_up(adapter)


@dataclass
class _Delivery:
    """One publish as prepared for the platform: everything read before the network call."""

    adapter: ops.Adapter
    outgoing: OutgoingPost
    credentials: dict[str, Any]
    key: str
    look_first: bool
    since: datetime


def _send(attempt: PublishAttempt, now: datetime) -> Published:
    """Publish the attempt's post once, looking first when an earlier try may have landed.

    An OAuth access token the platform refused (HTTP 401) is renewed once with the stored
    refresh token, and the same publish is sent once more: a 401 means the platform acted on
    nothing, so the second send cannot duplicate the post (and it keeps the same key).
    """
    renewed = False
    if attempt.channel.active:
        renewed = ops.refresh_token_if_due(attempt.channel)  # an OAuth token about to expire
    delivery = _prepare(attempt, now)
    try:
        return _deliver(delivery)
    except PermanentError as exc:
        if not ops.token_refused(exc):
            raise
        refused = exc
    if renewed:  # renewed seconds ago and refused already: another one would not do better
        raise ops.refused_after_refresh(refused, delivery.adapter.label) from refused
    if not ops.refresh_token(attempt.channel, rejected=delivery.credentials.get("access_token")):
        raise refused  # nothing to renew it with (no refresh token): as before
    delivery = _prepare(attempt, now)  # the new credentials, and the channel still active
    try:
        return _deliver(delivery)
    except PermanentError as exc:
        if ops.token_refused(exc):  # once only: no refreshing in a loop
            raise ops.refused_after_refresh(exc, delivery.adapter.label) from exc
        raise


def _prepare(attempt: PublishAttempt, now: datetime) -> _Delivery:
    """Read everything a publish needs and render the images, then end the transaction.

    A read-only transaction that ends before the first network call: a SQLite write lock
    is never held while a platform thinks.
    """
    with read_only():
        channel = attempt.channel
        if not channel.active:
            raise PermanentError(
                f"The {LABELS.get(channel.platform, channel.platform)} channel was disconnected.",
                "Reconnect the channel, then retry.",
                kind="config",
            )
        blocker = publish_blocker(attempt.post)
        if blocker:
            raise PermanentError(blocker, "Approve the post again, then retry.", kind="approval")
        adapter = ops.adapter_for_channel(channel, attempt.post_id)
        delivery = _Delivery(
            adapter=adapter,
            outgoing=ops.build_outgoing(attempt),
            credentials=ops.open_credentials(channel),
            key=attempt.idempotency_key,
            look_first=attempt.maybe_sent and not _may_resend(adapter, attempt, now),
            since=(attempt.first_attempt_at or now) - LOOK_BACK,
        )
        db.session.commit()
    return delivery


def _deliver(delivery: _Delivery) -> Published:
    """Send the prepared post: look for it first if an earlier try may have landed."""
    adapter, outgoing, credentials, key = (
        delivery.adapter,
        delivery.outgoing,
        delivery.credentials,
        delivery.key,
    )
    if delivery.look_first:
        if not ops.can_look_up(adapter):
            raise UnknownOutcome(
                f"An earlier try may have reached {adapter.label}, and Plume cannot check "
                "for the post there."
            )
        found = adapter.find_existing(outgoing, credentials, key, delivery.since)
        if found is not None:
            return found
    return adapter.publish(outgoing, credentials, key)


def run_attempt(attempt_id: int) -> str:
    """Claim, send and settle one attempt (the publish job's body). Returns what happened."""
    token = claim(attempt_id)
    if token is None:
        return "skipped: not due, or already taken"
    now = utcnow()
    attempt = db.session.get(PublishAttempt, attempt_id)
    assert attempt is not None
    try:
        published = _send(attempt, now)
    except PermanentError as exc:
        db.session.rollback()
        return _failed(attempt_id, token, exc.message, exc.action, exc.kind)
    except UnknownOutcome as exc:
        db.session.rollback()
        return _unknown_outcome(attempt_id, token, exc.message)
    except TransientError as exc:
        db.session.rollback()
        return _transient(attempt_id, token, exc.message, exc.retry_after)
    except PublishError as exc:  # an adapter's error outside the three kinds: retry it
        db.session.rollback()
        return _transient(attempt_id, token, exc.message, None)
    except Exception as exc:
        # Plume's own fault (a bug, storage, the database): the post may or may not have
        # left, so the next try goes through the platform's idempotency or looks first.
        db.session.rollback()
        log.exception("publish attempt %s crashed", attempt_id)
        message = f"Plume hit an internal error ({type(exc).__name__})."
        return _unknown_outcome(attempt_id, token, message)
    return _published(attempt_id, token, published)


def _published(attempt_id: int, token: str, result: Published) -> str:
    now = utcnow()
    won = _settle(
        attempt_id,
        token,
        state=S.PUBLISHED.value,
        platform_post_id=str(result.platform_post_id)[:300],
        url=(result.url or None) and str(result.url)[:2000],
        found_existing=bool(result.found_existing),
        published_at=now,
        error=None,
        action=None,
        error_kind=None,
    )
    if not won:
        db.session.rollback()
        return "already published"
    attempt = db.session.get(PublishAttempt, attempt_id)
    assert attempt is not None
    _post_published_if_done(attempt.post_id)
    db.session.commit()
    return f"published {result.platform_post_id}"


def _post_published_if_done(post_id: int) -> None:
    post_query = select(Post).where(Post.id == post_id)
    if _is_postgres():
        post_query = post_query.with_for_update()  # two channels finishing at once
    post = db.session.scalar(post_query)
    if post is None:
        return
    states = set(
        db.session.scalars(select(PublishAttempt.state).where(PublishAttempt.post_id == post_id))
    )
    if states == {S.PUBLISHED.value} and post.status != PostStatus.PUBLISHED:
        _set_status(post, PostStatus.PUBLISHED, None)


def _transient(attempt_id: int, token: str, message: str, retry_after: float | None) -> str:
    attempt = db.session.get(PublishAttempt, attempt_id)
    assert attempt is not None
    if attempt.attempts >= max_tries():
        if attempt.maybe_sent:
            return _unknown(attempt_id, token, message)
        return _failed(
            attempt_id,
            token,
            f"{message} Plume tried {attempt.attempts} times.",
            "Retry now, or check the platform's status page first.",
            "transient",
        )
    when = utcnow() + timedelta(seconds=backoff(attempt.attempts, retry_after))
    if not _settle(attempt_id, token, state=S.SCHEDULED.value, due_at=when, error=message):
        db.session.rollback()
        return "lease lost"
    db.session.commit()
    db.session.refresh(attempt)
    enqueue_attempts([attempt])
    return f"retry at {when:%H:%M:%S}: {message}"


def _unknown_outcome(attempt_id: int, token: str, message: str) -> str:
    attempt = db.session.get(PublishAttempt, attempt_id)
    assert attempt is not None
    safe = can_retry_safely(attempt)
    db.session.execute(
        update(PublishAttempt)
        .where(PublishAttempt.id == attempt_id, PublishAttempt.lease_token == token)
        .values(maybe_sent=True)
        .execution_options(synchronize_session=False)
    )
    attempt.maybe_sent = True
    if not safe:
        return _unknown(attempt_id, token, message)
    return _transient(attempt_id, token, message, None)


def _unknown(attempt_id: int, token: str | None, message: str) -> str:
    attempt = db.session.get(PublishAttempt, attempt_id)
    assert attempt is not None
    label = LABELS.get(attempt.platform, attempt.platform)
    ok = _settle(
        attempt_id,
        token,
        state=S.UNKNOWN.value,
        maybe_sent=True,
        error=f"{message} Plume will not send it again by itself, to avoid a duplicate.",
        action=f"Check the {label} account, then confirm whether the post is there.",
        error_kind="unknown",
    )
    if not ok:
        db.session.rollback()
        return "lease lost"
    _notify(attempt, f"may not have been published on {label}")
    db.session.commit()
    return f"unknown: {message}"


def _failed(attempt_id: int, token: str | None, message: str, action: str, kind: str) -> str:
    attempt = db.session.get(PublishAttempt, attempt_id)
    assert attempt is not None
    ok = _settle(
        attempt_id,
        token,
        state=S.FAILED.value,
        error=message,
        action=action,
        error_kind=kind,
    )
    if not ok:
        db.session.rollback()
        return "lease lost"
    if kind == "auth":
        db.session.execute(
            update(Channel)
            .where(Channel.id == attempt.channel_id)
            .values(status="needs_attention", last_error=message)
            .execution_options(synchronize_session=False)
        )
    _notify(attempt, f"failed on {LABELS.get(attempt.platform, attempt.platform)}: {message}")
    db.session.commit()
    return f"failed: {message}"


def _notify(attempt: PublishAttempt, what: str) -> None:
    """Tell the post's author and the brand's managers, in the in-app inbox."""
    try:
        from studio.comments.notifications import notify
    except ImportError:  # pragma: no cover - the inbox is not installed
        return
    from studio.models import Role, Workspace

    post = db.session.get(Post, attempt.post_id)
    if post is None:
        return
    recipients = set(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.workspace_id == post.workspace_id,
                Membership.role.in_([Role.OWNER, Role.BRAND_MANAGER]),
            )
        )
    )
    if post.created_by_id:
        recipients.add(post.created_by_id)
    slug = db.session.scalar(select(Workspace.slug).where(Workspace.id == post.workspace_id))
    url = f"/w/{slug}/posts/{post.id}#publishing"
    for user_id in sorted(recipients):
        notify(
            user_id,
            post.workspace_id,
            "publish_failed",
            f"“{post.title}” {what}",
            post_id=post.id,
            url=url,
        )


# -- people acting on failures ---------------------------------------------------------------


def retry_now(attempt: PublishAttempt) -> PublishAttempt:
    """Send a failed attempt again now (same key: a retry can never make a second post)."""
    if attempt.state not in (S.FAILED, S.UNKNOWN):
        raise SchedulingError("Only a failed post can be retried.", status=409)
    blocker = publish_blocker(attempt.post)
    if blocker:
        raise SchedulingError(blocker, status=409)
    attempt.state = S.SCHEDULED.value
    attempt.due_at = utcnow()
    attempt.error = attempt.action = attempt.error_kind = None
    attempt.attempts = 0  # a fresh round of tries; maybe_sent still guards a re-send
    attempt.updated_at = utcnow()
    db.session.flush()
    return attempt


def confirm_unknown(
    attempt: PublishAttempt, *, published: bool, url: str | None, user: User | None
) -> None:
    """Record what a person found on the platform for an attempt in the unknown state."""
    if attempt.state != S.UNKNOWN:
        raise SchedulingError("Only a post in doubt needs confirming.", status=409)
    attempt.confirmed_by_id = user.id if user else None
    attempt.updated_at = utcnow()
    if published:
        attempt.state = S.PUBLISHED.value
        attempt.published_at = utcnow()
        attempt.url = (url or "").strip()[:2000] or None
        attempt.platform_post_id = attempt.platform_post_id or "confirmed-by-person"
        attempt.error = attempt.action = attempt.error_kind = None
        db.session.flush()
        _post_published_if_done(attempt.post_id)
    else:
        # The person saw it is not there: sending again cannot duplicate it.
        attempt.state = S.SCHEDULED.value
        attempt.maybe_sent = False
        attempt.attempts = 0
        attempt.due_at = utcnow()
        attempt.error = attempt.action = attempt.error_kind = None
    db.session.flush()


# -- the reconciler ---------------------------------------------------------------------------


@dataclass
class Reconciled:
    enqueued: int = 0
    expired: int = 0
    retimed: int = 0
    statuses: int = 0

    def __str__(self) -> str:
        return (
            f"enqueued {self.enqueued}, settled {self.expired} expired leases, "
            f"re-timed {self.retimed}, fixed {self.statuses} post statuses"
        )


def reconcile(now: datetime | None = None, *, lookahead: float | None = None) -> Reconciled:
    """Enqueue what is due and not queued; settle expired leases; keep wall times true."""
    now = now or utcnow()
    report = Reconciled()
    report.expired = _settle_expired_leases(now)
    report.retimed = _retime(now)
    report.statuses = _fix_post_statuses()
    ahead = timedelta(
        seconds=lookahead if lookahead is not None else _setting("PUBLISH_LOOKAHEAD_SECONDS", 150)
    )
    report.enqueued = _enqueue_missing(now, ahead)
    return report


def _settle_expired_leases(now: datetime) -> int:
    query = (
        select(PublishAttempt)
        .where(PublishAttempt.state == S.PUBLISHING, PublishAttempt.lease_until < now)
        .order_by(PublishAttempt.lease_until)
        .limit(500)
        .options(selectinload(PublishAttempt.channel))
    )
    if _is_postgres():
        query = query.with_for_update(skip_locked=True, of=PublishAttempt)
    expired = list(db.session.scalars(query))
    settled = 0
    for attempt in expired:
        token = attempt.lease_token
        message = "Plume's worker stopped while sending this post."
        if attempt.attempts >= max_tries() or not can_retry_safely(attempt, now):
            values = {
                "state": S.UNKNOWN.value,
                "maybe_sent": True,
                "error": f"{message} It may or may not have been published; Plume will not "
                "send it again by itself, to avoid a duplicate.",
                "action": f"Check the {LABELS.get(attempt.platform, attempt.platform)} account,"
                " then confirm whether the post is there.",
                "error_kind": "unknown",
            }
        else:
            values = {
                "state": S.SCHEDULED.value,
                "maybe_sent": True,
                "due_at": now,
                "error": f"{message} Plume is checking and trying again safely.",
            }
        if _settle(attempt.id, token, **values):
            settled += 1
            if values["state"] == S.UNKNOWN.value:
                _notify(attempt, "may not have been published (a worker stopped while sending)")
    db.session.commit()
    return settled


def _retime(now: datetime) -> int:
    """Re-derive due times from wall times for the next two days (time-zone rule updates)."""
    rows = list(
        db.session.scalars(
            select(PostSchedule).where(
                PostSchedule.due_at > now, PostSchedule.due_at < now + timedelta(days=2)
            )
        )
    )
    changed = 0
    for schedule in rows:
        due = wall_to_utc(schedule_wall(schedule), schedule.timezone)
        if due != schedule.due_at:
            schedule.due_at = due
            db.session.execute(
                update(PublishAttempt)
                .where(
                    PublishAttempt.post_id == schedule.post_id,
                    PublishAttempt.state == S.SCHEDULED,
                    PublishAttempt.attempts == 0,
                )
                .values(due_at=due)
                .execution_options(synchronize_session=False)
            )
            changed += 1
    db.session.commit()
    return changed


def _fix_post_statuses() -> int:
    """Mark scheduled posts whose every attempt is published (a crash between two writes)."""
    not_done = select(PublishAttempt.post_id).where(PublishAttempt.state != S.PUBLISHED.value)
    post_ids = list(
        db.session.scalars(
            select(Post.id).where(
                Post.status == PostStatus.SCHEDULED,
                Post.id.in_(select(PublishAttempt.post_id)),
                Post.id.not_in(not_done),
            )
        )
    )
    for post_id in post_ids:
        _post_published_if_done(post_id)
    db.session.commit()
    return len(post_ids)


def _enqueue_missing(now: datetime, ahead: timedelta) -> int:
    from redis.exceptions import RedisError
    from rq.job import Job

    from studio.tasks.queue import redis_connection

    due = list(
        db.session.scalars(
            select(PublishAttempt)
            .where(PublishAttempt.state == S.SCHEDULED, PublishAttempt.due_at <= now + ahead)
            .order_by(PublishAttempt.due_at)
            .limit(2000)
        )
    )
    if not due:
        return 0
    live = {b"queued", b"scheduled", b"started", b"deferred"}
    try:
        # Only each job's status: after Redis was emptied, a running job's heartbeat leaves
        # a hash without the job's data, which RQ cannot load as a job.
        pipe = redis_connection().pipeline(transaction=False)
        for attempt in due:
            pipe.hget(Job.key_for(job_id(attempt)), "status")
        statuses = pipe.execute()
    except RedisError as exc:
        log.warning("reconciler cannot reach Redis (%s)", exc)
        return 0
    # A reminder RQ still holds as "scheduled" after its time means no scheduler is running
    # (its worker died holding the scheduler lock): enqueue it directly.
    late = now - timedelta(seconds=5)
    missing = [
        a
        for a, status in zip(due, statuses, strict=True)
        if status not in live or (status == b"scheduled" and a.due_at <= late)
    ]
    return enqueue_attempts(missing)
