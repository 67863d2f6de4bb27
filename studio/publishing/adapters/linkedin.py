"""LinkedIn: the versioned Posts API (``POST /rest/posts``) and Images API.

Docs: https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api
and .../images-api. Every ``/rest`` call carries ``LinkedIn-Version: YYYYMM`` and
``X-Restli-Protocol-Version: 2.0.0``; LinkedIn retires each version after about a year and
then answers 426, which becomes a :class:`PermanentError` of kind ``version`` telling an
administrator to update the version (constructor ``version=``).

The commentary uses LinkedIn's "little text" format, where ``\\ | { } @ [ ] ( ) < > # * _
~`` are markup: Plume escapes them and writes hashtags as ``{hashtag|\\#|tag}`` templates,
so a post's parentheses do not cut it short. Images: ``initializeUpload``, a ``PUT`` of the
bytes to the returned URL, then the image URNs in the post. A link without images becomes an
article card. No idempotency key: :meth:`find_existing` lists the author's recent posts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from studio.platforms.textparse import extract_hashtags
from studio.publishing.adapters.base import (
    AccountInfo,
    CredentialField,
    HttpAdapter,
    OutgoingMedia,
    OutgoingPost,
    Published,
    compose_text,
)
from studio.publishing.adapters.oauth import LINKEDIN, OAuthSpec
from studio.publishing.errors import MEDIA, VERSION, PermanentError, PublishError

__all__ = ["DEFAULT_VERSION", "LinkedInAdapter", "little_text"]

DEFAULT_VERSION = "202510"
MAX_IMAGES = 20
_RESERVED = set("\\|{}@[]()<>#*_~")


def little_text(text: str) -> str:
    """Return ``text`` as LinkedIn commentary: markup characters escaped, hashtags tagged."""
    out: list[str] = []
    pos = 0
    for tag in extract_hashtags(text):
        out.append(_escape(text[pos : tag.start]))
        out.append("{hashtag|\\#|" + _escape(tag.value) + "}")
        pos = tag.end
    out.append(_escape(text[pos:]))
    return "".join(out)


def _escape(text: str) -> str:
    return "".join("\\" + ch if ch in _RESERVED else ch for ch in text)


class LinkedInAdapter(HttpAdapter):
    """Publish to a LinkedIn member's feed or an organization page."""

    platform: ClassVar[str] = "linkedin"
    label: ClassVar[str] = "LinkedIn"
    default_base_url: ClassVar[str] = "https://api.linkedin.com"
    oauth: ClassVar[OAuthSpec | None] = LINKEDIN
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("access_token", "Access token", secret=True, oauth=True),
        CredentialField(
            "author_urn",
            "Post as",
            secret=False,
            required=False,
            help="urn:li:organization:<id> for a company page; empty posts as yourself.",
        ),
    )

    def __init__(self, *args: Any, version: str = DEFAULT_VERSION, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.version = version

    def verify(self, credentials: Mapping[str, Any]) -> AccountInfo:
        """Read the member (OpenID userinfo) or the organization the channel posts as."""
        values = self._credentials(credentials)
        author = str(values.get("author_urn") or "").strip()
        with self._client(self._headers(values)) as client:
            if author.startswith("urn:li:organization:"):
                org_id = author.rsplit(":", 1)[1]
                response = self._request(
                    client, "GET", f"{self.base_url}/rest/organizations/{org_id}"
                )
                org = self._json(response)
                vanity = org.get("vanityName")
                return AccountInfo(
                    display_name=org.get("localizedName") or author,
                    handle=vanity or author,
                    avatar_url=None,
                    profile_url=f"https://www.linkedin.com/company/{vanity}/" if vanity else None,
                    account_id=author,
                )
            member = self._userinfo(client)
        return AccountInfo(
            display_name=member.get("name") or "",
            handle=member.get("name") or member.get("sub", ""),
            avatar_url=member.get("picture"),
            profile_url=None,
            account_id=f"urn:li:person:{member['sub']}",
        )

    def publish(
        self, post: OutgoingPost, credentials: Mapping[str, Any], idempotency_key: str
    ) -> Published:
        """Upload the images, then create the post."""
        values = self._credentials(credentials)
        if len(post.media) > MAX_IMAGES:
            raise PermanentError(
                f"LinkedIn takes at most {MAX_IMAGES} images; this post has {len(post.media)}.",
                "Remove some images, then retry.",
                kind=MEDIA,
            )
        with self._client(self._headers(values)) as client:
            author = self._author(client, values)
            body: dict[str, Any] = {
                "author": author,
                "commentary": little_text(post.text),
                "visibility": str(post.options.get("visibility") or "PUBLIC"),
                "distribution": {
                    "feedDistribution": "MAIN_FEED",
                    "targetEntities": [],
                    "thirdPartyDistributionChannels": [],
                },
                "lifecycleState": "PUBLISHED",
                "isReshareDisabledByAuthor": False,
            }
            if post.media:
                body["commentary"] = little_text(compose_text(post))
                images = [self._upload(client, author, m) for m in post.media]
                if len(images) == 1:
                    body["content"] = {"media": images[0]}
                else:
                    body["content"] = {"multiImage": {"images": images}}
            elif post.link:
                article = {
                    "source": post.link,
                    "title": str(post.options.get("link_title") or post.link),
                }
                if post.options.get("link_description"):
                    article["description"] = str(post.options["link_description"])
                body["content"] = {"article": article}
            response = self._request(
                client, "POST", f"{self.base_url}/rest/posts", json=body, commits=True
            )
        urn = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id")
        if not urn:
            urn = str(self._json(response).get("id"))
        return Published(urn, f"https://www.linkedin.com/feed/update/{urn}/", {"id": urn})

    def find_existing(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, Any],
        idempotency_key: str,
        since: datetime,
    ) -> Published | None:
        """Look through the author's recent posts for this commentary."""
        values = self._credentials(credentials)
        wanted = {little_text(post.text), little_text(compose_text(post))}
        since_ms = since.timestamp() * 1000
        with self._client(self._headers(values)) as client:
            author = self._author(client, values)
            # Rest.li wants the URN percent-encoded inside the query.
            url = (
                f"{self.base_url}/rest/posts?author={quote(author, safe='')}"
                "&q=author&count=20&sortBy=LAST_MODIFIED"
            )
            response = self._request(client, "GET", url)
        for item in self._json(response).get("elements") or []:
            created = item.get("createdAt") or item.get("publishedAt") or 0
            if created and created < since_ms:
                continue
            if (item.get("commentary") or "").strip() in {w.strip() for w in wanted}:
                urn = str(item["id"])
                return Published(
                    urn, f"https://www.linkedin.com/feed/update/{urn}/", item, found_existing=True
                )
        return None

    # -- steps --------------------------------------------------------------------------

    def _headers(self, values: Mapping[str, Any]) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {str(values['access_token']).strip()}",
            "LinkedIn-Version": self.version,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    def _userinfo(self, client: httpx.Client) -> dict[str, Any]:
        return self._json(self._request(client, "GET", f"{self.base_url}/v2/userinfo"))

    def _author(self, client: httpx.Client, values: Mapping[str, Any]) -> str:
        author = str(values.get("author_urn") or "").strip()
        return author or f"urn:li:person:{self._userinfo(client)['sub']}"

    def _upload(self, client: httpx.Client, author: str, media: OutgoingMedia) -> dict[str, str]:
        response = self._request(
            client,
            "POST",
            f"{self.base_url}/rest/images",
            params={"action": "initializeUpload"},
            json={"initializeUploadRequest": {"owner": author}},
        )
        value = self._json(response).get("value") or {}
        self._request(
            client,
            "PUT",
            value["uploadUrl"],
            content=media.data,
            headers={"Content-Type": media.mime},
        )
        image = {"id": value["image"]}
        if media.alt_text:
            image["altText"] = media.alt_text
        return image

    # -- errors -------------------------------------------------------------------------

    def _classify(
        self, response: httpx.Response, body: Any, reason: str | None
    ) -> PublishError | None:
        if response.status_code == 426:
            said = f" ({reason})" if reason else ""
            return PermanentError(
                f"LinkedIn no longer accepts API version {self.version}{said}.",
                "Ask an administrator to update Plume's LinkedIn API version to a current "
                "YYYYMM release, then retry.",
                kind=VERSION,
                status=426,
            )
        return None
