"""Webhook: POST the post as signed JSON to any URL (Slack, Zapier, n8n, an in-house CMS).

The body (UTF-8 JSON)::

    {"event": "post.publish", "idempotency_key": "...", "timestamp": 1767225600,
     "platform": "webhook", "text": "...", "link": "https://..." | null,
     "options": {...},
     "media": [{"mime": "image/jpeg", "alt_text": "...", "width": 1080, "height": 1350,
                "size": 123456, "sha256": "<hex>", "data_base64": "<base64>"}]}

Images travel inline as base64 so a receiver needs nothing else from Plume; a channel with
``include_media`` set to "no" gets the same entries without ``data_base64`` (for receivers
with small body limits). ``text`` is the text as written; ``link`` is separate.

Headers: ``X-Plume-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the
secret>``, ``X-Plume-Timestamp`` (also inside the signed body, so a receiver can refuse
replays), ``X-Plume-Event`` and ``Idempotency-Key``. A receiver must treat a repeated
Idempotency-Key as the same post; that is what makes retries safe here. Any 2xx answer means
published; the post id is the answer's JSON ``id`` when present, else the idempotency key.
"Test connection" sends a signed ``ping`` event, which receivers should simply acknowledge.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from studio.publishing.adapters.base import (
    AccountInfo,
    CredentialField,
    HttpAdapter,
    OutgoingPost,
    Published,
    normalise_base_url,
    secret_url,
)
from studio.publishing.errors import AUTH, NOT_FOUND, PermanentError, PublishError

__all__ = ["SIGNATURE_HEADER", "WebhookAdapter", "sign", "verify_signature"]

SIGNATURE_HEADER = "X-Plume-Signature"
TIMESTAMP_HEADER = "X-Plume-Timestamp"
_NO = ("no", "false", "0", "off", "")


def sign(body: bytes, secret: str) -> str:
    """Return the X-Plume-Signature value for ``body``: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: str) -> bool:
    """Say whether ``header`` is the X-Plume-Signature of the raw ``body`` under ``secret``."""
    if not header or not secret or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(header.strip().encode(), sign(body, secret).encode())


class WebhookAdapter(HttpAdapter):
    """POST each post as signed JSON to the channel's URL."""

    platform: ClassVar[str] = "webhook"
    label: ClassVar[str] = "Webhook"
    supports_idempotency: ClassVar[bool] = True  # receivers dedupe on Idempotency-Key
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        # Secret: Slack and Zapier hook URLs are themselves the credential.
        CredentialField(
            "url", "Webhook URL", secret=True, help="Where Plume POSTs each post.", address=True
        ),
        CredentialField(
            "secret",
            "Signing secret",
            secret=True,
            help="Shared with the receiver, which checks X-Plume-Signature with it.",
        ),
        CredentialField(
            "include_media",
            "Send images inline (base64)",
            secret=False,
            default="yes",
            required=False,
            help="Choose no if the receiver limits request size.",
        ),
    )

    def verify(self, credentials: Mapping[str, Any]) -> AccountInfo:
        """Send a signed ping and return the receiving host when it answers 2xx."""
        url, secret, _ = self._target(credentials)
        body = {"event": "ping", "timestamp": int(time.time())}
        self._send(url, secret, body, None, commits=False)
        host = urlsplit(url).hostname or url
        return AccountInfo(display_name=host, handle=host, avatar_url=None, profile_url=None)

    def publish(
        self, post: OutgoingPost, credentials: Mapping[str, Any], idempotency_key: str
    ) -> Published:
        """POST the signed post; the receiver's 2xx answer means published."""
        url, secret, include_media = self._target(credentials)
        body = self.payload(post, idempotency_key, include_media=include_media)
        response = self._send(url, secret, body, idempotency_key, commits=True)
        try:
            answer = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            answer = None
        answer = answer if isinstance(answer, dict) else {}
        post_id = answer.get("id")
        link = answer.get("url")
        return Published(
            str(post_id) if post_id not in (None, "") else idempotency_key,
            link if isinstance(link, str) else None,
            answer,
        )

    @staticmethod
    def payload(
        post: OutgoingPost, idempotency_key: str, *, include_media: bool = True
    ) -> dict[str, Any]:
        """Return the JSON document sent for ``post`` (documented in the module)."""
        media = []
        for m in post.media:
            entry: dict[str, Any] = {
                "mime": m.mime,
                "alt_text": m.alt_text,
                "width": m.width,
                "height": m.height,
                "size": len(m.data),
                "sha256": hashlib.sha256(m.data).hexdigest(),
            }
            if include_media:
                entry["data_base64"] = base64.b64encode(m.data).decode("ascii")
            media.append(entry)
        return {
            "event": "post.publish",
            "idempotency_key": idempotency_key,
            "timestamp": int(time.time()),
            "platform": post.platform or "webhook",
            "text": post.text,
            "link": post.link,
            "options": dict(post.options),
            "media": media,
        }

    def _target(self, credentials: Mapping[str, Any]) -> tuple[str, str, bool]:
        values = self._credentials(credentials)
        raw = str(values["url"]).strip()
        parts = urlsplit(raw if "://" in raw else "https://" + raw)
        # Where private hosts are allowed (development), the receiver may be a local
        # http:// service; the secret itself is never sent, only the signature.
        base = normalise_base_url(
            parts._replace(query="", fragment="").geturl(),
            what="webhook URL",
            allow_http=True,
            allow_private_hosts=self.allow_private_hosts,
        )
        url = base + (f"?{parts.query}" if parts.query else "")
        include = str(values.get("include_media") or "yes").strip().lower() not in _NO
        return url, str(values["secret"]), include

    def _send(
        self,
        url: str,
        secret: str,
        document: dict[str, Any],
        idempotency_key: str | None,
        *,
        commits: bool,
    ) -> httpx.Response:
        raw = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(raw, secret),
            TIMESTAMP_HEADER: str(document["timestamp"]),
            "X-Plume-Event": document["event"],
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        with self._client() as client, secret_url():
            return self._request(client, "POST", url, content=raw, headers=headers, commits=commits)

    def _reason(self, response: httpx.Response, body: Any) -> str | None:
        reason = super()._reason(response, body)
        if reason is None and response.headers.get("content-type", "").startswith("text/plain"):
            reason = response.text.strip()[:200] or None  # e.g. Slack's "invalid_payload"
        return reason

    def _classify(
        self, response: httpx.Response, body: Any, reason: str | None
    ) -> PublishError | None:
        status = response.status_code
        said = f": {reason}" if reason else ""
        if status in (401, 403):
            return PermanentError(
                f"The webhook refused Plume's request (HTTP {status}){said}.",
                "Check that the receiver uses the same signing secret, then reconnect the channel.",
                kind=AUTH,
                status=status,
            )
        if status in (404, 410):
            return PermanentError(
                f"The webhook address no longer exists (HTTP {status}){said}.",
                "Update the webhook URL in the channel settings.",
                kind=NOT_FOUND,
                status=status,
            )
        return None
