"""Mastodon: ``POST /api/v2/media`` per image, then ``POST /api/v1/statuses``.

Docs: https://docs.joinmastodon.org/methods/statuses/ and /methods/media/. The status post
carries an ``Idempotency-Key`` header, so a retried publish returns the first status instead
of making a second one. Mastodon keeps those keys for one hour; a retry later than that
should call :meth:`MastodonAdapter.find_existing` first (it looks through the account's
recent statuses for the same text).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from datetime import datetime
from html.parser import HTMLParser
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from studio.publishing.adapters.base import (
    AccountInfo,
    CredentialField,
    HttpAdapter,
    OutgoingMedia,
    OutgoingPost,
    Published,
    compose_text,
    normalise_base_url,
    same_text,
)
from studio.publishing.errors import (
    AUTH,
    CONFIG,
    MEDIA,
    PermanentError,
    PublishError,
)

__all__ = ["MastodonAdapter", "status_text"]

VISIBILITIES = ("public", "unlisted", "private", "direct")
_LOOKUP_PAGES = 3  # 3 pages of 40 statuses: far more than a team posts between two retries


class MastodonAdapter(HttpAdapter):
    """Publish statuses with images to any Mastodon-compatible server."""

    platform: ClassVar[str] = "mastodon"
    label: ClassVar[str] = "Mastodon"
    supports_idempotency: ClassVar[bool] = True
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField(
            "instance_url",
            "Server address",
            secret=False,
            help="The address of your Mastodon server, e.g. https://mastodon.social",
            address=True,
        ),
        CredentialField(
            "access_token",
            "Access token",
            secret=True,
            help=(
                "On your server: Preferences → Development → New application, with the "
                "scopes read:accounts, read:statuses, write:statuses and write:media; "
                "paste “Your access token”."
            ),
        ),
    )

    # -- public API ---------------------------------------------------------------------

    def verify(self, credentials: Mapping[str, Any]) -> AccountInfo:
        """Check the token with verify_credentials and return the account it belongs to."""
        base, token = self._target(credentials)
        with self._client(_auth(token)) as client:
            account = self._account(client, base)
        host = urlsplit(base).hostname or ""
        acct = account.get("acct") or account.get("username") or ""
        handle = f"@{acct}" if "@" in acct else f"@{acct}@{host}"
        return AccountInfo(
            display_name=account.get("display_name") or account.get("username") or acct,
            handle=handle,
            avatar_url=account.get("avatar"),
            profile_url=account.get("url"),
            account_id=str(account.get("id")) if account.get("id") is not None else None,
        )

    def publish(
        self, post: OutgoingPost, credentials: Mapping[str, Any], idempotency_key: str
    ) -> Published:
        """Upload the images, then post the status under ``idempotency_key``."""
        base, token = self._target(credentials)
        form = self._status_form(post)
        with self._client(_auth(token)) as client:
            media_ids = [self._upload(client, base, m) for m in post.media]
            if media_ids:
                form["media_ids[]"] = media_ids
            response = self._request(
                client,
                "POST",
                f"{base}/api/v1/statuses",
                data=form,
                headers={"Idempotency-Key": idempotency_key},
                commits=True,
            )
        status = self._json(response)
        return Published(str(status["id"]), status.get("url") or status.get("uri"), status)

    def find_existing(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, Any],
        idempotency_key: str,
        since: datetime,
    ) -> Published | None:
        """Look through the account's statuses since ``since`` for one with this text."""
        base, token = self._target(credentials)
        wanted = compose_text(post)
        with self._client(_auth(token)) as client:
            account_id = self._account(client, base)["id"]
            url = f"{base}/api/v1/accounts/{account_id}/statuses"
            params: dict[str, Any] = {"limit": 40, "exclude_reblogs": "true"}
            for _ in range(_LOOKUP_PAGES):
                page = self._json(self._request(client, "GET", url, params=params))
                if not page:
                    return None
                for status in page:
                    created = _parse_time(status.get("created_at"))
                    if created is not None and created < since:
                        return None
                    if same_text(status_text(status.get("content") or ""), wanted):
                        return Published(
                            str(status["id"]), status.get("url"), status, found_existing=True
                        )
                params = {**params, "max_id": page[-1]["id"]}
        return None

    # -- steps --------------------------------------------------------------------------

    def _target(self, credentials: Mapping[str, Any]) -> tuple[str, str]:
        values = self._credentials(credentials)
        base = normalise_base_url(
            values["instance_url"],
            what="Mastodon server address",
            allow_http=self.allow_http,
            allow_private_hosts=self.allow_private_hosts,
        )
        return base, values["access_token"].strip()

    def _account(self, client: httpx.Client, base: str) -> dict[str, Any]:
        response = self._request(client, "GET", f"{base}/api/v1/accounts/verify_credentials")
        return self._json(response)

    def _status_form(self, post: OutgoingPost) -> dict[str, Any]:
        options = post.options
        visibility = str(options.get("visibility") or "public")
        if visibility not in VISIBILITIES:
            raise PermanentError(
                f"Mastodon has no visibility called {visibility!r}.",
                "Choose public, unlisted, private (followers only) or direct.",
                kind=CONFIG,
            )
        form: dict[str, Any] = {"status": compose_text(post), "visibility": visibility}
        warning = options.get("spoiler_text") or options.get("content_warning")
        if warning:
            form["spoiler_text"] = str(warning)
        if options.get("sensitive"):
            form["sensitive"] = "true"
        if options.get("language"):
            form["language"] = str(options["language"])
        return form

    def _upload(self, client: httpx.Client, base: str, media: OutgoingMedia) -> str:
        """Upload one image with its description and wait until Mastodon has processed it."""
        extension = mimetypes.guess_extension(media.mime) or ""
        fields = {"description": media.alt_text} if media.alt_text else {}
        response = self._request(
            client,
            "POST",
            f"{base}/api/v2/media",
            files={"file": (f"image{extension}", media.data, media.mime)},
            data=fields,
        )
        attachment = self._json(response)
        media_id = str(attachment["id"])
        if response.status_code == 200 and attachment.get("url"):
            return media_id

        # 202 Accepted: processing goes on in the background; GET answers 206 until done.
        def processed() -> str | None:
            check = self._request(client, "GET", f"{base}/api/v1/media/{media_id}")
            if check.status_code == 200 and self._json(check).get("url"):
                return media_id
            return None

        return self._poll(processed, "an image")

    # -- errors -------------------------------------------------------------------------

    def _reason(self, response: httpx.Response, body: Any) -> str | None:
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            reason = body["error"]
            if body.get("error_description"):
                reason = str(body["error_description"])
            return reason.removeprefix("Validation failed: ")
        return super()._reason(response, body)

    def _classify(
        self, response: httpx.Response, body: Any, reason: str | None
    ) -> PublishError | None:
        status = response.status_code
        said = f": {reason}" if reason else ""
        if status == 403 and reason and "scope" in reason.lower():
            return PermanentError(
                f"Mastodon says the access token may not do this{said}.",
                "Reconnect the channel with a token that has the read:accounts, "
                "read:statuses, write:statuses and write:media scopes.",
                kind=AUTH,
                status=status,
            )
        if status == 422 and "/media" in response.request.url.path:
            return PermanentError(
                f"Mastodon refused an image{said}.",
                "Use a JPEG, PNG, GIF or WebP image within the server's size limit, then retry.",
                kind=MEDIA,
                status=status,
            )
        return None


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class _TextOf(HTMLParser):
    """Collect a status's text from its HTML: paragraphs and line breaks become newlines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self._paragraphs:
                self.parts.append("\n\n")
            self._paragraphs += 1

    def handle_data(self, data: str) -> None:
        # Mastodon hides parts of long links in "invisible" spans; the data is all there.
        self.parts.append(data)


def status_text(html: str) -> str:
    """Return the plain text of a Mastodon status's HTML ``content``."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
