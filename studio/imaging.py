"""Pure Pillow functions for Plume's media: bytes in, bytes out.

Nothing here knows about Flask, requests or the database. Every untrusted image enters
through :func:`open_verified` (or :func:`normalise_upload`, which calls it), so the
decompression-bomb limit, the format allow-list and the truncation check live in one place.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import pillow_heif
from PIL import (
    ExifTags,
    Image,
    ImageCms,
    ImageFile,
    ImageFilter,
    ImageOps,
    UnidentifiedImageError,
    features,
)

# The product never needs more than a 50-megapixel source (8160x6120 covers today's
# 50 MP phone sensors); anything bigger is refused before its pixels are decoded.
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# A truncated file must be an error, never a half-grey image that gets published.
ImageFile.LOAD_TRUNCATED_IMAGES = False

# X's documented ceiling for animated GIFs (350 frames, 300 million pixels in all) is the
# strictest of the platforms that take GIFs, so a GIF within it can go anywhere.
MAX_FRAMES = 350
MAX_ANIMATION_PIXELS = 300_000_000

DEFAULT_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF")

pillow_heif.register_heif_opener()
HEIF_SUPPORTED = True
AVIF_SUPPORTED = bool(features.check("avif"))
UPLOAD_FORMATS: tuple[str, ...] = (
    DEFAULT_FORMATS + ("HEIF",) + (("AVIF",) if AVIF_SUPPORTED else ())
)

_FORMAT_NAMES = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "GIF": "GIF",
    "HEIF": "HEIC",
    "AVIF": "AVIF",
}


class ImageRejected(ValueError):
    """An image Plume refuses; ``str(exc)`` is specific and safe to show the uploader."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        # A stable machine-readable reason for the web layer and tests
        # (empty, too_large, too_many_bytes, not_image, unsupported, damaged, too_many_frames).
        self.code = code


def _allowed_list(formats: tuple[str, ...]) -> str:
    names = [_FORMAT_NAMES.get(f.upper(), f.upper()) for f in formats]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


# Magic numbers of things people commonly rename to .png/.jpg; naming what the file really
# is makes the error actionable ("export it as PNG") instead of "cannot identify".
_SNIFFERS: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<svg", re.I | re.S), "an SVG drawing"),
    (re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<script)", re.I), "an HTML page"),
    (re.compile(rb"^\s*<\?xml", re.I), "an XML document"),
    (re.compile(rb"^%PDF-"), "a PDF document"),
    (re.compile(rb"^PK\x03\x04"), "a ZIP archive"),
    (re.compile(rb"^(II\*\x00|MM\x00\*)"), "a TIFF image"),
    (re.compile(rb"^BM"), "a BMP image"),
    (re.compile(rb"^8BPS"), "a Photoshop document"),
    (re.compile(rb"^\x00\x00\x01\x00"), "an icon file"),
    (re.compile(rb"^....ftyp(heic|heix|mif1|msf1|hevc)", re.S), "a HEIC image"),
    (re.compile(rb"^....ftyp(avif|avis)", re.S), "an AVIF image"),
    (re.compile(rb"^\xff\xd8\xff"), "a JPEG image"),
    (re.compile(rb"^\x89PNG\r\n\x1a\n"), "a PNG image"),
    (re.compile(rb"^GIF8[79]a"), "a GIF image"),
    (re.compile(rb"^RIFF....WEBP", re.S), "a WebP image"),
)


def _sniff(data: bytes) -> str | None:
    head = data[:512]
    for pattern, name in _SNIFFERS:
        if pattern.search(head):
            return name
    return None


def _bomb_message(exc: BaseException) -> str:
    found = re.search(r"\((\d+) pixels\)", str(exc))
    size = f" ({int(found.group(1)) / 1e6:,.0f} megapixels)" if found else ""
    return (
        f"This image is too large{size}: Plume accepts images up to "
        f"{MAX_PIXELS // 1_000_000} megapixels. Resize it and upload again."
    )


def _identify(data: bytes, allowed: tuple[str, ...]) -> ImageFile.ImageFile:
    """Parse the header with only the allowed formats; name what a refused file really is."""
    try:
        return Image.open(io.BytesIO(data), formats=allowed)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(_bomb_message(exc), "too_large") from exc
    except UnidentifiedImageError as exc:
        what = _sniff(data)
        if what is None:
            msg = f"This file is not an image Plume can read. Upload {_allowed_list(allowed)}."
            raise ImageRejected(msg, "not_image") from exc
        if any(_FORMAT_NAMES.get(f, f).lower() in what.lower() for f in allowed):
            msg = f"This looks like {what}, but it is damaged and cannot be read."
            raise ImageRejected(msg, "damaged") from exc
        msg = f"This file is {what}, not a supported image. Upload {_allowed_list(allowed)}."
        raise ImageRejected(msg, "unsupported") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        # Pillow signals broken headers with any of these.
        msg = "This image is damaged and cannot be read (its header is invalid)."
        raise ImageRejected(msg, "damaged") from exc


def _open_unloaded(data: bytes, formats: tuple[str, ...]) -> ImageFile.ImageFile:
    """Identify ``data`` with only ``formats`` and the bomb limit; pixels are not decoded yet."""
    if not data:
        raise ImageRejected("The file is empty (0 bytes).", "empty")
    allowed = tuple(f.upper() for f in formats)
    # No warning filters are touched (they are process-global and not thread-safe before
    # Python 3.14): Pillow raises DecompressionBombError itself above 2x the limit, and
    # between 1x and 2x our own size check below refuses the file before any decoding. If a
    # caller's filters turn the warning into an exception, that is refused the same way.
    im = _identify(data, allowed)
    width, height = im.size
    if width < 1 or height < 1:
        raise ImageRejected("This image has no pixels (zero width or height).", "damaged")
    if width * height > MAX_PIXELS:
        raise ImageRejected(_bomb_message(Exception(f"({width * height} pixels)")), "too_large")
    try:
        # verify() checks what it can without decoding (PNG chunk CRCs) and leaves the
        # image unusable, so reopen for the real work.
        im.verify()
        im = Image.open(io.BytesIO(data), formats=allowed)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(_bomb_message(exc), "too_large") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        msg = "This image is damaged and cannot be read (its header or checksums are invalid)."
        raise ImageRejected(msg, "damaged") from exc
    return im


def _load(im: Image.Image) -> None:
    """Decode the pixels, turning truncation and corruption into :class:`ImageRejected`."""
    try:
        im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(_bomb_message(exc), "too_large") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        if "truncated" in str(exc).lower():
            msg = "This image is incomplete: the file was cut off (a partial upload or download?)."
            raise ImageRejected(msg, "truncated") from exc
        msg = "This image is damaged and cannot be decoded."
        raise ImageRejected(msg, "damaged") from exc


def open_verified(data: bytes, formats: tuple[str, ...] = DEFAULT_FORMATS) -> ImageFile.ImageFile:
    """Open untrusted image bytes safely and return the decoded first frame, upright."""
    im = _open_unloaded(data, formats)
    _load(im)
    # In place: no second full-size copy just to honour the orientation tag.
    ImageOps.exif_transpose(im, in_place=True)
    return im


# ---------------------------------------------------------------------------------------
# Colour and bit depth
# ---------------------------------------------------------------------------------------

_SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_SIXTEEN_BIT = {"I;16", "I;16L", "I;16B", "I;16N", "I"}


def _is_srgb(profile: ImageCms.ImageCmsProfile) -> bool:
    try:
        description = ImageCms.getProfileDescription(profile)
    except ImageCms.PyCMSError:
        return False
    return "srgb" in description.lower()


def _sixteen_to_eight(im: Image.Image) -> Image.Image:
    # convert("L") would clip 16-bit values at 255; scale the range down instead.
    return im.convert("I").point(lambda v: v * (1 / 257)).convert("L")


def to_srgb8(im: Image.Image) -> Image.Image:
    """Return ``im`` as 8-bit sRGB in RGB, RGBA, L or LA, honouring an embedded ICC profile."""
    icc = im.info.get("icc_profile")
    if im.mode in _SIXTEEN_BIT:
        im = _sixteen_to_eight(im)
    elif im.mode in ("F", "1"):
        im = im.convert("L")
    elif im.mode in ("P", "PA"):
        has_transparency = im.mode == "PA" or "transparency" in im.info
        im = im.convert("RGBA" if has_transparency else "RGB")
        icc = None  # Palette colours are display colours already.
    elif im.mode in ("RGBa", "La"):
        im = im.convert("RGBA" if im.mode == "RGBa" else "LA")

    if icc and im.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if im.mode == "CMYK" or not _is_srgb(source):
                out_mode = "RGBA" if im.mode == "RGBA" else "RGB"
                converted = ImageCms.profileToProfile(
                    im,
                    source,
                    _SRGB_PROFILE,
                    renderingIntent=ImageCms.Intent.PERCEPTUAL,
                    outputMode=out_mode,
                )
                if converted is not None:
                    im = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            # A broken or unsupported profile is common in the wild (e.g. truncated by an
            # editor); falling back to the untagged conversion beats refusing the photo.
            pass

    if im.mode == "CMYK" or im.mode == "YCbCr":
        im = im.convert("RGB")
    elif im.mode == "LAB":
        im = ImageCms.profileToProfile(
            im, ImageCms.createProfile("LAB"), _SRGB_PROFILE, outputMode="RGB"
        ) or im.convert("RGB")
    elif im.mode not in ("RGB", "RGBA", "L", "LA"):
        im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
    return im


def _alpha_is_used(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA") and im.getchannel("A").getextrema()[0] < 255


def flatten(im: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """Return an opaque RGB image, compositing any transparency over ``background``."""
    if im.mode in ("RGBA", "LA"):
        rgba = im.convert("RGBA")
        base = Image.new("RGB", im.size, background)
        base.paste(rgba, mask=rgba.getchannel("A"))
        return base
    return im if im.mode == "RGB" else im.convert("RGB")


# ---------------------------------------------------------------------------------------
# Encoding without metadata
# ---------------------------------------------------------------------------------------

_CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def content_type(fmt: str) -> str:
    """Return the MIME type for an output format name such as ``"JPEG"``."""
    return _CONTENT_TYPES[fmt.upper()]


def extension(fmt: str) -> str:
    """Return the file extension (no dot) for an output format name."""
    return _EXTENSIONS[fmt.upper()]


def encode_clean(im: Image.Image, fmt: str, quality: int, png_level: int = 6) -> bytes:
    """Encode ``im`` with no EXIF, XMP, ICC, comments or text chunks."""
    fmt = fmt.upper()
    if fmt == "JPEG":
        im = flatten(im)
    elif fmt == "PNG" and im.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        im = im.convert("RGBA")
    # Pillow copies ``info`` through resize/convert and some encoders read it (JPEG
    # comments, PNG ICC), so hide it while saving: an output never inherits the source's
    # metadata, and the caller's image keeps its info afterwards.
    saved_info, im.info = im.info, {}
    buf = io.BytesIO()
    try:
        if fmt == "JPEG":
            # Baseline (not progressive): platforms fetch and re-encode uploads, so
            # progressive rendering buys nothing and costs over twice the encode time.
            im.save(buf, "JPEG", quality=quality, optimize=True)
        elif fmt == "PNG":
            im.save(buf, "PNG", optimize=False, compress_level=png_level)
        elif fmt == "WEBP":
            im.save(buf, "WEBP", quality=quality, method=4)
        else:
            raise ValueError(f"unsupported output format {fmt!r}")
    finally:
        im.info = saved_info
    return buf.getvalue()


_MIN_QUALITY = 55
_QUALITY_STEP = 7
_SIZE_STEP = 0.85
_MIN_SIDE = 160


def encode_within(
    im: Image.Image, fmt: str, quality: int, max_bytes: int | None
) -> tuple[bytes, Image.Image, int]:
    """Encode ``im`` under ``max_bytes``: step the quality down, then the size, until it fits.

    Returns the bytes, the image actually encoded (smaller if the size had to step down) and
    the quality used.
    """
    fmt = fmt.upper()
    lossy = fmt in ("JPEG", "WEBP")
    data = encode_clean(im, fmt, quality)
    if max_bytes is None or len(data) <= max_bytes:
        return data, im, quality
    if lossy:
        q = quality
        while q > _MIN_QUALITY:
            q = max(_MIN_QUALITY, q - _QUALITY_STEP)
            data = encode_clean(im, fmt, q)
            if len(data) <= max_bytes:
                return data, im, q
    else:
        q = quality
    current = im
    while min(current.size) * _SIZE_STEP >= _MIN_SIDE:
        size = (round(current.width * _SIZE_STEP), round(current.height * _SIZE_STEP))
        current = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        data = encode_clean(current, fmt, q)
        if len(data) <= max_bytes:
            return data, current, q
    raise ImageRejected(
        f"This image cannot be made smaller than {max_bytes:,} bytes as {fmt}.", "too_many_bytes"
    )


# ---------------------------------------------------------------------------------------
# Geometry: focal points and crop boxes
# ---------------------------------------------------------------------------------------

_EPS = 1e-6


@dataclass(frozen=True)
class CropBox:
    """A crop as fractions (0..1) of the upright source image: left, top, right, bottom."""

    left: float
    top: float
    right: float
    bottom: float

    def __post_init__(self) -> None:
        values = (self.left, self.top, self.right, self.bottom)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise ValueError("crop box values must be finite numbers")
        if not (-_EPS <= self.left < self.right <= 1 + _EPS):
            raise ValueError("crop box needs 0 <= left < right <= 1")
        if not (-_EPS <= self.top < self.bottom <= 1 + _EPS):
            raise ValueError("crop box needs 0 <= top < bottom <= 1")

    @property
    def width(self) -> float:
        """Return the width as a fraction of the source width."""
        return self.right - self.left

    @property
    def height(self) -> float:
        """Return the height as a fraction of the source height."""
        return self.bottom - self.top

    def contains(self, x: float, y: float) -> bool:
        """Return whether the normalised point (x, y) lies inside the box."""
        return (
            self.left - _EPS <= x <= self.right + _EPS
            and self.top - _EPS <= y <= self.bottom + _EPS
        )

    def to_pixels(self, width: int, height: int) -> tuple[float, float, float, float]:
        """Return the box in pixels of a ``width`` x ``height`` image (floats, for resize)."""
        return (self.left * width, self.top * height, self.right * width, self.bottom * height)

    def as_tuple(self) -> tuple[float, float, float, float]:
        """Return (left, top, right, bottom), e.g. to store as JSON."""
        return (self.left, self.top, self.right, self.bottom)

    @classmethod
    def from_pixels(
        cls, box: tuple[float, float, float, float], width: int, height: int
    ) -> CropBox:
        """Make a normalised box from pixel coordinates in a ``width`` x ``height`` image."""
        left, top, right, bottom = box
        return cls(
            _clamp01(left / width),
            _clamp01(top / height),
            _clamp01(right / width),
            _clamp01(bottom / height),
        )


def _clamp01(v: float) -> float:
    return min(1.0, max(0.0, float(v)))


def _fit_aspect(width: float, height: float, aspect: float) -> tuple[float, float]:
    """Return the largest (w, h) with w / h == aspect inside a ``width`` x ``height`` box."""
    if width / height > aspect:
        return height * aspect, height
    return width, width / aspect


def crop_for(
    width: int,
    height: int,
    out_width: int,
    out_height: int,
    focal: tuple[float, float] = (0.5, 0.5),
    override: CropBox | None = None,
) -> CropBox:
    """Return the normalised crop of a source image for an output of the given size.

    Without an override: the largest box with the output's aspect ratio, centred on the
    focal point as far as the image edges allow (so the focal point is always inside).
    With an override (the designer's dragged box): that box, trimmed to the output's aspect
    around its own centre if the two disagree.
    """
    aspect = out_width / out_height
    if override is not None:
        left, top, right, bottom = override.to_pixels(width, height)
        box_w, box_h = right - left, bottom - top
        crop_w, crop_h = _fit_aspect(box_w, box_h, aspect)
        cx, cy = (left + right) / 2, (top + bottom) / 2
    else:
        crop_w, crop_h = _fit_aspect(width, height, aspect)
        cx, cy = _clamp01(focal[0]) * width, _clamp01(focal[1]) * height
    x0 = min(max(cx - crop_w / 2, 0.0), width - crop_w)
    y0 = min(max(cy - crop_h / 2, 0.0), height - crop_h)
    return CropBox.from_pixels((x0, y0, x0 + crop_w, y0 + crop_h), width, height)


def upright_size(data: bytes, formats: tuple[str, ...] = UPLOAD_FORMATS) -> tuple[int, int]:
    """Return the displayed (EXIF-rotated) size of an image without decoding its pixels."""
    im = _open_unloaded(data, formats)
    return _upright(im)


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(ExifTags.Base.Orientation, 1) or 1)
    except (ValueError, TypeError, SyntaxError, OSError):
        return 1


def _upright(im: Image.Image) -> tuple[int, int]:
    w, h = im.size
    return (h, w) if _orientation(im) in (5, 6, 7, 8) else (w, h)


# ---------------------------------------------------------------------------------------
# Renditions
# ---------------------------------------------------------------------------------------


class PresetLike(Protocol):
    """What :func:`render_presets` needs from a preset (``media_presets.Preset`` has it)."""

    id: str
    width: int
    height: int
    format: str
    quality: int
    max_bytes: int | None


Corner = Literal["top-left", "top-right", "bottom-left", "bottom-right"]


@dataclass(frozen=True)
class FrameSpec:
    """A brand frame: the kit logo in one corner of a rendition, with clear space around it."""

    corner: Corner = "bottom-right"
    # The logo's longest side and the clear space, as fractions of the output's shorter side,
    # so a frame looks the same on a square and on a story.
    size: float = 0.16
    margin: float = 0.05
    opacity: float = 1.0

    def __post_init__(self) -> None:
        if self.corner not in ("top-left", "top-right", "bottom-left", "bottom-right"):
            raise ValueError(f"unknown corner {self.corner!r}")
        if not (0 < self.size <= 0.5 and 0 <= self.margin <= 0.25 and 0 < self.opacity <= 1):
            raise ValueError(
                "frame size must be in (0, 0.5], margin in [0, 0.25], opacity in (0, 1]"
            )

    def as_dict(self) -> dict[str, object]:
        """Return the frame as plain data (stable for hashing and JSON)."""
        return {
            "corner": self.corner,
            "size": self.size,
            "margin": self.margin,
            "opacity": self.opacity,
        }


@dataclass(frozen=True)
class Rendition:
    """One encoded output: metadata-free sRGB bytes and what was made."""

    preset_id: str
    data: bytes = field(repr=False)
    width: int
    height: int
    format: str
    quality: int
    crop_box: CropBox
    # The source crop was smaller than the output, so it was enlarged (the UI should warn).
    upscaled: bool = False

    @property
    def content_type(self) -> str:
        """Return the MIME type to serve the bytes with."""
        return content_type(self.format)


# How much larger than the biggest output the JPEG's DCT-scaled decode must stay, so the
# final high-quality filter still has real pixels to work from (the "about 2x").
DRAFT_OVERSAMPLE = 2.0
# Each preset is cut from the smallest 1/2^k box-reduction of the decode that is still at
# least PYRAMID_GAP times the output, so the final Lanczos pass only ever shrinks by less
# than 2x; the reductions are made once and shared by all presets. Lanczos cost grows with
# the square of the scale factor, so this is most of the speed (3x on a 24 MP photo), and
# bench/bench_renditions.py checks the output stays >= 40 dB PSNR of a full-size Lanczos.
PYRAMID_GAP = 1.0
# resize() box-averages by an integer factor first while the scale left stays above this.
REDUCING_GAP = 2.0
FINAL_FILTER = Image.Resampling.LANCZOS
RENDER_VERSION = 1  # Bump when the pipeline's output changes, so cached URLs change too.


def _logo_image(logo: bytes) -> Image.Image:
    im = open_verified(logo, ("PNG", "WEBP", "JPEG", "GIF"))
    return to_srgb8(im).convert("RGBA")


def _apply_frame(im: Image.Image, logo: Image.Image, frame: FrameSpec) -> Image.Image:
    """Paste ``logo`` into ``frame.corner`` of ``im`` with clear space around it."""
    short = min(im.size)
    longest = max(1, round(short * frame.size))
    scale = longest / max(logo.size)
    size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
    mark = logo.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    if frame.opacity < 1:
        alpha = mark.getchannel("A").point(lambda v: round(v * frame.opacity))
        mark.putalpha(alpha)
    margin = round(short * frame.margin)
    x = margin if frame.corner.endswith("left") else im.width - margin - mark.width
    y = margin if frame.corner.startswith("top") else im.height - margin - mark.height
    out = im.convert("RGBA") if im.mode != "RGBA" else im.copy()
    out.alpha_composite(mark, (x, y))
    return out if im.mode == "RGBA" else out.convert("RGB")


def _draft_request(
    stored: tuple[int, int], upright: tuple[int, int], boxes: list[tuple[CropBox, int, int]]
) -> tuple[int, int]:
    """Return the smallest decode size (stored orientation) keeping every crop >= 2x output."""
    uw, uh = upright
    need = 0.0
    for crop, out_w, out_h in boxes:
        need = max(need, out_w / (crop.width * uw), out_h / (crop.height * uh))
    need = min(1.0, need * DRAFT_OVERSAMPLE)
    return (max(1, math.ceil(stored[0] * need)), max(1, math.ceil(stored[1] * need)))


def _decode_for(
    data: bytes, boxes: list[tuple[CropBox, int, int]]
) -> tuple[Image.Image, tuple[int, int]]:
    """Decode ``data`` once, as small as the crops allow; return it upright in sRGB."""
    im = _open_unloaded(data, UPLOAD_FORMATS)
    upright = _upright(im)
    if im.format == "JPEG" and boxes:
        # DCT scaling: libjpeg decodes at 1/2, 1/4 or 1/8 size directly, skipping most of
        # the inverse DCT, colour conversion and memory of a full-size decode.
        im.draft(None, _draft_request(im.size, upright, boxes))
    _load(im)
    ImageOps.exif_transpose(im, in_place=True)
    return to_srgb8(im), upright


class _Pyramid:
    """The decoded image and its 1/2, 1/4, 1/8 box-reductions, each made once on demand."""

    def __init__(self, base: Image.Image) -> None:
        self._levels = {1: base}

    def level(self, k: int) -> Image.Image:
        if k not in self._levels:
            self._levels[k] = self.level(k // 2).reduce(2)
        return self._levels[k]

    def source_for(self, crop: CropBox, out_w: int, out_h: int) -> Image.Image:
        """Return the smallest level whose crop still leaves a scale of >= PYRAMID_GAP."""
        base = self._levels[1]
        factor = min(crop.width * base.width / out_w, crop.height * base.height / out_h)
        k = 1
        while k < 8 and factor / (2 * k) >= PYRAMID_GAP:
            k *= 2
        return self.level(k)


class DecodedImage:
    """An image decoded once (upright, sRGB, 8-bit) from which any number of outputs are cut."""

    def __init__(self, data: bytes, plan: Sequence[tuple[CropBox, int, int]] = ()) -> None:
        """Decode ``data`` just large enough for ``plan`` (crop, output width, output height)."""
        work, (self.width, self.height) = _decode_for(data, list(plan))
        self._pyramid = _Pyramid(work)

    @classmethod
    def for_sizes(
        cls, data: bytes, sizes: Sequence[tuple[int, int]], focal: tuple[float, float] = (0.5, 0.5)
    ) -> DecodedImage:
        """Decode ``data`` once for focal-point crops at each of ``sizes``."""
        width, height = upright_size(data)
        return cls(data, [(crop_for(width, height, w, h, focal), w, h) for w, h in sizes])

    @property
    def decoded_size(self) -> tuple[int, int]:
        """Return the size actually decoded (smaller than the source after DCT scaling)."""
        return self._pyramid.level(1).size

    @property
    def mode(self) -> str:
        """Return the working mode: RGB, RGBA, L or LA."""
        return self._pyramid.level(1).mode

    def crop_for(
        self,
        out_width: int,
        out_height: int,
        focal: tuple[float, float] = (0.5, 0.5),
        override: CropBox | None = None,
    ) -> CropBox:
        """Return the focal-point (or overridden) crop for an output of this size."""
        return crop_for(self.width, self.height, out_width, out_height, focal, override)

    def cut(self, out_width: int, out_height: int, crop: CropBox) -> Image.Image:
        """Return ``crop`` scaled to exactly ``out_width`` x ``out_height`` (not encoded)."""
        src = self._pyramid.source_for(crop, out_width, out_height)
        # One pass: crop and scale together; reducing_gap box-averages first on big shrinks.
        return src.resize(
            (out_width, out_height),
            FINAL_FILTER,
            box=crop.to_pixels(src.width, src.height),
            reducing_gap=REDUCING_GAP,
        )


def render_presets(
    data: bytes,
    presets: Sequence[PresetLike],
    focal: tuple[float, float] = (0.5, 0.5),
    crops: Mapping[str, CropBox] | None = None,
    logo: bytes | None = None,
    frame: FrameSpec | Mapping[str, FrameSpec] | None = None,
) -> dict[str, Rendition]:
    """Make every preset from one decode of ``data``; return renditions keyed by preset id.

    ``crops`` holds the designer's per-preset crop overrides; ``frame`` is one brand frame
    for every preset or a mapping of preset id to frame (presets without one get none).
    """
    crops = crops or {}
    probe = _open_unloaded(data, UPLOAD_FORMATS)
    uw, uh = _upright(probe)
    plan = [(p, crop_for(uw, uh, p.width, p.height, focal, crops.get(p.id))) for p in presets]
    decoded = DecodedImage(data, [(c, p.width, p.height) for p, c in plan])
    logo_im = _logo_image(logo) if logo is not None and frame is not None else None

    # Several platforms share a target (1080x1350 for Instagram, Threads and Mastodon;
    # 1080x1920 for stories and TikTok): resize each distinct picture once, and encode it
    # once per format and quality, reusing the bytes when they fit the next preset's cap.
    groups: dict[tuple[object, ...], list[tuple[PresetLike, FrameSpec | None]]] = {}
    for preset, crop in plan:
        f = frame.get(preset.id) if isinstance(frame, Mapping) else frame
        groups.setdefault((preset.width, preset.height, crop, f), []).append((preset, f))
    out: dict[str, Rendition] = {}
    for (width, height, crop, f), members in groups.items():
        picture = decoded.cut(width, height, crop)
        if logo_im is not None and f is not None:
            picture = _apply_frame(picture, logo_im, f)
        nominal: dict[tuple[str, int], bytes] = {}
        for preset, _ in members:
            fmt = preset.format.upper()
            cap = preset.max_bytes
            earlier = nominal.get((fmt, preset.quality))
            if earlier is not None and (cap is None or len(earlier) <= cap):
                data_out, encoded, quality = earlier, picture, preset.quality
            else:
                data_out, encoded, quality = encode_within(picture, fmt, preset.quality, cap)
                if encoded is picture and quality == preset.quality:
                    nominal[(fmt, quality)] = data_out
            out[preset.id] = Rendition(
                preset_id=preset.id,
                data=data_out,
                width=encoded.width,
                height=encoded.height,
                format=fmt,
                quality=quality,
                crop_box=crop,
                upscaled=crop.width * decoded.width + 0.5 < preset.width,
            )
    # Callers get the presets back in the order they asked for them.
    return {p.id: out[p.id] for p, _ in plan}


def render_animated(
    data: bytes,
    preset: PresetLike,
    focal: tuple[float, float] = (0.5, 0.5),
    crop: CropBox | None = None,
) -> Rendition:
    """Make an animated GIF rendition of an animated GIF, for platforms that play GIFs.

    Every frame is cut with the same crop; the byte cap is met by stepping the size down
    (GIF has no quality setting). A still image gives a one-frame GIF.
    """
    im = _open_unloaded(data, ("GIF",))
    frames = _count_frames(im)
    if frames > MAX_FRAMES:
        raise ImageRejected(
            f"This GIF has {frames:,} frames; the limit is {MAX_FRAMES}.", "too_many_frames"
        )
    box = crop_for(im.width, im.height, preset.width, preset.height, focal, crop)
    width, height = preset.width, preset.height
    while True:
        pictures, durations = [], []
        for index in range(frames):
            im.seek(index)
            _load(im)
            durations.append(int(im.info.get("duration", 100) or 100))
            frame = im.convert("RGBA").resize(
                (width, height),
                FINAL_FILTER,
                box=box.to_pixels(im.width, im.height),
                reducing_gap=REDUCING_GAP,
            )
            pictures.append(frame)
        transparent = any(_alpha_is_used(p) for p in pictures)
        if not transparent:
            pictures = [p.convert("RGB") for p in pictures]
        for p in pictures:
            p.info = {}
        buf = io.BytesIO()
        pictures[0].save(
            buf,
            "GIF",
            save_all=True,
            append_images=pictures[1:],
            duration=durations,
            loop=int(im.info.get("loop", 0) or 0),
            disposal=2 if transparent else 1,
        )
        out = buf.getvalue()
        if preset.max_bytes is None or len(out) <= preset.max_bytes:
            break
        if min(width, height) * _SIZE_STEP < _MIN_SIDE:
            raise ImageRejected(
                f"This GIF cannot be made smaller than {preset.max_bytes:,} bytes; "
                "shorten it or post it as a video.",
                "too_many_bytes",
            )
        width, height = round(width * _SIZE_STEP), round(height * _SIZE_STEP)
    return Rendition(
        preset_id=preset.id,
        data=out,
        width=width,
        height=height,
        format="GIF",
        quality=0,
        crop_box=box,
        upscaled=box.width * im.width + 0.5 < preset.width,
    )


def rendition_key(
    sha256: str,
    preset: PresetLike | str,
    crop: CropBox,
    frame: FrameSpec | None = None,
    logo_sha256: str | None = None,
) -> str:
    """Return a stable cache name for a rendition; it changes whenever any input changes."""
    if isinstance(preset, str):
        preset_part: object = preset
    else:
        preset_part = [
            preset.id,
            preset.width,
            preset.height,
            preset.format.upper(),
            preset.quality,
            preset.max_bytes,
        ]
    payload = json.dumps(
        {
            "v": RENDER_VERSION,
            "src": sha256,
            "preset": preset_part,
            # Rounded so float noise from JSON round trips doesn't bust the cache.
            "crop": [round(v, 5) for v in crop.as_tuple()],
            "frame": frame.as_dict() if frame else None,
            "logo": logo_sha256 if frame else None,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    digest = hashlib.sha256(payload.encode()).hexdigest()[:24]
    name = preset if isinstance(preset, str) else preset.id
    return f"{sha256[:16]}-{name}-{digest}"


# ---------------------------------------------------------------------------------------
# Upload normalisation
# ---------------------------------------------------------------------------------------

DEFAULT_MAX_UPLOAD_BYTES = 40 * 1024 * 1024
_WINDOWS_RESERVED = (
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)
_MAX_NAME = 120


def safe_filename(name: str | None, fallback: str = "image") -> str:
    """Return a display- and disk-safe file name: no directories, no control characters."""
    name = unicodedata.normalize("NFKC", name or "")
    # Both separators: a Windows browser may send "C:\\Users\\me\\photo.jpg".
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[^\w.\- ]+", "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    name = name.lstrip(".-_ ")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ext[:10]
    if stem.lower() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    if not stem:
        stem = fallback
    room = _MAX_NAME - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(" .")
    return f"{stem}.{ext}" if ext else stem


@dataclass(frozen=True)
class NormalisedImage:
    """An accepted upload: facts about the original and a clean master to store and serve."""

    sha256: str  # of the original bytes: the dedupe key
    filename: str  # sanitised original name
    format: str  # the original's format, e.g. "JPEG", "HEIF"
    width: int  # upright (EXIF orientation applied)
    height: int
    frames: int  # > 1 only for an animated GIF kept animated
    mode: str  # the original's Pillow mode, e.g. "CMYK", "I;16", "RGBA"
    has_alpha: bool
    master: bytes = field(repr=False)  # sRGB, 8-bit, upright, no metadata, no trailing data
    master_format: str = "JPEG"
    master_sha256: str = ""
    placeholder: str = field(default="", repr=False)  # data: URI of a tiny blurred preview
    notes: tuple[str, ...] = ()  # non-fatal changes worth telling the uploader

    @property
    def master_content_type(self) -> str:
        """Return the MIME type of the master bytes."""
        return content_type(self.master_format)


def blur_placeholder(img: Image.Image, longest: int = 16) -> str:
    """Return a data: URI of a tiny blurred JPEG to show while renditions load."""
    scale = longest / max(img.size)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    small = flatten(to_srgb8(img).resize(size, Image.Resampling.BOX, reducing_gap=2.0))
    small = small.filter(ImageFilter.GaussianBlur(0.8))
    small.info = {}
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=45)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):,.1f} MB"


def _count_frames(im: Image.Image) -> int:
    if not getattr(im, "is_animated", False):
        return 1
    try:
        return int(getattr(im, "n_frames", 1))
    except (OSError, EOFError, ValueError, SyntaxError) as exc:
        raise ImageRejected("This animation is damaged and cannot be read.", "damaged") from exc


def _gif_master(im: Image.Image, frames: int) -> bytes:
    """Re-encode every frame of an animated GIF, dropping comments and extensions."""
    out_frames: list[Image.Image] = []
    durations: list[int] = []
    transparent = False
    try:
        for index in range(frames):
            im.seek(index)
            _load(im)
            durations.append(int(im.info.get("duration", 100) or 100))
            frame = im.convert("RGBA")
            transparent = transparent or _alpha_is_used(frame)
            out_frames.append(frame)
    except EOFError as exc:
        raise ImageRejected("This animation is damaged and cannot be read.", "damaged") from exc
    loop = int(im.info.get("loop", 0) or 0)
    for frame in out_frames:
        frame.info = {}
    buf = io.BytesIO()
    first = out_frames[0] if transparent else out_frames[0].convert("RGB")
    rest = out_frames[1:] if transparent else [f.convert("RGB") for f in out_frames[1:]]
    # Frames from Pillow are already composited, so each one can simply replace the last.
    first.save(
        buf,
        "GIF",
        save_all=True,
        append_images=rest,
        duration=durations,
        loop=loop,
        disposal=2 if transparent else 1,
        optimize=False,
    )
    return buf.getvalue()


def normalise_upload(
    data: bytes, filename: str | None, max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
) -> NormalisedImage:
    """Verify an upload and return its facts plus a clean, metadata-free master."""
    if len(data) > max_bytes:
        raise ImageRejected(
            f"This file is {_megabytes(len(data))}; the limit is {_megabytes(max_bytes)}.",
            "too_many_bytes",
        )
    im = _open_unloaded(data, UPLOAD_FORMATS)
    source_format = im.format or "?"
    source_mode = im.mode
    notes: list[str] = []
    frames = _count_frames(im)
    if frames > 1 and source_format != "GIF":
        kind = _FORMAT_NAMES.get(source_format, source_format)
        notes.append(f"Only the first frame of this animated {kind} is kept.")
        frames = 1
    if frames > MAX_FRAMES:
        raise ImageRejected(
            f"This GIF has {frames:,} frames; Plume accepts animated GIFs of up to "
            f"{MAX_FRAMES} frames (X's limit). Shorten it and upload again.",
            "too_many_frames",
        )
    if frames > 1 and im.width * im.height * frames > MAX_ANIMATION_PIXELS:
        raise ImageRejected(
            f"This GIF is too big to process: {im.width}x{im.height} pixels x {frames} frames. "
            f"Make it smaller or shorter (at most {MAX_ANIMATION_PIXELS // 1_000_000} million "
            "pixels across all frames).",
            "too_large",
        )

    if frames > 1:
        master = _gif_master(im, frames)
        im.seek(0)
        first = im.convert("RGBA")
        width, height = im.size
        has_alpha = _alpha_is_used(first)
        master_format = "GIF"
        placeholder = blur_placeholder(first)
    else:
        _load(im)
        ImageOps.exif_transpose(im, in_place=True)
        width, height = im.size
        work = to_srgb8(im)
        has_alpha = _alpha_is_used(work)
        if not has_alpha and work.mode in ("RGBA", "LA"):
            work = work.convert("RGB" if work.mode == "RGBA" else "L")
        # Lossless sources (and anything with transparency) stay lossless; photos become a
        # high-quality JPEG so the master stays a sensible size.
        lossless = has_alpha or source_format in ("PNG", "GIF")
        master_format = "PNG" if lossless else "JPEG"
        # zlib level 3: half the time of level 6 on photographic PNGs for <1% more bytes.
        master = (
            encode_clean(work, "PNG", 95, png_level=3) if lossless else _encode_master_jpeg(work)
        )
        placeholder = blur_placeholder(work)
    return NormalisedImage(
        sha256=hashlib.sha256(data).hexdigest(),
        filename=safe_filename(filename),
        format=source_format,
        width=width,
        height=height,
        frames=frames,
        mode=source_mode,
        has_alpha=has_alpha,
        master=master,
        master_format=master_format,
        master_sha256=hashlib.sha256(master).hexdigest(),
        placeholder=placeholder,
        notes=tuple(notes),
    )


def _encode_master_jpeg(im: Image.Image) -> bytes:
    # 4:4:4 at q95: the master is re-cut into every preset, so keep generation loss tiny.
    out = flatten(im)
    out.info = {}
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=95, subsampling=0, optimize=True)
    return buf.getvalue()
