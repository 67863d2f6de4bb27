"""Media library through the UI: upload, focal point, renditions, crops, frames, bad files."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from studio.assets import operations as ops
from studio.extensions import db
from studio.models import MediaCrop, MediaItem, Role
from studio.platforms.media_presets import PRESETS
from studio.storage import original_key
from tests.unit import image_fixtures as fx

MAGENTA = (255, 0, 255)


@pytest.fixture
def studio(make):
    workspace = make.workspace()
    brand = make.brand(workspace, name="Harbour Tea", colour="#225577")
    other = make.brand(workspace, name="Other Brand")
    people = {
        role: make.member(workspace, role, brands=[brand] if role == Role.CLIENT else None)
        for role in Role
    }
    return {
        "workspace": workspace,
        "brand": brand,
        "other": other,
        **{r.value: m for r, m in people.items()},
    }


@pytest.fixture
def rurl(app):
    """Return the current rendition URL of an item, as the pages hand it out."""

    def _url(item: MediaItem, preset_id: str) -> str:
        db.session.refresh(item)
        with app.test_request_context():
            return ops.rendition_url(item, preset_id)

    return _url


def ws_url(studio, suffix: str) -> str:
    return f"/w/{studio['workspace'].slug}{suffix}"


def library_url(studio, brand=None) -> str:
    return ws_url(studio, f"/brands/{(brand or studio['brand']).id}/media")


def upload(client, studio, data: bytes, filename: str = "photo.jpg", brand=None, single=True):
    """Send one file the way static/js/uploads.js does (or as the no-script form)."""
    headers = {"X-Plume-Upload": "1", "HX-Request": "true"} if single else {}
    return client.form(
        library_url(studio, brand), {"file": (io.BytesIO(data), filename)}, headers=headers
    )


def marked_photo(width=1500, height=1000, mark=(0.88, 0.5), seed=1, exif=True) -> bytes:
    """A photo with a magenta disc at `mark` (fractions), carrying EXIF with GPS."""
    im = fx.photo(width, height, seed=seed)
    draw = ImageDraw.Draw(im)
    r = max(6, width // 60)
    cx, cy = mark[0] * width, mark[1] * height
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=MAGENTA)
    return fx.jpeg_with_metadata(im) if exif else fx.encode(im, "JPEG", quality=92)


def has_magenta(im: Image.Image) -> bool:
    rgb = im.convert("RGB")
    small = rgb.resize((rgb.width // 2 or 1, rgb.height // 2 or 1), Image.Resampling.BOX)
    raw = small.tobytes()
    return any(raw[i] > 200 and raw[i + 1] < 80 and raw[i + 2] > 200 for i in range(0, len(raw), 3))


def item_of(studio, filename: str) -> MediaItem:
    return db.session.scalar(
        select(MediaItem).where(
            MediaItem.brand_id == studio["brand"].id, MediaItem.filename == filename
        )
    )


def count_items() -> int:
    return db.session.scalar(select(func.count(MediaItem.id)))


def card_urls(page: str) -> dict[str, str]:
    """Map preset id to the URL each not-yet-made rendition card loads itself from."""
    return dict(re.findall(r'id="card-([a-z0-9_]+)"[^>]*?hx-get="([^"]+)"', unescape(page), re.S))


def rendition_src(card: str) -> str:
    return unescape(re.search(r'<img src="([^"]+/r/[^"]+)"', card).group(1))


def assert_clean(data: bytes, im: Image.Image) -> None:
    assert len(im.getexif()) == 0
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(im.info)
    assert b"PlumeCam" not in data and b"PLUME-XMP-SECRET" not in data
    assert b"PLUME-COMMENT-SECRET" not in data


# --- the whole path --------------------------------------------------------------------------


def test_upload_focal_point_and_every_preset_rendered_through_the_ui(client, studio, login):
    login(studio["designer"].user)
    response = upload(client, studio, marked_photo(), "harbour.jpg")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["X-Plume-Upload"] == "created"
    tile = response.get_data(as_text=True)
    assert 'id="media-' in tile and "data:image/jpeg;base64," in tile  # blurred placeholder
    item = item_of(studio, "harbour.jpg")
    assert (item.width, item.height, item.kind) == (1500, 1000, "image")

    # The designer clicks the magenta disc; the script posts fractions.
    response = client.form(
        ws_url(studio, f"/media/{item.id}/focal"), {"x": "0.88", "y": "0.5"}, htmx=True
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="media-editor"' in body and "<html" not in body
    assert "left: 88.00%; top: 50.00%" in body

    page = client.get(ws_url(studio, f"/media/{item.id}")).get_data(as_text=True)
    cards = card_urls(page)
    assert set(cards) == set(PRESETS)
    for preset_id, card_url in cards.items():
        preset = PRESETS[preset_id]
        card = client.hx_get(card_url)
        assert card.status_code == 200
        src = rendition_src(card.get_data(as_text=True))
        assert preset_id in src
        rendition = client.get(src)
        assert rendition.status_code == 200, src
        assert rendition.headers["Cache-Control"] == "private, max-age=31536000, immutable"
        assert rendition.mimetype == "image/jpeg"
        data = rendition.data
        im = Image.open(io.BytesIO(data))
        assert im.format == "JPEG" and im.mode == "RGB"
        assert im.size == (preset.width, preset.height), preset_id
        assert preset.max_bytes is None or len(data) <= preset.max_bytes
        assert_clean(data, im)
        # The disc sits near the right edge, outside any centred crop of these shapes.
        assert has_magenta(im), f"{preset_id} cropped the focal point out"

    # Now every card is made: the page shows each one's size and byte count.
    page = client.get(ws_url(studio, f"/media/{item.id}")).get_data(as_text=True)
    assert card_urls(page) == {}
    assert page.count('class="bytes"') == len(PRESETS)
    assert "Upscaled" in page  # a 1500 px photo is enlarged for the 2000 px Bluesky square


def test_crop_override_changes_the_url_and_the_output_and_resets(rurl, client, studio, login):
    login(studio["designer"].user)
    upload(client, studio, marked_photo(mark=(0.85, 0.5), seed=2), "crop.jpg")
    item = item_of(studio, "crop.jpg")
    client.form(ws_url(studio, f"/media/{item.id}/focal"), {"x": "0.85", "y": "0.5"})
    focal_url = rurl(item, "instagram_square")
    assert has_magenta(Image.open(io.BytesIO(client.get(focal_url).data)))

    # Drag the square crop over the left of the picture (percentages, as the form sends).
    editor = client.hx_get(
        ws_url(studio, f"/media/{item.id}/crops/instagram_square"),
        headers={"HX-Target": "crop-editor"},
    )
    assert editor.status_code == 200 and 'class="crop-box"' in editor.get_data(as_text=True)
    response = client.form(
        ws_url(studio, f"/media/{item.id}/crops/instagram_square"),
        {"left": "0", "top": "0", "width": "66.6667", "height": "100"},
        htmx=True,
    )
    assert response.status_code == 200
    db.session.refresh(item)
    crop = db.session.scalar(select(MediaCrop).where(MediaCrop.media_id == item.id))
    assert crop.preset_id == "instagram_square"
    assert crop.box == pytest.approx([0, 0, 2 / 3, 1], abs=1e-4)
    new_url = rurl(item, "instagram_square")
    assert new_url != focal_url
    assert "Custom crop" in response.get_data(as_text=True)
    out = Image.open(io.BytesIO(client.get(new_url).data))
    assert out.size == (1080, 1080) and not has_magenta(out)
    # The old URL points on to the current rendition rather than serving stale bytes.
    old = client.get(focal_url)
    assert old.status_code == 302 and old.headers["Location"].endswith(new_url.split("/r/")[1])
    assert old.headers["Cache-Control"] == "no-store"

    client.form(ws_url(studio, f"/media/{item.id}/crops/instagram_square/reset"), {})
    db.session.refresh(item)
    assert rurl(item, "instagram_square") == focal_url


def test_a_crop_is_trimmed_to_the_preset_shape_and_bad_boxes_are_refused(client, studio, login):
    login(studio["designer"].user)
    upload(client, studio, marked_photo(seed=3), "shape.jpg")
    item = item_of(studio, "shape.jpg")
    url = ws_url(studio, f"/media/{item.id}/crops/instagram_story")
    client.form(url, {"left": "10", "top": "10", "width": "80", "height": "80"})
    db.session.refresh(item)
    left, top, right, bottom = item.crops[0].box
    width_px, height_px = (right - left) * item.width, (bottom - top) * item.height
    assert width_px / height_px == pytest.approx(1080 / 1920, rel=1e-3)
    for bad in ({"left": "x"}, {"left": "80", "top": "0", "width": "40", "height": "10"}):
        fields = {"left": "0", "top": "0", "width": "50", "height": "50", **bad}
        response = client.form(url, fields, htmx=True)
        assert response.status_code == 422
        assert 'role="alert"' in response.get_data(as_text=True)
    assert client.form(ws_url(studio, f"/media/{item.id}/crops/nope"), {}).status_code == 404


def test_brand_frame_puts_the_kit_logo_in_the_corner_and_changes_the_url(
    rurl, client, studio, login
):
    login(studio["designer"].user)
    logo = io.BytesIO()
    Image.new("RGBA", (200, 200), (0, 255, 0, 255)).save(logo, "PNG")
    kit_url = ws_url(studio, f"/brands/{studio['brand'].id}/kit/logos")
    assert (
        client.form(kit_url, {"logos.mark": (io.BytesIO(logo.getvalue()), "m.png")}).status_code
        == 303
    )
    upload(client, studio, marked_photo(seed=4), "framed.jpg")
    item = item_of(studio, "framed.jpg")
    before = rurl(item, "x_single")
    response = client.form(
        ws_url(studio, f"/media/{item.id}/frames/x_single"),
        {"corner": "bottom-right", "logo": "mark"},
        htmx=True,
    )
    assert response.status_code == 200
    db.session.refresh(item)
    after = rurl(item, "x_single")
    assert after != before
    out = Image.open(io.BytesIO(client.get(after).data)).convert("RGB")
    # The mark sits inside the bottom-right corner with clear space around it.
    r, g, b = out.getpixel((out.width - 120, out.height - 120))
    assert g > 200 and r < 60 and b < 60
    r, g, b = out.getpixel((out.width - 5, out.height - 5))
    assert not (g > 200 and r < 60 and b < 60)  # the margin is not covered
    # A logo the kit doesn't have is refused by name.
    response = client.form(
        ws_url(studio, f"/media/{item.id}/frames/x_single"),
        {"corner": "top-left", "logo": "mono"},
        htmx=True,
    )
    assert response.status_code == 422 and "no mono logo" in response.get_data(as_text=True)


def test_animated_gif_stays_animated_only_where_the_platform_plays_gifs(
    rurl, client, studio, login, app
):
    login(studio["designer"].user)
    response = upload(client, studio, fx.animated_gif(12, size=(160, 90)), "loop.gif")
    assert response.status_code == 201
    item = item_of(studio, "loop.gif")
    assert (item.kind, item.frames) == ("gif", 12)
    x = Image.open(io.BytesIO(client.get(rurl(item, "x_single")).data))
    assert x.format == "GIF" and x.n_frames == 12 and x.size == (1600, 900)
    square = Image.open(io.BytesIO(client.get(rurl(item, "instagram_square")).data))
    assert square.format == "JPEG" and square.size == (1080, 1080)
    with app.app_context():
        info = ops.media_info(item, "x_single")
    assert (info.kind, info.mime, info.width) == ("gif", "image/gif", 1600)


def test_media_info_describes_the_rendition_the_composer_will_post(
    rurl, client, studio, login, app
):
    login(studio["designer"].user)
    upload(client, studio, marked_photo(seed=5), "info.jpg")
    item = item_of(studio, "info.jpg")
    with app.app_context():
        before = ops.media_info(item, "bluesky_square")
    assert (before.kind, before.width, before.height) == ("image", 2000, 2000)
    assert before.bytes is None and before.mime == "image/jpeg"
    client.get(rurl(item, "bluesky_square"))
    with app.app_context():
        after = ops.media_info(item, "bluesky_square")
        master = ops.media_info(item, None)
    assert after.bytes is not None and after.bytes <= 2_000_000
    assert (master.width, master.height, master.preset_id) == (1500, 1000, None)
    assert master.mime == "image/jpeg" and master.bytes == item.master_bytes


# --- the library --------------------------------------------------------------------------------


def test_same_file_twice_is_stored_once_and_answers_with_the_existing_item(
    client, studio, login, app
):
    login(studio["designer"].user)
    data = marked_photo(seed=6)
    first = upload(client, studio, data, "twice.jpg")
    again = upload(client, studio, data, "twice-renamed.jpg")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["X-Plume-Upload"] == "existing"
    assert "already in the library" in again.headers["X-Plume-Message"]
    assert first.headers["X-Plume-Media-Id"] == again.headers["X-Plume-Media-Id"]
    # Another brand gets its own item but shares the one stored original.
    other = upload(client, studio, data, "twice.jpg", brand=studio["other"])
    assert other.status_code == 201
    items = db.session.scalars(select(MediaItem).where(MediaItem.filename == "twice.jpg")).all()
    assert len(items) == 2 and len({i.sha256 for i in items}) == 1
    with app.app_context():
        from studio.blobs import blob_storage

        storage = blob_storage()
        path = storage.path_for(original_key(items[0].sha256))
        assert path.read_bytes() == data
        assert [k for k in storage.keys("originals") if items[0].sha256 in k] == [
            original_key(items[0].sha256)
        ]


def test_search_and_tag_filter_as_page_and_fragment(client, studio, login):
    login(studio["designer"].user)
    for seed, name, tags in ((7, "beach-day.jpg", "summer, Beach"), (8, "office.jpg", "team")):
        upload(client, studio, marked_photo(600, 400, seed=seed), name)
        item = item_of(studio, name)
        client.form(ws_url(studio, f"/media/{item.id}"), {"alt_text": "", "tags": tags})
    page = client.get(library_url(studio) + "?q=beach").get_data(as_text=True)
    assert "beach-day.jpg" in page and "office.jpg" not in page and "<html" in page
    fragment = client.hx_get(library_url(studio) + "?tag=team", headers={"HX-Target": "media-grid"})
    html = fragment.get_data(as_text=True)
    assert "office.jpg" in html and "beach-day.jpg" not in html and "<html" not in html
    assert "HX-Request" in fragment.headers["Vary"]
    # Tags match case-insensitively; a percent sign is searched for literally.
    assert "beach-day.jpg" in client.get(library_url(studio) + "?tag=beach").get_data(True)
    assert "No images match" in client.get(library_url(studio) + "?q=%25").get_data(True)


def test_alt_text_and_tags_with_per_platform_length_checks(client, studio, login):
    login(studio["designer"].user)
    upload(client, studio, marked_photo(seed=9), "alt.jpg")
    item = item_of(studio, "alt.jpg")
    url = ws_url(studio, f"/media/{item.id}")
    response = client.form(
        url, {"alt_text": "A teapot on a harbour wall.", "tags": "#tea, harbour, Tea"}, htmx=True
    )
    assert response.status_code == 200 and "Saved." in response.get_data(as_text=True)
    db.session.refresh(item)
    assert item.alt_text == "A teapot on a harbour wall." and item.tags == ["tea", "harbour"]

    check = client.hx_get(url + "/alt-check?alt_text=" + "a" * 600).get_data(as_text=True)
    pinterest = re.search(r"Pinterest:.*?</li>", check, re.S).group(0)
    assert "600</strong> / 500" in pinterest and "100 over" in pinterest
    assert "over" not in re.search(r"X:.*?</li>", check, re.S).group(0)
    assert "no alt text on this platform" in re.search(r"TikTok:.*?</li>", check, re.S).group(0)

    too_long = client.form(url, {"alt_text": "a" * 5001, "tags": ""}, htmx=True)
    assert too_long.status_code == 422 and "at most 5,000" in too_long.get_data(as_text=True)
    too_many = client.form(url, {"alt_text": "", "tags": ",".join(map(str, range(21)))})
    assert too_many.status_code == 422
    db.session.refresh(item)
    assert item.alt_text == "A teapot on a harbour wall."


def test_focal_point_out_of_range_is_refused_with_a_reason(client, studio, login):
    login(studio["designer"].user)
    upload(client, studio, marked_photo(seed=10), "focal.jpg")
    item = item_of(studio, "focal.jpg")
    url = ws_url(studio, f"/media/{item.id}/focal")
    for fields in ({"focal_x": "120", "focal_y": "50"}, {"x": "nan", "y": "0.5"}, {}):
        response = client.form(url, fields, htmx=True)
        assert response.status_code == 422, fields
        assert "focal point" in response.get_data(as_text=True)
    assert client.form(url, {"focal_x": "25", "focal_y": "75"}).status_code == 303
    db.session.refresh(item)
    assert item.focal == (0.25, 0.75)


def test_delete_removes_the_item_and_its_original_when_nothing_else_uses_it(
    client, studio, login, app
):
    login(studio["designer"].user)
    shared, alone = marked_photo(seed=11), marked_photo(seed=12)
    upload(client, studio, shared, "shared.jpg")
    upload(client, studio, shared, "shared.jpg", brand=studio["other"])
    upload(client, studio, alone, "alone.jpg")
    from studio.blobs import blob_storage

    with app.app_context():
        storage = blob_storage()
    for name in ("shared.jpg", "alone.jpg"):
        item = item_of(studio, name)
        sha = item.sha256
        response = client.form(ws_url(studio, f"/media/{item.id}/delete"), {})
        assert response.status_code == 303
        assert item_of(studio, name) is None
        assert storage.exists(original_key(sha)) is (name == "shared.jpg")


def test_an_image_a_waiting_post_shows_is_not_deleted_under_it(client, studio, login, app):
    from studio.composer import operations as composer
    from studio.models import PostStatus

    login(studio["designer"].user)
    upload(client, studio, marked_photo(seed=14), "hero.jpg")
    item = item_of(studio, "hero.jpg")
    with app.app_context():
        draft = composer.create_post(studio["designer"], studio["brand"], "Autumn drop")
        done = composer.create_post(studio["designer"], studio["brand"], "Summer recap")
        db.session.flush()
        draft.variant("x").media = [{"media_id": item.id, "alt_text": "", "preset_id": "x"}]
        done.media = [{"media_id": item.id, "alt_text": "Tea"}]
        done.status = PostStatus.PUBLISHED
        db.session.commit()
    page = client.get(ws_url(studio, f"/media/{item.id}")).get_data(as_text=True)
    assert "Used in 2 posts" in page and "Autumn drop" in page and "Summer recap" in page

    response = client.form(ws_url(studio, f"/media/{item.id}/delete"), {})
    assert response.status_code == 409
    text = unescape(response.get_data(as_text=True))
    assert "hero.jpg is in 1 post not yet published (“Autumn drop”). Remove it from it" in text
    assert item_of(studio, "hero.jpg") is not None

    draft.variant("x").media = []
    db.session.commit()
    assert client.form(ws_url(studio, f"/media/{item.id}/delete"), {}).status_code == 303
    assert item_of(studio, "hero.jpg") is None


def test_no_script_form_uploads_several_files_and_reports_each(client, studio, login):
    login(studio["designer"].user)
    files = [
        (io.BytesIO(marked_photo(400, 300, seed=13)), "good.jpg"),
        (io.BytesIO(fx.SVG), "drawing.png"),
    ]
    response = client.form(library_url(studio), {"file": files})
    assert response.status_code == 303
    page = client.get(library_url(studio)).get_data(as_text=True)
    assert "good.jpg uploaded." in page
    assert "drawing.png: This file is an SVG drawing, not a supported image" in page
    assert item_of(studio, "good.jpg") is not None and count_items() == 1


# --- bad input ----------------------------------------------------------------------------------

BAD_FILES = [
    ("empty", b"", "empty.jpg", 422, "The file is empty (0 bytes)."),
    ("truncated", fx.truncated_jpeg(), "cut.jpg", 422, "the file was cut off"),
    ("bomb", fx.png_claiming(60_000, 60_000), "huge.png", 422, "Plume accepts images up to 50"),
    ("svg", fx.SVG, "drawing.png", 415, "This file is an SVG drawing, not a supported image"),
    ("html", fx.HTML, "page.png", 415, "This file is an HTML page, not a supported image"),
    ("frames", fx.animated_gif(500), "long.gif", 422, "500 frames"),
]


@pytest.mark.parametrize(
    ("case", "payload", "filename", "status", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES]
)
def test_bad_files_get_a_specific_reason_and_nothing_is_stored(
    client, studio, login, case, payload, filename, status, message
):
    login(studio["designer"].user)
    response = upload(client, studio, payload, filename)
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    assert message in response.get_data(as_text=True)
    assert message.encode("ascii", "replace").decode()[:20] in response.headers["X-Plume-Message"]
    assert count_items() == 0


def test_files_over_the_byte_limit_are_refused_before_they_are_read(
    client, studio, login, app, monkeypatch
):
    login(studio["designer"].user)
    monkeypatch.setitem(app.config, "MEDIA_MAX_UPLOAD_BYTES", 100_000)
    big = marked_photo(1200, 800, seed=14)
    assert len(big) > 100_000 + 64 * 1024
    response = upload(client, studio, big, "big.jpg")
    assert response.status_code == 413
    assert "the limit is 0.1 MB" in response.get_data(as_text=True)
    # Just over the limit (inside the envelope allowance) the file itself is measured.
    response = upload(client, studio, b"\xff\xd8\xff" + b"\0" * 100_010, "over.jpg")
    assert response.status_code == 413 and "the limit is 0.1 MB" in response.get_data(True)
    # Above the whole-request cap the server answers before parsing: still a plain reason.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 50_000)
    response = upload(client, studio, big, "bigger.jpg")
    assert response.status_code == 413 and "larger than Plume accepts" in response.get_data(True)
    assert count_items() == 0


def test_awkward_but_valid_files_are_accepted_and_cleaned(rurl, client, studio, login, app):
    login(studio["designer"].user)
    from studio.blobs import blob_storage

    # A polyglot: the JPEG is kept, the ZIP riding behind it is not.
    assert upload(client, studio, fx.polyglot_jpeg_zip(), "poly.jpg").status_code == 201
    # A CMYK JPEG whose profile makes cyan ink red: the profile is honoured.
    cmyk = fx.cmyk_jpeg(fx.cmyk_profile_cyan_is_red(), size=(400, 300))
    assert upload(client, studio, cmyk, "cmyk.jpg").status_code == 201
    # 16-bit RGBA PNG: becomes 8-bit, keeps its transparency as a PNG master.
    assert upload(client, studio, fx.png16_rgba(200, 150), "deep.png").status_code == 201
    # Hostile names are reduced to a safe display name.
    assert upload(client, studio, marked_photo(300, 200, seed=15), "../../etc/passwd.jpg")
    assert upload(client, studio, marked_photo(300, 200, seed=16), "x" * 500 + ".jpg")

    items = {i.filename: i for i in db.session.scalars(select(MediaItem))}
    assert {"poly.jpg", "cmyk.jpg", "deep.png", "passwd.jpg"} <= set(items)
    long_name = next(n for n in items if n.startswith("xxx"))
    assert len(long_name) <= 120 and long_name.endswith(".jpg")
    with app.app_context():
        storage = blob_storage()
        poly_master = storage.get_original(items["poly.jpg"].master_sha256)
        deep_master = Image.open(io.BytesIO(storage.get_original(items["deep.png"].master_sha256)))
    assert b"PK\x03\x04" not in poly_master and b"PLUME-ZIP-PAYLOAD" not in poly_master
    assert deep_master.format == "PNG" and deep_master.mode == "RGBA"
    cmyk_out = Image.open(io.BytesIO(client.get(rurl(items["cmyk.jpg"], "x_single")).data))
    assert cmyk_out.mode == "RGB"
    r, g, b = cmyk_out.getpixel((cmyk_out.width // 2 - 200, cmyk_out.height // 2))
    assert r > 150 and g < 110 and b < 110  # red, as the embedded profile says
    assert "../" not in client.get(ws_url(studio, f"/media/{items['passwd.jpg'].id}")).get_data(
        True
    )


# --- renditions route ---------------------------------------------------------------------------


def test_rendition_urls_are_checked(rurl, client, studio, login):
    login(studio["designer"].user)
    upload(client, studio, marked_photo(seed=17), "route.jpg")
    item = item_of(studio, "route.jpg")
    url = rurl(item, "threads_portrait")
    base, name = url.rsplit("/", 1)
    assert client.get(url).status_code == 200
    assert client.get(f"{base}/not-a-key.jpg").status_code == 404
    assert client.get(f"{base}/{name.replace('threads_portrait', 'no_such')}").status_code == 404
    # The right name with the wrong extension goes to the real one.
    assert client.get(f"{base}/{name[:-4]}.png").status_code == 302
    assert client.get(ws_url(studio, f"/media/{item.id}/renditions/no_such")).status_code == 404


# --- who may do what ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["copywriter", "client"])
def test_copywriters_and_clients_see_media_but_cannot_change_it(rurl, client, studio, login, role):
    login(studio["designer"].user)
    upload(client, studio, marked_photo(seed=18), "seen.jpg")
    item = item_of(studio, "seen.jpg")
    client.form("/logout")
    login(studio[role].user)
    page = client.get(library_url(studio)).get_data(as_text=True)
    assert "seen.jpg" in page and 'id="upload-form"' not in page
    item_page = client.get(ws_url(studio, f"/media/{item.id}"))
    assert item_page.status_code == 200
    assert 'id="focal-form"' not in item_page.get_data(as_text=True)
    assert client.get(rurl(item, "x_single")).status_code == 200
    assert upload(client, studio, marked_photo(seed=19), "nope.jpg").status_code == 403
    for suffix, fields in (
        ("", {"alt_text": "x"}),
        ("/focal", {"x": "0.1", "y": "0.1"}),
        ("/crops/x_single", {"left": "0", "top": "0", "width": "50", "height": "50"}),
        ("/crops/x_single/reset", {}),
        ("/frames/x_single", {"corner": ""}),
        ("/render-all", {}),
        ("/delete", {}),
    ):
        response = client.form(ws_url(studio, f"/media/{item.id}{suffix}"), fields)
        assert response.status_code == 403, suffix
    assert item_of(studio, "seen.jpg") is not None


def test_client_cannot_see_media_of_a_brand_they_are_not_attached_to(rurl, client, studio, login):
    login(studio["designer"].user)
    upload(client, studio, marked_photo(seed=20), "hidden.jpg", brand=studio["other"])
    hidden = db.session.scalar(select(MediaItem).where(MediaItem.filename == "hidden.jpg"))
    client.form("/logout")
    login(studio["client"].user)
    assert client.get(library_url(studio, studio["other"])).status_code == 404
    assert client.get(ws_url(studio, f"/media/{hidden.id}")).status_code == 404
    assert client.get(rurl(hidden, "x_single")).status_code == 404


# --- profile-asset studio -----------------------------------------------------------------------


def profile_url(studio, suffix=""):
    return ws_url(studio, f"/brands/{studio['brand'].id}/profile-assets{suffix}")


def asset_urls(page: str) -> dict[str, str]:
    found = re.findall(
        r'href="([^"]+/profile-assets/sets/[0-9a-f]{24}/([a-z_]+))\?download=1"', page
    )
    return {spec: unescape(url) for url, spec in found}


def test_profile_studio_composes_every_platform_asset_at_its_size(client, studio, login):
    from studio.platforms.media_presets import PROFILE_SPECS

    login(studio["copywriter"].user)
    query = (
        "?background=gradient&colour=%23225577&colour2=%23000000&direction=diagonal"
        "&tagline=Tea+by+the+sea&text_colour=%23FFFFFF"
    )
    page = client.get(profile_url(studio, query)).get_data(as_text=True)
    urls = asset_urls(page)
    assert set(urls) == set(PROFILE_SPECS)
    for spec_id, url in urls.items():
        spec = PROFILE_SPECS[spec_id]
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"].endswith("immutable")
        im = Image.open(io.BytesIO(response.data))
        assert im.size == (spec.width, spec.height) and im.mode in ("RGB", "RGBA")
        assert spec.max_bytes is None or len(response.data) <= spec.max_bytes
        assert len(im.getexif()) == 0
    download = client.get(urls["x_header"] + "?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")
    # The previews show the mask, the safe area, and X's avatar over the header.
    assert "mask-circle" in page and 'class="pa-safe"' in page and 'class="pa-covered"' in page
    assert "Mobile (1546\u00d7423)" in page  # YouTube's mobile crop of the banner


def test_profile_studio_warns_about_contrast_and_fragments_for_htmx(client, studio, login):
    login(studio["designer"].user)
    query = (
        "?background=solid&colour=%23FFFFFF&colour2=%23FFFFFF&direction=vertical"
        "&tagline=Hard+to+read&text_colour=%23EEEEEE"
    )
    response = client.hx_get(profile_url(studio, query), headers={"HX-Target": "profile-previews"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="profile-previews"' in html
    assert "WCAG AA needs" in html and "assets have warnings" in html


def test_profile_studio_names_bad_choices_and_shows_the_default(client, studio, login):
    login(studio["designer"].user)
    upload(client, studio, marked_photo(seed=21), "elsewhere.jpg", brand=studio["other"])
    elsewhere = db.session.scalar(select(MediaItem).where(MediaItem.filename == "elsewhere.jpg"))
    query = f"?background=image&media_id={elsewhere.id}&colour=red&text_colour=%23000000"
    page = client.get(profile_url(studio, query)).get_data(as_text=True)
    assert "Choose an image from this brand&#39;s library." in page
    assert "must start with &#39;#&#39;" in page
    assert len(asset_urls(page)) == 19  # the default design is still shown


def test_profile_photo_background_uses_the_library_image_and_its_focal_point(client, studio, login):
    login(studio["designer"].user)
    upload(client, studio, marked_photo(mark=(0.9, 0.5), seed=22), "bg.jpg")
    item = item_of(studio, "bg.jpg")
    client.form(ws_url(studio, f"/media/{item.id}/focal"), {"x": "0.9", "y": "0.5"})
    page = client.get(
        profile_url(studio, f"?background=image&media_id={item.id}&colour=%23225577")
    ).get_data(as_text=True)
    avatar = Image.open(io.BytesIO(client.get(asset_urls(page)["x_avatar"]).data))
    assert has_magenta(avatar)  # a square crop of a 3:2 photo, moved to the focal point


# --- command line -------------------------------------------------------------------------------


def test_flask_assets_import_adds_files_and_names_the_refused_ones(app, studio, tmp_path):
    good, bad = tmp_path / "dock.jpg", tmp_path / "notes.png"
    good.write_bytes(marked_photo(500, 300, seed=23))
    bad.write_bytes(fx.HTML)
    runner = app.test_cli_runner()
    args = ["assets", "import", "--brand", studio["brand"].slug, str(good), str(bad)]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "dock.jpg: added as #" in result.output
    assert "notes.png: refused: This file is an HTML page" in result.output
    again = runner.invoke(args=["assets", "import", "--brand", studio["brand"].slug, str(good)])
    assert again.exit_code == 0 and "already in the library" in again.output
    assert count_items() == 1
    missing = runner.invoke(args=["assets", "import", "--brand", "no-such-brand", str(good)])
    assert missing.exit_code != 0 and "no brand with the slug" in missing.output


def test_renditions_made_on_demand_wait_for_a_free_slot(app, client, studio, login, rurl):
    from studio.assets.gate import render_slot

    login(studio["designer"].user)
    upload(client, studio, marked_photo(seed=15), "queue.jpg")
    item = item_of(studio, "queue.jpg")
    preset_id = next(iter(PRESETS))
    url = rurl(item, preset_id)
    app.config.update(RENDER_CONCURRENCY=1, RENDER_WAIT_SECONDS=0.2)
    app.extensions.pop("plume_render_slots", None)
    try:
        with app.app_context(), render_slot():  # another request is making an image
            busy = client.get(url)
            card = client.hx_get(ws_url(studio, f"/media/{item.id}/renditions/{preset_id}"))
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "2"
        assert "busy making other images" in busy.get_data(as_text=True)
        assert card.status_code == 503
        assert client.get(url).status_code == 200
        with app.app_context(), render_slot():  # a rendition already made needs no slot
            assert client.get(url).status_code == 200
    finally:
        app.config.update(RENDER_CONCURRENCY=2, RENDER_WAIT_SECONDS=20)
        app.extensions.pop("plume_render_slots", None)
