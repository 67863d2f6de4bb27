"""Encrypt channel credentials at rest with a key from configuration (Fernet).

Fernet is AES-128-CBC with an HMAC-SHA256 over the whole token, so a wrong key or a
tampered value is detected rather than decrypted into garbage. The key setting may list
several keys separated by commas: the first seals, all of them open, which lets an operator
rotate keys (add the new key first, :meth:`SecretBox.rotate` stored values, drop the old).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["SecretBox", "SecretBoxError", "generate_key"]


class SecretBoxError(ValueError):
    """The key is unusable, or a sealed value cannot be opened with it."""


def generate_key() -> str:
    """Return a new random key for :class:`SecretBox` (url-safe base64, 32 bytes)."""
    return Fernet.generate_key().decode("ascii")


class SecretBox:
    """Seal and open credential dictionaries."""

    def __init__(self, key: str) -> None:
        keys = [k.strip() for k in (key or "").split(",") if k.strip()]
        if not keys:
            raise SecretBoxError(
                "No encryption key is configured for channel credentials; "
                "set one made by studio.publishing.secretbox.generate_key()."
            )
        try:
            self._fernet = MultiFernet([Fernet(k.encode("ascii")) for k in keys])
        except (ValueError, UnicodeEncodeError) as exc:
            raise SecretBoxError(
                "The credentials encryption key is not valid: it must be 32 bytes in "
                "url-safe base64, as made by studio.publishing.secretbox.generate_key()."
            ) from exc

    def seal(self, data: Mapping[str, Any]) -> str:
        """Return ``data`` encrypted as a printable token."""
        raw = json.dumps(dict(data), separators=(",", ":"), sort_keys=True).encode("utf-8")
        return self._fernet.encrypt(raw).decode("ascii")

    def open(self, token: str) -> dict[str, Any]:
        """Return the dictionary sealed in ``token``."""
        try:
            raw = self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError, AttributeError) as exc:
            raise SecretBoxError(
                "These credentials cannot be decrypted: they were sealed with a different "
                "key or were altered. Restore the previous key, or reconnect the channel."
            ) from exc
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise SecretBoxError("The sealed credentials are not a dictionary.")
        return data

    def rotate(self, token: str) -> str:
        """Return ``token`` re-sealed with the first (newest) key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise SecretBoxError("These credentials cannot be decrypted with any key.") from exc

    def __repr__(self) -> str:
        return "<SecretBox>"
