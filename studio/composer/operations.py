"""Composer use cases: create, load, change and assess posts and their variants."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import NotFound

from studio.composer.merge import merge_snapshots
from studio.composer.state import VariantInput, VariantView, VoiceChecks, build_variant_view
from studio.extensions import db
from studio.kits.operations import get_kit, parsed
from studio.models import Brand, Membership, Post, PostRevision, PostStatus, PostVariant, User
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
        post.variants.append(PostVariant(platform=platform, options={}))
    db.session.flush()
    record_revision(post, membership.user, "create", [])
    return post


def get_post(membership: Membership, post_id: int, *, for_update: bool = False) -> Post:
    """Return a post the member may see, or 404; for_update locks its row until commit."""
    query = (
        select(Post)
        .where(Post.id == post_id, Post.workspace_id == membership.workspace_id)
        .options(selectinload(Post.variants), selectinload(Post.brand))
    )
    if for_update:
        # Saves to one post queue up on PostgreSQL as they do behind SQLite's write lock,
        # so each merges against the revision the previous one produced.
        query = query.with_for_update(of=Post)
    post = db.session.scalar(query)
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


class MergeConflict(ComposerError):
    """Both people changed the same part of a field; nothing was saved over anyone."""

    def __init__(
        self, fields: list[str], mine: dict[str, Any], theirs: dict[str, Any], current: int
    ):
        super().__init__("Your edit overlaps someone else's.", status=409)
        self.fields = fields
        self.mine = mine
        self.theirs = theirs
        self.current = current


def snapshot(post: Post) -> dict[str, Any]:
    """Return every editable field of the post as plain data."""
    return {
        "title": post.title,
        "master_text": post.master_text,
        "campaign": post.campaign,
        "link_url": post.link_url,
        "platforms": list(post.platforms),
        "labels": list(post.labels),
        "tags": list(post.tags),
        "media": list(post.media),
        "variants": {
            v.platform: {"text": v.text, "options": dict(v.options), "media": v.media}
            for v in post.variants
        },
    }


def restore_snapshot(post: Post, snap: dict[str, Any]) -> None:
    """Write a snapshot's values into the post and its variants."""
    for name in ("title", "master_text", "campaign", "link_url"):
        setattr(post, name, snap.get(name) or "")
    for name in ("platforms", "labels", "tags", "media"):
        setattr(post, name, list(snap.get(name) or []))
    for platform, values in (snap.get("variants") or {}).items():
        variant = post.variant(platform)
        if variant is None:
            variant = PostVariant(platform=platform, options={})
            post.variants.append(variant)
        variant.text = values.get("text")
        variant.options = dict(values.get("options") or {})
        variant.media = values.get("media")


def _apply_to_snapshot(snap: dict[str, Any], changes: Changes) -> dict[str, Any]:
    """Return a copy of snap with the submitted changes applied, validated."""
    new = copy.deepcopy(snap)
    for name in ("master_text",):
        value = getattr(changes, name)
        if value is not None and len(value) > MAX_TEXT:
            raise ComposerError(
                f"The caption is {len(value):,} characters; Plume keeps at most {MAX_TEXT:,}.",
                field=name,
            )
    if changes.title is not None:
        new["title"] = changes.title.strip()[:200] or "Untitled post"
    if changes.master_text is not None:
        new["master_text"] = changes.master_text
    if changes.labels is not None:
        new["labels"] = _clean_list(changes.labels, "labels")
    if changes.tags is not None:
        new["tags"] = [t.lower() for t in _clean_list(changes.tags, "tags")]
    if changes.campaign is not None:
        new["campaign"] = changes.campaign.strip()[:120]
    if changes.link_url is not None:
        link = changes.link_url.strip()
        if link:
            add_utm(link, {})  # validates
        new["link_url"] = link[:2000]
    if changes.platforms is not None:
        unknown = [p for p in changes.platforms if p not in PLATFORMS]
        if unknown:
            raise ComposerError(f"Unknown platform: {', '.join(unknown)}.", field="platforms")
        if not changes.platforms:
            raise ComposerError("Choose at least one platform.", field="platforms")
        new["platforms"] = [p for p in PLATFORMS if p in changes.platforms]
    if changes.media is not None:
        new["media"] = changes.media
    variants = new.setdefault("variants", {})
    for platform, text in (changes.variant_text or {}).items():
        if platform not in new["platforms"] or platform not in variants:
            raise ComposerError(
                f"This post has no {platform} variant; add {platform} to its platforms first.",
                field="platforms",
            )
        if text is not None and len(text) > MAX_TEXT:
            raise ComposerError(f"The {platform} text is too long to keep.", field=platform)
        variants[platform]["text"] = text
    for platform, options in (changes.variant_options or {}).items():
        if platform in variants:
            variants[platform]["options"] = {
                **variants[platform].get("options", {}),
                **{k: str(v)[:2000] for k, v in options.items() if k in VARIANT_OPTIONS},
            }
    for platform, media in (changes.variant_media or {}).items():
        if platform in variants:
            variants[platform]["media"] = media
    for platform in new["platforms"]:
        variants.setdefault(platform, {"text": None, "options": {}, "media": None})
    return new


def get_revision(post: Post, number: int) -> PostRevision | None:
    """Return one of the post's revisions by number."""
    return db.session.scalar(
        select(PostRevision).where(PostRevision.post_id == post.id, PostRevision.number == number)
    )


def _changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    names = [k for k in after if k != "variants" and before.get(k) != after.get(k)]
    for platform, values in after.get("variants", {}).items():
        old = before.get("variants", {}).get(platform, {})
        names += [f"{platform}.{k}" for k in values if old.get(k) != values.get(k)]
    return names


def record_revision(
    post: Post, user: User | None, kind: str, fields: list[str], **extra: Any
) -> PostRevision:
    """Store the post as it now stands as revision post.revision."""
    row = PostRevision(
        post_id=post.id,
        number=post.revision,
        author_id=user.id if user else None,
        fields=fields,
        kind=kind,
        snapshot=snapshot(post),
        **extra,
    )
    db.session.add(row)
    db.session.flush()
    return row


@dataclass
class SaveResult:
    saved: bool
    merged: bool = False
    merged_fields: list[str] | None = None


def apply_changes(
    post: Post, changes: Changes, base_revision: int, user: User | None
) -> SaveResult:
    """Save changes made from base_revision, merging with anything saved since.

    Raises MergeConflict when the edits overlap, StaleRevision when the base is unknown.
    """
    current = snapshot(post)
    if base_revision == post.revision:
        base = current
    else:
        row = get_revision(post, base_revision) if 0 < base_revision < post.revision else None
        if row is None:
            raise StaleRevision(post.revision)
        base = row.snapshot
    mine = _apply_to_snapshot(base, changes)
    result = merge_snapshots(base, mine, current)
    if result.conflicts:
        raise MergeConflict(result.conflicts, mine, current, post.revision)
    fields = _changed_fields(current, result.merged)
    if not fields:
        return SaveResult(saved=False)
    restore_snapshot(post, result.merged)
    post.revision += 1
    post.updated_at = utcnow()
    db.session.flush()
    merged = base is not current
    record_revision(post, user, "merge" if merged else "save", fields)
    return SaveResult(saved=True, merged=merged, merged_fields=result.merged_fields)


def _variant(post: Post, platform: str) -> PostVariant:
    variant = post.variant(platform) if platform in post.platforms else None
    if variant is None:
        raise ComposerError(
            f"This post has no {platform} variant; add {platform} to its platforms first.",
            field="platforms",
        )
    return variant


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
    voice = VoiceChecks(compile_voice(parsed(kit)), post.tags)
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


def revisions_since(post: Post, number: int) -> list[PostRevision]:
    """Return the revisions saved after the given one, oldest first."""
    return list(
        db.session.scalars(
            select(PostRevision)
            .where(PostRevision.post_id == post.id, PostRevision.number > number)
            .order_by(PostRevision.number)
        )
    )


def restore_revision(post: Post, row: PostRevision, user: User | None) -> None:
    """Make an old revision current again, as a new revision (history is never rewritten)."""
    before = snapshot(post)
    restore_snapshot(post, row.snapshot)
    post.revision += 1
    post.updated_at = utcnow()
    db.session.flush()
    record_revision(
        post, user, "restore", _changed_fields(before, snapshot(post)), restored_from=row.number
    )
