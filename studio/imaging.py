"""Pure Pillow functions for Plume's media: bytes in, bytes out.

Nothing here knows about Flask, requests or the database. Every untrusted image enters
through :func:`open_verified` (or :func:`normalise_upload`, which calls it), so the
decompression-bomb limit, the format allow-list and the truncation check live in one place.
"""

from __future__ import annotations

import io
import re
import warnings

import pillow_heif
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError, features

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


def _open_unloaded(data: bytes, formats: tuple[str, ...]) -> ImageFile.ImageFile:
    """Identify ``data`` with only ``formats`` and the bomb limit; pixels are not decoded yet."""
    if not data:
        raise ImageRejected("The file is empty (0 bytes).", "empty")
    allowed = tuple(f.upper() for f in formats)
    try:
        # Scoped so the caller's filters are restored on exit: a DecompressionBombWarning
        # (between 1x and 2x the limit) must refuse the file, not just log a line.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=allowed)
            # verify() checks what it can without decoding (PNG chunk CRCs) and leaves the
            # image unusable, so reopen for the real work.
            im.verify()
            im = Image.open(io.BytesIO(data), formats=allowed)
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
        # Pillow signals broken headers and bad checksums with any of these.
        msg = "This image is damaged and cannot be read (its header or checksums are invalid)."
        raise ImageRejected(msg, "damaged") from exc
    width, height = im.size
    if width < 1 or height < 1:
        raise ImageRejected("This image has no pixels (zero width or height).", "damaged")
    if width * height > MAX_PIXELS:  # Belt and braces in case the global limit was changed.
        raise ImageRejected(_bomb_message(Exception(f"({width * height} pixels)")), "too_large")
    return im


def _load(im: Image.Image) -> None:
    """Decode the pixels, turning truncation and corruption into :class:`ImageRejected`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
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
