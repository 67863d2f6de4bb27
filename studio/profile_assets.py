"""The profile-asset studio: avatars and headers/covers for every platform, from a brand kit.

Pure functions: kit inputs (colours as ``#RRGGBB``, logo and font as bytes) in, encoded images
and warnings out. The web layer stores designs and serves the bytes; the RQ job calls
:func:`build_profile_zip`.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageDraw, ImageFont, ImageStat

from studio import imaging
from studio.colour import AA_LARGE, AA_NORMAL, contrast_ratio, hex_to_rgb
from studio.platforms.media_presets import PROFILE_SPECS, Box, ProfileAssetSpec

_FALLBACK_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)
# Text at least this tall (px, as drawn on the asset) counts as WCAG "large text" (18pt at
# 96 dpi = 24 px); assets are shown at roughly half size on high-density screens, so the
# drawn height is halved before comparing.
_LARGE_TEXT_PX = 24
_DISPLAY_SCALE = 0.5


# ---------------------------------------------------------------------------------------
# Design inputs
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Background:
    """What fills the canvas: a palette colour, a two-colour gradient, or a photo."""

    kind: Literal["solid", "gradient", "image"] = "solid"
    colour: str = "#FFFFFF"  # the solid colour, or the gradient's start
    colour2: str | None = None  # the gradient's end
    direction: Literal["vertical", "horizontal", "diagonal"] = "vertical"
    image: bytes | None = field(default=None, repr=False)
    focal: tuple[float, float] = (0.5, 0.5)

    def __post_init__(self) -> None:
        hex_to_rgb(self.colour)  # raises ColourError with a specific message
        if self.kind == "gradient":
            if self.colour2 is None:
                raise ValueError("a gradient background needs a second colour")
            hex_to_rgb(self.colour2)
        if self.kind == "image" and not self.image:
            raise ValueError("an image background needs the image bytes")

    @classmethod
    def solid(cls, colour: str) -> Background:
        """Return a solid background of a palette colour."""
        return cls("solid", colour)

    @classmethod
    def gradient(
        cls,
        start: str,
        end: str,
        direction: Literal["vertical", "horizontal", "diagonal"] = "vertical",
    ) -> Background:
        """Return a gradient between two palette colours."""
        return cls("gradient", start, end, direction)

    @classmethod
    def photo(cls, data: bytes, focal: tuple[float, float] = (0.5, 0.5)) -> Background:
        """Return an uploaded image, cropped around ``focal`` for each asset."""
        return cls("image", image=data, focal=focal)


@dataclass(frozen=True)
class AssetDesign:
    """One design applied to any spec: background, logo with clear space, optional tagline."""

    background: Background = field(default_factory=Background)
    logo: bytes | None = field(default=None, repr=False)
    # The logo's size relative to the default fit (1.0 fills the layout area less its clear
    # space); above 1.0 it may spill outside the safe area, which the warnings report.
    logo_scale: float = 1.0
    # Clear space around the logo as a fraction of the logo's own height (brand guidelines
    # usually state it this way).
    clear_space: float = 0.25
    tagline: str | None = None
    text_colour: str = "#000000"
    font: bytes | None = field(default=None, repr=False)  # TTF/OTF/WOFF/WOFF2
    align: Literal["center", "left", "right"] = "center"
    # "safe": lay out inside the spec's safe area (and clear of the covered corner);
    # "canvas": use the whole canvas (then the warnings say what mobile crops away).
    area: Literal["safe", "canvas"] = "safe"
    # A tagline on a 170 px circle is unreadable, so avatars leave it out unless asked.
    tagline_on_avatars: bool = False

    def __post_init__(self) -> None:
        hex_to_rgb(self.text_colour)
        if not (0.05 <= self.logo_scale <= 3):
            raise ValueError("logo scale must be between 0.05 and 3")
        if not (0 <= self.clear_space <= 2):
            raise ValueError("clear space must be between 0 and 2 logo heights")


@dataclass(frozen=True)
class ComposedAsset:
    """An encoded profile asset and where its parts ended up (for previews and warnings)."""

    spec_id: str
    data: bytes = field(repr=False)
    format: str
    width: int
    height: int
    logo_box: Box | None
    text_box: Box | None
    warnings: tuple[str, ...]

    @property
    def content_type(self) -> str:
        """Return the MIME type to serve the bytes with."""
        return imaging.content_type(self.format)

    @property
    def filename(self) -> str:
        """Return a download name such as ``x_header.png``."""
        return f"{self.spec_id}.{imaging.extension(self.format)}"


# ---------------------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------------------


def _sfnt_bytes(data: bytes) -> bytes:
    # FreeType builds vary in WOFF2 support; decompressing with fontTools always works.
    if data[:4] in (b"wOFF", b"wOF2"):
        from fontTools.ttLib import TTFont

        font = TTFont(io.BytesIO(data))
        font.flavor = None
        out = io.BytesIO()
        font.save(out)
        return out.getvalue()
    return data


@lru_cache(maxsize=16)
def _font_source(data: bytes | None) -> bytes | None:
    if data is None:
        return None
    try:
        raw = _sfnt_bytes(data)
        ImageFont.truetype(io.BytesIO(raw), 12)
    except Exception:  # fontTools and FreeType raise many types for a bad font
        return None
    return raw


def load_font(data: bytes | None, size: int) -> tuple[ImageFont.FreeTypeFont, bool]:
    """Return the kit font at ``size`` px, or the fallback; the flag says if it fell back."""
    raw = _font_source(data)
    if raw is not None:
        return ImageFont.truetype(io.BytesIO(raw), size), False
    for path in _FALLBACK_FONTS:
        if path.is_file():
            return ImageFont.truetype(str(path), size), data is not None
    return ImageFont.load_default(size), data is not None  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------


def _intersection(a: Box, b: Box) -> Box | None:
    left, top = max(a.left, b.left), max(a.top, b.top)
    right, bottom = min(a.right, b.right), min(a.bottom, b.bottom)
    if right <= left or bottom <= top:
        return None
    return Box(left, top, right - left, bottom - top)


def _canvas(spec: ProfileAssetSpec) -> Box:
    return Box(0, 0, spec.width, spec.height)


def layout_area(spec: ProfileAssetSpec, area: Literal["safe", "canvas"] = "safe") -> Box:
    """Return where content goes: the safe area, clear of any covered corner."""
    box = spec.safe_area if (area == "safe" and spec.safe_area) else _canvas(spec)
    if spec.shape == "circle":
        # The largest square inside the circle: anything outside it loses its corners.
        side = int(min(spec.width, spec.height) / math.sqrt(2))
        box = Box((spec.width - side) // 2, (spec.height - side) // 2, side, side)
    if area == "safe" and spec.covered and box.intersects(spec.covered):
        c = spec.covered
        above = Box(box.left, box.top, box.width, max(0, c.top - box.top))
        beside = Box(c.right, box.top, max(0, box.right - c.right), box.height)
        # Keep whichever remaining rectangle is larger.
        box = max((above, beside), key=lambda b: b.width * b.height)
    return box


def _circle_contains(spec: ProfileAssetSpec, box: Box) -> bool:
    cx, cy, r = spec.width / 2, spec.height / 2, min(spec.width, spec.height) / 2
    corners = [
        (box.left, box.top),
        (box.right, box.top),
        (box.left, box.bottom),
        (box.right, box.bottom),
    ]
    return all((x - cx) ** 2 + (y - cy) ** 2 <= r * r + 1 for x, y in corners)


def _pct(box: Box, spec: ProfileAssetSpec) -> dict[str, float]:
    return {
        "left": round(100 * box.left / spec.width, 3),
        "top": round(100 * box.top / spec.height, 3),
        "width": round(100 * box.width / spec.width, 3),
        "height": round(100 * box.height / spec.height, 3),
    }


def preview_geometry(spec: ProfileAssetSpec) -> dict[str, object]:
    """Return what a preview needs to show ``spec`` as the platform does (JSON-ready).

    Boxes come in pixels and as percentages of the canvas (for CSS): the mask shape, the
    safe area, each screen's crop (``views``), the corner the profile photo covers, and the
    matching avatar spec for headers it overlaps.
    """
    avatar = next(
        (
            s.id
            for s in PROFILE_SPECS.values()
            if s.platform == spec.platform and s.kind == "avatar"
        ),
        None,
    )
    geometry: dict[str, object] = {
        "id": spec.id,
        "platform": spec.platform,
        "kind": spec.kind,
        "label": spec.label,
        "width": spec.width,
        "height": spec.height,
        "aspect": spec.width / spec.height,
        "mask": spec.shape,
        "safe_area": None,
        "views": [
            {"name": v.name, "box": v.box.as_dict(), "pct": _pct(v.box, spec)} for v in spec.views
        ],
        "covered": None,
        "overlaps_with": None,
        "layout_area": layout_area(spec).as_dict(),
        "max_bytes": spec.max_bytes,
        "notes": spec.notes,
    }
    if spec.safe_area:
        geometry["safe_area"] = {"box": spec.safe_area.as_dict(), "pct": _pct(spec.safe_area, spec)}
    if spec.covered:
        geometry["covered"] = {"box": spec.covered.as_dict(), "pct": _pct(spec.covered, spec)}
        geometry["overlaps_with"] = avatar
    return geometry


# ---------------------------------------------------------------------------------------
# Warnings
# ---------------------------------------------------------------------------------------


def _fmt(box: Box) -> str:
    return f"{box.width}x{box.height}"


def safe_area_warnings(
    spec: ProfileAssetSpec, logo_box: Box | None = None, text_box: Box | None = None
) -> list[str]:
    """Return a message for each part that a mask, safe area, crop or overlap would hide."""
    messages: list[str] = []
    canvas = _canvas(spec)
    for name, box in (("logo", logo_box), ("tagline", text_box)):
        if box is None:
            continue
        if not canvas.contains(box):
            messages.append(f"The {name} runs off the edge of the {spec.label}.")
        if spec.shape == "circle" and not _circle_contains(spec, box):
            messages.append(f"The {name}'s corners are cut off by the circular {spec.label} mask.")
        if spec.safe_area and not spec.safe_area.contains(box):
            messages.append(
                f"The {name} falls outside the {spec.label}'s safe area "
                f"({_fmt(spec.safe_area)}, centred); some screens will cut it off."
            )
        for view in spec.views:
            if view.box != canvas and not view.box.contains(box):
                messages.append(
                    f"The {name} is cropped in the {view.name} view ({_fmt(view.box)})."
                )
        if spec.covered and spec.covered.intersects(box):
            messages.append(
                f"The profile photo covers part of the {name} on the {spec.label} (lower left)."
            )
    return messages


def _hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(v))):02X}" for v in rgb[:3])


def contrast_warnings(
    background: Image.Image, text_box: Box, text_colour: str, text_px: int
) -> list[str]:
    """Return a WCAG AA warning if the tagline colour is too close to what is behind it.

    The average colour under the text box is checked, and so is each cell of a 4x4 grid
    over it, so text that crosses a light patch of a photo or gradient is caught too.
    """
    crop_box = (
        max(0, text_box.left),
        max(0, text_box.top),
        min(background.width, text_box.right),
        min(background.height, text_box.bottom),
    )
    if crop_box[2] <= crop_box[0] or crop_box[3] <= crop_box[1]:
        return []
    region = background.convert("RGB").crop(crop_box)
    samples = [ImageStat.Stat(region).mean]
    cells = region.resize((4, 4), Image.Resampling.BOX)
    samples += [cells.getpixel((x, y)) for x in range(4) for y in range(4)]
    ratios = [contrast_ratio(text_colour, _hex(s)) for s in samples]
    worst = min(ratios)
    large = text_px * _DISPLAY_SCALE >= _LARGE_TEXT_PX
    needed = AA_LARGE if large else AA_NORMAL
    if worst >= needed:
        return []
    size = "large text" if large else "text"
    return [
        f"The tagline's contrast is {int(worst * 100) / 100:.2f}:1 against its background; "
        f"WCAG AA needs {needed:g}:1 for {size}. Pick a darker or lighter text colour."
    ]


# ---------------------------------------------------------------------------------------
# Composition
# ---------------------------------------------------------------------------------------


def _gradient(size: tuple[int, int], start: str, end: str, direction: str) -> Image.Image:
    ramp = Image.linear_gradient("L")  # 256x256, black at the top to white at the bottom
    across = ramp.transpose(Image.Transpose.ROTATE_90)  # black at the left, white at the right
    if direction == "horizontal":
        mask = across
    elif direction == "diagonal":
        mask = Image.blend(ramp, across, 0.5)  # top-left to bottom-right
    else:
        mask = ramp
    mask = mask.resize(size, Image.Resampling.BICUBIC)
    return Image.composite(
        Image.new("RGB", size, hex_to_rgb(end)), Image.new("RGB", size, hex_to_rgb(start)), mask
    )


class _Sources:
    """Decoded inputs shared by every asset made from one design (decode each once)."""

    def __init__(self, design: AssetDesign, sizes: Sequence[tuple[int, int]]) -> None:
        self.design = design
        self.photo: imaging.DecodedImage | None = None
        bg = design.background
        if bg.kind == "image" and bg.image is not None:
            self.photo = imaging.DecodedImage.for_sizes(bg.image, sizes, bg.focal)
        self.logo: Image.Image | None = None
        if design.logo is not None:
            logo = imaging.open_verified(design.logo, ("PNG", "WEBP", "JPEG"))
            self.logo = imaging.to_srgb8(logo).convert("RGBA")
            # Transparent margins would make the clear space and safe-area checks lie.
            bbox = self.logo.getchannel("A").getbbox()
            if bbox:
                self.logo = self.logo.crop(bbox)

    def background(self, spec: ProfileAssetSpec) -> Image.Image:
        bg = self.design.background
        size = (spec.width, spec.height)
        if bg.kind == "gradient" and bg.colour2:
            return _gradient(size, bg.colour, bg.colour2, bg.direction)
        if bg.kind == "image" and self.photo is not None:
            crop = self.photo.crop_for(spec.width, spec.height, bg.focal)
            return imaging.flatten(self.photo.cut(spec.width, spec.height, crop))
        return Image.new("RGB", size, hex_to_rgb(bg.colour))


def _fit_text(
    text: str, font_data: bytes | None, max_w: int, target_px: int
) -> tuple[ImageFont.FreeTypeFont, str, bool]:
    """Return a font size and line breaks that fit ``text`` into ``max_w`` pixels."""
    lines = text
    px = max(8, target_px)
    font, fell_back = load_font(font_data, px)
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))
    for _attempt in range(2):
        while px > 8:
            font, fell_back = load_font(font_data, px)
            left, _, right, _ = draw.multiline_textbbox((0, 0), lines, font=font, align="center")
            if right - left <= max_w:
                return font, lines, fell_back
            px = int(px * 0.9)
        # Still too wide at a readable size: break at the space nearest the middle.
        words = text.split()
        if len(words) < 2:
            break
        mid = len(text) / 2
        best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - mid))
        lines = " ".join(words[:best]) + "\n" + " ".join(words[best:])
        px = max(8, target_px)
    return font, lines, fell_back


def _compose(
    spec: ProfileAssetSpec, sources: _Sources
) -> tuple[Image.Image, Box | None, Box | None, list[str]]:
    design = sources.design
    canvas = sources.background(spec)
    background_only = canvas.copy()
    notes: list[str] = []
    area = layout_area(spec, design.area)
    text = (design.tagline or "").strip()
    if spec.kind == "avatar" and not design.tagline_on_avatars:
        text = ""
    logo = sources.logo
    horizontal = area.width / area.height >= 2.2 and bool(text) and logo is not None

    # Sizes: the logo takes the area less its clear space; a tagline takes a share of it.
    pad = design.clear_space
    if logo is not None:
        if text and not horizontal:
            logo_h_budget = area.height * 0.58 / (1 + 2 * pad)
        else:
            logo_h_budget = area.height / (1 + 2 * pad)
        logo_w_budget = area.width / (1 + 2 * pad * logo.height / max(1, logo.width))
        if horizontal:
            logo_w_budget *= 0.35
        scale = min(logo_w_budget / logo.width, logo_h_budget / logo.height) * design.logo_scale
        logo_size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
    else:
        logo_size = (0, 0)

    font = None
    lines = ""
    text_size = (0, 0)
    if text:
        gap = round(logo_size[1] * pad) if logo is not None else 0
        if horizontal:
            max_w = area.width - logo_size[0] - 3 * gap
            target = round(logo_size[1] * 0.45)
        else:
            max_w = round(area.width * 0.92)
            target = round(area.height * (0.3 if logo is not None else 0.4))
        font, lines, fell_back = _fit_text(text, design.font, max(1, max_w), max(8, target))
        if fell_back:
            notes.append("The kit font could not be read; the tagline uses DejaVu Sans instead.")
        probe = ImageDraw.Draw(canvas)
        left, top, right, bottom = probe.multiline_textbbox(
            (0, 0), lines, font=font, align="center"
        )
        # FreeType bboxes may be fractional; the layout works in whole pixels.
        text_size = (math.ceil(right - left), math.ceil(bottom - top))

    gap = round(logo_size[1] * pad) if logo is not None else 0
    if horizontal:
        group_w = logo_size[0] + gap + text_size[0]
        group_h = max(logo_size[1], text_size[1])
    else:
        group_w = max(logo_size[0], text_size[0])
        group_h = logo_size[1] + (gap if text and logo is not None else 0) + text_size[1]
    if design.align == "left":
        gx = area.left + gap
    elif design.align == "right":
        gx = area.right - gap - group_w
    else:
        gx = area.left + (area.width - group_w) // 2
    gy = area.top + (area.height - group_h) // 2

    logo_box = text_box = None
    if logo is not None:
        if horizontal:
            lx, ly = gx, gy + (group_h - logo_size[1]) // 2
        else:
            lx, ly = gx + (group_w - logo_size[0]) // 2, gy
        mark = logo.resize(logo_size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        layer = canvas.convert("RGBA")
        layer.alpha_composite(mark, (lx, ly))
        canvas = layer.convert("RGB")
        logo_box = Box(lx, ly, logo_size[0], logo_size[1])
    if text and font is not None:
        if horizontal:
            tx = gx + logo_size[0] + gap
            ty = gy + (group_h - text_size[1]) // 2
        else:
            tx = gx + (group_w - text_size[0]) // 2
            ty = gy + group_h - text_size[1]
        draw = ImageDraw.Draw(canvas)
        left, top, _, _ = draw.multiline_textbbox((0, 0), lines, font=font, align="center")
        draw.multiline_text(
            (tx - left, ty - top),
            lines,
            font=font,
            fill=hex_to_rgb(design.text_colour),
            align="center",
        )
        text_box = Box(tx, ty, text_size[0], text_size[1])
        notes += contrast_warnings(background_only, text_box, design.text_colour, font.size)
    return canvas, logo_box, text_box, notes


def _encode_asset(spec: ProfileAssetSpec, image: Image.Image, photo: bool) -> tuple[bytes, str]:
    formats = list(spec.formats)
    # Photos compress far better as JPEG; flat colour and logos stay crisp as PNG.
    if photo and "JPEG" in formats:
        formats.remove("JPEG")
        formats.insert(0, "JPEG")
    for fmt in formats:
        if fmt == "PNG":
            data = imaging.encode_clean(image, "PNG", 95)
            if spec.max_bytes is None or len(data) <= spec.max_bytes:
                return data, "PNG"
            continue
        data, encoded, _ = imaging.encode_within(image, fmt, 92, spec.max_bytes)
        if encoded.size == image.size:
            return data, fmt
    # Only size-stepping would fit, and profile assets must keep their exact size.
    raise imaging.ImageRejected(
        f"The {spec.label} cannot be made smaller than {spec.max_bytes:,} bytes at "
        f"{spec.width}x{spec.height}; simplify the background.",
        "too_many_bytes",
    )


def compose_asset(
    spec: ProfileAssetSpec, design: AssetDesign, *, _sources: _Sources | None = None
) -> ComposedAsset:
    """Compose one avatar or header from ``design`` at ``spec``'s size and byte cap."""
    sources = _sources or _Sources(design, [(spec.width, spec.height)])
    image, logo_box, text_box, notes = _compose(spec, sources)
    data, fmt = _encode_asset(spec, image, design.background.kind == "image")
    warnings = safe_area_warnings(spec, logo_box, text_box) + notes
    return ComposedAsset(
        spec_id=spec.id,
        data=data,
        format=fmt,
        width=image.width,
        height=image.height,
        logo_box=logo_box,
        text_box=text_box,
        warnings=tuple(dict.fromkeys(warnings)),
    )


def compose_all(
    design: AssetDesign,
    specs: Sequence[ProfileAssetSpec] | None = None,
    overrides: Mapping[str, AssetDesign] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ComposedAsset]:
    """Compose every spec (default: all platforms), decoding shared inputs once.

    ``overrides`` maps a spec id or a kind (``"avatar"``/``"header"``) to another design,
    e.g. the logo mark alone for avatars and logo plus tagline for headers.
    """
    specs = list(specs if specs is not None else PROFILE_SPECS.values())
    overrides = overrides or {}
    chosen = [(s, overrides.get(s.id) or overrides.get(s.kind) or design) for s in specs]
    sources: dict[int, _Sources] = {}
    for _, d in chosen:
        if id(d) not in sources:
            sizes = [(s.width, s.height) for s, dd in chosen if dd is d]
            sources[id(d)] = _Sources(d, sizes)
    out = []
    for done, (spec, d) in enumerate(chosen, start=1):
        out.append(compose_asset(spec, d, _sources=sources[id(d)]))
        if progress is not None:
            progress(done, len(chosen))
    return out


_ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # Fixed, so the same design always gives the same ZIP.


def build_profile_zip(
    design: AssetDesign,
    specs: Sequence[ProfileAssetSpec] | None = None,
    overrides: Mapping[str, AssetDesign] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """Return a ZIP of every platform's avatar and header, one folder per platform."""
    assets = compose_all(design, specs, overrides, progress)
    buf = io.BytesIO()
    manifest = []
    with zipfile.ZipFile(buf, "w") as zf:
        for asset in assets:
            spec = PROFILE_SPECS.get(asset.spec_id)
            platform = spec.platform if spec else "other"
            name = f"{platform}/{asset.filename}"
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            # PNG and JPEG are compressed already; storing them keeps the job fast.
            info.compress_type = zipfile.ZIP_STORED
            zf.writestr(info, asset.data)
            manifest.append(
                {
                    "file": name,
                    "label": spec.label if spec else asset.spec_id,
                    "width": asset.width,
                    "height": asset.height,
                    "bytes": len(asset.data),
                    "warnings": list(asset.warnings),
                }
            )
        lines = ["Plume profile assets", ""]
        for item in manifest:
            lines.append(f"{item['file']}: {item['label']}, {item['width']}x{item['height']}")
            lines += [f"  ! {w}" for w in item["warnings"]]
        for name, body in (
            ("README.txt", "\n".join(lines) + "\n"),
            ("manifest.json", json.dumps(manifest, indent=2) + "\n"),
        ):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, body)
    return buf.getvalue()
