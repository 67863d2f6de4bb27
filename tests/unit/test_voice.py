"""The brand-voice checker: every rule, its spans and suggestions, Unicode and hostile input."""

# Look-alike characters (dotless i, curly apostrophes, full-width signs) are the point of
# several tests here, so the confusable-character lints are off for this file.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import random
from typing import Any

import pytest
import regex

from studio import voice
from studio.brandkit import BannedPhrase, Kit, kit_from_dict
from studio.voice import Finding, apply_suggestion, check, compile_voice, find_emoji, inflect


def make_kit(**rules: Any) -> Kit:
    return kit_from_dict({"name": "Test", "voice": rules})


def banned_kit(*phrases: str | dict[str, Any]) -> Kit:
    items = [p if isinstance(p, dict) else {"phrase": p} for p in phrases]
    return make_kit(banned=items)


def spans(text: str, findings: list[Finding], rule: str | None = None) -> list[str]:
    return [text[f.start : f.end] for f in findings if rule is None or f.rule == rule]


# --- banned phrases ---------------------------------------------------------------------


def test_banned_word_found_with_span_and_cased_suggestion() -> None:
    kit = banned_kit({"phrase": "cheap", "suggestion": "affordable", "severity": "block"})
    text = "Cheap beans. Not cheap, just CHEAP!"
    findings = check(text, kit)
    assert [(f.start, f.end) for f in findings] == [(0, 5), (17, 22), (29, 34)]
    assert [f.suggestion for f in findings] == ["Affordable", "affordable", "AFFORDABLE"]
    assert {f.rule for f in findings} == {"banned_phrase"}
    assert {f.severity for f in findings} == {"block"}
    assert "“Cheap”" in findings[0].message and "“Affordable”" in findings[0].message


def test_suggestion_with_its_own_casing_is_kept() -> None:
    kit = banned_kit({"phrase": "smartphone", "suggestion": "iPhone"})
    (finding,) = check("Smartphone deals", kit)
    assert finding.suggestion == "iPhone"


def test_banned_words_match_whole_words_only() -> None:
    kit = banned_kit("cheap", "art")
    text = "cheaper cheapest cheapskate party start smart art-deco"
    assert spans(text, check(text, kit)) == ["art"]


def test_plural_and_verb_inflections_match_and_inflect_the_suggestion() -> None:
    kit = banned_kit(
        {"phrase": "deal", "suggestion": "offer"},
        {"phrase": "party", "suggestion": "event"},
        {"phrase": "scam", "suggestion": "trick"},
        {"phrase": "box"},
    )
    text = "Deals and parties, scammed, scamming, boxes, dealing."
    findings = check(text, kit)
    assert spans(text, findings) == ["Deals", "parties", "scammed", "scamming", "boxes", "dealing"]
    assert [f.suggestion for f in findings] == [
        "Offers",
        "events",
        "tricked",
        "tricking",
        None,
        "offering",
    ]


def test_inflections_can_be_switched_off() -> None:
    kit = banned_kit({"phrase": "deal", "inflections": False})
    assert spans("deal deals dealing", check("deal deals dealing", kit)) == ["deal"]


@pytest.mark.parametrize(
    ("word", "kind", "expected"),
    [
        ("deal", "plural", "deals"),
        ("box", "plural", "boxes"),
        ("match", "plural", "matches"),
        ("party", "plural", "parties"),
        ("day", "plural", "days"),
        ("bake", "past", "baked"),
        ("stop", "past", "stopped"),
        ("visit", "past", "visited"),
        ("try", "past", "tried"),
        ("make", "ing", "making"),
        ("see", "ing", "seeing"),
        ("die", "ing", "dying"),
        ("plan", "ing", "planning"),
        ("offer", "ing", "offering"),
        ("Deal", "plural", "Deals"),
    ],
)
def test_inflect(word: str, kind: str, expected: str) -> None:
    assert inflect(word, kind) == expected


def test_multi_word_phrase_allows_any_whitespace_and_inflects_the_last_word() -> None:
    kit = banned_kit({"phrase": "guaranteed return", "severity": "block"})
    text = "With GUARANTEED\n  returns and a guaranteed return."
    assert spans(text, check(text, kit)) == ["GUARANTEED\n  returns", "guaranteed return"]


def test_longest_phrase_wins_where_phrases_overlap() -> None:
    kit = banned_kit("free", "free trial", "trial period")
    text = "Start your free trial period today, it's free."
    assert spans(text, check(text, kit)) == ["free trial", "free"]


def test_curly_and_straight_apostrophes_are_the_same() -> None:
    kit = banned_kit("don't miss out")
    text = "Don’t miss out! Don't miss out!"
    assert spans(text, check(text, kit)) == ["Don’t miss out", "Don't miss out"]


@pytest.mark.parametrize(
    ("phrase", "present", "absent"),
    [
        ("(a+)+$", "see (a+)+$ here", "aaaaaaaa"),
        ("a.c", "the a.c unit", "the abc unit"),
        ("[x]", "tick [x] here", "tick x here"),
        (r"\d+ off", r"get \d+ off", "get 50 off"),
        ("100% natural", "it's 100% Natural", "it's 100 natural"),
        ("#ad-free", "totally #AD-free", "ad-free"),
    ],
)
def test_phrases_are_literal_text_never_patterns(phrase: str, present: str, absent: str) -> None:
    kit = banned_kit(phrase)
    assert len(check(present, kit)) == 1
    assert check(absent, kit) == []


def test_regex_looking_phrase_on_hostile_input_finishes() -> None:
    # "(a+)+$" compiled as a pattern backtracks exponentially on "aaaa…b"; as literal text it
    # is one linear scan. A regression would hang this test rather than slow it slightly.
    kit = banned_kit("(a+)+$", "aaaa")
    text = "a" * 30_000 + "b (a+)+$"
    assert spans(text, check(text, kit)) == ["(a+)+$"]


def test_unicode_accents_composed_or_decomposed() -> None:
    kit = banned_kit("café")
    text = "CAFÉ, Café and Cafe\u0301 but not cafe or cafeteria."
    assert spans(text, check(text, kit)) == ["CAFÉ", "Café", "Cafe\u0301"]


def test_decomposed_accent_is_part_of_the_word() -> None:
    kit = banned_kit("cafe")
    assert check("Cafe\u0301 opens", kit) == []
    assert len(check("Cafe opens", kit)) == 1


def test_german_sharp_s() -> None:
    kit = banned_kit("straße")
    text = "Straße, STRASSE, strasse, STRAẞE"
    assert spans(text, check(text, kit)) == ["Straße", "STRASSE", "strasse", "STRAẞE"]
    kit_ss = banned_kit("strasse")
    assert spans("Die Straße", check("Die Straße", kit_ss)) == ["Straße"]


def test_turkish_dotted_and_dotless_i() -> None:
    kit = banned_kit({"phrase": "ışık", "suggestion": "aydınlık"}, "istanbul")
    text = "IŞIK ve İSTANBUL, İstanbul"
    findings = check(text, kit)
    assert spans(text, findings) == ["IŞIK", "İSTANBUL", "İstanbul"]
    assert findings[0].suggestion == "AYDINLIK"


def test_greek_final_sigma_is_identified() -> None:
    kit = banned_kit({"phrase": "δρόμος", "suggestion": "οδός"})
    text = "ΔΡΌΜΟΣ και δρόμος"
    findings = check(text, kit)
    assert spans(text, findings) == ["ΔΡΌΜΟΣ", "δρόμος"]
    assert findings[0].suggestion == "ΟΔΌΣ"


def test_offsets_are_python_indices_after_astral_characters() -> None:
    kit = banned_kit("cheap")
    text = "👨‍👩‍👧 🇬🇧 cheap"
    (finding,) = check(text, kit)
    assert text[finding.start : finding.end] == "cheap"
    assert finding.start == len("👨‍👩‍👧 🇬🇧 ")


def test_right_to_left_text() -> None:
    kit = banned_kit({"phrase": "رخيص", "suggestion": "مناسب"}, "זול")
    text = "\u200fقهوة رخيص جدا، والرخيص لا. קפה זול מאוד"
    findings = check(text, kit)
    # "والرخيص" carries a prefix, so it is a different word.
    assert spans(text, findings) == ["رخيص", "זול"]
    assert findings[0].suggestion == "مناسب"
    fixed = apply_suggestion(text, findings[0])
    assert "قهوة مناسب جدا" in fixed


def test_words_inside_links_are_exempt() -> None:
    kit = banned_kit("cheap", "deal")
    text = "Cheap! See https://example.com/cheap-deals?ref=deal or example.com/deal"
    assert spans(text, check(text, kit)) == ["Cheap"]


def test_matcher_agrees_with_one_pattern_per_phrase_on_random_text() -> None:
    rules = tuple(
        BannedPhrase(p)
        for p in (
            "deal",
            "deals on wheels",
            "free",
            "free trial",
            "at the end of the day",
            "end",
            "game-changing",
            "100% natural",
            "#ad-free",
            "don't",
            "café",
            "ışık",
        )
    )
    matcher = voice.PhraseMatcher(rules)
    singles = [voice.phrase_pattern(r) for r in rules]
    vocabulary = ["Deal", "DEALS", "on", "wheels", "free", "Trial", "at", "the", "END", "of"]
    vocabulary += ["day", "Game-Changing", "100%", "natural", "#ad-free", "don’t", "CAFÉ"]
    vocabulary += ["IŞIK", "dealing", "xdeal", "deal_", "ends", "😀", "(", ")", ",", "\n"]
    vocabulary += ["deal.free", "end,deal", "3.5", "free-trial", "Deal's"]
    rng = random.Random(1234)
    for _ in range(300):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 25)))
        hits = [(m.start(), m.end(), i) for i, p in enumerate(singles) for m in p.finditer(text)]
        expected = voice.leftmost_longest(hits)
        assert [(s, e, i) for s, e, i, _ in matcher(text)] == expected, text


# --- brand terms ------------------------------------------------------------------------


def test_brand_term_case_and_spacing_variants() -> None:
    kit = make_kit(brand_terms=[{"term": "PlayStation", "severity": "block"}])
    text = "PlayStation, Playstation, play station, PLAYSTATION, Play-Station. PlayStation's"
    findings = check(text, kit)
    assert spans(text, findings) == ["Playstation", "play station", "PLAYSTATION", "Play-Station"]
    assert {f.suggestion for f in findings} == {"PlayStation"}
    assert {(f.rule, f.severity) for f in findings} == {("brand_term", "block")}


def test_brand_term_leaves_hashtags_handles_and_links_alone() -> None:
    kit = make_kit(brand_terms=[{"term": "Ember Roasters"}])
    text = (
        "#EmberRoasters @emberroasters emberroasters.com/shop but ember roasters and EmberRoasters"
    )
    assert spans(text, check(text, kit)) == ["ember roasters", "EmberRoasters"]


def test_brand_term_without_camel_case_does_not_split() -> None:
    kit = make_kit(brand_terms=[{"term": "Northwind"}])
    text = "The north wind blows; northwind and NorthWind don't."
    assert spans(text, check(text, kit)) == ["northwind", "NorthWind"]


# --- required phrases -------------------------------------------------------------------


def sponsored_kit() -> Kit:
    return make_kit(
        required=[
            {"phrase": "#ad", "tags": ["sponsored"], "severity": "block"},
            {"phrase": "Capital at risk.", "platforms": ["linkedin"]},
            {"phrase": "Capital at risk.", "tags": ["promo"], "severity": "block"},
        ]
    )


def test_required_phrase_only_for_tagged_posts() -> None:
    kit = sponsored_kit()
    assert check("New blend out now", kit) == []
    (finding,) = check("New blend out now", kit, tags=["Sponsored"])
    assert (finding.rule, finding.severity) == ("required_phrase", "block")
    assert finding.start == finding.end == len("New blend out now")
    assert finding.suggestion == " #ad"
    assert "“#ad”" in finding.message and "sponsored" in finding.message
    fixed = apply_suggestion("New blend out now", finding)
    assert fixed == "New blend out now #ad"
    assert check(fixed, kit, tags=["sponsored"]) == []


def test_required_phrase_is_matched_case_insensitively_as_a_whole_word() -> None:
    kit = sponsored_kit()
    assert check("Lovely beans #AD", kit, tags=["sponsored"]) == []
    assert len(check("Lovely beans #adventure", kit, tags=["sponsored"])) == 1


def test_required_phrase_for_a_platform_and_suggestion_after_whitespace() -> None:
    kit = sponsored_kit()
    assert check("Invest today", kit, platform="x") == []
    (finding,) = check("Invest today\n", kit, platform=" LinkedIn")
    assert finding.suggestion == "Capital at risk."
    assert finding.severity == "warn"


def test_two_rules_for_one_phrase_report_once_at_the_stricter_severity() -> None:
    (finding,) = check("Invest today", sponsored_kit(), platform="linkedin", tags=["promo"])
    assert finding.severity == "block"
    assert "linkedin" in finding.message and "promo" in finding.message


def test_required_phrase_with_both_platforms_and_tags_needs_both() -> None:
    kit = make_kit(required=[{"phrase": "#ad", "platforms": ["instagram"], "tags": ["paid"]}])
    assert check("hi", kit, platform="instagram") == []
    assert check("hi", kit, tags=["paid"]) == []
    assert len(check("hi", kit, platform="instagram", tags=["paid"])) == 1


# --- hashtags, emoji, exclamation marks, capitals ----------------------------------------


def test_hashtag_rules() -> None:
    kit = make_kit(
        hashtags={
            "required": ["#EmberRoasters"],
            "banned": ["#CheapCoffee"],
            "max_count": 2,
            "max_per_platform": {"instagram": 4},
        }
    )
    text = "Beans! #coffee #cheapcoffee #roast #1 page#anchor ＃ｆｕｌｌ"
    findings = check(text, kit)
    rules = [(f.rule, text[f.start : f.end]) for f in findings]
    assert ("hashtag_banned", "#cheapcoffee") in rules
    # #coffee #cheapcoffee #roast ＃ｆｕｌｌ are hashtags; "#1" and "page#anchor" are not.
    assert [s for r, s in rules if r == "hashtag_count"] == ["#roast", "＃ｆｕｌｌ"]
    required = [f for f in findings if f.rule == "hashtag_required"]
    assert [(f.start, f.suggestion) for f in required] == [(len(text), " #EmberRoasters")]
    on_instagram = check(text, kit, platform="instagram")
    assert not [f for f in on_instagram if f.rule == "hashtag_count"]
    assert not [f for f in check("#emberroasters", kit) if f.rule == "hashtag_required"]


def test_find_emoji_counts_sequences_once() -> None:
    text = "a👨‍👩‍👧b🇬🇧c1️⃣d👍🏽e❤️f❤g©h™i😀j#️⃣"
    found = [text[s:e] for s, e in find_emoji(text)]
    assert found == ["👨‍👩‍👧", "🇬🇧", "1️⃣", "👍🏽", "❤️", "😀", "#️⃣"]


def test_find_emoji_agrees_with_grapheme_clusters() -> None:
    pool = ["x", " ", "é", "😀", "👍🏽", "🇫🇷", "👩‍💻", "❤️", "✈️", "9️⃣", "©", "→", "“", "…", "\u200d"]
    rng = random.Random(99)
    presented = regex.compile(r"\p{Emoji_Presentation}|[\uFE0F\u20E3\u200D\p{EMod}\p{RI}]")
    start = regex.compile(r"[#*0-9]\uFE0F?\u20E3|\p{RI}|\p{Extended_Pictographic}")
    for _ in range(200):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 30)))
        expected = [
            m.span()
            for m in regex.finditer(r"\X", text)
            if start.match(m.group()) and presented.search(m.group())
        ]
        assert find_emoji(text) == expected, text


def test_emoji_not_allowed_suggests_removal() -> None:
    kit = make_kit(emoji={"allowed": False, "severity": "block"})
    text = "Rates up 📈 today 🇬🇧. ©2026"
    findings = check(text, kit)
    assert spans(text, findings) == ["📈", "🇬🇧"]
    assert {(f.rule, f.suggestion) for f in findings} == {("emoji_not_allowed", "")}


def test_emoji_over_the_limit() -> None:
    kit = make_kit(emoji={"max_count": 1})
    text = "☕️ then 🥐 and 👨‍👩‍👧"
    findings = check(text, kit)
    assert spans(text, findings) == ["🥐", "👨‍👩‍👧"]
    assert "3 emoji" in findings[0].message


def test_exclamation_marks_over_the_limit_and_the_fix() -> None:
    kit = make_kit(exclamations={"max_count": 1})
    text = "Wow!!! Great! See https://x.com/#!/hi"
    findings = check(text, kit)
    assert [(f.start, f.suggestion) for f in findings] == [(4, ""), (5, ""), (12, ".")]
    fixed = text
    for finding in reversed(findings):
        fixed = apply_suggestion(fixed, finding)
    assert fixed == "Wow! Great. See https://x.com/#!/hi"
    assert check(fixed, kit) == []


def test_all_caps_words() -> None:
    kit = make_kit(
        all_caps={"max_count": 1, "allow": ["UK"]},
        brand_terms=[{"term": "IKEA"}],
    )
    text = "HUGE news. SALE starts, I say DON'T wait! UK, IKEA and #NYC are fine. ĞÜZEL"
    findings = check(text, kit)
    assert spans(text, findings) == ["SALE", "DON'T", "ĞÜZEL"]
    assert [f.suggestion for f in findings] == ["Sale", "don't", "Ğüzel"]
    assert "4 words in ALL CAPS" in findings[0].message


# --- reading level ----------------------------------------------------------------------


def test_flesch_kincaid_grade_of_a_known_sentence() -> None:
    # 6 one-syllable words in 1 sentence: 0.39 * 6 + 11.8 * 1 - 15.59.
    assert voice.flesch_kincaid_grade("The cat sat on the mat.") == pytest.approx(-1.45)
    assert voice.flesch_kincaid_grade("") == 0.0


def test_reading_grade_limit() -> None:
    kit = make_kit(reading={"max_grade": 6})
    assert check("We roast beans. You drink coffee. It is good.", kit) == []
    text = (
        "Institutional investors increasingly prioritise diversified, sustainability-oriented "
        "portfolio allocations incorporating environmental considerations."
    )
    (finding,) = check(text, kit)
    assert finding.rule == "reading_grade" and finding.start == finding.end == 0
    assert "above this kit's limit of 6" in finding.message


def test_long_sentences_are_flagged_with_their_span() -> None:
    kit = make_kit(reading={"max_sentence_words": 5})
    text = (
        "Short one.  This sentence has far too many words in it! Fine again?\nA line break ends it"
    )
    findings = check(text, kit)
    assert spans(text, findings) == ["This sentence has far too many words in it!"]
    assert "9 words" in findings[0].message


def test_a_link_counts_as_one_word_and_its_dots_do_not_end_sentences() -> None:
    kit = make_kit(reading={"max_sentence_words": 4})
    assert check("Order at https://ember.co.uk/shop/beans.html now", kit) == []
    assert check("Version 3.5 is out", kit) == []


# --- links ------------------------------------------------------------------------------


def link_kit(**extra: Any) -> Kit:
    links = {
        "allowed_domains": ["instagram.com"],
        "own_domains": ["northwind.bank"],
        "utm_required": ["utm_source", "utm_medium"],
        "severity": "block",
    }
    return make_kit(links=links | extra)


def test_links_to_other_domains_are_flagged() -> None:
    text = "See https://evil.example.org/x, www.instagram.com/p/1 and shop.instagram.com."
    (finding,) = check(text, link_kit())
    assert (finding.rule, finding.severity) == ("link_domain", "block")
    assert text[finding.start : finding.end] == "https://evil.example.org/x"
    assert "evil.example.org" in finding.message


def test_own_links_need_utm_parameters() -> None:
    text = "Apply at northwind.bank/isa?utm_source=li."
    (finding,) = check(text, link_kit())
    assert finding.rule == "link_utm" and finding.severity == "warn"
    assert text[finding.start : finding.end] == "northwind.bank/isa?utm_source=li"
    assert "utm_medium" in finding.message and "utm_source" not in finding.message
    assert finding.suggestion is None  # no defaults to fill in
    assert check("Apply at northwind.bank/isa?utm_source=li&utm_medium=social", link_kit()) == []


def test_utm_suggestion_uses_defaults_and_platform() -> None:
    kit = link_kit(utm_defaults={"utm_source": "{platform}", "utm_medium": "social"})
    text = "Apply: https://www.northwind.bank/isa#rates"
    (finding,) = check(text, kit, platform="linkedin")
    assert finding.suggestion == (
        "https://www.northwind.bank/isa?utm_source=linkedin&utm_medium=social#rates"
    )
    assert check(apply_suggestion(text, finding), kit, platform="linkedin") == []
    (no_platform,) = check(text, kit)
    assert no_platform.suggestion is None


def test_what_is_not_a_link() -> None:
    kit = link_kit()
    assert check("See file.txt, e.g. this, or mail hello@evil.org today.", kit) == []


# --- the API ----------------------------------------------------------------------------


def test_compiled_voice_is_cached_per_voice_and_accepted_by_check() -> None:
    kit = banned_kit("cheap")
    same = banned_kit("cheap")
    compiled = compile_voice(kit)
    assert compile_voice(same) is compiled
    assert check("cheap", compiled) == check("cheap", kit)


def test_findings_are_sorted_and_serialisable() -> None:
    kit = make_kit(
        banned=[{"phrase": "cheap"}],
        exclamations={"max_count": 0, "severity": "block"},
        required=[{"phrase": "#ad"}],
    )
    findings = check("So cheap! Wow!", kit)
    assert [f.start for f in findings] == sorted(f.start for f in findings)
    assert findings[0].to_dict() == {
        "rule": "banned_phrase",
        "severity": "warn",
        "message": "“cheap” is on this brand's avoid list.",
        "start": 3,
        "end": 8,
        "suggestion": None,
    }
    assert voice.has_blocking(findings)
    assert not voice.has_blocking(findings[:1])
    assert all(f.rule in voice.RULE_IDS for f in findings)


def test_empty_text_and_empty_kit() -> None:
    assert check("", Kit(name="Nothing")) == []
    assert check("Anything at all!!! 😀 #tag", Kit(name="Nothing")) == []


def test_hashtags_are_checked_but_handles_are_not_and_neither_is_read() -> None:
    kit = make_kit(
        banned=[{"phrase": "cheap", "suggestion": "affordable"}],
        reading={"max_sentence_words": 3},
    )
    text = "Beans for you #cheap #SpecialtyCoffeeLovers @cheap @barista@coffee.social"
    findings = check(text, kit)
    assert [(f.rule, text[f.start : f.end], f.suggestion) for f in findings] == [
        ("banned_phrase", "cheap", "affordable")
    ]
    assert findings[0].start == text.index("#cheap") + 1
    assert voice.find_mentions(text) == [
        (text.index("@cheap"), text.index("@cheap") + 6),
        (text.index("@barista"), len(text)),
    ]
