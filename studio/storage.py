"""Where media bytes live: a small storage interface and the local-filesystem default.

Keys are relative, slash-separated names (``originals/ab/cd/<sha256>``). Originals are
content-addressed by SHA-256, so the same file uploaded twice is stored once. Writes are
atomic (temporary file, fsync, rename): a reader never sees half a file, and a crash leaves
at most a stray temporary file, never a truncated image under a real key.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

_SHA256 = re.compile(r"[0-9a-f]{64}")
_KEY_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class StorageError(ValueError):
    """A key that is malformed or would escape the storage root."""


def validate_key(key: str) -> str:
    """Return ``key`` if it is a safe relative key, else raise :class:`StorageError`."""
    if not isinstance(key, str) or not key or len(key) > 512:
        raise StorageError("a storage key must be a non-empty string of at most 512 characters")
    parts = key.split("/")
    for part in parts:
        # Each segment starts with a letter or digit, which rules out "..", ".hidden",
        # absolute paths (empty first segment) and Windows drive or UNC tricks.
        if not _KEY_PART.fullmatch(part):
            raise StorageError(f"invalid storage key {key!r}")
    return key


def original_key(sha256: str) -> str:
    """Return the key under which the original with this SHA-256 is stored."""
    if not _SHA256.fullmatch(sha256):
        raise StorageError(f"not a lower-case hex SHA-256: {sha256!r}")
    # Two levels of fan-out keep directories small on filesystems that dislike huge ones.
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}"


@runtime_checkable
class Storage(Protocol):
    """Byte storage addressed by relative keys."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing what was there, atomically."""
        ...

    def get(self, key: str) -> bytes:
        """Return the bytes under ``key``; raise ``FileNotFoundError`` if there are none."""
        ...

    def exists(self, key: str) -> bool:
        """Return whether ``key`` holds data."""
        ...

    def delete(self, key: str) -> bool:
        """Remove ``key``; return whether it existed."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Return a readable binary stream of ``key`` (for ``send_file``); caller closes it."""
        ...

    def put_original(self, data: bytes) -> str:
        """Store ``data`` content-addressed (once per distinct content); return its SHA-256."""
        ...

    def size(self, key: str) -> int:
        """Return the stored size of ``key`` in bytes."""
        ...

    def modified_at(self, key: str) -> datetime:
        """Return when ``key`` was last written (UTC)."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Yield stored keys under ``prefix``, sorted."""
        ...


class LocalStorage:
    """Storage in a directory on the local filesystem (default: the app's ``instance/``)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def path_for(self, key: str) -> Path:
        """Return the filesystem path for ``key`` (inside the root; not necessarily existing)."""
        path = (self.root / validate_key(key)).resolve()
        # validate_key already forbids "..", but a symlink planted inside the root could
        # still point out of it.
        if not path.is_relative_to(self.root):
            raise StorageError(f"storage key {key!r} resolves outside the storage root")
        return path

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``, replacing what was there, atomically."""
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.chmod(tmp_name, 0o644)
            os.replace(tmp_name, path)
        except BaseException:
            # Never leave a partial temporary file behind on failure (disk full, interrupt).
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise

    def get(self, key: str) -> bytes:
        """Return the bytes under ``key``; raise ``FileNotFoundError`` if there are none."""
        return self.path_for(key).read_bytes()

    def exists(self, key: str) -> bool:
        """Return whether ``key`` holds data."""
        return self.path_for(key).is_file()

    def delete(self, key: str) -> bool:
        """Remove ``key``; return whether it existed."""
        try:
            self.path_for(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def open(self, key: str) -> BinaryIO:
        """Return a readable binary stream of ``key``; the caller closes it."""
        return self.path_for(key).open("rb")

    def size(self, key: str) -> int:
        """Return the stored size of ``key`` in bytes."""
        return self.path_for(key).stat().st_size

    def modified_at(self, key: str) -> datetime:
        """Return when ``key`` was last written (UTC)."""
        return datetime.fromtimestamp(self.path_for(key).stat().st_mtime, UTC)

    def put_original(self, data: bytes) -> str:
        """Store ``data`` content-addressed (once per distinct content); return its SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        key = original_key(sha256)
        # Same name means same content, so an existing file is already right; two racing
        # uploads of one file both write identical bytes and os.replace keeps one.
        if not self.exists(key):
            self.put(key, data)
        return sha256

    def get_original(self, sha256: str) -> bytes:
        """Return the original stored under ``sha256``."""
        return self.get(original_key(sha256))

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Yield stored keys under ``prefix`` (skipping temporary files), sorted."""
        base = self.path_for(prefix) if prefix else self.root
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                yield path.relative_to(self.root).as_posix()
