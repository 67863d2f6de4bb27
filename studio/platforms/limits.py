"""Every platform's posting limits as data, each with its source and the date it was checked.

Facts come from ``PLATFORMS.md`` (checked 2026-11) and the platform sources it names. Where
sources disagree the conservative value is the default and the alternative is in the note.
A workspace may override a limit per brand (a Mastodon server with 1,000 characters, an X
account on a paid tier) through :func:`rules_for`; overridden fields are listed in
``PlatformRules.overridden`` so the UI can say where an override applies.

Byte caps written as "MB" by the platforms are read as decimal megabytes, the conservative
reading, as in :mod:`studio.platforms.media_presets`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "CHECKED",
    "KINDS",
    "LIMIT_LABELS",
    "OVERRIDABLE",
    "PLATFORMS",
    "LimitRow",
    "LimitSource",
    "OverrideError",
    "PlatformRules",
    "UnknownPlatformError",
    "limit_rows",
    "platform_slugs",
    "rules_for",
]

CHECKED = "2026-11"
MB = 1_000_000
KINDS = ("image", "gif", "video")


@dataclass(frozen=True, slots=True)
class LimitSource:
    """Where a limit comes from and when it was last checked (None for workspace overrides)."""

    source: str
    checked: str | None = CHECKED
    note: str = ""


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class PlatformRules:
    """One platform's limits; ``None`` means the platform sets no such limit."""

    slug: str
    name: str
    text_limit: int
    # How text is measured: "weighted" (X, twitter-text v3), "graphemes" (Bluesky, Mastodon),
    # "characters" (code points after NFC) or "bytes" (UTF-8, YouTube's description).
    text_unit: str
    text_byte_limit: int | None = None
    photo_text_limit: int | None = None  # TikTok: a photo post's caption may be longer
    url_length: int | None = None  # every link counts this much (X, Mastodon)
    content_warning_counts: bool = False  # Mastodon: the content warning shares the limit
    fold_chars: int | None = None
    fold_lines: int | None = None
    more_label: str | None = None
    hashtag_max: int | None = None  # over it the platform rejects the post
    hashtag_soft_max: int | None = None  # over it the platform ignores hashtags: a warning
    mention_max: int | None = None
    link_max: int | None = None
    media_min: int = 0
    media_max: int = 0
    media_kinds: tuple[str, ...] = ("image",)
    media_max_by_kind: Mapping[str, int] = field(default_factory=_frozen)
    exclusive_kinds: tuple[str, ...] = ()  # kinds that must be a post's only media
    image_mimes: tuple[str, ...] | None = None
    video_mimes: tuple[str, ...] | None = None
    image_max_bytes: int | None = None
    gif_max_bytes: int | None = None  # None: the image cap applies
    video_max_bytes: int | None = None
    image_max_width: int | None = None
    image_max_height: int | None = None
    image_max_pixels: int | None = None
    image_soft_max_width: int | None = None  # wider images are downscaled: a warning
    aspect_min: float | None = None  # width / height
    aspect_max: float | None = None
    video_min_seconds: float | None = None
    video_max_seconds: float | None = None
    alt_text_supported: bool = False
    alt_text_max: int | None = None
    title_limit: int | None = None
    title_required: bool = False
    photo_title_limit: int | None = None  # TikTok photo posts
    comment_limit: int | None = None  # first comment
    tags_limit: int | None = None  # YouTube video tags, total characters
    link_field_max: int | None = None  # Pinterest destination link
    forbidden_chars: str = ""  # characters the API refuses in title and text
    sources: Mapping[str, LimitSource] = field(default_factory=_frozen)
    default_source: LimitSource = LimitSource("PLATFORMS.md")
    overridden: frozenset[str] = frozenset()

    @property
    def mixing_allowed(self) -> bool:
        """Return whether images, GIFs and videos may share one post."""
        return not self.exclusive_kinds

    def source_of(self, field_name: str) -> LimitSource:
        """Return where ``field_name``'s value comes from."""
        return self.sources.get(field_name, self.default_source)

    def is_overridden(self, field_name: str) -> bool:
        """Return whether a workspace override set ``field_name``."""
        return field_name in self.overridden

    def max_for_kind(self, kind: str) -> int:
        """Return how many media of ``kind`` one post may carry."""
        return self.media_max_by_kind.get(kind, self.media_max)

    def max_bytes_for_kind(self, kind: str) -> int | None:
        """Return the byte cap for one medium of ``kind``."""
        if kind == "video":
            return self.video_max_bytes
        if kind == "gif" and self.gif_max_bytes is not None:
            return self.gif_max_bytes
        return self.image_max_bytes


# Human labels for the limits table in the UI, in display order.
LIMIT_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "text_limit": "Text length",
        "text_byte_limit": "Text bytes (UTF-8)",
        "photo_text_limit": "Caption length on photo posts",
        "url_length": "Each link counts as",
        "fold_chars": "Text folds after (characters)",
        "fold_lines": "Text folds after (lines)",
        "hashtag_max": "Hashtags (most)",
        "hashtag_soft_max": "Hashtags the platform uses",
        "mention_max": "Mentions (most)",
        "link_max": "Links (most)",
        "media_min": "Media (fewest)",
        "media_max": "Media (most)",
        "image_max_bytes": "Image size",
        "gif_max_bytes": "GIF size",
        "video_max_bytes": "Video size",
        "image_max_width": "Image width",
        "image_max_height": "Image height",
        "image_max_pixels": "Image pixels",
        "image_soft_max_width": "Image width before downscaling",
        "aspect_min": "Narrowest aspect (width / height)",
        "aspect_max": "Widest aspect (width / height)",
        "video_min_seconds": "Shortest video (seconds)",
        "video_max_seconds": "Longest video (seconds)",
        "alt_text_max": "Alt text length",
        "title_limit": "Title length",
        "photo_title_limit": "Photo post title length",
        "comment_limit": "First comment length",
        "tags_limit": "Video tags (total characters)",
        "link_field_max": "Destination link length",
    }
)

_INT_FIELDS = frozenset(
    f.name
    for f in dataclasses.fields(PlatformRules)
    if f.type in ("int", "int | None") and f.name not in {"slug", "name"}
)
_FLOAT_FIELDS = frozenset({"aspect_min", "aspect_max", "video_min_seconds", "video_max_seconds"})
_BOOL_FIELDS = frozenset({"alt_text_supported", "title_required", "content_warning_counts"})
_REQUIRED_FIELDS = frozenset({"text_limit", "media_min", "media_max"})
# Which fields a workspace may override. Shape fields (units, kinds, MIME lists) stay fixed:
# they describe how the platform works, not how big a tier or server is.
OVERRIDABLE: frozenset[str] = _INT_FIELDS | _FLOAT_FIELDS | _BOOL_FIELDS


class UnknownPlatformError(ValueError):
    """Raised for a platform slug Plume does not know."""

    def __init__(self, platform: object) -> None:
        self.platform = platform
        known = ", ".join(PLATFORMS)
        super().__init__(f"Unknown platform {platform!r}; Plume knows: {known}.")


class OverrideError(ValueError):
    """Raised when a workspace override cannot apply; ``errors`` lists every problem."""

    def __init__(self, platform: str, errors: list[str]) -> None:
        self.platform = platform
        self.errors = errors
        super().__init__(f"Invalid limit overrides for {platform}: " + "; ".join(errors))


def _src(source: str, note: str = "") -> LimitSource:
    return LimitSource(source, CHECKED, note)


def _rules(**kwargs: Any) -> PlatformRules:
    kwargs["media_max_by_kind"] = _frozen(kwargs.get("media_max_by_kind"))
    kwargs["sources"] = _frozen(kwargs.get("sources"))
    return PlatformRules(**kwargs)


_MD = "PLATFORMS.md"

_ALL: tuple[PlatformRules, ...] = (
    _rules(
        slug="x",
        name="X",
        text_limit=280,
        text_unit="weighted",
        url_length=23,
        fold_chars=280,
        more_label="Show more",
        media_max=4,
        media_kinds=("image", "gif", "video"),
        media_max_by_kind={"image": 4, "gif": 1, "video": 1},
        exclusive_kinds=("gif", "video"),
        image_mimes=("image/jpeg", "image/png", "image/webp", "image/gif"),
        video_mimes=("video/mp4", "video/quicktime"),
        image_max_bytes=5 * MB,
        gif_max_bytes=15 * MB,
        video_max_bytes=512 * MB,
        image_max_width=8192,
        image_max_height=8192,
        video_max_seconds=140,
        alt_text_supported=True,
        alt_text_max=1000,
        default_source=_src(f"{_MD} (X media per post)"),
        sources={
            "text_limit": _src(
                "twitter/twitter-text config/v3.json (maxWeightedTweetLength)",
                "Paid tiers allow 25,000: override text_limit for such accounts.",
            ),
            "url_length": _src("twitter/twitter-text config/v3.json (transformedURLLength)"),
            "fold_chars": _src(f"{_MD}", "Long posts on paid tiers show 'Show more' after 280."),
            "gif_max_bytes": _src("X API media upload guide (GIF 15 MB)"),
        },
    ),
    _rules(
        slug="instagram",
        name="Instagram",
        text_limit=2200,
        text_unit="characters",
        fold_chars=125,
        more_label="… more",
        hashtag_max=30,
        mention_max=20,
        media_min=1,
        media_max=10,
        media_kinds=("image", "video"),
        media_max_by_kind={"image": 10, "video": 10},
        image_mimes=("image/jpeg",),
        image_max_bytes=8 * MB,
        image_soft_max_width=1440,
        aspect_min=0.8,
        aspect_max=1.91,
        video_max_seconds=900,
        alt_text_supported=True,
        comment_limit=2200,
        default_source=_src(f"{_MD} (Meta docs; Planoly help)"),
        sources={
            "media_max": _src(f"{_MD}", "One image or video, or a carousel of 2-10."),
            "image_soft_max_width": _src(f"{_MD}", "Wider images are downscaled to 1440."),
            "video_max_seconds": _src(f"{_MD}", "Reels: 9:16, up to 15 minutes."),
            "comment_limit": _src("Meta docs (comments share the caption limit)"),
        },
    ),
    _rules(
        slug="facebook",
        name="Facebook",
        text_limit=63206,
        text_unit="characters",
        fold_chars=480,
        more_label="See more",
        media_max=10,
        media_kinds=("image", "video"),
        media_max_by_kind={"image": 10, "video": 1},
        exclusive_kinds=("video",),
        image_mimes=("image/jpeg", "image/png"),
        image_max_bytes=4 * MB,
        video_max_bytes=1000 * MB,
        alt_text_supported=True,
        default_source=_src(f"{_MD} (Meta docs)"),
    ),
    _rules(
        slug="linkedin",
        name="LinkedIn",
        text_limit=3000,
        text_unit="characters",
        fold_chars=210,
        fold_lines=3,
        more_label="…see more",
        media_max=9,
        media_kinds=("image", "gif", "video"),
        media_max_by_kind={"image": 9, "gif": 1, "video": 1},
        exclusive_kinds=("gif", "video"),
        image_mimes=("image/jpeg", "image/png", "image/gif"),
        image_max_bytes=8 * MB,
        image_max_pixels=36_000_000,
        video_max_bytes=500 * MB,
        video_min_seconds=3,
        video_max_seconds=1800,
        alt_text_supported=True,
        comment_limit=1250,
        default_source=_src(f"{_MD} (LinkedIn docs; OpenPost capabilities)"),
        sources={
            "media_max": _src(f"{_MD}", "The API allows up to 20 images; the app shows 9."),
        },
    ),
    _rules(
        slug="threads",
        name="Threads",
        text_limit=500,
        text_unit="characters",
        hashtag_soft_max=1,
        link_max=5,
        media_max=20,
        media_kinds=("image", "video"),
        media_max_by_kind={"image": 20, "video": 20},
        image_mimes=("image/jpeg", "image/png"),
        image_max_bytes=8 * MB,
        image_soft_max_width=1440,
        video_max_seconds=300,
        alt_text_supported=True,
        default_source=_src(f"{_MD} (Meta docs)"),
        sources={
            "text_limit": _src(
                "Meta Threads API docs, Posts: limitations",
                "500 characters; emoji count as their UTF-8 bytes.",
            ),
            "link_max": _src(
                "Meta Threads API docs, text attachments",
                "Posts with more than 5 links fail (since 2025-12-22).",
            ),
            "hashtag_soft_max": _src(
                "Meta Threads help", "Threads links one topic tag per post; others stay text."
            ),
            "media_max": _src(f"{_MD}", "Carousels hold up to 20 items (the app shows 10)."),
        },
    ),
    _rules(
        slug="bluesky",
        name="Bluesky",
        text_limit=300,
        text_unit="graphemes",
        text_byte_limit=3000,
        media_max=4,
        media_kinds=("image", "gif", "video"),
        media_max_by_kind={"image": 4, "gif": 1, "video": 1},
        exclusive_kinds=("gif", "video"),
        video_mimes=("video/mp4",),
        image_max_bytes=2_000_000,
        video_max_bytes=100 * MB,
        alt_text_supported=True,
        alt_text_max=2000,
        default_source=_src("bluesky-social/atproto lexicons/app/bsky/feed/post.json"),
        sources={
            "image_max_bytes": _src(
                "atproto app.bsky.embed.images (blob maxSize 2,000,000)",
                "Older clients accept 1,000,000.",
            ),
            "video_max_bytes": _src(f"{_MD}", "MP4; 100 MB is the conservative cap."),
            "alt_text_max": _src("bluesky-social/social-app src/lib/constants.ts MAX_ALT_TEXT"),
            "media_max": _src(f"{_MD}", "Four images, or one video."),
        },
    ),
    _rules(
        slug="mastodon",
        name="Mastodon",
        text_limit=500,
        text_unit="graphemes",
        url_length=23,
        content_warning_counts=True,
        media_max=4,
        media_kinds=("image", "gif", "video"),
        media_max_by_kind={"image": 4, "gif": 4, "video": 1},
        exclusive_kinds=("video",),
        image_max_bytes=16 * MB,
        video_max_bytes=99 * MB,
        alt_text_supported=True,
        alt_text_max=1500,
        default_source=_src(f"{_MD} (mastodon StatusLengthValidator; media per post)"),
        sources={
            "text_limit": _src(
                "mastodon app/validators/status_length_validator.rb (MAX_CHARS)",
                "Server-specific: override for servers that allow more.",
            ),
            "url_length": _src(
                "mastodon StatusLengthValidator (URL_PLACEHOLDER_CHARS)",
                "Servers report it as configuration.statuses.characters_reserved_per_url.",
            ),
            "image_max_bytes": _src(f"{_MD}", "16 MB is typical; servers may differ."),
        },
    ),
    _rules(
        slug="tiktok",
        name="TikTok",
        text_limit=2200,
        text_unit="characters",
        photo_text_limit=4000,
        media_min=1,
        media_max=35,
        media_kinds=("image", "video"),
        media_max_by_kind={"image": 35, "video": 1},
        exclusive_kinds=("video",),
        image_mimes=("image/jpeg", "image/webp"),
        image_max_bytes=20 * MB,
        video_max_seconds=600,
        photo_title_limit=90,
        default_source=_src(f"{_MD} (TikTok docs; OpenPost)"),
        sources={
            "media_max": _src(f"{_MD}", "One video (9:16), or 1-35 photos."),
        },
    ),
    _rules(
        slug="pinterest",
        name="Pinterest",
        text_limit=500,
        text_unit="characters",
        media_min=1,
        media_max=5,
        media_kinds=("image", "video"),
        media_max_by_kind={"image": 5, "video": 1},
        exclusive_kinds=("video",),
        image_max_bytes=20 * MB,
        alt_text_supported=True,
        alt_text_max=500,
        title_limit=100,
        link_field_max=2048,
        default_source=_src(f"{_MD} (Pinterest API v5)"),
        sources={
            "image_max_bytes": _src("Pinterest help (20 MB), as media_presets"),
            "alt_text_max": _src("Pinterest API v5 pins.create (alt_text)"),
            "link_field_max": _src("Pinterest API v5 pins.create (link)"),
        },
    ),
    _rules(
        slug="youtube",
        name="YouTube",
        text_limit=5000,
        text_unit="bytes",
        hashtag_soft_max=60,
        media_min=1,
        media_max=1,
        media_kinds=("video",),
        media_max_by_kind={"video": 1},
        title_limit=100,
        title_required=True,
        tags_limit=500,
        forbidden_chars="<>",
        default_source=_src("YouTube Data API videos resource (snippet)"),
        sources={
            "text_limit": _src(
                "YouTube Data API videos resource (snippet.description)",
                "5,000 bytes of UTF-8; '<' and '>' are refused.",
            ),
            "title_limit": _src("YouTube Data API videos resource (snippet.title)"),
            "hashtag_soft_max": _src(
                "YouTube Help, hashtag policies", "With more than 60, YouTube ignores them all."
            ),
            "tags_limit": _src("YouTube Data API videos resource (snippet.tags[])"),
        },
    ),
)

PLATFORMS: Mapping[str, PlatformRules] = MappingProxyType({r.slug: r for r in _ALL})


def platform_slugs() -> list[str]:
    """Return the platform slugs in display order."""
    return list(PLATFORMS)


def _coerce(name: str, value: Any) -> tuple[Any, str | None]:
    """Return ``value`` coerced to ``name``'s type, or an error message."""
    if value is None:
        if name in _REQUIRED_FIELDS or name in _BOOL_FIELDS:
            return None, f"{name} cannot be empty"
        return None, None
    if name in _BOOL_FIELDS:
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
            return value.strip().lower() == "true", None
        return None, f"{name} must be true or false, not {value!r}"
    if isinstance(value, bool):
        return None, f"{name} must be a number, not {value!r}"
    number: float
    if isinstance(value, int | float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "").replace("_", ""))
        except ValueError:
            return None, f"{name} must be a number, not {value!r}"
    else:
        return None, f"{name} must be a number, not {type(value).__name__}"
    if number != number or number in (float("inf"), float("-inf")):
        return None, f"{name} must be a finite number"
    if number < 0:
        return None, f"{name} cannot be negative ({value!r})"
    if name in _INT_FIELDS:
        if number != int(number):
            return None, f"{name} must be a whole number, not {value!r}"
        number = int(number)
        if name == "text_limit" and number < 1:
            return None, "text_limit must be at least 1"
        return number, None
    if name.startswith("aspect") and number == 0:
        return None, f"{name} must be above 0"
    return float(number), None


def rules_for(platform: str, overrides: Mapping[str, Any] | None = None) -> PlatformRules:
    """Return ``platform``'s rules with a brand's ``overrides`` applied and marked.

    ``overrides`` maps a field name to a value, or to ``{"value": ..., "note": "...",
    "source": "..."}`` so the UI can say why (e.g. "fosstodon.org allows 1,000"). Raises
    :class:`UnknownPlatformError` or :class:`OverrideError` (listing every problem).
    """
    key = platform.strip().lower() if isinstance(platform, str) else platform
    base = PLATFORMS.get(key) if isinstance(key, str) else None
    if base is None:
        raise UnknownPlatformError(platform)
    if not overrides:
        return base
    errors: list[str] = []
    values: dict[str, Any] = {}
    sources = dict(base.sources)
    for name, raw in overrides.items():
        if name not in OVERRIDABLE:
            allowed = ", ".join(sorted(OVERRIDABLE))
            errors.append(f"unknown field {name!r} (overridable: {allowed})")
            continue
        note, source = "", "Workspace override"
        if isinstance(raw, Mapping):
            if "value" not in raw:
                errors.append(f"{name} override needs a 'value'")
                continue
            note = str(raw.get("note") or "")
            source = str(raw.get("source") or source)
            raw = raw["value"]
        value, error = _coerce(name, raw)
        if error:
            errors.append(error)
            continue
        values[name] = value
        sources[name] = LimitSource(source, None, note)
    merged = {f: values.get(f, getattr(base, f)) for f in ("media_min", "media_max")}
    if merged["media_min"] > merged["media_max"]:
        errors.append(
            f"media_min ({merged['media_min']}) cannot exceed media_max ({merged['media_max']})"
        )
    lo = values.get("aspect_min", base.aspect_min)
    hi = values.get("aspect_max", base.aspect_max)
    if lo is not None and hi is not None and lo > hi:
        errors.append(f"aspect_min ({lo}) cannot exceed aspect_max ({hi})")
    if errors:
        raise OverrideError(base.slug, errors)
    return dataclasses.replace(
        base,
        **values,
        sources=MappingProxyType(sources),
        overridden=base.overridden | frozenset(values),
    )


@dataclass(frozen=True, slots=True)
class LimitRow:
    """One line of a platform's limits table, for display."""

    field: str
    label: str
    value: Any
    source: str
    checked: str | None
    note: str
    overridden: bool


def limit_rows(rules: PlatformRules) -> list[LimitRow]:
    """Return ``rules``' set limits in display order, each with its source."""
    rows = []
    for name, label in LIMIT_LABELS.items():
        value = getattr(rules, name)
        if value is None:
            continue
        src = rules.source_of(name)
        rows.append(
            LimitRow(
                name, label, value, src.source, src.checked, src.note, name in rules.overridden
            )
        )
    return rows
