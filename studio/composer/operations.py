"""Composer use cases: create, load, change and assess posts and their variants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from studio.composer.state import VariantInput, VariantView, build_variant_view
from studio.extensions import db
from studio.kits.operations import get_kit, parsed
from studio.models import Brand, Membership, Post, PostStatus, PostVariant, User
from studio.models.base import utcnow
from studio.platforms.limits import PLATFORMS, OverrideError, UnknownPlatformError, rules_for
from studio.policy import visible_brands
from studio.voice import compile_voice

MAX_TEXT = 100_000
VARIANT_OPTIONS = (
    "first_comment",
    "content_warning",
    "title",
    "link",
)


class ComposerError(ValueError):
    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


class StaleRevision(ComposerError):
    """Someone saved since the revision this change started from."""

    def __init__(self, current: int) -> None:
        super().__init__("Someone else saved this post first.", status=409)
        self.current = current


def platform_choices(brand: Brand) -> list[tuple[str, str]]:
    """Return (slug, name) of the platforms the brand publishes to."""
    return [(p, PLATFORMS[p].name) for p in brand.platforms if p in PLATFORMS]


def create_post(membership: Membership, brand: Brand, title: str = "") -> Post:
    """Start a draft for the brand, targeting every platform it uses."""
    post = Post(
        workspace_id=brand.workspace_id,
        brand_id=brand.id,
        title=title or "Untitled post",
        platforms=[p for p in brand.platforms if p in PLATFORMS],
        created_by_id=membership.user_id,
    )
    db.session.add(post)
    db.session.flush()
    for platform in post.platforms:
        db.session.add(PostVariant(post_id=post.id, platform=platform, options={}))
    db.session.flush()
    return post


def get_post(membership: Membership, post_id: int) -> Post:
    """Return a post the member may see, or 404."""
    post = db.session.scalar(
        select(Post)
        .where(Post.id == post_id, Post.workspace_id == membership.workspace_id)
        .options(selectinload(Post.variants), selectinload(Post.brand))
    )
    if post is None:
        raise NotFound("No such post in this workspace.")
    visible = db.session.scalar(visible_brands(membership).where(Brand.id == post.brand_id))
    if visible is None:
        raise NotFound("No such post in this workspace.")
    return post


def list_posts(brand: Brand, status: str | None = None) -> list[Post]:
    """Return the brand's posts, newest first."""
    query = select(Post).where(Post.brand_id == brand.id).order_by(Post.updated_at.desc())
    if status in {s.value for s in PostStatus}:
        query = query.where(Post.status == status)
    return list(db.session.scalars(query))


def add_utm(url: str, params: dict[str, str]) -> str:
    """Return url with the given UTM parameters set (existing ones kept unless replaced)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ComposerError("Enter a full link starting with https://", field="link_url")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({k: v for k, v in params.items() if v})
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass
class Changes:
    """What one save changes; None means "leave as it is"."""

    title: str | None = None
    master_text: str | None = None
    platforms: list[str] | None = None
    labels: list[str] | None = None
    tags: list[str] | None = None
    campaign: str | None = None
    link_url: str | None = None
    variant_text: dict[str, str | None] | None = None  # None value: reset to master
    variant_options: dict[str, dict[str, Any]] | None = None
    media: list[dict[str, Any]] | None = None
    variant_media: dict[str, list[dict[str, Any]] | None] | None = None


def _clean_list(values: list[str], what: str, limit: int = 30) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = value.strip()[:60]
        if value and value.lower() not in {s.lower() for s in seen}:
            seen.append(value)
    if len(seen) > limit:
        raise ComposerError(f"Use at most {limit} {what}.", field=what)
    return seen


def apply_changes(post: Post, changes: Changes, base_revision: int, user: User | None) -> None:
    """Apply a save made from base_revision; raises StaleRevision if someone saved since."""
    if base_revision != post.revision:
        raise StaleRevision(post.revision)
    for name in ("master_text",):
        value = getattr(changes, name)
        if value is not None and len(value) > MAX_TEXT:
            raise ComposerError(
                f"The caption is {len(value):,} characters; Plume keeps at most {MAX_TEXT:,}.",
                field=name,
            )
    if changes.title is not None:
        post.title = changes.title.strip()[:200] or "Untitled post"
    if changes.master_text is not None:
        post.master_text = changes.master_text
    if changes.labels is not None:
        post.labels = _clean_list(changes.labels, "labels")
    if changes.tags is not None:
        post.tags = [t.lower() for t in _clean_list(changes.tags, "tags")]
    if changes.campaign is not None:
        post.campaign = changes.campaign.strip()[:120]
    if changes.link_url is not None:
        link = changes.link_url.strip()
        if link:
            add_utm(link, {})  # validates
        post.link_url = link[:2000]
    if changes.platforms is not None:
        set_platforms(post, changes.platforms)
    if changes.media is not None:
        post.media = changes.media
    for platform, text in (changes.variant_text or {}).items():
        variant = _variant(post, platform)
        if text is not None and len(text) > MAX_TEXT:
            raise ComposerError(f"The {platform} text is too long to keep.", field=platform)
        variant.text = text
    for platform, options in (changes.variant_options or {}).items():
        variant = _variant(post, platform)
        variant.options = {
            **variant.options,
            **{k: str(v)[:2000] for k, v in options.items() if k in VARIANT_OPTIONS},
        }
    for platform, media in (changes.variant_media or {}).items():
        _variant(post, platform).media = media
    post.revision += 1
    post.updated_at = utcnow()
    db.session.flush()


def _variant(post: Post, platform: str) -> PostVariant:
    variant = post.variant(platform) if platform in post.platforms else None
    if variant is None:
        raise ComposerError(
            f"This post has no {platform} variant; add {platform} to its platforms first.",
            field="platforms",
        )
    return variant


def set_platforms(post: Post, platforms: list[str]) -> None:
    """Target exactly these platforms; a removed variant keeps its text for re-adding."""
    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown:
        raise ComposerError(f"Unknown platform: {', '.join(unknown)}.", field="platforms")
    if not platforms:
        raise ComposerError("Choose at least one platform.", field="platforms")
    post.platforms = [p for p in PLATFORMS if p in platforms]
    for platform in post.platforms:
        if post.variant(platform) is None:
            post.variants.append(PostVariant(platform=platform, options={}))


def brand_rules(brand: Brand, platform: str):  # type: ignore[no-untyped-def]
    """Return the platform's rules with the brand's overrides applied."""
    try:
        return rules_for(platform, brand.platform_overrides.get(platform))
    except (OverrideError, UnknownPlatformError):
        return PLATFORMS[platform]


def variant_inputs(post: Post, media_lookup: Any = None) -> list[VariantInput]:
    """Return each targeted platform's text, media and options as stored."""
    inputs = []
    for platform in post.platforms:
        variant = post.variant(platform)
        text = post.master_text if variant is None or variant.text is None else variant.text
        media_infos, previews = media_lookup(post, variant, platform) if media_lookup else ((), ())
        inputs.append(
            VariantInput(
                platform=platform,
                text=text,
                customised=variant is not None and variant.text is not None,
                media=media_infos,
                preview_media=previews,
                options=dict(variant.options) if variant else {},
            )
        )
    return inputs


def assess(post: Post, inputs: list[VariantInput]) -> list[VariantView]:
    """Return every variant's counts, problems, voice findings and preview."""
    brand = post.brand
    kit = get_kit(brand)
    voice = compile_voice(parsed(kit))
    return [
        build_variant_view(
            item,
            brand_rules(brand, item.platform),
            voice,
            tags=post.tags,
            brand_platforms=brand.platforms,
            require_alt_text=brand.require_alt_text,
        )
        for item in inputs
    ]
