"""Housekeeping jobs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from jobs.exports import export_path
from studio.extensions import db
from studio.models import WorkspaceExport
from studio.models.base import utcnow

EXPORT_RETENTION = timedelta(days=7)


def prune_exports() -> int:
    """Delete export files older than the retention period; returns how many went."""
    cutoff = utcnow() - EXPORT_RETENTION
    old = db.session.scalars(
        select(WorkspaceExport).where(
            WorkspaceExport.status == "finished", WorkspaceExport.finished_at < cutoff
        )
    ).all()
    for export in old:
        export_path(export).unlink(missing_ok=True)
        export.status = "expired"
    db.session.commit()
    return len(old)


def prune_media_caches() -> str:
    """Delete superseded renditions and stale profile-asset files (nightly; safe to repeat)."""
    from studio.assets.housekeeping import prune_media_caches as prune

    return str(prune())
