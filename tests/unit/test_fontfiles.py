"""Font uploads are parsed for real: good fonts described, everything else refused clearly."""

from __future__ import annotations

import io
import struct
import zipfile

import brotli
import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.misc import sstruct
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from fontTools.ttLib.woff2 import WOFF2DirectoryEntry, woff2DirectoryFormat, woff2DirectorySize

from studio.fontfiles import FontInfo, FontRejected, inspect_font


def _triangle(pen: TTGlyphPen | T2CharStringPen) -> None:
    pen.moveTo((50, 0))
    pen.lineTo((450, 0))
    pen.lineTo((250, 700))
    pen.closePath()


def build_font(
    family: str = "Plume Test",
    style: str = "Regular",
    cff: bool = False,
    weight: int = 400,
    italic: bool = False,
) -> bytes:
    """Return a tiny but complete font (TrueType outlines, or CFF with ``cff``)."""
    builder = FontBuilder(1000, isTTF=not cff)
    builder.setupGlyphOrder([".notdef", "A"])
    builder.setupCharacterMap({ord("A"): "A"})
    if cff:
        glyphs = {}
        for name in (".notdef", "A"):
            pen = T2CharStringPen(500, None)
            _triangle(pen)
            glyphs[name] = pen.getCharString()
        builder.setupCFF(family.replace(" ", "") + "-" + style, {}, glyphs, {})
    else:
        glyphs = {}
        for name in (".notdef", "A"):
            pen = TTGlyphPen(None)
            _triangle(pen)
            glyphs[name] = pen.glyph()
        builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({".notdef": (500, 50), "A": (500, 50)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": family, "styleName": style})
    builder.setupOS2(usWeightClass=weight, fsSelection=0x01 if italic else 0x40)
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def to_woff2(data: bytes) -> bytes:
    font = TTFont(io.BytesIO(data))
    font.flavor = "woff2"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def rejected(data: bytes, filename: str, **kwargs: int) -> FontRejected:
    with pytest.raises(FontRejected) as info:
        inspect_font(data, filename, **kwargs)
    return info.value


def test_truetype_font_is_described() -> None:
    info = inspect_font(build_font("Ember Sans", "Bold Italic", weight=700, italic=True), "e.ttf")
    assert info == FontInfo("Ember Sans", "Bold Italic", "ttf", "font/ttf", 700, True)


def test_cff_opentype_font_is_described() -> None:
    info = inspect_font(build_font("Ember Serif", cff=True), "Ember Serif.OTF")
    assert (info.family, info.subfamily, info.format, info.mimetype) == (
        "Ember Serif",
        "Regular",
        "otf",
        "font/otf",
    )
    assert not info.italic and info.weight == 400


def test_truetype_outlines_in_an_otf_file_are_reported_as_ttf() -> None:
    info = inspect_font(build_font(), "renamed.otf")
    assert info.format == "ttf" and info.mimetype == "font/ttf"


def test_woff2_font_is_described() -> None:
    info = inspect_font(to_woff2(build_font("Ember Sans")), "ember.woff2")
    assert (info.family, info.format, info.mimetype) == ("Ember Sans", "woff2", "font/woff2")


def test_zip_renamed_to_ttf_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Ember.ttf", build_font())
    error = rejected(buffer.getvalue(), "Ember.ttf")
    assert error.code == "not_font"
    assert "ZIP archive" in error.message and "Unzip it" in error.message


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"#!/bin/sh\nrm -rf ~\n", "a script"),
        (b"<!DOCTYPE html><html><body>Font download</body></html>", "an HTML page"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "an SVG drawing"),
        (b"%PDF-1.7\n...", "a PDF document"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "a Windows program"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "an image"),
        (b"font-family: 'Ember Sans';\nsrc: url(ember.woff2);\n", "a text file"),
    ],
)
def test_non_fonts_are_named(data: bytes, what: str) -> None:
    error = rejected(data, "font.ttf")
    assert error.code == "not_font"
    assert error.message.startswith(f"This file is {what}")
    assert "not a font" in error.message


def test_random_binary_is_not_a_font() -> None:
    error = rejected(bytes(range(256)) * 4, "font.ttf")
    assert error.code == "not_font" and "not a font Plume can read" in error.message


@pytest.mark.parametrize(
    ("head", "code", "fragment"),
    [(b"wOFF", "unsupported", "WOFF 1.0"), (b"ttcf", "unsupported", "font collection")],
)
def test_unsupported_font_containers(head: bytes, code: str, fragment: str) -> None:
    error = rejected(head + b"\x00" * 60, "font.ttf")
    assert (error.code, fragment in error.message) == (code, True)


def test_empty_and_oversized_files() -> None:
    assert rejected(b"", "font.ttf").code == "empty"
    font = build_font()
    error = rejected(font, "font.ttf", max_bytes=len(font) - 1)
    assert error.code == "too_large" and "MB" in error.message


def test_extension_must_be_a_font_extension_and_match_the_content() -> None:
    assert rejected(build_font(), "font.exe").code == "extension"
    assert rejected(build_font(), "font").code == "extension"
    error = rejected(to_woff2(build_font()), "font.ttf")
    assert error.code == "extension" and "WOFF2" in error.message
    assert rejected(build_font(), "font.woff2").code == "extension"


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_truetype_is_refused(cut: float) -> None:
    font = build_font()
    error = rejected(font[: int(len(font) * cut)], "font.ttf")
    assert error.code in ("truncated", "damaged")
    assert "cut off" in error.message or "incomplete" in error.message


def test_truncated_woff2_is_refused() -> None:
    font = to_woff2(build_font())
    error = rejected(font[: len(font) - 10], "font.woff2")
    assert error.code == "truncated"


def test_corrupt_table_data_is_refused_as_damaged() -> None:
    font = bytearray(build_font())
    reader = TTFont(io.BytesIO(bytes(font))).reader
    head = reader.tables["head"]
    # Scramble the whole 'head' table (units-per-em, magic number, bounding box).
    font[head.offset : head.offset + head.length] = b"\xff" * head.length
    font[head.offset : head.offset + 8] = b"\x00" * 8
    error = rejected(bytes(font), "font.ttf")
    assert error.code == "damaged"


def _woff2_with_stream(font: bytes, stream: bytes) -> bytes:
    """Return ``font`` (WOFF2) with its compressed stream swapped and the header patched."""
    directory = io.BytesIO(font)
    header = sstruct.unpack(woff2DirectoryFormat, directory.read(woff2DirectorySize))
    for _ in range(header["numTables"]):
        WOFF2DirectoryEntry().fromFile(directory)
    patched = bytearray(font[: directory.tell()] + stream)
    struct.pack_into(">I", patched, 8, len(patched))  # length
    struct.pack_into(">I", patched, 20, len(stream))  # totalCompressedSize
    return bytes(patched)


def test_woff2_that_inflates_beyond_its_declared_size_is_refused() -> None:
    plain = to_woff2(build_font())
    assert struct.unpack(">I", plain[28:32]) == (0,)  # no metadata block after the stream
    # 20 MB of zeros compress to a few kilobytes; the font declares well under 1 KB.
    bomb = _woff2_with_stream(plain, brotli.compress(b"\x00" * 20_000_000))
    error = rejected(bomb, "bomb.woff2")
    assert error.code == "damaged"
    assert "does not match the sizes it declares" in error.message


def test_woff2_claiming_a_huge_unpacked_size_is_refused() -> None:
    font = bytearray(to_woff2(build_font()))
    struct.pack_into(">I", font, 16, 2_000_000_000)  # totalSfntSize
    error = rejected(bytes(font), "huge.woff2")
    assert error.code == "too_large" and "unpack" in error.message


def test_corrupt_woff2_stream_is_refused() -> None:
    plain = to_woff2(build_font())
    broken = _woff2_with_stream(plain, b"\x00garbage-not-brotli" * 4)
    assert rejected(broken, "broken.woff2").code == "damaged"
