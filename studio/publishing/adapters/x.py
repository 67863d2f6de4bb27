"""X: API v2, ``POST /2/media/upload`` per image, then ``POST /2/tweets``.

Docs: https://docs.x.com/x-api/posts/manage-tweets/introduction and
https://docs.x.com/x-api/media/quickstart/media-upload-chunked. Auth is an OAuth 2.0 user
token (scopes ``tweet.write users.read media.write``); it lasts two hours, so the web layer
refreshes it with :func:`studio.publishing.adapters.oauth.refresh`. Images only (JPEG, PNG,
WebP, GIF as ``tweet_gif``); alt text goes through ``POST /2/media/metadata``.

X has no idempotency key. It refuses an identical text posted recently (403 "duplicate
content"); the adapter then looks the post up and reports it as published if it is there.
:meth:`find_existing` reads the account's posts since the first attempt.
"""

from __future__ import annotations

import html
import mimetypes
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from studio.publishing.adapters.base import (
    AccountInfo,
    CredentialField,
    HttpAdapter,
    OutgoingMedia,
    OutgoingPost,
    Published,
    compose_text,
    same_text,
)
from studio.publishing.adapters.oauth import OAuthSpec, X
from studio.publishing.errors import (
    DUPLICATE,
    MEDIA,
    PermanentError,
    PublishError,
)

__all__ = ["XAdapter"]

MAX_IMAGES = 4
MAX_ALT = 1000
_URL = re.compile(r"https?://\S+")


class XAdapter(HttpAdapter):
    """Publish posts with images to X."""

    platform: ClassVar[str] = "x"
    label: ClassVar[str] = "X"
    default_base_url: ClassVar[str] = "https://api.x.com"
    oauth: ClassVar[OAuthSpec | None] = X
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("access_token", "Access token", secret=True, oauth=True),
        CredentialField("refresh_token", "Refresh token", secret=True, required=False, oauth=True),
        CredentialField("username", "Username", secret=False, required=False, oauth=True),
    )

    def verify(self, credentials: Mapping[str, Any]) -> AccountInfo:
        """Read the signed-in user with ``GET /2/users/me``."""
        with self._client(self._headers(credentials)) as client:
            user = self._me(client)
        username = user.get("username") or ""
        return AccountInfo(
            display_name=user.get("name") or username,
            handle=f"@{username}",
            avatar_url=user.get("profile_image_url"),
            profile_url=f"https://x.com/{username}" if username else None,
            account_id=str(user.get("id")) if user.get("id") else None,
        )

    def publish(
        self, post: OutgoingPost, credentials: Mapping[str, Any], idempotency_key: str
    ) -> Published:
        """Upload the images, then create the post."""
        if len(post.media) > MAX_IMAGES:
            raise PermanentError(
                f"X takes at most {MAX_IMAGES} images; this post has {len(post.media)}.",
                "Remove some images, then retry.",
                kind=MEDIA,
            )
        body: dict[str, Any] = {"text": compose_text(post)}
        with self._client(self._headers(credentials)) as client:
            media_ids = [self._upload(client, m) for m in post.media]
            if media_ids:
                body["media"] = {"media_ids": media_ids}
            try:
                response = self._request(
                    client, "POST", f"{self.base_url}/2/tweets", json=body, commits=True
                )
            except PermanentError as exc:
                if exc.kind != DUPLICATE:
                    raise
                # An earlier attempt may have gone out: then this post is published.
                since = datetime.now(UTC) - timedelta(days=1)
                found = self._lookup(client, post, since)
                if found is not None:
                    return found
                raise
        data = self._json(response).get("data") or {}
        post_id = str(data["id"])
        return Published(post_id, self._url(credentials, post_id), data)

    def find_existing(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, Any],
        idempotency_key: str,
        since: datetime,
    ) -> Published | None:
        """Look through the account's posts since ``since`` for the same text."""
        with self._client(self._headers(credentials)) as client:
            return self._lookup(client, post, since, credentials)

    # -- steps --------------------------------------------------------------------------

    def _headers(self, credentials: Mapping[str, Any]) -> dict[str, str]:
        token = str(self._credentials(credentials)["access_token"]).strip()
        return {"Authorization": f"Bearer {token}"}

    def _me(self, client: httpx.Client) -> dict[str, Any]:
        response = self._request(
            client,
            "GET",
            f"{self.base_url}/2/users/me",
            params={"user.fields": "profile_image_url,username,name"},
        )
        return self._json(response).get("data") or {}

    def _upload(self, client: httpx.Client, media: OutgoingMedia) -> str:
        category = "tweet_gif" if media.mime == "image/gif" else "tweet_image"
        extension = mimetypes.guess_extension(media.mime) or ""
        response = self._request(
            client,
            "POST",
            f"{self.base_url}/2/media/upload",
            data={"media_category": category, "media_type": media.mime},
            files={"media": (f"image{extension}", media.data, media.mime)},
        )
        data = self._json(response).get("data") or {}
        media_id = str(data.get("id") or data.get("media_id"))
        if media.alt_text:
            self._request(
                client,
                "POST",
                f"{self.base_url}/2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": media.alt_text[:MAX_ALT]}}},
            )
        return media_id

    def _lookup(
        self,
        client: httpx.Client,
        post: OutgoingPost,
        since: datetime,
        credentials: Mapping[str, Any] | None = None,
    ) -> Published | None:
        user = self._me(client)
        response = self._request(
            client,
            "GET",
            f"{self.base_url}/2/users/{user['id']}/tweets",
            params={
                "start_time": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "max_results": 100,
                "tweet.fields": "created_at,text",
                "exclude": "retweets,replies",
            },
        )
        wanted = _comparable(compose_text(post))
        for item in self._json(response).get("data") or []:
            if same_text(_comparable(item.get("text") or ""), wanted):
                post_id = str(item["id"])
                url = f"https://x.com/{user.get('username')}/status/{post_id}"
                return Published(post_id, url, item, found_existing=True)
        return None

    def _url(self, credentials: Mapping[str, Any], post_id: str) -> str:
        username = credentials.get("username")
        if username:
            return f"https://x.com/{str(username).lstrip('@')}/status/{post_id}"
        return f"https://x.com/i/web/status/{post_id}"

    # -- errors -------------------------------------------------------------------------

    def _reason(self, response: httpx.Response, body: Any) -> str | None:
        if isinstance(body, dict):
            if isinstance(body.get("detail"), str):
                return body["detail"]
            errors = body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                first = errors[0]
                return first.get("detail") or first.get("message") or first.get("title")
        return super()._reason(response, body)

    def _classify(
        self, response: httpx.Response, body: Any, reason: str | None
    ) -> PublishError | None:
        if response.status_code == 403 and reason and "duplicate" in reason.lower():
            return PermanentError(
                f"X refused a duplicate of a recent post: {reason}",
                "Change the text if you mean to post it again.",
                kind=DUPLICATE,
                status=403,
            )
        return None


def _comparable(text: str) -> str:
    """Return ``text`` as X stores it, for comparison: entities decoded, links as t.co."""
    return _URL.sub("<link>", html.unescape(text))
