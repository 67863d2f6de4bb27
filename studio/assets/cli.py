"""`flask assets`: bulk-import images into a brand's library and make their renditions."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from studio.assets import operations as ops
from studio.extensions import db
from studio.imaging import ImageRejected
from studio.models import Brand, Workspace


def _brand(slug: str, workspace_slug: str | None) -> Brand:
    query = select(Brand).where(Brand.slug == slug)
    if workspace_slug:
        query = query.join(Workspace).where(Workspace.slug == workspace_slug)
    brands = db.session.scalars(query).all()
    if not brands:
        raise click.ClickException(f"no brand with the slug {slug!r}")
    if len(brands) > 1:
        raise click.ClickException(
            f"several workspaces have a brand {slug!r}; name one with --workspace"
        )
    return brands[0]


@click.command("import")
@click.option("--brand", "brand_slug", required=True, help="The brand's slug.")
@click.option("--workspace", "workspace_slug", default=None, help="The workspace's slug.")
@click.option("--render/--no-render", default=False, help="Make every preset now.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def import_command(
    brand_slug: str, workspace_slug: str | None, render: bool, files: tuple[Path, ...]
) -> None:
    """Add image files to a brand's media library; one line per file says what happened."""
    brand = _brand(brand_slug, workspace_slug)
    refused = 0
    for path in files:
        try:
            data = path.read_bytes()
            result = ops.add_media(brand, data, path.name, None)
            if render:
                ops.ensure_renditions(result.item, ops.all_preset_ids())
            db.session.commit()
        except (ImageRejected, OSError) as exc:
            db.session.rollback()
            refused += 1
            click.echo(f"{path}: refused: {getattr(exc, 'message', None) or exc}", err=True)
            continue
        state = "added" if result.created else "already in the library"
        click.echo(f"{path}: {state} as #{result.item.id} ({result.item.filename})")
    if refused:
        raise SystemExit(1)
