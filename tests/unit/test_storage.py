"""studio.storage: keys, atomic writes and content-addressed originals."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from studio.storage import LocalStorage, Storage, StorageError, original_key, validate_key


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media")


def test_local_storage_satisfies_the_protocol(store: LocalStorage) -> None:
    assert isinstance(store, Storage)


def test_put_get_exists_delete(store: LocalStorage) -> None:
    assert not store.exists("renditions/a.jpg")
    store.put("renditions/a.jpg", b"one")
    assert store.exists("renditions/a.jpg")
    assert store.get("renditions/a.jpg") == b"one"
    store.put("renditions/a.jpg", b"two")
    assert store.get("renditions/a.jpg") == b"two"
    assert store.size("renditions/a.jpg") == 3
    with store.open("renditions/a.jpg") as stream:
        assert stream.read() == b"two"
    assert store.delete("renditions/a.jpg") is True
    assert store.delete("renditions/a.jpg") is False
    with pytest.raises(FileNotFoundError):
        store.get("renditions/a.jpg")


def test_writes_leave_no_temporary_files(store: LocalStorage) -> None:
    for i in range(3):
        store.put("x/y.bin", bytes([i]) * 100)
    assert [p.name for p in (store.root / "x").iterdir()] == ["y.bin"]
    assert list(store.keys()) == ["x/y.bin"]


def test_failed_write_keeps_the_old_file_and_cleans_up(
    store: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put("k/file", b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put("k/file", b"new")
    monkeypatch.undo()
    assert store.get("k/file") == b"old"
    assert [p.name for p in (store.root / "k").iterdir()] == ["file"]


@pytest.mark.parametrize(
    "key",
    [
        "",
        "../escape",
        "a/../../b",
        "/etc/passwd",
        "a//b",
        ".hidden",
        "a/.tmp-x",
        "C:\\x",
        "a\\b",
        "x" * 513,
    ],
)
def test_unsafe_keys_are_refused(store: LocalStorage, key: str) -> None:
    with pytest.raises(StorageError):
        store.put(key, b"x")


def test_symlink_out_of_the_root_is_refused(store: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    store.root.mkdir(parents=True)
    (store.root / "link").symlink_to(outside)
    with pytest.raises(StorageError):
        store.put("link/file", b"x")
    assert not (outside / "file").exists()


def test_put_original_is_content_addressed_and_stored_once(store: LocalStorage) -> None:
    data = b"\xff\xd8\xff pretend jpeg"
    sha = store.put_original(data)
    assert sha == hashlib.sha256(data).hexdigest()
    path = store.path_for(original_key(sha))
    first_inode = path.stat().st_ino
    assert store.put_original(data) == sha
    assert path.stat().st_ino == first_inode  # not rewritten
    assert store.get_original(sha) == data
    assert list(store.keys("originals")) == [original_key(sha)]
    other = store.put_original(b"different")
    assert other != sha and len(list(store.keys("originals"))) == 2


def test_original_key_needs_a_sha256() -> None:
    assert original_key("ab" * 32) == f"originals/ab/ab/{'ab' * 32}"
    with pytest.raises(StorageError):
        original_key("../" + "a" * 61)
    with pytest.raises(StorageError):
        original_key("A" * 64)


def test_validate_key_accepts_ordinary_keys() -> None:
    assert validate_key("renditions/ab12-x_single-0f.jpg") == "renditions/ab12-x_single-0f.jpg"
