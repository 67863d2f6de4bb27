"""Profile-asset studio use cases: a design chosen from the kit, composed, cached and zipped.

A :class:`DesignChoice` is plain data (what the form and the RQ job carry); :func:`resolve`
turns it into :class:`studio.profile_assets.AssetDesign` with the kit's logo, the kit's
heading font and a library photo. Composed sets are cached in storage under a digest of every
input, so a preview URL never changes meaning and the ZIP job finds the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from studio import profile_assets
from studio.assets import operations as media_ops
from studio.blobs import blob_storage
from studio.brandkit import Kit, kit_from_dict
from studio.colour import ColourError, contrast_ratio, parse_hex
from studio.extensions import db
from studio.models import Brand, BrandKit, MediaItem
from studio.platforms.media_presets import PROFILE_SPECS, ProfileAssetSpec
from studio.storage import StorageError, original_key

TAGLINE_MAX = 80
BACKGROUNDS = ("solid", "gradient", "image")
DIRECTIONS = ("vertical", "horizontal", "diagonal")
DESIGN_VERSION = 1  # bump when composition changes, so cached sets are made again


class DesignError(ValueError):
    """A design choice that cannot be used; ``problems`` maps a field to its message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class DesignChoice:
    """What the designer picked, as plain JSON-ready data."""

    background: str = "solid"
    colour: str = "#FFFFFF"
    colour2: str = "#000000"
    direction: str = "diagonal"
    media_id: int | None = None
    logo: str = ""  # kit logo slot for headers ("" for none)
    avatar_logo: str = ""  # kit logo slot for avatars
    tagline: str = ""
    text_colour: str = "#000000"
    tagline_on_avatars: bool = False
    logo_scale: float = 1.0

    def to_json(self) -> dict[str, Any]:
        """Return the choice as a dict (for the job, the digest and the URL)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DesignChoice:
        """Rebuild a choice from :meth:`to_json`'s output, ignoring unknown keys."""
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def _kit(brand: Brand) -> tuple[BrandKit | None, Kit | None]:
    row = db.session.scalar(select(BrandKit).where(BrandKit.brand_id == brand.id))
    if row is None:
        return None, None
    try:
        return row, kit_from_dict(row.data)
    except ValueError:
        return row, None


@dataclass(frozen=True)
class KitOptions:
    """What the kit offers the form: palette colours, logo slots, the heading font."""

    palette: list[tuple[str, str, str]]  # (name, hex, role)
    logos: list[str]
    font_name: str | None
    font_uploaded: bool


def kit_options(brand: Brand) -> KitOptions:
    """Return the palette, logos and font the brand's kit offers."""
    _, kit = _kit(brand)
    palette = [(c.name, c.hex.upper(), c.role) for c in (kit.palette if kit else ())]
    if not palette:
        palette = [("Brand", brand.colour.upper(), "primary")]
    heading = kit.fonts.heading if kit else None
    font_name = None
    if heading is not None:
        font_name = heading.family or (heading.file or "").rsplit("/", 1)[-1] or None
    return KitOptions(
        palette=palette,
        logos=media_ops.kit_logo_slots(brand),
        font_name=font_name,
        font_uploaded=bool(heading and heading.file),
    )


def default_choice(brand: Brand) -> DesignChoice:
    """Return a sensible first design from the kit: primary background, readable text."""
    options = kit_options(brand)
    by_role: dict[str, str] = {}
    for _, hex_, role in options.palette:
        by_role.setdefault(role, hex_)
    colour = by_role.get("primary") or options.palette[0][1]
    colour2 = by_role.get("secondary") or by_role.get("accent") or colour
    candidates = [hex_ for _, hex_, _ in options.palette] + ["#FFFFFF", "#000000"]
    text = max(candidates, key=lambda c: contrast_ratio(c, colour))
    logos = options.logos
    return DesignChoice(
        background="solid",
        colour=colour,
        colour2=colour2,
        logo="primary" if "primary" in logos else (logos[0] if logos else ""),
        avatar_logo="mark" if "mark" in logos else (logos[0] if logos else ""),
        text_colour=text,
    )


def validate_choice(brand: Brand, choice: DesignChoice) -> DesignChoice:
    """Return the choice with colours normalised; raise :class:`DesignError` naming fields."""
    problems: dict[str, str] = {}
    values = asdict(choice)
    for name in ("colour", "colour2", "text_colour"):
        try:
            values[name] = parse_hex(str(values[name]))
        except ColourError as exc:
            problems[name] = str(exc)
    if choice.background not in BACKGROUNDS:
        problems["background"] = "Choose a colour, a gradient or a library image."
    if choice.direction not in DIRECTIONS:
        problems["direction"] = "Choose a vertical, horizontal or diagonal gradient."
    logos = media_ops.kit_logo_slots(brand)
    for name in ("logo", "avatar_logo"):
        slot = values[name]
        if slot and slot not in logos:
            problems[name] = f"The brand kit has no {slot} logo."
    if len(choice.tagline) > TAGLINE_MAX:
        problems["tagline"] = f"Keep the tagline under {TAGLINE_MAX} characters."
    if not 0.3 <= float(choice.logo_scale) <= 2:
        problems["logo_scale"] = "The logo size must be between 30 % and 200 %."
    if choice.background == "image" and (
        choice.media_id is None or _library_image(brand, choice.media_id) is None
    ):
        problems["media_id"] = "Choose an image from this brand's library."
    if problems:
        raise DesignError(problems)
    return DesignChoice(**values)


def _library_image(brand: Brand, media_id: int) -> MediaItem | None:
    return db.session.scalar(
        select(MediaItem).where(MediaItem.id == media_id, MediaItem.brand_id == brand.id)
    )


@dataclass(frozen=True)
class ResolvedDesign:
    """A design ready to compose, and the digest of everything it is made from."""

    choice: DesignChoice
    design: profile_assets.AssetDesign = field(repr=False)
    overrides: dict[str, profile_assets.AssetDesign] = field(repr=False)
    digest: str


def _font_bytes(brand: Brand) -> tuple[bytes | None, str | None]:
    row, kit = _kit(brand)
    heading = kit.fonts.heading if kit else None
    if row is None or heading is None or not heading.file:
        return None, None
    asset = next((a for a in row.assets if a.path == heading.file), None)
    if asset is None:
        return None, None
    return blob_storage().get(original_key(asset.sha256)), asset.sha256


def resolve(brand: Brand, choice: DesignChoice) -> ResolvedDesign:
    """Fetch the logo, font and photo bytes a valid choice names, and digest the lot."""
    choice = validate_choice(brand, choice)
    storage = blob_storage()
    inputs: dict[str, Any] = {"v": DESIGN_VERSION, "brand": brand.id, "choice": choice.to_json()}
    if choice.background == "image" and choice.media_id is not None:
        item = _library_image(brand, choice.media_id)
        assert item is not None  # validate_choice checked it
        background = profile_assets.Background.photo(storage.get_original(item.sha256), item.focal)
        inputs["photo"] = [item.sha256, item.focal_x, item.focal_y]
    elif choice.background == "gradient":
        background = profile_assets.Background.gradient(
            choice.colour,
            choice.colour2,
            choice.direction,  # type: ignore[arg-type]
        )
    else:
        background = profile_assets.Background.solid(choice.colour)

    def logo(slot: str) -> bytes | None:
        found = media_ops.kit_logo(brand, slot) if slot else None
        inputs[f"logo:{slot}"] = found.sha256 if found else None
        return storage.get(original_key(found.sha256)) if found else None

    font, font_sha = _font_bytes(brand)
    inputs["font"] = font_sha
    common = {
        "background": background,
        "tagline": choice.tagline.strip() or None,
        "text_colour": choice.text_colour,
        "font": font,
        "logo_scale": float(choice.logo_scale),
        "tagline_on_avatars": choice.tagline_on_avatars,
    }
    design = profile_assets.AssetDesign(logo=logo(choice.logo), **common)
    overrides = {}
    if choice.avatar_logo != choice.logo:
        overrides["avatar"] = profile_assets.AssetDesign(logo=logo(choice.avatar_logo), **common)
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:24]
    return ResolvedDesign(choice, design, overrides, digest)


# Composed sets, cached in storage -------------------------------------------------------------


def _set_prefix(brand_id: int, digest: str) -> str:
    return f"profile-assets/{brand_id}/{digest}"


@dataclass(frozen=True)
class AssetView:
    """One composed asset as the studio page shows it."""

    spec: ProfileAssetSpec
    file: str
    format: str
    width: int
    height: int
    bytes: int
    warnings: list[str]
    geometry: dict[str, Any]

    @property
    def screen_views(self) -> list[dict[str, Any]]:
        """Return the platform's crops of this asset that show less than the whole canvas."""
        views = self.geometry.get("views") or []
        return [
            v for v in views if (v["box"]["width"], v["box"]["height"]) != (self.width, self.height)
        ]


def grouped(assets: list[AssetView]) -> list[tuple[str, list[AssetView]]]:
    """Return the assets grouped by platform, in the specs' order, avatars first."""
    groups: dict[str, list[AssetView]] = {}
    for asset in assets:
        groups.setdefault(asset.spec.platform, []).append(asset)
    return [
        (platform, sorted(items, key=lambda a: a.spec.kind != "avatar"))
        for platform, items in groups.items()
    ]


def _manifest(brand_id: int, digest: str) -> list[dict[str, Any]] | None:
    try:
        return json.loads(blob_storage().get(f"{_set_prefix(brand_id, digest)}/manifest.json"))
    except (FileNotFoundError, ValueError, StorageError):
        return None


def compose_set(brand: Brand, resolved: ResolvedDesign) -> list[AssetView]:
    """Compose every platform's avatar and header for the design (cached by its digest)."""
    manifest = _manifest(brand.id, resolved.digest)
    if manifest is None:
        storage = blob_storage()
        prefix = _set_prefix(brand.id, resolved.digest)
        manifest = []
        for asset in profile_assets.compose_all(resolved.design, overrides=resolved.overrides):
            storage.put(f"{prefix}/{asset.filename}", asset.data)
            manifest.append(
                {
                    "spec_id": asset.spec_id,
                    "file": asset.filename,
                    "format": asset.format,
                    "width": asset.width,
                    "height": asset.height,
                    "bytes": len(asset.data),
                    "warnings": list(asset.warnings),
                }
            )
        storage.put(f"{prefix}/manifest.json", json.dumps(manifest).encode())
    return [
        AssetView(
            spec=PROFILE_SPECS[row["spec_id"]],
            file=row["file"],
            format=row["format"],
            width=row["width"],
            height=row["height"],
            bytes=row["bytes"],
            warnings=row["warnings"],
            geometry=profile_assets.preview_geometry(PROFILE_SPECS[row["spec_id"]]),
        )
        for row in manifest
        if row["spec_id"] in PROFILE_SPECS
    ]


def asset_file(brand: Brand, digest: str, spec_id: str) -> tuple[bytes, str, str] | None:
    """Return (bytes, content type, file name) of one composed asset, if that set exists."""
    manifest = _manifest(brand.id, digest) or []
    row = next((r for r in manifest if r["spec_id"] == spec_id), None)
    if row is None:
        return None
    try:
        data = blob_storage().get(f"{_set_prefix(brand.id, digest)}/{row['file']}")
    except (FileNotFoundError, StorageError):
        return None
    ext = row["file"].rsplit(".", 1)[-1]
    return data, "image/png" if ext == "png" else "image/jpeg", f"{brand.slug}-{row['file']}"


def zip_key(brand_id: int, digest: str) -> str:
    """Return where the ZIP of a design's full set is stored."""
    return f"profile-zips/{brand_id}/{digest}.zip"


def zip_job_id(brand_id: int, digest: str) -> str:
    """Return the job id of a design's ZIP (the same design never builds twice at once)."""
    return f"profile-zip-{brand_id}-{digest}"


def build_zip(
    brand: Brand, choice: DesignChoice, progress: Callable[[int, int], None] | None = None
) -> tuple[str, bool]:
    """Build and store the ZIP of every platform's set; return (digest, made now)."""
    resolved = resolve(brand, choice)
    key = zip_key(brand.id, resolved.digest)
    storage = blob_storage()
    if storage.exists(key):
        return resolved.digest, False
    data = profile_assets.build_profile_zip(
        resolved.design, overrides=resolved.overrides, progress=progress
    )
    storage.put(key, data)
    return resolved.digest, True


def zip_bytes(brand: Brand, digest: str) -> bytes | None:
    """Return a stored ZIP, or None if it was never built (or the digest is wrong)."""
    try:
        return blob_storage().get(zip_key(brand.id, digest))
    except (FileNotFoundError, StorageError):
        return None
