"""The brand kit model: validation with field paths, and a lossless dict round trip."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from studio.brandkit import (
    BannedPhrase,
    Colour,
    FontChoice,
    Kit,
    KitValidationError,
    kit_from_dict,
    kit_to_dict,
)


def full_kit_data() -> dict[str, Any]:
    return {
        "name": "Ember Roasters",
        "description": "Small-batch coffee roaster.",
        "palette": [
            {"name": "Ember", "hex": "#c8553d", "role": "primary"},
            {"name": "Espresso", "hex": "#2B1B17", "role": "text"},
            {"name": "Crema", "hex": "#FFF8F0", "role": "background"},
        ],
        "fonts": {"heading": {"file": "fonts/Heading.ttf"}, "body": {"family": "DejaVu Sans"}},
        "logos": {"primary": "logos/primary.png", "mark": "logos/mark.png"},
        "voice": {
            "tone": "Warm, plain-spoken, never pushy.",
            "do_examples": ["Fresh beans, roasted Tuesday."],
            "dont_examples": ["INSANE DEALS!!!"],
            "banned": [
                {"phrase": "cheap", "suggestion": "affordable"},
                {"phrase": "act now", "severity": "block", "inflections": False},
            ],
            "brand_terms": [{"term": "Ember Roasters", "severity": "block"}],
            "required": [{"phrase": "#ad", "tags": ["Sponsored"], "platforms": ["instagram"]}],
            "hashtags": {
                "required": ["#EmberRoasters"],
                "banned": ["#cheapcoffee"],
                "max_count": 5,
                "max_per_platform": {"linkedin": 3, "instagram": 12},
            },
            "emoji": {"allowed": True, "max_count": 3},
            "exclamations": {"max_count": 1, "severity": "block"},
            "all_caps": {"max_count": 1, "allow": ["UK"]},
            "reading": {"max_grade": 8, "max_sentence_words": 25},
            "links": {
                "allowed_domains": ["instagram.com"],
                "own_domains": ["WWW.EmberRoasters.com"],
                "utm_required": ["utm_source", "utm_campaign"],
                "utm_defaults": {"utm_source": "{platform}"},
                "utm_severity": "block",
            },
        },
    }


def problems_of(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(KitValidationError) as info:
        kit_from_dict(data)
    return dict(info.value.problems)


def no_none_values(value: Any) -> bool:
    if isinstance(value, dict):
        return all(v is not None and no_none_values(v) for v in value.values())
    if isinstance(value, list):
        return all(no_none_values(v) for v in value)
    return value is not None


def test_minimal_kit_has_empty_rules() -> None:
    kit = kit_from_dict({"name": "Plain"})
    assert kit.name == "Plain"
    assert kit.palette == () and kit.voice.banned == ()
    assert kit.voice.emoji is None and kit.fonts.heading is None


def test_full_kit_is_typed_and_normalised() -> None:
    kit = kit_from_dict(full_kit_data())
    assert kit.palette[0] == Colour("Ember", "#C8553D", "primary")
    assert kit.fonts.heading == FontChoice(file="fonts/Heading.ttf")
    assert kit.voice.banned[0] == BannedPhrase("cheap", "affordable", "warn", True)
    assert kit.voice.required[0].tags == ("sponsored",)
    assert kit.voice.reading is not None and kit.voice.reading.max_grade == 8.0
    assert isinstance(kit.voice.reading.max_grade, float)
    assert kit.voice.links is not None
    assert kit.voice.links.own_domains == ("emberroasters.com",)
    hashtags = kit.voice.hashtags
    assert hashtags is not None
    assert hashtags.max_for("linkedin") == 3
    assert hashtags.max_for("x") == 5
    assert hashtags.max_for(None) == 5


def test_round_trip_is_lossless_and_toml_ready() -> None:
    kit = kit_from_dict(full_kit_data())
    data = kit_to_dict(kit)
    assert kit_from_dict(data) == kit
    assert kit_from_dict(copy.deepcopy(data)) == kit
    assert no_none_values(data)
    assert data["voice"]["hashtags"]["max_per_platform"] == {"instagram": 12, "linkedin": 3}
    assert data["palette"][0]["hex"] == "#C8553D"


def test_kit_is_hashable_for_caching() -> None:
    first = kit_from_dict(full_kit_data())
    second = kit_from_dict(full_kit_data())
    assert first == second and hash(first) == hash(second)
    assert len({first.voice, second.voice}) == 1


def test_asset_paths_lists_every_referenced_file() -> None:
    kit = kit_from_dict(full_kit_data())
    assert kit.asset_paths() == {
        "fonts.heading.file": "fonts/Heading.ttf",
        "logos.primary": "logos/primary.png",
        "logos.mark": "logos/mark.png",
    }


def test_all_problems_are_reported_with_paths() -> None:
    data = full_kit_data()
    data["colour_scheme"] = "warm"
    data["palette"][1]["hex"] = "#12345"
    data["palette"][2]["role"] = "bg"
    data["fonts"]["body"] = {"family": "DejaVu Sans", "size": 12}
    data["voice"]["banned"][1]["severity"] = "error"
    data["voice"]["emoji"]["max_count"] = "3"
    data["voice"]["exclamations"]["max_count"] = True
    problems = problems_of(data)
    assert set(problems) == {
        "colour_scheme",
        "palette[1].hex",
        "palette[2].role",
        "fonts.body.size",
        "voice.banned[1].severity",
        "voice.emoji.max_count",
        "voice.exclamations.max_count",
    }
    assert "unknown key" in problems["colour_scheme"]
    assert "5 hex digits" in problems["palette[1].hex"]
    assert "'background'" in problems["palette[2].role"]
    assert "'warn', 'block'" in problems["voice.banned[1].severity"]
    assert problems["voice.emoji.max_count"] == "must be a whole number, not text"
    assert problems["voice.exclamations.max_count"] == "must be a whole number, not true/false"


def test_error_message_summarises_problems() -> None:
    with pytest.raises(KitValidationError) as info:
        kit_from_dict({"name": "", "palette": "red"})
    assert str(info.value).startswith("2 problem(s) in the brand kit")
    assert "palette: must be a list, not text" in str(info.value)


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        (lambda d: d.pop("name"), "name", "is required"),
        (lambda d: d["palette"][0].pop("hex"), "palette[0].hex", "is required"),
        (lambda d: d.update(palette={"name": "x"}), "palette", "must be a list, not a table"),
        (lambda d: d["voice"].update(banned=["cheap"]), "voice.banned[0]", "must be a table"),
        (lambda d: d["voice"]["banned"][0].update(phrase="  "), "voice.banned[0].phrase", "empty"),
        (lambda d: d["voice"].update(tone=3.5), "voice.tone", "must be text, not a number"),
        (
            lambda d: d["voice"]["reading"].update(max_grade="8"),
            "voice.reading.max_grade",
            "must be a number, not text",
        ),
        (lambda d: d["voice"]["reading"].update(max_sentence_words=0), "", "at least 1"),
        (lambda d: d["voice"]["hashtags"].update(max_count=-1), "", "at least 0"),
        (
            lambda d: d["voice"]["hashtags"]["max_per_platform"].update(twitter=3),
            "voice.hashtags.max_per_platform.twitter",
            "unknown platform 'twitter'",
        ),
        (
            lambda d: d["voice"]["required"][0].update(platforms=["linkedn"]),
            "voice.required[0].platforms[0]",
            "unknown platform",
        ),
        (
            lambda d: d["voice"]["hashtags"].update(required=["EmberRoasters"]),
            "voice.hashtags.required[0]",
            "is not a hashtag",
        ),
        (
            lambda d: d["voice"]["hashtags"].update(banned=["#2024"]),
            "voice.hashtags.banned[0]",
            "is not a hashtag",
        ),
        (
            lambda d: d["voice"]["links"].update(own_domains=["https://ember.com/shop"]),
            "voice.links.own_domains[0]",
            "bare domain",
        ),
        (
            lambda d: d["voice"]["links"].update(allowed_domains=["not a domain"]),
            "voice.links.allowed_domains[0]",
            "is not a domain",
        ),
        (
            lambda d: d["voice"]["links"].update(utm_required=["utm_sauce"]),
            "voice.links.utm_required[0]",
            "unknown UTM parameter",
        ),
        (
            lambda d: d["voice"]["links"].update(utm_defaults={"utm_medium": "social"}),
            "voice.links.utm_defaults.utm_medium",
            "not listed in utm_required",
        ),
        (
            lambda d: d["voice"]["emoji"].update(allowed=False),
            "voice.emoji.max_count",
            "no effect",
        ),
        (lambda d: d["voice"].update(reading={}), "voice.reading", "set max_grade"),
        (
            lambda d: d["voice"]["hashtags"].update(banned=["#emberroasters"]),
            "voice.hashtags.required[0]",
            "both required and banned",
        ),
        (
            lambda d: d["voice"]["banned"].append({"phrase": "CHEAP"}),
            "voice.banned[2]",
            "duplicate phrase (same as voice.banned[0])",
        ),
        (
            lambda d: d["palette"].append({"name": "ember", "hex": "#000000", "role": "text"}),
            "palette[3]",
            "duplicate colour name",
        ),
        (
            lambda d: d["fonts"].update(body={"family": "A", "file": "fonts/a.ttf"}),
            "fonts.body",
            "exactly one",
        ),
        (lambda d: d["fonts"].update(body={}), "fonts.body", "exactly one"),
        (
            lambda d: d["fonts"].update(body={"file": "fonts/a.exe"}),
            "fonts.body.file",
            ".ttf, .otf, .woff2",
        ),
        (lambda d: d["logos"].update(mono="../../etc/passwd.png"), "logos.mono", "'..'"),
        (lambda d: d["logos"].update(mono="/var/logo.png"), "logos.mono", "absolute"),
        (lambda d: d["logos"].update(mono="C:/logo.png"), "logos.mono", "absolute"),
        (lambda d: d["logos"].update(mono="logos\\mono.png"), "logos.mono", "forward slashes"),
        (lambda d: d["logos"].update(mono="logos//mono.png"), "logos.mono", "empty path"),
        (lambda d: d["logos"].update(mono="logos/mono.gif"), "logos.mono", ".png, .jpg"),
        (lambda d: d["voice"].update(tone="x" * 10_001), "voice.tone", "longer than 10,000"),
        (
            lambda d: d["voice"]["banned"][0].update(phrase="cheap " * 40),
            "voice.banned[0].phrase",
            "longer than 200",
        ),
        (
            lambda d: d["voice"].update(banned=[{"phrase": f"w{i}"} for i in range(2001)]),
            "voice.banned",
            "at most 2,000",
        ),
    ],
)
def test_bad_values_are_rejected_with_their_path(change: Any, path: str, fragment: str) -> None:
    data = full_kit_data()
    change(data)
    problems = problems_of(data)
    if path:
        assert path in problems, problems
        assert fragment in problems[path]
    else:
        assert any(fragment in message for message in problems.values()), problems


def test_not_a_table_at_all() -> None:
    assert problems_of(["name"]) == {"(kit)": "must be a table, not a list"}  # type: ignore[arg-type]


def test_int_accepted_where_a_number_is_expected_but_not_the_reverse() -> None:
    data = full_kit_data()
    data["voice"]["reading"]["max_grade"] = 7
    assert kit_from_dict(data).voice.reading.max_grade == 7.0  # type: ignore[union-attr]
    data["voice"]["reading"]["max_sentence_words"] = 20.5
    assert "voice.reading.max_sentence_words" in problems_of(data)


def test_kit_built_directly_equals_parsed_kit() -> None:
    kit = Kit(name="Direct", palette=(Colour("Ink", "#000000", "text"),))
    assert kit_from_dict(kit_to_dict(kit)) == kit
