"""Kits as folders and ZIPs: round trips, and every hostile or broken archive refused whole."""

# A Turkish dotless i is part of a round-trip test on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from studio.brandkit import kit_from_dict
from studio.kitfiles import (
    ArchiveLimits,
    ImportProblem,
    KitImportError,
    export_kit_archive,
    kit_from_toml,
    kit_to_toml,
    line_for,
    load_kit_archive,
    toml_lines,
)
from studio.voice import check
from tests.unit.test_fontfiles import build_font

KIT_TOML = """\
format = 1
name = "Ember Roasters"
description = "Small-batch coffee"

[[palette]]
name = "Ember"
hex = "#C8553D"
role = "primary"

[[palette]]
name = "Crema"
hex = "#FFF8F0"
role = "background"

[fonts.heading]
file = "fonts/Heading.ttf"

[fonts.body]
family = "DejaVu Sans"

[logos]
primary = "logos/primary.png"
mark = "logos/mark.png"

[voice]
tone = \"\"\"
Warm and plain-spoken.
Never pushy.\"\"\"

[[voice.banned]]
phrase = "cheap"
suggestion = "affordable"

[[voice.banned]]
phrase = "act now"
severity = "block"

[voice.hashtags]
required = ["#EmberRoasters"]
max_per_platform = { instagram = 10, linkedin = 3 }
"""


def png(size: tuple[int, int] = (64, 32), colour: str = "#C8553D") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


FONT = build_font("Ember Serif")  # built once: fontTools stamps fonts with the build time


def assets() -> dict[str, bytes]:
    return {
        "fonts/Heading.ttf": FONT,
        "logos/primary.png": png((120, 40)),
        "logos/mark.png": png((40, 40)),
    }


def make_zip(files: dict[str, bytes | str], prefix: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(prefix + name, data)
    return out.getvalue()


def kit_zip(toml: str = KIT_TOML, **replace: bytes | None) -> bytes:
    files: dict[str, bytes | str] = {"kit.toml": toml, **assets()}
    for name, data in replace.items():
        path = name.replace("__", "/").replace("_png", ".png").replace("_ttf", ".ttf")
        if data is None:
            files.pop(path)
        else:
            files[path] = data
    return make_zip(files)


def problems(source: bytes | Path, **limits: int) -> list[ImportProblem]:
    with pytest.raises(KitImportError) as info:
        load_kit_archive(source, ArchiveLimits(**limits) if limits else None)
    return info.value.problems


def by_field(found: list[ImportProblem]) -> dict[str, ImportProblem]:
    return {p.field: p for p in found}


# --- good kits ----------------------------------------------------------------------------


def test_zip_loads_with_assets_and_font_info() -> None:
    loaded = load_kit_archive(kit_zip())
    assert loaded.kit.name == "Ember Roasters"
    assert loaded.kit.voice.tone == "Warm and plain-spoken.\nNever pushy."
    assert loaded.kit.voice.hashtags is not None
    assert loaded.kit.voice.hashtags.max_for("linkedin") == 3
    assert loaded.assets == assets()
    assert loaded.fonts["fonts/Heading.ttf"].family == "Ember Serif"


def test_zip_of_a_folder_loads_too() -> None:
    data = make_zip({"kit.toml": KIT_TOML, **assets()}, prefix="ember-roasters/")
    assert load_kit_archive(data).assets == assets()


def test_folder_and_zip_file_paths_load(tmp_path: Path) -> None:
    (tmp_path / "kit").mkdir()
    (tmp_path / "kit" / "kit.toml").write_text(KIT_TOML)
    for name, data in assets().items():
        (tmp_path / "kit" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "kit" / name).write_bytes(data)
    from_folder = load_kit_archive(tmp_path / "kit")
    (tmp_path / "kit.zip").write_bytes(kit_zip())
    from_file = load_kit_archive(tmp_path / "kit.zip")
    assert from_folder.kit == from_file.kit and from_folder.assets == from_file.assets


def test_export_round_trips_and_is_deterministic() -> None:
    loaded = load_kit_archive(kit_zip())
    exported = export_kit_archive(loaded.kit, {**loaded.assets, "unused.txt": b"left out"})
    assert exported == export_kit_archive(loaded.kit, loaded.assets)
    again = load_kit_archive(exported)
    assert again.kit == loaded.kit and again.assets == loaded.assets
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        assert archive.namelist() == [
            "kit.toml",
            "fonts/Heading.ttf",
            "logos/mark.png",
            "logos/primary.png",
        ]


def test_export_refuses_a_kit_without_its_asset_data() -> None:
    kit = load_kit_archive(kit_zip()).kit
    with pytest.raises(ValueError, match=r"logos/mark\.png"):
        export_kit_archive(kit, {"fonts/Heading.ttf": b"x", "logos/primary.png": b"x"})


def test_toml_round_trip_keeps_unicode_and_newlines() -> None:
    kit = kit_from_dict(
        {
            "name": "Café Noir — “Ümlaut” \\ test",
            "voice": {
                "tone": 'Line one.\nLine "two".\ttabbed',
                "banned": [{"phrase": "(a+)+$"}, {"phrase": "ışık"}],
            },
        }
    )
    assert kit_from_toml(kit_to_toml(kit)) == kit


# --- TOML problems, with lines --------------------------------------------------------------


def test_toml_syntax_error_reports_its_line() -> None:
    broken = KIT_TOML.replace('role = "background"', "role = background")
    (problem,) = problems(kit_zip(broken))
    assert problem.field == "kit.toml"
    assert problem.line == 13
    assert "not valid TOML" in problem.message


def test_wrong_types_and_unknown_keys_report_field_and_line() -> None:
    broken = (
        KIT_TOML.replace('hex = "#FFF8F0"', 'hex = "FFF8F0"')
        .replace('severity = "block"', 'severity = "fatal"\nweight = 3')
        .replace("linkedin = 3", 'linkedin = "3"')
        .replace('name = "Ember Roasters"', 'name = "Ember Roasters"\nslogan = "Hot"')
    )
    found = by_field(problems(kit_zip(broken)))
    assert set(found) == {
        "slogan",
        "palette[1].hex",
        "voice.banned[1].severity",
        "voice.banned[1].weight",
        "voice.hashtags.max_per_platform.linkedin",
    }
    lines = broken.splitlines()
    for problem in found.values():
        assert problem.line is not None
        key = problem.field.rsplit(".", 1)[-1]
        assert lines[problem.line - 1].lstrip().startswith(key) or key in lines[problem.line - 1]
    assert found["palette[1].hex"].line == 13  # one line lower: "slogan" was inserted
    assert "did you mean '#FFF8F0'" in found["palette[1].hex"].message
    assert "unknown key" in found["slogan"].message


def test_future_format_is_refused() -> None:
    found = by_field(problems(kit_zip(KIT_TOML.replace("format = 1", "format = 2"))))
    assert found["format"].line == 1 and "format 2" in found["format"].message


def test_toml_lines_maps_tables_arrays_and_inline_arrays() -> None:
    text = (
        "a = 1\n[t]\nb = [\n  { c = 1 },\n  { c = 2, d = 3 },\n]\n"
        "[[t.list]]\ne = 1\n[[t.list]]\ne = 2\n"
    )
    lines = toml_lines(text)
    assert (lines["a"], lines["t"], lines["t.b"]) == (1, 2, 3)
    assert (lines["t.b[0].c"], lines["t.b[1].d"]) == (4, 5)
    assert (lines["t.list[0].e"], lines["t.list[1].e"]) == (8, 10)
    assert line_for("t.list[1].missing", lines) == 9
    assert line_for("nowhere.at.all", lines) is None


# --- asset problems -----------------------------------------------------------------------


def test_missing_kit_toml_suggests_a_case_fix() -> None:
    data = make_zip({"Kit.toml": KIT_TOML, **assets()})
    (problem,) = problems(data)
    assert problem.field == "kit.toml" and "'Kit.toml'" in problem.message


def test_missing_and_invalid_assets_are_all_reported_with_lines() -> None:
    zipped_font = make_zip({"Heading.ttf": FONT})
    truncated_png = png((200, 200))[:300]
    data = make_zip(
        {
            "kit.toml": KIT_TOML,
            "fonts/Heading.ttf": zipped_font,
            "logos/Primary.png": png(),
            "logos/mark.png": truncated_png,
        }
    )
    found = by_field(problems(data))
    assert set(found) == {"fonts.heading.file", "logos.primary", "logos.mark"}
    assert "ZIP archive" in found["fonts.heading.file"].message
    assert found["fonts.heading.file"].line == 16
    assert "'logos/Primary.png'" in found["logos.primary"].message  # case hint
    assert "damaged" in found["logos.mark"].message


def _png_claiming(width: int, height: int) -> bytes:
    data = bytearray(png((1, 1)))
    ihdr = 8 + 8  # signature, then length + "IHDR"
    struct.pack_into(">II", data, ihdr, width, height)
    crc = zlib.crc32(bytes(data[12 : ihdr + 13]))
    struct.pack_into(">I", data, ihdr + 13, crc)
    return bytes(data)


def test_decompression_bomb_logo_is_refused() -> None:
    found = by_field(problems(kit_zip(logos__primary_png=_png_claiming(50_000, 50_000))))
    assert "too large" in found["logos.primary"].message


def test_truncated_jpeg_logo_is_refused() -> None:
    photo = io.BytesIO()
    Image.effect_noise((400, 300), 64).convert("RGB").save(photo, "JPEG", quality=90)
    toml = KIT_TOML.replace("logos/primary.png", "logos/primary.jpg")
    files = {"kit.toml": toml, **assets(), "logos/primary.jpg": photo.getvalue()[:4000]}
    found = by_field(problems(make_zip(files)))
    assert "cut off" in found["logos.primary"].message


def test_logo_in_a_format_kits_do_not_take() -> None:
    gif = io.BytesIO()
    Image.new("P", (4, 4)).save(gif, "GIF")
    found = by_field(problems(kit_zip(logos__mark_png=gif.getvalue())))
    assert "GIF image, not a supported image" in found["logos.mark"].message


# --- hostile archives ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("../evil.sh", "outside the kit folder"),
        ("fonts/../../evil.sh", "outside the kit folder"),
        ("/etc/cron.d/evil", "absolute path"),
        ("C:/Windows/evil.dll", "absolute path"),
        ("fonts\\evil.ttf", "backslashes"),
    ],
)
def test_zip_slip_entries_refuse_the_whole_archive(name: str, fragment: str) -> None:
    data = make_zip({"kit.toml": KIT_TOML, **assets(), name: b"#!/bin/sh\n"})
    found = by_field(problems(data))
    assert fragment in found[name].message


def test_symlink_entry_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("kit.toml", KIT_TOML)
        link = zipfile.ZipInfo("logos/primary.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    found = by_field(problems(out.getvalue()))
    assert "symbolic link" in found["logos/primary.png"].message


def test_encrypted_entry_is_refused() -> None:
    data = bytearray(make_zip({"kit.toml": KIT_TOML}))
    # zipfile cannot write encrypted entries; set the "encrypted" flag in both headers.
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + flag_offset
        data[at] |= 0x1
    (problem,) = problems(bytes(data))
    assert problem.field == "kit.toml" and "encrypted" in problem.message


def test_ten_thousand_files_are_refused_before_reading_any() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("kit.toml", KIT_TOML)
        for i in range(10_000):
            archive.writestr(f"junk/{i}.txt", b"")
    (problem,) = problems(out.getvalue())
    assert problem.field == "(archive)" and "10,001 entries" in problem.message


def test_zip_bomb_entry_is_refused_by_its_ratio() -> None:
    data = make_zip({"kit.toml": KIT_TOML, **assets(), "padding.bin": b"\0" * 5_000_000})
    found = by_field(problems(data))
    assert "zip bomb" in found["padding.bin"].message


def test_size_caps_per_file_and_in_total() -> None:
    big = os.urandom(300_000)
    data = make_zip({"kit.toml": KIT_TOML, **assets(), "a.bin": big, "b.bin": big})
    assert "at most" in by_field(problems(data, max_file_bytes=200_000))["a.bin"].message
    total = by_field(problems(data, max_total_bytes=500_000))["(archive)"]
    assert "unpack" in total.message


def test_not_a_zip_at_all() -> None:
    (problem,) = problems(b"%PDF-1.7 not a zip")
    assert problem.field == "(archive)" and "not a readable ZIP" in problem.message


def test_folder_with_a_symlinked_asset_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kit.toml").write_text(KIT_TOML)
    for name, data in assets().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    outside = tmp_path.parent / f"{tmp_path.name}-secret.png"
    outside.write_bytes(png())
    (tmp_path / "logos" / "mark.png").unlink()
    (tmp_path / "logos" / "mark.png").symlink_to(outside)
    found = by_field(problems(tmp_path))
    assert "symbolic link" in found["logos.mark"].message


def test_nothing_is_returned_when_anything_is_wrong() -> None:
    # One good asset and one bad: the error carries no partial result to save.
    with pytest.raises(KitImportError) as info:
        load_kit_archive(kit_zip(logos__mark_png=b"not a png"))
    assert [p.field for p in info.value.problems] == ["logos.mark"]
    assert not hasattr(info.value, "kit")


# --- the demo kits --------------------------------------------------------------------------

DEMO_KITS = Path(__file__).resolve().parents[2] / "brand_kits"


@pytest.mark.parametrize("slug", ["ember-roasters", "northwind-bank"])
def test_demo_kit_loads_and_its_examples_behave(slug: str) -> None:
    loaded = load_kit_archive(DEMO_KITS / slug)
    kit = loaded.kit
    assert set(loaded.assets) == set(kit.asset_paths().values())
    assert {"primary", "mark", "mono"} <= set(k.split(".")[1] for k in kit.asset_paths())
    mark = Image.open(io.BytesIO(loaded.assets[kit.logos.mark or ""]))
    assert mark.width == mark.height  # the mark is the square variant
    for example in kit.voice.do_examples:
        assert check(example, kit, platform="instagram") == [], example
    for example in kit.voice.dont_examples:
        assert check(example, kit, platform="instagram"), example
    again = load_kit_archive(export_kit_archive(kit, loaded.assets))
    assert again.kit == kit


def test_ember_roasters_rules_fire() -> None:
    kit = load_kit_archive(DEMO_KITS / "ember-roasters").kit
    text = "Our Cheap beans from ember roasters! Gifted by a friend."
    findings = check(text, kit, platform="instagram", tags=["gifted"])
    got = {(f.rule, text[f.start : f.end] or f.suggestion) for f in findings}
    assert ("banned_phrase", "Cheap") in got
    assert ("brand_term", "ember roasters") in got
    assert ("required_phrase", " #ad") in got
    assert ("hashtag_required", " #EmberRoasters") in got


def test_northwind_disclaimer_rule_blocks_linkedin_and_promos() -> None:
    kit = load_kit_archive(DEMO_KITS / "northwind-bank").kit
    text = "Open a Northwind Invest ISA today at northwind.bank/isa"
    for platform, tags in (("linkedin", ()), ("instagram", ("promo",))):
        findings = check(text, kit, platform=platform, tags=tags)
        required = [f for f in findings if f.rule == "required_phrase"]
        assert [(f.severity, f.suggestion) for f in required] == [("block", " Capital at risk.")]
        utm = [f for f in findings if f.rule == "link_utm"]
        assert utm[0].severity == "block"
        assert utm[0].suggestion == (
            f"northwind.bank/isa?utm_source={platform}&utm_medium=social&utm_campaign=always-on"
        )
    assert not [f for f in check(text, kit, platform="x") if f.rule == "required_phrase"]
    bad = "Risk-free returns with northwind, see https://crypto.example.com"
    rules = {(f.rule, f.severity) for f in check(bad, kit)}
    assert {("banned_phrase", "block"), ("brand_term", "block"), ("link_domain", "block")} <= rules
