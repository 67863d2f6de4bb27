"""Contract tests: the Mastodon adapter against a fake Mastodon server."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from studio.publishing.adapters.base import OutgoingMedia, OutgoingPost
from studio.publishing.adapters.mastodon import MastodonAdapter, status_text
from studio.publishing.errors import (
    AUTH,
    CONFIG,
    MEDIA,
    REJECTED,
    PermanentError,
    TransientError,
    UnknownOutcome,
)
from tests.unit.publishing.conftest import SLOW
from tests.unit.publishing.fakeplatforms import FakeMastodon
from tests.unit.publishing.fakeserver import FakeServer, Reply, closed_port_url

STATUSES = r"/api/v1/statuses"
# Binary data with CR/LF and boundary-like bytes: the multipart body must carry it unchanged.
JPEG = b"\xff\xd8\xff\xe0\r\n--\r\n\x00binary\r\n\r\n\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


@pytest.fixture
def mastodon(server: FakeServer) -> FakeMastodon:
    return FakeMastodon(server)


@pytest.fixture
def adapter(fast: dict) -> MastodonAdapter:
    return MastodonAdapter(**fast)


@pytest.fixture
def creds(server: FakeServer) -> dict:
    return {"instance_url": server.url + "/", "access_token": "good-token"}


def test_verify_returns_the_account_and_sends_the_bearer_token(adapter, creds, server, mastodon):
    info = adapter.verify(creds)

    assert info.display_name == "Ember Roasters"
    assert info.handle == "@ember@127.0.0.1"
    assert info.avatar_url == mastodon.account["avatar"]
    assert info.profile_url == mastodon.account["url"]
    assert info.account_id == "1"
    (call,) = server.calls("GET", r"/api/v1/accounts/verify_credentials")
    assert call.header("Authorization") == "Bearer good-token"


def test_verify_with_a_bad_token_asks_to_reconnect(adapter, creds, mastodon):
    with pytest.raises(PermanentError) as caught:
        adapter.verify({**creds, "access_token": "revoked"})

    assert caught.value.kind == AUTH
    assert caught.value.action == "Reconnect the channel"
    assert caught.value.status == 401
    assert "The access token is invalid" in caught.value.message
    assert "revoked" not in caught.value.message


def test_publish_text_posts_the_status_form_with_the_idempotency_key(
    adapter, creds, server, mastodon
):
    published = adapter.publish(OutgoingPost("Fresh roast today ☕"), creds, "post-7:mastodon:1")

    (call,) = server.calls("POST", STATUSES)
    assert call.header("Idempotency-Key") == "post-7:mastodon:1"
    assert call.header("Authorization") == "Bearer good-token"
    assert call.header("Content-Type") == "application/x-www-form-urlencoded"
    assert call.form() == {"status": ["Fresh roast today ☕"], "visibility": ["public"]}
    (status,) = mastodon.statuses
    assert published.platform_post_id == status["id"]
    assert published.url == status["url"]
    assert published.found_existing is False
    assert not server.calls("POST", r"/api/v2/media")


def test_publish_passes_visibility_content_warning_and_language(adapter, creds, server, mastodon):
    post = OutgoingPost(
        "Spoilers ahead",
        options={"visibility": "unlisted", "spoiler_text": "Season finale", "language": "en"},
    )
    adapter.publish(post, creds, "k")

    form = server.calls("POST", STATUSES)[0].form()
    assert form["visibility"] == ["unlisted"]
    assert form["spoiler_text"] == ["Season finale"]
    assert form["language"] == ["en"]


def test_publish_appends_the_link_once(adapter, creds, server, mastodon):
    adapter.publish(OutgoingPost("New menu", link="https://ember.example/menu"), creds, "a")
    adapter.publish(
        OutgoingPost("Menu: https://ember.example/menu", link="https://ember.example/menu"),
        creds,
        "b",
    )

    first, second = (c.form()["status"][0] for c in server.calls("POST", STATUSES))
    assert first == "New menu\n\nhttps://ember.example/menu"
    assert second == "Menu: https://ember.example/menu"


def test_publish_uploads_each_image_as_multipart_with_its_description(
    adapter, creds, server, mastodon
):
    post = OutgoingPost(
        "Two photos",
        media=[
            OutgoingMedia(JPEG, "image/jpeg", "Beans roasting in the drum", 1600, 900),
            OutgoingMedia(PNG, "image/png", "", 1080, 1080),
        ],
    )
    adapter.publish(post, creds, "k")

    first, second = server.calls("POST", r"/api/v2/media")
    one, two = first.multipart(), second.multipart()
    assert one["file"][0].data == JPEG
    assert one["file"][0].content_type == "image/jpeg"
    assert one["file"][0].filename.endswith(".jpg")
    assert one["description"][0].text == "Beans roasting in the drum"
    assert two["file"][0].data == PNG
    assert two["file"][0].content_type == "image/png"
    assert "description" not in two  # no empty alt text sent
    assert first.header("Authorization") == "Bearer good-token"
    form = server.calls("POST", STATUSES)[0].form()
    assert form["media_ids[]"] == list(mastodon.media)  # both, in upload order
    (status,) = mastodon.statuses
    assert [m["description"] for m in status["media_attachments"]] == [
        "Beans roasting in the drum",
        None,
    ]


def test_publish_waits_for_media_still_processing(adapter, creds, server, mastodon, clock):
    mastodon.processing_polls = 3
    adapter.publish(OutgoingPost("", media=[OutgoingMedia(JPEG, "image/jpeg")]), creds, "k")

    media_id = next(iter(mastodon.media))
    polls = server.calls("GET", rf"/api/v1/media/{media_id}")
    assert len(polls) == 4  # three 206 answers, then 200 with a url
    assert clock.naps == [1.0, 1.0, 1.0]
    assert len(mastodon.statuses) == 1


def test_media_that_never_finishes_processing_is_transient_and_posts_nothing(
    adapter, creds, server, mastodon, clock
):
    mastodon.processing_polls = 10_000
    with pytest.raises(TransientError, match="still processing an image after 10 s"):
        adapter.publish(OutgoingPost("x", media=[OutgoingMedia(JPEG, "image/jpeg")]), creds, "k")

    assert 5 <= len(server.calls("GET", r"/api/v1/media/.*")) <= 12
    assert not server.calls("POST", STATUSES)
    assert clock.now - 1000.0 <= 10.0


def test_refused_image_type_says_which_formats_work(adapter, creds, mastodon):
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x", media=[OutgoingMedia(b"x", "image/heic")]), creds, "k")

    assert caught.value.kind == MEDIA
    assert "File content type is invalid" in caught.value.message
    assert "JPEG" in caught.value.action


def test_a_retry_with_the_same_key_returns_the_first_status(adapter, creds, server, mastodon):
    post = OutgoingPost("Only once")
    first = adapter.publish(post, creds, "same-key")
    second = adapter.publish(post, creds, "same-key")

    assert first.platform_post_id == second.platform_post_id
    assert len(mastodon.statuses) == 1
    assert [c.header("Idempotency-Key") for c in server.calls("POST", STATUSES)] == [
        "same-key",
        "same-key",
    ]


def test_validation_error_is_permanent_with_mastodons_reason(adapter, creds, mastodon):
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x" * 501), creds, "k")

    error = caught.value
    assert error.kind == REJECTED
    assert error.status == 422
    assert "Text character limit of 500 exceeded" in error.message
    assert "Validation failed" not in error.message
    assert error.action.startswith("Edit the post")


def test_rate_limit_honours_retry_after_seconds(adapter, creds, server, mastodon):
    server.next(
        "POST", STATUSES, Reply(429, {"error": "Too many requests"}, headers={"Retry-After": "30"})
    )
    with pytest.raises(TransientError) as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")

    assert caught.value.retry_after == 30
    assert "Too many requests" in caught.value.message
    assert not mastodon.statuses


def test_rate_limit_honours_retry_after_as_an_http_date(adapter, creds, server, mastodon):
    when = datetime.now(UTC) + timedelta(seconds=120)
    server.next(
        "POST",
        STATUSES,
        Reply(
            429,
            {"error": "Too many requests"},
            headers={"Retry-After": format_datetime(when, usegmt=True)},
        ),
    )
    with pytest.raises(TransientError) as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")

    assert 110 <= caught.value.retry_after <= 120


def test_rate_limit_falls_back_to_mastodons_reset_header(adapter, creds, server, mastodon):
    reset = (datetime.now(UTC) + timedelta(seconds=300)).isoformat()
    server.next(
        "POST",
        STATUSES,
        Reply(429, {"error": "Too many requests"}, headers={"X-RateLimit-Reset": reset}),
    )
    with pytest.raises(TransientError) as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")

    assert 290 <= caught.value.retry_after <= 300


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(adapter, creds, server, mastodon, status):
    # Mastodon sends its rate-limit reset on every answer; it says nothing about a 5xx.
    reset = (datetime.now(UTC) + timedelta(seconds=300)).isoformat()
    server.next(
        "POST",
        STATUSES,
        Reply(status, body=b"<html>Bad gateway</html>", headers={"X-RateLimit-Reset": reset}),
    )
    with pytest.raises(TransientError) as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")

    assert caught.value.status == status
    assert f"HTTP {status}" in caught.value.message
    assert caught.value.retry_after is None
    assert not mastodon.statuses


def test_a_503_with_retry_after_says_when(adapter, creds, server, mastodon):
    server.next(
        "POST", STATUSES, Reply(503, {"error": "Maintenance"}, headers={"Retry-After": "45"})
    )
    with pytest.raises(TransientError, match="Maintenance") as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")
    assert caught.value.retry_after == 45


def test_no_answer_after_sending_the_status_is_an_unknown_outcome(adapter, creds, server, mastodon):
    server.next("POST", STATUSES, Reply(200, {"id": "9"}, delay=SLOW))
    started = time.monotonic()
    with pytest.raises(UnknownOutcome, match="may or may not have been published"):
        adapter.publish(OutgoingPost("x"), creds, "k")

    assert time.monotonic() - started < SLOW
    assert len(server.calls("POST", STATUSES)) == 1  # the platform did receive it


def test_a_dropped_answer_then_a_retry_publishes_exactly_once(adapter, creds, server, mastodon):
    server.next("POST", STATUSES, Reply(drop=True), process=True)
    with pytest.raises(UnknownOutcome):
        adapter.publish(OutgoingPost("Exactly once"), creds, "key-1")
    assert len(mastodon.statuses) == 1  # it went out although no answer came back

    retried = adapter.publish(OutgoingPost("Exactly once"), creds, "key-1")

    assert retried.platform_post_id == mastodon.statuses[0]["id"]
    assert len(mastodon.statuses) == 1


def test_slow_answer_to_a_read_only_call_is_transient_not_unknown(adapter, creds, server, mastodon):
    server.next("GET", r"/api/v1/accounts/verify_credentials", Reply(200, {}, delay=SLOW))
    with pytest.raises(TransientError, match="did not answer"):
        adapter.verify(creds)


def test_slow_media_upload_is_transient_and_posts_nothing(adapter, creds, server, mastodon):
    server.next("POST", r"/api/v2/media", Reply(200, {}, delay=SLOW))
    with pytest.raises(TransientError):
        adapter.publish(OutgoingPost("x", media=[OutgoingMedia(JPEG, "image/jpeg")]), creds, "k")
    assert not server.calls("POST", STATUSES)


def test_connection_refused_is_transient_and_nothing_was_sent(adapter):
    creds = {"instance_url": closed_port_url(), "access_token": "good-token"}
    with pytest.raises(TransientError, match="nothing was sent") as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")
    assert caught.value.status is None


def test_find_existing_finds_an_earlier_status_with_the_same_text(adapter, creds, mastodon):
    since = datetime.now(UTC) - timedelta(minutes=1)
    post = OutgoingPost('Caffè & "crema"\n\nline two <3', link="https://ember.example/a?b=1&c=2")
    published = adapter.publish(post, creds, "k")
    adapter.publish(OutgoingPost("Something else"), creds, "other")

    found = adapter.find_existing(post, creds, "k", since)

    assert found is not None
    assert found.found_existing is True
    assert found.platform_post_id == published.platform_post_id
    assert adapter.find_existing(OutgoingPost("never posted"), creds, "x", since) is None


def test_find_existing_ignores_statuses_older_than_since(adapter, creds, mastodon):
    post = OutgoingPost("Same text")
    adapter.publish(post, creds, "k")

    assert adapter.find_existing(post, creds, "k", datetime.now(UTC) + timedelta(minutes=1)) is None


def test_invalid_visibility_fails_before_any_request(adapter, creds, server):
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x", options={"visibility": "friends"}), creds, "k")
    assert caught.value.kind == CONFIG
    assert not server.requests


def test_plain_http_is_refused_for_remote_servers(adapter, server):
    with pytest.raises(PermanentError, match="unencrypted") as caught:
        adapter.verify({"instance_url": "http://mastodon.example", "access_token": "t"})
    assert caught.value.kind == CONFIG


def test_missing_token_asks_to_reconnect(adapter, creds, server):
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x"), {**creds, "access_token": " "}, "k")
    assert caught.value.kind == AUTH
    assert not server.requests


def test_redact_hides_the_token():
    redacted = MastodonAdapter().redact({"instance_url": "https://m.example", "access_token": "s3"})
    assert redacted == {"instance_url": "https://m.example", "access_token": "[redacted]"}


def test_status_text_reads_paragraphs_breaks_and_hidden_link_parts():
    html = (
        '<p>Hello &amp; welcome<br />line</p><p>See <a href="https://ember.example/long/path">'
        '<span class="invisible">https://</span><span class="ellipsis">ember.example/lo</span>'
        '<span class="invisible">ng/path</span></a></p>'
    )
    assert status_text(html) == "Hello & welcome\nline\n\nSee https://ember.example/long/path"
