"""Media in the composer: which images each platform gets, in which crop, with which alt text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from studio.assets import operations as assets
from studio.composer.state import PreviewMedia
from studio.extensions import db
from studio.imaging import content_type
from studio.models import Post, PostVariant
from studio.models.media import MediaItem
from studio.platforms.media_presets import presets_for
from studio.platforms.validation import MediaInfo

MAX_ATTACHED = 20


def default_preset(platform: str) -> str | None:
    """Return the crop a platform gets unless someone picks another."""
    presets = presets_for(platform)
    if platform == "instagram":
        return "instagram_portrait"  # the tallest feed crop Instagram shows uncropped
    return presets[0].id if presets else None


def load_items(post: Post) -> dict[int, MediaItem]:
    """Load every image the post or its variants use, with their crops, in one query."""
    ids = {int(m["media_id"]) for m in post.media}
    for variant in post.variants:
        ids |= {int(m["media_id"]) for m in variant.media or []}
    if not ids:
        return {}
    rows = db.session.scalars(
        select(MediaItem)
        .where(MediaItem.id.in_(ids), MediaItem.brand_id == post.brand_id)
        .options(selectinload(MediaItem.crops), selectinload(MediaItem.brand))
    )
    return {item.id: item for item in rows}


def variant_media(post: Post, variant: PostVariant | None, platform: str) -> list[dict[str, Any]]:
    """Return [{media_id, preset_id, alt_text}] for a platform (its own choice, else the post's)."""
    chosen = variant.media if variant is not None and variant.media is not None else post.media
    preset = default_preset(platform)
    return [
        {
            "media_id": int(m["media_id"]),
            "preset_id": m.get("preset_id") or preset,
            "alt_text": m.get("alt_text"),
        }
        for m in chosen
    ]


MediaLookup = Callable[[Post, PostVariant | None, str], tuple[list[MediaInfo], list[PreviewMedia]]]


def lookup(
    post: Post, items: dict[int, MediaItem] | None = None, *, with_urls: bool = True
) -> MediaLookup:
    """Return the function composer.operations.variant_inputs calls for each platform.

    ``with_urls=False`` leaves the previews' URLs empty: a worker checking a post before
    publishing has no request to build them from, and needs only the media facts.
    """
    items = load_items(post) if items is None else items

    def for_platform(
        post: Post, variant: PostVariant | None, platform: str
    ) -> tuple[list[MediaInfo], list[PreviewMedia]]:
        infos: list[MediaInfo] = []
        previews: list[PreviewMedia] = []
        for entry in variant_media(post, variant, platform):
            item = items.get(entry["media_id"])
            if item is None:
                continue  # deleted from the library since; the editor says so
            alt = entry["alt_text"] if entry["alt_text"] is not None else item.alt_text
            plan = assets.plan_rendition(item, entry["preset_id"]) if entry["preset_id"] else None
            if plan is None:
                info = assets.media_info(item, None)
                width, height, url = item.width, item.height, ""
            else:
                # The rendition is made to the preset's size and byte cap, so the preview and
                # the validation need only the plan, not the rendered file.
                fmt = "GIF" if plan.animated else plan.preset.format
                info = MediaInfo(
                    kind="gif" if plan.animated else "image",
                    width=plan.preset.width,
                    height=plan.preset.height,
                    mime=content_type(fmt),
                    preset_id=plan.preset.id,
                )
                width, height, url = (
                    plan.preset.width,
                    plan.preset.height,
                    assets.plan_url(item, plan) if with_urls else "",
                )
            infos.append(
                MediaInfo(
                    kind=info.kind,
                    width=info.width,
                    height=info.height,
                    bytes=info.bytes,
                    mime=info.mime,
                    alt_text=alt,
                    preset_id=info.preset_id,
                )
            )
            previews.append(
                PreviewMedia(
                    url=url, width=width, height=height, alt_text=alt, placeholder=item.placeholder
                )
            )
        return infos, previews

    return for_platform


def library(post: Post) -> list[MediaItem]:
    """Return the brand's library for the picker."""
    return assets.media_for_brand(post.brand)


def attach(
    post_media: list[dict[str, Any]], media_id: int, brand_item_ids: set[int]
) -> list[dict[str, Any]]:
    """Return the post's media with one more image (once)."""
    if media_id not in brand_item_ids:
        raise ValueError("That image isn't in this brand's library.")
    if any(int(m["media_id"]) == media_id for m in post_media):
        return post_media
    if len(post_media) >= MAX_ATTACHED:
        raise ValueError(f"A post can carry at most {MAX_ATTACHED} images.")
    return [*post_media, {"media_id": media_id}]


def detach(post_media: list[dict[str, Any]], media_id: int) -> list[dict[str, Any]]:
    """Return the post's media without one image."""
    return [m for m in post_media if int(m["media_id"]) != media_id]


def move(post_media: list[dict[str, Any]], media_id: int, step: int) -> list[dict[str, Any]]:
    """Return the post's media with one image moved earlier (-1) or later (+1)."""
    items = list(post_media)
    index = next((i for i, m in enumerate(items) if int(m["media_id"]) == media_id), None)
    if index is None:
        return items
    target = max(0, min(len(items) - 1, index + step))
    items.insert(target, items.pop(index))
    return items
