"""Find links, mentions, hashtags and cashtags in post text, with their spans.

Platforms disagree about what is a link or a mention, so there are three dialects:

- **twitter-text** (:func:`extract_entities`): a port of twitter-text 3 (the regexes behind
  X's counter and linkifier), checked against its conformance suite. Plume also uses it for
  platforms that publish no rules of their own (Instagram, LinkedIn, Facebook, Threads,
  TikTok, Pinterest, YouTube).
- **Mastodon** (:func:`extract_mastodon_entities`): twitter-text Ruby with Mastodon's
  overrides (``config/initializers/twitter_regex.rb``), ``Account::MENTION_RE`` for local and
  remote mentions, and ``Tag::HASHTAG_RE``; links need a protocol.
- **Bluesky** (:func:`extract_bluesky_entities`): atproto's ``detectFacets``
  (``packages/api/src/rich-text``).

Spans are ``str`` indices (code points), half-open. All functions are pure and cached, so
counting, validation and previews can share one parse of the same text.
"""

# ruff: noqa: RUF001  -- full-width @ and # (U+FF20, U+FF03) are part of the published grammars

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import regex

from studio.platforms.tlds import TLDS

__all__ = [
    "Entity",
    "entities_for",
    "extract_bluesky_entities",
    "extract_cashtags",
    "extract_entities",
    "extract_handle_mentions",
    "extract_hashtags",
    "extract_mastodon_entities",
    "extract_mastodon_mentions",
    "extract_mastodon_urls",
    "extract_mentions",
    "extract_mentions_or_lists",
    "extract_urls",
    "remove_overlapping",
]

# A DNS label is at most 63 octets, and a Unicode label's punycode is never shorter than the
# label, so longer runs can never be valid hosts. Bounding the label (with the TLD prefilter
# and the timeout below) keeps the scan near-linear on long unbroken text such as 100,000 CJK
# characters, where the unbounded published regex is quadratic.
_MAX_LABEL = 63
MAX_URL_LENGTH = 4096  # twitter-text extractUrlsWithIndices
MAX_TCO_SLUG_LENGTH = 40
_CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class Entity:
    """One link, mention, hashtag or cashtag found in a text."""

    kind: str  # "url" | "mention" | "hashtag" | "cashtag"
    start: int
    end: int
    text: str  # the source text of the span, e.g. "@ann@example.social", "#tag", "$ACME"
    value: str  # URL as written; handle without "@" (may hold "@domain"); tag without "#"
    list_slug: str = ""  # X list mentions only, e.g. "/team"


# ---------------------------------------------------------------------------------------
# Shared character classes (twitter-text js/src/regexp/*)
# ---------------------------------------------------------------------------------------

_SPACES = "\t\n\x0b\x0c\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID = "\ufffe\ufeff\uffff"
_DIRECTIONAL = "\u202a-\u202e\u061c\u200e\u200f\u2066\u2067\u2068\u2069"
_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]\^_{|}~$"
_LATIN_ACCENTS = (
    "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
    "\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"
_DOMAIN_CHAR = f"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
_DOMAIN_CHAR_OR_SEP = f"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]|[_-]"


def _trie_pattern(words: list[str]) -> str:
    """Return a regex alternation for ``words`` shaped as a trie, so matching stays fast."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [regex.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


# twitter-text JS stops a TLD before [0-9a-zA-Z@+-]; the current conformance suite expects
# "http://domain.com-that-you-should-have-put-a-space-after" to yield "http://domain.com",
# so a hyphen may follow the TLD here.
_TLD = "(?:" + _trie_pattern(sorted(TLDS)) + ")(?=[^0-9a-zA-Z@+]|$)"
_PUNYCODE = r"(?:xn--[\-0-9a-z]+)"
# Labels: a run of label characters that starts and ends with a domain character. Possessive
# quantifiers are safe because "." can never be a label character.
_SUBDOMAIN = f"(?:{_DOMAIN_CHAR}(?:{_DOMAIN_CHAR_OR_SEP}){{0,{_MAX_LABEL - 1}}}+(?<![_-])\\.)"
_DOMAIN_NAME = f"(?:{_DOMAIN_CHAR}(?:{_DOMAIN_CHAR}|-){{0,{_MAX_LABEL - 1}}}+(?<!-)\\.)"
_DOMAIN = f"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}(?:{_TLD}|{_PUNYCODE}))"
_URL_PRECEDING = f"(?:[^A-Za-z0-9@＠$#＃{_INVALID}]|[{_DIRECTIONAL}]|^)"


def _balanced_parens(path_char: str) -> str:
    return rf"\((?:{path_char}+|(?:{path_char}*\({path_char}+\){path_char}*))\)"


# twitter-text (JS) URL path and query
_PATH_CHAR = rf"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{_LATIN_ACCENTS}]"
_PARENS = _balanced_parens(_PATH_CHAR)
_PATH_END = rf"(?:[+\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|{_PARENS})"
_PATH = rf"(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:@{_PATH_CHAR}+/))"
_QUERY_CHAR = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-z0-9\-_&=#/]"

_FLAGS = regex.IGNORECASE | regex.VERSION0

_URL_RE = regex.compile(
    f"(?P<before>{_URL_PRECEDING})"
    f"(?P<url>(?P<protocol>https?://)?(?P<domain>{_DOMAIN})(?::(?P<port>[0-9]++))?"
    f"(?P<path>/{_PATH}*)?(?P<query>\\?{_QUERY_CHAR}*{_QUERY_END})?)",
    _FLAGS,
)
_ASCII_DOMAIN_RE = regex.compile(
    rf"(?:(?:[\-a-z0-9{_LATIN_ACCENTS}]+)\.)+(?:{_TLD}|{_PUNYCODE})", _FLAGS
)
_TCO_RE = regex.compile(rf"^https?://t\.co/([a-z0-9]+)(?:\?{_QUERY_CHAR}*{_QUERY_END})?", _FLAGS)
_INVALID_BEFORE_BARE_URL = regex.compile(r"[-_./]$")

# Mastodon's overrides (config/initializers/twitter_regex.rb). Ruby interpolates
# valid_url_balanced_parens into the path-ending class *before* redefining it, so the ending
# class keeps twitter-text's parens while the path itself uses Mastodon's.
_M_PATH_CHAR = r"[^\p{White_Space}<>()?]"
_M_PARENS = _balanced_parens(_M_PATH_CHAR)
_M_PATH_END = rf"(?:[^\p{{White_Space}}()?!*\"'「」<>;:=,.$%\[\]~&|@]|{_PARENS})"
_M_PATH = (
    rf"(?:(?:{_M_PATH_CHAR}*(?:{_M_PARENS}{_M_PATH_CHAR}*)*{_M_PATH_END})|(?:{_M_PATH_CHAR}+/))"
)
_UCHARS = (
    "\xa0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd\U00020000-\U0002fffd"
    "\U00030000-\U0003fffd\U00040000-\U0004fffd\U00050000-\U0005fffd\U00060000-\U0006fffd"
    "\U00070000-\U0007fffd\U00080000-\U0008fffd\U00090000-\U0009fffd\U000a0000-\U000afffd"
    "\U000b0000-\U000bfffd\U000c0000-\U000cfffd\U000d0000-\U000dfffd\U000e1000-\U000efffd"
    "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
)
_M_QUERY_CHAR = rf"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@\^{_UCHARS}]"
_M_QUERY_END = rf"[a-z0-9_&=#/\-{_UCHARS}]"
_M_URL_RE = regex.compile(
    f"(?P<before>{_URL_PRECEDING})"
    "(?P<url>(?P<protocol>(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://)?"
    f"(?P<domain>{_DOMAIN})(?::(?P<port>[0-9]++))?"
    f"(?P<path>/{_M_PATH}*)?(?P<query>\\?{_M_QUERY_CHAR}*{_M_QUERY_END})?)",
    _FLAGS,
)


def _punycode_domain(domain: str) -> str | None:
    """Return ``domain`` as ASCII (IDNA labels), or None if a label is empty or too long."""
    if domain[:4].lower() == "xn--" and not _ASCII_DOMAIN_RE.fullmatch(domain):
        # A punycode-encoded host cannot also contain raw non-ASCII characters.
        return None
    labels = []
    for label in domain.split("."):
        if label.isascii():
            encoded = label
        else:
            try:
                encoded = "xn--" + label.lower().encode("punycode").decode("ascii")
            except UnicodeError:
                return None
        if not 1 <= len(encoded) <= _MAX_LABEL:
            return None
        labels.append(encoded)
    return ".".join(labels)


def _url_length_ok(url: str, protocol: str, domain: str) -> bool:
    encoded = _punycode_domain(domain)
    if not encoded:
        return False
    return len(protocol) + len(url) + len(encoded) - len(domain) <= MAX_URL_LENGTH


# Whitespace that can never be inside a URL nor stop one from starting right after it. The
# twitter-text grammar excludes every Unicode space; Mastodon's query part admits NBSP and
# friends (its UCHARS), so for Mastodon only ASCII whitespace separates tokens.
_TW_SPACE_REV = regex.compile(f"(?r)[{_SPACES}]")
_TW_SPACE = regex.compile(f"[{_SPACES}]")
_M_SPACE_REV = regex.compile(r"(?r)[\t\n\x0b\x0c\r \x85]")
_M_SPACE = regex.compile(r"[\t\n\x0b\x0c\r \x85]")
# Every URL's host ends in ".tld" (or a punycode TLD): finding those first is cheap, and only
# the whitespace-delimited tokens around them need the full grammar. An ASCII TLD must end
# where its run of letters ends (the grammar forbids a letter after it), so a set lookup on
# that run is exact; only the internationalised TLDs need a (small) trie.
_IDN_TLDS = sorted(t for t in TLDS if not t.isascii())
_TLD_HIT = regex.compile(
    r"\.(?:xn--|(?P<ascii>[a-zA-Z]+)(?![0-9@+])"
    rf"|(?=[^\x00-\x7f])(?:{_trie_pattern(_IDN_TLDS)})(?=[^0-9a-zA-Z@+]|$))",
    _FLAGS,
)


def _tld_hits(text: str):
    """Yield the matches of ".tld" (or ".xn--") that could end a URL's host."""
    for hit in _TLD_HIT.finditer(text):
        ascii_tld = hit["ascii"]
        if ascii_tld is None or ascii_tld.lower() in TLDS:
            yield hit


# A hard stop for pathological input (100,000 characters of dotted labels): one text's scan
# gives up after this many seconds in total and keeps the links found so far.
SCAN_TIMEOUT = 0.25


def _url_matches(text: str, pattern: regex.Pattern, mastodon: bool):
    """Yield (offset, match) for ``pattern`` run over the tokens of ``text`` that hold a TLD."""
    space, space_rev = (_M_SPACE, _M_SPACE_REV) if mastodon else (_TW_SPACE, _TW_SPACE_REV)
    deadline = time.monotonic() + SCAN_TIMEOUT
    scanned_to = -1
    for hit in _tld_hits(text):
        if hit.start() < scanned_to:
            continue
        before = space_rev.search(text, 0, hit.start())
        # Keep the space before the token: it stands in for the "preceding character".
        start = before.start() if before else 0
        after = space.search(text, hit.end())
        end = after.start() if after else len(text)
        token = text[start:end]
        budget = deadline - time.monotonic()
        if budget <= 0:
            return
        try:
            for m in pattern.finditer(token, timeout=budget):
                yield start, m
        except TimeoutError:
            return
        scanned_to = end


def _scan_urls(text: str, pattern: regex.Pattern, without_protocol: bool) -> list[Entity]:
    urls: list[Entity] = []
    for offset, m in _url_matches(text, pattern, mastodon=pattern is _M_URL_RE):
        url, protocol, domain, path = m["url"], m["protocol"], m["domain"], m["path"]
        start, end = offset + m.start("url"), offset + m.end("url")
        if not _url_length_ok(url, protocol or "https://", domain):
            continue
        if not protocol:
            if not without_protocol or _INVALID_BEFORE_BARE_URL.search(m["before"]):
                continue
            # A bare domain only counts for its ASCII-only parts (twitter-text's rule).
            last: tuple[str, int, int] | None = None
            for am in _ASCII_DOMAIN_RE.finditer(domain):
                last = (am.group(), start + am.start(), start + am.end())
                urls.append(Entity("url", last[1], last[2], last[0], last[0]))
            if last is None:
                continue
            if path:
                urls.pop()
                full = text[last[1] : end]
                urls.append(Entity("url", last[1], end, full, full))
            continue
        tco = _TCO_RE.search(url)
        if tco:
            if len(tco.group(1)) > MAX_TCO_SLUG_LENGTH:
                continue
            url = tco.group()
            end = start + len(url)
        urls.append(Entity("url", start, end, url, url))
    return urls


@lru_cache(maxsize=_CACHE_SIZE)
def extract_urls(text: str, *, without_protocol: bool = True) -> tuple[Entity, ...]:
    """Return the URLs twitter-text finds in ``text`` (bare domains too, unless disabled)."""
    if not text or ("." not in text if without_protocol else ":" not in text):
        return ()
    return tuple(_scan_urls(text, _URL_RE, without_protocol))


_AT_SIGNS = regex.compile("[@＠]")
_HASH_SIGNS = regex.compile("[#＃]")


def _anchored_finditer(pattern: regex.Pattern, text: str, signs: regex.Pattern, lookback: int):
    """Yield ``pattern.finditer(text)``'s matches, trying only near ``signs``' matches.

    Valid for patterns whose matches hold a sign at most ``lookback`` characters after their
    start: then no other start position can match, and scanning stays proportional to the
    number of signs rather than the length of the text.
    """
    find = signs.search
    pos = 0
    while (sign := find(text, pos)) is not None:
        i = sign.start()
        for start in range(max(pos, i - lookback), i + 1):
            m = pattern.match(text, start)
            if m is not None:
                yield m
                pos = max(m.end(), start + 1)
                break
        else:
            pos = i + 1


# ---------------------------------------------------------------------------------------
# twitter-text mentions, hashtags, cashtags
# ---------------------------------------------------------------------------------------

_MENTION_RE = regex.compile(
    r"(?P<before>(?:^|[^a-zA-Z0-9_!#$%&*@＠]|(?:^|[^a-zA-Z0-9_+~.\-])(?:rt|RT|rT|Rt):?))"
    r"[@＠](?P<name>[a-zA-Z0-9_]{1,20})(?P<slug>/[a-zA-Z][a-zA-Z0-9_\-]{0,24})?",
    regex.VERSION0,
)
_END_MENTION_RE = regex.compile(f"[@＠]|[{_LATIN_ACCENTS}]|://")

_HASHTAG_ALPHA = r"[\p{L}\p{M}]"
_HASHTAG_ALNUM = (
    r"[\p{L}\p{M}\p{Nd}_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c"
    r"\u30a0\u30fb\u3003\u0f0b\u0f0c\u00b7]"
)
_HASHTAG_RE = regex.compile(
    rf"(?P<before>^|\ufe0e|\ufe0f|$|(?!{_HASHTAG_ALNUM}|&).)[#＃](?!\ufe0f|\u20e3)"
    rf"(?P<tag>{_HASHTAG_ALNUM}*{_HASHTAG_ALPHA}{_HASHTAG_ALNUM}*)",
    regex.VERSION0 | regex.DOTALL,
)
_END_HASHTAG_RE = regex.compile("[#＃]|://")

_CASHTAG_RE = regex.compile(
    rf"(?P<before>^|[{_SPACES}])\$(?P<tag>[a-z]{{1,6}}(?:[._][a-z]{{1,2}})?)"
    rf"(?=$|\s|[{_PUNCT}])",
    _FLAGS,
)


@lru_cache(maxsize=_CACHE_SIZE)
def extract_mentions_or_lists(text: str) -> tuple[Entity, ...]:
    """Return @mentions and @user/list references as twitter-text finds them."""
    if "@" not in text and "＠" not in text:
        return ()
    found = []
    # The preceding group is at most 4 characters (" RT:"), then the at sign.
    for m in _anchored_finditer(_MENTION_RE, text, _AT_SIGNS, 4):
        if _END_MENTION_RE.match(text, m.end()):
            continue
        start = m.start() + len(m["before"])
        slug = m["slug"] or ""
        end = start + 1 + len(m["name"]) + len(slug)
        found.append(Entity("mention", start, end, text[start:end], m["name"], slug))
    return tuple(found)


def extract_mentions(text: str) -> tuple[Entity, ...]:
    """Return @mentions (not lists) as twitter-text finds them."""
    return tuple(e for e in extract_mentions_or_lists(text) if not e.list_slug)


@lru_cache(maxsize=_CACHE_SIZE)
def extract_hashtags(text: str, *, check_url_overlap: bool = True) -> tuple[Entity, ...]:
    """Return #hashtags as twitter-text finds them, skipping those inside URLs."""
    if "#" not in text and "＃" not in text:
        return ()
    tags = []
    for m in _anchored_finditer(_HASHTAG_RE, text, _HASH_SIGNS, 1):
        if _END_HASHTAG_RE.match(text, m.end()):
            continue
        start = m.start() + len(m["before"])
        tags.append(Entity("hashtag", start, m.end(), text[start : m.end()], m["tag"]))
    if check_url_overlap and tags:
        urls = extract_urls(text)
        if urls:
            return tuple(e for e in remove_overlapping(tags + list(urls)) if e.kind == "hashtag")
    return tuple(tags)


@lru_cache(maxsize=_CACHE_SIZE)
def extract_cashtags(text: str) -> tuple[Entity, ...]:
    """Return $cashtags as twitter-text finds them."""
    if "$" not in text:
        return ()
    found = []
    for m in _CASHTAG_RE.finditer(text):
        start = m.start() + len(m["before"])
        found.append(Entity("cashtag", start, m.end(), text[start : m.end()], m["tag"]))
    return tuple(found)


def remove_overlapping(entities: list[Entity] | tuple[Entity, ...]) -> list[Entity]:
    """Return ``entities`` sorted by start, dropping any that overlaps an earlier one."""
    kept: list[Entity] = []
    for entity in sorted(entities, key=lambda e: e.start):
        if kept and kept[-1].end > entity.start:
            continue
        kept.append(entity)
    return kept


@lru_cache(maxsize=_CACHE_SIZE)
def extract_entities(text: str) -> tuple[Entity, ...]:
    """Return URLs, mentions, hashtags and cashtags the twitter-text way, without overlaps."""
    found = [
        *extract_urls(text),
        *extract_mentions_or_lists(text),
        *extract_hashtags(text, check_url_overlap=False),
        *extract_cashtags(text),
    ]
    return tuple(remove_overlapping(found))


# ---------------------------------------------------------------------------------------
# Mastodon
# ---------------------------------------------------------------------------------------

_WORD = r"[\p{L}\p{M}\p{Nd}\p{Pc}]"  # Ruby's [[:word:]]
_M_MENTION_RE = regex.compile(
    rf"(?<![=/]|{_WORD})@(?P<name>(?i:[a-z0-9_]+(?:[.\-]+[a-z0-9_]+)*)"
    rf"(?:@{_WORD}+(?:[.\-]+{_WORD}+)*)?)",
    regex.VERSION0,
)
_M_END_MENTION_RE = regex.compile(f"[@＠]|[{_LATIN_ACCENTS}]+|://")
MAX_MASTODON_DOMAIN_LENGTH = 253  # a DNS name; Mastodon counts longer "domains" in full
_M_HASHTAG_RE = regex.compile(
    r"(?<![=/)\p{Alnum}])[#＃](?P<run>[\p{L}\p{M}\p{Nd}\p{Pc}\u00b7\u30fb\u200c]++)",
    regex.VERSION0,
)
_M_SEPARATORS = "\u00b7\u30fb\u200c"  # HASHTAG_SEPARATORS minus "_", which is a word char
_M_WORD_RUN = regex.compile(f"{_WORD}+")
_M_ALPHA = regex.compile(r"[\p{L}\p{M}]")


def _mastodon_hashtag(run: str) -> str | None:
    """Return the tag Mastodon's Tag::HASHTAG_RE takes from ``run``, or None.

    HASHTAG_RE is ``FIRST|LAST`` with FIRST = ``[w_][w sep]*[alpha sep][w sep]*[w_]`` and
    LAST = ``[w_]*[alpha][w_]*``. Its nested quantifiers backtrack badly on long runs, so the
    same acceptance rules are applied here in one pass.
    """
    tag = run.rstrip(_M_SEPARATORS)
    if not tag or tag[0] in _M_SEPARATORS:
        return None
    if len(tag) >= 3 and any(ch == "_" or ch in _M_SEPARATORS or ch.isalpha() for ch in tag[1:-1]):
        return tag
    word = _M_WORD_RUN.match(tag)
    if word and _M_ALPHA.search(word.group()):
        return word.group()
    return None


@lru_cache(maxsize=_CACHE_SIZE)
def extract_mastodon_mentions(text: str) -> tuple[Entity, ...]:
    """Return local (@user) and remote (@user@domain) mentions as Mastodon finds them."""
    if "@" not in text:
        return ()
    found = []
    for m in _M_MENTION_RE.finditer(text):
        if _M_END_MENTION_RE.match(text, m.end()):
            continue
        name = m["name"]
        _, _, domain = name.partition("@")
        if len(domain) > MAX_MASTODON_DOMAIN_LENGTH:
            continue
        found.append(Entity("mention", m.start(), m.end(), m.group(), name))
    return tuple(found)


@lru_cache(maxsize=_CACHE_SIZE)
def extract_mastodon_urls(text: str) -> tuple[Entity, ...]:
    """Return the links Mastodon autolinks (and counts as 23): those with a protocol."""
    if ":" not in text:
        return ()
    return tuple(_scan_urls(text, _M_URL_RE, without_protocol=False))


@lru_cache(maxsize=_CACHE_SIZE)
def extract_mastodon_entities(text: str) -> tuple[Entity, ...]:
    """Return Mastodon's links, mentions and hashtags, without overlaps."""
    tags = []
    if "#" in text or "＃" in text:
        for m in _M_HASHTAG_RE.finditer(text):
            tag = _mastodon_hashtag(m["run"])
            if tag is None:
                continue
            end = m.start("run") + len(tag)
            if text.startswith("://", end):
                # Extractor#extract_hashtags_with_indices: "#foohttp://x" is #foo.
                stripped = regex.sub(r"https?$", "", tag)
                if stripped and stripped != tag:
                    end -= len(tag) - len(stripped)
                    tag = stripped
            tags.append(Entity("hashtag", m.start(), end, text[m.start() : end], tag))
    found = [*extract_mastodon_urls(text), *tags, *extract_mastodon_mentions(text)]
    return tuple(remove_overlapping(found))


# ---------------------------------------------------------------------------------------
# Bluesky (atproto packages/api/src/rich-text/detection.ts and util.ts)
# ---------------------------------------------------------------------------------------

# JavaScript's \s, which atproto's regexes use.
_JS_SPACE = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_B_MENTION_RE = regex.compile(
    rf"(?:^|[{_JS_SPACE}]|\()@(?P<handle>[a-zA-Z0-9.\-]+)"
    r"(?:(?<=[A-Za-z0-9_])(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])(?=[A-Za-z0-9_]))",
    regex.VERSION0,
)
_B_URL_RE = regex.compile(
    rf"(?:^|[{_JS_SPACE}]|\()(?P<uri>(?P<full>https?://[^{_JS_SPACE}]+)"
    rf"|(?P<domain>[a-z][a-z0-9]*(?:\.[a-z0-9]+)+)[^{_JS_SPACE}]*)",
    regex.IGNORECASE | regex.MULTILINE | regex.VERSION0,
)
_B_TAG_STOP = f"{_JS_SPACE}\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_B_TAG_RE = regex.compile(
    rf"(?P<lead>^|[{_JS_SPACE}])[#＃](?P<run>[^{_B_TAG_STOP}]*+)", regex.VERSION0
)
_B_TAG_CORE = regex.compile(rf"[^0-9\p{{P}}{_B_TAG_STOP}]")
_B_TRAILING_PUNCT = regex.compile(r"\p{P}+$")
BLUESKY_MAX_TAG_LENGTH = 64  # UTF-16 code units, as atproto measures


def _bluesky_valid_domain(domain: str) -> bool:
    # atproto's isValidDomain: the string ends with "." + a known TLD (case-sensitive).
    _, dot, tld = domain.rpartition(".")
    return bool(dot) and tld in TLDS


def _utf16_len(s: str) -> int:
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


@lru_cache(maxsize=_CACHE_SIZE)
def extract_bluesky_entities(text: str) -> tuple[Entity, ...]:
    """Return the mentions, links and hashtags Bluesky's app would turn into facets.

    A link's ``value`` is the facet URI (``https://`` added to bare domains, one trailing
    punctuation mark dropped); a mention's ``value`` is the handle, still to be resolved to a
    DID by the publisher.
    """
    found: list[Entity] = []
    if "@" in text:
        for m in _B_MENTION_RE.finditer(text):
            handle = m["handle"]
            if not (_bluesky_valid_domain(handle) or handle.endswith(".test")):
                continue
            start = m.start("handle") - 1
            found.append(Entity("mention", start, m.end("handle"), "@" + handle, handle))
    if "." in text:
        for m in _B_URL_RE.finditer(text):
            uri = m["uri"]
            # atproto tests uri.startsWith("http"), which misfires on bare domains such as
            # httpbin.org; testing for the protocol branch is what that check means.
            if m["full"] is None:
                domain = m["domain"]
                if not domain or not _bluesky_valid_domain(domain):
                    continue
                uri = "https://" + uri
            start, end = m.start("uri"), m.end("uri")
            if uri[-1] in ".,;:!?":
                uri, end = uri[:-1], end - 1
            if uri.endswith(")") and "(" not in uri:
                uri, end = uri[:-1], end - 1
            found.append(Entity("url", start, end, text[start:end], uri))
    if "#" in text or "＃" in text:
        for m in _B_TAG_RE.finditer(text):
            run = m["run"]
            if not run or run[0] == "\ufe0f" or not _B_TAG_CORE.search(run):
                continue
            tag = _B_TRAILING_PUNCT.sub("", run.strip(_JS_SPACE))
            if not tag or _utf16_len(tag) > BLUESKY_MAX_TAG_LENGTH:
                continue
            start = m.start() + len(m["lead"])
            end = start + 1 + len(tag)
            found.append(Entity("hashtag", start, end, text[start:end], tag))
    return tuple(sorted(found, key=lambda e: e.start))


# ---------------------------------------------------------------------------------------
# Per-platform choice
# ---------------------------------------------------------------------------------------

# Usernames on these platforms allow dots (and on YouTube hyphens), which twitter-text's
# mention grammar stops at: "@jane.doe" is one handle on Instagram.
_HANDLE_RULES: dict[str, tuple[str, int]] = {
    "instagram": ("A-Za-z0-9._", 30),
    "threads": ("A-Za-z0-9._", 30),
    "tiktok": ("A-Za-z0-9._", 24),
    "youtube": ("A-Za-z0-9._\\-", 30),
}


@lru_cache(maxsize=16)
def _handle_re(allowed: str, max_len: int) -> regex.Pattern:
    return regex.compile(
        rf"(?<![A-Za-z0-9_@＠.])[@＠](?P<name>[{allowed}]{{1,{max_len}}})(?![{allowed}@＠])",
        regex.VERSION0,
    )


@lru_cache(maxsize=_CACHE_SIZE)
def extract_handle_mentions(text: str, allowed: str, max_len: int) -> tuple[Entity, ...]:
    """Return @handles made of ``allowed`` characters, up to ``max_len`` long."""
    if "@" not in text and "＠" not in text:
        return ()
    found = []
    for m in _handle_re(allowed, max_len).finditer(text):
        name = m["name"].rstrip(".")
        if not name:
            continue
        end = m.start("name") + len(name)
        found.append(Entity("mention", m.start(), end, text[m.start() : end], name))
    return tuple(found)


@lru_cache(maxsize=_CACHE_SIZE)
def entities_for(platform: str, text: str) -> tuple[Entity, ...]:
    """Return the entities ``platform`` recognises in ``text``, without overlaps."""
    if platform == "mastodon":
        return extract_mastodon_entities(text)
    if platform == "bluesky":
        return extract_bluesky_entities(text)
    entities = extract_entities(text)
    rule = _HANDLE_RULES.get(platform)
    if rule is None:
        return entities
    others = [e for e in entities if e.kind != "mention"]
    return tuple(remove_overlapping(others + list(extract_handle_mentions(text, *rule))))
