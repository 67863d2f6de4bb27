"""Workspaces, their brands, members and invitations."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.extensions import db
from studio.models.base import UTCDateTime, utcnow
from studio.models.users import User

DEFAULT_PLATFORMS = (
    "x",
    "instagram",
    "facebook",
    "linkedin",
    "threads",
    "bluesky",
    "mastodon",
    "tiktok",
    "pinterest",
)


class Role(enum.StrEnum):
    OWNER = "owner"
    BRAND_MANAGER = "brand_manager"
    DESIGNER = "designer"
    COPYWRITER = "copywriter"
    CLIENT = "client"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def role_column() -> Enum:
    """Store roles by value in a portable VARCHAR with a CHECK constraint."""
    return Enum(
        Role,
        native_enum=False,
        length=20,
        values_callable=lambda roles: [r.value for r in roles],
        name="role",
        create_constraint=True,
        validate_strings=True,
    )


class Workspace(db.Model):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    brands: Mapped[list[Brand]] = relationship(
        back_populates="workspace", cascade="all, delete-orphan", order_by="Brand.name"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="workspace", cascade="all, delete-orphan"
    )


class Brand(db.Model):
    __tablename__ = "brands"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    website: Mapped[str | None] = mapped_column(String(255), default=None)
    colour: Mapped[str] = mapped_column(String(7), default="#4f46e5")
    # The platforms this brand publishes to, and its per-platform limit overrides
    # ({"mastodon": {"text_limit": 1000}}), validated by studio.platforms.limits.rules_for.
    platforms: Mapped[list[str]] = mapped_column(JSON, default=lambda: list(DEFAULT_PLATFORMS))
    platform_overrides: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)
    require_alt_text: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    workspace: Mapped[Workspace] = relationship(back_populates="brands")


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(role_column())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    workspace: Mapped[Workspace] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
    client_brands: Mapped[list[Brand]] = relationship(
        secondary="client_brand_access", order_by="Brand.name", viewonly=True
    )


class ClientBrandAccess(db.Model):
    """Which brands a client member may see."""

    __tablename__ = "client_brand_access"

    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True
    )
    brand_id: Mapped[int] = mapped_column(
        ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(role_column())
    brand_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    workspace: Mapped[Workspace] = relationship()
    invited_by: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
