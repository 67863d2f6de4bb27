"""The brand-voice checker: text + kit -> findings with character spans and suggested fixes.

Pure and fast enough to run on every keystroke. :func:`compile_voice` turns a kit's voice
rules into precompiled patterns once (cached per distinct ``Voice``); :func:`check` then runs
them over a draft. Offsets in a :class:`Finding` are Python ``str`` indices into the text
exactly as given (the text itself is never normalised, so spans never drift).

Matching rules, in brief:

* Banned phrases are literal text, never patterns. They match case-insensitively (Unicode
  simple case folding, plus ß/ss), as whole words, with any run of whitespace between words,
  straight and curly apostrophes interchangeable, and composed or decomposed accents. With
  ``inflections`` on, the last word also matches simple English endings (see
  :func:`inflect`); irregular forms ("bought") are not derived.
* How that stays fast: the phrases are grouped by their first word and each group is one
  trie-shaped, longest-first pattern starting with a literal word. A check tokenises the
  draft once and scans only the groups whose first word occurs in it, so the cost barely
  grows with the number of phrases (``bench/bench_voice.py`` compares this with a single
  combined pattern and with one pattern per phrase).
* Brand terms match case variants and spacing variants at word and camel-case boundaries
  ("Playstation", "play station", "Play-Station" for "PlayStation"); hashtags, handles and
  links are left alone because they drop spaces by design.
* Text inside links is exempt from wording rules (banned phrases, brand terms, capitals,
  exclamation marks, sentence length): a fix there would break the link. So are @handles,
  which are someone else's name. Hashtags are checked for banned phrases but are not
  counted as words by the reading rules.
* Findings about the whole post (a missing required phrase or hashtag, the reading grade)
  have ``start == end``; for a missing phrase that point is the end of the text and the
  suggestion is the text to insert there.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
import weakref
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import regex
from textstat.backend.utils import get_pyphen

from studio.brandkit import BannedPhrase, Kit, Severity, Voice

# Stable rule ids; the web layer and the CLI may rely on these strings.
BANNED_PHRASE = "banned_phrase"
BRAND_TERM = "brand_term"
REQUIRED_PHRASE = "required_phrase"
HASHTAG_REQUIRED = "hashtag_required"
HASHTAG_BANNED = "hashtag_banned"
HASHTAG_COUNT = "hashtag_count"
EMOJI_NOT_ALLOWED = "emoji_not_allowed"
EMOJI_COUNT = "emoji_count"
EXCLAMATION_COUNT = "exclamation_count"
ALL_CAPS = "all_caps"
READING_GRADE = "reading_grade"
SENTENCE_LENGTH = "sentence_length"
LINK_DOMAIN = "link_domain"
LINK_UTM = "link_utm"
RULE_IDS: tuple[str, ...] = (
    BANNED_PHRASE,
    BRAND_TERM,
    REQUIRED_PHRASE,
    HASHTAG_REQUIRED,
    HASHTAG_BANNED,
    HASHTAG_COUNT,
    EMOJI_NOT_ALLOWED,
    EMOJI_COUNT,
    EXCLAMATION_COUNT,
    ALL_CAPS,
    READING_GRADE,
    SENTENCE_LENGTH,
    LINK_DOMAIN,
    LINK_UTM,
)


@dataclass(frozen=True)
class Finding:
    """One rule broken at ``text[start:end]``; apply a fix by replacing that span.

    ``suggestion`` is the replacement text ("" means delete), or None when there is no
    mechanical fix.
    """

    rule: str
    severity: Severity
    message: str
    start: int
    end: int
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as JSON-ready data."""
        return asdict(self)


def has_blocking(findings: Iterable[Finding]) -> bool:
    """Return True when any finding has severity ``block``."""
    return any(f.severity == "block" for f in findings)


def apply_suggestion(text: str, finding: Finding) -> str:
    """Return ``text`` with ``finding``'s suggestion applied (unchanged if it has none)."""
    if finding.suggestion is None:
        return text
    return text[: finding.start] + finding.suggestion + text[finding.end :]


# --- shared character classes --------------------------------------------------------------

_W = r"\p{L}\p{M}\p{N}_"  # what counts as part of a word, for whole-word matching
_IS_WORD = regex.compile(rf"[{_W}]")
_LATIN_WORD_END = regex.compile(r"\p{Latin}+$")
_VOWELS = "aeiou"


@functools.lru_cache(maxsize=8192)  # called on the same short strings keystroke after keystroke
def fold(text: str) -> str:
    """Return a comparison key that equates what the case-insensitive patterns equate."""
    key = unicodedata.normalize("NFC", " ".join(text.split()).casefold())
    # Turkish dotted/dotless i: the regex engine treats I, i, dotted I and dotless i
    # as one letter.
    return key.replace("i\u0307", "i").replace("\u0131", "i").replace("\u2019", "'")


# --- English inflection ------------------------------------------------------------------


def _monosyllabic_cvc(word: str) -> bool:
    """Return True for words like "scam" or "stop" that double their last consonant."""
    w = word.lower()
    if len(w) < 3 or w[-1] in _VOWELS + "wxy" or w[-2] not in _VOWELS or w[-3] in _VOWELS:
        return False
    return len(re.findall(r"[aeiouy]+", w)) == 1


def inflect(word: str, kind: str) -> str:
    """Return ``word`` with a simple regular English ending: kind is plural, past or ing."""
    w = word
    low = w.lower()
    consonant_y = len(low) > 1 and low.endswith("y") and low[-2] not in _VOWELS
    if kind == "plural":
        if low.endswith(("s", "x", "z", "ch", "sh")):
            return w + "es"
        return w[:-1] + "ies" if consonant_y else w + "s"
    if kind == "past":
        if low.endswith("e"):
            return w + "d"
        if consonant_y:
            return w[:-1] + "ied"
        return w + w[-1] + "ed" if _monosyllabic_cvc(w) else w + "ed"
    if kind == "ing":
        if low.endswith("ie"):
            return w[:-2] + "ying"
        if low.endswith("e") and not low.endswith(("ee", "ye", "oe")) and len(low) > 2:
            return w[:-1] + "ing"
        return w + w[-1] + "ing" if _monosyllabic_cvc(w) else w + "ing"
    raise ValueError(f"unknown inflection {kind!r}")


_KINDS = ("plural", "past", "ing")


def _inflect_last_word(phrase: str, kind: str) -> str | None:
    found = _LATIN_WORD_END.search(phrase)
    if not found or len(found.group()) < 2:
        return None
    return phrase[: found.start()] + inflect(found.group(), kind)


def _match_case(replacement: str, matched: str) -> str:
    """Carry the case pattern of ``matched`` over to ``replacement`` where it is clear."""
    letters = [ch for ch in matched if ch.isalpha()]
    if len(letters) > 1 and all(ch.isupper() for ch in letters):
        return replacement.upper()
    # Only plain lower-case suggestions are recased: "iPhone" keeps its own spelling.
    if letters and letters[0].isupper() and replacement == replacement.lower():
        return replacement[:1].upper() + replacement[1:]
    return replacement


# --- one trie-shaped pattern for many literal phrases -------------------------------------

_END = ""  # trie key marking "a phrase may end here"


def _atom(ch: str) -> str:
    if ch == " ":
        return r"\s+"
    if ch == "'":
        return "['\u2019]"
    return regex.escape(ch)


def _trie_key(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch


def _emit(node: dict[str, Any]) -> str:
    """Render a trie as nested alternation; longer continuations are tried before endings."""
    alternatives = [_atom(ch) + _emit(child) for ch, child in node.items() if ch != _END]
    if _END in node:
        alternatives.append(node[_END])
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


def _trie_pattern(forms: Iterable[str]) -> str | None:
    root: dict[str, Any] = {}
    for form in forms:
        node = root
        for ch in form:
            node = node.setdefault(_trie_key(ch), {})
        node[_END] = f"(?![{_W}])" if _IS_WORD.match(form[-1]) else ""
    return _emit(root) if root else None


def _combined_pattern(forms: Iterable[str]) -> regex.Pattern[str] | None:
    """Compile literal forms into one case-insensitive, whole-word, longest-first pattern."""
    forms = set(forms)
    word_start = _trie_pattern(f for f in forms if _IS_WORD.match(f[0]))
    other_start = _trie_pattern(f for f in forms if not _IS_WORD.match(f[0]))
    parts = []
    if word_start:
        parts.append(f"(?<![{_W}]){word_start}")
    if other_start:
        parts.append(other_start)
    if not parts:
        return None
    return regex.compile("|".join(parts), regex.IGNORECASE)


def _surface_forms(text: str) -> set[str]:
    """Return the spellings a literal phrase may appear in: NFC/NFD and ß/ss."""
    base = " ".join(text.split()).replace("\u2019", "'")
    # German writes ß as "ss" in capitals and in Swiss spelling; match either way round.
    forms = {base, base.replace("ß", "ss"), base.replace("ss", "ß")}
    return {unicodedata.normalize(nf, f) for f in forms for nf in ("NFC", "NFD")}


def phrase_forms(rule: BannedPhrase) -> dict[str, str | None]:
    """Return every spelling ``rule`` matches, mapped to its inflection (None: as written)."""
    spellings: list[tuple[str, str | None]] = [(rule.phrase, None)]
    if rule.inflections:
        for kind in _KINDS:
            inflected = _inflect_last_word(" ".join(rule.phrase.split()), kind)
            if inflected:
                spellings.append((inflected, kind))
    forms: dict[str, str | None] = {}
    for spelling, kind in spellings:
        for form in _surface_forms(spelling):
            forms.setdefault(form, kind)
    return forms


def phrases_pattern(rules: Iterable[BannedPhrase]) -> regex.Pattern[str] | None:
    """Compile banned phrases into one trie-shaped pattern (None when there are none)."""
    forms: set[str] = set()
    for rule in rules:
        forms.update(phrase_forms(rule))
    return _combined_pattern(forms)


def phrase_pattern(rule: BannedPhrase) -> regex.Pattern[str]:
    """Compile one banned phrase on its own (the slow path, and the benchmark's baseline)."""
    pattern = phrases_pattern([rule])
    assert pattern is not None  # a validated phrase is never empty
    return pattern


# A match of a banned phrase: start, end, index into Voice.banned, inflection kind or None.
BannedMatch = tuple[int, int, int, str | None]


def leftmost_longest(hits: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Keep non-overlapping ``(start, end, index)`` hits: leftmost, then longest, then first."""
    kept = []
    last_end = -1
    for start, end, index in sorted(hits, key=lambda h: (h[0], h[0] - h[1], h[2])):
        if start >= last_end:
            kept.append((start, end, index))
            last_end = end
    return kept


# Words for counting and for the banned-phrase prefilter: letters/digits joined by an
# apostrophe, hyphen, dot or comma count as one word ("don't", "sun-dried", "3.5", "1,000").
_WORD = re.compile(r"\w+(?:['\u2019\-.,]\w+)*")


def _word_keys(words: str) -> list[str]:
    """Return the case-folded plain-word pieces (split where _WORD joins: ' - . ,)."""
    if words.isascii():
        folded = words.lower()
    else:
        # The patterns treat dotted/dotless i as one letter; so must the prefilter.
        folded = words.replace("\u0130", "i").casefold().replace("\u0131", "i")
        folded = folded.replace("\u2019", " ")
    for joiner in "'-.,":
        folded = folded.replace(joiner, " ")
    return folded.split()


def _lead_key(form: str) -> str | None:
    """Return the prefilter key of a form's first word, or None if it starts with a symbol."""
    first = _WORD.match(form)
    if first is None:
        return None
    keys = _word_keys(first.group())
    return keys[0] if keys else None


class PhraseMatcher:
    """Find banned phrases: tries grouped by first word, scanned only when that word occurs.

    A phrase that starts with a word can only match where the draft has that word, so the
    draft's words (already tokenised for the other rules) select which groups to scan.
    Phrases that start with a symbol ("#ad-free", "(a+)+$") form one group scanned always.
    """

    def __init__(self, banned: tuple[BannedPhrase, ...]) -> None:
        self.banned = banned
        self.lookup: dict[str, tuple[int, str | None]] = {}
        groups: dict[str, set[str]] = {}
        symbol_forms: set[str] = set()
        self.groups_for_word: dict[str, set[str]] = {}
        for index, rule in enumerate(banned):
            group = _lead_key(rule.phrase) or ""
            for form, kind in phrase_forms(rule).items():
                # First rule wins, so a phrase's own spelling beats another's inflection.
                self.lookup.setdefault(fold(form), (index, kind))
                lead = _lead_key(form)
                if lead is None:
                    symbol_forms.add(form)
                else:
                    groups.setdefault(group, set()).add(form)
                    self.groups_for_word.setdefault(lead, set()).add(group)
        self.patterns = {g: _combined_pattern(forms) for g, forms in groups.items()}
        self.symbol_pattern = _combined_pattern(symbol_forms)
        self.lead_words = frozenset(self.groups_for_word)
        self._singles: list[regex.Pattern[str]] | None = None

    def __bool__(self) -> bool:
        return bool(self.banned)

    def _identify(self, matched: str) -> tuple[int, str | None] | None:
        hit = self.lookup.get(fold(matched))
        if hit is not None:
            return hit
        # Case-folding corners (e.g. Greek final sigma) give a different key; ask each
        # phrase's own pattern. Rare, so compiling them lazily is fine.
        if self._singles is None:
            self._singles = [phrase_pattern(rule) for rule in self.banned]
        for index, single in enumerate(self._singles):
            if single.fullmatch(matched):
                forms = phrase_forms(self.banned[index])
                kind = next((k for f, k in forms.items() if fold(f) == fold(matched)), None)
                return index, kind
        return None

    def __call__(self, text: str, words: set[str] | None = None) -> list[BannedMatch]:
        """Return the banned phrases in ``text``; ``words`` are its word keys, if known."""
        if words is None:
            words = set(_word_keys(" ".join(_WORD.findall(text))))
        selected: set[str] = set()
        for word in words & self.lead_words:
            selected |= self.groups_for_word[word]
        patterns = [self.patterns[g] for g in sorted(selected)]
        if self.symbol_pattern is not None:
            patterns.append(self.symbol_pattern)
        hits = []
        kinds: dict[tuple[int, int], str | None] = {}
        for pattern in patterns:
            for m in pattern.finditer(text):
                found = self._identify(m.group())
                if found is not None:
                    hits.append((m.start(), m.end(), found[0]))
                    kinds[m.start(), m.end(), found[0]] = found[1]
        return [(s, e, i, kinds[s, e, i]) for s, e, i in leftmost_longest(hits)]


# --- other compiled pieces ------------------------------------------------------------------


def _brand_term_pattern(term: str) -> regex.Pattern[str]:
    # Split at spaces, hyphens and camel-case humps; any (or no) separator may stand between.
    pieces = [p for p in regex.split(r"[\s\-\u2010_]+|(?<=\p{Ll})(?=\p{Lu})", term) if p]
    body = r"[\s\-\u2010_]*".join(regex.escape(p) for p in pieces)
    # '#', '@', '/' and '.' before a name mean a hashtag, handle, path or domain.
    return regex.compile(f"(?<![{_W}#@/.]){body}(?![{_W}])", regex.IGNORECASE)


def _literal_pattern(phrase: str) -> regex.Pattern[str]:
    core = r"\s+".join(
        "".join(_atom(ch) for ch in word) for word in phrase.replace("\u2019", "'").split()
    )
    before = f"(?<![{_W}])" if _IS_WORD.match(phrase[0]) else ""
    after = f"(?![{_W}])" if _IS_WORD.match(phrase[-1]) else ""
    return regex.compile(before + core + after, regex.IGNORECASE)


@dataclass(frozen=True)
class _Required:
    phrase: str
    pattern: regex.Pattern[str]
    platforms: frozenset[str]
    tags: frozenset[str]
    severity: Severity

    def applies(self, platform: str | None, tags: frozenset[str]) -> bool:
        if self.platforms and platform not in self.platforms:
            return False
        return not self.tags or bool(self.tags & tags)


@dataclass(frozen=True)
class _BrandTerm:
    term: str
    pattern: regex.Pattern[str]
    severity: Severity


@dataclass(frozen=True)
class CompiledVoice:
    """A kit's voice rules, precompiled; build with :func:`compile_voice` and reuse."""

    voice: Voice
    banned: Callable[[str, set[str] | None], list[BannedMatch]]
    brand_terms: tuple[_BrandTerm, ...]
    required: tuple[_Required, ...]
    caps_exempt: frozenset[str]
    link_tlds: frozenset[str]


@functools.lru_cache(maxsize=256)
def _compile(voice: Voice) -> CompiledVoice:
    exempt = set(voice.all_caps.allow) if voice.all_caps else set()
    for rule in voice.brand_terms:
        exempt.update(regex.findall(rf"[{_W}]+", rule.term))
    domains = voice.links.allowed_domains + voice.links.own_domains if voice.links else ()
    return CompiledVoice(
        voice=voice,
        banned=PhraseMatcher(voice.banned),
        brand_terms=tuple(
            _BrandTerm(t.term, _brand_term_pattern(t.term), t.severity)
            # Longest first, so "Ember Roasters" wins over a separate "Ember" term.
            for t in sorted(voice.brand_terms, key=lambda t: -len(t.term))
        ),
        required=tuple(
            _Required(
                phrase=r.phrase,
                pattern=_literal_pattern(r.phrase),
                platforms=frozenset(r.platforms),
                tags=frozenset(r.tags),
                severity=r.severity,
            )
            for r in voice.required
        ),
        caps_exempt=frozenset(exempt),
        # The kit's own domains are links even when their TLD is not a familiar one.
        link_tlds=frozenset(d.rsplit(".", 1)[-1] for d in domains),
    )


# Hashing a Voice walks every rule (~30 µs for 200 phrases), so the same object asking
# again is answered by identity first. Entries go when their Voice is garbage-collected.
_BY_IDENTITY: dict[int, tuple[weakref.ref[Voice], CompiledVoice]] = {}


def compile_voice(kit: Kit | Voice) -> CompiledVoice:
    """Precompile a kit's voice rules (cached: equal voices share one compiled object)."""
    voice = kit.voice if isinstance(kit, Kit) else kit
    known = _BY_IDENTITY.get(id(voice))
    if known is not None and known[0]() is voice:
        return known[1]
    compiled = _compile(voice)
    key = id(voice)
    table = _BY_IDENTITY  # bound now: module globals may be gone when this runs at exit
    _BY_IDENTITY[key] = (weakref.ref(voice, lambda _ref: table.pop(key, None)), compiled)
    return compiled


# --- links ----------------------------------------------------------------------------------

_URL = re.compile(
    r"(?<![\w@./-])(?:(?:https?://|www\.)[^\s<>\"'“”\u2018\u2019]+"
    r"|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?::\d{1,5})?"
    r"(?:/[^\s<>\"'“”\u2018\u2019]*)?)",
    re.IGNORECASE,
)
# Every link has a dot followed by a letter; finding those first is far cheaper than trying
# the full URL pattern at every position.
_LINK_HINT = re.compile(r"\.[^\W\d_]")
_NOT_SPACE = re.compile(r"\S*")
# Bare domains (no scheme, no "www.") count as links only with a familiar TLD, so "file.txt"
# or "e.g." in prose stay prose.
_TLD_LIST = (
    "com org net io co uk us eu de fr es it nl be ch at ie se no dk fi pl pt ca au nz in jp "
    "app dev ai me tv ly gl shop store blog news info biz online site bank finance money "
    "coffee cafe"
)
_COMMON_TLDS = frozenset(_TLD_LIST.split())
_URL_TRAILING = ".,;:!?)]}'\"”\u2019"

Link = tuple[int, int, str]


def find_links(text: str, extra_tlds: Iterable[str] = ()) -> list[Link]:
    """Return ``(start, end, url)`` for each link, trailing punctuation excluded."""
    links: list[Link] = []
    done = 0
    for hint in _LINK_HINT.finditer(text):
        if hint.start() < done:
            continue
        i = hint.start()
        token_start = max(text.rfind(" ", 0, i), text.rfind("\n", 0, i), text.rfind("\t", 0, i))
        token_start = max(token_start + 1, done)
        match = _NOT_SPACE.match(text, i)
        done = match.end() if match else i + 1
        for m in _URL.finditer(text, token_start, done):
            url = m.group()
            stripped = url.rstrip(_URL_TRAILING)
            # Keep a closing bracket that belongs to the URL, as in Wikipedia links.
            while url[len(stripped) : len(stripped) + 1] == ")" and stripped.count(
                "("
            ) > stripped.count(")"):
                stripped += ")"
            if not stripped.lower().startswith(("http://", "https://", "www.")):
                host = stripped.split("/", 1)[0].split(":", 1)[0].lower()
                tld = host.rsplit(".", 1)[-1]
                if tld not in _COMMON_TLDS and tld not in extra_tlds:
                    continue
            links.append((m.start(), m.start() + len(stripped), stripped))
    return links


def _host(url: str) -> str:
    full = url if "://" in url else "http://" + url
    try:
        return (urlsplit(full).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def _within(host: str, domains: Iterable[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _add_query(url: str, params: dict[str, str]) -> str:
    base, hash_, fragment = url.partition("#")
    sep = "" if base.endswith(("?", "&")) else ("&" if "?" in base else "?")
    return base + sep + urlencode(params) + hash_ + fragment


def _check_links(links: list[Link], voice: Voice, platform: str | None) -> list[Finding]:
    rules = voice.links
    if rules is None:
        return []
    findings = []
    own = rules.own_domains
    allowed = rules.allowed_domains + own
    for start, end, url in links:
        host = _host(url)
        if rules.allowed_domains and not _within(host, allowed):
            message = (
                f"Links to {host or url} are not allowed; this kit allows links to "
                f"{', '.join(allowed)}."
            )
            findings.append(Finding(LINK_DOMAIN, rules.severity, message, start, end))
            continue
        if not own or not rules.utm_required or not _within(host, own):
            continue
        full = url if "://" in url else "http://" + url
        try:
            query = parse_qs(urlsplit(full).query, keep_blank_values=True)
        except ValueError:
            query = {}
        missing = [k for k in rules.utm_required if not any(v.strip() for v in query.get(k, []))]
        if not missing:
            continue
        defaults = dict(rules.utm_defaults)
        suggestion = None
        if all(k in defaults for k in missing):
            values = {k: defaults[k] for k in missing}
            if platform or not any("{platform}" in v for v in values.values()):
                values = {k: v.replace("{platform}", platform or "") for k, v in values.items()}
                suggestion = _add_query(url, values)
        message = f"Links to {host} need tracking parameters: add {', '.join(missing)}."
        findings.append(Finding(LINK_UTM, rules.utm_severity, message, start, end, suggestion))
    return findings


class _SpanIndex:
    """Answer "does this span overlap a link?" in O(log n)."""

    def __init__(self, spans: list[Link]) -> None:
        self.starts = [s for s, _, _ in spans]
        self.ends = [e for _, e, _ in spans]

    def __call__(self, start: int, end: int) -> bool:
        if not self.starts:
            return False
        i = bisect.bisect_right(self.starts, start) - 1
        if i >= 0 and self.ends[i] > start:
            return True
        j = i + 1
        return j < len(self.starts) and self.starts[j] < end


def _mask(text: str, spans: Iterable[tuple[int, int]], fill: str) -> str:
    """Return ``text`` with each span overwritten by ``fill``, so offsets stay valid."""
    parts, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:  # overlapping spans: the earlier one already covers it
            continue
        parts += [text[pos:start], fill * (end - start)]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


# --- sentences and words ----------------------------------------------------------------------

# A sentence ends at . ! ? or … followed by a space, quote, bracket or the end, or at a line
# break (social posts often use line breaks instead of full stops). The pattern only finds
# candidates; the lookahead is checked in Python, which keeps the scan a fast charset search.
_SENTENCE_MARK = re.compile("[.!?…\n][.!?…]*")
_AFTER_SENTENCE = frozenset(" \t\r\n\"')]}\u201d\u2019\u00a0")


# (start, end, number of words) of one sentence of the prose.
Sentence = tuple[int, int, int]


def _sentences(prose: str) -> tuple[list[Sentence], list[str]]:
    """Split ``prose`` into sentences; return them and all its words, in one pass."""
    sentences: list[Sentence] = []
    words: list[str] = []
    start = 0
    n = len(prose)
    for m in _SENTENCE_MARK.finditer(prose):
        end = m.end()
        if prose[m.start()] != "\n" and end < n and prose[end] not in _AFTER_SENTENCE:
            continue  # "3.5", "e.g.x" and the like are not sentence ends
        found = _WORD.findall(prose, start, end)
        words += found
        sentences.append((start, end, len(found)))
        start = end
    if start < n:
        found = _WORD.findall(prose, start, n)
        words += found
        sentences.append((start, n, len(found)))
    return sentences, words


class _SyllableCache(dict[str, int]):
    """Syllables per lower-case word, computed once per process (bounded)."""

    def __missing__(self, word: str) -> int:
        if len(self) > 200_000:
            self.clear()
        # textstat's own fallback: Pyphen hyphenation points + 1. textstat 0.7.13 prefers
        # NLTK's CMU dictionary, which it downloads from GitHub on first use: a network call
        # inside a keystroke check, and a crash offline. Pyphen ships its data in the wheel.
        count = len(get_pyphen("en_US").positions(word)) + 1
        self[word] = count
        return count


_SYLLABLES = _SyllableCache()


def _grade(words: int, sentences: int, syllables: int) -> float:
    if not words or not sentences:
        return 0.0
    return 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59


def _syllable_count(words: list[str]) -> int:
    return sum(map(_SYLLABLES.__getitem__, " ".join(words).lower().split()))


def flesch_kincaid_grade(text: str) -> float:
    """Return the Flesch-Kincaid grade of ``text``, counted as the checker counts it."""
    sentences, words = _sentences(text)
    counted = sum(1 for _, _, n in sentences if n)
    return _grade(len(words), counted, _syllable_count(words))


# --- the rules ----------------------------------------------------------------------------------


def _check_banned(text: str, cv: CompiledVoice, words: set[str] | None) -> list[Finding]:
    findings = []
    rules = cv.voice.banned
    for start, end, index, kind in cv.banned(text, words):
        matched = text[start:end]
        rule = rules[index]
        suggestion = None
        if rule.suggestion is not None:
            suggestion = rule.suggestion
            if kind is not None:
                suggestion = _inflect_last_word(suggestion, kind) or suggestion
            suggestion = _match_case(suggestion, matched)
        message = f"“{matched}” is on this brand's avoid list"
        message += f"; try “{suggestion}”." if suggestion else "."
        findings.append(Finding(BANNED_PHRASE, rule.severity, message, start, end, suggestion))
    return findings


def _brand_key(text: str) -> str:
    return regex.sub(r"[\s\-\u2010_]+", "", fold(text))


def _check_brand_terms(text: str, cv: CompiledVoice) -> list[Finding]:
    hits = []
    for index, rule in enumerate(cv.brand_terms):
        hits += [(m.start(), m.end(), index) for m in rule.pattern.finditer(text)]
    findings = []
    for start, end, index in leftmost_longest(hits):
        rule = cv.brand_terms[index]
        found = text[start:end]
        if found == rule.term:
            continue
        message = f"Write the name exactly as “{rule.term}”, not “{found}”."
        findings.append(Finding(BRAND_TERM, rule.severity, message, start, end, rule.term))
    return findings


def _append_suggestion(text: str, addition: str) -> str:
    return addition if not text or text[-1].isspace() else " " + addition


def _check_required(
    text: str, cv: CompiledVoice, platform: str | None, tags: frozenset[str]
) -> list[Finding]:
    missing: dict[str, tuple[_Required, list[str]]] = {}
    for req in cv.required:
        if not req.applies(platform, tags) or req.pattern.search(text):
            continue
        why = []
        if req.tags:
            why.append("tagged " + " or ".join(sorted(req.tags & tags)))
        if req.platforms:
            why.append(f"on {platform}")
        key = fold(req.phrase)
        if key in missing:
            # Two rules asking for the same text (e.g. "tagged promo" and "on LinkedIn"):
            # report it once, at the stricter severity.
            prev, reasons = missing[key]
            stricter = req if req.severity == "block" else prev
            missing[key] = (stricter, reasons + why)
        else:
            missing[key] = (req, why)
    findings = []
    end = len(text)
    for req, reasons in missing.values():
        context = f" (posts {' and '.join(reasons)})" if reasons else ""
        message = f"This post must include “{req.phrase}”{context}."
        suggestion = _append_suggestion(text, req.phrase)
        findings.append(Finding(REQUIRED_PHRASE, req.severity, message, end, end, suggestion))
    return findings


_HASHTAG = regex.compile(
    rf"(?<![{_W}&/#\uff03@])[#\uff03](?=[{_W}]*[\p{{L}}\p{{M}}])[{_W}]+",
)


def find_hashtags(text: str) -> list[tuple[int, int]]:
    """Return the span of each hashtag (``#`` then word characters, at least one letter)."""
    if "#" not in text and "\uff03" not in text:
        return []
    return [m.span() for m in _HASHTAG.finditer(text)]


_MENTION = re.compile(r"(?<![\w@./])@\w+(?:@[\w-]+(?:\.[\w-]+)+)?")


def find_mentions(text: str) -> list[tuple[int, int]]:
    """Return the span of each @handle (including Mastodon's ``@user@server``)."""
    if "@" not in text:
        return []
    return [m.span() for m in _MENTION.finditer(text)]


def _check_hashtags(
    text: str, spans: list[tuple[int, int]], voice: Voice, platform: str | None
) -> list[Finding]:
    rules = voice.hashtags
    if rules is None:
        return []
    findings = []
    banned = {fold(t[1:]) for t in rules.banned}
    present = {fold(text[s + 1 : e]) for s, e in spans}
    for s, e in spans:
        if fold(text[s + 1 : e]) in banned:
            message = f"{text[s:e]} is on this brand's banned hashtag list."
            findings.append(Finding(HASHTAG_BANNED, rules.severity, message, s, e))
    limit = rules.max_for(platform)
    if limit is not None and len(spans) > limit:
        where = f"on {platform}" if platform in dict(rules.max_per_platform) else "per post"
        for s, e in spans[limit:]:
            message = (
                f"{len(spans)} hashtags; this kit allows at most {limit} {where}. "
                f"Remove {text[s:e]} or another."
            )
            findings.append(Finding(HASHTAG_COUNT, rules.severity, message, s, e))
    end = len(text)
    for tag in rules.required:
        if fold(tag[1:]) not in present:
            message = f"Add the brand hashtag {tag}."
            suggestion = _append_suggestion(text, tag)
            findings.append(
                Finding(HASHTAG_REQUIRED, rules.severity, message, end, end, suggestion)
            )
    return findings


# An emoji is a grapheme cluster that starts with a pictograph, a flag letter or a keycap
# base, and is drawn as emoji: default emoji presentation, VS16, a skin tone, a ZWJ
# sequence, a flag or a keycap. So a family or a flag counts once, and "©" or "™" in text
# style are not emoji. A cheap character-range scan finds candidates first.
_EMOJI_HINT = re.compile("[\u00a9\u00ae\u203c-\u3299\U0001f000-\U0001ffff]")
_EMOJI_START = regex.compile(r"[\p{Extended_Pictographic}\p{RI}]")
_GRAPHEME = regex.compile(r"\X")
_EMOJI_PRESENTED = regex.compile(r"\p{Emoji_Presentation}|[\uFE0F\u20E3\u200D\p{EMod}\p{RI}]")


def find_emoji(text: str) -> list[tuple[int, int]]:
    """Return the span of each emoji; a ZWJ family, flag, keycap or toned emoji counts once."""
    spans: list[tuple[int, int]] = []
    done = 0
    for hint in _EMOJI_HINT.finditer(text):
        i = hint.start()
        if i < done:
            continue
        if text[i] == "\u20e3":  # a keycap: the cluster starts at its digit, # or *
            i -= 1 + (text[i - 1 : i] == "\ufe0f")
            if i < done or i < 0 or text[i] not in "#*0123456789":
                continue
        elif not _EMOJI_START.match(text, i):
            continue
        cluster = _GRAPHEME.match(text, i)
        assert cluster is not None  # \X always matches at least one character
        done = cluster.end()
        if _EMOJI_PRESENTED.search(text, i, done):
            spans.append((i, done))
    return spans


def _check_emoji(text: str, voice: Voice) -> list[Finding]:
    rule = voice.emoji
    if rule is None or (rule.allowed and rule.max_count is None):
        return []
    spans = find_emoji(text)
    if not rule.allowed:
        message = "This brand doesn't use emoji."
        return [Finding(EMOJI_NOT_ALLOWED, rule.severity, message, s, e, "") for s, e in spans]
    limit = rule.max_count or 0
    if len(spans) <= limit:
        return []
    message = f"{len(spans)} emoji; this kit allows at most {limit}."
    return [Finding(EMOJI_COUNT, rule.severity, message, s, e) for s, e in spans[limit:]]


_EXCLAMATION = re.compile("[!\uff01]")


def _check_exclamations(text: str, voice: Voice, in_link: _SpanIndex) -> list[Finding]:
    rule = voice.exclamations
    if rule is None or ("!" not in text and "\uff01" not in text):
        return []
    marks = [m.start() for m in _EXCLAMATION.finditer(text) if not in_link(m.start(), m.end())]
    if len(marks) <= rule.max_count:
        return []
    message = f"{len(marks)} exclamation marks; this kit allows at most {rule.max_count}."
    findings = []
    for i in marks[rule.max_count :]:
        # Inside a run ("!!!", "?!") the mark can simply go; otherwise end the sentence calmly.
        suggestion = "" if i > 0 and text[i - 1] in "!?.\uff01\uff1f" else "."
        findings.append(Finding(EXCLAMATION_COUNT, rule.severity, message, i, i + 1, suggestion))
    return findings


_CAPS_WORD = regex.compile(
    rf"(?<![{_W}#@'\u2019])\p{{Lu}}[\p{{Lu}}\p{{M}}\p{{N}}'\u2019]*\p{{Lu}}[\p{{M}}\p{{N}}]*"
    rf"(?![{_W}'\u2019])"
)
_SENTENCE_START = re.compile(r"(?:^|[.!?…]\s+|\n\s*)$")


def _check_caps(text: str, cv: CompiledVoice, in_link: _SpanIndex) -> list[Finding]:
    rule = cv.voice.all_caps
    if rule is None:
        return []
    words = [
        m
        for m in _CAPS_WORD.finditer(text)
        if m.group() not in cv.caps_exempt and not in_link(m.start(), m.end())
    ]
    if len(words) <= rule.max_count:
        return []
    message = f"{len(words)} words in ALL CAPS; this kit allows at most {rule.max_count}."
    findings = []
    for m in words[rule.max_count :]:
        # Lower-case it, keeping a capital where a sentence starts.
        at_start = _SENTENCE_START.search(text[max(0, m.start() - 8) : m.start()]) is not None
        word = m.group().lower()
        suggestion = word[:1].upper() + word[1:] if at_start else word
        findings.append(Finding(ALL_CAPS, rule.severity, message, m.start(), m.end(), suggestion))
    return findings


def _check_reading(
    sentences: list[Sentence], words: list[str], voice: Voice, prose: str
) -> list[Finding]:
    rule = voice.reading
    if rule is None:
        return []
    findings = []
    limit = rule.max_sentence_words
    if limit is not None:
        for start, end, count in sentences:
            if count <= limit:
                continue
            body = prose[start:end]
            first = start + len(body) - len(body.lstrip())
            last = start + len(body.rstrip())
            message = (
                f"This sentence has {count} words; this kit allows at most {limit}. Split it up."
            )
            findings.append(Finding(SENTENCE_LENGTH, rule.severity, message, first, last))
    if rule.max_grade is not None:
        counted = sum(1 for _, _, n in sentences if n)
        grade = _grade(len(words), counted, _syllable_count(words))
        if grade > rule.max_grade:
            message = (
                f"Reading grade {grade:.1f} is above this kit's limit of {rule.max_grade:g}; "
                "use shorter words and sentences."
            )
            findings.append(Finding(READING_GRADE, rule.severity, message, 0, 0))
    return findings


_RULE_ORDER = {rule: i for i, rule in enumerate(RULE_IDS)}


def check(
    text: str,
    kit: Kit | CompiledVoice,
    platform: str | None = None,
    tags: Iterable[str] = (),
) -> list[Finding]:
    """Check ``text`` against a kit's voice rules; return findings ordered by position."""
    cv = kit if isinstance(kit, CompiledVoice) else compile_voice(kit)
    voice = cv.voice
    tag_set = frozenset(t.strip().lower() for t in tags)
    platform = platform.strip().lower() or None if platform else None
    links = find_links(text, cv.link_tlds)
    in_link = _SpanIndex(links)
    hashtags = find_hashtags(text)
    mentions = find_mentions(text)
    tagged = hashtags + mentions
    # Reading rules count prose only: a link reads as one long word (its dots end no
    # sentence), and hashtags and @handles are not read at all.
    prose = _mask(text, [(s, e) for s, e, _ in links], "x") if links else text
    if tagged:
        prose = _mask(prose, tagged, " ")

    sentences: list[Sentence] = []
    words: list[str] = []
    if voice.reading is not None:
        sentences, words = _sentences(prose)
    elif cv.banned:
        words = _WORD.findall(prose)
    word_keys = None
    if cv.banned:
        # Banned phrases do apply inside hashtags ("#cheap"), so their words join the
        # prefilter. Fold each distinct word once: captions repeat words a lot.
        tag_words = [w for s, e in hashtags for w in _WORD.findall(text, s, e)]
        word_keys = set(_word_keys(" ".join(set(words + tag_words))))

    # Nobody can fix wording inside a link or someone else's @handle.
    not_ours = (
        _SpanIndex(sorted(links + [(s, e, "") for s, e in mentions])) if mentions else in_link
    )
    worded = _check_banned(text, cv, word_keys) + _check_brand_terms(text, cv)
    findings = [f for f in worded if not not_ours(f.start, f.end)]
    findings += _check_required(text, cv, platform, tag_set)
    findings += _check_hashtags(text, hashtags, voice, platform)
    findings += _check_emoji(text, voice)
    findings += _check_exclamations(text, voice, in_link)
    findings += _check_caps(text, cv, in_link)
    findings += _check_reading(sentences, words, voice, prose)
    findings += _check_links(links, voice, platform)
    findings.sort(key=lambda f: (f.start, f.end, _RULE_ORDER[f.rule]))
    return findings
