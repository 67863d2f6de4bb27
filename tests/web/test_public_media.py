"""Signed public links to one rendition: what Instagram and Threads fetch a post's images from."""

from __future__ import annotations

import io
import time
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer
from PIL import Image

from studio.assets import operations as ops
from studio.assets import public_links
from studio.blobs import blob_storage
from studio.extensions import db
from studio.models import MediaItem, Role

BASE = "https://studio.example.com"
PRESET = "instagram_portrait"


def _picture(colour: tuple[int, int, int], size: tuple[int, int] = (1200, 900)) -> bytes:
    """A photo whose left and right halves differ, so where it is cropped shows."""
    im = Image.new("RGB", size, colour)
    im.paste((250, 250, 250), (0, 0, size[0] // 3, size[1]))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def shop(app, make, monkeypatch):
    """A designer's brand with a photo, another workspace's photo, and PUBLIC_BASE_URL set."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)
    designer = make.member(make.workspace(name="Harbour Co"), Role.DESIGNER)
    brand = make.brand(designer.workspace, name="Harbour Tea")
    stranger = make.member(make.workspace(name="Elsewhere"), Role.OWNER)
    their_brand = make.brand(stranger.workspace, name="Elsewhere Brand")
    with app.app_context():
        item = ops.add_media(brand, _picture((200, 90, 40)), "cup.jpg", designer.user).item
        theirs = ops.add_media(
            their_brand, _picture((20, 90, 200)), "theirs.jpg", stranger.user
        ).item
    db.session.commit()
    return {"designer": designer, "brand": brand, "item": item, "theirs": theirs}


def _made(app, item: MediaItem, preset_id: str = PRESET):
    """Make the rendition (as publishing does) and return its plan."""
    with app.app_context():
        db.session.refresh(item)
        plan = ops.plan_rendition(item, preset_id)
        ops.ensure_renditions(item, [preset_id])
    return plan


def _public_url(app, item: MediaItem, preset_id: str = PRESET) -> str:
    plan = _made(app, item, preset_id)
    with app.app_context():
        return ops.public_rendition_url(plan, ops.public_base_url())


def _path(url: str) -> str:
    return urlsplit(url).path


def _token(url: str) -> str:
    return _path(url).rsplit("/", 1)[1]


def _old_filename(app, url: str) -> str:
    with app.app_context():
        return public_links.read_token(app.secret_key, _token(url)).link.filename


def _assert_public_headers(response) -> None:
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert "Set-Cookie" not in response.headers


def test_the_link_serves_exactly_the_rendition_without_signing_in(app, client, login, shop):
    url = _public_url(app, shop["item"])
    assert url.startswith(f"{BASE}/public/media/")

    response = client.get(_path(url))

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    plan = _made(app, shop["item"])
    with app.app_context():
        assert response.data == ops.rendition_bytes(plan)
    assert Image.open(io.BytesIO(response.data)).size == (1080, 1350)
    cache = response.headers["Cache-Control"]
    assert cache.startswith("public, max-age=")
    assert 0 < int(cache.split("=")[1]) <= public_links.MAX_AGE
    _assert_public_headers(response)
    # The same bytes a signed-in member sees at the studio's own address.
    login(shop["designer"].user)
    with app.test_request_context():
        private = ops.rendition_url(shop["item"], PRESET)
    assert client.get(private).data == response.data


def test_the_base_address_may_carry_a_path(app, shop, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://example.org/plume/")
    assert _public_url(app, shop["item"]).startswith("https://example.org/plume/public/media/")


def test_a_tampered_or_unknown_token_is_404(app, client, shop):
    token = _token(_public_url(app, shop["item"]))
    swapped = "A" if token[8] != "A" else "B"
    for bad in (token[:8] + swapped + token[9:], token[:-2], "not-a-real-token", token + "x"):
        response = client.get(f"/public/media/{bad}")
        assert response.status_code == 404, bad
        assert response.get_data(as_text=True) == "No such image."
        _assert_public_headers(response)


def test_an_expired_link_is_410_with_a_reason(app, client, shop):
    plan = _made(app, shop["item"])
    link = public_links.RenditionLink(plan.media_id, plan.preset.id, plan.key, plan.ext)
    yesterday = time.time() - public_links.MAX_AGE - 5
    token = public_links.make_token(app.secret_key, link, clock=lambda: yesterday)

    response = client.get(f"/public/media/{token}")

    assert response.status_code == 410
    assert response.get_data(as_text=True) == "This image link has expired."
    assert response.headers["Cache-Control"] == "no-store"
    _assert_public_headers(response)


def test_another_items_link_cannot_be_forged_without_the_key(app, client, shop):
    mine = _token(_public_url(app, shop["item"]))
    their_plan = _made(app, shop["theirs"])
    theirs = public_links.RenditionLink(
        their_plan.media_id, their_plan.preset.id, their_plan.key, their_plan.ext
    )
    # Signed with a guessed key, or my valid signature on their payload: both refused.
    guessed = public_links.make_token("guessed-secret", theirs)
    their_payload = public_links.make_token(app.secret_key, theirs).rsplit(".", 2)[0]
    spliced = ".".join([their_payload, *mine.rsplit(".", 2)[1:]])
    assert spliced != mine
    for forged in (guessed, spliced):
        assert client.get(f"/public/media/{forged}").status_code == 404
    # Even signed with the studio's key, an id cannot borrow another item's rendition.
    borrowed = public_links.RenditionLink(
        shop["item"].id, their_plan.preset.id, their_plan.key, their_plan.ext
    )
    token = public_links.make_token(app.secret_key, borrowed)
    assert client.get(f"/public/media/{token}").status_code == 404
    # A link the studio really made for their item works (so the refusals above are real).
    genuine = public_links.make_token(app.secret_key, theirs)
    assert client.get(f"/public/media/{genuine}").status_code == 200


def test_nothing_but_a_rendition_is_served_even_with_the_studios_key(app, client, shop):
    """The token names fields, never a path: an original or a facts file is out of reach."""
    plan = _made(app, shop["item"])
    forge = URLSafeTimedSerializer(app.secret_key, salt=public_links.SALT)
    for payload in (
        [plan.media_id, plan.preset.id, plan.key, "json"],
        [plan.media_id, plan.preset.id, f"../originals/{shop['item'].sha256}", "jpg"],
        [plan.media_id, "thumb", plan.key, plan.ext],
    ):
        assert client.get(f"/public/media/{forge.dumps(payload)}").status_code == 404


def test_a_link_keeps_serving_its_bytes_after_the_focal_point_moves(app, client, login, shop):
    item = shop["item"]
    old_url = _public_url(app, item)
    old_bytes = client.get(_path(old_url)).data
    login(shop["designer"].user)
    slug = shop["designer"].workspace.slug
    moved = client.form(f"/w/{slug}/media/{item.id}/focal", {"x": "0.05", "y": "0.05"})
    assert moved.status_code in (200, 303)
    client.form("/logout")

    new_url = _public_url(app, item)
    assert _token(new_url) != _token(old_url)
    assert client.get(_path(new_url)).data != old_bytes
    # The post was built with the old rendition: its link still serves exactly that.
    again = client.get(_path(old_url))
    assert again.status_code == 200 and again.data == old_bytes
    # Once those bytes are pruned, the old link finds nothing.
    with app.app_context():
        blob_storage().delete(f"renditions/{_old_filename(app, old_url)}")
    assert client.get(_path(old_url)).status_code == 404


def test_a_deleted_items_link_is_404(app, client, login, shop):
    url = _public_url(app, shop["item"])
    login(shop["designer"].user)
    slug = shop["designer"].workspace.slug
    assert client.form(f"/w/{slug}/media/{shop['item'].id}/delete", {}).status_code == 303
    assert client.get(_path(url)).status_code == 404
