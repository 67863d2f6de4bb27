"""`flask check`: lint copy against a brand's voice rules from a file or standard input."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from studio.extensions import db
from studio.kits.operations import check_copy, get_kit
from studio.models import Brand, Workspace
from studio.voice import has_blocking


@dataclass
class Item:
    text: str
    platform: str | None
    tags: list[str] = field(default_factory=list)
    where: str = ""


class InputProblem(click.ClickException):
    exit_code = 2


def _items(path: str | None, platform: str | None, tags: list[str]) -> Iterator[Item]:
    if path in (None, "-"):
        yield Item(sys.stdin.read(), platform, tags, "stdin")
        return
    file = Path(path)
    if not file.is_file():
        raise InputProblem(f"{path}: no such file")
    if file.suffix.lower() == ".jsonl":
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputProblem(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise InputProblem(f'{path}:{number}: each line needs a "text" string')
            row_tags = row.get("tags") or tags
            if not isinstance(row_tags, list) or not all(isinstance(t, str) for t in row_tags):
                raise InputProblem(f'{path}:{number}: "tags" must be a list of strings')
            yield Item(row["text"], row.get("platform") or platform, row_tags, f"line {number}")
    elif file.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(file.read_text(encoding="utf-8-sig")))
        if "text" not in (reader.fieldnames or []):
            raise InputProblem(
                f"{path}: the CSV needs a 'text' column (found: {reader.fieldnames})"
            )
        for number, row in enumerate(reader, start=2):
            row_tags = [t for t in (row.get("tags") or "").replace(",", " ").split() if t] or tags
            yield Item(
                row["text"] or "", row.get("platform") or platform, row_tags, f"row {number}"
            )
    else:
        yield Item(file.read_text(encoding="utf-8"), platform, tags, path)


def _find_brand(slug: str, workspace_slug: str | None) -> Brand:
    query = select(Brand).where(Brand.slug == slug)
    if workspace_slug:
        query = query.join(Workspace).where(Workspace.slug == workspace_slug)
    brands = db.session.scalars(query).all()
    if not brands:
        raise InputProblem(f"no brand with the slug {slug!r}")
    if len(brands) > 1:
        raise InputProblem(f"several workspaces have a brand {slug!r}; name one with --workspace")
    return brands[0]


def result_for(item: Item, findings: list[Any]) -> dict[str, Any]:
    """Return one checked item as JSON-ready data."""
    return {
        "where": item.where,
        "platform": item.platform,
        "findings": [
            {
                k: f.to_dict()[k]
                for k in ("rule", "severity", "start", "end", "message", "suggestion")
            }
            for f in findings
        ],
    }


@click.command("check")
@click.option("--brand", "brand_slug", required=True, help="The brand's slug, e.g. ember-roasters.")
@click.option("--workspace", "workspace_slug", default=None, help="Workspace slug, if ambiguous.")
@click.option("--platform", default=None, help="Platform the copy is for (x, instagram, …).")
@click.option("--tag", "tags", multiple=True, help="A post tag such as 'sponsored'; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON results (one per line).")
@click.argument("file", required=False)
@with_appcontext
def check_command(
    brand_slug: str,
    workspace_slug: str | None,
    platform: str | None,
    tags: tuple[str, ...],
    as_json: bool,
    file: str | None,
) -> None:
    """Check copy (a file, .jsonl, .csv or standard input) against a brand's voice rules."""
    kit = get_kit(_find_brand(brand_slug, workspace_slug))
    blocked = False
    for item in _items(file, platform, list(tags)):
        findings = check_copy(kit, item.text, item.platform, item.tags)
        blocked = blocked or has_blocking(findings)
        if as_json:
            click.echo(json.dumps(result_for(item, findings), ensure_ascii=False))
            continue
        click.echo(f"{item.where}: {len(findings) or 'no'} finding(s)")
        for f in findings:
            fix = f" -> {f.suggestion!r}" if f.suggestion is not None else ""
            click.echo(f"  [{f.severity}] {f.start}-{f.end} {f.rule}: {f.message}{fix}")
    db.session.rollback()
    if blocked:
        sys.exit(1)
