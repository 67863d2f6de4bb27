"""studio.platforms.media_presets: the preset and profile-spec data matches PLATFORMS.md."""

from __future__ import annotations

import pytest

from studio.platforms.media_presets import (
    PRESETS,
    PROFILE_SPECS,
    Box,
    presets_for,
    profile_specs_for,
)

# The "Feed image presets" table of PLATFORMS.md, transcribed independently of the module.
FEED_TABLE = {
    "instagram_square": (1080, 1080),
    "instagram_portrait": (1080, 1350),
    "instagram_landscape": (1080, 566),
    "instagram_story": (1080, 1920),
    "x_single": (1600, 900),
    "facebook_feed": (1200, 630),
    "linkedin_feed": (1200, 627),
    "threads_portrait": (1080, 1350),
    "pinterest_pin": (1000, 1500),
    "tiktok_photo": (1080, 1920),
    "youtube_thumbnail": (1280, 720),
}


@pytest.mark.parametrize(("pid", "size"), FEED_TABLE.items())
def test_feed_presets_match_the_table(pid: str, size: tuple[int, int]) -> None:
    p = PRESETS[pid]
    assert (p.width, p.height) == size


def test_every_preset_is_complete_data() -> None:
    for pid, p in PRESETS.items():
        assert p.id == pid
        assert p.format in ("JPEG", "PNG", "WEBP")
        assert 1 <= p.quality <= 100
        assert p.max_bytes is None or p.max_bytes > 100_000
        assert p.source and p.checked.startswith("20"), pid


def test_byte_caps_follow_the_media_table() -> None:
    assert PRESETS["x_single"].max_bytes == 5_000_000
    assert PRESETS["facebook_feed"].max_bytes == 4_000_000
    for p in presets_for("bluesky"):
        assert p.max_bytes == 2_000_000
        assert max(p.width, p.height) <= 2000
    assert presets_for("mastodon")


def test_presets_for_returns_a_platforms_presets_in_order() -> None:
    ids = [p.id for p in presets_for("Instagram")]
    assert ids == [
        "instagram_square",
        "instagram_portrait",
        "instagram_landscape",
        "instagram_story",
    ]
    assert presets_for("myspace") == []


def test_aspect_labels() -> None:
    assert PRESETS["instagram_portrait"].aspect_label == "4:5"
    assert PRESETS["x_single"].aspect_label == "16:9"
    assert PRESETS["instagram_landscape"].aspect_label == "1.91:1"


def test_every_platform_in_the_profile_table_has_an_avatar() -> None:
    for platform in (
        "x",
        "linkedin",
        "facebook",
        "instagram",
        "threads",
        "tiktok",
        "youtube",
        "pinterest",
        "bluesky",
        "mastodon",
    ):
        kinds = [s.kind for s in profile_specs_for(platform)]
        assert "avatar" in kinds, platform


@pytest.mark.parametrize(
    ("sid", "size"),
    [
        ("x_avatar", (400, 400)),
        ("x_header", (1500, 500)),
        ("linkedin_header", (1584, 396)),
        ("linkedin_company_cover", (1128, 191)),
        ("linkedin_company_logo", (300, 300)),
        ("instagram_avatar", (320, 320)),
        ("tiktok_avatar", (200, 200)),
        ("youtube_avatar", (800, 800)),
        ("youtube_banner", (2560, 1440)),
        ("pinterest_avatar", (165, 165)),
        ("pinterest_board_cover", (600, 600)),
        ("mastodon_avatar", (400, 400)),
        ("mastodon_header", (1500, 500)),
    ],
)
def test_profile_sizes_match_the_table(sid: str, size: tuple[int, int]) -> None:
    spec = PROFILE_SPECS[sid]
    assert (spec.width, spec.height) == size


def test_youtube_safe_area_is_1546x423_centred() -> None:
    spec = PROFILE_SPECS["youtube_banner"]
    safe = spec.safe_area
    assert safe is not None and (safe.width, safe.height) == (1546, 423)
    assert abs((safe.left + safe.right) - spec.width) <= 1
    assert abs((safe.top + safe.bottom) - spec.height) <= 1
    views = {v.name: v.box for v in spec.views}
    assert views["tv"] == Box(0, 0, 2560, 1440)
    assert views["mobile"] == safe


def test_facebook_cover_holds_both_crops() -> None:
    spec = PROFILE_SPECS["facebook_cover"]
    views = {v.name: v.box for v in spec.views}
    assert views["desktop"].width / views["desktop"].height == pytest.approx(820 / 312, rel=0.01)
    assert views["mobile"].width / views["mobile"].height == pytest.approx(640 / 360, rel=0.01)
    assert spec.safe_area is not None
    assert views["desktop"].contains(spec.safe_area) and views["mobile"].contains(spec.safe_area)


def test_x_header_covered_corner_is_lower_left() -> None:
    spec = PROFILE_SPECS["x_header"]
    c = spec.covered
    assert c is not None
    assert c.right < spec.width / 3 and c.bottom == spec.height


def test_bluesky_caps_are_one_megabyte() -> None:
    assert PROFILE_SPECS["bluesky_avatar"].max_bytes == 1_000_000
    assert PROFILE_SPECS["bluesky_banner"].max_bytes == 1_000_000
    assert PROFILE_SPECS["bluesky_banner"].aspect == pytest.approx(3.0)


def test_every_box_lies_on_its_canvas() -> None:
    for spec in PROFILE_SPECS.values():
        canvas = Box(0, 0, spec.width, spec.height)
        for box in [spec.safe_area, spec.covered, *[v.box for v in spec.views]]:
            if box is not None:
                assert canvas.contains(box), spec.id
        assert spec.source and spec.checked


def test_box_geometry() -> None:
    a = Box(0, 0, 10, 10)
    assert a.contains(Box(2, 2, 8, 8)) and not a.contains(Box(5, 5, 10, 10))
    assert a.intersects(Box(9, 9, 5, 5)) and not a.intersects(Box(10, 0, 5, 5))
