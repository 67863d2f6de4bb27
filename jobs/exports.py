"""Workspace export job."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app

from jobs.progress import report
from studio.extensions import db
from studio.models import WorkspaceExport
from studio.models.base import utcnow
from studio.workspaces.export import build_export_zip


def export_path(export: WorkspaceExport) -> Path:
    """Return where an export's ZIP file lives."""
    return (
        Path(current_app.config["EXPORT_DIR"])
        / str(export.workspace_id)
        / f"export-{export.id}.zip"
    )


def export_workspace(export_id: int) -> str:
    """Build the ZIP for a requested export; running it again after success changes nothing."""
    export = db.session.get(WorkspaceExport, export_id)
    if export is None:
        return "gone"
    path = export_path(export)
    if export.status == "finished" and path.exists():
        report(100, "Export ready.")
        return "already finished"
    export.status = "running"
    db.session.commit()
    try:
        data = build_export_zip(export.workspace_id, report)
    except Exception as exc:
        db.session.rollback()
        export = db.session.get(WorkspaceExport, export_id)
        if export is not None:
            export.status = "failed"
            export.error = str(exc)[:500]
            db.session.commit()
        raise
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)
    export.status = "finished"
    export.file_name = path.name
    export.size_bytes = len(data)
    export.finished_at = utcnow()
    db.session.commit()
    return "finished"
