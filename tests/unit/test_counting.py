"""Counting as each platform counts: published conformance cases first, then bad input."""

import json
import unicodedata
from pathlib import Path

import pytest

from studio.platforms.counting import (
    V2,
    V3,
    Count,
    bluesky_bytes,
    bluesky_length,
    count,
    mastodon_length,
    threads_length,
    weighted_length_x,
    x_has_invalid_characters,
)
from studio.platforms.limits import PLATFORMS, UnknownPlatformError, rules_for

DATA = Path(__file__).parent / "data" / "platforms"
VALIDATE = json.loads((DATA / "twitter_text_validate.json").read_text(encoding="utf-8"))["tests"]
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👨‍👩‍👧‍👦


def _cases(section):
    return [pytest.param(c, id=c["description"][:60]) for c in VALIDATE[section]]


# --- X: twitter-text conformance/tests/validate.yml ----------------------------------------


@pytest.mark.parametrize("case", _cases("WeightedTweetsWithDiscountedEmojiCounterTest"))
def test_x_weighted_length_v3_conformance(case):
    text, expected = case["text"], case["expected"]
    length = weighted_length_x(text, config=V3)
    assert length == expected["weightedLength"]
    assert (0 < length <= 280 and not x_has_invalid_characters(text)) == expected["valid"]
    assert length * 1000 // 280 == expected["permillage"]


@pytest.mark.parametrize("case", _cases("WeightedTweetsCounterTest"))
def test_x_weighted_length_v2_conformance(case):
    # v2 is v3 without emoji parsing: it pins the per-code-point weights on their own.
    assert weighted_length_x(case["text"], config=V2) == case["expected"]["weightedLength"]


@pytest.mark.parametrize("case", _cases("UnicodeDirectionalMarkerCounterTest"))
def test_x_directional_markers_conformance(case):
    text, expected = case["text"], case["expected"]
    assert weighted_length_x(text) == expected["weightedLength"]
    assert (not x_has_invalid_characters(text)) == expected["valid"]


def test_x_counts_current_emoji_sequences_as_two():
    # Unicode 15.1 family (adult, adult, child) and 15.0 emoji: one sequence each.
    assert weighted_length_x("\U0001f9d1\u200d\U0001f9d1\u200d\U0001f9d2") == 2
    assert weighted_length_x("\U0001fae0") == 2
    assert weighted_length_x("\u2764\ufe0f\u200d\U0001f525") == 2  # heart on fire
    assert weighted_length_x("\U0001f1fa\U0001f1e6") == 2  # flag
    assert weighted_length_x("1\ufe0f\u20e3") == 2  # keycap
    assert weighted_length_x("12") == 2  # digits alone are not emoji


def test_x_normalises_to_nfc_before_weighing():
    decomposed = "e\u0301" * 10
    assert weighted_length_x(decomposed) == 10
    assert weighted_length_x(unicodedata.normalize("NFC", decomposed)) == 10


def test_x_counts_every_link_as_23_and_respects_an_override():
    text = "see https://example.com/a/very/long/path/that/goes/on/and/on?with=query"
    assert weighted_length_x(text) == 4 + 23
    paid = rules_for("x", {"text_limit": 25_000})
    result = count("x", text, rules=paid)
    assert (result.length, result.limit, result.remaining) == (27, 25_000, 25_000 - 27)


# --- Bluesky: graphemes and bytes -----------------------------------------------------


def test_bluesky_family_emoji_is_one_grapheme_of_25_bytes():
    assert bluesky_length(FAMILY) == 1
    assert bluesky_bytes(FAMILY) == 25


@pytest.mark.parametrize(
    ("letter", "bytes_each"), [("\u00e9", 2), ("e\u0301", 3)], ids=["composed", "decomposed"]
)
def test_bluesky_300_accented_letters_fit_either_way(letter, bytes_each):
    result = count("bluesky", letter * 300)
    assert (result.length, result.limit, result.remaining) == (300, 300, 0)
    assert result.bytes == 300 * bytes_each
    assert not result.over
    assert count("bluesky", letter * 301).over


def test_bluesky_byte_cap_binds_when_graphemes_fit():
    text = FAMILY * 150  # 150 graphemes, 3,750 bytes
    result = count("bluesky", text)
    assert result.length == 150 and result.remaining == 150
    assert result.bytes == 3750 and result.byte_limit == 3000
    assert result.bytes_remaining == -750
    assert result.over and result.level == "over"


# --- Mastodon: StatusLengthValidator and its spec --------------------------------------
# Cases from mastodon spec/validators/status_length_validator_spec.rb (MAX_CHARS 500).


def test_mastodon_counts_a_spaced_url_as_23():
    text = "a" * 476 + " http://" + "b" * 30 + ".com/example"
    assert mastodon_length(text) == 500
    assert not count("mastodon", text).over


def test_mastodon_does_not_shorten_a_url_glued_to_text():
    text = "a" * 476 + "http://" + "b" * 30 + ".com/example"
    assert mastodon_length(text) == len(text)
    assert count("mastodon", text).over


def test_mastodon_does_not_shorten_an_overly_long_url():
    text = "http://example.com/valid?" + "#foo?" * 1000
    assert count("mastodon", text).over


def test_mastodon_counts_only_the_local_part_of_remote_mentions():
    text = "a" * 475 + " @alice@" + "b" * 30 + ".com"
    assert mastodon_length(text) == 475 + 1 + len("@alice")
    assert not count("mastodon", text).over


def test_mastodon_counts_both_parts_for_overly_long_domains():
    text = "@alice@" + "b" * 500 + ".com"
    assert mastodon_length(text) == len(text)


def test_mastodon_content_warning_shares_the_limit():
    assert count("mastodon", "b" * 251, content_warning="a" * 250).over
    assert not count("mastodon", "b" * 250, content_warning="a" * 250).over
    assert count("mastodon", "", content_warning="a" * 520).over


@pytest.mark.parametrize(
    "unit", ["\u2728", "\U0001f3f3\ufe0f\u200d\u26a7\ufe0f"], ids=["sparkles", "zwj"]
)
def test_mastodon_counts_emoji_sequences_as_one(unit):
    assert mastodon_length(unit * 500) == 500


def test_mastodon_server_limit_and_placeholder_overrides():
    rules = rules_for("mastodon", {"text_limit": 1000, "url_length": 20})
    text = "x https://example.com/path"
    assert count("mastodon", text, rules=rules) == Count(22, 1000, 978, "graphemes")


def test_mastodon_treats_blank_text_as_empty():
    assert mastodon_length(" \n\u3000 ") == 0


# --- Threads, YouTube and the character platforms -----------------------------------------


def test_threads_counts_emoji_as_their_utf8_bytes():
    assert threads_length("abc") == 3
    assert threads_length("\U0001f600") == 4
    assert threads_length(FAMILY) == 25
    assert threads_length("caf\u00e9") == 4


def test_youtube_counts_description_bytes():
    result = count("youtube", "\u00e9" * 2500)
    assert (result.length, result.unit, result.remaining) == (5000, "bytes", 0)
    assert count("youtube", "\u00e9" * 2501).over


@pytest.mark.parametrize("platform", ["instagram", "facebook", "linkedin", "tiktok", "pinterest"])
def test_character_platforms_count_code_points_after_nfc(platform):
    assert count(platform, "e\u0301" * 5).length == 5
    assert count(platform, FAMILY).length == 7


def test_tiktok_photo_posts_allow_a_longer_caption():
    assert count("tiktok", "a" * 3000).over
    assert not count("tiktok", "a" * 3000, photo_post=True).over


def test_count_levels_turn_near_then_over():
    limit = PLATFORMS["pinterest"].text_limit
    assert count("pinterest", "a" * (limit - 51)).level == "ok"
    assert count("pinterest", "a" * (limit - 10)).level == "near"
    assert count("pinterest", "a" * limit).level == "near"
    assert count("pinterest", "a" * (limit + 1)).level == "over"


def test_count_rejects_unknown_platform():
    with pytest.raises(UnknownPlatformError, match="myspace"):
        count("myspace", "hi")


# --- Bad input ----------------------------------------------------------------------------

BAD_INPUTS = {
    "100k characters": ("Plume writes once, posts everywhere. https://example.com #plume " * 1600)[
        :100_000
    ],
    "only ZWJ emoji": (FAMILY + "\U0001f3f3\ufe0f\u200d\U0001f308") * 500,
    "rtl and mixed direction": "\u05e9\u05dc\u05d5\u05dd \u202bmixed\u202c "
    "\u0645\u0631\u062d\u0628\u0627 https://example.com/\u05e2 \u2067abc\u2069",
    "combining marks": "e" + "\u0301" * 5000 + " Z\u0351\u0352\u0353\u0354",
    "zero-width": "\u200b\u200c\u200d\u2060\ufeff" * 200 + "a\u200bb",
    "malformed URLs": "http:// https://.com http://exa mple.com www..com http://[::1 "
    "javascript:alert(1) http://%e2%98%83.net/ ftp://x.org http://a.b..c .com",
    "lone surrogate": "ok \ud800 then",
    "html": "<script>alert('x')</script> <b>bold</b> &amp;",
    "empty": "",
    "dotted CJK run": "\u65e5\u672c\u8a9e.\u30c6\u30ad\u30b9\u30c8" * 5000 + ".com",
}


@pytest.mark.parametrize("platform", list(PLATFORMS))
@pytest.mark.parametrize("text", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_counts_without_crashing(platform, text):
    result = count(platform, text)
    assert result.length >= 0
    assert result.remaining == result.limit - result.length
    if text:
        assert result.length > 0


def test_counting_zero_width_characters_follows_each_platform():
    text = "a\u200bb"
    assert weighted_length_x(text) == 3  # U+200B is in X's weight-1 range
    assert bluesky_length(text) == 3
    assert count("instagram", text).length == 3


def test_long_combining_sequence_is_one_grapheme():
    text = "e" + "\u0301" * 5000
    assert bluesky_length(text) == 1
    assert mastodon_length(text) == 1
    # NFC folds "e" and the first accent into "é"; the other 4,999 marks stay.
    assert count("instagram", text).length == 5000
