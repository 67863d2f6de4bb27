"""Media-library use cases: upload, find, edit, and renditions made on demand and cached.

The pixels are handled by the pure :mod:`studio.imaging`; this module decides what to make,
where it is stored (:func:`studio.blobs.blob_storage`) and who may see it. A rendition's
storage key and URL come from :func:`studio.imaging.rendition_key`, so they change whenever
the original, the preset, the crop or the brand frame changes, and can be cached forever.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, url_for
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound

from studio import imaging
from studio.assets import public_links
from studio.blobs import blob_storage
from studio.brandkit import kit_from_dict
from studio.extensions import db
from studio.imaging import CropBox, FrameSpec, ImageRejected
from studio.models import (
    Brand,
    BrandKit,
    MediaCrop,
    MediaItem,
    Membership,
    Post,
    PostStatus,
    User,
    Workspace,
)
from studio.platforms.counting import grapheme_length
from studio.platforms.limits import PLATFORMS
from studio.platforms.media_presets import PRESETS, Preset
from studio.platforms.validation import MediaInfo
from studio.policy import visible_brands
from studio.storage import StorageError, original_key

ALT_TEXT_MAX = 5000  # no platform takes more than 2,000; this only bounds the column
TAGS_MAX = 20
TAG_MAX_CHARS = 40
LOGO_SLOTS = ("primary", "mark", "mono")
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")

# Studio-only outputs: a square grid tile and the whole picture for the focal/crop editors.
THUMB = Preset("thumb", "plume", "Library tile", 480, 480, quality=80)
PREVIEW_LONGEST = 1600


class MediaError(ValueError):
    """A media change was refused; ``str(exc)`` says why and ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 422, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


# HTTP status for each ImageRejected code: too big is 413, not an image is 415.
REJECTION_STATUS = {
    "too_many_bytes": 413,
    "not_image": 415,
    "unsupported": 415,
}


def rejection_status(exc: ImageRejected) -> int:
    """Return the HTTP status that answers an upload refused for ``exc``."""
    return REJECTION_STATUS.get(exc.code, 422)


def max_upload_bytes() -> int:
    """Return the per-file upload limit (config ``MEDIA_MAX_UPLOAD_BYTES``, default 40 MB)."""
    return int(current_app.config.get("MEDIA_MAX_UPLOAD_BYTES") or imaging.DEFAULT_MAX_UPLOAD_BYTES)


def megabytes(n: int) -> str:
    """Return a byte count as the upload messages show it (``40.0 MB``)."""
    return f"{n / (1024 * 1024):,.1f} MB"


# Finding items ------------------------------------------------------------------------------


def _visible_brand_ids(membership: Membership) -> Any:
    return visible_brands(membership).with_only_columns(Brand.id).order_by(None)


def get_media(membership: Membership, media_id: int) -> MediaItem:
    """Return a media item the member may see, or 404."""
    item = db.session.scalar(
        select(MediaItem).where(
            MediaItem.id == media_id,
            MediaItem.workspace_id == membership.workspace_id,
            MediaItem.brand_id.in_(_visible_brand_ids(membership)),
        )
    )
    if item is None:
        raise NotFound("No such image in this workspace.")
    return item


def _like(text: str) -> str:
    # The user's % and _ are literal characters, not wildcards.
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def media_for_brand(brand: Brand, tag: str | None = None, q: str | None = None) -> list[MediaItem]:
    """Return the brand's media, newest first, matching a filename/alt-text search and a tag."""
    query = select(MediaItem).where(MediaItem.brand_id == brand.id)
    q = (q or "").strip()[:200]
    if q:
        pattern = _like(q)
        query = query.where(
            or_(
                MediaItem.filename.ilike(pattern, escape="\\"),
                MediaItem.alt_text.ilike(pattern, escape="\\"),
            )
        )
    items = list(
        db.session.scalars(query.order_by(MediaItem.created_at.desc(), MediaItem.id.desc()))
    )
    if tag:
        # Tags are a JSON list; matching them in Python keeps SQLite and PostgreSQL alike.
        wanted = tag.strip().lower()
        items = [i for i in items if wanted in (t.lower() for t in i.tags or [])]
    return items


def brand_tags(brand: Brand) -> list[tuple[str, int]]:
    """Return the brand's tags with how many items carry each, most used first."""
    counts: dict[str, int] = {}
    for tags in db.session.scalars(select(MediaItem.tags).where(MediaItem.brand_id == brand.id)):
        for tag in tags or []:
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower()))


# Uploading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadResult:
    item: MediaItem
    created: bool  # False: the same bytes were already in this brand's library
    notes: tuple[str, ...] = ()


def add_media(brand: Brand, data: bytes, filename: str | None, user: User | None) -> UploadResult:
    """Verify and store an upload; the same bytes again return the brand's existing item."""
    limit = max_upload_bytes()
    if len(data) > limit:
        raise ImageRejected(
            f"This file is {megabytes(len(data))}; the limit is {megabytes(limit)}.",
            "too_many_bytes",
        )
    sha256 = hashlib.sha256(data).hexdigest()
    existing = _existing(brand, sha256)
    if existing is not None:
        return UploadResult(existing, created=False)
    clean = imaging.normalise_upload(data, filename, limit)
    storage = blob_storage()
    storage.put_original(data)  # content-addressed: a file already stored is not rewritten
    storage.put_original(clean.master)
    item = MediaItem(
        workspace_id=brand.workspace_id,
        brand_id=brand.id,
        sha256=sha256,
        master_sha256=clean.master_sha256,
        master_format=clean.master_format,
        master_bytes=len(clean.master),
        source_format=clean.format[:10],
        filename=clean.filename[:255],
        mimetype=clean.master_content_type,
        kind="gif" if clean.frames > 1 else "image",
        width=clean.width,
        height=clean.height,
        frames=clean.frames,
        size_bytes=len(data),
        alt_text="",
        tags=[],
        placeholder=clean.placeholder,
        brand_frames={},
        uploaded_by_id=user.id if user else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(item)
    except IntegrityError:
        # Two uploads of one file raced; the other one won, and is the answer.
        found = _existing(brand, sha256)
        if found is None:
            raise
        return UploadResult(found, created=False)
    return UploadResult(item, created=True, notes=clean.notes)


def _existing(brand: Brand, sha256: str) -> MediaItem | None:
    return db.session.scalar(
        select(MediaItem).where(MediaItem.brand_id == brand.id, MediaItem.sha256 == sha256)
    )


# Editing ------------------------------------------------------------------------------------


def parse_tags(raw: str) -> list[str]:
    """Split a comma- or newline-separated tag list; drop '#', blanks and duplicates."""
    tags: list[str] = []
    seen: set[str] = set()
    for part in re.split(r"[,\n]", raw or ""):
        tag = re.sub(r"\s+", " ", part).strip().lstrip("#").strip()
        if not tag:
            continue
        if len(tag) > TAG_MAX_CHARS:
            raise MediaError(f"Keep each tag under {TAG_MAX_CHARS} characters ({tag[:20]}…).")
        if tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise MediaError(f"An image can have at most {TAGS_MAX} tags.")
    return tags


def update_details(item: MediaItem, alt_text: str, tags: list[str]) -> None:
    """Set an item's alt text and tags."""
    alt_text = alt_text.replace("\r\n", "\n").strip()
    if len(alt_text) > ALT_TEXT_MAX:
        raise MediaError(f"Alt text can be at most {ALT_TEXT_MAX:,} characters.")
    item.alt_text = alt_text
    item.tags = tags
    db.session.flush()


@dataclass(frozen=True)
class AltCheck:
    platform: str
    name: str
    length: int
    limit: int | None
    supported: bool

    @property
    def over(self) -> bool:
        return self.limit is not None and self.length > self.limit


def alt_text_checks(alt_text: str) -> list[AltCheck]:
    """Return the alt text's length against each platform's limit (as the platform counts)."""
    checks = []
    for slug, rules in PLATFORMS.items():
        # Bluesky counts graphemes; the others' documented limits are in characters.
        length = grapheme_length(alt_text) if slug == "bluesky" else len(alt_text)
        checks.append(
            AltCheck(slug, rules.name, length, rules.alt_text_max, rules.alt_text_supported)
        )
    return checks


def _fraction(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MediaError(f"The {what} must be a number between 0 and 100 %.") from None
    if not math.isfinite(number) or not 0 <= number <= 1:
        raise MediaError(f"The {what} must be between 0 and 100 %.")
    return number


def set_focal(item: MediaItem, x: Any, y: Any) -> None:
    """Move the focal point (fractions of the width and height, 0..1)."""
    item.focal_x = round(_fraction(x, "focal point's x"), 4)
    item.focal_y = round(_fraction(y, "focal point's y"), 4)
    db.session.flush()


def preset_for(item: MediaItem, preset_id: str) -> Preset | None:
    """Return a platform preset, or one of the studio's own (tile, full preview)."""
    if preset_id == THUMB.id:
        return THUMB
    if preset_id == "preview":
        scale = min(1.0, PREVIEW_LONGEST / max(item.width, item.height))
        return Preset(
            "preview",
            "plume",
            "Preview",
            max(1, round(item.width * scale)),
            max(1, round(item.height * scale)),
            quality=85,
        )
    return PRESETS.get(preset_id)


def platform_presets() -> list[Preset]:
    """Return every platform preset, in display order."""
    return list(PRESETS.values())


def _override(item: MediaItem, preset_id: str) -> CropBox | None:
    if preset_id == "preview":
        return CropBox(0.0, 0.0, 1.0, 1.0)  # the editors show the whole picture
    row = next((c for c in item.crops if c.preset_id == preset_id), None)
    if row is None:
        return None
    try:
        return CropBox(*row.box)
    except (TypeError, ValueError):
        return None  # a damaged row falls back to the focal crop rather than break the page


def crop_box(item: MediaItem, preset: Preset) -> CropBox:
    """Return the crop a preset uses: the designer's override, else around the focal point."""
    return imaging.crop_for(
        item.width, item.height, preset.width, preset.height, item.focal, _override(item, preset.id)
    )


def has_override(item: MediaItem, preset_id: str) -> bool:
    """Tell whether the designer dragged this preset's crop."""
    return any(c.preset_id == preset_id for c in item.crops)


def save_crop(item: MediaItem, preset_id: str, box: Iterable[Any]) -> CropBox:
    """Store a dragged crop for a preset (trimmed to the preset's aspect); return it."""
    preset = PRESETS.get(preset_id)
    if preset is None:
        raise NotFound("No such preset.")
    try:
        values = [_fraction(v, "crop edge") for v in box]
        dragged = CropBox(*values)
    except (TypeError, ValueError) as exc:
        message = exc.message if isinstance(exc, MediaError) else "That crop box is not valid."
        raise MediaError(message) from exc
    fitted = imaging.crop_for(
        item.width, item.height, preset.width, preset.height, override=dragged
    )
    stored = [round(v, 5) for v in fitted.as_tuple()]
    row = next((c for c in item.crops if c.preset_id == preset_id), None)
    if row is None:
        item.crops.append(MediaCrop(preset_id=preset_id, box=stored))
    else:
        row.box = stored
    db.session.flush()
    return fitted


def reset_crop(item: MediaItem, preset_id: str) -> None:
    """Forget a preset's dragged crop, so it follows the focal point again."""
    if preset_id not in PRESETS:
        raise NotFound("No such preset.")
    for row in [c for c in item.crops if c.preset_id == preset_id]:
        item.crops.remove(row)
    db.session.flush()


def set_frame(item: MediaItem, preset_id: str, corner: str, logo: str) -> None:
    """Put the kit's logo in a corner of one preset's rendition, or take it off (corner "")."""
    if preset_id not in PRESETS:
        raise NotFound("No such preset.")
    frames = dict(item.brand_frames or {})
    if not corner:
        frames.pop(preset_id, None)
    else:
        if corner not in CORNERS:
            raise MediaError("Choose a corner for the logo.")
        if logo not in LOGO_SLOTS:
            raise MediaError("Choose which logo to frame the image with.")
        if kit_logo(item.brand, logo) is None:
            raise MediaError(f"The brand kit has no {logo} logo yet; upload one in the kit.")
        frames[preset_id] = {"corner": corner, "logo": logo}
    item.brand_frames = frames  # a new dict, so SQLAlchemy sees the JSON change
    db.session.flush()


def posts_using(item: MediaItem) -> list[Post]:
    """Return the brand's posts that show the item, in the post or in a platform's variant."""
    from sqlalchemy.orm import selectinload

    posts = db.session.scalars(
        select(Post)
        .where(Post.brand_id == item.brand_id, Post.workspace_id == item.workspace_id)
        .options(selectinload(Post.variants))
        .order_by(Post.updated_at.desc())
    )

    def shows(entries: list[dict[str, Any]] | None) -> bool:
        return any(entry.get("media_id") == item.id for entry in entries or [])

    return [p for p in posts if shows(p.media) or any(shows(v.media) for v in p.variants)]


def delete_media(item: MediaItem) -> tuple[str, str]:
    """Delete the item; return its original and master hashes for :func:`purge_blobs`.

    Refused while a post that hasn't gone out yet shows it: the post would silently lose
    the image (and might publish without it). Published posts keep their record as is.
    """
    waiting = [p for p in posts_using(item) if p.status != PostStatus.PUBLISHED]
    if waiting:
        names = ", ".join(f"“{p.title}”" for p in waiting[:5])
        more = f" and {len(waiting) - 5} more" if len(waiting) > 5 else ""
        raise MediaError(
            f"{item.filename} is in {len(waiting)} post{'s' if len(waiting) != 1 else ''} "
            f"not yet published ({names}{more}). Remove it from "
            f"{'them' if len(waiting) != 1 else 'it'} first.",
            status=409,
            code="in_use",
        )
    hashes = (item.sha256, item.master_sha256)
    db.session.delete(item)
    db.session.flush()
    return hashes


def purge_blobs(hashes: Iterable[str]) -> int:
    """Remove stored originals no media item or kit asset refers to any more (after commit)."""
    from studio.models import KitAsset

    storage = blob_storage()
    removed = 0
    for sha in set(hashes):
        used = db.session.scalar(
            select(MediaItem.id)
            .where(or_(MediaItem.sha256 == sha, MediaItem.master_sha256 == sha))
            .limit(1)
        ) or db.session.scalar(select(KitAsset.id).where(KitAsset.sha256 == sha).limit(1))
        if used is None and storage.delete(original_key(sha)):
            removed += 1
    return removed


# Brand frames use the kit's logos -------------------------------------------------------------


@dataclass(frozen=True)
class KitLogo:
    slot: str
    sha256: str


def kit_logo(brand: Brand, slot: str) -> KitLogo | None:
    """Return the kit's logo for ``slot`` (primary, mark, mono), if one is uploaded."""
    kit = db.session.scalar(select(BrandKit).where(BrandKit.brand_id == brand.id))
    if kit is None or slot not in LOGO_SLOTS:
        return None
    try:
        path = getattr(kit_from_dict(kit.data).logos, slot)
    except ValueError:
        return None
    asset = next((a for a in kit.assets if a.path == path), None) if path else None
    return KitLogo(slot, asset.sha256) if asset is not None else None


def kit_logo_slots(brand: Brand) -> list[str]:
    """Return the logo slots the brand's kit has files for."""
    return [slot for slot in LOGO_SLOTS if kit_logo(brand, slot) is not None]


# Renditions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenditionPlan:
    """Everything that decides one rendition's bytes, and the name they are cached under."""

    media_id: int
    preset: Preset
    crop: CropBox
    frame: FrameSpec | None
    logo_sha256: str | None
    animated: bool  # an animated GIF kept animated for a platform that plays GIFs
    key: str
    ext: str

    @property
    def storage_key(self) -> str:
        return rendition_storage_key(self.key, self.ext)

    @property
    def meta_key(self) -> str:
        return rendition_storage_key(self.key, "json")

    @property
    def filename(self) -> str:
        return f"{self.key}.{self.ext}"


def rendition_storage_key(key: str, ext: str) -> str:
    """Return where the rendition named ``key`` is stored (``ext`` "json" for its facts)."""
    return f"renditions/{key}.{ext}"


def plan_rendition(item: MediaItem, preset_id: str) -> RenditionPlan | None:
    """Return what the rendition of ``item`` for ``preset_id`` is made from, or None."""
    preset = preset_for(item, preset_id)
    if preset is None:
        return None
    crop = crop_box(item, preset)
    animated = item.kind == "gif" and preset.takes_gif
    frame = logo_sha = None
    setting = (item.brand_frames or {}).get(preset.id)
    if setting and not animated:
        logo = kit_logo(item.brand, setting.get("logo", ""))
        if logo is not None and setting.get("corner") in CORNERS:
            frame, logo_sha = FrameSpec(corner=setting["corner"]), logo.sha256
    keyed = dataclasses.replace(preset, format="GIF") if animated else preset
    key = imaging.rendition_key(item.sha256, keyed, crop, frame, logo_sha)
    ext = "gif" if animated else imaging.extension(preset.format)
    return RenditionPlan(item.id, preset, crop, frame, logo_sha, animated, key, ext)


def rendition_url(item: MediaItem, preset_id: str) -> str:
    """Return the URL of a rendition; it names the rendition key, so it changes with inputs."""
    plan = plan_rendition(item, preset_id)
    if plan is None:
        raise KeyError(f"unknown preset {preset_id!r}")
    return plan_url(item, plan)


def plan_url(item: MediaItem, plan: RenditionPlan) -> str:
    """Return the URL that serves ``plan``'s rendition."""
    return url_for(
        "assets.rendition", ws=_workspace_slug(item), media_id=item.id, rendition=plan.filename
    )


def _workspace_slug(item: MediaItem) -> str:
    current = g.get("workspace")
    if current is not None and current.id == item.workspace_id:
        return current.slug
    workspace = db.session.get(Workspace, item.workspace_id)
    assert workspace is not None
    return workspace.slug


def placeholder_url(item: MediaItem) -> str:
    """Return the tiny blurred data: URI shown until the real picture loads."""
    return item.placeholder or ""


def read_meta(plan: RenditionPlan) -> dict[str, Any] | None:
    """Return the stored facts of a rendition (size, bytes, upscaled), or None if not made."""
    storage = blob_storage()
    try:
        if not storage.exists(plan.storage_key):
            return None
        return json.loads(storage.get(plan.meta_key))
    except (FileNotFoundError, ValueError, StorageError):
        return None


def _store(plan: RenditionPlan, rendition: imaging.Rendition) -> dict[str, Any]:
    meta = {
        "preset_id": plan.preset.id,
        "width": rendition.width,
        "height": rendition.height,
        "bytes": len(rendition.data),
        "format": rendition.format,
        "content_type": rendition.content_type,
        "quality": rendition.quality,
        "upscaled": rendition.upscaled,
        "crop": [round(v, 5) for v in rendition.crop_box.as_tuple()],
        "framed": plan.frame is not None,
        "max_bytes": plan.preset.max_bytes,
    }
    storage = blob_storage()
    # Bytes first: the facts file only ever describes bytes that are there.
    storage.put(plan.storage_key, rendition.data)
    storage.put(plan.meta_key, json.dumps(meta).encode())
    return meta


def _logo_bytes(sha256: str) -> bytes:
    return blob_storage().get(original_key(sha256))


def ensure_renditions(
    item: MediaItem,
    preset_ids: Iterable[str],
    progress: Callable[[int, int, str], None] | None = None,
    slot: Callable[[], AbstractContextManager[Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Make the renditions not cached yet (still ones from one decode); return every one's facts.

    Renditions are made from the original upload, never from another rendition, so a crop
    or focal change never compounds earlier resampling. ``slot``, if given, is held while
    anything is actually made (web requests pass :func:`studio.assets.gate.render_slot`).
    """
    plans = [p for p in (plan_rendition(item, pid) for pid in preset_ids) if p is not None]
    out: dict[str, dict[str, Any]] = {}
    missing: list[RenditionPlan] = []
    for plan in plans:
        meta = read_meta(plan)
        if meta is None:
            missing.append(plan)
        else:
            out[plan.preset.id] = meta
    total, done = len(plans), len(out)
    if progress is not None:
        progress(done, total, f"{done} of {total} already made")
    if not missing:
        return out
    with slot() if slot is not None else nullcontext():
        _make(item, missing, out, total, done, progress)
    return {p.preset.id: out[p.preset.id] for p in plans}


def _make(
    item: MediaItem,
    missing: list[RenditionPlan],
    out: dict[str, dict[str, Any]],
    total: int,
    done: int,
    progress: Callable[[int, int, str], None] | None,
) -> None:
    original = blob_storage().get_original(item.sha256)

    still = [p for p in missing if not p.animated]
    # One decode per distinct logo (usually one: no frame, or the same logo everywhere).
    by_logo: dict[str | None, list[RenditionPlan]] = {}
    for plan in still:
        by_logo.setdefault(plan.logo_sha256, []).append(plan)
    for logo_sha, group in by_logo.items():
        made = imaging.render_presets(
            original,
            [p.preset for p in group],
            focal=item.focal,
            crops={p.preset.id: p.crop for p in group},
            logo=_logo_bytes(logo_sha) if logo_sha else None,
            frame={p.preset.id: p.frame for p in group if p.frame is not None},
        )
        for plan in group:
            out[plan.preset.id] = _store(plan, made[plan.preset.id])
            done += 1
            if progress is not None:
                progress(done, total, f"Made {plan.preset.label}")
    for plan in (p for p in missing if p.animated):
        rendition = imaging.render_animated(original, plan.preset, item.focal, plan.crop)
        out[plan.preset.id] = _store(plan, rendition)
        done += 1
        if progress is not None:
            progress(done, total, f"Made {plan.preset.label} (animated)")


def rendition_bytes(plan: RenditionPlan) -> bytes:
    """Return a rendition's bytes (they exist after :func:`ensure_renditions`)."""
    return blob_storage().get(plan.storage_key)


# Public links: platforms that fetch a post's images (Instagram, Threads) -------------------


def public_base_url() -> str | None:
    """Return PUBLIC_BASE_URL without a trailing slash if it is an https address, else None.

    Meta's servers fetch the images from there, so a plain http or private address is no use.
    """
    raw = str(current_app.config.get("PUBLIC_BASE_URL") or "").strip()
    parts = urlsplit(raw)
    if parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment:
        return None
    return raw.rstrip("/")


def public_rendition_url(plan: RenditionPlan, base: str) -> str:
    """Return the signed public address of ``plan``'s rendition under ``base``."""
    link = public_links.RenditionLink(plan.media_id, plan.preset.id, plan.key, plan.ext)
    token = public_links.make_token(current_app.secret_key, link)
    parts = urlsplit(base)
    # Built from the configured address, not the request's: workers have no request.
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme="https"
    )
    return adapter.build("assets_public.rendition", {"token": token}, force_external=True)


@dataclass(frozen=True)
class PublicRendition:
    """The bytes a public link serves, and how long a cache may keep them."""

    data: bytes
    content_type: str
    expires_in: int


def open_public_rendition(token: str) -> PublicRendition:
    """Return the one rendition ``token`` names.

    Raises :class:`public_links.LinkExpired` or :class:`public_links.LinkInvalid`, and
    ``NotFound`` when the item is gone or the signed rendition's bytes are not stored.
    Nothing is rendered here: the post was built with these bytes, so they exist, and an
    address anyone may call should not start image work.
    """
    opened = public_links.read_token(current_app.secret_key, token)
    link = opened.link
    item = db.session.get(MediaItem, link.media_id)
    # The key starts with the item's content hash: a deleted item's id given to a new
    # item (SQLite may reuse the highest id) does not serve the old item's picture.
    if item is None or not link.key.startswith(item.sha256[:16]):
        raise NotFound("No such image.")
    # A key that is no longer current (focal point or crop moved since) is still served
    # while its bytes exist: the post was built with them.
    storage = blob_storage()
    try:
        data = storage.get(rendition_storage_key(link.key, link.ext))
    except (FileNotFoundError, StorageError):
        raise NotFound("No such image.") from None
    try:
        meta = json.loads(storage.get(rendition_storage_key(link.key, "json")))
    except (FileNotFoundError, ValueError, StorageError):
        meta = {}
    content_type = meta.get("content_type") or imaging.content_type(
        "JPEG" if link.ext == "jpg" else link.ext
    )
    return PublicRendition(data, str(content_type), opened.expires_in)


def all_preset_ids() -> list[str]:
    """Return every preset a "render all" makes: the platforms' and the studio's own."""
    return [THUMB.id, "preview", *PRESETS]


def render_all_job_id(item: MediaItem) -> str:
    """Return a job id that is the same while the item's renditions stay the same."""
    keys = "|".join(p.key for p in (plan_rendition(item, pid) for pid in all_preset_ids()) if p)
    return f"render-all-{item.id}-{hashlib.sha256(keys.encode()).hexdigest()[:16]}"


@dataclass(frozen=True)
class RenditionCard:
    """What the item page shows for one preset."""

    preset: Preset
    url: str
    crop: CropBox
    meta: dict[str, Any] | None
    overridden: bool
    frame: dict[str, Any] | None
    animated: bool
    upscaled: bool  # from the geometry alone, before the rendition exists

    @property
    def width(self) -> int:
        return int(self.meta["width"]) if self.meta else self.preset.width

    @property
    def height(self) -> int:
        return int(self.meta["height"]) if self.meta else self.preset.height

    @property
    def crop_pct(self) -> dict[str, float]:
        c = self.crop
        return {
            "left": round(c.left * 100, 3),
            "top": round(c.top * 100, 3),
            "width": round(c.width * 100, 3),
            "height": round(c.height * 100, 3),
        }


def rendition_card(item: MediaItem, preset_id: str) -> RenditionCard:
    """Return one preset's card (without making the rendition)."""
    plan = plan_rendition(item, preset_id)
    if plan is None:
        raise NotFound("No such preset.")
    return RenditionCard(
        preset=plan.preset,
        url=plan_url(item, plan),
        crop=plan.crop,
        meta=read_meta(plan),
        overridden=has_override(item, preset_id),
        frame=(item.brand_frames or {}).get(preset_id),
        animated=plan.animated,
        upscaled=plan.crop.width * item.width + 0.5 < plan.preset.width,
    )


def rendition_cards(item: MediaItem) -> list[RenditionCard]:
    """Return a card for every platform preset."""
    return [rendition_card(item, preset.id) for preset in platform_presets()]


def media_info(item: MediaItem, preset_id: str | None) -> MediaInfo:
    """Describe the item as it will be posted with ``preset_id`` (None: the clean master)."""
    if preset_id is None:
        return MediaInfo(
            kind=item.kind,
            width=item.width,
            height=item.height,
            bytes=item.master_bytes or None,
            mime=item.mimetype,
            alt_text=item.alt_text,
            preset_id=None,
        )
    plan = plan_rendition(item, preset_id)
    if plan is None:
        # Validation names the unknown preset; the facts of the master are still true.
        return dataclasses.replace(media_info(item, None), preset_id=preset_id)
    meta = read_meta(plan) or {}
    fmt = "GIF" if plan.animated else plan.preset.format
    return MediaInfo(
        kind="gif" if plan.animated else "image",
        width=int(meta.get("width", plan.preset.width)),
        height=int(meta.get("height", plan.preset.height)),
        # Unknown until the rendition is made; it is made to fit the preset's byte cap.
        bytes=meta.get("bytes"),
        mime=imaging.content_type(fmt),
        alt_text=item.alt_text,
        preset_id=preset_id,
    )
