"""Posts: a master caption adapted per platform into variants."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.extensions import db
from studio.models.base import UTCDateTime, utcnow
from studio.models.users import User
from studio.models.workspaces import Brand


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def _status_column() -> Enum:
    return Enum(
        PostStatus,
        native_enum=False,
        length=20,
        values_callable=lambda items: [i.value for i in items],
        name="post_status",
        create_constraint=True,
        validate_strings=True,
    )


class Post(db.Model):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    master_text: Mapped[str] = mapped_column(Text, default="")
    platforms: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"media_id": int, "alt_text": str}] in display order; variants may choose their own.
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    campaign: Mapped[str] = mapped_column(String(120), default="")
    link_url: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[PostStatus] = mapped_column(_status_column(), default=PostStatus.DRAFT)
    # Bumped by every save; a save names the revision it started from (see the merge rule).
    revision: Mapped[int] = mapped_column(default=1)
    kit_version_checked: Mapped[int | None] = mapped_column(default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    brand: Mapped[Brand] = relationship()
    created_by: Mapped[User | None] = relationship()
    variants: Mapped[list[PostVariant]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="PostVariant.platform"
    )

    def variant(self, platform: str) -> PostVariant | None:
        return next((v for v in self.variants if v.platform == platform), None)


class PostVariant(db.Model):
    """A post as one platform gets it; text None means "same as the master caption"."""

    __tablename__ = "post_variants"
    __table_args__ = (UniqueConstraint("post_id", "platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text, default=None)
    # None: use the post's media; else [{"media_id", "alt_text", "preset_id"}] for this platform.
    media: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    # first_comment, pinterest_title, pinterest_link, youtube_title, content_warning, …
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    post: Mapped[Post] = relationship(back_populates="variants")

    @property
    def customised(self) -> bool:
        return self.text is not None

    def effective_text(self) -> str:
        return self.post.master_text if self.text is None else self.text


class PostRevision(db.Model):
    """The post as it stood after one save: who, when, which fields, and every field's value."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "save" | "merge" | "restore" | "create"
    kind: Mapped[str] = mapped_column(String(20), default="save")
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    restored_from: Mapped[int | None] = mapped_column(default=None)

    author: Mapped[User | None] = relationship()
