"""Check one platform variant of a post against that platform's rules.

:func:`validate_variant` returns every problem at once, each naming the platform and saying
what to do, so the composer can list them beside the variant and the CLI can print them.
It never raises on user input: odd media numbers, empty text, unknown kinds and stray
characters become problems, not exceptions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import regex

from studio.platforms.counting import count, grapheme_length, x_has_invalid_characters
from studio.platforms.limits import KINDS, PlatformRules
from studio.platforms.media_presets import PRESETS
from studio.platforms.textparse import Entity, entities_for

__all__ = ["MediaInfo", "Problem", "validate_variant"]

ASPECT_TOLERANCE = 0.01  # renditions round to whole pixels: 1080x566 is "1.91:1"
_SURROGATE = regex.compile(r"[\ud800-\udfff]")
_SPACE_OR_CONTROL = regex.compile(r"[\s\p{Cc}]")
_UNIT_WORDS = {
    "weighted": "characters",
    "graphemes": "characters",
    "characters": "characters",
    "bytes": "bytes",
}
_COUNTING_NOTES = {
    "x": "X counts each link as 23 and each emoji as 2; CJK characters count 2",
    "mastodon": "Mastodon counts each link as 23 and a remote @user@server as @user",
    "bluesky": "Bluesky counts what you see: one emoji or accented letter is one",
    "threads": "Threads counts each emoji as several characters (its UTF-8 bytes)",
    "youtube": "YouTube measures the description in bytes: accents and emoji take 2-4",
}
_KIND_WORDS = {"image": "image", "gif": "GIF", "video": "video"}


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """One attached medium as it will be posted (the rendition, not the original)."""

    kind: str  # "image" | "gif" | "video"
    width: int | None = None
    height: int | None = None
    bytes: int | None = None
    mime: str | None = None
    alt_text: str = ""
    preset_id: str | None = None
    duration_s: float | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that stops (error) or weakens (warning) a variant on its platform."""

    platform: str
    code: str
    severity: str  # "error" | "warning"
    message: str
    hint: str
    target: str = (
        "text"  # "text" | "media" | "title" | "first_comment" | "link" | "tags" | "platform"
    )
    media_index: int | None = None


def _n(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _size(num_bytes: int) -> str:
    if num_bytes >= 1_000_000:
        return f"{num_bytes / 1_000_000:,.1f} MB".replace(".0 MB", " MB")
    if num_bytes >= 1_000:
        return f"{num_bytes / 1_000:,.0f} KB"
    return f"{num_bytes} bytes"


def _a(word: str) -> str:
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def _plural(n: int, word: str) -> str:
    return f"{_n(n)} {word}" + ("" if n == 1 else "s")


class _Collector:
    def __init__(self, rules: PlatformRules) -> None:
        self.rules = rules
        self.problems: list[Problem] = []

    def add(
        self,
        code: str,
        message: str,
        hint: str,
        *,
        severity: str = "error",
        target: str = "text",
        media_index: int | None = None,
    ) -> None:
        name = self.rules.name
        self.problems.append(
            Problem(
                self.rules.slug, code, severity, f"{name}: {message}", hint, target, media_index
            )
        )


def validate_variant(
    platform: str,
    text: str,
    media: Sequence[MediaInfo],
    options: Mapping[str, Any] | None,
    rules: PlatformRules,
    *,
    tags: Iterable[str] = (),
) -> list[Problem]:
    """Return every problem with ``platform``'s variant: errors first, then warnings.

    ``rules`` comes from :func:`limits.rules_for` (with the brand's overrides). ``options``
    may hold ``brand_platforms`` (the brand's platform slugs), ``require_alt_text`` (bool),
    ``content_warning`` (Mastodon), ``title`` (YouTube, Pinterest, TikTok photo posts),
    ``first_comment`` and ``link`` (Pinterest's destination). ``tags`` are YouTube's video
    tags, or for other platforms hashtags the publisher adds outside the text; they count
    toward the hashtag caps.
    """
    if platform != rules.slug:
        raise ValueError(f"rules are for {rules.slug!r}, not {platform!r}")
    options = options or {}
    text = text or ""
    media = list(media or ())
    tags = [str(t) for t in tags if str(t).strip()]
    out = _Collector(rules)

    brand_platforms = options.get("brand_platforms")
    if brand_platforms is not None and platform not in set(brand_platforms):
        out.add(
            "platform_not_used",
            "this brand does not publish here.",
            f"Remove the {rules.name} variant, or add {rules.name} to the brand's platforms.",
            target="platform",
        )

    _check_text(out, text, media, options)
    _check_entities(out, text, tags)
    _check_media(out, media, bool(options.get("require_alt_text")))
    _check_fields(out, options, media, tags)
    return sorted(out.problems, key=lambda p: p.severity != "error")


def _is_photo_post(rules: PlatformRules, media: list[MediaInfo]) -> bool:
    return (
        rules.photo_text_limit is not None and bool(media) and all(m.kind == "image" for m in media)
    )


def _check_text(
    out: _Collector, text: str, media: list[MediaInfo], options: Mapping[str, Any]
) -> None:
    rules = out.rules
    warning = str(options.get("content_warning") or "")
    if not text.strip() and not media and not warning.strip():
        out.add(
            "empty_post",
            "the post has no text and no media.",
            f"Write the {rules.name} text or attach media.",
        )
        return
    if _SURROGATE.search(text):
        out.add(
            "invalid_characters",
            "the text holds broken characters (unpaired UTF-16 surrogates).",
            "Retype or re-paste the text; it was damaged when copied.",
        )
    if rules.slug == "x" and x_has_invalid_characters(text):
        out.add(
            "invalid_characters",
            "the text holds characters X refuses (U+FFFE, U+FEFF or U+FFFF).",
            "Remove the invisible characters, often left by copying from documents.",
        )
    if rules.forbidden_chars and any(ch in text for ch in rules.forbidden_chars):
        shown = " and ".join(f"'{ch}'" for ch in rules.forbidden_chars)
        out.add(
            "invalid_characters",
            f"the text may not contain {shown}.",
            f"Reword the {rules.name} text without {shown}.",
        )
    photo_post = _is_photo_post(rules, media)
    result = count(rules.slug, text, rules=rules, content_warning=warning, photo_post=photo_post)
    unit = _UNIT_WORDS.get(result.unit, "characters")
    note = _COUNTING_NOTES.get(rules.slug, "")
    if result.remaining < 0:
        over = -result.remaining
        counted = (
            "text and content warning are"
            if warning and rules.content_warning_counts
            else "text is"
        )
        override = " (an override for this brand)" if "text_limit" in rules.overridden else ""
        out.add(
            "text_too_long",
            f"the {counted} {_n(over)} {unit} over the limit "
            f"({_n(result.length)} of {_n(result.limit)}{override}).",
            f"Shorten the {rules.name} variant by {_n(over)} {unit}."
            + (f" {note}." if note else ""),
        )
    remaining_bytes = result.bytes_remaining
    if remaining_bytes is not None and remaining_bytes < 0:
        out.add(
            "text_too_many_bytes",
            f"the text is {_n(-remaining_bytes)} bytes over the limit "
            f"({_n(result.bytes or 0)} of {_n(result.byte_limit or 0)} bytes).",
            f"Shorten the {rules.name} variant: emoji and non-Latin letters take 2-4 bytes each.",
        )


def _check_entities(out: _Collector, text: str, tags: list[str]) -> None:
    rules = out.rules
    entities: tuple[Entity, ...] = entities_for(rules.slug, text) if text else ()
    hashtags = [e for e in entities if e.kind == "hashtag"]
    extra = [] if rules.slug == "youtube" else tags
    n_tags = len(hashtags) + len(extra)
    if rules.hashtag_max is not None and n_tags > rules.hashtag_max:
        cut = n_tags - rules.hashtag_max
        out.add(
            "too_many_hashtags",
            f"{_n(n_tags)} hashtags; {rules.name} allows at most {_n(rules.hashtag_max)}.",
            f"Remove {_plural(cut, 'hashtag')} from the {rules.name} variant.",
        )
    elif rules.hashtag_soft_max is not None and n_tags > rules.hashtag_soft_max:
        note = rules.source_of("hashtag_soft_max").note
        out.add(
            "hashtags_ignored",
            f"{_n(n_tags)} hashtags; {rules.name} uses at most {_n(rules.hashtag_soft_max)}."
            + (f" {note}" if note else ""),
            f"Keep the {_plural(rules.hashtag_soft_max, 'hashtag')} that matter most.",
            severity="warning",
        )
    if rules.mention_max is not None:
        mentions = sum(1 for e in entities if e.kind == "mention")
        if mentions > rules.mention_max:
            out.add(
                "too_many_mentions",
                f"{_n(mentions)} mentions; {rules.name} allows at most {_n(rules.mention_max)}.",
                f"Remove {_plural(mentions - rules.mention_max, 'mention')}.",
            )
    if rules.link_max is not None:
        links = {e.value.lower() for e in entities if e.kind == "url"}
        if len(links) > rules.link_max:
            out.add(
                "too_many_links",
                f"{_n(len(links))} different links; {rules.name} allows at most "
                f"{_n(rules.link_max)} and fails the post otherwise.",
                f"Remove {_plural(len(links) - rules.link_max, 'link')}.",
            )


def _aspect_label(ratio: float) -> str:
    return f"{ratio:.2f}:1"


def _check_media(out: _Collector, media: list[MediaInfo], require_alt: bool) -> None:
    rules = out.rules
    n = len(media)
    allowed = " or ".join(_KIND_WORDS[k] + "s" for k in rules.media_kinds)
    if n < rules.media_min:
        out.add(
            "media_required",
            f"needs at least {_n(rules.media_min)} of {allowed}; it cannot publish text alone.",
            f"Attach {_a(_KIND_WORDS[rules.media_kinds[0]])} to the {rules.name} variant.",
            target="media",
        )
    if n > rules.media_max:
        out.add(
            "too_many_media",
            f"{_n(n)} media attached; {rules.name} takes at most {_n(rules.media_max)}.",
            f"Remove {_n(n - rules.media_max)} from the {rules.name} variant.",
            target="media",
        )
    kinds_seen: dict[str, int] = {}
    for index, item in enumerate(media):
        kind = (item.kind or "").lower()
        if kind not in KINDS:
            out.add(
                "media_kind_unknown",
                f"item {index + 1} is of an unknown kind ({item.kind!r}).",
                "Re-upload it as an image, GIF or video.",
                target="media",
                media_index=index,
            )
            continue
        kinds_seen[kind] = kinds_seen.get(kind, 0) + 1
        if kind not in rules.media_kinds:
            out.add(
                "media_kind_not_allowed",
                f"item {index + 1} is {_a(_KIND_WORDS[kind])}; {rules.name} takes only {allowed}.",
                f"Leave this {_KIND_WORDS[kind]} out of the {rules.name} variant"
                f" or replace it with {_a(_KIND_WORDS[rules.media_kinds[0]])}.",
                target="media",
                media_index=index,
            )
            continue
        _check_item(out, index, kind, item, require_alt)
    for kind, seen in kinds_seen.items():
        if (
            kind in rules.media_kinds
            and seen > rules.max_for_kind(kind)
            and seen <= rules.media_max
        ):
            out.add(
                "too_many_of_kind",
                f"{_n(seen)} {_KIND_WORDS[kind]}s; {rules.name} takes at most "
                f"{_n(rules.max_for_kind(kind))} per post.",
                f"Keep {_n(rules.max_for_kind(kind))} and remove the rest.",
                target="media",
            )
    present = [k for k in kinds_seen if k in rules.media_kinds]
    exclusive = [k for k in present if k in rules.exclusive_kinds]
    if len(present) > 1 and exclusive:
        words = " or ".join(_KIND_WORDS[k] for k in exclusive)
        out.add(
            "mixed_media",
            f"{_a(words)} must be the post's only media; this variant mixes "
            + " and ".join(_KIND_WORDS[k] + "s" for k in present)
            + ".",
            f"Keep either the {words} or the other media in the {rules.name} variant.",
            target="media",
        )


def _check_item(out: _Collector, index: int, kind: str, item: MediaInfo, require_alt: bool) -> None:
    rules = out.rules
    label = f"{_KIND_WORDS[kind]} {index + 1}"

    def add(code: str, message: str, hint: str, severity: str = "error") -> None:
        out.add(code, message, hint, severity=severity, target="media", media_index=index)

    cap = rules.max_bytes_for_kind(kind)
    if cap is not None and item.bytes is not None and item.bytes > cap:
        add(
            "media_too_large",
            f"{label} is {_size(item.bytes)}; {rules.name} takes up to {_size(cap)}.",
            "Use a smaller rendition (lower quality or size) for this platform.",
        )
    mimes = rules.video_mimes if kind == "video" else rules.image_mimes
    if mimes is not None and item.mime and item.mime.lower() not in mimes:
        add(
            "media_type_not_allowed",
            f"{label} is {item.mime}; {rules.name} takes "
            + ", ".join(m.split("/")[1].upper() for m in mimes)
            + ".",
            "Export the rendition in one of those formats.",
        )
    width, height = item.width, item.height
    has_size = isinstance(width, int | float) and isinstance(height, int | float)
    if has_size and width > 0 and height > 0 and kind != "video":
        if (rules.image_max_width and width > rules.image_max_width) or (
            rules.image_max_height and height > rules.image_max_height
        ):
            add(
                "media_too_many_pixels",
                f"{label} is {_n(width)} x {_n(height)} px; {rules.name} takes up to "
                f"{_n(rules.image_max_width or width)} x {_n(rules.image_max_height or height)}.",
                "Use a smaller rendition.",
            )
        if rules.image_max_pixels and width * height > rules.image_max_pixels:
            add(
                "media_too_many_pixels",
                f"{label} has {width * height / 1e6:.1f} MP; {rules.name} takes up to "
                f"{rules.image_max_pixels / 1e6:.0f} MP.",
                "Use a smaller rendition.",
            )
        if rules.image_soft_max_width and width > rules.image_soft_max_width:
            add(
                "media_downscaled",
                f"{label} is {_n(width)} px wide; {rules.name} shrinks it to "
                f"{_n(rules.image_soft_max_width)}.",
                f"Use a {_n(rules.image_soft_max_width)} px wide rendition to control sharpening.",
                severity="warning",
            )
        ratio = width / height
        lo, hi = rules.aspect_min, rules.aspect_max
        if (lo is not None and ratio < lo * (1 - ASPECT_TOLERANCE)) or (
            hi is not None and ratio > hi * (1 + ASPECT_TOLERANCE)
        ):
            out.add(
                "aspect_out_of_range",
                f"{label} is {_aspect_label(ratio)}; {rules.name} takes "
                f"{_aspect_label(lo or 0)} to {_aspect_label(hi or math.inf)}.",
                f"Crop it with one of {rules.name}'s presets (e.g. 4:5 portrait or 1:1).",
                target="media",
                media_index=index,
            )
        _check_preset(out, index, label, item, ratio)
    seconds = item.duration_s
    if kind == "video" and isinstance(seconds, int | float) and seconds >= 0:
        if rules.video_max_seconds is not None and seconds > rules.video_max_seconds:
            add(
                "video_too_long",
                f"{label} runs {_n(seconds)} s; {rules.name} takes up to "
                f"{_n(rules.video_max_seconds)} s.",
                "Trim the video for this platform.",
            )
        if rules.video_min_seconds is not None and seconds < rules.video_min_seconds:
            add(
                "video_too_short",
                f"{label} runs {_n(seconds)} s; {rules.name} needs at least "
                f"{_n(rules.video_min_seconds)} s.",
                "Use a longer clip.",
            )
    alt = item.alt_text or ""
    if kind in ("image", "gif") and rules.alt_text_supported:
        if require_alt and not alt.strip():
            add(
                "missing_alt_text",
                f"{label} has no alt text, and this brand requires it.",
                "Describe the image for people using screen readers.",
            )
        if rules.alt_text_max is not None:
            length = grapheme_length(alt) if rules.slug == "bluesky" else len(alt)
            if length > rules.alt_text_max:
                add(
                    "alt_text_too_long",
                    f"{label}'s alt text is {_n(length)} characters; {rules.name} takes up to "
                    f"{_n(rules.alt_text_max)}.",
                    f"Shorten it by {_n(length - rules.alt_text_max)} characters.",
                )


def _check_preset(out: _Collector, index: int, label: str, item: MediaInfo, ratio: float) -> None:
    if not item.preset_id:
        return
    rules = out.rules
    preset = PRESETS.get(item.preset_id)
    if preset is None:
        out.add(
            "preset_unknown",
            f"{label} names a crop preset Plume does not know ({item.preset_id!r}).",
            f"Pick one of {rules.name}'s presets for this image.",
            severity="warning",
            target="media",
            media_index=index,
        )
        return
    if preset.platform != rules.slug:
        out.add(
            "preset_other_platform",
            f"{label} uses the {preset.label} crop, made for another platform.",
            f"Pick one of {rules.name}'s presets for this image.",
            severity="warning",
            target="media",
            media_index=index,
        )
    if abs(ratio - preset.aspect) > preset.aspect * ASPECT_TOLERANCE:
        out.add(
            "aspect_mismatch_preset",
            f"{label} is {_aspect_label(ratio)} but its preset {preset.label} is "
            f"{preset.aspect_label}.",
            "Re-crop the image with its preset so the platform shows what you framed.",
            severity="warning",
            target="media",
            media_index=index,
        )


def _check_fields(
    out: _Collector, options: Mapping[str, Any], media: list[MediaInfo], tags: list[str]
) -> None:
    rules = out.rules
    title = str(options.get("title") or "")
    title_limit = rules.title_limit
    if _is_photo_post(rules, media) and rules.photo_title_limit is not None:
        title_limit = rules.photo_title_limit
    if rules.title_required and not title.strip():
        out.add(
            "title_required",
            "a title is required.",
            f"Add a title (up to {_n(title_limit or 100)} characters) to the {rules.name} variant.",
            target="title",
        )
    if title and title_limit is not None and len(title) > title_limit:
        out.add(
            "title_too_long",
            f"the title is {_n(len(title))} characters; {rules.name} takes up to "
            f"{_n(title_limit)}.",
            f"Shorten the title by {_n(len(title) - title_limit)} characters.",
            target="title",
        )
    if title and rules.forbidden_chars and any(ch in title for ch in rules.forbidden_chars):
        shown = " and ".join(f"'{ch}'" for ch in rules.forbidden_chars)
        out.add(
            "invalid_characters",
            f"the title may not contain {shown}.",
            f"Replace {shown} in the title.",
            target="title",
        )
    comment = str(options.get("first_comment") or "")
    if comment and rules.comment_limit is not None and len(comment) > rules.comment_limit:
        out.add(
            "first_comment_too_long",
            f"the first comment is {_n(len(comment))} characters; {rules.name} takes up to "
            f"{_n(rules.comment_limit)}.",
            f"Shorten the first comment by {_n(len(comment) - rules.comment_limit)} characters.",
            target="first_comment",
        )
    link = str(options.get("link") or "").strip()
    if link and rules.link_field_max is not None:
        try:
            parts = urlsplit(link)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            parts = None
        if (
            parts is None
            or parts.scheme.lower() not in ("http", "https")
            or not parts.netloc
            or _SPACE_OR_CONTROL.search(link)
        ):
            out.add(
                "link_invalid",
                f"the destination link {link[:80]!r} is not a web address.",
                "Use a full address starting with https://.",
                target="link",
            )
        elif len(link) > rules.link_field_max:
            out.add(
                "link_too_long",
                f"the destination link is {_n(len(link))} characters; {rules.name} takes up to "
                f"{_n(rules.link_field_max)}.",
                "Use a shorter link (drop tracking parameters you do not need).",
                target="link",
            )
    if rules.tags_limit is not None and tags:
        # YouTube counts a tag with spaces with its quotes, and the commas between tags.
        total = sum(len(t) + (2 if " " in t else 0) for t in tags) + len(tags) - 1
        if total > rules.tags_limit:
            out.add(
                "tags_too_long",
                f"the video tags take {_n(total)} characters; {rules.name} takes up to "
                f"{_n(rules.tags_limit)}.",
                f"Remove tags worth {_n(total - rules.tags_limit)} characters.",
                target="tags",
            )
