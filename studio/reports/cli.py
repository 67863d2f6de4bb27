"""`flask report`: render a brand's report to a PDF file, as the job does (for cron, tests)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from studio.analytics.summary import PeriodError
from studio.extensions import db
from studio.models import Brand, Workspace
from studio.reports import operations as ops
from studio.reports import render, sections


class _TimedOut(Exception):
    pass


@click.command("report")
@click.option("--brand", "brand_slug", required=True, help="The brand's slug, e.g. ember-roasters.")
@click.option("--period", required=True, help="2026-10 (a month), 2026 or 2026-10-01..2026-10-31.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="PDF to write.")
@click.option(
    "--workspace",
    "workspace_slug",
    default=None,
    help="Workspace slug, if the brand's slug is not unique.",
)
@click.option("--summary", default="", help="Executive summary text (or @file to read it).")
@click.option(
    "--sections",
    "section_list",
    default=None,
    help="Comma-separated sections (default: the workspace template).",
)
@click.option(
    "--top-posts", type=int, default=None, help="How many top posts (default: the template's)."
)
@with_appcontext
def report_command(
    brand_slug: str,
    period: str,
    out: str,
    workspace_slug: str | None,
    summary: str,
    section_list: str | None,
    top_posts: int | None,
) -> None:
    """Render a brand's branded PDF report for a period to a file."""
    query = select(Brand).where(Brand.slug == brand_slug)
    if workspace_slug:
        query = query.join(Workspace).where(Workspace.slug == workspace_slug)
    brands = list(db.session.scalars(query))
    if not brands:
        raise click.ClickException(f"No brand with the slug {brand_slug!r}.")
    if len(brands) > 1:
        raise click.ClickException(
            f"{len(brands)} workspaces have a brand {brand_slug!r}: name one with --workspace."
        )
    brand = brands[0]
    try:
        parsed = render.Period.parse(period, brand.timezone)
    except PeriodError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc
    if summary.startswith("@"):
        summary = Path(summary[1:]).read_text(encoding="utf-8")
    template = sections.template_for(brand.workspace_id)
    chosen = sections.enabled(template.sections)
    if section_list:
        chosen = [s.strip() for s in section_list.split(",") if s.strip()]
        unknown = [s for s in chosen if s not in sections.BY_KEY]
        if unknown:
            raise click.BadParameter(
                f"unknown section(s) {', '.join(unknown)}; "
                f"sections are {', '.join(sections.BY_KEY)}",
                param_hint="--sections",
            )
    spec = render.ReportSpec(
        period=str(parsed),
        sections=chosen,
        top_posts=top_posts or template.top_posts,
        summary=ops.clean_summary(summary),
    )
    timeout = ops.render_timeout()

    def _stop(_signum: int, _frame: object) -> None:
        raise _TimedOut

    previous = signal.signal(signal.SIGALRM, _stop)
    signal.alarm(timeout)
    try:
        result = render.render(brand, spec, memory_mb=ops.memory_limit_mb())
    except _TimedOut:
        raise click.ClickException(
            f"The report took longer than {timeout} s and was stopped."
        ) from None
    except render.ReportTooBig as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    db.session.rollback()  # nothing to keep: the file is the result
    target = Path(out)
    if target.parent and not target.parent.exists():
        raise click.ClickException(f"{target.parent} does not exist.")
    target.write_bytes(result.pdf)
    t = result.timings
    click.echo(
        f"{target}: {result.pages} pages, {len(result.pdf) / 1024:,.0f} KB "
        f"({brand.name}, {parsed.label}; data {t.gather:.2f} s, HTML {t.html:.2f} s, "
        f"WeasyPrint {t.weasyprint:.2f} s)",
        err=False,
    )
    if current_app.debug:
        print(f"refused URLs: {result.fetcher.refused}", file=sys.stderr)
