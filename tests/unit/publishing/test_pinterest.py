"""Contract tests: the Pinterest adapter against a fake API v5."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from studio.publishing.adapters.base import OutgoingMedia, OutgoingPost
from studio.publishing.adapters.pinterest import PinterestAdapter
from studio.publishing.errors import AUTH, MEDIA, PermanentError, TransientError, UnknownOutcome
from tests.unit.publishing.conftest import SLOW
from tests.unit.publishing.fakeserver import FakeServer, Reply

PINS = r"/v5/pins"


@pytest.fixture
def adapter(server: FakeServer, fast: dict) -> PinterestAdapter:
    return PinterestAdapter(base_url=server.url, **fast)


@pytest.fixture
def creds() -> dict:
    return {"access_token": "pina_token", "board_id": "549755885175"}


def test_publish_creates_a_pin_with_the_image_inline(adapter, creds, server):
    server.route("POST", PINS, Reply(201, {"id": "813744226420795884", "board_id": "549755885175"}))
    image = b"\xff\xd8pin\r\n"
    post = OutgoingPost(
        "Autumn blend, roasted in small batches",
        media=[OutgoingMedia(image, "image/jpeg", "A bag of coffee on a table", 1000, 1500)],
        link="https://ember.example/autumn",
        options={"title": "Autumn blend"},
    )

    published = adapter.publish(post, creds, "k")

    (call,) = server.calls("POST", PINS)
    assert call.header("Authorization") == "Bearer pina_token"
    assert call.json() == {
        "board_id": "549755885175",
        "title": "Autumn blend",
        "description": "Autumn blend, roasted in small batches",
        "link": "https://ember.example/autumn",
        "alt_text": "A bag of coffee on a table",
        "media_source": {
            "source_type": "image_base64",
            "content_type": "image/jpeg",
            "data": base64.b64encode(image).decode(),
        },
    }
    assert published.platform_post_id == "813744226420795884"
    assert published.url == "https://www.pinterest.com/pin/813744226420795884/"


def test_several_images_use_multiple_image_base64(adapter, creds, server):
    server.route("POST", PINS, Reply(201, {"id": "1"}))
    media = [OutgoingMedia(b"a", "image/jpeg"), OutgoingMedia(b"b", "image/png")]
    adapter.publish(OutgoingPost("x", media=media), creds, "k")

    source = server.calls("POST", PINS)[0].json()["media_source"]
    assert source["source_type"] == "multiple_image_base64"
    assert [i["content_type"] for i in source["items"]] == ["image/jpeg", "image/png"]
    assert [base64.b64decode(i["data"]) for i in source["items"]] == [b"a", b"b"]


@pytest.mark.parametrize(
    "media",
    [[], [OutgoingMedia(b"g", "image/gif")], [OutgoingMedia(b"a", "image/jpeg")] * 6],
)
def test_pins_need_one_to_five_jpeg_or_png_images(adapter, creds, server, media):
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x", media=media), creds, "k")
    assert caught.value.kind == MEDIA
    assert not server.requests


def test_authentication_failure_uses_pinterests_message(adapter, creds, server):
    server.route("POST", PINS, Reply(401, {"code": 2, "message": "Authentication failed."}))
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x", media=[OutgoingMedia(b"a", "image/jpeg")]), creds, "k")
    assert caught.value.kind == AUTH
    assert "Authentication failed." in caught.value.message


def test_server_errors_are_transient_and_lost_answers_unknown(adapter, creds, server):
    post = OutgoingPost("x", media=[OutgoingMedia(b"a", "image/jpeg")])
    server.next("POST", PINS, Reply(500, {"code": 0, "message": "Something went wrong"}))
    server.route("POST", PINS, Reply(201, {"id": "1"}, delay=SLOW))
    with pytest.raises(TransientError, match="Something went wrong"):
        adapter.publish(post, creds, "k")
    with pytest.raises(UnknownOutcome):
        adapter.publish(post, creds, "k")


def test_verify_and_find_existing(adapter, creds, server):
    server.route(
        "GET",
        r"/v5/user_account",
        Reply(
            200,
            {
                "username": "emberroasters",
                "business_name": "Ember Roasters",
                "profile_image": "https://i.pinimg.com/e.jpg",
            },
        ),
    )
    server.route(
        "GET",
        r"/v5/boards/549755885175/pins",
        Reply(
            200,
            {
                "items": [
                    {"id": "9", "description": "Autumn blend", "created_at": "2026-11-02T10:00:00"},
                    {"id": "8", "description": "Autumn blend", "created_at": "2026-10-01T10:00:00"},
                ]
            },
        ),
    )
    info = adapter.verify(creds)
    assert (info.display_name, info.handle) == ("Ember Roasters", "@emberroasters")

    post = OutgoingPost("Autumn blend")
    found = adapter.find_existing(post, creds, "k", datetime(2026, 11, 2, 9, tzinfo=UTC))
    assert found.platform_post_id == "9"
    assert adapter.find_existing(post, creds, "k", datetime(2026, 11, 3, tzinfo=UTC)) is None
