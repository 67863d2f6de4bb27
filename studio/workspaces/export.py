"""What a workspace export contains; later areas add their own sections here."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from studio.extensions import db
from studio.models import Brand, Invitation, Membership, User, Workspace

Section = Callable[[int], list[dict[str, Any]]]
SECTIONS: dict[str, Section] = {}


def export_section(name: str) -> Callable[[Section], Section]:
    """Register a function that returns one file's rows for a workspace id."""

    def register(func: Section) -> Section:
        SECTIONS[name] = func
        return func

    return register


@export_section("members")
def _members(workspace_id: int) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(User.name, User.email, Membership.role, Membership.created_at)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id)
        .order_by(User.name)
    )
    return [
        {"name": n, "email": e, "role": str(r), "joined_at": c.isoformat()} for n, e, r, c in rows
    ]


@export_section("brands")
def _brands(workspace_id: int) -> list[dict[str, Any]]:
    brands = db.session.scalars(
        select(Brand).where(Brand.workspace_id == workspace_id).order_by(Brand.name)
    )
    return [
        {
            "id": b.id,
            "name": b.name,
            "slug": b.slug,
            "timezone": b.timezone,
            "website": b.website,
            "created_at": b.created_at.isoformat(),
        }
        for b in brands
    ]


@export_section("invitations")
def _invitations(workspace_id: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(Invitation).where(Invitation.workspace_id == workspace_id))
    return [
        {
            "email": i.email,
            "role": str(i.role),
            "created_at": i.created_at.isoformat(),
            "accepted_at": i.accepted_at.isoformat() if i.accepted_at else None,
            "revoked_at": i.revoked_at.isoformat() if i.revoked_at else None,
        }
        for i in rows
    ]


def build_export_zip(workspace_id: int, progress: Callable[[int, str], None]) -> bytes:
    """Write every section of the workspace to a ZIP of JSON files."""
    workspace = db.session.get(Workspace, workspace_id)
    if workspace is None:
        raise LookupError(f"workspace {workspace_id} no longer exists")
    buffer = io.BytesIO()
    names = list(SECTIONS)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        manifest = {
            "workspace": {"id": workspace.id, "name": workspace.name, "slug": workspace.slug},
            "exported_at": datetime.now(UTC).isoformat(),
            "sections": names,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        for index, name in enumerate(names, start=1):
            progress(int(100 * (index - 1) / len(names)), f"Exporting {name}…")
            rows = SECTIONS[name](workspace_id)
            archive.writestr(f"{name}.json", json.dumps(rows, indent=2, ensure_ascii=False))
    progress(100, "Export ready.")
    return buffer.getvalue()
