"""Meta's two-step "container" publishing, as Instagram and Threads both speak it.

1. ``POST /{user-id}/{container_edge}`` makes a container: one image (a public
   ``image_url``), or a carousel whose children are image containers made with
   ``is_carousel_item``; Plume polls each image container until its status is ``FINISHED``.
2. ``POST /{user-id}/{publish_edge}`` with ``creation_id`` publishes it; a last
   ``GET /{id}?fields=permalink`` finds the post's address.

The account lookup for "test connection" is the same call too. What differs between the
two platforms (edge names, status field names, form fields, limits and the words of the
error messages) is set in class attributes; what a platform does on its own (Threads' text
posts, Instagram's "at least one image", how each looks for an earlier attempt) stays in
its module.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx

from studio.publishing.adapters.base import AccountInfo, OutgoingMedia, Published
from studio.publishing.adapters.graph import GraphAdapter
from studio.publishing.errors import MEDIA, PermanentError, PublishError, TransientError

__all__ = ["MetaContainerAdapter"]


class MetaContainerAdapter(GraphAdapter):
    """Shared steps of Instagram and Threads publishing; subclasses set the differences."""

    # The account: GET /{user-id}?fields=...
    profile_fields: ClassVar[str]
    avatar_field: ClassVar[str]
    profile_url: ClassVar[str]  # formatted with the username
    # Containers and publishing.
    container_edge: ClassVar[str]
    publish_edge: ClassVar[str]
    image_form: ClassVar[Mapping[str, str]] = {}  # fields every image container carries
    caption_field: ClassVar[str]
    max_carousel: ClassVar[int]
    too_many_images: ClassVar[str]  # formatted with limit and count
    # Polling a container: GET /{container}?fields=status_fields
    status_fields: ClassVar[str]
    status_field: ClassVar[str]
    status_reason_field: ClassVar[str]
    image_failed_action: ClassVar[str]

    def verify(self, credentials: Mapping[str, Any]) -> AccountInfo:
        """Read the account's username and picture."""
        user_id, token = self._target(credentials)
        with self._client(self._headers(token)) as client:
            response = self._request(
                client,
                "GET",
                f"{self.base_url}/{user_id}",
                params={"fields": self.profile_fields},
            )
        account = self._json(response)
        username = account.get("username") or ""
        return AccountInfo(
            display_name=account.get("name") or username,
            handle=f"@{username}",
            avatar_url=account.get(self.avatar_field),
            profile_url=self.profile_url.format(username=username) if username else None,
            account_id=str(account.get("id") or user_id),
        )

    # -- steps --------------------------------------------------------------------------

    @abstractmethod
    def _target(self, credentials: Mapping[str, Any]) -> tuple[str, str]:
        """Return (user id, access token) from the channel's credentials."""

    def _check_carousel(self, images: Sequence[object]) -> None:
        if len(images) > self.max_carousel:
            raise PermanentError(
                self.too_many_images.format(limit=self.max_carousel, count=len(images)),
                "Remove some images, then retry.",
                kind=MEDIA,
            )

    def _container_url(self, user_id: str) -> str:
        return f"{self.base_url}/{user_id}/{self.container_edge}"

    def _image_container(
        self,
        client: httpx.Client,
        user_id: str,
        images: Sequence[tuple[str, OutgoingMedia | None]],
        caption: str,
    ) -> str:
        """Make the container for one image or a carousel, wait until it is ready, return it."""
        url = self._container_url(user_id)
        if len(images) == 1:
            image_url, media = images[0]
            form = {**self.image_form, "image_url": image_url, self.caption_field: caption}
            container = self._create(client, url, _with_alt_text(form, media))
        else:
            children = []
            for image_url, media in images:
                form = {**self.image_form, "image_url": image_url, "is_carousel_item": "true"}
                children.append(self._create(client, url, _with_alt_text(form, media)))
            for child in children:
                self._wait(client, child)
            container = self._create(
                client,
                url,
                {
                    "media_type": "CAROUSEL",
                    "children": ",".join(children),
                    self.caption_field: caption,
                },
            )
        self._wait(client, container)
        return container

    def _create(self, client: httpx.Client, url: str, form: dict[str, str]) -> str:
        return str(self._json(self._request(client, "POST", url, data=form))["id"])

    def _wait(self, client: httpx.Client, container: str) -> None:
        def finished() -> bool | None:
            response = self._request(
                client,
                "GET",
                f"{self.base_url}/{container}",
                params={"fields": self.status_fields},
            )
            body = self._json(response)
            state = body.get(self.status_field)
            if state in ("FINISHED", "PUBLISHED"):
                return True
            if state == "ERROR":
                reason = body.get(self.status_reason_field) or "error"
                raise PermanentError(
                    f"{self.label} could not prepare the image ({reason}).",
                    self.image_failed_action,
                    kind=MEDIA,
                )
            if state == "EXPIRED":
                raise TransientError(
                    f"{self.label} let the prepared post expire before publishing."
                )
            return None

        self._poll(finished, "the images")

    def _publish_container(self, client: httpx.Client, user_id: str, container: str) -> Published:
        """Publish a ready container (the one request that creates the post)."""
        response = self._request(
            client,
            "POST",
            f"{self.base_url}/{user_id}/{self.publish_edge}",
            data={"creation_id": container},
            commits=True,
        )
        answer = self._json(response)
        post_id = str(answer["id"])
        return Published(post_id, self._permalink(client, post_id), answer)

    def _permalink(self, client: httpx.Client, post_id: str) -> str | None:
        try:
            response = self._request(
                client, "GET", f"{self.base_url}/{post_id}", params={"fields": "permalink"}
            )
            link = self._json(response).get("permalink")
        except PublishError:
            return None  # the post is out; a missing link must not fail it
        return link if isinstance(link, str) else None


def _with_alt_text(form: dict[str, str], media: OutgoingMedia | None) -> dict[str, str]:
    if media is not None and media.alt_text:
        form["alt_text"] = media.alt_text
    return form
