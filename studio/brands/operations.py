"""Brand use cases."""

from __future__ import annotations

from sqlalchemy import select

from studio.extensions import db
from studio.models import Brand, Membership
from studio.text import slugify


class BrandError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def create_brand(
    membership: Membership, name: str, timezone: str, website: str | None, colour: str
) -> Brand:
    """Create a brand in the member's workspace."""
    slug = slugify(name, 60)
    taken = db.session.scalar(
        select(Brand.id).where(Brand.workspace_id == membership.workspace_id, Brand.slug == slug)
    )
    if taken is not None:
        raise BrandError(f"This workspace already has a brand called {name}.", field="name")
    brand = Brand(
        workspace_id=membership.workspace_id,
        name=name,
        slug=slug,
        timezone=timezone,
        website=website or None,
        colour=colour.lower(),
    )
    db.session.add(brand)
    db.session.flush()
    return brand


def update_brand(brand: Brand, name: str, timezone: str, website: str | None, colour: str) -> None:
    """Change a brand's settings; its slug stays so links keep working."""
    clash = db.session.scalar(
        select(Brand.id).where(
            Brand.workspace_id == brand.workspace_id, Brand.name == name, Brand.id != brand.id
        )
    )
    if clash is not None:
        raise BrandError(f"Another brand is already called {name}.", field="name")
    brand.name = name
    brand.timezone = timezone
    brand.website = website or None
    brand.colour = colour.lower()
