"""Brand use cases."""

from __future__ import annotations

from typing import Any

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


def update_platforms(
    brand: Brand,
    platforms: list[str],
    require_alt_text: bool,
    overrides: dict[str, dict[str, Any]],
) -> None:
    """Set where the brand publishes and its limit overrides (each checked against the rules)."""
    from studio.platforms.limits import PLATFORMS, OverrideError, rules_for

    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown:
        raise BrandError(f"Unknown platform: {', '.join(unknown)}.", field="platforms")
    if not platforms:
        raise BrandError("Choose at least one platform this brand publishes to.", field="platforms")
    problems = []
    for platform, fields in overrides.items():
        try:
            rules_for(platform, fields)
        except OverrideError as exc:
            problems += [f"{PLATFORMS[platform].name}: {e}" for e in exc.errors]
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise BrandError(" ".join(problems), field="overrides")
    brand.platforms = [p for p in PLATFORMS if p in platforms]
    brand.require_alt_text = require_alt_text
    brand.platform_overrides = {p: dict(f) for p, f in overrides.items() if f}
