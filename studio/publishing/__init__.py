"""Publish posts to social platforms: one adapter per platform, behind one interface.

The web and job layers use only what is exported here::

    adapter = adapter_for("mastodon")                   # or adapter_for("sandbox", store=...)
    info = adapter.verify(credentials)                  # "test connection"
    done = adapter.publish(post, credentials, key)      # -> Published
    found = adapter.find_existing(post, credentials, key, since)  # before re-sending

``PLATFORM_FIELDS`` describes each platform's "connect channel" form, ``OAUTH`` the
platforms whose accounts are connected through an OAuth flow (see
:mod:`studio.publishing.adapters.oauth` for the helpers), and the errors say what to do
next (see :mod:`studio.publishing.errors`).
"""

from __future__ import annotations

from typing import Any

from studio.publishing.adapters.base import (
    AccountInfo,
    Adapter,
    CredentialField,
    OutgoingMedia,
    OutgoingPost,
    Published,
)
from studio.publishing.adapters.bluesky import BlueskyAdapter
from studio.publishing.adapters.facebook import FacebookAdapter
from studio.publishing.adapters.instagram import InstagramAdapter
from studio.publishing.adapters.linkedin import LinkedInAdapter
from studio.publishing.adapters.mastodon import MastodonAdapter
from studio.publishing.adapters.oauth import OAuthSpec
from studio.publishing.adapters.pinterest import PinterestAdapter
from studio.publishing.adapters.sandbox import SandboxAdapter
from studio.publishing.adapters.threads import ThreadsAdapter
from studio.publishing.adapters.webhook import WebhookAdapter, verify_signature
from studio.publishing.adapters.x import XAdapter
from studio.publishing.errors import (
    PermanentError,
    PublishError,
    TransientError,
    UnknownOutcome,
)

__all__ = [
    "ADAPTERS",
    "LABELS",
    "OAUTH",
    "PLATFORMS",
    "PLATFORM_FIELDS",
    "AccountInfo",
    "Adapter",
    "CredentialField",
    "OAuthSpec",
    "OutgoingMedia",
    "OutgoingPost",
    "PermanentError",
    "PublishError",
    "Published",
    "TransientError",
    "UnknownOutcome",
    "UnknownPlatform",
    "adapter_for",
    "needs_oauth",
    "verify_signature",
]

ADAPTERS: dict[str, type[Adapter]] = {
    cls.platform: cls
    for cls in (
        MastodonAdapter,
        BlueskyAdapter,
        XAdapter,
        LinkedInAdapter,
        FacebookAdapter,
        InstagramAdapter,
        ThreadsAdapter,
        PinterestAdapter,
        WebhookAdapter,
        SandboxAdapter,
    )
}
PLATFORMS: tuple[str, ...] = tuple(ADAPTERS)
LABELS: dict[str, str] = {platform: cls.label for platform, cls in ADAPTERS.items()}
PLATFORM_FIELDS: dict[str, list[CredentialField]] = {
    platform: list(cls.credential_fields) for platform, cls in ADAPTERS.items()
}
OAUTH: dict[str, OAuthSpec] = {
    platform: cls.oauth for platform, cls in ADAPTERS.items() if cls.oauth is not None
}


class UnknownPlatform(ValueError):
    """No adapter publishes to that platform."""


def adapter_for(platform: str, **kwargs: Any) -> Adapter:
    """Return a new adapter for ``platform``; ``kwargs`` go to its constructor.

    HTTP adapters take ``base_url``, ``timeout``, ``poll_interval``, ``poll_timeout``,
    ``allow_http``, ``allow_private_hosts``; LinkedIn also ``version``; Bluesky
    ``sessions``; the sandbox ``store``, ``lookup``, ``feed_url``.
    """
    cls = ADAPTERS.get((platform or "").strip().lower())
    if cls is None:
        raise UnknownPlatform(
            f"Plume cannot publish to {platform!r}; it knows {', '.join(PLATFORMS)}."
        )
    return cls(**kwargs)


def needs_oauth(platform: str) -> bool:
    """Say whether ``platform``'s channels are connected through an OAuth flow."""
    return platform in OAUTH
