"""The app's file storage (originals, renditions, kit assets)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from studio.storage import LocalStorage, Storage


def blob_storage() -> Storage:
    """Return the storage configured for this app (the filesystem under instance/ by default)."""
    storage = current_app.extensions.get("plume_storage")
    if storage is None:
        root = current_app.config.get("MEDIA_ROOT") or Path(current_app.instance_path) / "media"
        storage = LocalStorage(Path(root))
        current_app.extensions["plume_storage"] = storage
    return storage
