"""What a workspace export contains: one JSON file per section, plus a manifest.

The workspace's own sections (members, brands, invitations) live here; its content
(posts, comments, approvals, kits, media, publishing, analytics, reports) lives in
studio.workspaces.export_content and is registered below, after them.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import select

from studio.extensions import db
from studio.models import Brand, Invitation, Membership, User, Workspace
from studio.workspaces.export_content import CONTENT_SECTIONS, NOTES, Rows, Section, Tables

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


SECTIONS.update(CONTENT_SECTIONS)


def _write_rows(out: IO[str], rows: Rows, indent: str = "") -> None:
    """Write rows as a JSON array one at a time, so a large section never sits in memory."""
    out.write("[")
    count = 0
    for count, row in enumerate(rows, start=1):
        # json.dumps escapes newlines inside strings, so each one left is layout to indent.
        text = json.dumps(row, indent=2, ensure_ascii=False).replace("\n", f"\n{indent}  ")
        out.write(f"{',' if count > 1 else ''}\n{indent}  {text}")
    out.write(f"\n{indent}]" if count else "]")


def _write_section(out: IO[str], data: Rows | Tables) -> None:
    """Write a section: a list of rows, or an object holding several named lists."""
    if not isinstance(data, Mapping):
        _write_rows(out, data)
        return
    out.write("{")
    for index, (table, rows) in enumerate(data.items()):
        out.write(f"{',' if index else ''}\n  {json.dumps(table)}: ")
        _write_rows(out, rows, indent="  ")
    out.write("\n}")


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
            "notes": NOTES,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        for index, name in enumerate(names, start=1):
            # Each section's share of the bar is reported as it starts; 100 only when all are in.
            progress(int(100 * (index - 1) / len(names)), f"Exporting {name.replace('_', ' ')}…")
            data = SECTIONS[name](workspace_id)
            # force_zip64: the entry's size isn't known up front and may pass 2 GiB.
            with (
                archive.open(f"{name}.json", "w", force_zip64=True) as raw,
                io.TextIOWrapper(raw, encoding="utf-8", newline="\n") as out,
            ):
                _write_section(out, data)
    progress(100, "Export ready.")
    return buffer.getvalue()
