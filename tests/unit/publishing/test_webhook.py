"""Contract tests: the webhook adapter against a local receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time

import pytest

from studio.publishing.adapters.base import OutgoingMedia, OutgoingPost
from studio.publishing.adapters.webhook import WebhookAdapter, sign, verify_signature
from studio.publishing.adapters.x import XAdapter
from studio.publishing.errors import (
    AUTH,
    NOT_FOUND,
    PermanentError,
    TransientError,
    UnknownOutcome,
)
from tests.unit.publishing.conftest import SLOW
from tests.unit.publishing.fakeserver import FakeServer, Reply, closed_port_url

SECRET = "whsec-9f2c"
HOOK = r"/hooks/plume"


@pytest.fixture
def adapter(fast: dict) -> WebhookAdapter:
    return WebhookAdapter(**fast)


@pytest.fixture
def creds(server: FakeServer) -> dict:
    return {"url": f"{server.url}/hooks/plume?token=abc", "secret": SECRET}


def test_publish_posts_signed_json_with_inline_media(adapter, creds, server):
    server.route("POST", HOOK, Reply(201, {"id": "cms-42", "url": "https://cms.example/42"}))
    image = b"\xff\xd8image\r\nbytes"
    post = OutgoingPost(
        "Autumn menu 🍂",
        media=[OutgoingMedia(image, "image/jpeg", "Pumpkin latte", 1080, 1350)],
        link="https://ember.example/menu",
        options={"campaign": "autumn"},
        platform="webhook",
    )
    before = int(time.time())
    published = adapter.publish(post, creds, "post-3:webhook")

    (call,) = server.calls("POST", HOOK)
    assert call.query == {"token": ["abc"]}
    expected = "sha256=" + hmac.new(SECRET.encode(), call.body, hashlib.sha256).hexdigest()
    assert call.header("X-Plume-Signature") == expected
    assert call.header("Idempotency-Key") == "post-3:webhook"
    assert call.header("Content-Type") == "application/json"
    assert call.header("X-Plume-Event") == "post.publish"
    body = call.json()
    assert call.header("X-Plume-Timestamp") == str(body["timestamp"])
    assert before <= body["timestamp"] <= time.time()
    assert body["idempotency_key"] == "post-3:webhook"
    assert body["text"] == "Autumn menu 🍂"
    assert body["link"] == "https://ember.example/menu"
    assert body["options"] == {"campaign": "autumn"}
    (media,) = body["media"]
    assert base64.b64decode(media["data_base64"]) == image
    assert media["sha256"] == hashlib.sha256(image).hexdigest()
    assert (media["mime"], media["alt_text"], media["width"], media["height"]) == (
        "image/jpeg",
        "Pumpkin latte",
        1080,
        1350,
    )
    assert media["size"] == len(image)
    assert published.platform_post_id == "cms-42"
    assert published.url == "https://cms.example/42"


def test_media_can_be_left_out(adapter, creds, server):
    server.route("POST", HOOK, Reply(204))
    post = OutgoingPost("x", media=[OutgoingMedia(b"img", "image/png")])
    published = adapter.publish(post, {**creds, "include_media": "no"}, "key")

    (media,) = server.calls("POST", HOOK)[0].json()["media"]
    assert "data_base64" not in media
    assert media["size"] == 3
    assert published.platform_post_id == "key"  # no JSON id: the idempotency key stands in


def test_receivers_can_check_the_signature(adapter, creds, server):
    server.route("POST", HOOK, Reply(200, {}))
    adapter.publish(OutgoingPost("x"), creds, "k")
    call = server.calls("POST", HOOK)[0]

    assert verify_signature(call.body, call.header("X-Plume-Signature"), SECRET)
    assert not verify_signature(call.body + b" ", call.header("X-Plume-Signature"), SECRET)
    assert not verify_signature(call.body, call.header("X-Plume-Signature"), "other")
    assert not verify_signature(call.body, None, SECRET)
    assert not verify_signature(call.body, sign(call.body, SECRET)[7:], SECRET)


def test_verify_sends_a_signed_ping(adapter, creds, server):
    server.route("POST", HOOK, Reply(200, body=b"ok", headers={"Content-Type": "text/plain"}))
    info = adapter.verify(creds)

    (call,) = server.calls("POST", HOOK)
    assert call.json()["event"] == "ping"
    assert verify_signature(call.body, call.header("X-Plume-Signature"), SECRET)
    assert call.header("Idempotency-Key") is None
    assert info.display_name == "127.0.0.1"
    assert "token" not in info.handle


def test_a_refused_signature_asks_to_check_the_secret(adapter, creds, server):
    server.route(
        "POST", HOOK, Reply(401, body=b"bad signature", headers={"Content-Type": "text/plain"})
    )
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")
    assert caught.value.kind == AUTH
    assert "bad signature" in caught.value.message
    assert "signing secret" in caught.value.action
    assert "token=abc" not in caught.value.message


def test_a_gone_webhook_asks_for_a_new_url(adapter, creds, server):
    server.route("POST", HOOK, Reply(410, {"error": "hook deleted"}))
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")
    assert caught.value.kind == NOT_FOUND
    assert "hook deleted" in caught.value.message


def test_rate_limit_and_server_errors_are_transient(adapter, creds, server):
    server.next("POST", HOOK, Reply(429, {}, headers={"Retry-After": "7"}), Reply(503, {}))
    with pytest.raises(TransientError) as first:
        adapter.publish(OutgoingPost("x"), creds, "k")
    with pytest.raises(TransientError) as second:
        adapter.publish(OutgoingPost("x"), creds, "k")
    assert first.value.retry_after == 7
    assert second.value.status == 503


def test_a_slow_receiver_leaves_the_outcome_unknown(adapter, creds, server):
    server.route("POST", HOOK, Reply(200, {}, delay=SLOW))
    with pytest.raises(UnknownOutcome):
        adapter.publish(OutgoingPost("x"), creds, "k")


def test_connection_refused_is_transient(adapter):
    creds = {"url": closed_port_url() + "/hook", "secret": SECRET}
    with pytest.raises(TransientError, match="nothing was sent"):
        adapter.publish(OutgoingPost("x"), creds, "k")


def test_redact_hides_the_url_and_the_secret():
    redacted = WebhookAdapter().redact({"url": "https://hooks.slack.com/T/B/X", "secret": "s"})
    assert redacted == {"url": "[redacted]", "secret": "[redacted]"}


def test_the_webhook_url_never_reaches_the_logs(adapter, creds, server, caplog):
    caplog.set_level(logging.INFO, logger="httpx")
    server.route("POST", HOOK, Reply(200, {}))
    adapter.publish(OutgoingPost("x"), creds, "k")

    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines == [f'HTTP Request: POST {server.url}/[redacted] "HTTP/1.1 200 OK"']


def test_other_requests_log_their_path_but_never_a_query(fast, server, caplog):
    caplog.set_level(logging.INFO, logger="httpx")
    server.route("GET", r"/2/users/me", Reply(200, {"data": {"id": "1", "username": "e"}}))
    XAdapter(base_url=server.url, **fast).verify({"access_token": "secret-token"})

    (line,) = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert line.startswith(f"HTTP Request: GET {server.url}/2/users/me ")
    assert "user.fields" not in line and "secret-token" not in line
