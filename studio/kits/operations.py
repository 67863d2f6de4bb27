"""Brand-kit use cases: read, change (each change a new version), assets, checks."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from studio.blobs import blob_storage
from studio.brandkit import Kit, KitValidationError, kit_from_dict, kit_to_dict
from studio.extensions import db
from studio.fontfiles import FontRejected, inspect_font
from studio.imaging import ImageRejected, encode_clean, open_verified, to_srgb8
from studio.kitfiles import KitImportError, export_kit_archive, load_kit_archive
from studio.models import Brand, BrandKit, KitAsset, KitVersion, User
from studio.models.base import utcnow
from studio.voice import Finding, check, compile_voice

LOGO_FORMATS = ("PNG", "JPEG", "WEBP")
FONT_MAX_BYTES = 5 * 1024 * 1024


class KitError(ValueError):
    """A kit change was refused; ``problems`` lists (field path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))

    def by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for path, message in self.problems:
            out.setdefault(path, []).append(message)
        return out


def empty_kit_data(brand: Brand) -> dict[str, Any]:
    """Return the kit a brand starts with: its name and its brand colour."""
    return {
        "name": brand.name,
        "palette": [{"name": "Brand", "hex": brand.colour.upper(), "role": "primary"}],
    }


def get_kit(brand: Brand) -> BrandKit:
    """Return the brand's kit, creating version 1 the first time."""
    kit = db.session.scalar(select(BrandKit).where(BrandKit.brand_id == brand.id))
    if kit is None:
        data = kit_to_dict(kit_from_dict(empty_kit_data(brand)))
        kit = BrandKit(workspace_id=brand.workspace_id, brand_id=brand.id, version=1, data=data)
        db.session.add(kit)
        db.session.flush()
        db.session.add(
            KitVersion(
                kit_id=kit.id, version=1, data=data, changed_fields=[], summary="Kit created"
            )
        )
        db.session.flush()
    return kit


_PARSED: OrderedDict[tuple[int, int, str], Kit] = OrderedDict()


def parsed(kit: BrandKit) -> Kit:
    """Return the stored kit as the domain object (cached per kit version).

    The key includes when the version was written: ids and version numbers repeat when a
    database is rebuilt (tests roll back; a developer resets instance/), timestamps don't.
    """
    key = (kit.id, kit.version, kit.updated_at.isoformat())
    cached = _PARSED.get(key)
    if cached is None:
        cached = _PARSED[key] = kit_from_dict(kit.data)
        if len(_PARSED) > 256:
            _PARSED.popitem(last=False)
    return cached


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Name the parts of the kit that differ (top level, and one level into voice)."""
    names: list[str] = []
    for key in sorted(set(before) | set(after)):
        if (
            key == "voice"
            and isinstance(before.get(key), dict)
            and isinstance(after.get(key), dict)
        ):
            inner = before[key].keys() | after[key].keys()
            names += [
                f"voice.{k}" for k in sorted(inner) if before[key].get(k) != after[key].get(k)
            ]
        elif before.get(key) != after.get(key):
            names.append(key)
    return names


def save_kit(
    kit: BrandKit, data: dict[str, Any], user: User | None, summary: str = ""
) -> list[str]:
    """Validate and store new kit data as the next version; returns what changed."""
    try:
        new = kit_to_dict(kit_from_dict(data))
    except KitValidationError as exc:
        raise KitError(exc.problems) from exc
    missing = [
        (field, f"{path} hasn't been uploaded")
        for field, path in kit_from_dict(new).asset_paths().items()
        if path not in {a.path for a in kit.assets}
    ]
    if missing:
        raise KitError(missing)
    changes = changed_fields(kit.data, new)
    if not changes:
        return []
    kit.version += 1
    kit.data = new
    kit.updated_at = utcnow()
    kit.updated_by_id = user.id if user else None
    db.session.add(
        KitVersion(
            kit_id=kit.id,
            version=kit.version,
            data=new,
            changed_fields=changes,
            summary=summary or "Changed " + ", ".join(changes),
            changed_by_id=kit.updated_by_id,
        )
    )
    db.session.flush()
    return changes


def history(kit: BrandKit) -> list[KitVersion]:
    """Return the kit's versions, newest first."""
    return list(
        db.session.scalars(
            select(KitVersion)
            .where(KitVersion.kit_id == kit.id)
            .order_by(KitVersion.version.desc())
        )
    )


# Assets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanAsset:
    path: str
    data: bytes
    mimetype: str


def clean_logo(data: bytes, slot: str) -> CleanAsset:
    """Verify a logo upload and re-encode it as a metadata-free PNG."""
    try:
        image = to_srgb8(open_verified(data, LOGO_FORMATS))
    except ImageRejected as exc:
        raise KitError([(f"logos.{slot}", str(exc))]) from exc
    return CleanAsset(f"logos/{slot}.png", encode_clean(image, "PNG", 100), "image/png")


def clean_font(data: bytes, filename: str, slot: str) -> CleanAsset:
    """Verify a font upload by parsing it."""
    try:
        info = inspect_font(data, filename, FONT_MAX_BYTES)
    except FontRejected as exc:
        raise KitError([(f"fonts.{slot}.file", exc.message)]) from exc
    return CleanAsset(f"fonts/{slot}.{info.format}", data, info.mimetype)


def store_asset(kit: BrandKit, asset: CleanAsset) -> KitAsset:
    """Store an asset's bytes and record it under its kit path (replacing an older file)."""
    sha256 = blob_storage().put_original(asset.data)
    row = next((a for a in kit.assets if a.path == asset.path), None)
    if row is None:
        row = KitAsset(
            kit=kit, path=asset.path, sha256=sha256, mimetype=asset.mimetype, size_bytes=0
        )
        db.session.add(row)
    row.sha256 = sha256
    row.mimetype = asset.mimetype
    row.size_bytes = len(asset.data)
    db.session.flush()
    return row


def asset_bytes(asset: KitAsset) -> bytes:
    """Return an asset's stored bytes."""
    return blob_storage().get_original(asset.sha256)


def get_asset(kit: BrandKit, asset_id: int) -> KitAsset | None:
    """Return one of the kit's assets."""
    return db.session.scalar(
        select(KitAsset).where(KitAsset.id == asset_id, KitAsset.kit_id == kit.id)
    )


# Checking copy -----------------------------------------------------------------------------


def check_copy(kit: BrandKit, text: str, platform: str | None, tags: list[str]) -> list[Finding]:
    """Run the voice checker over copy (compiled rules are cached per distinct voice)."""
    return check(text, compile_voice(parsed(kit)), platform or None, tags)


@dataclass(frozen=True)
class Segment:
    text: str
    finding: int | None = None  # index into the findings list
    severity: str | None = None


def highlight(text: str, findings: list[Finding]) -> list[Segment]:
    """Split text into plain and flagged runs for display (overlaps go to the first finding)."""
    segments: list[Segment] = []
    cursor = 0
    for index, finding in enumerate(findings):
        if finding.start == finding.end or finding.start < cursor:
            continue
        if finding.start > cursor:
            segments.append(Segment(text[cursor : finding.start]))
        segments.append(Segment(text[finding.start : finding.end], index, finding.severity))
        cursor = finding.end
    if cursor < len(text):
        segments.append(Segment(text[cursor:]))
    return segments


# Kits as files ---------------------------------------------------------------------------


def import_archive(kit: BrandKit, source: bytes | Path, user: User | None) -> list[str]:
    """Replace the kit with one from a ZIP or folder, as a new version; all or nothing."""
    try:
        loaded = load_kit_archive(source)
    except KitImportError as exc:
        raise KitError(
            [(p.field + (f" (line {p.line})" if p.line else ""), p.message) for p in exc.problems]
        ) from exc
    data = kit_to_dict(loaded.kit)
    # Files are re-encoded or renamed to the kit's own layout; the data follows them.
    for slot in ("primary", "mark", "mono"):
        path = getattr(loaded.kit.logos, slot)
        if path:
            data["logos"][slot] = store_asset(kit, clean_logo(loaded.assets[path], slot)).path
    for slot in ("heading", "body"):
        choice = getattr(loaded.kit.fonts, slot)
        if choice is not None and choice.file:
            font = clean_font(loaded.assets[choice.file], choice.file, slot)
            data["fonts"][slot]["file"] = store_asset(kit, font).path
    return save_kit(kit, data, user, "Imported from a kit archive")


def export_archive(kit: BrandKit) -> bytes:
    """Return the kit and its files as a ZIP that import_archive reads back."""
    domain = parsed(kit)
    referenced = set(domain.asset_paths().values())
    files = {a.path: asset_bytes(a) for a in kit.assets if a.path in referenced}
    return export_kit_archive(domain, files)


def font_faces(kit: BrandKit) -> list[tuple[str, KitAsset]]:
    """Return (slot, asset) for each uploaded kit font, for @font-face rules."""
    domain = parsed(kit)
    by_path = {a.path: a for a in kit.assets}
    faces = []
    for slot in ("heading", "body"):
        choice = getattr(domain.fonts, slot)
        if choice is not None and choice.file and choice.file in by_path:
            faces.append((slot, by_path[choice.file]))
    return faces
