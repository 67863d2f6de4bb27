"""Three-way merge of post text and fields."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from studio.composer.merge import edit_regions, merge_set, merge_snapshots, merge_text


def test_disjoint_edits_both_survive():
    base = "The quick brown fox jumps over the lazy dog."
    mine = "The quick red fox jumps over the lazy dog."
    theirs = "The quick brown fox jumps over the sleepy dog."
    assert merge_text(base, mine, theirs).text == "The quick red fox jumps over the sleepy dog."


def test_overlapping_edits_conflict_and_keep_nothing_of_mine():
    base = "Launch on Friday."
    result = merge_text(base, "Launch on Saturday.", "Launch on Sunday.")
    assert result.conflict and result.text is None


def test_same_edit_on_both_sides_counts_once():
    base = "abc"
    assert merge_text(base, "abXc", "abXc").text == "abXc"


def test_insertions_at_the_same_point_conflict_unless_equal():
    assert merge_text("ab", "aXb", "aYb").conflict
    assert merge_text("ab", "aXb", "aXb").text == "aXb"


def test_insert_next_to_a_replacement_is_not_a_conflict():
    base = "one two three"
    mine = "one two three four"
    theirs = "ONE two three"
    assert merge_text(base, mine, theirs).text == "ONE two three four"


def test_unicode_and_emoji_edits():
    base = "Café ☕ opens at 8 · 👩‍👩‍👧‍👦 welcome"
    mine = base.replace("8", "7:30")
    theirs = base.replace("welcome", "all welcome")
    assert merge_text(base, mine, theirs).text == "Café ☕ opens at 7:30 · 👩‍👩‍👧‍👦 all welcome"


def test_sets_merge_additions_and_removals():
    assert merge_set(["x", "instagram"], ["x", "instagram", "bluesky"], ["instagram"]) == [
        "instagram",
        "bluesky",
    ]


def test_snapshot_merge_per_field_and_per_variant():
    base = {
        "title": "T",
        "master_text": "hello",
        "platforms": ["x"],
        "labels": [],
        "tags": [],
        "media": [1, 2],
        "variants": {"x": {"text": None, "options": {}, "media": None}},
    }
    mine = {
        **base,
        "title": "T mine",
        "variants": {"x": {"text": "mine on x", "options": {}, "media": None}},
    }
    theirs = {**base, "master_text": "hello there", "media": [2, 1]}
    result = merge_snapshots(base, mine, theirs)
    assert result.conflicts == []
    assert result.merged["title"] == "T mine" and result.merged["master_text"] == "hello there"
    assert result.merged["media"] == [2, 1]
    assert result.merged["variants"]["x"]["text"] == "mine on x"
    both = merge_snapshots(base, {**base, "media": [1]}, {**base, "media": [2]})
    assert both.conflicts == ["media"]


words = st.lists(st.sampled_from(["tea", "shop", "link", "#ad", "☕", "new", "\n"]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(base=words, a_at=st.integers(0, 12), b_at=st.integers(0, 12), a_word=words, b_word=words)
def test_merged_text_contains_both_edits_when_no_conflict(base, a_at, b_at, a_word, b_word):
    base_text = " ".join(base)
    a = " ".join(base[:a_at] + a_word + base[a_at:])
    b = " ".join(base[:b_at] + b_word + base[b_at:])
    result = merge_text(base_text, a, b)
    if result.conflict:
        assert result.text is None
        return
    for side in (a, b):
        for region in edit_regions(base_text, side):
            assert region.text in result.text


def test_voice_checks_are_shared_only_where_platforms_have_no_rules_of_their_own():
    from studio.brandkit import kit_from_dict
    from studio.composer.state import VoiceChecks
    from studio.voice import check, compile_voice

    kit = kit_from_dict(
        {
            "name": "K",
            "voice": {
                "banned": [{"phrase": "cheap"}],
                "required": [
                    {"phrase": "Capital at risk.", "platforms": ["linkedin"], "severity": "block"}
                ],
                "hashtags": {"max_count": 5, "max_per_platform": {"instagram": 1}},
            },
        }
    )
    voice = compile_voice(kit)
    checks = VoiceChecks(voice, ())
    text = "Cheap rates #a #b"
    for platform in ("x", "linkedin", "instagram", "mastodon"):
        assert checks(text, platform) == check(text, voice, platform, ())
    assert checks.sensitive == {"linkedin", "instagram"}
    assert len(checks._cache) == 3  # x and mastodon share the platform-free check
