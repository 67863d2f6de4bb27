"""Hex parsing and WCAG 2.x contrast arithmetic."""

from __future__ import annotations

import pytest

from studio.brandkit import Colour
from studio.colour import (
    ColourError,
    contrast_matrix,
    contrast_ratio,
    hex_to_rgb,
    parse_hex,
    relative_luminance,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("#1a2b3c", "#1A2B3C"), ("#FFFFFF", "#FFFFFF"), ("  #00ff7f ", "#00FF7F")],
)
def test_parse_hex_normalises(value: str, expected: str) -> None:
    assert parse_hex(value) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "must not be empty"),
        ("1A2B3C", "did you mean '#1A2B3C'"),
        ("red", "must start with '#'"),
        ("#abc", "'#AABBCC'"),
        ("#12345", "has 5 hex digits"),
        ("#1234567", "has 7 hex digits"),
        ("#12G45Z", "'G', which is not a hex digit"),
        ("#12 345", "' '"),
    ],
)
def test_parse_hex_rejects_with_a_specific_message(value: str, fragment: str) -> None:
    with pytest.raises(ColourError) as info:
        parse_hex(value)
    assert fragment in str(info.value)


def test_parse_hex_rejects_non_text() -> None:
    with pytest.raises(ColourError, match="not int"):
        parse_hex(0xFFFFFF)  # type: ignore[arg-type]


def test_hex_to_rgb() -> None:
    assert hex_to_rgb("#FF8000") == (255, 128, 0)


def test_relative_luminance_end_points_and_a_primary() -> None:
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#FFFFFF") == pytest.approx(1.0)
    # Pure green carries the 0.7152 coefficient of the WCAG formula.
    assert relative_luminance("#00FF00") == pytest.approx(0.7152)


def test_contrast_ratio_known_values() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    # WebAIM's checker: #767676 on white is the lightest grey that passes AA, at 4.54:1.
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.005)
    assert contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.005)


def test_contrast_ratio_is_symmetric() -> None:
    assert contrast_ratio("#C8553D", "#FFF8F0") == contrast_ratio("#FFF8F0", "#C8553D")


def test_contrast_matrix_pairs_text_with_backgrounds_and_marks_levels() -> None:
    palette = [
        Colour("Ink", "#111111", "text"),
        Colour("Grey", "#777777", "text"),
        Colour("Brand", "#C8553D", "primary"),
        Colour("Paper", "#FFFFFF", "background"),
        Colour("Night", "#000000", "background"),
    ]
    pairs = contrast_matrix(palette)
    assert [(p.text.name, p.background.name) for p in pairs] == [
        ("Ink", "Paper"),
        ("Ink", "Night"),
        ("Grey", "Paper"),
        ("Grey", "Night"),
    ]
    ink_paper, ink_night, grey_paper, _ = pairs
    assert ink_paper.aa_normal and ink_paper.aaa_normal
    assert not ink_night.aa_large  # near-black on black
    # 4.48:1 passes only the large-text AA threshold (3:1) and fails AA normal (4.5:1).
    assert grey_paper.aa_large and not grey_paper.aa_normal
    assert not grey_paper.aaa_large
    # 4.478:1 is shown truncated: printing "4.48" (or "4.5") would overstate a failing pair.
    assert grey_paper.ratio_label == "4.47:1"


def test_contrast_matrix_other_roles_on_request() -> None:
    palette = [Colour("Brand", "#C8553D", "primary"), Colour("Paper", "#FFFFFF", "background")]
    assert contrast_matrix(palette) == []
    (pair,) = contrast_matrix(palette, text_roles=("primary",))
    assert pair.text.name == "Brand" and pair.aa_large
