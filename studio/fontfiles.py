"""Validate uploaded font files by actually parsing them (fontTools), never by name alone.

:func:`inspect_font` accepts TrueType/OpenType (``.ttf``/``.otf``) and WOFF2 (``.woff2``),
the three formats browsers load through ``@font-face``, and returns what the web layer needs
to serve the file: its family and style names, weight, italic flag, format and MIME type.
Anything else raises :class:`FontRejected` with a message that says what the file really is.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

import brotli
from fontTools.misc import sstruct
from fontTools.ttLib import TTFont
from fontTools.ttLib.woff2 import WOFF2DirectoryEntry, woff2DirectoryFormat, woff2DirectorySize

FontFormat = Literal["ttf", "otf", "woff2"]
MIMETYPES: dict[str, str] = {"ttf": "font/ttf", "otf": "font/otf", "woff2": "font/woff2"}
EXTENSIONS: tuple[str, ...] = (".ttf", ".otf", ".woff2")
# Brand typefaces are well under 1 MB per style; 10 MB leaves room for wide-coverage fonts
# while keeping a hostile upload from tying up a worker.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# A WOFF2 file declares the size of the font inside it; cap that too, so a small file cannot
# make the server inflate gigabytes (a decompression bomb).
MAX_EXPANSION = 8


@dataclass(frozen=True)
class FontInfo:
    """What an accepted font file is, as read from its own tables."""

    family: str
    subfamily: str
    format: FontFormat
    mimetype: str
    weight: int = 400
    italic: bool = False


class FontRejected(ValueError):
    """A font Plume refuses; ``message`` is specific and safe to show the uploader."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        # Stable reason for the web layer and tests: empty, too_large, extension, not_font,
        # unsupported, damaged, truncated.
        self.code = code


_SFNT_TRUETYPE = (b"\x00\x01\x00\x00", b"true")

# Things people rename to .ttf by mistake (or on purpose); naming what the file really is
# makes the message actionable.
_NOT_FONTS: tuple[tuple[re.Pattern[bytes], str, str], ...] = (
    (
        re.compile(rb"^PK(\x03\x04|\x05\x06|\x07\x08)"),
        "a ZIP archive",
        "Unzip it and upload the .ttf, .otf or .woff2 file inside.",
    ),
    (re.compile(rb"^#!"), "a script (it starts with '#!')", "Upload a font file."),
    (
        re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<script)", re.I),
        "an HTML page",
        "Download the font file itself rather than the web page.",
    ),
    (re.compile(rb"^\s*(<\?xml[^>]*>\s*)?<svg", re.I), "an SVG drawing", "Upload a font file."),
    (re.compile(rb"^\s*<\?xml", re.I), "an XML document", "Upload a font file."),
    (re.compile(rb"^%PDF-"), "a PDF document", "Upload a font file."),
    (re.compile(rb"^MZ"), "a Windows program", "Upload a font file."),
    (re.compile(rb"^\x7fELF"), "a Linux program", "Upload a font file."),
    (re.compile(rb"^\x1f\x8b"), "a gzip archive", "Unpack it and upload the font inside."),
    (re.compile(rb"^(\x89PNG|\xff\xd8\xff|GIF8|RIFF....WEBP)", re.S), "an image", ""),
)


def _describe_non_font(head: bytes) -> tuple[str, str] | None:
    for pattern, what, advice in _NOT_FONTS:
        if pattern.search(head):
            return what, advice
    sample = head[:512]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text and sum(ch.isprintable() or ch in "\r\n\t" for ch in text) / len(text) > 0.95:
        return "a text file", "Upload a font file."
    return None


def _reject_non_font(data: bytes) -> FontRejected:
    found = _describe_non_font(data[:1024])
    if found is None:
        return FontRejected(
            "This file is not a font Plume can read. Upload a TTF, OTF or WOFF2 file.", "not_font"
        )
    what, advice = found
    return FontRejected(f"This file is {what}, not a font. {advice}".strip(), "not_font")


def _sniff(data: bytes) -> FontFormat:
    head = data[:4]
    if head in _SFNT_TRUETYPE:
        return "ttf"
    if head == b"OTTO":
        return "otf"
    if head == b"wOF2":
        return "woff2"
    if head == b"wOFF":
        raise FontRejected(
            "This is a WOFF 1.0 font, which Plume does not accept. "
            "Upload the TTF/OTF original or convert it to WOFF2.",
            "unsupported",
        )
    if head == b"ttcf":
        raise FontRejected(
            "This is a font collection (.ttc) holding several fonts. "
            "Upload the single style you need as a TTF, OTF or WOFF2 file.",
            "unsupported",
        )
    raise _reject_non_font(data)


def _check_woff2_envelope(data: bytes, max_bytes: int) -> None:
    """Refuse a WOFF2 whose compressed tables would inflate beyond what it declares."""
    stream = io.BytesIO(data)
    header_bytes = stream.read(woff2DirectorySize)
    if len(header_bytes) < woff2DirectorySize:
        raise FontRejected("This WOFF2 file is incomplete: its header is cut off.", "truncated")
    header = sstruct.unpack(woff2DirectoryFormat, header_bytes)
    if header["length"] != len(data):
        raise FontRejected(
            f"This WOFF2 file is incomplete or damaged: it says it is {header['length']:,} "
            f"bytes long but is {len(data):,} bytes.",
            "truncated",
        )
    limit = max_bytes * MAX_EXPANSION
    if header["totalSfntSize"] > limit:
        raise FontRejected(
            "This WOFF2 file claims to unpack to "
            f"{header['totalSfntSize'] / 1e6:,.0f} MB; Plume accepts fonts up to "
            f"{limit / 1e6:,.0f} MB unpacked.",
            "too_large",
        )
    try:
        expected = 0
        for _ in range(header["numTables"]):
            entry = WOFF2DirectoryEntry()
            entry.fromFile(stream)
            expected += entry.length
    except Exception as exc:  # fontTools signals a bad directory with several types
        raise FontRejected("This WOFF2 file is damaged: its table directory is invalid.") from exc
    if expected > limit:
        raise FontRejected("This WOFF2 file declares tables too large to accept.", "too_large")
    compressed = data[stream.tell() : stream.tell() + header["totalCompressedSize"]]
    decompressor = brotli.Decompressor()
    try:
        # Decompress at most one byte more than declared: enough to tell "too much" without
        # ever holding more than the declared size in memory.
        out = decompressor.process(compressed, output_buffer_limit=expected + 1)
    except brotli.error as exc:
        raise FontRejected(
            "This WOFF2 file is damaged: its compressed data is corrupt or cut off.", "damaged"
        ) from exc
    if len(out) != expected or not decompressor.is_finished():
        raise FontRejected(
            "This WOFF2 file is damaged: its compressed data does not match the sizes it declares.",
            "damaged",
        )


def _check_sfnt_bounds(font: TTFont, size: int) -> None:
    """Refuse a TTF/OTF whose table directory points past the end of the file."""
    for tag, entry in font.reader.tables.items():
        if entry.offset + entry.length > size:
            raise FontRejected(
                f"This font file is incomplete: it was cut off (its '{tag}' table ends past "
                "the end of the file). Upload the whole file again.",
                "truncated",
            )


_REQUIRED_TABLES = ("head", "hhea", "maxp", "name", "cmap")


def _clean_name(value: str | None) -> str:
    cleaned = "".join(ch for ch in (value or "") if ch.isprintable()).strip()
    return cleaned[:100]


def inspect_font(data: bytes, filename: str, max_bytes: int = DEFAULT_MAX_BYTES) -> FontInfo:
    """Parse an uploaded font and describe it, or raise :class:`FontRejected`."""
    if not data:
        raise FontRejected("The file is empty (0 bytes).", "empty")
    if len(data) > max_bytes:
        raise FontRejected(
            f"This font is {len(data) / 1e6:,.1f} MB; Plume accepts font files up to "
            f"{max_bytes / 1e6:,.1f} MB.",
            "too_large",
        )
    extension = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    fmt = _sniff(data)
    if extension not in EXTENSIONS:
        raise FontRejected(
            f"Font files must end in .ttf, .otf or .woff2 (this one is {extension or 'unnamed'}).",
            "extension",
        )
    if (fmt == "woff2") != (extension == ".woff2"):
        actual = "a WOFF2 font" if fmt == "woff2" else "a TTF/OTF font"
        raise FontRejected(
            f"This file is {actual} but its name ends in {extension}. "
            "Rename it to match, or upload the right file.",
            "extension",
        )
    if fmt == "woff2":
        _check_woff2_envelope(data, max_bytes)
    try:
        font = TTFont(io.BytesIO(data), lazy=False, recalcBBoxes=False, recalcTimestamp=False)
        if fmt != "woff2":
            _check_sfnt_bounds(font, len(data))
        missing = [t for t in _REQUIRED_TABLES if t not in font]
        if missing:
            raise FontRejected(
                f"This font is missing required tables ({', '.join(missing)}), so browsers "
                "would refuse it.",
                "damaged",
            )
        has_outlines = ("glyf" in font and "loca" in font) or "CFF " in font or "CFF2" in font
        if not has_outlines:
            raise FontRejected("This font has no glyph outlines, so it cannot draw text.")
        # Decompile what browsers read first; a cut-off or corrupt file fails here.
        for tag in (*_REQUIRED_TABLES, "OS/2", "post", "glyf", "CFF ", "CFF2"):
            if tag in font:
                font[tag]  # indexing a TTFont decompiles the table
        if not font.getBestCmap():
            raise FontRejected("This font maps no characters (its cmap is empty).", "damaged")
        names = font["name"]
        family = _clean_name(names.getBestFamilyName())
        subfamily = _clean_name(names.getBestSubFamilyName()) or "Regular"
        os2 = font.get("OS/2")
        weight = int(getattr(os2, "usWeightClass", 400) or 400)
        italic = bool(getattr(os2, "fsSelection", 0) & 0x01) or bool(font["head"].macStyle & 0x02)
    except FontRejected:
        raise
    except Exception as exc:
        # fontTools reports malformed input with struct.error, TTLibError, AssertionError,
        # KeyError, IndexError, ValueError, brotli.error...: all mean "damaged".
        raise FontRejected(
            "This font file is damaged and cannot be read (it may be incomplete).", "damaged"
        ) from exc
    if not family:
        raise FontRejected("This font has no family name in its name table.", "damaged")
    # Keep CSS-valid weights; some fonts store 0 or nonsense.
    weight = min(max(weight, 1), 1000)
    return FontInfo(
        family=family,
        subfamily=subfamily,
        format=fmt,
        mimetype=MIMETYPES[fmt],
        weight=weight,
        italic=italic,
    )
