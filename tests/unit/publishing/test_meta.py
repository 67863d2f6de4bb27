"""Contract tests: Facebook Page, Instagram and Threads against fake Graph APIs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from studio.publishing.adapters.base import OutgoingMedia, OutgoingPost
from studio.publishing.adapters.facebook import FacebookAdapter
from studio.publishing.adapters.instagram import InstagramAdapter
from studio.publishing.adapters.threads import ThreadsAdapter
from studio.publishing.errors import (
    AUTH,
    CONFIG,
    DUPLICATE,
    MEDIA,
    PermanentError,
    TransientError,
    UnknownOutcome,
)
from tests.unit.publishing.conftest import SLOW
from tests.unit.publishing.fakeserver import FakeServer, Recorded, Reply

PAGE = "101112131415"
IG = "17841400008460056"
EXPIRED = {
    "error": {
        "message": "Error validating access token: Session has expired on Tuesday, 03-Nov-26.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
        "fbtrace_id": "AbCdEf",
    }
}


def _graph_error(code: int, message: str, **extra: object) -> dict:
    return {"error": {"message": message, "type": "OAuthException", "code": code, **extra}}


def _no_token_in_urls(server: FakeServer, token: str) -> None:
    for call in server.requests:
        assert token not in json.dumps(call.query)
        assert call.header("Authorization") == f"Bearer {token}"


# -- Facebook ---------------------------------------------------------------------------


@pytest.fixture
def facebook(server: FakeServer, fast: dict) -> FacebookAdapter:
    return FacebookAdapter(base_url=server.url, **fast)


@pytest.fixture
def fb_creds() -> dict:
    return {"page_id": PAGE, "page_access_token": "page-token"}


def _permalinks(server: FakeServer) -> None:
    server.route(
        "GET",
        r"/\d+_\d+",
        lambda r: Reply(200, {"permalink_url": f"https://www.facebook.com/p/{r.path[1:]}"}),
    )


def test_facebook_text_and_link_go_to_the_page_feed(facebook, fb_creds, server):
    server.route("POST", rf"/{PAGE}/feed", Reply(200, {"id": f"{PAGE}_555"}))
    _permalinks(server)
    post = OutgoingPost("Our autumn menu", link="https://ember.example/menu")

    published = facebook.publish(post, fb_creds, "k")

    (call,) = server.calls("POST", rf"/{PAGE}/feed")
    assert call.form() == {"message": ["Our autumn menu"], "link": ["https://ember.example/menu"]}
    assert published.platform_post_id == f"{PAGE}_555"
    assert published.url == f"https://www.facebook.com/p/{PAGE}_555"
    _no_token_in_urls(server, "page-token")


def test_facebook_one_photo_is_a_photo_post_with_caption_and_alt(facebook, fb_creds, server):
    server.route("POST", rf"/{PAGE}/photos", Reply(200, {"id": "900", "post_id": f"{PAGE}_901"}))
    _permalinks(server)
    image = b"\xff\xd8photo\r\n"
    post = OutgoingPost("Latte art", media=[OutgoingMedia(image, "image/jpeg", "A fern in foam")])

    published = facebook.publish(post, fb_creds, "k")

    fields = server.calls("POST", rf"/{PAGE}/photos")[0].multipart()
    assert fields["source"][0].data == image
    assert fields["message"][0].text == "Latte art"
    assert fields["alt_text_custom"][0].text == "A fern in foam"
    assert fields["published"][0].text == "true"
    assert published.platform_post_id == f"{PAGE}_901"


def test_facebook_several_photos_are_attached_to_one_feed_post(facebook, fb_creds, server):
    ids = iter(["801", "802"])
    server.route("POST", rf"/{PAGE}/photos", lambda r: Reply(200, {"id": next(ids)}))
    server.route("POST", rf"/{PAGE}/feed", Reply(200, {"id": f"{PAGE}_803"}))
    _permalinks(server)
    media = [OutgoingMedia(b"a", "image/jpeg"), OutgoingMedia(b"b", "image/png")]

    facebook.publish(OutgoingPost("Two", media=media), fb_creds, "k")

    photos = server.calls("POST", rf"/{PAGE}/photos")
    assert [p.multipart()["published"][0].text for p in photos] == ["false", "false"]
    assert server.calls("POST", rf"/{PAGE}/feed")[0].form() == {
        "message": ["Two"],
        "attached_media[0]": ['{"media_fbid": "801"}'],
        "attached_media[1]": ['{"media_fbid": "802"}'],
    }


def test_facebook_expired_token_on_http_400_is_an_auth_error(facebook, fb_creds, server):
    server.route("POST", rf"/{PAGE}/feed", Reply(400, EXPIRED))
    with pytest.raises(PermanentError) as caught:
        facebook.publish(OutgoingPost("x"), fb_creds, "k")
    assert caught.value.kind == AUTH
    assert "Session has expired" in caught.value.message


@pytest.mark.parametrize(
    ("error", "expected", "kind"),
    [
        (_graph_error(4, "Application request limit reached"), TransientError, None),
        (_graph_error(2, "Service temporarily unavailable"), TransientError, None),
        (_graph_error(506, "Duplicate status message"), PermanentError, DUPLICATE),
        (_graph_error(200, "Requires pages_manage_posts permission"), PermanentError, AUTH),
    ],
)
def test_facebook_error_codes_decide_the_outcome(facebook, fb_creds, server, error, expected, kind):
    server.route("POST", rf"/{PAGE}/feed", Reply(400, error))
    with pytest.raises(expected) as caught:
        facebook.publish(OutgoingPost("x"), fb_creds, "k")
    assert error["error"]["message"] in caught.value.message
    if kind:
        assert caught.value.kind == kind


def test_facebook_verify_and_pages(facebook, fb_creds, server):
    server.route(
        "GET",
        rf"/{PAGE}",
        Reply(
            200,
            {
                "id": PAGE,
                "name": "Ember",
                "username": "emberroasters",
                "link": "https://facebook.com/emberroasters",
                "picture": {"data": {"url": "https://cdn.example/p.jpg"}},
            },
        ),
    )
    server.route(
        "GET",
        r"/me/accounts",
        Reply(200, {"data": [{"id": PAGE, "name": "Ember", "access_token": "pt"}]}),
    )
    info = facebook.verify(fb_creds)
    assert (info.display_name, info.handle, info.avatar_url) == (
        "Ember",
        "@emberroasters",
        "https://cdn.example/p.jpg",
    )
    assert facebook.pages("user-token") == [{"id": PAGE, "name": "Ember", "access_token": "pt"}]
    assert server.calls("GET", r"/me/accounts")[0].header("Authorization") == "Bearer user-token"


def test_facebook_find_existing_matches_the_message(facebook, fb_creds, server):
    server.route(
        "GET",
        rf"/{PAGE}/published_posts",
        Reply(
            200,
            {
                "data": [
                    {
                        "id": f"{PAGE}_1",
                        "message": "Hello  world",
                        "permalink_url": "https://facebook.com/x/1",
                    }
                ]
            },
        ),
    )
    since = datetime(2026, 11, 2, tzinfo=UTC)
    found = facebook.find_existing(OutgoingPost("Hello world"), fb_creds, "k", since)

    assert found.url == "https://facebook.com/x/1"
    assert server.calls("GET", rf"/{PAGE}/published_posts")[0].query["since"] == [
        str(int(since.timestamp()))
    ]
    assert facebook.find_existing(OutgoingPost("Other"), fb_creds, "k", since) is None


# -- Instagram --------------------------------------------------------------------------


@pytest.fixture
def instagram(server: FakeServer, fast: dict) -> InstagramAdapter:
    return InstagramAdapter(base_url=server.url, **fast)


@pytest.fixture
def ig_creds() -> dict:
    return {"ig_user_id": IG, "access_token": "ig-token"}


def _containers(server: FakeServer, in_progress: int = 0, final: str = "FINISHED") -> None:
    ids = iter(f"1790000000000{n}" for n in range(100))
    server.route("POST", rf"/{IG}/media", lambda r: Reply(200, {"id": next(ids)}))
    polls: dict[str, int] = {}

    def status(request: Recorded) -> Reply:
        seen = polls[request.path] = polls.get(request.path, 0) + 1
        state = "IN_PROGRESS" if seen <= in_progress else final
        return Reply(200, {"status_code": state, "id": request.path[1:]})

    server.route("GET", r"/1790000000000\d+", status)
    server.route("POST", rf"/{IG}/media_publish", Reply(200, {"id": "17920238422030506"}))
    server.route(
        "GET",
        r"/17920238422030506",
        Reply(200, {"permalink": "https://www.instagram.com/p/Cabc/"}),
    )


def test_instagram_needs_public_image_urls(instagram, ig_creds, server):
    post = OutgoingPost("x", media=[OutgoingMedia(b"a", "image/jpeg")])
    with pytest.raises(PermanentError) as caught:
        instagram.publish(post, ig_creds, "k")
    assert caught.value.kind == CONFIG
    assert "public web address" in caught.value.message
    assert caught.value.action == (
        "Set PUBLIC_BASE_URL to the studio's public https address so Instagram can fetch "
        "the images, then retry."
    )
    assert not server.requests


def test_threads_images_need_public_image_urls_too(threads, server):
    post = OutgoingPost("x", media=[OutgoingMedia(b"a", "image/jpeg")])
    with pytest.raises(PermanentError) as caught:
        threads.publish(post, {"access_token": "th-token"}, "k")
    assert caught.value.kind == CONFIG
    assert "so Threads can fetch the images" in caught.value.action
    assert not server.requests


def test_instagram_single_image_container_waits_then_publishes(instagram, ig_creds, server, clock):
    _containers(server, in_progress=2)
    post = OutgoingPost(
        "Morning pour",
        media=[OutgoingMedia(b"a", "image/jpeg", "Kettle pouring")],
        link="https://ember.example",  # not clickable on Instagram: left out of the caption
        options={"image_urls": ["https://cdn.ember.example/r/1.jpg"]},
    )

    published = instagram.publish(post, ig_creds, "k")

    (create,) = server.calls("POST", rf"/{IG}/media")
    assert create.form() == {
        "image_url": ["https://cdn.ember.example/r/1.jpg"],
        "caption": ["Morning pour"],
        "alt_text": ["Kettle pouring"],
    }
    assert len(server.calls("GET", r"/17900000000000")) == 3
    assert clock.naps == [1.0, 1.0]
    (publish,) = server.calls("POST", rf"/{IG}/media_publish")
    assert publish.form() == {"creation_id": ["17900000000000"]}
    assert published.platform_post_id == "17920238422030506"
    assert published.url == "https://www.instagram.com/p/Cabc/"
    _no_token_in_urls(server, "ig-token")


def test_instagram_carousel_makes_children_then_a_carousel(instagram, ig_creds, server):
    _containers(server)
    urls = ["https://cdn.example/1.jpg", "https://cdn.example/2.jpg"]
    post = OutgoingPost("Two", options={"image_urls": urls})

    instagram.publish(post, ig_creds, "k")

    first, second, carousel = (c.form() for c in server.calls("POST", rf"/{IG}/media"))
    assert first == {"image_url": [urls[0]], "is_carousel_item": ["true"]}
    assert second == {"image_url": [urls[1]], "is_carousel_item": ["true"]}
    assert carousel == {
        "media_type": ["CAROUSEL"],
        "children": ["17900000000000,17900000000001"],
        "caption": ["Two"],
    }
    assert server.calls("POST", rf"/{IG}/media_publish")[0].form() == {
        "creation_id": ["17900000000002"]
    }


def test_instagram_container_error_fails_before_publishing(instagram, ig_creds, server):
    _containers(server, final="ERROR")
    post = OutgoingPost("x", options={"image_urls": ["https://cdn.example/1.jpg"]})
    with pytest.raises(PermanentError) as caught:
        instagram.publish(post, ig_creds, "k")
    assert caught.value.kind == MEDIA
    assert not server.calls("POST", rf"/{IG}/media_publish")


def test_instagram_lost_publish_answer_is_unknown(instagram, ig_creds, server):
    _containers(server)
    server.next("POST", rf"/{IG}/media_publish", Reply(200, {"id": "1"}, delay=SLOW))
    post = OutgoingPost("x", options={"image_urls": ["https://cdn.example/1.jpg"]})
    with pytest.raises(UnknownOutcome):
        instagram.publish(post, ig_creds, "k")


def test_instagram_find_existing_stops_at_since(instagram, ig_creds, server):
    server.route(
        "GET",
        rf"/{IG}/media",
        Reply(
            200,
            {
                "data": [
                    {"id": "3", "caption": "new", "timestamp": "2026-11-02T10:00:00+0000"},
                    {"id": "2", "caption": "Morning pour", "timestamp": "2026-11-02T09:00:00+0000"},
                    {"id": "1", "caption": "old", "timestamp": "2026-10-01T09:00:00+0000"},
                ]
            },
        ),
    )
    post = OutgoingPost("Morning pour")
    found = instagram.find_existing(post, ig_creds, "k", datetime(2026, 11, 2, 8, tzinfo=UTC))
    assert found.platform_post_id == "2"
    assert (
        instagram.find_existing(post, ig_creds, "k", datetime(2026, 11, 2, 9, 30, tzinfo=UTC))
        is None
    )


# -- Threads ----------------------------------------------------------------------------


@pytest.fixture
def threads(server: FakeServer, fast: dict) -> ThreadsAdapter:
    return ThreadsAdapter(base_url=server.url, **fast)


def _threads_routes(server: FakeServer) -> None:
    server.route("POST", r"/me/threads", Reply(200, {"id": "1234567"}))
    server.route("GET", r"/1234567", Reply(200, {"status": "FINISHED", "id": "1234567"}))
    server.route("POST", r"/me/threads_publish", Reply(200, {"id": "7654321"}))
    server.route(
        "GET", r"/7654321", Reply(200, {"permalink": "https://www.threads.net/@ember/post/Cx"})
    )


def test_threads_text_post_with_link_card(threads, server):
    _threads_routes(server)
    post = OutgoingPost("New beans in", link="https://ember.example/beans")

    published = threads.publish(post, {"access_token": "th-token"}, "k")

    assert server.calls("POST", r"/me/threads")[0].form() == {
        "media_type": ["TEXT"],
        "text": ["New beans in"],
        "link_attachment": ["https://ember.example/beans"],
    }
    assert server.calls("POST", r"/me/threads_publish")[0].form() == {"creation_id": ["1234567"]}
    assert published.platform_post_id == "7654321"
    assert published.url == "https://www.threads.net/@ember/post/Cx"
    _no_token_in_urls(server, "th-token")


def test_threads_image_post_waits_for_the_container(threads, server):
    _threads_routes(server)
    post = OutgoingPost(
        "Pour",
        media=[OutgoingMedia(b"a", "image/jpeg", "Kettle")],
        options={"image_urls": ["https://cdn.example/1.jpg"]},
    )
    threads.publish(post, {"access_token": "th-token", "user_id": "me"}, "k")

    assert server.calls("POST", r"/me/threads")[0].form() == {
        "media_type": ["IMAGE"],
        "image_url": ["https://cdn.example/1.jpg"],
        "text": ["Pour"],
        "alt_text": ["Kettle"],
    }
    assert server.calls("GET", r"/1234567")[0].query == {"fields": ["status,error_message"]}


def test_threads_expired_token_asks_to_reconnect(threads, server):
    server.route("POST", r"/me/threads", Reply(400, EXPIRED))
    with pytest.raises(PermanentError) as caught:
        threads.publish(OutgoingPost("x"), {"access_token": "th-token"}, "k")
    assert caught.value.kind == AUTH
    assert caught.value.action == "Reconnect the channel"
    assert not server.calls("POST", r"/me/threads_publish")
