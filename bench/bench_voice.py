"""Benchmark the brand-voice checker on a 2,000-character caption and 200 banned phrases.

Run: .venv/bin/python bench/bench_voice.py [--runs N]

Two paths run interleaved in the same process on the same texts and kit:

* plume: ``studio.voice.check`` with the kit compiled once, as the web layer uses it per kit
  version (banned phrases: tries grouped by first word, scanned only when the caption
  contains that word);
* one-trie: the same checker with all banned phrases in a single trie-shaped pattern;
* naive: the same checker with one regular expression per banned phrase (200 scans of the
  text), the obvious implementation.

All three must return identical findings for every text (asserted). 64 different captions are
cycled through so no text-level cache (textstat memoises per text) flatters either path.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio import voice
from studio.brandkit import BannedPhrase, Kit, kit_from_dict

CLICHES = (
    "cheap",
    "deal",
    "bargain",
    "game changer",
    "game-changing",
    "synergy",
    "leverage",
    "disrupt",
    "best in class",
    "world class",
    "cutting edge",
    "next level",
    "revolutionary",
    "unbeatable",
    "guaranteed",
    "risk-free",
    "no brainer",
    "act now",
    "limited time",
    "while stocks last",
    "once in a lifetime",
    "secret",
    "hack",
    "miracle",
    "insane",
    "epic",
    "literally",
    "basically",
    "very unique",
    "at the end of the day",
    "think outside the box",
    "low hanging fruit",
    "circle back",
    "move the needle",
    "paradigm shift",
    "best ever",
    "must-have",
    "to die for",
    "blow your mind",
    "crazy good",
    "(a+)+$",
    "100% natural",
    "superfood",
    "detox",
    "clean eating",
    "guilt-free",
    "skinny",
    "addictive",
    "cheapest",
    "knock-off",
    "jaw-dropping",
    "mind-blowing",
    "luxury",
    "premium quality",
    "exclusive",
    "free gift",
    "click here",
    "buy now",
    "don't miss out",
    "hurry",
    "viral",
    "obsessed",
)
ADJECTIVES = (
    "amazing",
    "incredible",
    "ultimate",
    "perfect",
    "awesome",
    "unreal",
    "flawless",
    "stunning",
    "legendary",
)
NOUNS = (
    "offer",
    "price",
    "blend",
    "brew",
    "experience",
    "solution",
    "flavour",
    "value",
    "roast",
    "bundle",
)
SUGGESTIONS = ("good", "great value", "lovely", "well made", "fair", "honest")


def banned_phrases(count: int = 200) -> list[dict]:
    """Return ``count`` distinct banned phrases: clichés, then adjective-noun pairs, then words."""
    phrases = list(CLICHES)
    phrases += [f"{a} {n}" for a in ADJECTIVES for n in NOUNS]
    phrases += [f"{a}ly" for a in ADJECTIVES] + [f"{n}tastic" for n in NOUNS]
    phrases += [f"mega{n}" for n in NOUNS] + [f"super {a}" for a in ADJECTIVES]
    phrases += [f"hyper{a}" for a in ADJECTIVES] + [f"{n} bomb" for n in NOUNS]
    assert len(set(phrases)) >= count, len(set(phrases))
    rng = random.Random(7)
    out = []
    for i, phrase in enumerate(phrases[:count]):
        item: dict = {"phrase": phrase, "severity": "block" if i % 10 == 0 else "warn"}
        if i % 3 == 0:
            item["suggestion"] = rng.choice(SUGGESTIONS)
        out.append(item)
    return out


def bench_kit() -> Kit:
    """Return a kit with 200 banned phrases and every other kind of rule switched on."""
    return kit_from_dict(
        {
            "name": "Bench Roasters",
            "voice": {
                "banned": banned_phrases(),
                "brand_terms": [{"term": "Ember Roasters"}, {"term": "PlayStation"}],
                "required": [{"phrase": "#ad", "tags": ["sponsored"], "severity": "block"}],
                "hashtags": {"required": ["#EmberRoasters"], "banned": ["#cheapcoffee"]}
                | {"max_count": 5, "max_per_platform": {"instagram": 10}},
                "emoji": {"allowed": True, "max_count": 3},
                "exclamations": {"max_count": 2},
                "all_caps": {"max_count": 1},
                "reading": {"max_grade": 9, "max_sentence_words": 30},
                "links": {
                    "own_domains": ["emberroasters.com"],
                    "utm_defaults": {"utm_medium": "social", "utm_source": "{platform}"},
                },
            },
        }
    )


SENTENCES = (
    "Our new Ethiopian single origin is here, roasted in small batches every Tuesday morning.",
    "Expect notes of bergamot, stone fruit and a honeyed finish that lingers.",
    "It's not cheap, but it's honest: we pay farmers well above the fair-trade minimum.",
    "Pull it as a bright espresso or brew it slowly through a V60 for a clean, tea-like cup.",
    "This is a limited time release, so grab a bag before the harvest runs out ☕️.",
    "Ember roasters has been roasting in the same railway arch since 2012.",
    "Honestly this is the best ever blend we have made, an amazing experience in every cup!",
    "Order at emberroasters.com/shop?utm_source=instagram and get free delivery over £25.",
    "Our baristas will happily talk you through grind sizes, water temperature and ratios.",
    "Bring your own cup to any of our cafés and we'll knock 30p off your drink 🌱.",
    "We think great coffee should be simple, shared and never rushed.",
    "Tag a friend who needs a better Monday morning and tell us how you brew yours.",
    "The beans are washed, sun-dried on raised beds and rested for a month before roasting.",
    "Subscriptions ship every two weeks, and you can pause or skip whenever you like.",
    "Our packaging is fully home-compostable, valve and label included.",
    "If you love fruity coffees, this one is genuinely a game changer for your mornings.",
    "Pair it with our almond croissants, baked fresh next door every day at six.",
    "Questions about brewing? Drop them below and our team will answer every single one.",
)
TAGS = " #EmberRoasters #specialtycoffee #coffeelovers #singleorigin"


def captions(count: int = 64, length: int = 2000) -> list[str]:
    """Return ``count`` different captions of exactly ``length`` characters."""
    rng = random.Random(42)
    texts = []
    for i in range(count):
        order = list(SENTENCES)
        rng.shuffle(order)
        body = " ".join(order)
        while len(body) < length:
            body += " " + rng.choice(SENTENCES)
        tail = f"{TAGS} #roast{i}"
        texts.append(body[: length - len(tail)] + tail)
    return texts


class NaiveMatcher:
    """Match banned phrases with one compiled regular expression per phrase."""

    def __init__(self, banned: tuple[BannedPhrase, ...]) -> None:
        self.patterns = [voice.phrase_pattern(rule) for rule in banned]
        self.kinds = [
            {voice.fold(form): kind for form, kind in voice.phrase_forms(rule).items()}
            for rule in banned
        ]

    def __call__(self, text: str, words: set[str] | None = None) -> list[voice.BannedMatch]:
        hits = [
            (m.start(), m.end(), index)
            for index, pattern in enumerate(self.patterns)
            for m in pattern.finditer(text)
        ]
        return [
            (s, e, i, self.kinds[i].get(voice.fold(text[s:e])))
            for s, e, i in voice.leftmost_longest(hits)
        ]


class OneTrieMatcher(NaiveMatcher):
    """Match all banned phrases with one combined trie-shaped pattern."""

    def __init__(self, banned: tuple[BannedPhrase, ...]) -> None:
        super().__init__(banned)
        self.pattern = voice.phrases_pattern(banned)
        self.single = [voice.phrase_pattern(rule) for rule in banned]

    def __call__(self, text: str, words: set[str] | None = None) -> list[voice.BannedMatch]:
        out: list[voice.BannedMatch] = []
        for m in self.pattern.finditer(text):
            index = next(i for i, p in enumerate(self.single) if p.fullmatch(m.group()))
            out.append((m.start(), m.end(), index, self.kinds[index].get(voice.fold(m.group()))))
        return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1500, help="timed checks per path")
    args = parser.parse_args()

    kit = bench_kit()
    texts = captions()
    assert len(kit.voice.banned) == 200 and all(len(t) == 2000 for t in texts)

    started = time.perf_counter()
    plume = voice._compile.__wrapped__(kit.voice)  # uncached, to time compilation honestly
    compile_ms = (time.perf_counter() - started) * 1000
    paths = {
        "plume": plume,
        "one-trie": dataclasses.replace(plume, banned=OneTrieMatcher(kit.voice.banned)),
        "naive": dataclasses.replace(plume, banned=NaiveMatcher(kit.voice.banned)),
    }

    # Same findings from every path, for every caption, with and without platform/tags.
    total_findings = 0
    for text in texts:
        for platform, tags in ((None, ()), ("instagram", ("sponsored",))):
            expected = voice.check(text, plume, platform, tags)
            for name, compiled in paths.items():
                got = voice.check(text, compiled, platform, tags)
                assert got == expected, (name, text, got, expected)
            total_findings += len(expected)
    banned_hits = sum(len(plume.banned(t, None)) for t in texts) / len(texts)

    for text in texts[:8]:  # warm up every path (syllable cache, regex internals)
        for compiled in paths.values():
            voice.check(text, compiled)

    full: dict[str, list[float]] = {name: [] for name in paths}
    matching: dict[str, list[float]] = {name: [] for name in paths}
    clock = time.perf_counter_ns
    order = list(paths.items())
    for i in range(args.runs):
        text = texts[i % len(texts)]
        # Rotate the order so no path always runs on the warmest cache.
        for name, compiled in order[i % 3 :] + order[: i % 3]:
            t0 = clock()
            voice.check(text, compiled, "instagram", ("sponsored",))
            t1 = clock()
            compiled.banned(text, None)  # tokenising included, for the plume path
            t2 = clock()
            full[name].append((t1 - t0) / 1000)
            matching[name].append((t2 - t1) / 1000)

    labels = {
        "plume": "plume (tries by first word)",
        "one-trie": "one combined trie pattern",
        "naive": "naive (one regex per phrase)",
    }

    def report(title: str, timings: dict[str, list[float]]) -> None:
        print(title)
        medians = {name: statistics.median(values) for name, values in timings.items()}
        for name, values in timings.items():
            p95 = percentile(values, 0.95)
            print(f"  {labels[name]:<30} median {medians[name]:8.1f} µs   p95 {p95:8.1f} µs")
        for name in ("one-trie", "naive"):
            print(f"  {name} / plume: {medians[name] / medians['plume']:.1f}x")
        print()

    print("Plume brand-voice check: 2,000-character caption, kit with 200 banned phrases")
    print("(plus brand terms, required phrase, hashtag, emoji, !, CAPS, reading and link rules)")
    print(f"  python {sys.version.split()[0]}, {args.runs} timed checks per path, 64 captions")
    print(f"  compile the kit once (uncached):    {compile_ms:8.2f} ms")
    print(f"  findings per check (avg):           {total_findings / (2 * len(texts)):8.1f}")
    print(f"  banned-phrase hits per caption:     {banned_hits:8.1f}")
    print("  identical findings from all paths:  yes (asserted on every caption)")
    print()
    report("full check(), all rules", full)
    report("banned-phrase matching alone", matching)


if __name__ == "__main__":
    main()
