"""Read the media and profile-studio forms into plain values; the use cases validate them."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from studio.assets.profiles import DesignChoice


def percent(form: MultiDict, name: str) -> float | str:
    """Return a percentage field (0-100) as a fraction, or the raw text for the error."""
    raw = (form.get(name) or "").strip().rstrip("%").strip()
    try:
        return float(raw) / 100
    except ValueError:
        return raw


def fraction(form: MultiDict, name: str) -> float | str:
    """Return a 0..1 field as a float, or the raw text for the error."""
    raw = (form.get(name) or "").strip()
    try:
        return float(raw)
    except ValueError:
        return raw


def focal_from_form(form: MultiDict) -> tuple[float | str, float | str]:
    """Read the focal point: fractions from a click (x, y) or percentages typed in."""
    if form.get("x") is not None and form.get("y") is not None:
        return fraction(form, "x"), fraction(form, "y")
    return percent(form, "focal_x"), percent(form, "focal_y")


def crop_from_form(form: MultiDict) -> list[float | str]:
    """Read a crop box typed as left, top, width and height percentages."""
    left, top = percent(form, "left"), percent(form, "top")
    width, height = percent(form, "width"), percent(form, "height")
    if all(isinstance(v, float) for v in (left, top, width, height)):
        return [left, top, left + width, top + height]  # type: ignore[operator]
    return [left, top, width, height]


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def _scale(raw: str | None) -> float:
    try:
        return float(raw) / 100 if raw not in (None, "") else 1.0
    except ValueError:
        return -1.0  # out of range: the use case names the field


def design_from_args(args: MultiDict, default: DesignChoice) -> DesignChoice:
    """Read the profile studio's form; fields left out keep the kit's default."""
    if "background" not in args:
        return default

    def text(name: str, fallback: str) -> str:
        value = args.get(name)
        return value.strip() if isinstance(value, str) else fallback

    # A custom text colour (colour picker) wins over the palette choice when set.
    text_colour = text("text_colour_custom", "") or text("text_colour", default.text_colour)
    return DesignChoice(
        background=text("background", default.background),
        colour=text("colour", default.colour),
        colour2=text("colour2", default.colour2),
        direction=text("direction", default.direction),
        media_id=_int(args.get("media_id")),
        logo=text("logo", ""),
        avatar_logo=text("avatar_logo", ""),
        tagline=(args.get("tagline") or "")[:200],
        text_colour=text_colour,
        tagline_on_avatars=args.get("tagline_on_avatars") in ("on", "1", "true"),
        logo_scale=_scale(args.get("logo_scale")),
    )
