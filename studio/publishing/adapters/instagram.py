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

from studio.publishing.adapters.base import CredentialField, OutgoingPost, Published, same_text
from studio.publishing.adapters.graph import graph_time, public_image_urls
from studio.publishing.adapters.meta_containers import MetaContainerAdapter
from studio.publishing.adapters.oauth import INSTAGRAM, OAuthSpec
from studio.publishing.errors import MEDIA, PermanentError

__all__ = ["InstagramAdapter"]

MAX_CAROUSEL = 10


class InstagramAdapter(MetaContainerAdapter):
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

    profile_fields: ClassVar[str] = "id,username,name,profile_picture_url"
    avatar_field: ClassVar[str] = "profile_picture_url"
    profile_url: ClassVar[str] = "https://www.instagram.com/{username}/"
    container_edge: ClassVar[str] = "media"
    publish_edge: ClassVar[str] = "media_publish"
    caption_field: ClassVar[str] = "caption"
    max_carousel: ClassVar[int] = MAX_CAROUSEL
    too_many_images: ClassVar[str] = (
        "An Instagram carousel takes at most {limit} images; this post has {count}."
    )
    status_fields: ClassVar[str] = "status_code,status"
    status_field: ClassVar[str] = "status_code"
    status_reason_field: ClassVar[str] = "status"
    image_failed_action: ClassVar[str] = (
        "Check that the image is a JPEG with an aspect ratio between 4:5 and 1.91:1 and its "
        "address is public, then retry."
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
        self._check_carousel(images)
        with self._client(self._headers(token)) as client:
            # Links in captions are not clickable on Instagram: the caption is the text alone.
            container = self._image_container(client, user_id, images, post.text)
            return self._publish_container(client, user_id, container)

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

    def _target(self, credentials: Mapping[str, Any]) -> tuple[str, str]:
        values = self._credentials(credentials)
        return str(values["ig_user_id"]).strip(), str(values["access_token"]).strip()
