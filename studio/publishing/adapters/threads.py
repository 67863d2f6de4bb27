"""Threads: the Threads API (graph.threads.net), a container then ``threads_publish``.

Docs: https://developers.facebook.com/docs/threads/posts.
1. ``POST /{threads-user-id}/threads`` with ``media_type`` TEXT (optionally a
   ``link_attachment`` for the preview card), IMAGE (public ``image_url``) or CAROUSEL
   (children made with ``is_carousel_item``); image containers are polled until
   ``status`` is ``FINISHED``.
2. ``POST /{threads-user-id}/threads_publish`` with ``creation_id``.

Images need public URLs in ``options["image_urls"]``, as on Instagram. No idempotency key:
:meth:`find_existing` looks through the profile's threads since the first attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from studio.publishing.adapters.base import (
    CredentialField,
    OutgoingPost,
    Published,
    compose_text,
    same_text,
)
from studio.publishing.adapters.graph import graph_time, public_image_urls
from studio.publishing.adapters.meta_containers import MetaContainerAdapter
from studio.publishing.adapters.oauth import THREADS, OAuthSpec

__all__ = ["THREADS_URL", "ThreadsAdapter"]

THREADS_URL = "https://graph.threads.net/v1.0"
MAX_CAROUSEL = 20


class ThreadsAdapter(MetaContainerAdapter):
    """Publish text, image and carousel posts to Threads."""

    platform: ClassVar[str] = "threads"
    label: ClassVar[str] = "Threads"
    default_base_url: ClassVar[str] = THREADS_URL
    oauth: ClassVar[OAuthSpec | None] = THREADS
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("user_id", "Threads user ID", secret=False, default="me", required=False),
        CredentialField("access_token", "Access token", secret=True, oauth=True),
    )

    profile_fields: ClassVar[str] = "id,username,name,threads_profile_picture_url"
    avatar_field: ClassVar[str] = "threads_profile_picture_url"
    profile_url: ClassVar[str] = "https://www.threads.net/@{username}"
    container_edge: ClassVar[str] = "threads"
    publish_edge: ClassVar[str] = "threads_publish"
    image_form: ClassVar[Mapping[str, str]] = {"media_type": "IMAGE"}
    caption_field: ClassVar[str] = "text"
    max_carousel: ClassVar[int] = MAX_CAROUSEL
    too_many_images: ClassVar[str] = (
        "A Threads carousel takes at most {limit} images; this post has {count}."
    )
    status_fields: ClassVar[str] = "status,error_message"
    status_field: ClassVar[str] = "status"
    status_reason_field: ClassVar[str] = "error_message"
    image_failed_action: ClassVar[str] = (
        "Check that the image is a JPEG or PNG under 8 MB and its address is public, then retry."
    )

    def publish(
        self, post: OutgoingPost, credentials: Mapping[str, Any], idempotency_key: str
    ) -> Published:
        """Make the container, wait for its images, then publish it."""
        user_id, token = self._target(credentials)
        images = public_image_urls(post, self.label)
        self._check_carousel(images)
        with self._client(self._headers(token)) as client:
            if images:
                container = self._image_container(client, user_id, images, compose_text(post))
            else:
                form = {"media_type": "TEXT", "text": post.text}
                if post.link:
                    form["link_attachment"] = post.link  # a preview card, not text
                container = self._create(client, self._container_url(user_id), form)
            return self._publish_container(client, user_id, container)

    def find_existing(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, Any],
        idempotency_key: str,
        since: datetime,
    ) -> Published | None:
        """Look through the profile's threads since ``since`` for this text."""
        user_id, token = self._target(credentials)
        wanted = (post.text, compose_text(post))
        with self._client(self._headers(token)) as client:
            response = self._request(
                client,
                "GET",
                f"{self.base_url}/{user_id}/threads",
                params={
                    "fields": "id,text,permalink,timestamp",
                    "since": int(since.timestamp()),
                    "limit": 25,
                },
            )
        for item in self._json(response).get("data") or []:
            posted = graph_time(item.get("timestamp"))
            if posted is not None and posted < since:
                continue
            if any(same_text(item.get("text") or "", text) for text in wanted):
                return Published(str(item["id"]), item.get("permalink"), item, found_existing=True)
        return None

    def _target(self, credentials: Mapping[str, Any]) -> tuple[str, str]:
        values = self._credentials(credentials)
        return str(values.get("user_id") or "me").strip(), str(values["access_token"]).strip()
