"""Test data for analytics and reports: a generated year of metrics for a brand."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image

from studio.analytics.demo import generate_year
from studio.assets import operations as media_ops
from studio.extensions import db
from studio.models import Brand, Membership
from studio.reports.demo import load_year

YEAR_START = date(2025, 11, 1)  # the year runs to 31 October 2026
PLATFORMS = ("instagram", "x", "mastodon")


def picture(
    colour: tuple[int, int, int] = (200, 80, 40), size: tuple[int, int] = (320, 240)
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def add_year(
    brand: Brand,
    approver: Membership | None = None,
    *,
    platforms: tuple[str, ...] = PLATFORMS,
    per_week: float = 2,
    with_picture: bool = True,
) -> None:
    """Give ``brand`` a year of published posts with metrics (and a library picture)."""
    if with_picture:
        media_ops.add_media(brand, picture(), "cup.jpg", None)
    year = generate_year(
        brand.slug, platforms, per_week, YEAR_START, seed=1, tz=brand.timezone, days=365
    )
    load_year(
        brand,
        year,
        approver.user if approver else None,
        approver.user if approver else None,
        approver,
    )
    db.session.commit()
