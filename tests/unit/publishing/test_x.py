"""Contract tests: the X adapter against a fake X API v2."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from studio.publishing.adapters.base import OutgoingMedia, OutgoingPost
from studio.publishing.adapters.x import XAdapter
from studio.publishing.errors import (
    AUTH,
    DUPLICATE,
    REJECTED,
    PermanentError,
    TransientError,
    UnknownOutcome,
)
from tests.unit.publishing.conftest import SLOW
from tests.unit.publishing.fakeserver import FakeServer, Reply, closed_port_url

TWEETS = r"/2/tweets"
ME = {"data": {"id": "2244994945", "name": "Ember Roasters", "username": "emberroasters"}}
DUPLICATE_BODY = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}


@pytest.fixture
def adapter(server: FakeServer, fast: dict) -> XAdapter:
    return XAdapter(base_url=server.url, **fast)


@pytest.fixture
def creds() -> dict:
    return {"access_token": "x-user-token", "username": "emberroasters"}


def test_publish_uploads_media_sets_alt_text_and_creates_the_post(adapter, creds, server):
    server.route("POST", r"/2/media/upload", Reply(200, {"data": {"id": "1880028106020515840"}}))
    server.route("POST", r"/2/media/metadata", Reply(200, {"data": {"associated_metadata": True}}))
    server.route("POST", TWEETS, Reply(201, {"data": {"id": "1445880548472328192", "text": "t"}}))
    image = b"\xff\xd8x-image\r\n"
    post = OutgoingPost("Roast day", media=[OutgoingMedia(image, "image/jpeg", "Beans", 1600, 900)])

    published = adapter.publish(post, creds, "k")

    (upload,) = server.calls("POST", r"/2/media/upload")
    assert upload.header("Authorization") == "Bearer x-user-token"
    fields = upload.multipart()
    assert fields["media"][0].data == image
    assert fields["media"][0].content_type == "image/jpeg"
    assert fields["media_category"][0].text == "tweet_image"
    assert fields["media_type"][0].text == "image/jpeg"
    (metadata,) = server.calls("POST", r"/2/media/metadata")
    assert metadata.json() == {
        "id": "1880028106020515840",
        "metadata": {"alt_text": {"text": "Beans"}},
    }
    (tweet,) = server.calls("POST", TWEETS)
    assert tweet.json() == {"text": "Roast day", "media": {"media_ids": ["1880028106020515840"]}}
    assert published.platform_post_id == "1445880548472328192"
    assert published.url == "https://x.com/emberroasters/status/1445880548472328192"


def test_text_only_post_sends_only_text(adapter, server):
    server.route("POST", TWEETS, Reply(201, {"data": {"id": "1", "text": "hi"}}))
    published = adapter.publish(OutgoingPost("hi"), {"access_token": "t"}, "k")

    assert server.calls("POST", TWEETS)[0].json() == {"text": "hi"}
    assert published.url == "https://x.com/i/web/status/1"


def test_verify_reads_the_user(adapter, creds, server):
    server.route("GET", r"/2/users/me", Reply(200, ME))
    info = adapter.verify(creds)

    assert server.calls("GET", r"/2/users/me")[0].query["user.fields"] == [
        "profile_image_url,username,name"
    ]
    assert (info.display_name, info.handle, info.account_id) == (
        "Ember Roasters",
        "@emberroasters",
        "2244994945",
    )


def test_an_expired_token_is_an_auth_error(adapter, creds, server):
    server.route(
        "POST",
        TWEETS,
        Reply(
            401,
            {
                "title": "Unauthorized",
                "type": "about:blank",
                "status": 401,
                "detail": "Unauthorized",
            },
        ),
    )
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")
    assert caught.value.kind == AUTH
    assert caught.value.action == "Reconnect the channel"


def test_invalid_request_gives_xs_detail(adapter, creds, server):
    body = {
        "errors": [{"parameters": {"text": ["x" * 300]}, "message": "Text is too long"}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    server.route("POST", TWEETS, Reply(400, body))
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x" * 300), creds, "k")
    assert caught.value.kind == REJECTED
    assert "One or more parameters" in caught.value.message


def test_rate_limit_uses_the_reset_header(adapter, creds, server):
    reset = int(datetime.now(UTC).timestamp()) + 900
    server.route(
        "POST",
        TWEETS,
        Reply(
            429,
            {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
            headers={"x-rate-limit-reset": str(reset)},
        ),
    )
    with pytest.raises(TransientError) as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")
    assert 890 <= caught.value.retry_after <= 900


def test_a_duplicate_refusal_finds_the_earlier_post(adapter, creds, server):
    server.route("POST", TWEETS, Reply(403, DUPLICATE_BODY))
    server.route("GET", r"/2/users/me", Reply(200, ME))
    server.route(
        "GET",
        r"/2/users/2244994945/tweets",
        Reply(200, {"data": [{"id": "77", "text": "Beans &amp; more https://t.co/abc123"}]}),
    )
    post = OutgoingPost("Beans & more", link="https://ember.example/beans")

    published = adapter.publish(post, creds, "k")

    assert published.found_existing is True
    assert published.platform_post_id == "77"
    assert published.url == "https://x.com/emberroasters/status/77"


def test_a_duplicate_that_cannot_be_found_is_permanent(adapter, creds, server):
    server.route("POST", TWEETS, Reply(403, DUPLICATE_BODY))
    server.route("GET", r"/2/users/me", Reply(200, ME))
    server.route("GET", r"/2/users/2244994945/tweets", Reply(200, {"meta": {"result_count": 0}}))
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("Same again"), creds, "k")
    assert caught.value.kind == DUPLICATE
    assert "duplicate content" in caught.value.message


def test_find_existing_asks_for_posts_since_the_first_attempt(adapter, creds, server):
    server.route("GET", r"/2/users/me", Reply(200, ME))
    server.route(
        "GET",
        r"/2/users/2244994945/tweets",
        Reply(200, {"data": [{"id": "5", "text": "other"}, {"id": "6", "text": "Fresh roast"}]}),
    )
    since = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

    found = adapter.find_existing(OutgoingPost("Fresh roast"), creds, "k", since)

    assert found.platform_post_id == "6"
    query = server.calls("GET", r"/2/users/2244994945/tweets")[0].query
    assert query["start_time"] == ["2026-11-02T09:30:00Z"]
    assert adapter.find_existing(OutgoingPost("never"), creds, "k", since) is None


def test_no_answer_to_the_create_call_is_unknown(adapter, creds, server):
    server.route("POST", TWEETS, Reply(201, {"data": {"id": "1"}}, delay=SLOW))
    with pytest.raises(UnknownOutcome):
        adapter.publish(OutgoingPost("x"), creds, "k")


def test_connection_refused_is_transient(fast, creds):
    adapter = XAdapter(base_url=closed_port_url(), **fast)
    with pytest.raises(TransientError):
        adapter.publish(OutgoingPost("x"), creds, "k")


def test_since_is_sent_in_utc(adapter, creds, server):
    server.route("GET", r"/2/users/me", Reply(200, ME))
    server.route("GET", r"/2/users/2244994945/tweets", Reply(200, {}))
    berlin = datetime(2026, 3, 29, 11, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/Berlin"))
    adapter.find_existing(OutgoingPost("x"), creds, "k", berlin)
    assert server.calls("GET", r".*/tweets")[0].query["start_time"] == ["2026-03-29T11:00:00Z"]
