"""What Meta's Graph APIs (Facebook, Instagram, Threads) share: the error shape and codes.

Graph answers ``{"error": {"message", "type", "code", "error_subcode", "error_user_msg",
"is_transient", "fbtrace_id"}}`` and often uses HTTP 400 for everything, so the ``code``
decides: 190 is an expired or revoked token, 10 and 200-299 a missing permission, 4/17/32/
613/80001+ rate limits, 1/2 a temporary fault on Meta's side, 368 a temporary block, 506 a
duplicate post. See https://developers.facebook.com/docs/graph-api/guides/error-handling.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import httpx

from studio.publishing.adapters.base import HttpAdapter, OutgoingMedia, OutgoingPost
from studio.publishing.adapters.oauth import GRAPH_VERSION
from studio.publishing.errors import (
    AUTH,
    CONFIG,
    DUPLICATE,
    MEDIA,
    NOT_FOUND,
    RECONNECT,
    REJECTED,
    PermanentError,
    PublishError,
    TransientError,
)

__all__ = ["GRAPH_URL", "GraphAdapter", "graph_time", "public_image_urls"]

GRAPH_URL = f"https://graph.facebook.com/{GRAPH_VERSION}"
_RATE_LIMIT_CODES = {4, 17, 32, 613}


def public_image_urls(post: OutgoingPost, label: str) -> list[tuple[str, OutgoingMedia | None]]:
    """Return (public URL, media) pairs from ``options["image_urls"]``, in order.

    Instagram and Threads fetch images themselves from a public address; Plume cannot
    upload the bytes. When PUBLIC_BASE_URL is set, the studio passes signed links to the
    renditions (studio.publishing.operations.build_outgoing).
    """
    urls = post.options.get("image_urls") or []
    if isinstance(urls, str):
        urls = [urls]
    urls = [str(u) for u in urls if u]
    if post.media and not urls:
        raise PermanentError(
            f"{label} fetches images from a public web address, and this studio has none: "
            "PUBLIC_BASE_URL is not set to an https address.",
            f"Set PUBLIC_BASE_URL to the studio's public https address so {label} can fetch "
            "the images, then retry.",
            kind=CONFIG,
        )
    media = list(post.media)
    return [(url, media[i] if i < len(media) else None) for i, url in enumerate(urls)]


def graph_time(value: Any) -> datetime | None:
    """Parse a Graph timestamp ("2026-11-02T09:30:00+0000"), or None."""
    if not isinstance(value, str):
        return None
    for parse in (
        lambda v: datetime.strptime(v, "%Y-%m-%dT%H:%M:%S%z"),
        lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")),
    ):
        try:
            return parse(value)
        except ValueError:
            continue
    return None


class GraphAdapter(HttpAdapter):
    """Base for Meta's Graph APIs: Bearer token header, Graph error codes."""

    default_base_url: ClassVar[str] = GRAPH_URL

    def _headers(self, token: str) -> dict[str, str]:
        # The token goes in a header, never the query string, so no log line can show it.
        return {"Authorization": f"Bearer {token}"}

    def _reason(self, response: httpx.Response, body: Any) -> str | None:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            for key in ("error_user_msg", "message"):
                if isinstance(error.get(key), str) and error[key].strip():
                    return error[key]
        return super()._reason(response, body)

    def _classify(
        self, response: httpx.Response, body: Any, reason: str | None
    ) -> PublishError | None:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None
        code = error.get("code")
        status = response.status_code
        said = f": {reason}" if reason else ""
        name = self.label
        if code == 190 or (error.get("type") == "OAuthException" and status == 401):
            return PermanentError(
                f"{name} says the channel's access has expired or was revoked{said}.",
                RECONNECT,
                kind=AUTH,
                status=status,
            )
        if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
            return PermanentError(
                f"{name} says Plume lacks a permission it needs{said}.",
                "Reconnect the channel and grant every permission Plume asks for.",
                kind=AUTH,
                status=status,
            )
        if code in _RATE_LIMIT_CODES or (isinstance(code, int) and 80001 <= code <= 80014):
            return TransientError(
                f"{name} is limiting how fast Plume may post{said}.", status=status
            )
        if code in (1, 2) or error.get("is_transient") is True:
            return TransientError(f"{name} had a temporary problem{said}.", status=status)
        if code == 368:
            return PermanentError(
                f"{name} has temporarily blocked this account from posting{said}.",
                "Check the account's notifications on the platform, then retry later.",
                status=status,
            )
        if code == 506:
            return PermanentError(
                f"{name} refused a duplicate of a recent post{said}.",
                "Change the text if you mean to post it again.",
                kind=DUPLICATE,
                status=status,
            )
        if code == 100 and error.get("error_subcode") == 33:
            return PermanentError(
                f"{name} cannot find the page or account Plume posts to{said}.",
                "Check the channel settings, or reconnect the channel.",
                kind=NOT_FOUND,
                status=status,
            )
        if code in (9004, 36001) or error.get("error_subcode") in (2207052, 2207026):
            return PermanentError(
                f"{name} could not use an image{said}.",
                "Check that the image address is public and the image is a JPEG within "
                "the size limits, then retry.",
                kind=MEDIA,
                status=status,
            )
        if status == 400:
            return PermanentError(
                f"{name} refused the post{said}.",
                "Edit the post to fix this, then retry.",
                kind=REJECTED,
                status=status,
            )
        return None
