"""Facebook Page: Graph API ``/{page-id}/feed`` for text and links, ``/{page-id}/photos``.

Docs: https://developers.facebook.com/docs/pages-api/posts. One image is a photo post
(``/photos`` with the caption); several are uploaded unpublished and attached to one feed
post (``attached_media``). The Page access token comes from :meth:`FacebookAdapter.pages`
after the OAuth flow. Graph has no idempotency key: :meth:`find_existing` looks through the
Page's recent published posts for the same message.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx

from studio.publishing.adapters.base import (
    AccountInfo,
    CredentialField,
    OutgoingMedia,
    OutgoingPost,
    Published,
    compose_text,
    same_text,
)
from studio.publishing.adapters.graph import GraphAdapter
from studio.publishing.adapters.oauth import FACEBOOK, OAuthSpec
from studio.publishing.errors import MEDIA, PermanentError, PublishError

__all__ = ["FacebookAdapter"]

MAX_PHOTOS = 10


class FacebookAdapter(GraphAdapter):
    """Publish to a Facebook Page."""

    platform: ClassVar[str] = "facebook"
    label: ClassVar[str] = "Facebook"
    oauth: ClassVar[OAuthSpec | None] = FACEBOOK
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("page_id", "Page ID", secret=False, help="Chosen after signing in."),
        CredentialField("page_access_token", "Page access token", secret=True, oauth=True),
    )

    def verify(self, credentials: Mapping[str, Any]) -> AccountInfo:
        """Read the Page's name and picture with the Page token."""
        page_id, token = self._target(credentials)
        with self._client(self._headers(token)) as client:
            response = self._request(
                client,
                "GET",
                f"{self.base_url}/{page_id}",
                params={"fields": "id,name,username,link,picture{url}"},
            )
        page = self._json(response)
        picture = (page.get("picture") or {}).get("data") or {}
        username = page.get("username")
        return AccountInfo(
            display_name=page.get("name") or str(page_id),
            handle=f"@{username}" if username else page.get("name") or str(page_id),
            avatar_url=picture.get("url"),
            profile_url=page.get("link"),
            account_id=str(page.get("id") or page_id),
        )

    def pages(self, user_access_token: str) -> list[dict[str, Any]]:
        """Return the Pages a signed-in person manages: id, name, Page token, Instagram id."""
        with self._client(self._headers(user_access_token)) as client:
            response = self._request(
                client,
                "GET",
                f"{self.base_url}/me/accounts",
                params={"fields": "id,name,access_token,instagram_business_account{id,username}"},
            )
        return list(self._json(response).get("data") or [])

    def publish(
        self, post: OutgoingPost, credentials: Mapping[str, Any], idempotency_key: str
    ) -> Published:
        """Post text (with link preview) or photos to the Page."""
        page_id, token = self._target(credentials)
        if len(post.media) > MAX_PHOTOS:
            raise PermanentError(
                f"A Facebook post takes at most {MAX_PHOTOS} photos; this one has "
                f"{len(post.media)}.",
                "Remove some photos, then retry.",
                kind=MEDIA,
            )
        base = f"{self.base_url}/{page_id}"
        with self._client(self._headers(token)) as client:
            if not post.media:
                form = {"message": post.text}
                if post.link:
                    form["link"] = post.link
                response = self._request(client, "POST", f"{base}/feed", data=form, commits=True)
                answer = self._json(response)
                post_id = str(answer["id"])
            elif len(post.media) == 1:
                response = self._photo(client, base, post.media[0], compose_text(post), True)
                answer = self._json(response)
                post_id = str(answer.get("post_id") or answer["id"])
            else:
                ids = [
                    str(self._json(self._photo(client, base, m, None, False))["id"])
                    for m in post.media
                ]
                form = {"message": compose_text(post)}
                for i, photo_id in enumerate(ids):
                    form[f"attached_media[{i}]"] = json.dumps({"media_fbid": photo_id})
                response = self._request(client, "POST", f"{base}/feed", data=form, commits=True)
                answer = self._json(response)
                post_id = str(answer["id"])
            url = self._permalink(client, post_id)
        return Published(post_id, url, answer)

    def find_existing(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, Any],
        idempotency_key: str,
        since: datetime,
    ) -> Published | None:
        """Look through the Page's posts published since ``since`` for this message."""
        page_id, token = self._target(credentials)
        wanted = (post.text, compose_text(post))
        with self._client(self._headers(token)) as client:
            response = self._request(
                client,
                "GET",
                f"{self.base_url}/{page_id}/published_posts",
                params={
                    "fields": "id,message,permalink_url,created_time",
                    "since": int(since.timestamp()),
                    "limit": 25,
                },
            )
        for item in self._json(response).get("data") or []:
            if any(same_text(item.get("message") or "", text) for text in wanted):
                return Published(
                    str(item["id"]), item.get("permalink_url"), item, found_existing=True
                )
        return None

    # -- steps --------------------------------------------------------------------------

    def _target(self, credentials: Mapping[str, Any]) -> tuple[str, str]:
        values = self._credentials(credentials)
        return str(values["page_id"]).strip(), str(values["page_access_token"]).strip()

    def _photo(
        self,
        client: httpx.Client,
        base: str,
        media: OutgoingMedia,
        caption: str | None,
        published: bool,
    ) -> httpx.Response:
        fields: dict[str, str] = {"published": "true" if published else "false"}
        if caption:
            fields["message"] = caption
        if media.alt_text:
            fields["alt_text_custom"] = media.alt_text
        extension = mimetypes.guess_extension(media.mime) or ""
        return self._request(
            client,
            "POST",
            f"{base}/photos",
            data=fields,
            files={"source": (f"photo{extension}", media.data, media.mime)},
            commits=published,
        )

    def _permalink(self, client: httpx.Client, post_id: str) -> str:
        """Return the post's address; a failed lookup must not fail a published post."""
        try:
            response = self._request(
                client, "GET", f"{self.base_url}/{post_id}", params={"fields": "permalink_url"}
            )
            link = self._json(response).get("permalink_url")
        except PublishError:  # the post is out; a missing link must not fail it
            link = None
        return link if isinstance(link, str) and link else f"https://www.facebook.com/{post_id}"
