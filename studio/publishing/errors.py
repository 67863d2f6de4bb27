"""What can go wrong when publishing, sorted by what the scheduler should do next.

- :class:`TransientError`: nothing was published (or the platform said "try later"); retry
  with backoff, waiting at least ``retry_after`` seconds when the platform named a time.
- :class:`PermanentError`: the platform refused the post or the credentials; retrying the
  same request will fail the same way. ``action`` tells a person what to do.
- :class:`UnknownOutcome`: the request may have reached the platform but no answer came
  back. Retry only through the platform's own idempotency (``Adapter.supports_idempotency``)
  or after ``Adapter.find_existing`` found nothing; otherwise ask a person to confirm.

Messages are written for the person reading the failure notice: they name the platform and
carry the platform's own reason when it gave one, and they never contain credentials.
"""

from __future__ import annotations

__all__ = [
    "AUTH",
    "CONFIG",
    "DUPLICATE",
    "MEDIA",
    "NOT_FOUND",
    "RECONNECT",
    "REJECTED",
    "VERSION",
    "PermanentError",
    "PublishError",
    "TransientError",
    "UnknownOutcome",
]

# PermanentError.kind values: the scheduler may act on some (refresh an OAuth token on AUTH).
AUTH = "auth"  # credentials missing, expired or revoked
REJECTED = "rejected"  # the platform refused this post's content
MEDIA = "media"  # an image the platform refused (type, size, dimensions)
NOT_FOUND = "not_found"  # the account, page or board the channel points at is gone
CONFIG = "config"  # the channel's settings are wrong (server address, ids)
VERSION = "version"  # Plume speaks an API version the platform no longer serves
DUPLICATE = "duplicate"  # the platform refuses a repeat of a recent post

RECONNECT = "Reconnect the channel"


class PublishError(Exception):
    """Base class: a publish, verify or lookup that did not succeed."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status  # the platform's HTTP status, when it answered

    def __str__(self) -> str:
        return self.message


class TransientError(PublishError):
    """Nothing was published and a later retry may succeed."""

    def __init__(
        self, message: str, retry_after: float | None = None, *, status: int | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"TransientError({self.message!r}, retry_after={self.retry_after!r})"


class PermanentError(PublishError):
    """The platform refused; ``action`` says what a person should do before retrying."""

    def __init__(
        self,
        message: str,
        action: str,
        *,
        kind: str = REJECTED,
        status: int | None = None,
    ) -> None:
        super().__init__(message, status=status)
        self.action = action
        self.kind = kind

    def __repr__(self) -> str:
        return f"PermanentError({self.message!r}, action={self.action!r}, kind={self.kind!r})"


class UnknownOutcome(PublishError):
    """The request may have reached the platform, but no answer came back."""

    def __repr__(self) -> str:
        return f"UnknownOutcome({self.message!r})"
