"""The sandbox adapter: a local feed, idempotent by key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from studio.publishing.adapters.base import OutgoingPost
from studio.publishing.adapters.sandbox import MemoryFeed, SandboxAdapter
from studio.publishing.errors import PermanentError, TransientError, UnknownOutcome

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def test_publish_stores_once_per_key_through_the_callable():
    calls: list[str] = []
    feed = MemoryFeed("/feed")

    def store(post: OutgoingPost, key: str) -> tuple[str, str | None]:
        calls.append(key)
        return feed.store(post, key)

    adapter = SandboxAdapter(store, lookup=feed.lookup, feed_url="/feed")
    first = adapter.publish(OutgoingPost("hello"), {}, "k1")
    again = adapter.publish(OutgoingPost("hello"), {}, "k1")
    other = adapter.publish(OutgoingPost("bye"), {}, "k2")

    assert calls == ["k1", "k2"]  # the retry found the first entry
    assert first.platform_post_id == again.platform_post_id == "1"
    assert first.url == "/feed/1"
    assert again.found_existing is True
    assert other.platform_post_id == "2"
    assert feed.posts["k2"][1].text == "bye"


def test_find_existing_uses_the_lookup():
    adapter = SandboxAdapter()
    post = OutgoingPost("x")
    assert adapter.find_existing(post, {}, "k", SINCE) is None
    published = adapter.publish(post, {}, "k")
    assert (
        adapter.find_existing(post, {}, "k", SINCE).platform_post_id == published.platform_post_id
    )


def test_without_lookup_the_store_must_be_idempotent():
    feed = MemoryFeed()
    adapter = SandboxAdapter(feed.store)
    assert adapter.publish(OutgoingPost("x"), {}, "k") == adapter.publish(
        OutgoingPost("x"), {}, "k"
    )
    assert adapter.find_existing(OutgoingPost("x"), {}, "k", SINCE) is None


def test_a_failing_store_is_transient():
    def store(post: OutgoingPost, key: str) -> tuple[str, str | None]:
        raise OSError("database is locked")

    with pytest.raises(TransientError, match="database is locked"):
        SandboxAdapter(store).publish(OutgoingPost("x"), {}, "k")


@pytest.mark.parametrize(
    ("mode", "error"),
    [("transient", TransientError), ("permanent", PermanentError), ("unknown", UnknownOutcome)],
)
def test_demo_failures_on_request(mode, error):
    feed = MemoryFeed()
    adapter = SandboxAdapter(feed.store, lookup=feed.lookup)
    with pytest.raises(error):
        adapter.publish(OutgoingPost("x", options={"sandbox_fail": mode}), {}, "k")
    assert ("k" in feed.posts) is (mode == "unknown")


def test_verify_names_the_feed():
    info = SandboxAdapter(feed_url="/sandbox/ember").verify({})
    assert info.display_name == "Plume sandbox feed"
    assert info.profile_url == "/sandbox/ember"
