"""Cached image files nobody will ask for again: superseded renditions and profile sets.

Renditions are named by a key of everything that makes them, so moving a focal point,
changing a crop or a brand frame leaves the old file behind under its old name; profile
sets and their ZIPs are cached per design digest in the same way. Both are caches that
are made again on demand, so pruning only costs time. Files younger than a grace period
stay: a page opened before the change may still show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from studio.assets import operations as ops
from studio.blobs import blob_storage
from studio.extensions import db
from studio.models import MediaItem
from studio.models.base import utcnow
from studio.storage import Storage

RENDITION_GRACE = timedelta(days=7)
PROFILE_SET_GRACE = timedelta(days=30)
PROFILE_PREFIXES = ("profile-assets", "profile-zips")


@dataclass
class Pruned:
    renditions: int = 0
    profile_files: int = 0
    bytes_freed: int = 0

    def __str__(self) -> str:
        return (
            f"{self.renditions} superseded rendition files and {self.profile_files} old "
            f"profile-asset files removed ({self.bytes_freed / 1_048_576:.1f} MB)"
        )


def current_rendition_keys() -> set[str]:
    """Return the rendition key of every preset of every media item, as they are now."""
    keys: set[str] = set()
    items = db.session.scalars(select(MediaItem).order_by(MediaItem.id)).yield_per(200)
    for item in items:
        for preset_id in ops.all_preset_ids():
            plan = ops.plan_rendition(item, preset_id)
            if plan is not None:
                keys.add(plan.key)
    return keys


def prune_media_caches(
    now: datetime | None = None,
    rendition_grace: timedelta = RENDITION_GRACE,
    profile_grace: timedelta = PROFILE_SET_GRACE,
) -> Pruned:
    """Delete renditions no item makes any more, and profile files nobody wrote lately."""
    now = now or utcnow()
    storage = blob_storage()
    pruned = Pruned()
    keep = current_rendition_keys()
    for key in list(storage.keys("renditions")):
        if key.rsplit("/", 1)[-1].split(".", 1)[0] in keep:
            continue
        freed = _delete_if_older(storage, key, now - rendition_grace)
        if freed is not None:
            pruned.renditions += 1
            pruned.bytes_freed += freed
    for prefix in PROFILE_PREFIXES:
        for key in list(storage.keys(prefix)):
            freed = _delete_if_older(storage, key, now - profile_grace)
            if freed is not None:
                pruned.profile_files += 1
                pruned.bytes_freed += freed
    return pruned


def _delete_if_older(storage: Storage, key: str, cutoff: datetime) -> int | None:
    """Delete ``key`` if it was written before ``cutoff``; return the bytes freed, or None."""
    try:
        if storage.modified_at(key) >= cutoff:
            return None
        size = storage.size(key)
    except FileNotFoundError:
        return None  # removed meanwhile: a concurrent run, or the item was deleted
    return size if storage.delete(key) else None
