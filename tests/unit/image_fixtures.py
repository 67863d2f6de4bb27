"""Generate test images in code (no binary fixtures): photos, hostile files, ICC profiles."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import datetime

from PIL import Image, ImageChops, ImageDraw, ImageFilter

# ---------------------------------------------------------------------------------------
# Ordinary images
# ---------------------------------------------------------------------------------------


def photo(width: int = 640, height: int = 480, seed: int = 0) -> Image.Image:
    """Return a small photo-like RGB image: gradients, soft noise, shapes and grain."""
    channels = []
    for c in range(3):
        base = Image.linear_gradient("L").rotate(40 * c + 17 * seed)
        base = base.resize((width, height), Image.Resampling.BILINEAR)
        noise = Image.effect_noise((max(2, width // 16), max(2, height // 16)), 50)
        channels.append(Image.blend(base, noise.resize((width, height)), 0.35))
    im = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(im)
    for i in range(6):
        x, y = (i * 97 + seed * 13) % width, (i * 61 + seed * 29) % height
        draw.ellipse((x, y, x + width // 6, y + height // 6), fill=(40 * i, 200 - 30 * i, 90))
    im = im.filter(ImageFilter.GaussianBlur(0.7))
    return ImageChops.add(im, Image.effect_noise((width, height), 6).convert("RGB"), 1.0, -12)


def encode(im: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    """Return ``im`` encoded as ``fmt`` with ``params`` passed to ``save``."""
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    """Return EXIF with a camera, an orientation and a GPS position (private data)."""
    exif = Image.Exif()
    exif[0x010F] = "PlumeCam"  # Make
    exif[0x0110] = "Model 7"  # Model
    exif[0x0112] = orientation
    exif[0x8825] = {  # GPS IFD
        1: "N",
        2: (51.0, 30.0, 26.0),
        3: "W",
        4: (0.0, 7.0, 39.0),
    }
    return exif


def jpeg_with_metadata(im: Image.Image, orientation: int = 1) -> bytes:
    """Return a JPEG carrying EXIF (with GPS), XMP and a comment."""
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        b'22-rdf-syntax-ns#"><rdf:Description about="" secret="PLUME-XMP-SECRET"/></rdf:RDF>'
        b"</x:xmpmeta>"
    )
    return encode(
        im,
        "JPEG",
        quality=90,
        exif=exif_with_gps(orientation).tobytes(),
        xmp=xmp,
        comment=b"PLUME-COMMENT-SECRET",
    )


# ---------------------------------------------------------------------------------------
# Hostile and awkward files
# ---------------------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_raw(width: int, height: int, bit_depth: int, colour_type: int, rows: bytes) -> bytes:
    """Return a PNG built by hand from already-filtered scanlines (any header we like)."""
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def png_claiming(width: int, height: int) -> bytes:
    """Return a tiny PNG whose header claims ``width`` x ``height`` (a decompression bomb)."""
    return png_raw(width, height, 8, 2, b"\x00" * 64)


def png16_rgba(width: int = 64, height: int = 48) -> bytes:
    """Return a 16-bit-per-channel RGBA PNG with a horizontal alpha ramp."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            alpha = int(65535 * x / (width - 1))
            rows += struct.pack(">HHHH", 60000, 30000 + 200 * y, 1000, alpha)
    return png_raw(width, height, 16, 6, bytes(rows))


def png16_grey(width: int = 32, height: int = 16) -> bytes:
    """Return a 16-bit greyscale PNG whose values span the full 0..65535 range."""
    rows = bytearray()
    for _y in range(height):
        rows.append(0)
        for x in range(width):
            rows += struct.pack(">H", int(65535 * x / (width - 1)))
    return png_raw(width, height, 16, 0, bytes(rows))


def truncated_jpeg() -> bytes:
    """Return the first half of a JPEG."""
    data = encode(photo(320, 240), "JPEG", quality=90)
    return data[: len(data) // 2]


SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
HTML = b"<!DOCTYPE html>\n<html><body><img src=x onerror=alert(1)></body></html>"


def polyglot_jpeg_zip() -> bytes:
    """Return a valid JPEG with a ZIP archive appended (readable as both)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("payload.txt", "PLUME-ZIP-PAYLOAD")
    return encode(photo(200, 150), "JPEG", quality=85) + buf.getvalue()


def animated_gif(
    frames: int, size: tuple[int, int] = (8, 8), comment: bytes | None = None
) -> bytes:
    """Return an animated GIF whose frames all differ (so Pillow cannot merge them)."""
    images = []
    for i in range(frames):
        im = Image.new("P", size, 0)
        im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
        im.putpixel((i % size[0], (i // size[0]) % size[1]), 1 + i % 3)
        images.append(im)
    params: dict[str, object] = {"save_all": True, "append_images": images[1:], "duration": 40}
    if comment is not None:
        params["comment"] = comment
    params["loop"] = 0
    return encode(images[0], "GIF", **params)


# ---------------------------------------------------------------------------------------
# ICC profiles, written by hand so the tests need no system colour files
# ---------------------------------------------------------------------------------------


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _pad4(b: bytes) -> bytes:
    return b + b"\x00" * (-len(b) % 4)


def _desc(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\x00"
    return (
        b"desc"
        + b"\x00" * 4
        + struct.pack(">I", len(ascii_))
        + ascii_
        + struct.pack(">II", 0, 0)
        + struct.pack(">HB", 0, 0)
        + b"\x00" * 67
    )


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\x00" * 4 + _s15(x) + _s15(y) + _s15(z)


def _profile(
    device_class: bytes, space: bytes, pcs: bytes, tags: list[tuple[bytes, bytes]]
) -> bytes:
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries, bodies = b"", b""
    for sig, body in tags:
        body = _pad4(body)
        entries += sig + struct.pack(">II", offset + len(bodies), len(body))
        bodies += body
    size = 128 + table_size + len(bodies)
    now = datetime(2026, 11, 1)
    header = (
        struct.pack(">I", size)
        + b"\x00" * 4
        + struct.pack(">I", 0x02100000)
        + device_class
        + space
        + pcs
        + struct.pack(">6H", now.year, now.month, now.day, 0, 0, 0)
        + b"acsp"
        + b"\x00" * 4
        + struct.pack(">I", 0)
        + b"\x00" * 16
        + struct.pack(">I", 0)
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"\x00" * 4
        + b"\x00" * 44
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + entries + bodies


# sRGB's primaries adapted to D50 (the ICC connection space).
_SRGB_R = (0.4361, 0.2225, 0.0139)
_SRGB_G = (0.3851, 0.7169, 0.0971)
_SRGB_B = (0.1431, 0.0606, 0.7141)


def swapped_rgb_profile() -> bytes:
    """Return an RGB profile whose red and green primaries are sRGB's green and red.

    A device-red pixel tagged with it is really green, so a converter that honours the
    profile turns it green, and one that ignores it leaves it red.
    """
    curve = b"curv" + b"\x00" * 4 + struct.pack(">IH", 1, 0x0233)  # gamma 2.2
    return _profile(
        b"mntr",
        b"RGB ",
        b"XYZ ",
        [
            (b"desc", _desc("Plume test swapped red-green")),
            (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", _xyz(*_SRGB_G)),
            (b"gXYZ", _xyz(*_SRGB_R)),
            (b"bXYZ", _xyz(*_SRGB_B)),
            (b"rTRC", curve),
            (b"gTRC", curve),
            (b"bTRC", curve),
            (b"cprt", b"text" + b"\x00" * 4 + b"No copyright\x00"),
        ],
    )


def _lab16(lightness: float, a: float, b: float) -> bytes:
    # ICC v2 16-bit Lab: L 0..100 -> 0..0xFF00; a, b -128..127.996 -> 0..0xFFFF.
    return struct.pack(
        ">HHH",
        round(lightness * 0xFF00 / 100),
        round((a + 128) * 256),
        round((b + 128) * 256),
    )


def cmyk_profile_cyan_is_red() -> bytes:
    """Return a CMYK input profile in which cyan ink is a strong red.

    Naive CMYK-to-RGB makes cyan ink cyan; only a converter that honours this embedded
    profile makes it red, so the tests can tell the two apart.
    """
    clut = b""
    for c in (0, 1):
        for m in (0, 1):
            for y in (0, 1):
                for k in (0, 1):
                    if k:
                        clut += _lab16(8, 0, 0)
                    elif c:
                        clut += _lab16(48, 70, 55)
                    elif m or y:
                        clut += _lab16(60, 20 * m, 60 * y)
                    else:
                        clut += _lab16(100, 0, 0)
    identity = _s15(1) + _s15(0) * 3 + _s15(1) + _s15(0) * 3 + _s15(1)
    ramp = struct.pack(">HH", 0, 0xFFFF)
    a2b0 = (
        b"mft2"
        + b"\x00" * 4
        + struct.pack(">BBBB", 4, 3, 2, 0)
        + identity
        + struct.pack(">HH", 2, 2)
        + ramp * 4
        + clut
        + ramp * 3
    )
    return _profile(
        b"scnr",
        b"CMYK",
        b"Lab ",
        [
            (b"desc", _desc("Plume test CMYK cyan-is-red")),
            (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
            (b"A2B0", a2b0),
            (b"cprt", b"text" + b"\x00" * 4 + b"No copyright\x00"),
        ],
    )


def cmyk_jpeg(icc: bytes | None = None, size: tuple[int, int] = (64, 48)) -> bytes:
    """Return a CMYK JPEG: left half pure cyan ink, right half no ink (paper white)."""
    im = Image.new("CMYK", size, (0, 0, 0, 0))
    im.paste((255, 0, 0, 0), (0, 0, size[0] // 2, size[1]))
    params: dict[str, object] = {"quality": 95}
    if icc is not None:
        params["icc_profile"] = icc
    return encode(im, "JPEG", **params)
