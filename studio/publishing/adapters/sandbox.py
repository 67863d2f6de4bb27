"""Sandbox: publish to Plume's own local feed, so the demo publishes end to end offline.

The web layer passes ``store(post, idempotency_key) -> (post_id, url)``, which writes to the
local feed and must be idempotent by key (return the first entry for a repeated key), and
optionally ``lookup(idempotency_key) -> (post_id, url) | None`` for :meth:`find_existing`.
Without them, an in-memory :class:`MemoryFeed` is used (tests, the shell).

For demos of failure notices, ``options["sandbox_fail"]`` may be ``"transient"``,
``"permanent"`` or ``"unknown"`` (the last stores the post, then reports no answer).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from studio.publishing.adapters.base import (
    AccountInfo,
    Adapter,
    CredentialField,
    OutgoingPost,
    Published,
)
from studio.publishing.errors import (
    REJECTED,
    PermanentError,
    PublishError,
    TransientError,
    UnknownOutcome,
)

__all__ = ["LookupFn", "MemoryFeed", "SandboxAdapter", "StoreFn"]

StoreFn = Callable[[OutgoingPost, str], tuple[str, str | None]]
LookupFn = Callable[[str], tuple[str, str | None] | None]


class MemoryFeed:
    """An in-process feed keyed by idempotency key (the contract ``store`` must keep)."""

    def __init__(self, base_url: str = "/sandbox") -> None:
        self.base_url = base_url.rstrip("/")
        self.posts: dict[str, tuple[str, OutgoingPost]] = {}
        self._lock = threading.Lock()

    def store(self, post: OutgoingPost, idempotency_key: str) -> tuple[str, str | None]:
        """Keep ``post`` once per key and return its id and address."""
        with self._lock:
            if idempotency_key not in self.posts:
                self.posts[idempotency_key] = (str(len(self.posts) + 1), post)
            post_id = self.posts[idempotency_key][0]
        return post_id, f"{self.base_url}/{post_id}"

    def lookup(self, idempotency_key: str) -> tuple[str, str | None] | None:
        """Return the id and address stored under ``idempotency_key``, if any."""
        with self._lock:
            found = self.posts.get(idempotency_key)
        return (found[0], f"{self.base_url}/{found[0]}") if found else None


class SandboxAdapter(Adapter):
    """Publish to a local feed through the ``store`` callable."""

    platform: ClassVar[str] = "sandbox"
    label: ClassVar[str] = "Sandbox"
    supports_idempotency: ClassVar[bool] = True
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()

    def __init__(
        self,
        store: StoreFn | None = None,
        *,
        lookup: LookupFn | None = None,
        feed_url: str | None = None,
        name: str = "Plume sandbox feed",
    ) -> None:
        if store is None:
            feed = MemoryFeed(feed_url or "/sandbox")
            store, lookup = feed.store, lookup or feed.lookup
        self._store = store
        self._lookup = lookup
        self.feed_url = feed_url
        self.name = name

    def verify(self, credentials: Mapping[str, Any]) -> AccountInfo:
        """Return the sandbox feed's identity (nothing to check)."""
        return AccountInfo(
            display_name=self.name, handle="@sandbox", avatar_url=None, profile_url=self.feed_url
        )

    def publish(
        self, post: OutgoingPost, credentials: Mapping[str, Any], idempotency_key: str
    ) -> Published:
        """Store the post in the local feed, once per idempotency key."""
        fail = str(post.options.get("sandbox_fail") or "")
        if fail == "transient":
            raise TransientError("The sandbox was asked to fail for a moment (demo).")
        if fail == "permanent":
            raise PermanentError(
                "The sandbox was asked to refuse this post (demo).",
                "Remove the sandbox_fail option, then retry.",
                kind=REJECTED,
            )
        existing = self._lookup(idempotency_key) if self._lookup else None
        if existing is not None:
            return Published(existing[0], existing[1], {"id": existing[0]}, found_existing=True)
        try:
            post_id, url = self._store(post, idempotency_key)
        except PublishError:
            raise
        except Exception as exc:  # the local store's own failure: worth a retry
            raise TransientError(f"The sandbox feed could not store the post ({exc}).") from exc
        if fail == "unknown":
            raise UnknownOutcome("The sandbox stored the post but was asked not to say so (demo).")
        return Published(str(post_id), url, {"id": str(post_id), "url": url})

    def find_existing(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, Any],
        idempotency_key: str,
        since: datetime,
    ) -> Published | None:
        """Return the feed entry stored under ``idempotency_key``, if any."""
        found = self._lookup(idempotency_key) if self._lookup else None
        if found is None:
            return None
        return Published(found[0], found[1], {"id": found[0]}, found_existing=True)
