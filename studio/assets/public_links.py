"""Signed, expiring links to one rendition, for platforms that fetch a post's images.

Instagram and Threads take an image address, not the bytes: their servers download it
without signing in to Plume. A link names exactly one rendition (media id, preset id and
rendition key, plus the file extension the bytes are stored under), is signed with the
studio's secret key under a salt used for nothing else, and expires after :data:`MAX_AGE`
seconds. Nothing in it is a path: the reader checks every field's shape, and the web layer
maps the fields to the one storage key they name.

Pure: no Flask; the caller passes the secret key (and, in tests, a clock).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

__all__ = [
    "MAX_AGE",
    "SALT",
    "LinkExpired",
    "LinkInvalid",
    "OpenedLink",
    "RenditionLink",
    "make_token",
    "read_token",
]

# A salt of its own: a share-link, invitation or session token can never pass for one.
SALT = "plume.public-rendition.v1"
# Long enough for a publish that retries for hours; platforms fetch within minutes.
MAX_AGE = 24 * 3600

_KEY = re.compile(r"^[0-9a-f]{16}-(?P<preset>[a-z0-9_]{1,64})-[0-9a-f]{24}$")
_PRESET = re.compile(r"^[a-z0-9_]{1,64}$")
_EXTENSIONS = frozenset({"jpg", "png", "webp", "gif"})

Clock = Callable[[], float]


class LinkInvalid(ValueError):
    """The token was not made by this studio for this purpose (tampered, other salt, junk)."""


class LinkExpired(ValueError):
    """The token is genuine but older than its maximum age."""


@dataclass(frozen=True, slots=True)
class RenditionLink:
    """The one rendition a public link serves."""

    media_id: int
    preset_id: str
    key: str
    ext: str

    def __post_init__(self) -> None:
        match = _KEY.match(self.key) if isinstance(self.key, str) else None
        if (
            type(self.media_id) is not int
            or self.media_id <= 0
            or not isinstance(self.preset_id, str)
            or not _PRESET.match(self.preset_id)
            or match is None
            or match["preset"] != self.preset_id
            or self.ext not in _EXTENSIONS
        ):
            raise LinkInvalid("not a rendition link")

    @property
    def filename(self) -> str:
        return f"{self.key}.{self.ext}"


@dataclass(frozen=True, slots=True)
class OpenedLink:
    """A verified link, when it was signed, and how many seconds it has left."""

    link: RenditionLink
    issued_at: int
    expires_in: int


class _ClockSigner(TimestampSigner):
    """A timestamp signer that reads an injectable clock (tests freeze it)."""

    def __init__(self, *args: Any, clock: Clock = time.time, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


def _serializer(secret_key: str | bytes, clock: Clock | None) -> URLSafeTimedSerializer:
    if not secret_key:
        raise ValueError("a secret key is required to sign public links")
    return URLSafeTimedSerializer(
        secret_key,
        salt=SALT,
        signer=_ClockSigner,
        signer_kwargs={"clock": clock or time.time},
    )


def make_token(secret_key: str | bytes, link: RenditionLink, *, clock: Clock | None = None) -> str:
    """Return a URL-safe token that names ``link`` and expires :data:`MAX_AGE` s from now."""
    payload = [link.media_id, link.preset_id, link.key, link.ext]
    return str(_serializer(secret_key, clock).dumps(payload))


def read_token(
    secret_key: str | bytes,
    token: str,
    *,
    max_age: int = MAX_AGE,
    clock: Clock | None = None,
) -> OpenedLink:
    """Verify ``token`` and return the rendition it names.

    Raises :class:`LinkExpired` for a genuine token older than ``max_age`` seconds (with
    ``max_age=0`` a token lives until the end of the second it was signed in), and
    :class:`LinkInvalid` for anything else that is not a token this studio made.
    """
    serializer = _serializer(secret_key, clock)
    try:
        payload, signed_at = serializer.loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired as exc:
        raise LinkExpired("the link has expired") from exc
    except BadData as exc:
        raise LinkInvalid("not a rendition link") from exc
    if not isinstance(payload, list) or len(payload) != 4:
        raise LinkInvalid("not a rendition link")
    media_id, preset_id, key, ext = payload
    link = RenditionLink(media_id, preset_id, key, ext)
    issued_at = int(signed_at.timestamp())
    now = int((clock or time.time)())
    return OpenedLink(link, issued_at, max(0, issued_at + max_age - now))
