"""Colour arithmetic for brand palettes: hex parsing and WCAG 2.x contrast."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.brandkit import Colour

# WCAG 2.x success criteria 1.4.3 (AA) and 1.4.6 (AAA). "Large" text is at least 18pt, or
# 14pt bold. Ratios are compared unrounded: 4.499:1 fails AA even though it prints as 4.5.
AA_NORMAL = 4.5
AA_LARGE = 3.0
AAA_NORMAL = 7.0
AAA_LARGE = 4.5


class ColourError(ValueError):
    """A colour value that is not ``#RRGGBB``; the message says what is wrong."""


def parse_hex(value: str) -> str:
    """Return ``value`` as upper-case ``#RRGGBB`` or raise :class:`ColourError`."""
    if not isinstance(value, str):
        raise ColourError(f"a colour must be text like '#1A2B3C', not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ColourError("a colour must not be empty; write it like '#1A2B3C'")
    if not text.startswith("#"):
        if re.fullmatch(r"[0-9A-Fa-f]{6}", text):
            raise ColourError(f"{value!r} must start with '#': did you mean '#{text.upper()}'?")
        raise ColourError(f"{value!r} must start with '#', like '#1A2B3C'")
    digits = text[1:]
    bad = [ch for ch in digits if ch not in "0123456789abcdefABCDEF"]
    if bad:
        raise ColourError(f"{value!r} contains {bad[0]!r}, which is not a hex digit (0-9, A-F)")
    if len(digits) == 3:
        # CSS shorthand: say what it expands to rather than guessing silently.
        full = "".join(ch * 2 for ch in digits).upper()
        raise ColourError(f"{value!r} is CSS shorthand; write all 6 hex digits: '#{full}'")
    if len(digits) != 6:
        raise ColourError(
            f"{value!r} has {len(digits)} hex digits; write exactly 6, like '#1A2B3C'"
        )
    return "#" + digits.upper()


def hex_to_rgb(value: str) -> tuple[int, int, int]:
    """Return the 0-255 red, green and blue channels of a hex colour."""
    digits = parse_hex(value)[1:]
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _linear(channel: int) -> float:
    c = channel / 255
    # WCAG 2.0 printed 0.03928 (from an sRGB draft); 2.2 uses the sRGB standard's 0.04045.
    # No 8-bit value falls between the two, so results are identical either way.
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(value: str) -> float:
    """Return the WCAG 2.x relative luminance (0 for black to 1 for white)."""
    r, g, b = hex_to_rgb(value)
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(first: str, second: str) -> float:
    """Return the WCAG 2.x contrast ratio of two colours, from 1.0 to 21.0, order-free."""
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


@dataclass(frozen=True)
class ContrastPair:
    """One text colour on one background, with its ratio and WCAG pass marks."""

    text: Colour
    background: Colour
    ratio: float
    aa_normal: bool
    aa_large: bool
    aaa_normal: bool
    aaa_large: bool

    @property
    def ratio_label(self) -> str:
        """Return the ratio as WCAG tools print it, truncated (never rounded up): '4.49:1'."""
        return f"{int(self.ratio * 100) / 100:.2f}:1"


def contrast_matrix(
    palette: Iterable[Colour],
    text_roles: tuple[str, ...] = ("text",),
    background_roles: tuple[str, ...] = ("background",),
) -> list[ContrastPair]:
    """Return every text-role colour against every background-role colour, in palette order."""
    colours = list(palette)
    texts = [c for c in colours if c.role in text_roles]
    backgrounds = [c for c in colours if c.role in background_roles]
    pairs = []
    for text in texts:
        for background in backgrounds:
            if text is background:
                continue
            ratio = contrast_ratio(text.hex, background.hex)
            pairs.append(
                ContrastPair(
                    text=text,
                    background=background,
                    ratio=ratio,
                    aa_normal=ratio >= AA_NORMAL,
                    aa_large=ratio >= AA_LARGE,
                    aaa_normal=ratio >= AAA_NORMAL,
                    aaa_large=ratio >= AAA_LARGE,
                )
            )
    return pairs
