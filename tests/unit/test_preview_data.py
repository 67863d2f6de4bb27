"""Preview data: styled segments, the fold, and the card link, per platform."""

import pytest
import regex

from studio.platforms.limits import PLATFORMS, UnknownPlatformError, rules_for
from studio.platforms.preview import card_url, fold, preview, preview_segments

CAPTION = (
    "Spring menu is live \U0001f338 https://www.example.com/menu/spring-2026?utm_source=plume "
    "thanks @chef.ann @bob@fosstodon.org #spring $ACME\nSecond line"
)
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"


def kinds(segments):
    return [(s.kind, s.text) for s in segments if s.kind != "text"]


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_segments_rebuild_the_text_exactly(platform):
    for text in (CAPTION, "", "\r\nx\r\n", FAMILY * 3, "\u05e9\u05dc\u05d5\u05dd https://e.com"):
        assert "".join(s.text for s in preview_segments(platform, text)) == text


def test_x_styles_everything_and_shortens_links():
    segments = preview_segments("x", CAPTION)
    assert kinds(segments) == [
        ("url", "https://www.example.com/menu/spring-2026?utm_source=plume"),
        ("mention", "@chef"),
        # twitter-text drops "@bob@fosstodon.org": a name followed by "@" is an address.
        ("hashtag", "#spring"),
        ("cashtag", "$ACME"),
        ("newline", "\n"),
    ]
    url = segments[1]
    assert url.display == "example.com/menu/spring-2…"
    assert url.href == "https://www.example.com/menu/spring-2026?utm_source=plume"
    assert segments[3].href == "https://x.com/chef"


def test_instagram_links_handles_and_tags_but_not_urls():
    segments = preview_segments("instagram", CAPTION)
    assert ("url", "https://www.example.com/menu/spring-2026?utm_source=plume") not in kinds(
        segments
    )
    mention = next(s for s in segments if s.kind == "mention")
    assert mention.text == "@chef.ann"
    assert mention.href == "https://www.instagram.com/chef.ann/"


def test_mastodon_links_remote_mentions_to_their_server():
    segments = preview_segments("mastodon", CAPTION, server="mastodon.example")
    by_text = {s.text: s for s in segments}
    assert by_text["@bob@fosstodon.org"].href == "https://fosstodon.org/@bob"
    assert by_text["@chef.ann"].href == "https://mastodon.example/@chef.ann"
    assert by_text["#spring"].href == "https://mastodon.example/tags/spring"
    link = next(s for s in segments if s.kind == "url")
    assert link.display == "example.com/menu/spring-2026?u…"
    without_server = preview_segments("mastodon", "@ann #tag")
    assert all(s.href is None for s in without_server if s.kind != "text")


def test_threads_links_only_the_first_topic_tag():
    segments = preview_segments("threads", "#one #two #three")
    assert [s.text for s in segments if s.kind == "hashtag"] == ["#one"]


def test_pinterest_links_nothing():
    assert kinds(preview_segments("pinterest", "see https://e.com #tag @ann")) == []


def test_newlines_are_their_own_segments():
    segments = preview_segments("linkedin", "a\r\nb\nc")
    assert [(s.kind, s.display) for s in segments] == [
        ("text", "a"),
        ("newline", "\n"),
        ("text", "b"),
        ("newline", "\n"),
        ("text", "c"),
    ]


def test_hrefs_are_always_http_and_never_carry_markup():
    text = 'x "https://e.com/a"b<script>" javascript:alert(1) #"><img> @a"b https://e.com/q?a=<x>'
    for platform in PLATFORMS:
        for segment in preview_segments(platform, text, server="m.example"):
            if segment.href is not None:
                assert segment.href.startswith("https://")
                assert not regex.search(r"[\"'<>\s]", segment.href)


def test_hashtag_hrefs_are_percent_encoded():
    segment = next(s for s in preview_segments("x", "#caf\u00e9") if s.kind == "hashtag")
    assert segment.href == "https://x.com/hashtag/caf%C3%A9"


# --- Fold -------------------------------------------------------------------------------


def words(n):
    return " ".join(f"word{i:03d}" for i in range(n))


@pytest.mark.parametrize(
    ("platform", "limit", "label"),
    [("instagram", 125, "… more"), ("facebook", 480, "See more"), ("linkedin", 210, "…see more")],
)
def test_fold_at_the_platform_point_between_words(platform, limit, label):
    text = words(120)
    visible, hidden, more = fold(platform, text)
    assert visible + hidden == text
    assert limit - 8 <= len(visible) <= limit
    assert hidden.startswith(" ")
    assert more == label


def test_short_text_does_not_fold():
    assert fold("instagram", "Short caption") == ("Short caption", None, None)
    assert fold("mastodon", words(200)).hidden is None  # Mastodon never folds


def test_linkedin_folds_after_three_lines():
    text = "one\ntwo\nthree\nfour"
    assert fold("linkedin", text) == ("one\ntwo\nthree", "\nfour", "…see more")
    assert fold("linkedin", "one\ntwo\nthree").hidden is None


def test_x_folds_long_posts_by_weighted_length():
    text = "\u65e5" * 200  # 400 weighted, so the fold comes after 140 characters
    visible, _, label = fold("x", text)
    assert len(visible) == 140 and label == "Show more"
    assert fold("x", "a" * 280).hidden is None


def test_fold_never_cuts_inside_an_emoji_sequence():
    text = "a" * 120 + FAMILY * 5
    visible, hidden, _ = fold("instagram", text)
    assert visible + hidden == text
    assert regex.fullmatch(r"a*(?:" + FAMILY + ")*", visible)


def test_fold_never_cuts_inside_a_combining_sequence():
    text = "b" * 123 + "e\u0301\u0302\u0303 rest " * 5
    visible, hidden, _ = fold("instagram", text)
    assert visible + hidden == text
    assert not regex.match(r"\p{M}", hidden)


def test_fold_never_cuts_inside_a_link_or_hashtag():
    text = "x" * 110 + " https://example.com/a/long/path and more words " + words(10)
    visible, hidden, _ = fold("instagram", text)
    assert visible == "x" * 110
    assert hidden.lstrip().startswith("https://example.com/a/long/path")
    text = "y" * 120 + " #averyveryverylonghashtag tail " + words(5)
    assert fold("instagram", text).visible == "y" * 120


def test_fold_uses_a_brand_override():
    rules = rules_for("instagram", {"fold_chars": 20})
    assert len(fold("instagram", words(10), rules=rules).visible) <= 20


def test_fold_of_one_unbroken_run_shows_something():
    visible, hidden, _ = fold("instagram", "z" * 500)
    assert visible == "z" * 125 and hidden == "z" * 375
    lone = "e" + "\u0301" * 400  # one grapheme longer than the fold
    assert fold("instagram", lone) == (lone, None, None)


def test_preview_splits_segments_at_the_fold():
    text = "Hello @ann " + words(30) + " #end"
    result = preview("instagram", text)
    above = "".join(s.text for s in result.visible)
    below = "".join(s.text for s in result.hidden)
    assert above + below == text
    assert above == fold("instagram", text).visible
    assert result.more_label == "… more"
    assert result.visible[1].kind == "mention"
    assert result.hidden[-1].kind == "hashtag"
    assert preview("instagram", "short").hidden is None


@pytest.mark.parametrize("platform", list(PLATFORMS))
def test_fold_and_preview_survive_bad_input(platform):
    for text in (
        "http://[::1 https://[x",
        ("Plume \U0001f338 https://e.com #tag " * 4000)[:100_000],
        FAMILY * 2000,
        "\u05e9\u05dc\u05d5\u05dd \u202bmixed\u202c \u0645\u0631\u062d\u0628\u0627 " * 50,
        "\u200b\u200c\u200d\ufeff" * 300,
        "http:// https://.com www..com http://[::1 <b>x</b>",
    ):
        visible, hidden, _ = fold(platform, text)
        assert visible + (hidden or "") == text
        result = preview(platform, text)
        rebuilt = "".join(s.text for s in result.visible + (result.hidden or []))
        assert rebuilt == text


# --- Cards --------------------------------------------------------------------------------


def test_card_link_is_the_first_link_or_the_last_on_x():
    text = "a https://one.example.com/x then https://two.example.org/y"
    assert card_url("bluesky", text) == "https://one.example.com/x"
    assert card_url("x", text) == "https://two.example.org/y"
    assert card_url("mastodon", "no links here") is None
    assert card_url("bluesky", "bare example.com link") == "https://example.com"


def test_unknown_platform_is_refused():
    with pytest.raises(UnknownPlatformError):
        preview_segments("myspace", "hi")
    with pytest.raises(UnknownPlatformError):
        fold("myspace", "hi")
