"""Instagram (professional accounts): Graph API content publishing, in two steps.

Docs: https://developers.facebook.com/docs/instagram-platform/content-publishing.
1. ``POST /{ig-user-id}/media`` with a public ``image_url`` makes a container (for a
   carousel: one child per image with ``is_carousel_item``, then a ``CAROUSEL`` container
   listing the children); Plume waits until its ``status_code`` is ``FINISHED``.
2. ``POST /{ig-user-id}/media_publish`` with ``creation_id`` publishes it.

Instagram fetches the images itself, so the post needs ``options["image_urls"]`` (public
URLs of the renditions, in the order of ``media``). Links in captions are not clickable,
so ``post.link`` is not added to the caption. No idempotency key: :meth:`find_existing`
looks through the account's recent media for the same caption.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import httpx

from studio.publishing.adapters.base import (
    AccountInfo,
    CredentialField,
    OutgoingPost,
    Published,
    same_text,
)
from studio.publishing.adapters.graph import GraphAdapter, graph_time, public_image_urls
from studio.publishing.adapters.oauth import INSTAGRAM, OAuthSpec
from studio.publishing.errors import MEDIA, PermanentError, PublishError, TransientError

__all__ = ["InstagramAdapter"]

MAX_CAROUSEL = 10


class InstagramAdapter(GraphAdapter):
    """Publish photos and carousels to an Instagram professional account."""

    platform: ClassVar[str] = "instagram"
    label: ClassVar[str] = "Instagram"
    oauth: ClassVar[OAuthSpec | None] = INSTAGRAM
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField(
            "ig_user_id",
            "Instagram account ID",
            secret=False,
            help="The professional account linked to your Facebook Page (chosen after signing in).",
        ),
        CredentialField("access_token", "Access token", secret=True, oauth=True),
    )

    def verify(self, credentials: Mapping[str, Any]) -> AccountInfo:
        """Read the account's username and picture."""
        user_id, token = self._target(credentials)
        with self._client(self._headers(token)) as client:
            response = self._request(
                client,
                "GET",
                f"{self.base_url}/{user_id}",
                params={"fields": "id,username,name,profile_picture_url"},
            )
        account = self._json(response)
        username = account.get("username") or ""
        return AccountInfo(
            display_name=account.get("name") or username,
            handle=f"@{username}",
            avatar_url=account.get("profile_picture_url"),
            profile_url=f"https://www.instagram.com/{username}/" if username else None,
            account_id=str(account.get("id") or user_id),
        )

    def publish(
        self, post: OutgoingPost, credentials: Mapping[str, Any], idempotency_key: str
    ) -> Published:
        """Make the container(s), wait for Instagram to fetch the images, then publish."""
        user_id, token = self._target(credentials)
        images = public_image_urls(post, self.label)
        if not images:
            raise PermanentError(
                "Instagram posts need at least one image.",
                "Add an image to this post, then retry.",
                kind=MEDIA,
            )
        if len(images) > MAX_CAROUSEL:
            raise PermanentError(
                f"An Instagram carousel takes at most {MAX_CAROUSEL} images; this post has "
                f"{len(images)}.",
                "Remove some images, then retry.",
                kind=MEDIA,
            )
        media_url = f"{self.base_url}/{user_id}/media"
        with self._client(self._headers(token)) as client:
            if len(images) == 1:
                url, media = images[0]
                form = {"image_url": url, "caption": post.text}
                if media is not None and media.alt_text:
                    form["alt_text"] = media.alt_text
                container = self._create(client, media_url, form)
            else:
                children = []
                for url, media in images:
                    form = {"image_url": url, "is_carousel_item": "true"}
                    if media is not None and media.alt_text:
                        form["alt_text"] = media.alt_text
                    children.append(self._create(client, media_url, form))
                for child in children:
                    self._wait(client, child)
                container = self._create(
                    client,
                    media_url,
                    {
                        "media_type": "CAROUSEL",
                        "children": ",".join(children),
                        "caption": post.text,
                    },
                )
            self._wait(client, container)
            response = self._request(
                client,
                "POST",
                f"{self.base_url}/{user_id}/media_publish",
                data={"creation_id": container},
                commits=True,
            )
            answer = self._json(response)
            media_id = str(answer["id"])
            permalink = self._permalink(client, media_id)
        return Published(media_id, permalink, answer)

    def find_existing(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, Any],
        idempotency_key: str,
        since: datetime,
    ) -> Published | None:
        """Look through the account's recent media for this caption, posted since ``since``."""
        user_id, token = self._target(credentials)
        with self._client(self._headers(token)) as client:
            response = self._request(
                client,
                "GET",
                f"{self.base_url}/{user_id}/media",
                params={"fields": "id,caption,permalink,timestamp", "limit": 25},
            )
        for item in self._json(response).get("data") or []:
            posted = graph_time(item.get("timestamp"))
            if posted is not None and posted < since:
                break  # newest first: nothing older can match
            if same_text(item.get("caption") or "", post.text):
                return Published(str(item["id"]), item.get("permalink"), item, found_existing=True)
        return None

    # -- steps --------------------------------------------------------------------------

    def _target(self, credentials: Mapping[str, Any]) -> tuple[str, str]:
        values = self._credentials(credentials)
        return str(values["ig_user_id"]).strip(), str(values["access_token"]).strip()

    def _create(self, client: httpx.Client, url: str, form: dict[str, str]) -> str:
        return str(self._json(self._request(client, "POST", url, data=form))["id"])

    def _wait(self, client: httpx.Client, container: str) -> None:
        def finished() -> bool | None:
            response = self._request(
                client,
                "GET",
                f"{self.base_url}/{container}",
                params={"fields": "status_code,status"},
            )
            body = self._json(response)
            state = body.get("status_code")
            if state in ("FINISHED", "PUBLISHED"):
                return True
            if state == "ERROR":
                raise PermanentError(
                    f"Instagram could not prepare the image ({body.get('status') or 'error'}).",
                    "Check that the image is a JPEG with an aspect ratio between 4:5 and "
                    "1.91:1 and its address is public, then retry.",
                    kind=MEDIA,
                )
            if state == "EXPIRED":
                raise TransientError("Instagram let the prepared post expire before publishing.")
            return None

        self._poll(finished, "the images")

    def _permalink(self, client: httpx.Client, media_id: str) -> str | None:
        try:
            response = self._request(
                client, "GET", f"{self.base_url}/{media_id}", params={"fields": "permalink"}
            )
            link = self._json(response).get("permalink")
        except PublishError:
            return None  # the post is out; a missing link must not fail it
        return link if isinstance(link, str) else None
