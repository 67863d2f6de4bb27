"""Platform limits as data: the facts, their sources, and per-brand overrides."""

import dataclasses

import pytest

from studio.platforms.limits import (
    LIMIT_LABELS,
    OVERRIDABLE,
    PLATFORMS,
    OverrideError,
    UnknownPlatformError,
    limit_rows,
    platform_slugs,
    rules_for,
)

SLUGS = [
    "x",
    "instagram",
    "facebook",
    "linkedin",
    "threads",
    "bluesky",
    "mastodon",
    "tiktok",
    "pinterest",
    "youtube",
]


def test_every_platform_is_keyed_by_its_stable_slug():
    assert platform_slugs() == SLUGS
    assert all(PLATFORMS[slug].slug == slug for slug in SLUGS)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_set_limit_names_its_source_and_check_date(slug):
    rules = PLATFORMS[slug]
    for field in dataclasses.fields(rules):
        value = getattr(rules, field.name)
        if field.name in LIMIT_LABELS and value is not None:
            source = rules.source_of(field.name)
            assert source.source, field.name
            assert source.checked == "2026-11", field.name


# The facts as PLATFORMS.md gives them (checked 2026-11).
FACTS = [
    ("x", "text_limit", 280),
    ("x", "url_length", 23),
    ("x", "media_max", 4),
    ("x", "image_max_bytes", 5_000_000),
    ("x", "video_max_seconds", 140),
    ("x", "alt_text_max", 1000),
    ("instagram", "text_limit", 2200),
    ("instagram", "hashtag_max", 30),
    ("instagram", "mention_max", 20),
    ("instagram", "media_min", 1),
    ("instagram", "media_max", 10),
    ("instagram", "aspect_min", 0.8),
    ("instagram", "aspect_max", 1.91),
    ("instagram", "fold_chars", 125),
    ("facebook", "text_limit", 63206),
    ("facebook", "fold_chars", 480),
    ("facebook", "image_max_bytes", 4_000_000),
    ("linkedin", "text_limit", 3000),
    ("linkedin", "comment_limit", 1250),
    ("linkedin", "fold_chars", 210),
    ("linkedin", "fold_lines", 3),
    ("linkedin", "image_max_pixels", 36_000_000),
    ("threads", "text_limit", 500),
    ("bluesky", "text_limit", 300),
    ("bluesky", "text_byte_limit", 3000),
    ("bluesky", "image_max_bytes", 2_000_000),
    ("mastodon", "text_limit", 500),
    ("mastodon", "alt_text_max", 1500),
    ("tiktok", "text_limit", 2200),
    ("tiktok", "photo_text_limit", 4000),
    ("tiktok", "photo_title_limit", 90),
    ("tiktok", "media_max", 35),
    ("pinterest", "text_limit", 500),
    ("pinterest", "title_limit", 100),
    ("pinterest", "media_min", 1),
    ("youtube", "text_limit", 5000),
    ("youtube", "title_limit", 100),
    ("youtube", "title_required", True),
]


@pytest.mark.parametrize(("slug", "field", "value"), FACTS)
def test_limits_match_platforms_md(slug, field, value):
    assert getattr(PLATFORMS[slug], field) == value


def test_units_and_mixing_rules():
    assert PLATFORMS["x"].text_unit == "weighted"
    assert PLATFORMS["bluesky"].text_unit == "graphemes"
    assert PLATFORMS["youtube"].text_unit == "bytes"
    assert not PLATFORMS["x"].mixing_allowed
    assert not PLATFORMS["bluesky"].mixing_allowed
    assert PLATFORMS["instagram"].mixing_allowed
    assert PLATFORMS["x"].max_for_kind("video") == 1
    assert PLATFORMS["x"].max_bytes_for_kind("gif") == 15_000_000


def test_rules_for_without_overrides_is_the_platform_default():
    assert rules_for("Mastodon") is PLATFORMS["mastodon"]
    assert rules_for(" x ", {}) is PLATFORMS["x"]


def test_mastodon_server_override_is_applied_and_marked():
    rules = rules_for("mastodon", {"text_limit": 1000})
    assert rules.text_limit == 1000
    assert rules.overridden == frozenset({"text_limit"})
    assert rules.is_overridden("text_limit") and not rules.is_overridden("media_max")
    assert rules.source_of("text_limit").source == "Workspace override"
    assert rules.source_of("text_limit").checked is None
    # The shared defaults are untouched.
    assert PLATFORMS["mastodon"].text_limit == 500
    assert PLATFORMS["mastodon"].overridden == frozenset()


def test_override_may_carry_a_note_and_source_for_the_ui():
    rules = rules_for(
        "x", {"text_limit": {"value": "25,000", "note": "Premium account", "source": "X tier"}}
    )
    assert rules.text_limit == 25_000
    source = rules.source_of("text_limit")
    assert (source.source, source.note) == ("X tier", "Premium account")


def test_limit_rows_list_values_sources_and_overrides():
    rows = {row.field: row for row in limit_rows(rules_for("mastodon", {"text_limit": 1000}))}
    assert rows["text_limit"].value == 1000 and rows["text_limit"].overridden
    assert rows["alt_text_max"].value == 1500 and not rows["alt_text_max"].overridden
    assert rows["alt_text_max"].checked == "2026-11"
    assert "hashtag_max" not in rows  # Mastodon sets no hashtag cap


def test_override_can_lift_a_limit_or_relax_a_flag():
    rules = rules_for("instagram", {"hashtag_max": None, "aspect_min": "0.5"})
    assert rules.hashtag_max is None
    assert rules.aspect_min == 0.5
    assert rules_for("youtube", {"title_required": "false"}).title_required is False


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"txt_limit": 10}, "unknown field 'txt_limit'"),
        ({"text_unit": "bytes"}, "unknown field 'text_unit'"),
        ({"slug": "y"}, "unknown field 'slug'"),
        ({"text_limit": -5}, "cannot be negative"),
        ({"text_limit": 0}, "at least 1"),
        ({"text_limit": "lots"}, "must be a number"),
        ({"text_limit": True}, "must be a number"),
        ({"text_limit": 12.5}, "whole number"),
        ({"text_limit": None}, "cannot be empty"),
        ({"text_limit": float("nan")}, "finite"),
        ({"media_min": 5, "media_max": 2}, "media_min (5) cannot exceed media_max (2)"),
        ({"aspect_min": 2.0}, "aspect_min (2.0) cannot exceed aspect_max (1.91)"),
        ({"aspect_max": 0}, "above 0"),
        ({"title_required": "maybe"}, "true or false"),
        ({"text_limit": {"note": "no value"}}, "needs a 'value'"),
        ({"text_limit": [500]}, "must be a number"),
    ],
)
def test_bad_overrides_raise_clear_errors(overrides, message):
    with pytest.raises(OverrideError) as caught:
        rules_for("instagram", overrides)
    assert message in str(caught.value)
    assert caught.value.platform == "instagram"


def test_override_errors_are_all_reported_at_once():
    with pytest.raises(OverrideError) as caught:
        rules_for("x", {"nope": 1, "text_limit": -1, "media_max": "x"})
    assert len(caught.value.errors) == 3


def test_unknown_platform_names_the_known_ones():
    with pytest.raises(UnknownPlatformError, match="Plume knows: x, instagram"):
        rules_for("myspace")
    with pytest.raises(UnknownPlatformError):
        rules_for(None)  # type: ignore[arg-type]


def test_overridable_fields_are_limits_not_shapes():
    assert {"text_limit", "media_max", "alt_text_max", "aspect_min"} <= OVERRIDABLE
    assert not {"slug", "name", "text_unit", "media_kinds", "sources"} & OVERRIDABLE
