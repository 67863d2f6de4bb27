"""A brand's PDF report: gather the data, render the server's own template, run WeasyPrint.

Three steps, timed separately (the benchmark prints them):

1. :func:`gather` reads the rows once, summarises them (the same summary as the analytics
   page), looks up approvals, and prepares the kit's fonts and logo and the top posts'
   pictures as small JPEGs (about 150 dpi at the size they are printed).
2. :func:`to_html` renders ``templates/pdf/report.html``, a template only the server
   controls; every caption and the executive summary go in as escaped text.
3. :func:`to_pdf` runs WeasyPrint with an explicit base URL and the
   :class:`~studio.reports.fetcher.ReportFetcher`, under a memory cap.
"""

from __future__ import annotations

import contextlib
import io
import re
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import render_template
from PIL import Image
from sqlalchemy import select

from studio.analytics.metrics import METRICS, RATIO, format_value, platform_name
from studio.analytics.summary import Breakdown, Period, zone
from studio.blobs import blob_storage
from studio.brandkit import Kit, kit_from_dict
from studio.colour import contrast_ratio
from studio.extensions import db
from studio.models import Brand, BrandKit, MediaItem, Post, Workspace
from studio.models.analytics import PublishedPost
from studio.reports import data
from studio.reports.analytics import Filters, PostEntry, Summary, build_charts, summarise
from studio.reports.fetcher import ReportFetcher, base_url
from studio.reports.sections import BY_KEY

REPORT_IMAGE_PX = 240  # 4 cm at 150 dpi: the size top posts' pictures are printed
LOGO_PX = 480
BODY_FONT = "DejaVu Sans"  # one small family, subset by WeasyPrint
DEFAULT_MEMORY_MB = 1536
DEFAULT_TEXT = "#1F2937"
PLATFORM_KPIS = (
    "posts",
    "impressions",
    "reach",
    "engagements",
    "engagement_rate",
    "likes",
    "comments",
    "shares",
)


# ---------------------------------------------------------------------------------------
# What the template gets


@dataclass
class ReportSpec:
    """What to render: the period, the sections in order, and the manager's summary."""

    period: str
    sections: list[str]
    top_posts: int = 10
    summary: str = ""
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "sections": list(self.sections),
            "top_posts": self.top_posts,
            "summary": self.summary,
            "title": self.title,
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ReportSpec:
        return cls(
            period=str(values["period"]),
            sections=[s for s in values.get("sections") or [] if s in BY_KEY],
            top_posts=int(values.get("top_posts") or 10),
            summary=str(values.get("summary") or ""),
            title=str(values.get("title") or ""),
        )


@dataclass
class Approval:
    name: str
    when: datetime
    revision: int
    via_link: bool = False


@dataclass
class Override:
    name: str
    when: datetime
    note: str


@dataclass
class ApprovalRecord:
    """Who approved which revision of a post, and any override reasons."""

    approvals: list[Approval] = field(default_factory=list)
    overrides: list[Override] = field(default_factory=list)

    @property
    def revision(self) -> int | None:
        return max((a.revision for a in self.approvals), default=None)


@dataclass
class AppendixRow:
    published: PublishedPost
    title: str
    caption: str
    current_revision: int | None
    record: ApprovalRecord | None


@dataclass
class PlatformPage:
    key: str
    name: str
    breakdown: Breakdown
    kpis: list[Any]
    chart: str
    top: list[PostEntry]


@dataclass
class Timings:
    gather: float = 0.0
    html: float = 0.0
    weasyprint: float = 0.0

    @property
    def total(self) -> float:
        return self.gather + self.html + self.weasyprint


@dataclass
class ReportContext:
    brand: Brand
    workspace: Workspace
    spec: ReportSpec
    period: Period
    summary: Summary
    fetcher: ReportFetcher
    colours: dict[str, str]
    fonts: list[dict[str, str]]
    heading_family: str
    body_family: str
    logo_url: str | None
    images: dict[int, str]
    platform_pages: list[PlatformPage]
    appendix: list[AppendixRow]
    approvals_recorded: bool
    generated_at: datetime
    summary_paragraphs: list[str]
    campaign_chart: str = ""

    @property
    def title(self) -> str:
        return self.spec.title or f"{self.brand.name}: social media report, {self.period.label}"


@dataclass
class RenderedReport:
    pdf: bytes
    pages: int
    html: str
    timings: Timings
    fetcher: ReportFetcher


# ---------------------------------------------------------------------------------------
# Gathering


def _kit(brand: Brand) -> tuple[BrandKit | None, Kit | None]:
    row = db.session.scalar(select(BrandKit).where(BrandKit.brand_id == brand.id))
    if row is None:
        return None, None
    try:
        return row, kit_from_dict(row.data)
    except ValueError:
        return row, None


def _readable(colour: str | None, fallback: str, on: str = "#FFFFFF", ratio: float = 4.5) -> str:
    if colour and re.fullmatch(r"#[0-9A-Fa-f]{6}", colour):
        try:
            if contrast_ratio(colour, on) >= ratio:
                return colour.upper()
        except ValueError:
            pass
    return fallback


def colours_for(brand: Brand, kit: Kit | None) -> dict[str, str]:
    """Return the report's colours from the kit: each checked against white paper."""
    by_role: dict[str, str] = {}
    for colour in kit.palette if kit is not None else ():
        by_role.setdefault(colour.role, colour.hex)
    primary = by_role.get("primary") or brand.colour
    accent = by_role.get("accent") or by_role.get("secondary") or primary
    return {
        "primary": _readable(primary, DEFAULT_TEXT, ratio=3.0),
        # Headings are large text: 3:1 against the paper is enough (WCAG 1.4.3).
        "heading": _readable(primary, DEFAULT_TEXT, ratio=3.0),
        "text": _readable(by_role.get("text"), DEFAULT_TEXT, ratio=7.0),
        "accent": accent if re.fullmatch(r"#[0-9A-Fa-f]{6}", accent or "") else primary,
        "cover": primary if re.fullmatch(r"#[0-9A-Fa-f]{6}", primary or "") else DEFAULT_TEXT,
        "cover_text": "#FFFFFF"
        if re.fullmatch(r"#[0-9A-Fa-f]{6}", primary or "")
        and contrast_ratio(primary, "#FFFFFF") >= 3.0
        else DEFAULT_TEXT,
        "palette": ",".join(c.hex for c in (kit.palette if kit is not None else ())),
    }


def _cached_image(key: str, make: Any) -> bytes:
    storage = blob_storage()
    try:
        if storage.exists(key):
            return storage.get(key)
    except FileNotFoundError:
        pass
    made = make()
    storage.put(key, made)
    return made


def _downscale(source: bytes, size: int, fmt: str) -> bytes:
    with Image.open(io.BytesIO(source)) as image:
        image.load()
        image.thumbnail((size, size), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        if fmt == "JPEG":
            image.convert("RGB").save(out, "JPEG", quality=78, optimize=True)
        else:
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA")
            image.save(out, "PNG", optimize=True)
        return out.getvalue()


def post_image(item: MediaItem) -> bytes | None:
    """Return the item's picture as a small JPEG for the report (made once, then cached)."""
    from studio.assets import operations as media
    from studio.imaging import ImageRejected

    plan = media.plan_rendition(item, media.THUMB.id)
    if plan is None:
        return None

    def make() -> bytes:
        media.ensure_renditions(item, [media.THUMB.id])
        return _downscale(media.rendition_bytes(plan), REPORT_IMAGE_PX, "JPEG")

    try:
        return _cached_image(f"reports/images/{plan.key}-{REPORT_IMAGE_PX}.jpg", make)
    except (ImageRejected, OSError, ValueError):
        return None


def _logo(brand: Brand, kit_row: BrandKit | None, kit: Kit | None) -> bytes | None:
    if kit_row is None or kit is None:
        return None
    path = kit.logos.primary or kit.logos.mark
    asset = next((a for a in kit_row.assets if a.path == path), None) if path else None
    if asset is None:
        return None
    try:
        return _cached_image(
            f"reports/logos/{asset.sha256}-{LOGO_PX}.png",
            lambda: _downscale(blob_storage().get_original(asset.sha256), LOGO_PX, "PNG"),
        )
    except (OSError, ValueError):
        return None


def _fonts(
    fetcher: ReportFetcher, kit_row: BrandKit | None, kit: Kit | None
) -> tuple[list[dict[str, str]], str, str]:
    """Register the kit's font files; return @font-face data and the two font stacks."""
    faces: list[dict[str, str]] = []
    families: dict[str, str] = {}
    if kit_row is not None and kit is not None:
        from studio.kits.operations import asset_bytes, font_faces

        try:
            uploaded = font_faces(kit_row)
        except ValueError:
            uploaded = []
        for slot, asset in uploaded:
            name = f"Plume Kit {slot.capitalize()}"
            url = fetcher.register(
                lambda a=asset: asset_bytes(a), asset.mimetype or "font/ttf", asset.path
            )
            faces.append({"family": name, "url": url})
            families[slot] = name
        for slot in ("heading", "body"):
            choice = getattr(kit.fonts, slot)
            if slot not in families and choice is not None and choice.family:
                families[slot] = choice.family
    # Emoji come from fontconfig's fallback (Noto Color Emoji): naming that font in the
    # stack would make Pango draw digits, '#' and '*' with it too, as pictures.
    stack_tail = f'"{BODY_FONT}", sans-serif'
    body = families.get("body")
    heading = families.get("heading") or body
    body_stack = f'"{_css_name(body)}", {stack_tail}' if body else stack_tail
    heading_stack = f'"{_css_name(heading)}", {stack_tail}' if heading else stack_tail
    return faces, heading_stack, body_stack


def _css_name(name: str) -> str:
    return re.sub(r'["\\<>{};]', "", name)[:80]


def approvals_for(post_ids: list[int]) -> dict[int, ApprovalRecord] | None:
    """Return each post's approvals and overrides, or None when approvals aren't recorded."""
    try:
        from studio.models.approvals import ApprovalDecision, ApprovalEvent
    except ImportError:
        return None
    records: dict[int, ApprovalRecord] = {pid: ApprovalRecord() for pid in post_ids}
    if not post_ids:
        return records
    for start in range(0, len(post_ids), 400):
        chunk = post_ids[start : start + 400]
        for decision in db.session.scalars(
            select(ApprovalDecision)
            .where(
                ApprovalDecision.post_id.in_(chunk),
                ApprovalDecision.decision == "approved",
                ApprovalDecision.withdrawn_at.is_(None),
            )
            .order_by(ApprovalDecision.created_at, ApprovalDecision.id)
        ):
            records[decision.post_id].approvals.append(
                Approval(
                    decision.approver_name or "Someone",
                    decision.created_at,
                    decision.revision_number,
                    bool(decision.via_share_link),
                )
            )
        for event in db.session.scalars(
            select(ApprovalEvent)
            .where(ApprovalEvent.post_id.in_(chunk), ApprovalEvent.kind == "override")
            .order_by(ApprovalEvent.created_at, ApprovalEvent.id)
        ):
            records[event.post_id].overrides.append(
                Override(event.actor_name or "Someone", event.created_at, event.note or "")
            )
    return records


def _appendix(summary: Summary, records: dict[int, ApprovalRecord] | None) -> list[AppendixRow]:
    ids = [int(r.post_id) for r in summary.rows]
    published = {
        p.id: p
        for start in range(0, len(ids), 400)
        for p in db.session.scalars(
            select(PublishedPost).where(PublishedPost.id.in_(ids[start : start + 400]))
        )
    }
    post_ids = sorted({p.post_id for p in published.values() if p.post_id})
    posts = {
        p.id: p
        for start in range(0, len(post_ids), 400)
        for p in db.session.scalars(select(Post).where(Post.id.in_(post_ids[start : start + 400])))
    }
    rows = []
    for row in sorted(published.values(), key=lambda p: (p.published_at, p.id)):
        post = posts.get(row.post_id) if row.post_id else None
        rows.append(
            AppendixRow(
                published=row,
                title=post.title if post else "",
                caption=row.caption,
                current_revision=post.revision if post else None,
                record=(records or {}).get(post.id) if post else None,
            )
        )
    return rows


def _platform_pages(
    ctx_summary: Summary, brand: Brand, palette: list[str], font: str, approved: dict[int, int]
) -> list[PlatformPage]:
    pages = []
    for breakdown in ctx_summary.platforms:
        key = breakdown.key or ""
        filters = Filters(ctx_summary.period, platform=key)
        all_rows = [r for r in ctx_summary.all_rows if r.platform == key]
        sub = summarise(
            brand,
            filters,
            top_n=3,
            bottom_n=0,
            font_family=font,
            palette=palette,
            approved_revisions=approved,
            rows=all_rows,
            followers=[p for p in ctx_summary.followers if p.platform == key],
            kpi_metrics=PLATFORM_KPIS,
            with_charts=("trend",),
            chart_prefix=f"platform-{key}-",
        )
        pages.append(
            PlatformPage(
                key=key,
                name=platform_name(key),
                breakdown=breakdown,
                kpis=sub.kpis,
                chart=sub.charts["trend"].svg,
                top=sub.top,
            )
        )
    return pages


def gather(brand: Brand, spec: ReportSpec) -> ReportContext:
    """Read and prepare everything the report shows."""
    period = Period.parse(spec.period, brand.timezone)
    workspace = db.session.get(Workspace, brand.workspace_id)
    assert workspace is not None
    fetcher = ReportFetcher()
    kit_row, kit = _kit(brand)
    colours = colours_for(brand, kit)
    palette = [c for c in colours["palette"].split(",") if c] or [colours["primary"]]
    faces, heading_stack, body_stack = _fonts(fetcher, kit_row, kit)
    chart_font = BODY_FONT
    rows = data.rows_for(brand, period)
    followers = data.followers_for(brand, period)
    current_ids = [
        p
        for p in db.session.scalars(
            select(PublishedPost.post_id).where(
                PublishedPost.brand_id == brand.id,
                PublishedPost.published_at >= period.start_utc,
                PublishedPost.published_at < period.end_utc,
                PublishedPost.post_id.is_not(None),
            )
        )
    ]
    records = approvals_for(sorted(set(current_ids)))
    approved = {
        pid: rec.revision for pid, rec in (records or {}).items() if rec.revision is not None
    }
    wanted = set(spec.sections)
    summary = summarise(
        brand,
        Filters(period),
        top_n=spec.top_posts if "top_posts" in wanted else 3,
        bottom_n=0,
        font_family=chart_font,
        palette=palette,
        approved_revisions=approved,
        rows=rows,
        followers=followers,
    )
    platform_pages = (
        _platform_pages(summary, brand, palette, chart_font, approved)
        if "platforms" in wanted
        else []
    )
    images: dict[int, str] = {}
    by_media: dict[int, str | None] = {}  # one URL per picture: WeasyPrint embeds it once
    entries = list(summary.top) + [e for page in platform_pages for e in page.top]
    for entry in entries:
        detail = entry.detail
        if detail is None or detail.media is None or detail.id in images:
            continue
        media_id = detail.media.id
        if media_id not in by_media:
            picture = post_image(detail.media)
            by_media[media_id] = (
                fetcher.register(lambda b=picture: b, "image/jpeg") if picture else None
            )
        if by_media[media_id]:
            images[detail.id] = by_media[media_id]
    logo_bytes = _logo(brand, kit_row, kit) if "cover" in wanted else None
    logo_url = fetcher.register(lambda: logo_bytes, "image/png", "logo") if logo_bytes else None
    appendix = _appendix(summary, records) if "approvals" in wanted else []
    campaign_chart = (
        build_charts(summary, palette, chart_font, only=("campaigns",), prefix="campaign-page-")[
            "campaigns"
        ].svg
        if "campaigns" in wanted
        else ""
    )
    paragraphs = [
        " ".join(part.split())
        for part in re.split(r"\n\s*\n", spec.summary.replace("\r\n", "\n"))
        if part.strip()
    ]
    return ReportContext(
        brand=brand,
        workspace=workspace,
        spec=spec,
        period=period,
        summary=summary,
        fetcher=fetcher,
        colours=colours,
        fonts=faces,
        heading_family=heading_stack,
        body_family=body_stack,
        logo_url=logo_url,
        images=images,
        platform_pages=platform_pages,
        appendix=appendix,
        approvals_recorded=records is not None,
        generated_at=datetime.now(UTC).astimezone(zone(brand.timezone)),
        summary_paragraphs=paragraphs,
        campaign_chart=campaign_chart,
    )


# ---------------------------------------------------------------------------------------
# HTML and PDF


def to_html(ctx: ReportContext) -> str:
    """Render the report's HTML from the server's own template."""
    return render_template(
        "pdf/report.html",
        r=ctx,
        s=ctx.summary,
        sections=[BY_KEY[key] for key in ctx.spec.sections if key in BY_KEY],
        metrics=list(METRICS.values()),
        fmt=format_value,
        rate=lambda v: format_value(v, RATIO),
        platform_name=platform_name,
    )


@contextlib.contextmanager
def memory_cap(megabytes: int | None) -> Iterator[None]:
    """Cap the address space this process may add while rendering (soft limit, restored)."""
    if not megabytes:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        with open("/proc/self/statm") as statm:
            in_use = int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError):
        in_use = 0
    cap = in_use + megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    if soft != resource.RLIM_INFINITY:
        cap = min(cap, soft)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


class ReportTooBig(RuntimeError):
    """The render ran out of its memory allowance."""


def to_pdf(html: str, fetcher: ReportFetcher, *, memory_mb: int | None = None) -> tuple[bytes, int]:
    """Lay the HTML out with WeasyPrint; return the PDF and its page count."""
    from weasyprint import HTML

    try:
        with memory_cap(memory_mb):
            document = HTML(string=html, base_url=base_url(), url_fetcher=fetcher).render(
                presentational_hints=False
            )
            pdf = document.write_pdf(
                optimize_images=True, jpeg_quality=80, dpi=150, attachments=None
            )
    except MemoryError as exc:
        raise ReportTooBig(
            f"The report needed more than its {memory_mb} MB memory allowance to render."
        ) from exc
    return pdf, len(document.pages)


def render(
    brand: Brand, spec: ReportSpec, *, memory_mb: int | None = DEFAULT_MEMORY_MB
) -> RenderedReport:
    """Gather, render and lay out the report; return the PDF with its timings."""
    timings = Timings()
    started = time.perf_counter()
    ctx = gather(brand, spec)
    timings.gather = time.perf_counter() - started
    started = time.perf_counter()
    html = to_html(ctx)
    timings.html = time.perf_counter() - started
    started = time.perf_counter()
    pdf, pages = to_pdf(html, ctx.fetcher, memory_mb=memory_mb)
    timings.weasyprint = time.perf_counter() - started
    return RenderedReport(pdf, pages, html, timings, ctx.fetcher)
