"""Metric definitions, the engagement-rate formula, formatting and platform field maps."""

from __future__ import annotations

import pytest

from studio.analytics import metrics as m
from studio.platforms.limits import PLATFORMS


def test_every_metric_has_a_one_sentence_definition_and_a_known_unit() -> None:
    for key, definition in m.METRICS.items():
        assert definition.key == key
        assert definition.label and definition.label[0].isupper()
        assert definition.definition.endswith(".")
        assert definition.unit in {m.COUNT, m.PEOPLE, m.RATIO, m.POSTS}
    assert set(m.POST_METRICS) | set(m.CHANNEL_METRICS) <= set(m.METRICS)


def test_engagement_rate_definition_names_its_denominator_and_the_zero_case() -> None:
    text = m.metric("engagement_rate").definition
    assert "reach" in text and "impressions" in text
    assert "no rate" in text


def test_engagement_rate_divides_engagements_by_reach() -> None:
    assert m.engagement_rate(30, 5, 3, 2, 10, reach=1000, impressions=5000) == 0.05


def test_engagement_rate_falls_back_to_impressions_without_reach() -> None:
    assert m.engagement_rate(30, 5, 3, 2, 10, reach=0, impressions=500) == 0.1
    assert m.engagement_rate(30, 5, 3, 2, 10, reach=None, impressions=500) == 0.1


@pytest.mark.parametrize("reach, impressions", [(0, 0), (None, None), (0, None)])
def test_engagement_rate_without_reach_or_impressions_is_none(reach, impressions) -> None:
    assert m.engagement_rate(30, 5, 3, 2, 10, reach=reach, impressions=impressions) is None


def test_unknown_metric_lists_known_keys() -> None:
    with pytest.raises(m.UnknownMetricError) as caught:
        m.metric("clicks")
    assert "link_clicks" in str(caught.value)


@pytest.mark.parametrize(
    "value, unit, expected",
    [
        (12345, m.COUNT, "12,345"),
        (0.034, m.RATIO, "3.4 %"),
        (None, m.COUNT, "\u2014"),
        (None, m.RATIO, "\u2014"),
        (1234.5, m.COUNT, "1,234.5"),
    ],
)
def test_format_value(value, unit, expected) -> None:
    assert m.format_value(value, unit) == expected


@pytest.mark.parametrize(
    "value, unit, expected",
    [
        (950, m.COUNT, "950"),
        (12_300, m.COUNT, "12.3k"),
        (20_000, m.COUNT, "20k"),
        (4_100_000, m.COUNT, "4.1M"),
        (250_000, m.COUNT, "250k"),
        (0.025, m.RATIO, "2.5 %"),
        (0.02, m.RATIO, "2 %"),
        (0.15, m.RATIO, "15 %"),
    ],
)
def test_format_compact(value, unit, expected) -> None:
    assert m.format_compact(value, unit) == expected


def test_every_platform_has_a_field_map_and_all_map_to_collected_metrics() -> None:
    assert set(m.PLATFORM_FIELDS) == set(PLATFORMS)
    for fields in m.PLATFORM_FIELDS.values():
        for key, field in fields.items():
            assert field.metric == key
            assert key in m.POST_METRICS or key in m.CHANNEL_METRICS
            assert field.api_fields


def test_mastodon_status_counts_map_to_plume_metrics() -> None:
    status = {"favourites_count": 12, "reblogs_count": 3, "replies_count": 4, "id": "1"}
    assert m.from_api("mastodon", status) == {"likes": 12, "shares": 3, "comments": 4}


def test_bluesky_reposts_and_quotes_add_up_to_shares() -> None:
    post = {"likeCount": 20, "repostCount": 5, "replyCount": 2, "quoteCount": 1}
    assert m.from_api("bluesky", post) == {"likes": 20, "shares": 6, "comments": 2}


def test_from_api_leaves_out_what_the_payload_lacks_and_rejects_negatives() -> None:
    assert m.from_api("x", {"like_count": 1, "quote_count": None}) == {"likes": 1}
    with pytest.raises(ValueError, match="negative"):
        m.from_api("x", {"like_count": -1})
    with pytest.raises(ValueError, match="unknown platform"):
        m.from_api("myspace", {})


def test_platform_name_uses_the_platform_table() -> None:
    assert m.platform_name("linkedin") == "LinkedIn"
    assert m.platform_name("unknown") == "unknown"
