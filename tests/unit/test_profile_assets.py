"""studio.profile_assets: every platform's avatar and header, warnings, previews and the ZIP."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from studio import profile_assets as pa
from studio.platforms.media_presets import PROFILE_SPECS, Box
from tests.unit import image_fixtures as fx

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def logo_png(width: int = 300, height: int = 150, margin: int = 0) -> bytes:
    im = Image.new("RGBA", (width + 2 * margin, height + 2 * margin), (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    draw.rectangle((margin, margin, margin + width - 1, margin + height - 1), fill="#D7263D")
    return fx.encode(im, "PNG")


def reopen(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


@pytest.fixture(scope="module")
def design() -> pa.AssetDesign:
    return pa.AssetDesign(
        background=pa.Background.solid("#FFFFFF"),
        logo=logo_png(),
        tagline="Fresh bread every morning",
        text_colour="#1B1B1B",
    )


@pytest.fixture(scope="module")
def all_assets(design: pa.AssetDesign) -> list[pa.ComposedAsset]:
    return pa.compose_all(design)


def test_every_spec_is_composed_at_its_size_within_its_cap(
    all_assets: list[pa.ComposedAsset],
) -> None:
    assert [a.spec_id for a in all_assets] == list(PROFILE_SPECS)
    for asset in all_assets:
        spec = PROFILE_SPECS[asset.spec_id]
        im = reopen(asset.data)
        assert im.size == (spec.width, spec.height), spec.id
        assert im.format == asset.format and asset.format in spec.formats
        assert im.mode == "RGB"
        assert len(im.getexif()) == 0 and "icc_profile" not in im.info
        assert spec.max_bytes is None or len(asset.data) <= spec.max_bytes


def test_default_layout_stays_safe_and_readable(all_assets: list[pa.ComposedAsset]) -> None:
    for asset in all_assets:
        assert asset.warnings == (), asset.spec_id
        spec = PROFILE_SPECS[asset.spec_id]
        assert asset.logo_box is not None
        if spec.safe_area:
            assert spec.safe_area.contains(asset.logo_box)
        if spec.covered:
            for box in (asset.logo_box, asset.text_box):
                assert box is None or not spec.covered.intersects(box)


def test_avatars_leave_out_the_tagline_by_default(all_assets: list[pa.ComposedAsset]) -> None:
    for asset in all_assets:
        if PROFILE_SPECS[asset.spec_id].kind == "avatar":
            assert asset.text_box is None
        elif PROFILE_SPECS[asset.spec_id].width >= 1000:
            assert asset.text_box is not None, asset.spec_id


def test_logo_pixels_land_where_the_box_says() -> None:
    design = pa.AssetDesign(background=pa.Background.solid("#FFFFFF"), logo=logo_png())
    asset = pa.compose_asset(PROFILE_SPECS["youtube_banner"], design)
    im = reopen(asset.data).convert("RGB")
    box = asset.logo_box
    assert box is not None
    centre = im.getpixel((box.left + box.width // 2, box.top + box.height // 2))
    assert centre[0] > 180 and centre[1] < 80  # the red logo
    assert min(im.getpixel((box.left - 5, box.top + box.height // 2))) > 240  # white outside


def test_transparent_margins_of_the_logo_are_trimmed() -> None:
    design = pa.AssetDesign(logo=logo_png(100, 100, margin=100))
    asset = pa.compose_asset(PROFILE_SPECS["x_avatar"], design)
    assert asset.logo_box is not None
    im = reopen(asset.data).convert("RGB")
    b = asset.logo_box
    assert im.getpixel((b.left + 2, b.top + 2))[1] < 80  # logo colour right at the box edge


def test_clear_space_keeps_the_logo_off_the_edges() -> None:
    spec = PROFILE_SPECS["pinterest_board_cover"]
    asset = pa.compose_asset(spec, pa.AssetDesign(logo=logo_png(100, 100), clear_space=0.5))
    b = asset.logo_box
    assert b is not None
    # Half the logo's height clear on every side.
    assert b.left >= b.height * 0.5 - 1 and spec.width - b.right >= b.height * 0.5 - 1
    assert b.top >= b.height * 0.5 - 1 and spec.height - b.bottom >= b.height * 0.5 - 1


def test_oversized_logo_on_youtube_warns_about_safe_area_and_crops() -> None:
    design = pa.AssetDesign(logo=logo_png(), logo_scale=2.5, area="canvas")
    asset = pa.compose_asset(PROFILE_SPECS["youtube_banner"], design)
    text = " ".join(asset.warnings)
    assert "safe area" in text and "mobile view" in text


def test_header_content_over_the_avatar_is_flagged() -> None:
    design = pa.AssetDesign(logo=logo_png(), align="left", area="canvas")
    asset = pa.compose_asset(PROFILE_SPECS["x_header"], design)
    assert any("profile photo covers" in w for w in asset.warnings)


def test_big_logo_on_circle_avatar_loses_its_corners() -> None:
    design = pa.AssetDesign(logo=logo_png(200, 200), logo_scale=1.6)
    asset = pa.compose_asset(PROFILE_SPECS["instagram_avatar"], design)
    assert any("circular" in w for w in asset.warnings)
    square = pa.compose_asset(PROFILE_SPECS["linkedin_company_logo"], design)
    assert not any("circular" in w for w in square.warnings)


def test_safe_area_warnings_directly() -> None:
    spec = PROFILE_SPECS["facebook_cover"]
    assert pa.safe_area_warnings(spec, Box(700, 300, 200, 100)) == []
    messages = pa.safe_area_warnings(spec, text_box=Box(10, 10, 100, 20))
    assert any("tagline" in m and "desktop" in m for m in messages)
    assert any("tagline" in m and "mobile" in m for m in messages)


@pytest.mark.parametrize(
    ("text", "background", "warns"),
    [("#000000", "#FFFFFF", False), ("#777777", "#888888", True), ("#FFFFFF", "#FFE000", True)],
)
def test_tagline_contrast_on_solid_backgrounds(text: str, background: str, warns: bool) -> None:
    design = pa.AssetDesign(
        background=pa.Background.solid(background), tagline="Hello there", text_colour=text
    )
    asset = pa.compose_asset(PROFILE_SPECS["x_header"], design)
    assert any("WCAG AA" in w for w in asset.warnings) is warns


def test_contrast_is_checked_against_a_photo_under_the_text() -> None:
    bright = fx.encode(Image.new("RGB", (800, 400), (250, 250, 245)), "JPEG")
    dark = fx.encode(Image.new("RGB", (800, 400), (20, 24, 30)), "JPEG")
    spec = PROFILE_SPECS["mastodon_header"]
    white_text = {"tagline": "Open every day", "text_colour": "#FFFFFF"}
    on_bright = pa.compose_asset(spec, pa.AssetDesign(pa.Background.photo(bright), **white_text))
    on_dark = pa.compose_asset(spec, pa.AssetDesign(pa.Background.photo(dark), **white_text))
    assert any("WCAG AA" in w for w in on_bright.warnings)
    assert not any("WCAG AA" in w for w in on_dark.warnings)


def test_contrast_catches_a_light_patch_the_average_hides() -> None:
    bg = Image.new("RGB", (1000, 200), (10, 10, 10))
    bg.paste((255, 255, 255), (0, 0, 250, 200))
    result = pa.contrast_warnings(bg, Box(0, 0, 1000, 200), "#FFFFFF", 80)
    assert result and "WCAG AA" in result[0]


def test_gradient_runs_between_the_two_colours() -> None:
    design = pa.AssetDesign(background=pa.Background.gradient("#000000", "#FFFFFF", "horizontal"))
    im = reopen(pa.compose_asset(PROFILE_SPECS["x_header"], design).data).convert("L")
    assert im.getpixel((2, 250)) < 10 and im.getpixel((1497, 250)) > 245
    vertical = pa.AssetDesign(background=pa.Background.gradient("#000000", "#FFFFFF"))
    im = reopen(pa.compose_asset(PROFILE_SPECS["x_header"], vertical).data).convert("L")
    assert im.getpixel((750, 2)) < 10 and im.getpixel((750, 497)) > 245


def test_photo_background_respects_focal_point_and_byte_cap() -> None:
    src = fx.photo(1200, 900, seed=4)
    src.paste((0, 255, 0), (1000, 0, 1200, 900))  # a green strip at the far right
    data = fx.encode(src, "JPEG", quality=95)
    spec = PROFILE_SPECS["bluesky_avatar"]
    asset = pa.compose_asset(spec, pa.AssetDesign(pa.Background.photo(data, focal=(1.0, 0.5))))
    im = reopen(asset.data).convert("RGB")
    assert im.size == (1000, 1000) and len(asset.data) <= 1_000_000
    assert asset.format == "JPEG"
    r, g, b = im.getpixel((990, 500))
    assert g > 200 and r < 60 and b < 60


def test_kit_font_is_used_and_a_broken_one_falls_back() -> None:
    spec = PROFILE_SPECS["x_header"]
    good = pa.compose_asset(spec, pa.AssetDesign(tagline="Hi", font=DEJAVU.read_bytes()))
    assert not any("font" in w for w in good.warnings)
    broken = pa.compose_asset(spec, pa.AssetDesign(tagline="Hi", font=b"not a font"))
    assert any("DejaVu Sans" in w for w in broken.warnings)
    assert broken.text_box is not None


def test_woff2_fonts_are_accepted() -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(DEJAVU))
    # A subset keeps the WOFF2 round trip fast; the glyphs for "Hi" are all the test needs.
    subsetter = subset.Subsetter()
    subsetter.populate(text="Hi")
    subsetter.subset(font)
    font.flavor = "woff2"
    buf = io.BytesIO()
    font.save(buf)
    asset = pa.compose_asset(
        PROFILE_SPECS["x_header"], pa.AssetDesign(tagline="Hi", font=buf.getvalue())
    )
    assert not any("font" in w for w in asset.warnings)


def test_long_tagline_is_fitted_inside_the_area() -> None:
    design = pa.AssetDesign(logo=logo_png(), tagline="word " * 40)
    spec = PROFILE_SPECS["linkedin_company_cover"]
    asset = pa.compose_asset(spec, design)
    assert asset.text_box is not None
    assert Box(0, 0, spec.width, spec.height).contains(asset.text_box)


def test_preview_geometry_describes_masks_overlaps_and_crops() -> None:
    yt = pa.preview_geometry(PROFILE_SPECS["youtube_banner"])
    assert yt["mask"] == "rect"
    assert {v["name"] for v in yt["views"]} == {"tv", "desktop", "tablet", "mobile"}
    mobile = next(v for v in yt["views"] if v["name"] == "mobile")
    assert mobile["pct"]["width"] == pytest.approx(100 * 1546 / 2560, abs=0.01)
    x = pa.preview_geometry(PROFILE_SPECS["x_header"])
    assert x["overlaps_with"] == "x_avatar" and x["covered"] is not None
    avatar = pa.preview_geometry(PROFILE_SPECS["x_avatar"])
    assert avatar["mask"] == "circle" and avatar["covered"] is None
    json.dumps([yt, x, avatar])  # ready for a template or an API response


def test_zip_holds_every_platforms_set_and_is_deterministic(design: pa.AssetDesign) -> None:
    calls: list[tuple[int, int]] = []
    data = pa.build_profile_zip(design, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (len(PROFILE_SPECS), len(PROFILE_SPECS)) and len(calls) == len(
        PROFILE_SPECS
    )
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        assert "README.txt" in names
        for spec in PROFILE_SPECS.values():
            entry = next(m for m in manifest if m["file"].startswith(f"{spec.platform}/{spec.id}."))
            im = reopen(zf.read(entry["file"]))
            assert im.size == (spec.width, spec.height)
    assert pa.build_profile_zip(design) == data


def test_overrides_give_avatars_their_own_design(design: pa.AssetDesign) -> None:
    mark_only = pa.AssetDesign(background=pa.Background.solid("#D7263D"))
    assets = pa.compose_all(design, overrides={"avatar": mark_only})
    for asset in assets:
        if PROFILE_SPECS[asset.spec_id].kind == "avatar":
            assert asset.logo_box is None
            assert reopen(asset.data).convert("RGB").getpixel((5, 5)) == (215, 38, 61)


def test_bad_design_values_are_refused() -> None:
    with pytest.raises(ValueError):
        pa.Background.solid("red")
    with pytest.raises(ValueError):
        pa.Background("gradient", "#000000")
    with pytest.raises(ValueError):
        pa.AssetDesign(logo_scale=10)
