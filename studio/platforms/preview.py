"""Pure data for live previews: styled text segments, the fold, and the link card.

The web layer renders these; nothing here builds HTML. Segment texts are raw user text (the
templates escape them), and every ``href`` is http(s) with quotes and angle brackets
percent-encoded, so a caption can never inject markup or a ``javascript:`` link.

Per platform, what the timeline styles as a link follows what the platform links:
Instagram and TikTok leave URLs in captions as plain text; LinkedIn and Facebook do not
link bare "@name" (tagging needs their own pickers); Threads links one topic tag per post;
Pinterest links nothing in a description.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote, urlsplit

import regex

from studio.platforms.counting import EMOJI_RE, V3
from studio.platforms.limits import PLATFORMS, PlatformRules, UnknownPlatformError
from studio.platforms.textparse import Entity, entities_for

__all__ = ["Fold", "Preview", "Segment", "card_url", "fold", "preview", "preview_segments"]

_LINKED: dict[str, frozenset[str]] = {
    "x": frozenset({"url", "mention", "hashtag", "cashtag"}),
    "instagram": frozenset({"mention", "hashtag"}),
    "facebook": frozenset({"url", "hashtag"}),
    "linkedin": frozenset({"url", "hashtag"}),
    "threads": frozenset({"url", "mention", "hashtag"}),
    "bluesky": frozenset({"url", "mention", "hashtag"}),
    "mastodon": frozenset({"url", "mention", "hashtag"}),
    "tiktok": frozenset({"mention", "hashtag"}),
    "pinterest": frozenset(),
    "youtube": frozenset({"url", "mention", "hashtag"}),
}
_MENTION_URLS = {
    "x": "https://x.com/{name}",
    "instagram": "https://www.instagram.com/{name}/",
    "threads": "https://www.threads.com/@{name}",
    "bluesky": "https://bsky.app/profile/{name}",
    "tiktok": "https://www.tiktok.com/@{name}",
    "youtube": "https://www.youtube.com/@{name}",
}
_HASHTAG_URLS = {
    "x": "https://x.com/hashtag/{tag}",
    "instagram": "https://www.instagram.com/explore/tags/{tag}/",
    "facebook": "https://www.facebook.com/hashtag/{tag}",
    "linkedin": "https://www.linkedin.com/feed/hashtag/{tag}/",
    "threads": "https://www.threads.com/search?q={tag}&serp_type=tags",
    "bluesky": "https://bsky.app/hashtag/{tag}",
    "tiktok": "https://www.tiktok.com/tag/{tag}",
    "youtube": "https://www.youtube.com/hashtag/{tag}",
}
_CASHTAG_URL = "https://x.com/search?q=%24{tag}"
_NEWLINE = regex.compile(r"\r\n|\r|\n|\u2028|\u2029")
_GRAPHEME = regex.compile(r"\X")
_SPACE = regex.compile(r"\s")
_HREF_UNSAFE = str.maketrans(
    {c: f"%{ord(c):02X}" for c in "\"'<>\\^`{|} \t\r\n"}
    | {chr(c): f"%{c:02X}" for c in range(0x20)}
)
WORD_BACKOFF = 20  # look this far back for a space to fold at, as platforms cut between words


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of post text and how the platform shows it."""

    kind: str  # "text" | "url" | "mention" | "hashtag" | "cashtag" | "newline"
    text: str  # the source text of the run
    display: str  # what the platform shows (a shortened URL on X and Mastodon)
    href: str | None = None


class Fold(NamedTuple):
    """Where the platform truncates the text: ``visible + (hidden or "") == text``."""

    visible: str
    hidden: str | None
    more_label: str | None


@dataclass(frozen=True, slots=True)
class Preview:
    """Segments for the text above the fold, below it, and the "more" label."""

    visible: list[Segment]
    hidden: list[Segment] | None
    more_label: str | None


def _rules(platform: str, rules: PlatformRules | None) -> PlatformRules:
    if rules is not None:
        return rules
    found = PLATFORMS.get(platform)
    if found is None:
        raise UnknownPlatformError(platform)
    return found


def _safe_href(url: str) -> str | None:
    if "://" not in url:
        url = "https://" + url
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # e.g. "http://[::1": not a usable address
        return None
    if scheme not in ("http", "https"):
        return None
    return url.translate(_HREF_UNSAFE)


def _display_url(platform: str, url: str) -> str:
    if platform == "x":
        # X shows the link without its scheme or "www.", cut after 25 characters.
        body = regex.sub(r"(?i)^https?://(?:www\.)?", "", url)
        return body if len(body) <= 26 else body[:25] + "…"
    if platform == "mastodon":
        # Mastodon's TextFormatter hides "http(s)://www." and cuts the rest at 30 characters.
        body = regex.sub(r"(?i)^https?://(?:www\.)?", "", url)
        return body if len(body) <= 30 else body[:30] + "…"
    return url


def _entity_segment(platform: str, entity: Entity, server: str | None) -> Segment:
    kind, text = entity.kind, entity.text
    if kind == "url":
        return Segment("url", text, _display_url(platform, text), _safe_href(entity.value))
    if kind == "mention":
        name = entity.value
        href = None
        if platform == "mastodon":
            user, _, domain = name.partition("@")
            host = domain or server
            href = f"https://{quote(host, safe='.-')}/@{quote(user)}" if host else None
        elif platform in _MENTION_URLS:
            href = _MENTION_URLS[platform].format(name=quote(name, safe="._-"))
        return Segment("mention", text, text, href)
    tag = quote(entity.value, safe="")
    if kind == "hashtag":
        if platform == "mastodon":
            href = f"https://{quote(server, safe='.-')}/tags/{tag}" if server else None
        else:
            href = _HASHTAG_URLS.get(platform, "").format(tag=tag) or None
        return Segment("hashtag", text, text, href)
    return Segment("cashtag", text, text, _CASHTAG_URL.format(tag=tag))


def _text_segments(text: str) -> list[Segment]:
    segments, pos = [], 0
    for m in _NEWLINE.finditer(text):
        if m.start() > pos:
            chunk = text[pos : m.start()]
            segments.append(Segment("text", chunk, chunk))
        segments.append(Segment("newline", m.group(), "\n"))
        pos = m.end()
    if pos < len(text):
        chunk = text[pos:]
        segments.append(Segment("text", chunk, chunk))
    return segments


def _linked_entities(platform: str, text: str) -> list[Entity]:
    linked = _LINKED.get(platform, frozenset())
    chosen, topic_used = [], False
    for entity in entities_for(platform, text):
        if entity.kind not in linked:
            continue
        if platform == "threads" and entity.kind == "hashtag":
            # Threads turns only the first tag into the post's topic.
            if topic_used:
                continue
            topic_used = True
        chosen.append(entity)
    return chosen


def preview_segments(platform: str, text: str, *, server: str | None = None) -> list[Segment]:
    """Return ``text`` split into segments styled as ``platform`` styles them.

    Joining every segment's ``text`` gives back ``text`` exactly. ``server`` is the brand's
    Mastodon server, used to link local mentions and hashtags.
    """
    if platform not in PLATFORMS:
        raise UnknownPlatformError(platform)
    return list(_segments(platform, text or "", server))


@lru_cache(maxsize=256)
def _segments(platform: str, text: str, server: str | None) -> tuple[Segment, ...]:
    # Cached as a tuple: previews re-render on every keystroke, mostly for unchanged text.
    segments: list[Segment] = []
    pos = 0
    for entity in _linked_entities(platform, text):
        segments.extend(_text_segments(text[pos : entity.start]))
        segments.append(_entity_segment(platform, entity, server))
        pos = entity.end
    segments.extend(_text_segments(text[pos:]))
    return tuple(segments)


def _x_prefix_end(text: str, budget: int) -> int:
    """Return the longest prefix of ``text`` within ``budget`` weighted X characters."""
    spans = [(e.start, e.end, 23 * V3.scale) for e in entities_for("x", text) if e.kind == "url"]
    if not text.isascii():
        spans += [(m.start(), m.end(), V3.default_weight) for m in EMOJI_RE.finditer(text)]
    spans.sort()
    limit, used, pos = budget * V3.scale, 0, 0
    for start, end, weight in [*spans, (len(text), len(text), 0)]:
        if start < pos:
            continue
        for i in range(pos, start):
            used += V3.weight_of(text[i])
            if used > limit:
                return i
        if used + weight > limit:
            return start
        used += weight
        pos = end
    return len(text)


class _FoldRules(NamedTuple):
    slug: str
    fold_chars: int | None
    fold_lines: int | None
    more_label: str | None


def _cut_index(rules: _FoldRules, text: str) -> int | None:
    """Return where ``rules`` fold ``text``, before any word or entity adjustment."""
    cut: int | None = None
    if rules.fold_chars is not None:
        if rules.slug == "x":
            end = _x_prefix_end(text, rules.fold_chars)
        else:
            end = min(len(text), rules.fold_chars)
        if end < len(text):
            cut = end
    if rules.fold_lines is not None:
        breaks = [m.start() for m in _NEWLINE.finditer(text)]
        if len(breaks) >= rules.fold_lines:
            line_end = breaks[rules.fold_lines - 1]
            if text[line_end:].strip() and (cut is None or line_end < cut):
                cut = line_end
    return cut


def _grapheme_start(text: str, index: int) -> int:
    """Return the start of the grapheme cluster that holds ``index``."""
    # Walk from the start: a cluster can be arbitrarily long (a letter with 1,000 marks).
    for m in _GRAPHEME.finditer(text):
        if m.end() > index:
            return m.start()
    return len(text)


def fold(platform: str, text: str, *, rules: PlatformRules | None = None) -> Fold:
    """Return where ``platform`` folds ``text`` behind its "more" link.

    The cut never falls inside a grapheme cluster, a link, mention or hashtag, and prefers
    the last space before the platform's limit, as the apps cut between words.
    """
    rules = _rules(platform, rules)
    return _fold(rules.slug, text or "", rules.fold_chars, rules.fold_lines, rules.more_label)


@lru_cache(maxsize=256)
def _fold(
    slug: str, text: str, fold_chars: int | None, fold_lines: int | None, more_label: str | None
) -> Fold:
    rules = _FoldRules(slug, fold_chars, fold_lines, more_label)
    cut = _cut_index(rules, text)
    if cut is None:
        return Fold(text, None, None)
    cut = _grapheme_start(text, cut)
    for entity in entities_for(rules.slug, text):
        if entity.start < cut < entity.end:
            cut = entity.start
            break
    window = text[max(0, cut - WORD_BACKOFF) : cut]
    if cut < len(text) and not _SPACE.match(text, cut):
        spaces = [m.start() for m in _SPACE.finditer(window)]
        if spaces and cut - len(window) + spaces[-1] > 0:
            cut = cut - len(window) + spaces[-1]
    if cut <= 0:
        # The first entity is longer than the fold: show it whole, as the apps do.
        first = next(iter(entities_for(rules.slug, text)), None)
        cut = first.end if first is not None and first.start == 0 else _grapheme_after(text, 0)
    if cut >= len(text):
        return Fold(text, None, None)
    return Fold(text[:cut], text[cut:], rules.more_label)


def _grapheme_after(text: str, index: int) -> int:
    m = _GRAPHEME.match(text, index)
    return m.end() if m else len(text)


def preview(
    platform: str, text: str, *, rules: PlatformRules | None = None, server: str | None = None
) -> Preview:
    """Return the segments above and below ``platform``'s fold, and its "more" label."""
    visible, hidden, label = fold(platform, text, rules=rules)
    segments = preview_segments(platform, text, server=server)
    if hidden is None:
        return Preview(segments, None, None)
    cut = len(visible)
    above: list[Segment] = []
    below: list[Segment] = []
    pos = 0
    for seg in segments:
        end = pos + len(seg.text)
        if end <= cut:
            above.append(seg)
        elif pos >= cut:
            below.append(seg)
        else:
            # Only plain text can straddle the fold: entities are never cut.
            head, tail = seg.text[: cut - pos], seg.text[cut - pos :]
            above.append(Segment(seg.kind, head, head, seg.href))
            below.append(Segment(seg.kind, tail, tail, seg.href))
        pos = end
    return Preview(above, below, label)


def card_url(platform: str, text: str) -> str | None:
    """Return the link a platform would turn into a preview card, if any.

    X builds its card from the last link; the others from the first.
    """
    if platform not in PLATFORMS:
        raise UnknownPlatformError(platform)
    links = [e for e in entities_for(platform, text or "") if e.kind == "url"]
    if not links:
        return None
    chosen = links[-1] if platform == "x" else links[0]
    return _safe_href(chosen.value)
