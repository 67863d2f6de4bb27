"""Brand kit pages: palette, fonts, logos, voice rules, live checking, history, files."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from studio.extensions import db
from studio.kits import operations as ops
from studio.models import BrandKit, KitVersion, Role

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture
def studio(make):
    workspace = make.workspace()
    brand = make.brand(workspace, name="Harbour Tea", colour="#225577")
    people = {
        role: make.member(workspace, role, brands=[brand] if role == Role.CLIENT else None)
        for role in Role
    }
    return {"workspace": workspace, "brand": brand, **{r.value: m for r, m in people.items()}}


def kit_url(studio, suffix=""):
    return f"/w/{studio['workspace'].slug}/brands/{studio['brand'].id}/kit{suffix}"


def current_kit(studio) -> BrandKit:
    return db.session.scalar(select(BrandKit).where(BrandKit.brand_id == studio["brand"].id))


def png_bytes(size=(64, 32), exif=True) -> bytes:
    image = Image.new("RGBA", size, (200, 80, 40, 255))
    buffer = io.BytesIO()
    info = Image.Exif()
    info[0x010F] = "SecretCam"  # Make
    image.save(buffer, "PNG", exif=info.tobytes() if exif else b"")
    return buffer.getvalue()


def test_first_visit_creates_version_one_from_the_brand_colour(client, studio, login):
    login(studio["copywriter"].user)
    page = client.get(kit_url(studio)).get_data(as_text=True)
    assert "version 1" in page and "#225577" in page
    kit = current_kit(studio)
    assert kit.version == 1 and kit.data["palette"][0]["hex"] == "#225577"


def test_designer_edits_palette_and_gets_a_contrast_matrix_and_a_new_version(client, studio, login):
    login(studio["designer"].user)
    response = client.form(
        kit_url(studio, "/palette"),
        {
            "palette[0].name": "Ink",
            "palette[0].hex": "#111111",
            "palette[0].role": "text",
            "palette[1].name": "Paper",
            "palette[1].hex": "#ffffff",
            "palette[1].role": "background",
            "palette[2].name": "",
            "palette[2].hex": "",
            "palette[2].role": "accent",
        },
    )
    assert response.status_code == 303
    kit = current_kit(studio)
    assert kit.version == 2
    assert [c["hex"] for c in kit.data["palette"]] == ["#111111", "#FFFFFF"]
    latest = db.session.scalar(
        select(KitVersion).where(KitVersion.kit_id == kit.id, KitVersion.version == 2)
    )
    assert latest.changed_by_id == studio["designer"].user_id and latest.changed_fields == [
        "palette"
    ]
    page = client.get(kit_url(studio)).get_data(as_text=True)
    assert "18.88:1" in page  # #111111 on white
    history = client.get(kit_url(studio, "/history")).get_data(as_text=True)
    assert "v2" in history and studio["designer"].user.name in history


def test_invalid_hex_is_refused_beside_its_field_and_nothing_changes(client, studio, login):
    login(studio["designer"].user)
    client.get(kit_url(studio))
    response = client.form(
        kit_url(studio, "/palette"),
        {"palette[0].name": "Oops", "palette[0].hex": "#12345G", "palette[0].role": "primary"},
        htmx=True,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="palette-panel"' in body and "<html" not in body
    assert re.search(r'name="palette\[0\]\.hex" value="#12345G"[^>]*aria-invalid="true"', body)
    assert "hex" in body.lower()
    assert current_kit(studio).version == 1


def test_roles_who_may_not_edit_are_refused(client, studio, login):
    login(studio["copywriter"].user)
    assert client.form(kit_url(studio, "/palette"), {"palette[0].name": "X"}).status_code == 403
    assert client.form(kit_url(studio, "/voice"), {"voice.tone": "Loud"}).status_code == 403
    client.form("/logout")
    login(studio["designer"].user)
    assert client.form(kit_url(studio, "/voice"), {"voice.tone": "Loud"}).status_code == 403
    client.form("/logout")
    login(studio["client"].user)
    assert client.get(kit_url(studio)).status_code == 200  # clients read their brand's kit
    assert client.form(kit_url(studio, "/logos"), {}).status_code == 403


def voice_form(**extra):
    data = {
        "voice.tone": "Calm and clear.",
        "voice.banned[0].phrase": "cheap",
        "voice.banned[0].suggestion": "affordable",
        "voice.banned[0].severity": "warn",
        "voice.banned[0].inflections": "on",
        "voice.banned[1].phrase": "(a+)+$",
        "voice.banned[1].severity": "block",
        "voice.brand_terms[0].term": "HarbourTea",
        "voice.brand_terms[0].severity": "warn",
        "voice.required[0].phrase": "#ad",
        "voice.required[0].tags": "sponsored",
        "voice.required[0].severity": "block",
        "voice.exclamations.enabled": "on",
        "voice.exclamations.max_count": "1",
        "voice.exclamations.severity": "warn",
    }
    data.update(extra)
    return data


def test_manager_saves_voice_rules_and_the_checker_uses_them(client, studio, login):
    login(studio["brand_manager"].user)
    client.get(kit_url(studio))
    assert client.form(kit_url(studio, "/voice"), voice_form()).status_code == 303
    voice = current_kit(studio).data["voice"]
    assert voice["banned"][1] == {"phrase": "(a+)+$", "severity": "block", "inflections": False}
    response = client.form(
        kit_url(studio, "/check"),
        {
            "sample": "Cheap tea from harbourtea: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab and (a+)+$ !!",
            "tags": "sponsored",
        },
        htmx=True,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Cheap" in body and "affordable" in body.lower()
    assert "HarbourTea" in body
    assert "#ad" in body
    assert body.count('class="finding-item block"') >= 2  # the literal "(a+)+$" and the missing #ad
    assert '<mark class="finding' in body


def test_unknown_platform_in_a_rule_names_the_field(client, studio, login):
    login(studio["brand_manager"].user)
    client.get(kit_url(studio))
    response = client.form(
        kit_url(studio, "/voice"),
        voice_form(**{"voice.required[0].platforms": "myspace"}),
        htmx=True,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "nothing was saved" in body
    assert "myspace" in body
    assert current_kit(studio).version == 1


def test_non_numeric_limit_is_a_field_message_not_a_500(client, studio, login):
    login(studio["brand_manager"].user)
    client.get(kit_url(studio))
    response = client.form(
        kit_url(studio, "/voice"), voice_form(**{"voice.exclamations.max_count": "lots"}), htmx=True
    )
    assert response.status_code == 422
    assert "must be a whole number" in response.get_data(as_text=True)


def test_applying_a_suggestion_rewrites_the_copy(client, studio, login):
    login(studio["brand_manager"].user)
    client.get(kit_url(studio))
    client.form(kit_url(studio, "/voice"), voice_form())
    text = "So cheap."
    checked = client.form(kit_url(studio, "/check"), {"sample": text}, htmx=True).get_data(
        as_text=True
    )
    index = re.search(r'name="finding" value="(\d+)"', checked).group(1)
    fixed = client.form(
        kit_url(studio, "/check/apply"), {"sample": text, "finding": index}, htmx=True
    )
    body = fixed.get_data(as_text=True)
    assert fixed.status_code == 200
    assert 'hx-swap-oob="true">So affordable.</textarea>' in body
    stale = client.form(kit_url(studio, "/check/apply"), {"sample": "", "finding": "7"}, htmx=True)
    assert stale.status_code == 409


def test_logo_upload_strips_metadata_and_serves_it(client, studio, login):
    login(studio["designer"].user)
    client.get(kit_url(studio))
    response = client.form(
        kit_url(studio, "/logos"),
        {"logos.mark": (io.BytesIO(png_bytes((64, 64))), "mark.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    kit = current_kit(studio)
    asset = next(a for a in kit.assets if a.path == "logos/mark.png")
    served = client.get(kit_url(studio, f"/assets/{asset.id}"))
    assert served.status_code == 200 and served.mimetype == "image/png"
    image = Image.open(io.BytesIO(served.data))
    assert image.size == (64, 64)
    assert not image.getexif() and "exif" not in image.info


def decompression_bomb_png(width=50_000, height=50_000) -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("payload", "filename", "expected"),
    [
        (decompression_bomb_png(), "huge.png", "pixels"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 40, "cut.jpg", ""),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "logo.png", ""),
    ],
)
def test_bad_logos_are_refused_with_a_reason(client, studio, login, payload, filename, expected):
    login(studio["designer"].user)
    client.get(kit_url(studio))
    response = client.form(
        kit_url(studio, "/logos"),
        {"logos.primary": (io.BytesIO(payload), filename)},
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert expected.lower() in body.lower()
    assert 'class="error"' in body
    assert current_kit(studio).version == 1
    assert current_kit(studio).assets == []


def test_font_upload_is_parsed_and_a_renamed_zip_is_refused(client, studio, login):
    login(studio["designer"].user)
    client.get(kit_url(studio))
    good = client.form(
        kit_url(studio, "/fonts"),
        {
            "fonts.heading.upload": (io.BytesIO(DEJAVU.read_bytes()), "DejaVuSans.ttf"),
            "fonts.body.family": "Georgia",
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 303
    kit = current_kit(studio)
    assert kit.data["fonts"] == {
        "heading": {"file": "fonts/heading.ttf"},
        "body": {"family": "Georgia"},
    }
    css = client.get(kit_url(studio, "/fonts.css")).get_data(as_text=True)
    assert "@font-face" in css and "/assets/" in css

    fake = io.BytesIO()
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("x.txt", "not a font")
    bad = client.form(
        kit_url(studio, "/fonts"),
        {"fonts.body.upload": (io.BytesIO(fake.getvalue()), "Body.ttf")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "ZIP" in bad.get_data(as_text=True) or "zip" in bad.get_data(as_text=True)
    assert current_kit(studio).version == kit.version


def test_export_then_import_round_trips_the_kit(app, client, studio, make, login):
    login(studio["brand_manager"].user)
    client.get(kit_url(studio))
    client.form(kit_url(studio, "/voice"), voice_form())
    client.form(
        kit_url(studio, "/logos"),
        {"logos.primary": (io.BytesIO(png_bytes()), "p.png")},
        content_type="multipart/form-data",
    )
    exported = client.get(kit_url(studio, "/export"))
    assert exported.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(exported.data)).namelist()
    assert "kit.toml" in names and "logos/primary.png" in names

    other = make.brand(studio["workspace"], name="Second Brand")
    url = f"/w/{studio['workspace'].slug}/brands/{other.id}/kit/import"
    imported = client.form(
        url, {"archive": (io.BytesIO(exported.data), "kit.zip")}, content_type="multipart/form-data"
    )
    assert imported.status_code == 303
    copy = db.session.scalar(select(BrandKit).where(BrandKit.brand_id == other.id))
    assert copy.data["voice"] == current_kit(studio).data["voice"]
    assert {a.path for a in copy.assets} == {"logos/primary.png"}


def test_hostile_archives_are_refused_and_nothing_is_half_imported(client, studio, login):
    login(studio["brand_manager"].user)
    client.get(kit_url(studio))
    slip = io.BytesIO()
    with zipfile.ZipFile(slip, "w") as archive:
        archive.writestr("kit.toml", 'name = "Evil"\n[logos]\nprimary = "../../etc/passwd.png"\n')
        archive.writestr("../../etc/passwd.png", b"x")
    response = client.form(
        kit_url(studio, "/import"),
        {"archive": (io.BytesIO(slip.getvalue()), "kit.zip")},
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported" in body
    kit = current_kit(studio)
    assert kit.version == 1 and kit.data["name"] == "Harbour Tea"

    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        archive.writestr("kit.toml", 'name = "Many"\n')
        for i in range(10_000):
            archive.writestr(f"f{i}.txt", b"")
    response = client.form(
        kit_url(studio, "/import"),
        {"archive": (io.BytesIO(many.getvalue()), "kit.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert current_kit(studio).version == 1

    bad_types = io.BytesIO()
    with zipfile.ZipFile(bad_types, "w") as archive:
        archive.writestr("kit.toml", 'name = 5\ncolour = "red"\n')
    response = client.form(
        kit_url(studio, "/import"),
        {"archive": (io.BytesIO(bad_types.getvalue()), "kit.zip")},
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "line 1" in body and "colour" in body


def test_demo_seed_loads_both_demo_kits(app, client):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    kits = db.session.scalars(select(BrandKit)).all()
    names = sorted(k.data["name"] for k in kits)
    assert names == ["Ember Roasters", "Northwind Bank"]
    for kit in kits:
        assert kit.data["voice"]["banned"], kit.data["name"]
        assert any(a.path.startswith("logos/") for a in kit.assets)


def test_seeded_rules_fire(app):
    app.test_cli_runner().invoke(args=["seed-demo"])
    bank = db.session.scalar(
        select(BrandKit).where(BrandKit.data["name"].as_string() == "Northwind Bank")
    )
    with app.app_context():
        findings = ops.check_copy(bank, "Guaranteed returns, risk-free!", "linkedin", ["promo"])
    rules = {f.rule for f in findings}
    assert "banned_phrase" in rules and "required_phrase" in rules
