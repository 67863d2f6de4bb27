"""SVG charts: well-formed, labelled for screen readers, escaped, deterministic, readable."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from studio.analytics import charts as c
from studio.colour import contrast_ratio

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & "quotes"'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def all_charts(**overrides) -> dict[str, str]:
    labels = ["1 Oct", "2 Oct", "3 Oct", "4 Oct"]
    series = [c.Series("Instagram", (10, 20, None, 40)), c.Series("X", (5, 0, 15, 8))]
    grid = [[None] * 24 for _ in range(7)]
    grid[1][9] = 0.05
    grid[4][18] = 0.12
    common = {"title": "Title", "description": "Description", **overrides}
    return {
        "line": c.line_chart(labels, series, **common),
        "bar": c.bar_chart(labels, [1, 2, None, 4], **common),
        "hbar": c.bar_chart(labels, [1, 2, 3, 4], horizontal=True, **common),
        "stack": c.stacked_bar_chart(labels, series, **common),
        "heatmap": c.heatmap(grid, **common),
        "spark": c.sparkline([1, 3, 2, None, 5], **common),
    }


@pytest.mark.parametrize("kind", ["line", "bar", "hbar", "stack", "heatmap", "spark"])
def test_each_chart_is_well_formed_and_labelled_for_screen_readers(kind: str) -> None:
    svg = all_charts()[kind]
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("width") == "100%" and root.get("height") is None
    title_id, desc_id = root.get("aria-labelledby", "").split()
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.get("id") == title_id and title.text == "Title"
    assert desc is not None and desc.get("id") == desc_id and desc.text == "Description"
    assert list(root)[:2] == [title, desc]  # first children, as assistive tech expects
    for forbidden in ("<script", "style=", "href", "@import", "url("):
        assert forbidden not in svg


@pytest.mark.parametrize("kind", ["line", "bar", "hbar", "stack", "heatmap", "spark"])
def test_labels_with_markup_stay_text(kind: str) -> None:
    svg = all_charts(title=EVIL, description=EVIL)[kind]
    root = parse(svg)
    assert root.find(f"{SVG}title").text == EVIL
    assert root.find(f"{SVG}desc").text == EVIL
    assert not any(el.tag.endswith("script") for el in root.iter())


def test_category_and_series_names_are_escaped_everywhere() -> None:
    labels = [EVIL, "ok"]
    series = [c.Series(EVIL, (1, 2)), c.Series("B", (2, 1))]
    for svg in (
        c.line_chart(labels, series, title="t", description="d"),
        c.stacked_bar_chart(labels, series, title="t", description="d"),
        c.bar_chart(labels, [1, 2], title="t", description="d", horizontal=True),
    ):
        root = parse(svg)
        assert not any(el.tag.endswith("script") for el in root.iter())
        shown = texts(root) + [t.text or "" for t in root.iter(f"{SVG}title")]
        assert any("<script>" in text for text in shown)


def test_characters_xml_forbids_are_dropped_not_passed_through() -> None:
    svg = c.bar_chart(["bell\x07 label", "nul\x00"], [1, 2], title="t\x0b", description="d")
    root = parse(svg)
    assert "bell label" in texts(root)
    assert root.find(f"{SVG}title").text == "t"


@pytest.mark.parametrize(
    "svg",
    [
        c.line_chart([], [], title="t", description="d"),
        c.line_chart(["a", "b"], [c.Series("s", (None, None))], title="t", description="d"),
        c.bar_chart([], [], title="t", description="d"),
        c.bar_chart(["a"], [None], title="t", description="d", horizontal=True),
        c.stacked_bar_chart(["a"], [c.Series("s", (0,))], title="t", description="d"),
        c.heatmap([[None] * 24] * 7, title="t", description="d"),
    ],
)
def test_empty_data_says_so_in_the_chart(svg: str) -> None:
    root = parse(svg)
    assert c.EMPTY_MESSAGE in texts(root)
    assert root.find(f"{SVG}title").text == "t"


def test_empty_sparkline_has_a_short_message() -> None:
    assert "No data" in texts(parse(c.sparkline([], title="t", description="d")))


def test_same_input_gives_the_same_bytes_and_different_charts_get_different_ids() -> None:
    first, second = all_charts(), all_charts()
    assert first == second
    ids = {parse(svg).get("aria-labelledby") for svg in first.values()}
    assert len(ids) == len(first)
    other = c.line_chart(["a"], [c.Series("s", (1,))], title="Other", description="d")
    assert parse(other).get("aria-labelledby") != parse(first["line"]).get("aria-labelledby")
    named = c.line_chart(["a"], [c.Series("s", (1,))], title="t", description="d", chart_id="k 1")
    assert parse(named).get("aria-labelledby") == "k-1-title k-1-desc"


def test_line_chart_breaks_the_line_at_missing_values_and_marks_points() -> None:
    svg = c.line_chart(
        ["a", "b", "c", "d", "e"],
        [c.Series("s", (1, 2, None, 4, 5))],
        title="t",
        description="d",
    )
    root = parse(svg)
    paths = list(root.iter(f"{SVG}path"))
    assert len(paths) == 2
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 4
    assert circles[0].find(f"{SVG}title").text == "s, a: 1"


def test_several_series_get_a_legend_and_distinct_dashes() -> None:
    series = [c.Series(f"S{i}", (i, i + 1)) for i in range(3)]
    root = parse(c.line_chart(["a", "b"], series, title="t", description="d"))
    assert {"S0", "S1", "S2"} <= set(texts(root))
    dashes = {p.get("stroke-dasharray") for p in root.iter(f"{SVG}path")}
    assert len(dashes) == 3


def test_y_axis_starts_at_zero_and_ends_on_a_round_number() -> None:
    root = parse(c.line_chart(["a", "b"], [c.Series("s", (130, 870))], title="t", description="d"))
    ticks = texts(root)
    assert "0" in ticks and "1k" in ticks and "870" not in ticks


def test_ratio_unit_formats_ticks_as_percentages() -> None:
    root = parse(
        c.line_chart(
            ["a", "b"], [c.Series("s", (0.01, 0.04))], title="t", description="d", unit="ratio"
        )
    )
    assert {"0 %", "1 %", "2 %", "3 %", "4 %"} <= set(texts(root))


def test_bars_one_per_value_with_their_values_shown() -> None:
    root = parse(
        c.bar_chart(["A", "B", "C"], [10, None, 30], title="t", description="d", horizontal=True)
    )
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [r.find(f"{SVG}title").text for r in bars] == ["A: 10", "C: 30"]
    assert {"10", "30", "\u2014"} <= set(texts(root))
    assert float(bars[1].get("width")) == pytest.approx(3 * float(bars[0].get("width")), rel=0.02)


def test_vertical_bars_keep_every_category_label_when_there_is_room() -> None:
    labels = ["Instagram", "Facebook", "LinkedIn", "Threads", "Bluesky", "Mastodon"]
    root = parse(c.bar_chart(labels, [1, 2, 3, 4, 5, 6], title="t", description="d"))
    shown = texts(root)
    assert all(any(text.startswith(label[:4]) for text in shown) for label in labels)


def test_vertical_bars_mark_a_missing_value_with_a_dash() -> None:
    root = parse(c.bar_chart(["A", "B"], [0.05, None], title="t", description="d", unit="ratio"))
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 1 and "\u2014" in texts(root)


def test_stacked_segments_add_up_to_each_bar() -> None:
    series = [c.Series("A", (10, 0)), c.Series("B", (30, 20))]
    root = parse(c.stacked_bar_chart(["m1", "m2"], series, title="t", description="d"))
    segments = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [r.find(f"{SVG}title").text for r in segments] == ["A, m1: 10", "B, m1: 30", "B, m2: 20"]
    first_bar = [float(r.get("height")) for r in segments[:2]]
    assert first_bar[1] == pytest.approx(3 * first_bar[0], rel=0.02)


def test_heatmap_has_one_cell_per_hour_and_weekday_and_rejects_other_shapes() -> None:
    grid = [[(d * 24 + h) / 1000 for h in range(24)] for d in range(7)]
    counts = [[1] * 24 for _ in range(7)]
    root = parse(c.heatmap(grid, counts=counts, title="t", description="d", colour="#C8553D"))
    titled = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    cells, swatches = titled[:168], titled[168:]
    assert len(swatches) == 5
    assert swatches[0].find(f"{SVG}title").text.startswith("0.0 % to ")
    assert swatches[-1].find(f"{SVG}title").text.endswith(" to 16.7 %")
    assert cells[0].find(f"{SVG}title").text == "Mon 00:00: 0.0 % (1 post)"
    assert cells[0].get("fill") != cells[-1].get("fill")
    fills = [cell.get("fill") for cell in cells]
    assert len(set(fills)) == 5  # quantile classes: five shades, each about a fifth
    assert max(Counter(fills).values()) <= 34
    with pytest.raises(ValueError, match="7 rows of 24"):
        c.heatmap([[0.1] * 24] * 6, title="t", description="d")


def test_one_outlier_does_not_wash_out_the_heatmap() -> None:
    grid = [[None] * 24 for _ in range(7)]
    for hour in range(8, 18):
        grid[0][hour] = 0.02 + hour / 1000
    grid[4][10] = 0.9
    root = parse(c.heatmap(grid, title="t", description="d"))
    cells = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None][:168]
    shaded = {cell.get("fill") for cell in cells[8:18]}
    assert len(shaded) >= 4  # the ordinary hours still differ from one another


def test_text_is_dark_on_white_and_palette_colours_are_visible() -> None:
    for svg in all_charts().values():
        root = parse(svg)
        assert root.get("fill") == c.TEXT
        for text in root.iter(f"{SVG}text"):
            assert contrast_ratio(text.get("fill", c.TEXT), "#FFFFFF") >= 4.5
    pale = c.chart_colours(["#F0E442", "#FFFFFF"])
    assert all(contrast_ratio(colour, "#FFFFFF") >= 3.0 for colour in pale)
    assert pale[0] != "#F0E442"


def test_chart_colours_extend_a_short_brand_palette_with_distinct_colours() -> None:
    colours = c.chart_colours(["#C8553D"], 12)
    assert colours[0] == "#C8553D"
    assert len(colours) >= 12 and len(set(colours[:12])) == 12


@pytest.mark.parametrize(
    "low, high",
    [(0, 870), (0, 1), (0, 0.037), (0, 12_345_678), (0, 3), (-5, 5), (0, 0), (17, 17.5)],
)
def test_nice_ticks_are_round_evenly_spaced_and_cover_the_range(low, high) -> None:
    ticks = c.nice_ticks(low, high)
    assert ticks[0] <= low and ticks[-1] >= high
    steps = {round(b - a, 12) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in {1, 2, 2.5, 5}
    assert 2 <= len(ticks) <= 8


def test_data_table_has_the_same_numbers_with_headers_and_escaping() -> None:
    html = c.data_table(
        ["1 Oct", EVIL],
        [c.Series("Reach", (1200, None)), c.Series("Likes", (5, 12.25))],
        caption=EVIL,
        label_header="Day",
    )
    table = ET.fromstring(html)
    assert table.find("caption").text == EVIL
    assert [th.text for th in table.find("thead").iter("th")] == ["Day", "Reach", "Likes"]
    rows = table.find("tbody").findall("tr")
    assert rows[0].find("th").get("scope") == "row"
    assert [td.text for td in rows[0].findall("td")] == ["1,200", "5"]
    assert rows[1].find("th").text == EVIL
    assert [td.text for td in rows[1].findall("td")] == ["\u2014", "12.2"]
    assert "<script>" not in html


def test_data_table_without_data_says_so() -> None:
    table = ET.fromstring(c.data_table([], [c.Series("Reach", ())], caption="c"))
    assert table.find("tbody").find("tr").find("td").text == c.EMPTY_MESSAGE


def test_heatmap_table_has_an_hour_per_row_and_a_weekday_per_column() -> None:
    grid = [[None] * 24 for _ in range(7)]
    grid[2][14] = 0.031
    table = ET.fromstring(c.heatmap_table(grid, caption="Best time"))
    assert len(table.find("thead").findall("tr/th")) == 8
    rows = table.find("tbody").findall("tr")
    assert len(rows) == 24
    assert rows[14].find("th").text == "14:00"
    assert rows[14].findall("td")[2].text == "3.1 %"


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        c.line_chart(["a", "b", "c"], [c.Series("s", (1, 2))], title="t", description="d")
    with pytest.raises(ValueError):
        c.bar_chart(["a"], [1, 2], title="t", description="d")


def test_date_labels() -> None:
    from datetime import date

    assert c.date_labels([date(2026, 10, 5)], "day") == ["5 Oct"]
    assert c.date_labels([date(2026, 10, 1)], "month") == ["Oct 2026"]
    assert c.date_labels([date(2025, 12, 29), date(2026, 1, 5)], "week") == [
        "29 Dec 25",
        "5 Jan 26",
    ]
