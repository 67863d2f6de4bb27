"""Comments on posts (threaded, optionally anchored) and the in-app inbox."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.extensions import db
from studio.models.base import UTCDateTime, utcnow
from studio.models.users import User


class CommentVisibility(enum.StrEnum):
    INTERNAL = "internal"  # staff only
    CLIENT = "client"  # also shown to the brand's clients (portal and share link)

    @property
    def label(self) -> str:
        return "Internal" if self is CommentVisibility.INTERNAL else "For the client"


def _visibility_column() -> Enum:
    return Enum(
        CommentVisibility,
        native_enum=False,
        length=10,
        values_callable=lambda items: [i.value for i in items],
        name="comment_visibility",
        create_constraint=True,
        validate_strings=True,
    )


class Comment(db.Model):
    """A thread's first comment (parent_id None) or a reply to it.

    A thread may be anchored: to a range of one text field as it stood at anchor_revision
    (field, start/end offsets, and the quoted text), or to a point of an image (media id and
    x, y as fractions of its width and height). Replies carry no anchor of their own, and
    share the thread's visibility.
    """

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_post_created", "post_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True, default=None
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[CommentVisibility] = mapped_column(
        _visibility_column(), default=CommentVisibility.INTERNAL
    )
    # user ids of the members this comment mentioned (and notified)
    mentions: Mapped[list[int]] = mapped_column(JSON, default=list)

    anchor_kind: Mapped[str | None] = mapped_column(String(10), default=None)  # text | image
    anchor_field: Mapped[str | None] = mapped_column(String(40), default=None)
    anchor_start: Mapped[int | None] = mapped_column(default=None)
    anchor_end: Mapped[int | None] = mapped_column(default=None)
    anchor_quote: Mapped[str | None] = mapped_column(Text, default=None)
    anchor_revision: Mapped[int | None] = mapped_column(default=None)
    anchor_media_id: Mapped[int | None] = mapped_column(default=None)
    anchor_x: Mapped[float | None] = mapped_column(Float, default=None)
    anchor_y: Mapped[float | None] = mapped_column(Float, default=None)

    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped by anything that changes how the thread shows (reply, resolve, reopen, edit,
    # delete): the panel's poll token reads it.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the author last changed the text; the comment then says "edited".
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # A deleted comment keeps its row (so its thread, and inbox links to it, still resolve)
    # but loses its text. A deleted reply, or a deleted first comment with no replies left,
    # is not shown; a deleted first comment with replies shows as "Comment deleted".
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Who deleted it (the author, or a manager moderating): a record, deliberately without a
    # foreign key. Adding one to this existing table would make SQLite rebuild it, and the
    # rebuild's DROP TABLE cascades (foreign keys are on) into every reply and notification.
    deleted_by_id: Mapped[int | None] = mapped_column(default=None)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Notification(db.Model):
    """One item of a member's inbox: a mention, and later failures or approval requests."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_inbox", "user_id", "workspace_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))  # mention | publish_failed | approval | …
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True, default=None
    )
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True, default=None
    )
    text: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
