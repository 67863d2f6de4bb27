"""The brand kit: how a brand looks (palette, fonts, logos) and speaks (voice rules).

A :class:`Kit` is a tree of frozen dataclasses, so it is hashable and safe to use as a cache
key (the voice checker compiles each distinct ``Voice`` once). Build one from untrusted data
with :func:`kit_from_dict`, which reports *every* problem with its field path, and turn it
back into plain data (TOML/JSON-ready, no ``None`` values) with :func:`kit_to_dict`.

Collections are tuples; the two per-key tables (``hashtags.max_per_platform`` and
``links.utm_defaults``) are stored as sorted tuples of ``(key, value)`` pairs and appear as
tables (dicts) in the dict form.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin

from studio.colour import ColourError, parse_hex

Severity = Literal["warn", "block"]
Role = Literal["primary", "secondary", "accent", "text", "background"]

SEVERITIES: tuple[str, ...] = get_args(Severity)
ROLES: tuple[str, ...] = get_args(Role)
# Platform ids as used across Plume (see PLATFORMS.md); a kit rule naming anything else is a
# typo that would silently never apply, so it is rejected instead.
KNOWN_PLATFORMS: tuple[str, ...] = (
    "x",
    "mastodon",
    "bluesky",
    "threads",
    "instagram",
    "linkedin",
    "facebook",
    "tiktok",
    "pinterest",
    "youtube",
)
FONT_EXTENSIONS: tuple[str, ...] = (".ttf", ".otf", ".woff2")
LOGO_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".webp")
UTM_KEYS: tuple[str, ...] = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

Problem = tuple[str, str]
# Bounds that no real kit approaches, so a hostile import cannot make compiling the voice
# (one pattern per phrase group) or storing the kit arbitrarily expensive.
MAX_TEXT = 10_000
MAX_ITEMS = 2_000
MAX_PHRASE = 200


class KitValidationError(ValueError):
    """A kit that cannot be built; ``problems`` lists every ``(field_path, message)``."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "; ".join(f"{path or '(kit)'}: {msg}" for path, msg in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the brand kit: {lines}")


# Field checks take the already type-converted value and return it (possibly normalised) or
# raise ValueError with a message for the user.


def _nonempty(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _phrase(value: str) -> str:
    if len(value) > MAX_PHRASE:
        raise ValueError(f"is longer than {MAX_PHRASE} characters; rules match short phrases")
    return _nonempty(value)


def _hex(value: str) -> str:
    try:
        return parse_hex(value)
    except ColourError as exc:
        raise ValueError(str(exc)) from None


def _asset_path(extensions: tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        if "\\" in value:
            raise ValueError("use forward slashes in file paths")
        if value.startswith("/") or re.match(r"^[A-Za-z]:", value):
            raise ValueError("must be a path relative to the kit folder, not an absolute path")
        if any(ord(ch) < 32 for ch in value):
            raise ValueError("contains control characters")
        parts = value.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise ValueError("must not contain '..', '.' or empty path segments")
        if len(value) > 200:
            raise ValueError("is longer than 200 characters")
        if not value.lower().endswith(extensions):
            raise ValueError(f"must end in {', '.join(extensions)}")
        return value

    return check


def _hashtag(value: str) -> str:
    if not re.fullmatch(r"#\w+", value) or not re.search(r"[^\W\d_]", value):
        raise ValueError(f"{value!r} is not a hashtag: write '#' then letters, digits or '_'")
    return value


def _domain(value: str) -> str:
    lowered = value.strip().lower()
    if "://" in lowered or "/" in lowered:
        raise ValueError(f"{value!r}: write the bare domain, e.g. 'example.com'")
    if lowered.startswith("www."):
        lowered = lowered[4:]
    label = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
    if not re.fullmatch(rf"(?:{label}\.)+[a-z][a-z0-9-]*[a-z0-9]", lowered):
        raise ValueError(f"{value!r} is not a domain name such as 'example.com'")
    return lowered


def _platform(value: str) -> str:
    if value not in KNOWN_PLATFORMS:
        raise ValueError(f"unknown platform {value!r}; use one of {', '.join(KNOWN_PLATFORMS)}")
    return value


def _tag(value: str) -> str:
    tag = value.strip().lower()
    if not tag:
        raise ValueError("must not be empty")
    return tag


def _utm_key(value: str) -> str:
    if value not in UTM_KEYS:
        raise ValueError(f"unknown UTM parameter {value!r}; use {', '.join(UTM_KEYS)}")
    return value


def _at_least(minimum: float) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value < minimum:
            raise ValueError(f"must be at least {minimum:g}")
        return value

    return check


def _meta(check: Callable[[Any], Any] | None = None, *, each: bool = False) -> dict[str, Any]:
    """Attach a value check to a field; ``each`` applies it to every item of a tuple."""
    return {"check": check, "each": each}


@dataclass(frozen=True)
class Colour:
    """A named palette colour; ``hex`` is normalised to upper-case ``#RRGGBB``."""

    name: str = field(metadata=_meta(_nonempty))
    hex: str = field(metadata=_meta(_hex))
    role: Role


@dataclass(frozen=True)
class FontChoice:
    """Exactly one of a system ``family`` name or the relative path of an uploaded ``file``."""

    family: str | None = field(default=None, metadata=_meta(_nonempty))
    file: str | None = field(default=None, metadata=_meta(_asset_path(FONT_EXTENSIONS)))


@dataclass(frozen=True)
class Fonts:
    heading: FontChoice | None = None
    body: FontChoice | None = None


@dataclass(frozen=True)
class Logos:
    """Relative paths of the logo files inside the kit."""

    primary: str | None = field(default=None, metadata=_meta(_asset_path(LOGO_EXTENSIONS)))
    mark: str | None = field(default=None, metadata=_meta(_asset_path(LOGO_EXTENSIONS)))
    mono: str | None = field(default=None, metadata=_meta(_asset_path(LOGO_EXTENSIONS)))


@dataclass(frozen=True)
class BannedPhrase:
    """A word or phrase to avoid, matched literally, case-insensitively, as whole words.

    With ``inflections`` on, simple English endings of the last word also match
    (-s, -es, -ies, -ed, -ied, -ing; see ``studio.voice.inflect``).
    """

    phrase: str = field(metadata=_meta(_phrase))
    suggestion: str | None = field(default=None, metadata=_meta(_phrase))
    severity: Severity = "warn"
    inflections: bool = True


@dataclass(frozen=True)
class BrandTerm:
    """A name that must appear exactly as written (e.g. "PlayStation")."""

    term: str = field(metadata=_meta(_phrase))
    severity: Severity = "warn"


@dataclass(frozen=True)
class RequiredPhrase:
    """Text that must appear; limited to some platforms and/or to posts with some tags.

    When both ``platforms`` and ``tags`` are given, both must match; use two rules for "or".
    """

    phrase: str = field(metadata=_meta(_phrase))
    platforms: tuple[str, ...] = field(default=(), metadata=_meta(_platform, each=True))
    tags: tuple[str, ...] = field(default=(), metadata=_meta(_tag, each=True))
    severity: Severity = "warn"


@dataclass(frozen=True)
class HashtagRules:
    """Required and banned hashtags and how many a post may carry (per platform)."""

    required: tuple[str, ...] = field(default=(), metadata=_meta(_hashtag, each=True))
    banned: tuple[str, ...] = field(default=(), metadata=_meta(_hashtag, each=True))
    max_count: int | None = field(default=None, metadata=_meta(_at_least(0)))
    max_per_platform: tuple[tuple[str, int], ...] = field(
        default=(), metadata={"table": (_platform, _at_least(0))}
    )
    severity: Severity = "warn"

    def max_for(self, platform: str | None) -> int | None:
        """Return the hashtag limit for ``platform`` (the default when it has none)."""
        return dict(self.max_per_platform).get(platform or "", self.max_count)


@dataclass(frozen=True)
class EmojiRule:
    allowed: bool = True
    max_count: int | None = field(default=None, metadata=_meta(_at_least(0)))
    severity: Severity = "warn"


@dataclass(frozen=True)
class ExclamationRule:
    max_count: int = field(metadata=_meta(_at_least(0)))
    severity: Severity = "warn"


@dataclass(frozen=True)
class AllCapsRule:
    """At most ``max_count`` ALL-CAPS words; ``allow`` lists acronyms that don't count."""

    max_count: int = field(metadata=_meta(_at_least(0)))
    allow: tuple[str, ...] = field(default=(), metadata=_meta(_nonempty, each=True))
    severity: Severity = "warn"


@dataclass(frozen=True)
class ReadingRule:
    max_grade: float | None = field(default=None, metadata=_meta(_at_least(0)))
    max_sentence_words: int | None = field(default=None, metadata=_meta(_at_least(1)))
    severity: Severity = "warn"


@dataclass(frozen=True)
class LinkRules:
    """Where links may point, and the UTM parameters the brand's own links must carry.

    An empty ``allowed_domains`` allows any domain; otherwise only those and
    ``own_domains`` (subdomains included). ``utm_defaults`` values may contain
    ``{platform}``; they make the missing-UTM finding carry a ready-made fixed link.
    """

    allowed_domains: tuple[str, ...] = field(default=(), metadata=_meta(_domain, each=True))
    own_domains: tuple[str, ...] = field(default=(), metadata=_meta(_domain, each=True))
    utm_required: tuple[str, ...] = field(
        default=("utm_source", "utm_medium", "utm_campaign"), metadata=_meta(_utm_key, each=True)
    )
    utm_defaults: tuple[tuple[str, str], ...] = field(
        default=(), metadata={"table": (_utm_key, _nonempty)}
    )
    severity: Severity = "warn"
    utm_severity: Severity = "warn"


@dataclass(frozen=True)
class Voice:
    tone: str = ""
    do_examples: tuple[str, ...] = field(default=(), metadata=_meta(_nonempty, each=True))
    dont_examples: tuple[str, ...] = field(default=(), metadata=_meta(_nonempty, each=True))
    banned: tuple[BannedPhrase, ...] = ()
    brand_terms: tuple[BrandTerm, ...] = ()
    required: tuple[RequiredPhrase, ...] = ()
    hashtags: HashtagRules | None = None
    emoji: EmojiRule | None = None
    exclamations: ExclamationRule | None = None
    all_caps: AllCapsRule | None = None
    reading: ReadingRule | None = None
    links: LinkRules | None = None


@dataclass(frozen=True)
class Kit:
    name: str = field(metadata=_meta(_nonempty))
    description: str = ""
    palette: tuple[Colour, ...] = ()
    fonts: Fonts = Fonts()
    logos: Logos = Logos()
    voice: Voice = Voice()

    def asset_paths(self) -> dict[str, str]:
        """Return every referenced asset file as ``{field_path: relative_path}``."""
        paths: dict[str, str] = {}
        for slot in ("heading", "body"):
            choice = getattr(self.fonts, slot)
            if choice is not None and choice.file:
                paths[f"fonts.{slot}.file"] = choice.file
        for slot in ("primary", "mark", "mono"):
            if getattr(self.logos, slot):
                paths[f"logos.{slot}"] = getattr(self.logos, slot)
        return paths


# --- conversion ---------------------------------------------------------------------------

_INVALID = object()
_TYPE_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}


def _describe(tp: Any) -> str:
    if tp in _TYPE_NAMES:
        return _TYPE_NAMES[tp]
    if dataclasses.is_dataclass(tp):
        return "a table"
    if get_origin(tp) is tuple:
        return "a list"
    if get_origin(tp) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    return str(tp)


def _typename(value: Any) -> str:
    names = {str: "text", bool: "true/false", int: "a number", float: "a number"}
    names |= {type(None): "nothing"}
    names |= {dict: "a table", list: "a list", tuple: "a list"}
    return names.get(type(value), type(value).__name__)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _convert(value: Any, tp: Any, path: str, problems: list[Problem]) -> Any:
    """Convert plain data to ``tp``, appending problems; return ``_INVALID`` on failure."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [a for a in get_args(tp) if a is not type(None)]
        return _convert(value, inner, path, problems)
    if origin is Literal:
        if value in get_args(tp) and isinstance(value, str):
            return value
        problems.append((path, f"must be {_describe(tp)}, not {value!r}"))
        return _INVALID
    if origin is tuple:
        if not isinstance(value, list | tuple):
            problems.append((path, f"must be a list, not {_typename(value)}"))
            return _INVALID
        if len(value) > MAX_ITEMS:
            problems.append((path, f"has {len(value):,} items; at most {MAX_ITEMS:,} are allowed"))
            return _INVALID
        item_tp = get_args(tp)[0]
        items = [_convert(v, item_tp, f"{path}[{i}]", problems) for i, v in enumerate(value)]
        return _INVALID if any(i is _INVALID for i in items) else tuple(items)
    if dataclasses.is_dataclass(tp):
        return _convert_dataclass(value, tp, path, problems)
    ok = isinstance(value, tp) and not (tp is not bool and isinstance(value, bool))
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        problems.append((path, f"must be {_describe(tp)}, not {_typename(value)}"))
        return _INVALID
    if tp is str and len(value) > MAX_TEXT:
        problems.append((path, f"is longer than {MAX_TEXT:,} characters"))
        return _INVALID
    return value


def _apply_check(
    check: Callable[[Any], Any], value: Any, path: str, problems: list[Problem]
) -> Any:
    try:
        return check(value)
    except ValueError as exc:
        problems.append((path, str(exc)))
        return _INVALID


def _convert_table(
    value: Any, checks: tuple[Callable, Callable], value_tp: Any, path: str, problems: list[Problem]
) -> Any:
    if not isinstance(value, dict):
        problems.append((path, f"must be a table, not {_typename(value)}"))
        return _INVALID
    pairs = []
    for key, item in value.items():
        sub = _join(path, str(key))
        converted = _convert(item, value_tp, sub, problems)
        if converted is _INVALID:
            continue
        k = _apply_check(checks[0], key, sub, problems)
        v = _apply_check(checks[1], converted, sub, problems)
        if k is not _INVALID and v is not _INVALID:
            pairs.append((k, v))
    return tuple(sorted(pairs)) if len(pairs) == len(value) else _INVALID


def _convert_dataclass(value: Any, cls: type, path: str, problems: list[Problem]) -> Any:
    if not isinstance(value, dict):
        problems.append((path or "(kit)", f"must be a table, not {_typename(value)}"))
        return _INVALID
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in value:
        if key not in fields:
            known = ", ".join(fields)
            problems.append((_join(path, str(key)), f"unknown key; expected one of: {known}"))
    kwargs: dict[str, Any] = {}
    failed = False
    for name, f in fields.items():
        sub = _join(path, name)
        if name not in value:
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            if required:
                problems.append((sub, "is required"))
                failed = True
            continue
        tp = hints[name]
        if "table" in f.metadata:
            value_tp = get_args(get_args(tp)[0])[1]
            converted = _convert_table(value[name], f.metadata["table"], value_tp, sub, problems)
        else:
            converted = _convert(value[name], tp, sub, problems)
            check = f.metadata.get("check")
            if converted not in (_INVALID, None) and check is not None:
                if f.metadata.get("each"):
                    items = [
                        _apply_check(check, v, f"{sub}[{i}]", problems)
                        for i, v in enumerate(converted)
                    ]
                    converted = _INVALID if _INVALID in items else tuple(items)
                else:
                    converted = _apply_check(check, converted, sub, problems)
        if converted is _INVALID:
            failed = True
        else:
            kwargs[name] = converted
    if failed:
        return _INVALID
    obj = cls(**kwargs)
    before = len(problems)
    for cross_check in _CROSS_CHECKS.get(cls, ()):
        cross_check(obj, path, problems)
    return _INVALID if len(problems) > before else obj


# --- rules that span several fields -----------------------------------------------------


def _check_font_choice(choice: FontChoice, path: str, problems: list[Problem]) -> None:
    if (choice.family is None) == (choice.file is None):
        problems.append((path, "give exactly one of 'family' (a system font) or 'file'"))


def _duplicates(items: list[str], path: str, what: str, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        key = " ".join(item.casefold().split())
        if key in seen:
            problems.append((f"{path}[{i}]", f"duplicate {what} (same as {path}[{seen[key]}])"))
        else:
            seen[key] = i


def _check_kit(kit: Kit, path: str, problems: list[Problem]) -> None:
    _duplicates([c.name for c in kit.palette], "palette", "colour name", problems)


def _check_voice(voice: Voice, path: str, problems: list[Problem]) -> None:
    _duplicates([b.phrase for b in voice.banned], _join(path, "banned"), "phrase", problems)
    terms = [t.term for t in voice.brand_terms]
    _duplicates(terms, _join(path, "brand_terms"), "brand term", problems)


def _check_hashtags(rules: HashtagRules, path: str, problems: list[Problem]) -> None:
    banned = {b.casefold() for b in rules.banned}
    for i, tag in enumerate(rules.required):
        if tag.casefold() in banned:
            problems.append((f"{path}.required[{i}]", f"{tag} is both required and banned"))


def _check_emoji(rule: EmojiRule, path: str, problems: list[Problem]) -> None:
    if not rule.allowed and rule.max_count is not None:
        problems.append((_join(path, "max_count"), "has no effect when emoji are not allowed"))


def _check_reading(rule: ReadingRule, path: str, problems: list[Problem]) -> None:
    if rule.max_grade is None and rule.max_sentence_words is None:
        problems.append((path, "set max_grade, max_sentence_words or both"))


def _check_links(rules: LinkRules, path: str, problems: list[Problem]) -> None:
    for key, _ in rules.utm_defaults:
        if key not in rules.utm_required:
            problems.append((f"{path}.utm_defaults.{key}", "is not listed in utm_required"))


_CROSS_CHECKS: dict[type, tuple[Callable[[Any, str, list[Problem]], None], ...]] = {
    FontChoice: (_check_font_choice,),
    Kit: (_check_kit,),
    Voice: (_check_voice,),
    HashtagRules: (_check_hashtags,),
    EmojiRule: (_check_emoji,),
    ReadingRule: (_check_reading,),
    LinkRules: (_check_links,),
}


def kit_from_dict(data: dict[str, Any]) -> Kit:
    """Build a validated :class:`Kit` from plain data or raise :class:`KitValidationError`."""
    problems: list[Problem] = []
    kit = _convert_dataclass(data, Kit, "", problems)
    if problems or kit is _INVALID:
        raise KitValidationError(problems or [("", "invalid kit")])
    return kit


def _to_plain(value: Any, table: bool = False) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if item is not None:
                out[f.name] = _to_plain(item, "table" in f.metadata)
        return out
    if table:
        return dict(value)
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    return value


def kit_to_dict(kit: Kit) -> dict[str, Any]:
    """Return ``kit`` as plain dicts and lists that :func:`kit_from_dict` reads back."""
    return _to_plain(kit)
