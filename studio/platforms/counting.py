"""Count post text exactly as each platform does.

- **X**: twitter-text v3 weighted length (``config/v3.json``): NFC first; code points in
  U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F and U+2032-U+2037 weigh 1, all others 2;
  every URL twitter-text finds counts 23; an emoji sequence counts 2.
- **Bluesky**: extended grapheme clusters (limit 300) and UTF-8 bytes (limit 3,000).
- **Mastodon**: ``StatusLengthValidator``: links with a protocol count 23, a remote mention
  ``@user@domain`` counts as ``@user``, the content warning shares the limit, and the result
  is measured in grapheme clusters (Mastodon switched from code points to graphemes).
- **Threads**: characters, with each emoji counted as its UTF-8 bytes (Meta's API docs).
- **YouTube**: the description's UTF-8 bytes (Data API: "5000 bytes").
- **Everyone else** documents "characters": Plume counts code points after NFC, so an
  accented letter typed as two code points still counts once, and an emoji counts as the
  code points it is made of (a conservative reading for platforms that count UTF-16).

Why not PyPI's ``twitter-text-parser`` 3.0.0: it passes the weighted-length conformance
cases, but takes ~11 ms per 1,500-character caption, imports the undeclared
``pkg_resources``, and its emoji data stops at Unicode 12 (a 2023 family emoji counts 8,
not 2). This module follows the same published algorithm with current Unicode data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import regex

from studio.platforms.limits import PLATFORMS, PlatformRules, UnknownPlatformError
from studio.platforms.textparse import (
    extract_bluesky_entities,
    extract_mastodon_mentions,
    extract_mastodon_urls,
    extract_urls,
    remove_overlapping,
)

__all__ = [
    "V2",
    "V3",
    "Count",
    "TwitterTextConfig",
    "bluesky_bytes",
    "bluesky_facets",
    "bluesky_length",
    "character_length",
    "count",
    "grapheme_length",
    "mastodon_length",
    "threads_length",
    "utf8_length",
    "weighted_length_x",
    "with_dids",
    "x_has_invalid_characters",
]

NEAR_RATIO = 0.9  # counters turn amber from 90 % of the limit


@dataclass(frozen=True, slots=True)
class Count:
    """A text's length as the platform measures it, against that platform's limit."""

    length: int
    limit: int
    remaining: int
    unit: str  # "weighted" | "graphemes" | "characters" | "bytes"
    bytes: int | None = None  # UTF-8 bytes, where the platform also caps bytes
    byte_limit: int | None = None

    @property
    def bytes_remaining(self) -> int | None:
        """Return the bytes left before the byte cap, if the platform has one."""
        if self.bytes is None or self.byte_limit is None:
            return None
        return self.byte_limit - self.bytes

    @property
    def over(self) -> bool:
        """Return whether the text is past the length or byte limit."""
        remaining_bytes = self.bytes_remaining
        return self.remaining < 0 or (remaining_bytes is not None and remaining_bytes < 0)

    @property
    def level(self) -> str:
        """Return "over", "near" (from 90 % of a limit) or "ok", for counter colours."""
        if self.over:
            return "over"
        near = self.length >= self.limit * NEAR_RATIO
        if self.bytes is not None and self.byte_limit is not None:
            near = near or self.bytes >= self.byte_limit * NEAR_RATIO
        return "near" if near else "ok"


# ---------------------------------------------------------------------------------------
# X: twitter-text parseTweet
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwitterTextConfig:
    """A twitter-text counting configuration (``config/v*.json``)."""

    max_weighted_length: int = 280
    scale: int = 100
    default_weight: int = 200
    transformed_url_length: int = 23
    emoji_parsing: bool = True
    ranges: tuple[tuple[int, int, int], ...] = (
        (0, 4351, 100),
        (8192, 8205, 100),
        (8208, 8223, 100),
        (8242, 8247, 100),
    )
    _heavy: regex.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len({weight for _, _, weight in self.ranges}) > 1:
            raise ValueError("twitter-text ranges must share one weight")
        light = "".join(f"{_class_char(lo)}-{_class_char(hi)}" for lo, hi, _ in self.ranges)
        heavy = regex.compile(f"[^{light}]" if light else r"[\s\S]")
        object.__setattr__(self, "_heavy", heavy)

    @property
    def light_weight(self) -> int:
        """Return the weight of code points inside the configured ranges."""
        return self.ranges[0][2] if self.ranges else self.default_weight

    def weight_of(self, char: str) -> int:
        """Return the (scaled) weight of one code point."""
        point = ord(char)
        for lo, hi, weight in self.ranges:
            if lo <= point <= hi:
                return weight
        return self.default_weight

    def weigh(self, text: str) -> int:
        """Return the summed (scaled) weight of ``text``'s code points."""
        heavy = len(self._heavy.findall(text)) if not text.isascii() else 0
        return self.light_weight * (len(text) - heavy) + self.default_weight * heavy


def _class_char(code_point: int) -> str:
    return f"\\U{code_point:08x}"


V3 = TwitterTextConfig()
V2 = TwitterTextConfig(emoji_parsing=False)

# One emoji "element" per UTS #51: a keycap, a flag, or an emoji code point with an optional
# skin tone, VS16 or tag sequence; elements joined by ZWJ form one sequence. Digits, "#" and
# "*" are emoji only as keycaps. twitter-text counts text-style © ® as emoji too, so this does.
_EMOJI_ELEMENT = (
    r"(?:[#*0-9]\ufe0f?\u20e3"
    r"|\p{Regional_Indicator}\p{Regional_Indicator}"
    r"|(?![#*0-9])\p{Emoji}(?:\p{Emoji_Modifier}|\ufe0f|[\U000e0020-\U000e007e]+\U000e007f)?)"
)
EMOJI_RE = regex.compile(f"{_EMOJI_ELEMENT}(?:\u200d{_EMOJI_ELEMENT})*")
_X_INVALID = regex.compile("[\ufffe\ufeff\uffff]")
_NEWLINES = regex.compile(r"\r\n|\r")


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


@lru_cache(maxsize=128)
def _weighted(text: str, config: TwitterTextConfig, url_length: int) -> int:
    # twitter-text converts line endings to "\n" before counting.
    normalized = _NEWLINES.sub("\n", _nfc(text))
    spans = [(e.start, e.end, url_length * config.scale) for e in extract_urls(normalized)]
    if config.emoji_parsing and not normalized.isascii():
        spans.extend(
            (m.start(), m.end(), config.default_weight) for m in EMOJI_RE.finditer(normalized)
        )
    # URLs sort before emoji at the same index, as parseTweet checks URLs first.
    spans.sort(key=lambda span: span[0])
    total, pos = 0, 0
    for start, end, weight in spans:
        if start < pos:
            continue
        total += config.weigh(normalized[pos:start]) + weight
        pos = end
    total += config.weigh(normalized[pos:])
    return total // config.scale


def weighted_length_x(
    text: str, *, config: TwitterTextConfig = V3, url_length: int | None = None
) -> int:
    """Return ``text``'s twitter-text weighted length (v3 by default)."""
    if not text:
        return 0
    length = config.transformed_url_length if url_length is None else url_length
    return _weighted(text, config, length)


def x_has_invalid_characters(text: str) -> bool:
    """Return whether ``text`` holds characters X refuses (U+FFFE, U+FEFF, U+FFFF)."""
    return bool(_X_INVALID.search(text))


# ---------------------------------------------------------------------------------------
# Graphemes and bytes: Bluesky, Mastodon
# ---------------------------------------------------------------------------------------

_GRAPHEME = regex.compile(r"\X")
_BLANK = regex.compile(r"[\p{White_Space}]*")


@lru_cache(maxsize=256)
def grapheme_length(text: str) -> int:
    """Return the number of extended grapheme clusters in ``text``."""
    if text.isascii():
        # In ASCII only CR LF joins into one cluster.
        return len(text) - text.count("\r\n")
    return len(_GRAPHEME.findall(text))


def utf8_length(text: str) -> int:
    """Return ``text``'s size in UTF-8 bytes (lone surrogates count 3, never raise)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def bluesky_length(text: str) -> int:
    """Return ``text``'s length as Bluesky limits it: grapheme clusters."""
    return grapheme_length(text)


def bluesky_bytes(text: str) -> int:
    """Return ``text``'s UTF-8 size, which Bluesky caps at 3,000."""
    return utf8_length(text)


def _mastodon_countable(text: str, url_length: int) -> str:
    # StatusLengthValidator#countable_text
    if _BLANK.fullmatch(text):
        return ""
    entities = remove_overlapping([*extract_mastodon_urls(text), *extract_mastodon_mentions(text)])
    if not entities:
        return text
    parts, pos = [], 0
    for entity in entities:
        parts.append(text[pos : entity.start])
        if entity.kind == "url":
            parts.append("x" * url_length)
        else:
            parts.append("@" + entity.value.split("@", 1)[0])
        pos = entity.end
    parts.append(text[pos:])
    return "".join(parts)


def mastodon_length(text: str, content_warning: str = "", *, url_length: int = 23) -> int:
    """Return the length Mastodon's StatusLengthValidator gives ``text`` plus its warning."""
    return grapheme_length(content_warning + _mastodon_countable(text, url_length))


def threads_length(text: str) -> int:
    """Return ``text``'s length as Threads counts it: emoji weigh their UTF-8 bytes."""
    normalized = _nfc(text)
    length = len(normalized)
    if normalized.isascii():
        return length
    for m in EMOJI_RE.finditer(normalized):
        length += utf8_length(m.group()) - len(m.group())
    return length


def character_length(text: str) -> int:
    """Return the number of code points in ``text`` after NFC normalisation."""
    return len(_nfc(text))


# ---------------------------------------------------------------------------------------
# The one entry point
# ---------------------------------------------------------------------------------------


def count(
    platform: str,
    text: str,
    *,
    rules: PlatformRules | None = None,
    content_warning: str = "",
    photo_post: bool = False,
) -> Count:
    """Return ``text``'s length on ``platform`` against its limit.

    ``rules`` carries a brand's overrides (see :func:`limits.rules_for`); without it the
    platform defaults apply. ``content_warning`` counts on Mastodon only. ``photo_post``
    selects TikTok's longer photo-post caption limit.
    """
    if rules is None:
        rules = PLATFORMS.get(platform)
        if rules is None:
            raise UnknownPlatformError(platform)
    slug = rules.slug
    limit = rules.text_limit
    if photo_post and rules.photo_text_limit is not None:
        limit = rules.photo_text_limit
    text = text or ""
    size: int | None = None
    if slug == "x":
        length = weighted_length_x(text, url_length=rules.url_length)
    elif slug == "bluesky":
        length, size = bluesky_length(text), bluesky_bytes(text)
    elif slug == "mastodon":
        warning = content_warning if rules.content_warning_counts else ""
        length = mastodon_length(text, warning, url_length=rules.url_length or 23)
    elif slug == "threads":
        length = threads_length(text)
    elif rules.text_unit == "bytes":
        length = utf8_length(text)
    else:
        length = character_length(text)
    byte_limit = rules.text_byte_limit if size is not None else None
    return Count(length, limit, limit - length, rules.text_unit, size, byte_limit)


# ---------------------------------------------------------------------------------------
# Bluesky facets
# ---------------------------------------------------------------------------------------

_FACET = "app.bsky.richtext.facet"


def _byte_offsets(text: str, indices: list[int]) -> dict[int, int]:
    """Map each str index in ``indices`` to its UTF-8 byte offset, in one pass."""
    offsets, pos, size = {}, 0, 0
    for index in sorted(set(indices)):
        size += utf8_length(text[pos:index])
        offsets[index] = size
        pos = index
    return offsets


def bluesky_facets(text: str) -> list[dict]:
    """Return ``app.bsky.richtext.facet`` records for ``text``'s links, mentions and tags.

    Offsets are UTF-8 byte offsets, as atproto requires. A mention's feature carries the
    ``handle``; the publisher resolves it and swaps in the ``did`` (see :func:`with_dids`).
    """
    entities = extract_bluesky_entities(text)
    if not entities:
        return []
    offsets = _byte_offsets(text, [i for e in entities for i in (e.start, e.end)])
    facets = []
    for e in entities:
        if e.kind == "url":
            feature = {"$type": f"{_FACET}#link", "uri": e.value}
        elif e.kind == "mention":
            feature = {"$type": f"{_FACET}#mention", "handle": e.value}
        else:
            feature = {"$type": f"{_FACET}#tag", "tag": e.value}
        facets.append(
            {
                "$type": _FACET,
                "index": {"byteStart": offsets[e.start], "byteEnd": offsets[e.end]},
                "features": [feature],
            }
        )
    return facets


def with_dids(facets: list[dict], dids: Mapping[str, str]) -> list[dict]:
    """Return ``facets`` with each mention's handle replaced by its DID.

    Mentions whose handle is not in ``dids`` are dropped, as Bluesky's app drops mentions it
    cannot resolve; the text itself is unchanged.
    """
    resolved = []
    for facet in facets:
        features = []
        for feature in facet["features"]:
            if feature.get("$type") == f"{_FACET}#mention" and "did" not in feature:
                did = dids.get(feature.get("handle", "").lower()) or dids.get(
                    feature.get("handle", "")
                )
                if not did:
                    continue
                feature = {"$type": feature["$type"], "did": did}
            features.append(feature)
        if features:
            resolved.append({**facet, "features": features})
    return resolved
