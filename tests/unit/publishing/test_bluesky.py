"""Contract tests: the Bluesky adapter against a fake atproto PDS."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from studio.publishing.adapters.base import OutgoingMedia, OutgoingPost
from studio.publishing.adapters.bluesky import BlueskyAdapter, SessionCache, tid_from_key
from studio.publishing.errors import (
    AUTH,
    MEDIA,
    REJECTED,
    PermanentError,
    TransientError,
    UnknownOutcome,
)
from tests.unit.publishing.conftest import SLOW
from tests.unit.publishing.fakeplatforms import TID_RE, FakeBluesky
from tests.unit.publishing.fakeserver import FakeServer, Reply, closed_port_url

CREATE = r"/xrpc/com\.atproto\.repo\.createRecord"
GET_RECORD = r"/xrpc/com\.atproto\.repo\.getRecord"
SESSION = r"/xrpc/com\.atproto\.server\.createSession"
ALICE_DID = "did:plc:alice0000000000000000000"


@pytest.fixture
def pds(server: FakeServer) -> FakeBluesky:
    return FakeBluesky(server, known_handles={"alice.test": ALICE_DID})


@pytest.fixture
def adapter(fast: dict) -> BlueskyAdapter:
    return BlueskyAdapter(sessions=SessionCache(), **fast)


@pytest.fixture
def creds(server: FakeServer, pds: FakeBluesky) -> dict:
    return {"pds_url": server.url, "handle": "@ember.test", "app_password": pds.password}


def _bytes_span(text: str, part: str) -> dict:
    """Return the UTF-8 byte range of ``part`` in ``text``, counted independently."""
    start = len(text[: text.index(part)].encode("utf-8"))
    return {"byteStart": start, "byteEnd": start + len(part.encode("utf-8"))}


# -- record keys -----------------------------------------------------------------------


def test_tid_from_key_is_a_valid_stable_tid_unique_per_key():
    keys = [f"post-{n}:bluesky:{n % 7}" for n in range(2000)]
    tids = [tid_from_key(k) for k in keys]

    assert all(TID_RE.match(t) for t in tids)
    assert len(set(tids)) == len(tids)
    assert tid_from_key("post-1:bluesky:1") == tids[1]


def test_tid_timestamp_lies_in_the_past():
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    value = 0
    for ch in tid_from_key("anything"):
        value = value * 32 + alphabet.index(ch)
    micros = value >> 10
    when = datetime.fromtimestamp(micros / 1e6, UTC)
    assert datetime(2023, 1, 1, tzinfo=UTC) <= when < datetime.now(UTC)


# -- verify ----------------------------------------------------------------------------


def test_verify_signs_in_and_reads_the_profile(adapter, creds, server, pds):
    info = adapter.verify(creds)

    (session,) = server.calls("POST", SESSION)
    assert session.json() == {"identifier": "ember.test", "password": pds.password}
    (profile,) = server.calls("GET", r"/xrpc/app\.bsky\.actor\.getProfile")
    assert profile.query == {"actor": [pds.did]}
    assert profile.header("Authorization") == "Bearer access-1"
    assert info.display_name == "Ember Roasters"
    assert info.handle == "@ember.test"
    assert info.profile_url == "https://bsky.app/profile/ember.test"
    assert info.account_id == pds.did
    assert info.avatar_url.endswith(".jpg")


def test_verify_with_a_wrong_app_password_explains(adapter, creds, pds):
    with pytest.raises(PermanentError) as caught:
        adapter.verify({**creds, "app_password": "wrong-pass-word-0000"})

    assert caught.value.kind == AUTH
    assert "Invalid identifier or password" in caught.value.message
    assert "app password" in caught.value.action
    assert "wrong-pass" not in caught.value.message


def test_the_default_pds_is_bsky_social():
    adapter = BlueskyAdapter()
    values = adapter._credentials({"handle": "a.test", "app_password": "p"})
    assert values["pds_url"] == "https://bsky.social"


# -- publish ---------------------------------------------------------------------------


def test_publish_writes_the_record_with_byte_offset_facets(adapter, creds, server, pds):
    text = (
        "Café ☕️ en 🇫🇷 avec @alice.test, @ghost.test et https://example.com/menu. "
        "#crème #Röstung 👩🏽‍💻"
    )
    published = adapter.publish(OutgoingPost(text, options={"langs": ["fr"]}), creds, "key-1")

    (call,) = server.calls("POST", CREATE)
    body = call.json()
    assert call.header("Authorization") == "Bearer access-1"
    assert body["repo"] == pds.did
    assert body["collection"] == "app.bsky.feed.post"
    assert body["rkey"] == tid_from_key("key-1")
    record = body["record"]
    assert record["$type"] == "app.bsky.feed.post"
    assert record["text"] == text
    assert record["langs"] == ["fr"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["createdAt"])
    facet = "app.bsky.richtext.facet"
    assert record["facets"] == [
        {
            "$type": facet,
            "index": _bytes_span(text, "@alice.test"),
            "features": [{"$type": f"{facet}#mention", "did": ALICE_DID}],
        },
        # @ghost.test does not resolve: it stays plain text.
        {
            "$type": facet,
            "index": _bytes_span(text, "https://example.com/menu"),
            "features": [{"$type": f"{facet}#link", "uri": "https://example.com/menu"}],
        },
        {
            "$type": facet,
            "index": _bytes_span(text, "#crème"),
            "features": [{"$type": f"{facet}#tag", "tag": "crème"}],
        },
        {
            "$type": facet,
            "index": _bytes_span(text, "#Röstung"),
            "features": [{"$type": f"{facet}#tag", "tag": "Röstung"}],
        },
    ]
    resolved = [c.query["handle"][0] for c in server.calls("GET", r".*resolveHandle")]
    assert sorted(resolved) == ["alice.test", "ghost.test"]
    rkey = tid_from_key("key-1")
    assert published.platform_post_id == f"at://{pds.did}/app.bsky.feed.post/{rkey}"
    assert published.url == f"https://bsky.app/profile/ember.test/post/{rkey}"
    assert published.found_existing is False


def test_publish_uploads_each_image_and_embeds_alt_and_aspect_ratio(adapter, creds, server, pds):
    first, second = b"\xff\xd8jpeg-bytes\xff\xd9", b"\x89PNG\r\n\x1a\npng-bytes"
    post = OutgoingPost(
        "Roast day",
        media=[
            OutgoingMedia(first, "image/jpeg", "Beans in the cooling tray", 1600, 900),
            OutgoingMedia(second, "image/png", "", None, None),
        ],
    )
    adapter.publish(post, creds, "k")

    uploads = server.calls("POST", r"/xrpc/com\.atproto\.repo\.uploadBlob")
    assert [u.body for u in uploads] == [first, second]
    assert [u.header("Content-Type") for u in uploads] == ["image/jpeg", "image/png"]
    assert all(u.header("Authorization") == "Bearer access-1" for u in uploads)
    embed = server.calls("POST", CREATE)[0].json()["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    one, two = embed["images"]
    assert one["alt"] == "Beans in the cooling tray"
    assert one["aspectRatio"] == {"width": 1600, "height": 900}
    assert one["image"] == next(iter(pds.blobs.values()))
    assert two["alt"] == ""
    assert "aspectRatio" not in two


def test_publish_with_a_link_title_embeds_a_link_card(adapter, creds, server, pds):
    post = OutgoingPost(
        "Our new menu",
        link="https://ember.example/menu",
        options={"link_title": "Menu", "link_description": "Autumn"},
    )
    adapter.publish(post, creds, "k")

    record = server.calls("POST", CREATE)[0].json()["record"]
    assert record["text"] == "Our new menu\n\nhttps://ember.example/menu"
    assert record["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {"uri": "https://ember.example/menu", "title": "Menu", "description": "Autumn"},
    }


def test_more_than_four_images_is_refused_before_any_request(adapter, creds, server):
    media = [OutgoingMedia(b"x", "image/jpeg")] * 5
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("x", media=media), creds, "k")
    assert caught.value.kind == MEDIA
    assert not server.requests


def test_an_image_too_large_is_permanent_with_a_size_hint(adapter, creds, pds):
    pds.max_blob = 10
    with pytest.raises(PermanentError) as caught:
        adapter.publish(
            OutgoingPost("x", media=[OutgoingMedia(b"x" * 11, "image/jpeg")]), creds, "k"
        )
    assert caught.value.kind == MEDIA
    assert "too large" in caught.value.message
    assert "MB" in caught.value.action


def test_text_over_the_limit_is_permanent_with_the_pds_reason(adapter, creds, pds):
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("é" * 301), creds, "k")
    assert caught.value.kind == REJECTED
    assert "300 graphemes" in caught.value.message
    assert not pds.records


# -- retries land on the same record ---------------------------------------------------


@pytest.mark.parametrize("duplicate_status", [500, 400, 409])
def test_a_retry_after_a_lost_answer_returns_the_same_record(
    adapter, creds, server, pds, duplicate_status
):
    pds.duplicate_status = duplicate_status
    post = OutgoingPost("Exactly once 🚀")
    server.next("POST", CREATE, Reply(drop=True), process=True)
    with pytest.raises(UnknownOutcome):
        adapter.publish(post, creds, "post-9:bluesky")
    assert len(pds.records) == 1

    retried = adapter.publish(post, creds, "post-9:bluesky")

    first_rkey, second_rkey = (c.json()["rkey"] for c in server.calls("POST", CREATE))
    assert first_rkey == second_rkey == tid_from_key("post-9:bluesky")
    assert len(pds.records) == 1
    assert retried.found_existing is True
    assert retried.platform_post_id == pds.records[first_rkey]["uri"]
    assert retried.url.endswith(f"/post/{first_rkey}")


def test_a_server_error_without_a_record_stays_transient(adapter, creds, server, pds):
    server.next("POST", CREATE, Reply(502, {"error": "UpstreamFailure", "message": "Bad gateway"}))
    with pytest.raises(TransientError, match="Bad gateway") as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")

    assert caught.value.status == 502
    assert len(server.calls("GET", GET_RECORD)) == 1  # it checked before giving up
    assert not pds.records


def test_a_refusal_it_cannot_check_is_transient_not_failed(adapter, creds, server, pds):
    pds.records[tid_from_key("k")] = {"uri": "at://x/app.bsky.feed.post/y", "cid": "c", "value": {}}
    server.next("GET", GET_RECORD, Reply(503, {"error": "Unavailable", "message": "down"}))
    with pytest.raises(TransientError, match="could not check"):
        adapter.publish(OutgoingPost("x"), creds, "k")


def test_read_timeout_on_create_record_is_unknown(adapter, creds, server, pds):
    server.next("POST", CREATE, Reply(200, {"uri": "u", "cid": "c"}, delay=SLOW))
    started = time.monotonic()
    with pytest.raises(UnknownOutcome):
        adapter.publish(OutgoingPost("x"), creds, "k")
    assert time.monotonic() - started < SLOW


def test_rate_limit_uses_the_ratelimit_reset_header(adapter, creds, server, pds):
    reset = int(time.time()) + 60
    server.next(
        "POST",
        CREATE,
        Reply(
            429,
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            headers={"ratelimit-reset": str(reset)},
        ),
    )
    with pytest.raises(TransientError, match="Rate Limit Exceeded") as caught:
        adapter.publish(OutgoingPost("x"), creds, "k")
    assert 55 <= caught.value.retry_after <= 60
    assert not server.calls("GET", GET_RECORD)  # a 429 never wrote anything


def test_connection_refused_is_transient(adapter, pds):
    creds = {"pds_url": closed_port_url(), "handle": "ember.test", "app_password": pds.password}
    with pytest.raises(TransientError, match="nothing was sent"):
        adapter.publish(OutgoingPost("x"), creds, "k")


# -- find_existing ---------------------------------------------------------------------


def test_find_existing_reads_back_the_record_at_the_derived_rkey(adapter, creds, pds):
    post = OutgoingPost("hello")
    since = datetime.now(UTC) - timedelta(hours=1)
    assert adapter.find_existing(post, creds, "k", since) is None

    published = adapter.publish(post, creds, "k")
    found = adapter.find_existing(post, creds, "k", since)

    assert found is not None
    assert found.platform_post_id == published.platform_post_id
    assert found.found_existing is True
    assert adapter.find_existing(post, creds, "another-key", since) is None


# -- sessions --------------------------------------------------------------------------


def test_sessions_are_reused_between_publishes(adapter, creds, server, pds):
    adapter.publish(OutgoingPost("one"), creds, "a")
    adapter.publish(OutgoingPost("two"), creds, "b")

    assert pds.sessions_created == 1
    assert len(pds.records) == 2


def test_an_expired_session_is_renewed_once(adapter, creds, server, pds):
    adapter.publish(OutgoingPost("one"), creds, "a")
    pds.expire_sessions()

    adapter.publish(OutgoingPost("two"), creds, "b")

    assert pds.sessions_created == 2
    assert server.calls("POST", CREATE)[-1].header("Authorization") == "Bearer access-2"
    assert len(pds.records) == 2


def test_a_changed_app_password_does_not_reuse_the_old_session(adapter, creds, pds):
    adapter.publish(OutgoingPost("one"), creds, "a")
    with pytest.raises(PermanentError) as caught:
        adapter.publish(OutgoingPost("two"), {**creds, "app_password": "other"}, "b")
    assert caught.value.kind == AUTH


def test_session_cache_never_holds_the_password():
    key = SessionCache.key("https://pds.example", "Ember.Test", "hunter2-pass")
    assert "hunter2-pass" not in repr(key)
    assert key[1] == "ember.test"


def test_redact_hides_the_app_password():
    redacted = BlueskyAdapter().redact({"handle": "a.test", "app_password": "p"})
    assert redacted == {"handle": "a.test", "app_password": "[redacted]"}
