"""Pinterest: API v5 ``POST /v5/pins`` with the image inline (base64).

Docs: https://developers.pinterest.com/docs/api/v5/pins-create. One image is an
``image_base64`` media source, two to five a ``multiple_image_base64`` one; a pin needs a
board (``board_id``) and at least one image. ``options["title"]`` is the pin title (100
characters), the text its description (500), ``post.link`` its destination. No idempotency
key: :meth:`find_existing` looks through the board's recent pins for the same description.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from studio.publishing.adapters.base import (
    AccountInfo,
    CredentialField,
    HttpAdapter,
    OutgoingMedia,
    OutgoingPost,
    Published,
    same_text,
)
from studio.publishing.adapters.oauth import PINTEREST, OAuthSpec
from studio.publishing.errors import MEDIA, PermanentError

__all__ = ["PinterestAdapter"]

MAX_IMAGES = 5
IMAGE_TYPES = ("image/jpeg", "image/png")


class PinterestAdapter(HttpAdapter):
    """Create pins on one board."""

    platform: ClassVar[str] = "pinterest"
    label: ClassVar[str] = "Pinterest"
    default_base_url: ClassVar[str] = "https://api.pinterest.com"
    oauth: ClassVar[OAuthSpec | None] = PINTEREST
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("access_token", "Access token", secret=True, oauth=True),
        CredentialField("refresh_token", "Refresh token", secret=True, required=False, oauth=True),
        CredentialField("board_id", "Board ID", secret=False, help="The board pins go to."),
    )

    def verify(self, credentials: Mapping[str, Any]) -> AccountInfo:
        """Read the account with ``GET /v5/user_account``."""
        values = self._credentials(credentials)
        with self._client(_auth(values)) as client:
            account = self._json(self._request(client, "GET", f"{self.base_url}/v5/user_account"))
        username = account.get("username") or ""
        return AccountInfo(
            display_name=account.get("business_name") or username,
            handle=f"@{username}",
            avatar_url=account.get("profile_image"),
            profile_url=f"https://www.pinterest.com/{username}/" if username else None,
            account_id=username or None,
        )

    def publish(
        self, post: OutgoingPost, credentials: Mapping[str, Any], idempotency_key: str
    ) -> Published:
        """Create the pin with its image(s) inline."""
        values = self._credentials(credentials)
        if not post.media:
            raise PermanentError(
                "A Pinterest pin needs an image.",
                "Add an image to this post, then retry.",
                kind=MEDIA,
            )
        if len(post.media) > MAX_IMAGES:
            raise PermanentError(
                f"A Pinterest pin takes at most {MAX_IMAGES} images; this post has "
                f"{len(post.media)}.",
                "Remove some images, then retry.",
                kind=MEDIA,
            )
        for media in post.media:
            if media.mime not in IMAGE_TYPES:
                raise PermanentError(
                    f"Pinterest takes JPEG or PNG images, not {media.mime}.",
                    "Use a JPEG or PNG rendition, then retry.",
                    kind=MEDIA,
                )
        body: dict[str, Any] = {
            "board_id": str(values["board_id"]).strip(),
            "description": post.text,
            "media_source": _media_source(post.media),
        }
        if post.options.get("title"):
            body["title"] = str(post.options["title"])
        if post.link:
            body["link"] = post.link
        if post.media[0].alt_text:
            body["alt_text"] = post.media[0].alt_text
        with self._client(_auth(values)) as client:
            response = self._request(
                client, "POST", f"{self.base_url}/v5/pins", json=body, commits=True
            )
        pin = self._json(response)
        return Published(str(pin["id"]), f"https://www.pinterest.com/pin/{pin['id']}/", pin)

    def find_existing(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, Any],
        idempotency_key: str,
        since: datetime,
    ) -> Published | None:
        """Look through the board's recent pins for this description, created since ``since``."""
        values = self._credentials(credentials)
        board = str(values["board_id"]).strip()
        with self._client(_auth(values)) as client:
            response = self._request(
                client,
                "GET",
                f"{self.base_url}/v5/boards/{board}/pins",
                params={"page_size": 25},
            )
        for pin in self._json(response).get("items") or []:
            created = _time(pin.get("created_at"))
            if created is not None and created < since:
                continue
            if same_text(pin.get("description") or "", post.text):
                return Published(
                    str(pin["id"]),
                    f"https://www.pinterest.com/pin/{pin['id']}/",
                    pin,
                    found_existing=True,
                )
        return None


def _auth(values: Mapping[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {str(values['access_token']).strip()}"}


def _media_source(media: Sequence[OutgoingMedia]) -> dict[str, Any]:
    items = [
        {"content_type": m.mime, "data": base64.b64encode(m.data).decode("ascii")} for m in media
    ]
    if len(items) == 1:
        return {"source_type": "image_base64", **items[0]}
    return {"source_type": "multiple_image_base64", "items": items, "index": 0}


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # Pinterest writes UTC without an offset.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
