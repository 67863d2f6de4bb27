"""Publishing: channels (one account on one platform), schedules, attempts, the sandbox feed.

The database is the source of truth for publishing. A post on the calendar has one
:class:`PostSchedule` (the wall-clock time a person chose, in a named zone, and the UTC
instant it maps to); once it may be published it gets one :class:`PublishAttempt` per
channel, with a stable idempotency key and a state that only moves by compare-and-set
(scheduled → publishing → published | failed | unknown). Redis only carries reminders.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.extensions import db
from studio.models.base import UTCDateTime, utcnow
from studio.models.posts import Post, PostVariant
from studio.models.users import User
from studio.models.workspaces import Brand


class AttemptState(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time (or for a retry's time)
    PUBLISHING = "publishing"  # claimed by a worker until lease_until
    PUBLISHED = "published"
    FAILED = "failed"  # the platform refused, or retries ran out: a person acts
    UNKNOWN = "unknown"  # may have reached the platform: a person confirms

    @property
    def label(self) -> str:
        return self.value.capitalize()


# Posts mirrored to a webhook or the sandbox take no platform variant of their own.
MIRROR_CHANNELS = frozenset({"webhook", "sandbox"})


class Channel(db.Model):
    """One account on one platform, connected to one brand."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    # Who the credentials post as, from the last successful "test connection".
    display_name: Mapped[str] = mapped_column(String(200), default="")
    handle: Mapped[str] = mapped_column(String(300), default="")
    avatar_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    profile_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    account_id: Mapped[str | None] = mapped_column(String(300), default=None)
    # Non-secret connection fields (server address, handle), shown again on the page.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Every credential field, sealed with SecretBox; never rendered, never logged.
    sealed_credentials: Mapped[str] = mapped_column(Text, default="")
    # Webhook and sandbox channels send this platform's variant (None: the master caption).
    mirror_platform: Mapped[str | None] = mapped_column(String(20), default=None)
    status: Mapped[str] = mapped_column(String(20), default="connected")  # | needs_attention
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disconnected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    brand: Mapped[Brand] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.disconnected_at is None

    @property
    def name(self) -> str:
        return self.display_name or self.handle or self.platform.capitalize()

    def __repr__(self) -> str:  # never the sealed credentials
        return f"<Channel {self.id} {self.platform} {self.handle!r}>"


class SandboxFeedItem(db.Model):
    """A post the sandbox channel published to Plume's own feed page."""

    __tablename__ = "sandbox_feed_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int | None] = mapped_column(
        ForeignKey("channels.id", ondelete="SET NULL"), default=None
    )
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), default=None
    )
    # The store is idempotent by key, as the sandbox adapter's contract requires.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    text: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(2000), default=None)
    # [{"media_id", "preset_id", "alt_text", "width", "height"}]
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostSchedule(db.Model):
    """When a post goes out: the wall-clock time chosen in a zone, and its UTC instant."""

    __tablename__ = "post_schedules"
    __table_args__ = (Index("ix_post_schedules_brand_due", "brand_id", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), unique=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # "2026-03-29T09:30" in `timezone`: what the person chose; due_at is derived from it.
    local_time: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    # The channels chosen when scheduling; None means every matching channel of the brand.
    channel_ids: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    from_queue: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()
    attempts: Mapped[list[PublishAttempt]] = relationship(
        primaryjoin="PostSchedule.post_id == foreign(PublishAttempt.post_id)",
        viewonly=True,
        order_by="PublishAttempt.id",
    )


class PublishAttempt(db.Model):
    """Publishing one post to one channel, exactly once."""

    __tablename__ = "publish_attempts"
    __table_args__ = (
        UniqueConstraint("post_id", "channel_id", name="uq_publish_attempts_post_channel"),
        Index("ix_publish_attempts_state_due", "state", "due_at"),
        Index("ix_publish_attempts_state_lease", "state", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    post_variant_id: Mapped[int | None] = mapped_column(
        ForeignKey("post_variants.id", ondelete="SET NULL"), default=None
    )
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(20))  # the channel's adapter
    variant_platform: Mapped[str | None] = mapped_column(String(20), default=None)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    state: Mapped[str] = mapped_column(String(12), default=AttemptState.SCHEDULED.value)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # next time a worker may send it
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    lease_token: Mapped[str | None] = mapped_column(String(32), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    # A request that creates the post may have reached the platform (no answer, or a worker
    # died while sending): the next try must use the platform's idempotency or look first.
    maybe_sent: Mapped[bool] = mapped_column(default=False)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    platform_post_id: Mapped[str | None] = mapped_column(String(300), default=None)
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    found_existing: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    action: Mapped[str | None] = mapped_column(String(500), default=None)
    error_kind: Mapped[str | None] = mapped_column(String(20), default=None)
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    channel: Mapped[Channel] = relationship()
    post: Mapped[Post] = relationship()
    variant: Mapped[PostVariant | None] = relationship()

    @property
    def needs_person(self) -> bool:
        return self.state in (AttemptState.FAILED, AttemptState.UNKNOWN)


class QueueSlot(db.Model):
    """A recurring time a brand posts at ("Tue 09:30"), in the brand's time zone."""

    __tablename__ = "queue_slots"
    __table_args__ = (UniqueConstraint("brand_id", "weekday", "time", name="uq_queue_slots_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]  # 0 = Monday
    time: Mapped[str] = mapped_column(String(5))  # "09:30"


class CalendarFeed(db.Model):
    """A signed iCal address for a brand's calendar; revoking deletes the row."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
