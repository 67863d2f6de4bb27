"""Entity extraction against the platforms' published cases: twitter-text and atproto."""

import json
from pathlib import Path

import pytest

from studio.platforms import textparse
from studio.platforms.counting import bluesky_facets, with_dids

DATA = Path(__file__).parent / "data" / "platforms"
EXTRACT = json.loads((DATA / "twitter_text_extract.json").read_text(encoding="utf-8"))["tests"]
ATPROTO = json.loads((DATA / "atproto_rich_text_detection.json").read_text(encoding="utf-8"))


def _cases(*sections):
    return [
        pytest.param(c, id=f"{s}: {c['description'][:50]}") for s in sections for c in EXTRACT[s]
    ]


def _spans(entities, key):
    return [{key: e.value, "indices": [e.start, e.end]} for e in entities]


# --- twitter-text conformance/tests/extract.yml -------------------------------------------


@pytest.mark.parametrize("case", _cases("mentions"))
def test_mentions(case):
    assert [e.value for e in textparse.extract_mentions(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", _cases("mentions_with_indices"))
def test_mentions_with_indices(case):
    found = textparse.extract_mentions(case["text"])
    assert _spans(found, "screen_name") == case["expected"]


@pytest.mark.parametrize("case", _cases("mentions_or_lists_with_indices"))
def test_mentions_or_lists_with_indices(case):
    found = textparse.extract_mentions_or_lists(case["text"])
    got = [
        {"screen_name": e.value, "list_slug": e.list_slug, "indices": [e.start, e.end]}
        for e in found
    ]
    assert got == case["expected"]


@pytest.mark.parametrize("case", _cases("urls", "tco_urls_with_params"))
def test_urls(case):
    assert [e.value for e in textparse.extract_urls(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", _cases("urls_with_indices", "urls_with_directional_markers"))
def test_urls_with_indices(case):
    assert _spans(textparse.extract_urls(case["text"]), "url") == case["expected"]


@pytest.mark.parametrize("case", _cases("hashtags", "hashtags_from_astral"))
def test_hashtags(case):
    assert [e.value for e in textparse.extract_hashtags(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", _cases("hashtags_with_indices"))
def test_hashtags_with_indices(case):
    assert _spans(textparse.extract_hashtags(case["text"]), "hashtag") == case["expected"]


@pytest.mark.parametrize("case", _cases("cashtags"))
def test_cashtags(case):
    assert [e.value for e in textparse.extract_cashtags(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", _cases("cashtags_with_indices"))
def test_cashtags_with_indices(case):
    assert _spans(textparse.extract_cashtags(case["text"]), "cashtag") == case["expected"]


def test_entities_drop_overlaps_and_keep_source_text():
    text = "Go to https://example.com/#tag with @ann and $ACME #launch"
    found = textparse.extract_entities(text)
    assert [(e.kind, e.text) for e in found] == [
        ("url", "https://example.com/#tag"),
        ("mention", "@ann"),
        ("cashtag", "$ACME"),
        ("hashtag", "#launch"),
    ]
    assert all(text[e.start : e.end] == e.text for e in found)


# --- atproto packages/api/tests/rich-text-detection.test.ts -----------------------------


def _facet_summary(text, facets):
    raw = text.encode("utf-8")
    out = []
    for facet in facets:
        feature = facet["features"][0]
        covered = raw[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode("utf-8")
        value = feature.get("uri") or feature.get("handle") or feature.get("tag")
        out.append([feature["$type"].split("#")[1], covered, value])
    return out


@pytest.mark.parametrize("case", [pytest.param(c, id=c["text"][:50]) for c in ATPROTO["facets"]])
def test_bluesky_link_and_mention_facets(case):
    facets = bluesky_facets(case["text"])
    assert _facet_summary(case["text"], facets) == case["expected"]
    assert all(f["$type"] == "app.bsky.richtext.facet" for f in facets)


@pytest.mark.parametrize("case", [pytest.param(c, id=c["text"][:50]) for c in ATPROTO["tags"]])
def test_bluesky_tag_facets(case):
    facets = bluesky_facets(case["text"])
    assert [f["features"][0]["tag"] for f in facets] == case["tags"]
    assert [[f["index"]["byteStart"], f["index"]["byteEnd"]] for f in facets] == case["byteRanges"]


def test_bluesky_facets_use_utf8_byte_offsets_after_emoji():
    text = "\U0001f468\u200d\U0001f469\u200d\U0001f467 hi @ann.bsky.social #caf\u00e9"
    facets = bluesky_facets(text)
    mention, tag = facets
    assert mention["index"] == {"byteStart": 22, "byteEnd": 38}
    assert mention["features"] == [
        {"$type": "app.bsky.richtext.facet#mention", "handle": "ann.bsky.social"}
    ]
    assert tag["index"] == {"byteStart": 39, "byteEnd": 45}
    assert text.encode()[39:45].decode() == "#caf\u00e9"


def test_with_dids_swaps_handles_and_drops_unresolved_mentions():
    facets = bluesky_facets("hi @ann.bsky.social and @bob.example.com see https://x.org")
    resolved = with_dids(facets, {"ann.bsky.social": "did:plc:ann"})
    features = [f["features"][0] for f in resolved]
    assert features == [
        {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:ann"},
        {"$type": "app.bsky.richtext.facet#link", "uri": "https://x.org"},
    ]


# --- Mastodon -------------------------------------------------------------------------------


def test_mastodon_entities_need_a_protocol_and_keep_remote_mentions():
    text = "Hi @ann and @bob@fosstodon.org: see example.com and https://example.com/a #Plume_2"
    found = textparse.extract_mastodon_entities(text)
    assert [(e.kind, e.text, e.value) for e in found] == [
        ("mention", "@ann", "ann"),
        ("mention", "@bob@fosstodon.org", "bob@fosstodon.org"),
        ("url", "https://example.com/a", "https://example.com/a"),
        ("hashtag", "#Plume_2", "Plume_2"),
    ]


def test_mastodon_links_allow_other_protocols_and_unicode_queries():
    text = "gemini://example.org/x and https://example.com/?q=\u65e5\u672c"
    assert [e.text for e in textparse.extract_mastodon_urls(text)] == [
        "gemini://example.org/x",
        "https://example.com/?q=\u65e5\u672c",
    ]


def test_mastodon_hashtags_skip_numbers_and_url_fragments():
    text = "#123 #a1 https://x.org/#frag x=#no #\u00b7lead #tail\u00b7"
    tags = [e.value for e in textparse.extract_mastodon_entities(text) if e.kind == "hashtag"]
    assert tags == ["a1", "tail"]


def test_platform_handles_allow_dots_where_the_platform_does():
    text = "thanks @jane.doe. and @x_y"
    insta = [e.value for e in textparse.entities_for("instagram", text) if e.kind == "mention"]
    x = [e.value for e in textparse.entities_for("x", text) if e.kind == "mention"]
    assert insta == ["jane.doe", "x_y"]
    assert x == ["jane", "x_y"]


def test_pathological_dotted_text_finishes():
    # Unbroken labels with a TLD at the very end are quadratic for the published regex; the
    # scan is bounded and must still return.
    text = "\u65e5\u672c\u8a9e.\u30c6\u30ad\u30b9\u30c8" * 11000 + ".com"
    assert isinstance(textparse.extract_urls(text), tuple)
