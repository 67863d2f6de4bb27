"""The media library: uploaded images per brand, and designers' per-preset crop overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.extensions import db
from studio.models.base import UTCDateTime, utcnow
from studio.models.users import User
from studio.models.workspaces import Brand


class MediaItem(db.Model):
    """One uploaded image: its content-addressed original, a clean master, and its settings."""

    __tablename__ = "media_items"
    # The same bytes uploaded twice to one brand are one item (the second upload finds it).
    __table_args__ = (UniqueConstraint("brand_id", "sha256", name="uq_media_items_brand_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the original upload
    master_sha256: Mapped[str] = mapped_column(String(64))
    master_format: Mapped[str] = mapped_column(String(10))
    master_bytes: Mapped[int] = mapped_column(default=0)
    source_format: Mapped[str] = mapped_column(String(10), default="")  # e.g. JPEG, HEIF
    filename: Mapped[str] = mapped_column(String(255))
    mimetype: Mapped[str] = mapped_column(String(100))  # the master's
    kind: Mapped[str] = mapped_column(String(10), default="image")  # "image" | "gif"
    width: Mapped[int]  # upright
    height: Mapped[int]
    frames: Mapped[int] = mapped_column(default=1)
    size_bytes: Mapped[int]  # of the original upload
    alt_text: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    focal_x: Mapped[float] = mapped_column(default=0.5)
    focal_y: Mapped[float] = mapped_column(default=0.5)
    placeholder: Mapped[str] = mapped_column(Text, default="")  # data: URI, tiny and blurred
    # {preset_id: {"corner": "bottom-right", "logo": "mark"}}: the kit logo framed in a corner.
    brand_frames: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    brand: Mapped[Brand] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
    crops: Mapped[list[MediaCrop]] = relationship(
        back_populates="media", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def focal(self) -> tuple[float, float]:
        """Return the focal point as fractions (x, y) of the upright image."""
        return (self.focal_x, self.focal_y)


class MediaCrop(db.Model):
    """A designer's dragged crop for one preset, overriding the focal-point crop."""

    __tablename__ = "media_crops"
    __table_args__ = (UniqueConstraint("media_id", "preset_id", name="uq_media_crops_preset"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    media_id: Mapped[int] = mapped_column(
        ForeignKey("media_items.id", ondelete="CASCADE"), index=True
    )
    preset_id: Mapped[str] = mapped_column(String(40))
    box: Mapped[list[float]] = mapped_column(JSON)  # [left, top, right, bottom] as fractions
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    media: Mapped[MediaItem] = relationship(back_populates="crops")
