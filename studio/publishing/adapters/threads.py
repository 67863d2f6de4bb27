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

import httpx

from studio.publishing.adapters.base import (
    AccountInfo,
    CredentialField,
    OutgoingPost,
    Published,
    compose_text,
    same_text,
)
from studio.publishing.adapters.graph import GraphAdapter, graph_time, public_image_urls
from studio.publishing.adapters.oauth import THREADS, OAuthSpec
from studio.publishing.errors import MEDIA, PermanentError, PublishError, TransientError

__all__ = ["THREADS_URL", "ThreadsAdapter"]

THREADS_URL = "https://graph.threads.net/v1.0"
MAX_CAROUSEL = 20


class ThreadsAdapter(GraphAdapter):
    """Publish text, image and carousel posts to Threads."""

    platform: ClassVar[str] = "threads"
    label: ClassVar[str] = "Threads"
    default_base_url: ClassVar[str] = THREADS_URL
    oauth: ClassVar[OAuthSpec | None] = THREADS
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("user_id", "Threads user ID", secret=False, default="me", required=False),
        CredentialField("access_token", "Access token", secret=True, oauth=True),
    )

    def verify(self, credentials: Mapping[str, Any]) -> AccountInfo:
        """Read the profile's username and picture."""
        user_id, token = self._target(credentials)
        with self._client(self._headers(token)) as client:
            response = self._request(
                client,
                "GET",
                f"{self.base_url}/{user_id}",
                params={"fields": "id,username,name,threads_profile_picture_url"},
            )
        profile = self._json(response)
        username = profile.get("username") or ""
        return AccountInfo(
            display_name=profile.get("name") or username,
            handle=f"@{username}",
            avatar_url=profile.get("threads_profile_picture_url"),
            profile_url=f"https://www.threads.net/@{username}" if username else None,
            account_id=str(profile.get("id") or user_id),
        )

    def publish(
        self, post: OutgoingPost, credentials: Mapping[str, Any], idempotency_key: str
    ) -> Published:
        """Make the container, wait for its images, then publish it."""
        user_id, token = self._target(credentials)
        images = public_image_urls(post, self.label)
        if len(images) > MAX_CAROUSEL:
            raise PermanentError(
                f"A Threads carousel takes at most {MAX_CAROUSEL} images; this post has "
                f"{len(images)}.",
                "Remove some images, then retry.",
                kind=MEDIA,
            )
        url = f"{self.base_url}/{user_id}/threads"
        with self._client(self._headers(token)) as client:
            if not images:
                form = {"media_type": "TEXT", "text": post.text}
                if post.link:
                    form["link_attachment"] = post.link  # a preview card, not text
                container = self._create(client, url, form)
            elif len(images) == 1:
                image_url, media = images[0]
                form = {"media_type": "IMAGE", "image_url": image_url, "text": compose_text(post)}
                if media is not None and media.alt_text:
                    form["alt_text"] = media.alt_text
                container = self._create(client, url, form)
                self._wait(client, container)
            else:
                children = []
                for image_url, media in images:
                    form = {
                        "media_type": "IMAGE",
                        "image_url": image_url,
                        "is_carousel_item": "true",
                    }
                    if media is not None and media.alt_text:
                        form["alt_text"] = media.alt_text
                    children.append(self._create(client, url, form))
                for child in children:
                    self._wait(client, child)
                container = self._create(
                    client,
                    url,
                    {
                        "media_type": "CAROUSEL",
                        "children": ",".join(children),
                        "text": compose_text(post),
                    },
                )
                self._wait(client, container)
            response = self._request(
                client,
                "POST",
                f"{self.base_url}/{user_id}/threads_publish",
                data={"creation_id": container},
                commits=True,
            )
            answer = self._json(response)
            thread_id = str(answer["id"])
            permalink = self._permalink(client, thread_id)
        return Published(thread_id, permalink, answer)

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

    # -- steps --------------------------------------------------------------------------

    def _target(self, credentials: Mapping[str, Any]) -> tuple[str, str]:
        values = self._credentials(credentials)
        return str(values.get("user_id") or "me").strip(), str(values["access_token"]).strip()

    def _create(self, client: httpx.Client, url: str, form: dict[str, str]) -> str:
        return str(self._json(self._request(client, "POST", url, data=form))["id"])

    def _wait(self, client: httpx.Client, container: str) -> None:
        def finished() -> bool | None:
            response = self._request(
                client,
                "GET",
                f"{self.base_url}/{container}",
                params={"fields": "status,error_message"},
            )
            body = self._json(response)
            state = body.get("status")
            if state in ("FINISHED", "PUBLISHED"):
                return True
            if state == "ERROR":
                reason = body.get("error_message") or "error"
                raise PermanentError(
                    f"Threads could not prepare the image ({reason}).",
                    "Check that the image is a JPEG or PNG under 8 MB and its address is public, "
                    "then retry.",
                    kind=MEDIA,
                )
            if state == "EXPIRED":
                raise TransientError("Threads let the prepared post expire before publishing.")
            return None

        self._poll(finished, "the images")

    def _permalink(self, client: httpx.Client, thread_id: str) -> str | None:
        try:
            response = self._request(
                client, "GET", f"{self.base_url}/{thread_id}", params={"fields": "permalink"}
            )
            link = self._json(response).get("permalink")
        except PublishError:
            return None  # the post is out; a missing link must not fail it
        return link if isinstance(link, str) else None
