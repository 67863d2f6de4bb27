"""Benchmark: a 12-month demo brand's monthly PDF report, step by step.

Run: ``.venv/bin/python bench/bench_report.py [--runs N] [--png docs/report-page-1.png]``

Sets up a fresh SQLite studio in a temporary folder with the demo data (Ember Roasters:
a year of posts on seven platforms, its kit with a heading font and logo, four library
pictures), then renders last month's report with every section, 20 top posts with their
pictures and the six charts. One untimed render first warms what a running worker keeps
warm (templates compiled, fonts loaded, the pictures' ~150 dpi JPEGs cached in storage),
then each timed run reports (the first render's time is printed too):

* data gathering (queries, summaries, charts, approvals, pictures),
* HTML rendering (the Jinja template),
* WeasyPrint (layout and PDF writing),

and, as the baseline, WeasyPrint alone on the same HTML. Plume's own share is everything
but WeasyPrint. Wall times come with CPU times, since other work on the machine stretches
wall time. Targets: Plume's share under 10 %, the whole report under 10 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _timed(func, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--png", help="write page 1 of the report as a PNG (60 dpi) here")
    parser.add_argument("--pdf", help="keep the report's PDF here")
    args = parser.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="plume-bench-report-"))
    os.environ["PLUME_INSTANCE_PATH"] = str(instance)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("PLUME_ENV", "development")

    from flask_migrate import upgrade

    from studio import create_app
    from studio.demo import seed_demo
    from studio.extensions import db
    from studio.models import Brand
    from studio.reports import render, sections
    from studio.reports.analytics import default_period
    from studio.reports.fetcher import ReportFetcher

    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        upgrade(revision="heads")
        seed_demo()
    print(f"setup: migrations and demo data in {time.perf_counter() - started:.1f} s ({instance})")

    with app.test_request_context():
        brand = db.session.scalar(db.select(Brand).where(Brand.slug == "ember-roasters"))
        period = default_period(brand)
        brand_name = brand.name
        spec = render.ReportSpec(
            str(period),
            [s.key for s in sections.SECTIONS],
            top_posts=20,
            summary="October was the café's best month: the holiday gifting campaign "
            "started early and Instagram reach grew by a fifth. ☕\n\n"
            "Next month: more video on TikTok-style reels and a Bluesky Q&A.",
        )
        # The first render: nothing cached yet (templates, fonts, the pictures' JPEGs).
        cold = time.perf_counter()
        ctx = render.gather(brand, spec)
        cold_gather = time.perf_counter() - cold
        render.to_pdf(render.to_html(ctx), ctx.fetcher)
        cold_total = time.perf_counter() - cold
        db.session.rollback()

        rows = []
        for _ in range(args.runs):
            ctx, gather_wall, gather_cpu = _timed(render.gather, brand, spec)
            html, html_wall, html_cpu = _timed(render.to_html, ctx)
            (pdf, pages), wp_wall, wp_cpu = _timed(render.to_pdf, html, ctx.fetcher)
            db.session.rollback()
            # Baseline: WeasyPrint alone on the same HTML, with the same (in-memory) files.
            baseline = ReportFetcher()
            baseline._assets = dict(ctx.fetcher._assets)
            _, base_wall, base_cpu = _timed(render.to_pdf, html, baseline)
            rows.append(
                {
                    "gather": (gather_wall, gather_cpu),
                    "html": (html_wall, html_cpu),
                    "weasyprint": (wp_wall, wp_cpu),
                    "baseline": (base_wall, base_cpu),
                    "pages": pages,
                    "bytes": len(pdf),
                    "images": len(set(ctx.images.values())),
                    "charts": len(ctx.summary.charts),
                }
            )

    def median(key: str, index: int) -> float:
        return statistics.median(r[key][index] for r in rows)

    last = rows[-1]
    print(
        f"\nreport: {brand_name}, {period.label}; {last['pages']} pages, "
        f"{last['bytes'] / 1024:,.0f} KB; {last['charts']} charts, "
        f"{len(spec.sections)} sections, {spec.top_posts} top posts, "
        f"{last['images']} distinct pictures; median of {args.runs} runs\n"
    )
    print(f"{'step':<28}{'wall s':>9}{'cpu s':>9}")
    for label, key in (
        ("data gathering", "gather"),
        ("HTML render", "html"),
        ("WeasyPrint", "weasyprint"),
    ):
        print(f"{label:<28}{median(key, 0):>9.3f}{median(key, 1):>9.3f}")
    total_wall = sum(median(k, 0) for k in ("gather", "html", "weasyprint"))
    total_cpu = sum(median(k, 1) for k in ("gather", "html", "weasyprint"))
    print(f"{'whole report':<28}{total_wall:>9.3f}{total_cpu:>9.3f}")
    print(
        f"{'baseline: WeasyPrint alone':<28}{median('baseline', 0):>9.3f}"
        f"{median('baseline', 1):>9.3f}"
    )
    own_wall = (median("gather", 0) + median("html", 0)) / total_wall
    own_cpu = (median("gather", 1) + median("html", 1)) / total_cpu
    print(
        f"\nPlume's own share: {own_wall:.1%} of wall time, {own_cpu:.1%} of CPU time "
        f"(target < 10 %); whole report {total_wall:.2f} s (target < 10 s)"
    )
    print(
        f"first render, cold caches (not in the medians): {cold_total:.2f} s, "
        f"of which data gathering {cold_gather:.2f} s"
    )
    print(
        f"report / WeasyPrint-alone baseline: {total_wall / median('baseline', 0):.2f}x wall, "
        f"{total_cpu / median('baseline', 1):.2f}x CPU"
    )

    if args.pdf or args.png:
        target = Path(args.pdf) if args.pdf else instance / "report.pdf"
        target.write_bytes(pdf)
        if args.pdf:
            print(f"PDF: {target}")
        if args.png:
            out = Path(args.png)
            out.parent.mkdir(parents=True, exist_ok=True)
            stem = str(out.with_suffix(""))
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "60",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    str(target),
                    stem,
                ],
                check=True,
            )
            print(f"page 1: {out} ({out.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
