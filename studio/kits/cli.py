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


def platform_result(brand: Brand | None, item: Item) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Count and validate the copy as its platform would; return JSON fields and findings."""
    from studio.composer.operations import brand_rules
    from studio.platforms.counting import count
    from studio.platforms.limits import PLATFORMS
    from studio.platforms.validation import validate_variant

    if item.platform not in PLATFORMS:
        known = ", ".join(PLATFORMS)
        raise InputProblem(f"{item.where}: unknown platform {item.platform!r} (one of: {known})")
    rules = brand_rules(brand, item.platform) if brand else PLATFORMS[item.platform]
    counted = count(item.platform, item.text, rules=rules)
    options = {"brand_platforms": brand.platforms} if brand else {}
    problems = validate_variant(item.platform, item.text, [], options, rules)
    findings = [
        {
            "rule": f"platform.{p.code}",
            "severity": "block" if p.severity == "error" else "warn",
            "start": 0,
            "end": 0,
            "message": f"{p.message} {p.hint}".strip(),
            "suggestion": None,
        }
        for p in problems
    ]
    fields = {
        "length": counted.length,
        "limit": counted.limit,
        "remaining": counted.remaining,
        "valid": not counted.over and not any(p.severity == "error" for p in problems),
    }
    return fields, findings


@click.command("check")
@click.option("--brand", "brand_slug", default=None, help="The brand's slug, e.g. ember-roasters.")
@click.option("--workspace", "workspace_slug", default=None, help="Workspace slug, if ambiguous.")
@click.option("--platform", default=None, help="Platform the copy is for (x, instagram, …).")
@click.option("--tag", "tags", multiple=True, help="A post tag such as 'sponsored'; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON results (one per line).")
@click.argument("file", required=False)
@with_appcontext
def check_command(
    brand_slug: str | None,
    workspace_slug: str | None,
    platform: str | None,
    tags: tuple[str, ...],
    as_json: bool,
    file: str | None,
) -> None:
    """Check copy (a file, .jsonl, .csv or stdin) against a brand's voice and platform rules."""
    if not brand_slug and not platform:
        raise InputProblem("name a --brand (voice rules), a --platform (platform rules), or both")
    brand = _find_brand(brand_slug, workspace_slug) if brand_slug else None
    kit = get_kit(brand) if brand else None
    blocked = False
    for item in _items(file, platform, list(tags)):
        result = result_for(
            item, check_copy(kit, item.text, item.platform, item.tags) if kit else []
        )
        if item.platform:
            fields, platform_findings = platform_result(brand, item)
            result.update(fields)
            result["findings"] += platform_findings
        blocked = blocked or any(f["severity"] == "block" for f in result["findings"])
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
            continue
        summary = f"{item.where}: {len(result['findings']) or 'no'} finding(s)"
        if "length" in result:
            summary += f"; {result['length']}/{result['limit']} on {item.platform}"
        click.echo(summary)
        for f in result["findings"]:
            fix = f" -> {f['suggestion']!r}" if f["suggestion"] is not None else ""
            click.echo(
                f"  [{f['severity']}] {f['start']}-{f['end']} {f['rule']}: {f['message']}{fix}"
            )
    db.session.rollback()
    if blocked:
        sys.exit(1)
