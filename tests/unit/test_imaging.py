"""studio.imaging: safe opening, upload normalisation, renditions and their cache keys."""

from __future__ import annotations

import base64
import dataclasses
import io
import warnings

import pytest
from PIL import Image

from studio import imaging
from studio.imaging import CropBox, FrameSpec, ImageRejected
from studio.platforms.media_presets import PRESETS, Preset
from tests.unit import image_fixtures as fx

SECRETS = (b"Exif", b"PlumeCam", b"PLUME-XMP-SECRET", b"PLUME-COMMENT-SECRET", b"PK\x03\x04")


def reopen(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def assert_clean(data: bytes) -> None:
    """Assert an output carries no EXIF, GPS, XMP, comment, ICC or appended archive."""
    im = reopen(data)
    assert len(im.getexif()) == 0
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"):
        assert key not in im.info, key
    for secret in SECRETS:
        assert secret not in data, secret


def small_preset(pid: str = "t", w: int = 300, h: int = 200, **kw: object) -> Preset:
    return Preset(pid, "test", "Test", w, h, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# open_verified and the bad-input matrix
# ---------------------------------------------------------------------------------------


def test_open_verified_returns_loaded_upright_image() -> None:
    data = fx.jpeg_with_metadata(fx.photo(320, 200), orientation=6)
    im = imaging.open_verified(data)
    # Orientation 6 means "rotate 90 degrees clockwise to display": width and height swap.
    assert im.size == (200, 320)
    assert im.getpixel((10, 10)) is not None


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"", "empty", "empty"),
        (fx.truncated_jpeg(), "truncated", "incomplete"),
        (fx.png_claiming(60_000, 60_000), "too_large", "3,600 megapixels"),
        (fx.png_claiming(9_000, 7_000), "too_large", "63 megapixels"),
        (fx.SVG, "unsupported", "SVG"),
        (fx.HTML, "unsupported", "HTML"),
        (b"%PDF-1.7\n...", "unsupported", "PDF"),
        (b"II*\x00" + b"\x00" * 64, "unsupported", "TIFF"),
        (b"hello, world" * 20, "not_image", "not an image"),
        (fx.png_claiming(10, 10)[:30], "damaged", "damaged"),
    ],
    ids=[
        "zero-byte",
        "truncated",
        "60000x60000",
        "63MP",
        "svg",
        "html",
        "pdf",
        "tiff",
        "text",
        "cut-header",
    ],
)
def test_bad_input_is_refused_with_a_specific_message(data: bytes, code: str, words: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        imaging.open_verified(data)
    assert caught.value.code == code
    assert words in str(caught.value)


def test_bomb_check_does_not_leak_warning_filters() -> None:
    before = list(warnings.filters)
    with pytest.raises(ImageRejected):
        imaging.open_verified(fx.png_claiming(9_000, 7_000))
    assert warnings.filters == before


@pytest.mark.parametrize("action", ["ignore", "default", "error"])
def test_bomb_between_one_and_two_times_the_limit_is_refused_whatever_the_filters(
    action: str,
) -> None:
    # 63 MP: Pillow only warns (its hard error is at 2x the limit); Plume must still refuse.
    with warnings.catch_warnings(record=True):
        warnings.simplefilter(action)
        with pytest.raises(ImageRejected) as caught:
            imaging.open_verified(fx.png_claiming(9_000, 7_000))
    assert caught.value.code == "too_large"


def test_pixel_limit_is_set_for_the_process() -> None:
    assert Image.MAX_IMAGE_PIXELS == imaging.MAX_PIXELS == 50_000_000


def test_formats_argument_restricts_what_opens() -> None:
    png = fx.encode(fx.photo(40, 30), "PNG")
    with pytest.raises(ImageRejected) as caught:
        imaging.open_verified(png, formats=("JPEG",))
    assert "PNG" in str(caught.value) and "damaged" not in str(caught.value)


def test_upload_formats_include_heic() -> None:
    assert "HEIF" in imaging.UPLOAD_FORMATS


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_heic_and_avif_uploads_become_clean_upright_jpeg_masters(fmt: str) -> None:
    if fmt not in imaging.UPLOAD_FORMATS:
        pytest.skip(f"{fmt} is not supported by this Pillow build")
    data = fx.encode(fx.photo(320, 240), fmt, quality=80, exif=fx.exif_with_gps(6).tobytes())
    norm = imaging.normalise_upload(data, f"phone.{fmt.lower()}")
    assert norm.format == fmt and norm.master_format == "JPEG"
    assert (norm.width, norm.height) == (240, 320)
    assert_clean(norm.master)


# ---------------------------------------------------------------------------------------
# normalise_upload
# ---------------------------------------------------------------------------------------


def test_normalise_strips_metadata_and_applies_orientation() -> None:
    data = fx.jpeg_with_metadata(fx.photo(320, 200), orientation=6)
    norm = imaging.normalise_upload(data, "holiday.jpg")
    assert (norm.width, norm.height) == (200, 320)
    assert norm.format == "JPEG" and norm.master_format == "JPEG"
    master = reopen(norm.master)
    assert master.size == (200, 320) and master.mode == "RGB"
    assert_clean(norm.master)
    assert norm.sha256 == imaging.hashlib.sha256(data).hexdigest()
    assert norm.master_sha256 == imaging.hashlib.sha256(norm.master).hexdigest()


def test_same_upload_normalises_to_the_same_master() -> None:
    data = fx.encode(fx.photo(120, 90), "JPEG")
    assert (
        imaging.normalise_upload(data, "a.jpg").master
        == imaging.normalise_upload(data, "b.jpg").master
    )


def test_oversize_upload_is_refused_before_decoding() -> None:
    data = fx.encode(fx.photo(200, 150), "JPEG")
    with pytest.raises(ImageRejected) as caught:
        imaging.normalise_upload(data, "big.jpg", max_bytes=len(data) - 1)
    assert caught.value.code == "too_many_bytes"
    assert "limit" in str(caught.value)


def test_polyglot_loses_its_appended_archive() -> None:
    data = fx.polyglot_jpeg_zip()
    assert b"PLUME-ZIP-PAYLOAD" in data
    norm = imaging.normalise_upload(data, "cat.jpg")
    assert b"PLUME-ZIP-PAYLOAD" not in norm.master
    assert_clean(norm.master)
    assert reopen(norm.master).size == (200, 150)


def test_500_frame_gif_is_refused() -> None:
    with pytest.raises(ImageRejected) as caught:
        imaging.normalise_upload(fx.animated_gif(500), "long.gif")
    assert caught.value.code == "too_many_frames"
    assert "500 frames" in str(caught.value) and str(imaging.MAX_FRAMES) in str(caught.value)


def test_animated_gif_keeps_frames_and_drops_comment() -> None:
    data = fx.animated_gif(12, (20, 10), comment=b"PLUME-COMMENT-SECRET")
    norm = imaging.normalise_upload(data, "loop.gif")
    assert norm.frames == 12 and norm.master_format == "GIF"
    master = reopen(norm.master)
    assert master.n_frames == 12 and master.size == (20, 10)
    assert b"PLUME-COMMENT-SECRET" not in norm.master


def test_cmyk_jpeg_without_profile_becomes_rgb() -> None:
    norm = imaging.normalise_upload(fx.cmyk_jpeg(), "print.jpg")
    assert norm.mode == "CMYK"
    master = reopen(norm.master)
    assert master.mode == "RGB"
    r, g, b = master.getpixel((4, 4))
    assert r < 40 and g > 200 and b > 200  # cyan ink, converted naively, is cyan
    assert min(master.getpixel((60, 4))) > 240  # no ink is white paper


def test_cmyk_jpeg_with_embedded_profile_honours_it() -> None:
    norm = imaging.normalise_upload(fx.cmyk_jpeg(fx.cmyk_profile_cyan_is_red()), "print.jpg")
    master = reopen(norm.master)
    assert master.mode == "RGB" and "icc_profile" not in master.info
    r, g, b = master.getpixel((4, 4))
    assert r > 150 and g < 80 and b < 80  # the profile says this ink prints red


def test_rgb_with_non_srgb_profile_is_converted_to_srgb() -> None:
    src = Image.new("RGB", (16, 16), (200, 30, 30))
    data = fx.encode(src, "JPEG", quality=95, icc_profile=fx.swapped_rgb_profile())
    master = reopen(imaging.normalise_upload(data, "wide.jpg").master)
    r, g, _ = master.getpixel((8, 8))
    assert g > 150 and r < 80  # device red in the swapped space is green in sRGB


def test_sixteen_bit_png_with_alpha_becomes_eight_bit_rgba() -> None:
    norm = imaging.normalise_upload(fx.png16_rgba(), "deep.png")
    assert norm.has_alpha and norm.master_format == "PNG"
    master = reopen(norm.master)
    assert master.mode == "RGBA"
    assert master.getpixel((0, 0))[3] == 0 and master.getpixel((63, 0))[3] == 255
    assert abs(master.getpixel((63, 0))[0] - 60000 / 257) <= 1


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    master = reopen(imaging.normalise_upload(fx.png16_grey(), "grey.png").master)
    values = [master.convert("L").getpixel((x, 0)) for x in (0, 16, 31)]
    assert values[0] == 0 and values[2] == 255 and 120 < values[1] < 140


def test_opaque_rgba_png_is_reported_without_alpha() -> None:
    data = fx.encode(fx.photo(60, 40).convert("RGBA"), "PNG")
    norm = imaging.normalise_upload(data, "flat.png")
    assert not norm.has_alpha and reopen(norm.master).mode == "RGB"


def test_placeholder_is_a_tiny_jpeg_data_uri() -> None:
    norm = imaging.normalise_upload(fx.encode(fx.photo(400, 200), "JPEG"), "p.jpg")
    prefix = "data:image/jpeg;base64,"
    assert norm.placeholder.startswith(prefix) and len(norm.placeholder) < 1500
    tiny = reopen(base64.b64decode(norm.placeholder[len(prefix) :]))
    assert tiny.size == (16, 8)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("C:\\Users\\me\\My photo.JPG", "My photo.JPG"),
        (".htaccess", "htaccess"),
        ("a\x00b\x1f.png", "ab.png"),
        ("<script>.png", "script_.png"),
        ("", "image"),
        ("...", "image"),
        ("CON.jpg", "_CON.jpg"),
    ],
)
def test_safe_filename(raw: str, expected: str) -> None:
    assert imaging.safe_filename(raw) == expected


def test_safe_filename_truncates_long_names_keeping_extension() -> None:
    name = imaging.safe_filename("x" * 500 + ".jpeg")
    assert len(name) <= 120 and name.endswith(".jpeg")


# ---------------------------------------------------------------------------------------
# Crops
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("focal", [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0), (0.9, 0.1), (0.2, 0.7)])
@pytest.mark.parametrize("preset_id", ["instagram_story", "instagram_landscape", "x_single"])
def test_focal_crop_keeps_the_focal_point_and_the_aspect(
    focal: tuple[float, float], preset_id: str
) -> None:
    p = PRESETS[preset_id]
    crop = imaging.crop_for(6000, 4000, p.width, p.height, focal)
    assert crop.contains(*focal)
    assert crop.width * 6000 / (crop.height * 4000) == pytest.approx(p.aspect, rel=1e-6)
    # Largest box: it touches both sides or both top and bottom.
    assert crop.width == pytest.approx(1.0) or crop.height == pytest.approx(1.0)


def test_focal_crop_is_centred_on_the_focal_point_when_room_allows() -> None:
    crop = imaging.crop_for(6000, 4000, 1080, 1920, (0.5, 0.3))
    assert (crop.left + crop.right) / 2 == pytest.approx(0.5)
    crop = imaging.crop_for(6000, 4000, 1080, 1920, (0.6, 0.3))
    assert (crop.left + crop.right) / 2 == pytest.approx(0.6)


def test_override_wins_and_is_trimmed_to_the_aspect() -> None:
    override = CropBox(0.1, 0.1, 0.5, 0.9)  # 2400x3200 px: taller than 1:1
    crop = imaging.crop_for(6000, 4000, 1080, 1080, (0.9, 0.9), override)
    assert crop.width * 6000 == pytest.approx(crop.height * 4000)
    assert (crop.left + crop.right) / 2 == pytest.approx(0.3)
    assert override.left <= crop.left and crop.right <= override.right


def test_crop_box_validates() -> None:
    with pytest.raises(ValueError):
        CropBox(0.5, 0.0, 0.4, 1.0)
    with pytest.raises(ValueError):
        CropBox(0.0, 0.0, 1.2, 1.0)
    with pytest.raises(ValueError):
        CropBox(float("nan"), 0.0, 1.0, 1.0)


# ---------------------------------------------------------------------------------------
# Renditions
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def camera_jpeg() -> bytes:
    return fx.jpeg_with_metadata(fx.photo(1800, 1200, seed=3), orientation=1)


def test_every_preset_has_its_size_mode_and_no_metadata(camera_jpeg: bytes) -> None:
    focal = (0.7, 0.35)
    out = imaging.render_presets(camera_jpeg, list(PRESETS.values()), focal=focal)
    assert list(out) == list(PRESETS)
    for pid, r in out.items():
        preset = PRESETS[pid]
        im = reopen(r.data)
        assert im.format == "JPEG" and im.mode == "RGB", pid
        assert im.size == (preset.width, preset.height) == (r.width, r.height), pid
        assert r.crop_box.contains(*focal), pid
        assert preset.max_bytes is None or len(r.data) <= preset.max_bytes, pid
        assert_clean(r.data)


def test_upscaling_is_flagged(camera_jpeg: bytes) -> None:
    out = imaging.render_presets(camera_jpeg, [PRESETS["bluesky_square"], small_preset()])
    assert out["bluesky_square"].upscaled  # a 1200 px tall source cut to 2000x2000
    assert not out["t"].upscaled


def test_jpeg_is_decoded_small_when_outputs_are_small() -> None:
    data = fx.encode(fx.photo(2400, 1600), "JPEG", quality=90)
    crop = imaging.crop_for(2400, 1600, 300, 200)
    decoded = imaging.DecodedImage(data, [(crop, 300, 200)])
    # 300 px out, kept at >= 2x: DCT scaling decodes at 1/4 (600x400), never 2400x1600.
    assert decoded.decoded_size == (600, 400)


def test_rendition_matches_a_full_size_lanczos(camera_jpeg: bytes) -> None:
    preset = small_preset(w=450, h=300, format="PNG")
    ours = reopen(imaging.render_presets(camera_jpeg, [preset])["t"].data).convert("RGB")
    full = reopen(camera_jpeg).convert("RGB").resize((450, 300), Image.Resampling.LANCZOS)
    diff = imaging_psnr(ours, full)
    assert diff > 35


def imaging_psnr(a: Image.Image, b: Image.Image) -> float:
    from PIL import ImageChops

    hist = ImageChops.difference(a, b).histogram()
    mse = sum(n * (i % 256) ** 2 for i, n in enumerate(hist)) / (a.width * a.height * 3)
    return 99.0 if mse == 0 else 10 * imaging.math.log10(255**2 / mse)


def test_byte_cap_steps_quality_then_size() -> None:
    data = fx.encode(fx.photo(900, 600, seed=5), "JPEG", quality=95)
    quality_only = small_preset("q", 600, 400, quality=95, max_bytes=40_000)
    sized = small_preset("s", 600, 400, quality=95, max_bytes=9_000)
    out = imaging.render_presets(data, [quality_only, sized])
    q, s = out["q"], out["s"]
    assert len(q.data) <= 40_000 and q.quality < 95 and (q.width, q.height) == (600, 400)
    assert len(s.data) <= 9_000 and s.width < 600
    assert reopen(s.data).size == (s.width, s.height)
    assert s.width / s.height == pytest.approx(1.5, rel=0.01)


def test_shared_targets_reuse_bytes_only_within_each_cap(camera_jpeg: bytes) -> None:
    roomy = small_preset("roomy", max_bytes=None)
    tight = small_preset("tight", max_bytes=8_000)
    out = imaging.render_presets(camera_jpeg, [roomy, tight])
    assert len(out["tight"].data) <= 8_000
    assert out["roomy"].quality == 85 and len(out["roomy"].data) > 8_000


def test_crop_override_changes_only_its_preset(camera_jpeg: bytes) -> None:
    a, b = small_preset("a"), small_preset("b")
    override = CropBox(0.0, 0.0, 0.3, 0.3)
    out = imaging.render_presets(camera_jpeg, [a, b], crops={"a": override})
    assert out["a"].crop_box.left == 0 and out["a"].crop_box.right <= 0.3 + 1e-9
    assert out["b"].crop_box.width == pytest.approx(1.0)


def test_exif_orientation_is_honoured_in_renditions() -> None:
    src = Image.new("RGB", (300, 200), (255, 0, 0))
    src.paste((0, 0, 255), (0, 0, 300, 100))  # blue on top, red below
    data = fx.encode(src, "JPEG", quality=95, exif=fx.exif_with_gps(orientation=6).tobytes())
    r = imaging.render_presets(data, [small_preset(w=200, h=300, format="PNG")])["t"]
    im = reopen(r.data).convert("RGB")
    # Rotated 90 degrees clockwise, the blue top band becomes the right half.
    assert im.getpixel((190, 150))[2] > 200 and im.getpixel((10, 150))[0] > 200


def test_png_with_alpha_is_flattened_for_jpeg() -> None:
    data = fx.png16_rgba()
    r = imaging.render_presets(data, [small_preset(w=64, h=48)])["t"]
    im = reopen(r.data)
    assert im.mode == "RGB"
    assert min(im.getpixel((1, 24))) > 235  # transparent edge comes out white


def test_brand_frame_puts_the_logo_in_the_chosen_corner_with_clear_space() -> None:
    data = fx.encode(Image.new("RGB", (600, 400), (255, 255, 255)), "PNG")
    logo = fx.encode(Image.new("RGB", (50, 50), (0, 0, 0)), "PNG")
    preset = small_preset(w=600, h=400, format="PNG")
    frame = FrameSpec(corner="bottom-right", size=0.2, margin=0.05)
    im = reopen(imaging.render_presets(data, [preset], logo=logo, frame=frame)["t"].data)
    im = im.convert("L")
    # Logo: 80 px (0.2 x 400), 20 px (0.05 x 400) from the right and bottom edges.
    assert im.getpixel((600 - 20 - 40, 400 - 20 - 40)) < 20
    assert im.getpixel((600 - 10, 400 - 10)) > 235  # the clear space stays clear
    assert im.getpixel((40, 40)) > 235  # other corners untouched


def test_frame_can_apply_to_some_presets_only() -> None:
    data = fx.encode(Image.new("RGB", (300, 200), (255, 255, 255)), "PNG")
    logo = fx.encode(Image.new("RGB", (20, 20), (0, 0, 0)), "PNG")
    framed, plain = small_preset("f", format="PNG"), small_preset("p", format="PNG")
    out = imaging.render_presets(
        data, [framed, plain], logo=logo, frame={"f": FrameSpec(corner="top-left")}
    )
    assert reopen(out["f"].data).convert("L").getextrema()[0] < 20
    assert reopen(out["p"].data).convert("L").getextrema()[0] > 235


def test_render_refuses_hostile_input() -> None:
    with pytest.raises(ImageRejected):
        imaging.render_presets(fx.png_claiming(60_000, 60_000), [small_preset()])


def test_animated_rendition_keeps_frames_within_cap() -> None:
    data = fx.animated_gif(10, (60, 40))
    preset = dataclasses.replace(PRESETS["x_single"], width=160, height=90)
    r = imaging.render_animated(data, preset)
    im = reopen(r.data)
    assert r.format == "GIF" and im.n_frames == 10 and im.size == (160, 90)
    assert r.content_type == "image/gif"


def test_rendition_key_is_stable_and_changes_with_every_input() -> None:
    sha = "a" * 64
    crop = CropBox(0.1, 0.0, 0.9, 1.0)
    preset = PRESETS["x_single"]
    key = imaging.rendition_key(sha, preset, crop)
    assert key == imaging.rendition_key(sha, preset, CropBox(0.1, 0.0, 0.9, 1.0))
    variants = {
        imaging.rendition_key("b" * 64, preset, crop),
        imaging.rendition_key(sha, PRESETS["youtube_thumbnail"], crop),
        imaging.rendition_key(sha, dataclasses.replace(preset, quality=70), crop),
        imaging.rendition_key(sha, preset, CropBox(0.2, 0.0, 1.0, 1.0)),
        imaging.rendition_key(sha, preset, crop, FrameSpec()),
        imaging.rendition_key(sha, preset, crop, FrameSpec(), logo_sha256="c" * 64),
        imaging.rendition_key(sha, preset, crop, FrameSpec(corner="top-left")),
    }
    assert key not in variants and len(variants) == 7
    assert all(ch.isalnum() or ch in "-_" for ch in key)
