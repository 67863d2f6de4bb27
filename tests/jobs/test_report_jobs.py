"""Metric collection against fake Mastodon and Bluesky, and PDF reports rendered by the job.

The PDFs are read back with pypdf and poppler (pdftotext, pdffonts): pages, text, table of
contents, embedded fonts and images, not only that a file exists.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from jobs import metrics as metric_jobs
from studio.blobs import blob_storage
from studio.composer import operations as composer
from studio.config import PROJECT_ROOT
from studio.extensions import db
from studio.kits import operations as kit_ops
from studio.models import Channel, PostStatus, PublishAttempt, Role
from studio.models.analytics import (
    FollowerCount,
    MetricSnapshot,
    PublishedPost,
    Report,
    ReportSchedule,
)
from studio.publishing import operations as publishing
from studio.publishing.errors import PublishError
from studio.reports import operations as ops
from studio.reports import render, sections
from studio.reports.fetcher import ReportFetcher
from studio.tasks.queue import get_queue
from tests.support.reports import add_year
from tests.unit.publishing.fakeplatforms import FakeBluesky, FakeMastodon
from tests.unit.publishing.fakeserver import FakeServer, Reply

# ---------------------------------------------------------------------------------------
# Collection


@pytest.fixture
def fake():
    with FakeServer() as server:
        yield server


@pytest.fixture
def owner_brand(app, make):
    owner = make.member(make.workspace(name="Ember Co"))
    brand = make.brand(owner.workspace, name="Ember Roasters", timezone="Europe/London")
    app.config["PUBLISH_HTTP_TIMEOUT"] = 2.0
    yield owner, brand
    app.config.pop("PUBLISH_HTTP_TIMEOUT", None)


def _published(app, owner, brand, channel, platform_post_id: str, text: str, days_ago: int = 2):
    with app.app_context():
        post = composer.create_post(owner, brand, f"Post {platform_post_id[-6:]}")
        post.master_text = text
        post.campaign = "Autumn"
        post.labels = ["product"]
        post.status = PostStatus.PUBLISHED
        when = datetime.now(UTC) - timedelta(days=days_ago)
        db.session.add(
            PublishAttempt(
                workspace_id=brand.workspace_id,
                brand_id=brand.id,
                post_id=post.id,
                channel_id=channel.id,
                platform=channel.platform,
                idempotency_key=f"test-{platform_post_id}",
                state="published",
                due_at=when,
                published_at=when,
                platform_post_id=platform_post_id,
                url=f"https://social.example/{platform_post_id}",
            )
        )
        db.session.commit()
    return post


def _channel(app, brand, platform: str, values: dict) -> Channel:
    with app.app_context():
        channel = Channel(workspace_id=brand.workspace_id, brand_id=brand.id, platform=platform)
        publishing.seal_credentials(channel, values)
        db.session.add(channel)
        db.session.commit()
    return channel


def test_collect_reads_mastodon_counts_and_followers_into_todays_snapshot(app, owner_brand, fake):
    owner, brand = owner_brand
    counts = {"109000000000000101": [7, 2, 3], "109000000000000102": [1, 0, 0]}

    def status(request):
        if request.header("authorization") != "Bearer good-token":
            return Reply(401, {"error": "The access token is invalid"})
        found = counts.get(request.match["id"])
        if found is None:
            return Reply(404, {"error": "Record not found"})
        fav, reblogs, replies = found
        return Reply(
            200,
            {
                "id": request.match["id"],
                "favourites_count": fav,
                "reblogs_count": reblogs,
                "replies_count": replies,
            },
        )

    fake.route("GET", r"/api/v1/statuses/(?P<id>\d+)", status)
    mastodon = FakeMastodon(fake)
    mastodon.account["followers_count"] = 1234
    channel = _channel(
        app, brand, "mastodon", {"instance_url": fake.url, "access_token": "good-token"}
    )
    post = _published(app, owner, brand, channel, "109000000000000101", "Fresh roast ☕")
    _published(app, owner, brand, channel, "109000000000000102", "Second")
    _published(app, owner, brand, channel, "109000000000000999", "Deleted since")
    with app.app_context():
        assert "2 posts read" in metric_jobs.collect(channel.id)
    row = db.session.scalar(
        select(PublishedPost).where(PublishedPost.external_id == "109000000000000101")
    )
    assert row.post_id == post.id and row.channel_id == channel.id and row.source == "api"
    assert (row.likes, row.shares, row.comments) == (7, 2, 3)
    assert (row.impressions, row.reach) == (0, 0)  # Mastodon does not report them
    assert row.caption == "Fresh roast ☕" and row.campaign == "Autumn"
    followers = db.session.scalars(select(FollowerCount)).all()
    assert [(f.platform, f.followers, f.account_key) for f in followers] == [
        ("mastodon", 1234, f"channel:{channel.id}")
    ]
    # Later the same day: the counts grew; today's snapshot is updated, not duplicated.
    counts["109000000000000101"] = [9, 2, 4]
    with app.app_context():
        metric_jobs.collect(channel.id)
    db.session.expire_all()
    row = db.session.get(PublishedPost, row.id)
    assert (row.likes, row.comments) == (9, 4)
    assert db.session.scalar(select(func.count()).select_from(MetricSnapshot)) == 2
    # A wrong token is a clear error, not a silent zero.
    with app.app_context():
        publishing.seal_credentials(channel, {"instance_url": fake.url, "access_token": "bad"})
        db.session.commit()
        with pytest.raises(PublishError, match=r"(?i)token"):
            metric_jobs.collect(channel.id)


def test_collect_reads_bluesky_like_repost_reply_and_quote_counts(app, owner_brand, fake):
    owner, brand = owner_brand
    holder: dict = {}

    def profile(request):
        answer = holder["bluesky"]._profile(request)
        if answer.status == 200:
            answer.json = {**answer.json, "followersCount": 321}
        return answer

    def get_posts(request):
        if holder["bluesky"]._auth(request) is not None:
            return Reply(401, {"error": "AuthMissing", "message": "Authentication Required"})
        uris = request.query.get("uris", [])
        posts = [
            {
                "uri": uri,
                "likeCount": 10,
                "repostCount": 4,
                "quoteCount": 1,
                "replyCount": 2,
            }
            for uri in uris
            if not uri.endswith("gone")
        ]
        return Reply(200, {"posts": posts})

    # Registered before the fake's own routes, so these answers win.
    fake.route("GET", r"/xrpc/app\.bsky\.actor\.getProfile", profile)
    fake.route("GET", r"/xrpc/app\.bsky\.feed\.getPosts", get_posts)
    bluesky = holder["bluesky"] = FakeBluesky(fake)
    channel = _channel(
        app,
        brand,
        "bluesky",
        {"pds_url": fake.url, "handle": bluesky.handle, "app_password": bluesky.password},
    )
    uri = f"at://{bluesky.did}/app.bsky.feed.post/3kabc"
    _published(app, owner, brand, channel, uri, "Hello sky")
    _published(app, owner, brand, channel, f"at://{bluesky.did}/app.bsky.feed.post/gone", "x")
    with app.app_context():
        result = metric_jobs.collect(channel.id)
    assert "1 posts read" in result and "no longer on the platform" in result
    row = db.session.scalar(select(PublishedPost).where(PublishedPost.external_id == uri))
    assert (row.likes, row.shares, row.comments) == (10, 5, 2)  # reposts + quotes = shares
    assert db.session.scalar(select(FollowerCount.followers)) == 321


def test_platforms_without_a_metrics_api_are_left_to_csv_imports(app, owner_brand):
    _, brand = owner_brand
    channel = _channel(app, brand, "linkedin", {"access_token": "x"})
    with app.app_context():
        assert "import its CSV exports" in metric_jobs.collect(channel.id)


def test_the_periodic_sweep_queues_one_collection_per_channel(app, owner_brand):
    _, brand = owner_brand
    first = _channel(
        app, brand, "mastodon", {"instance_url": "https://a.example", "access_token": "t"}
    )
    _channel(app, brand, "linkedin", {"access_token": "x"})
    with app.app_context():
        assert metric_jobs.collect_all() == "1 channels"
        metric_jobs.collect_all()  # the same hour: the same job id, queued once
        queued = get_queue("default").job_ids
    assert len([j for j in queued if j.startswith(f"collect-{first.id}-")]) == 1


# ---------------------------------------------------------------------------------------
# Reports


@pytest.fixture
def agency(app, make):
    workspace = make.workspace(name="Copper Co")
    brand = make.brand(workspace, name="Ember Test", slug="ember-test", timezone="Europe/London")
    bare = make.brand(workspace, name="Plain Bank", slug="plain-bank", timezone="Europe/London")
    manager = make.member(workspace, Role.BRAND_MANAGER, name="Marcus Manager")
    with app.app_context():
        kit_ops.import_archive(
            kit_ops.get_kit(brand), PROJECT_ROOT / "brand_kits" / "ember-roasters", None
        )
        add_year(brand, manager)
        add_year(bare, None, platforms=("linkedin",), with_picture=False)
    return {"ws": workspace, "brand": brand, "bare": bare, "manager": manager}


def _request(app, brand, period: str, summary: str = "", user=None) -> Report:
    with app.app_context():
        report = ops.request_report(
            brand, render.Period.parse(period, brand.timezone), summary, user
        )
        db.session.commit()
        ops.enqueue_render(report, brand.workspace_id)
    return report


def _pdf(report: Report) -> bytes:
    db.session.refresh(report)
    assert report.status == "finished", report.error
    return blob_storage().get(report.blob_key)


def _text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def _fonts(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout


def _images(reader: PdfReader) -> list[tuple[int, int]]:
    """Return (width, height) of every distinct image XObject in the PDF."""
    seen: dict[int, tuple[int, int]] = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        xobjects = resources.get("/XObject") or {}
        for ref in xobjects.values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                seen[ref.idnum] = (int(obj["/Width"]), int(obj["/Height"]))
    return list(seen.values())


def test_the_job_renders_a_branded_multi_page_report_with_every_section(
    app, agency, app_ctx_storage, run_jobs, tmp_path
):
    brand = agency["brand"]
    report = _request(
        app,
        brand,
        "2026-10",
        "October was our best month yet ☕.\n\nThe holiday campaign starts in November.",
        agency["manager"].user,
    )
    run_jobs()
    pdf = _pdf(report)
    reader = PdfReader(io.BytesIO(pdf))
    assert report.pages == len(reader.pages) >= 12
    assert report.size_bytes == len(pdf)
    text = _text(pdf)
    for expected in (
        "Ember Test",
        "Social media report",
        "October 2026",
        "Contents",
        "Executive summary",
        "October was our best month yet",
        "Key figures",
        "compared with September 2026",
        "Top posts",
        "Per-platform pages",
        "Campaign results",
        "Proof of approval",
        "Marcus Manager",
        "Metric definitions",
        "Engagements (likes, comments, shares, saves and link clicks) divided by reach",
    ):
        assert expected in text, expected
    # Running header and page numbers; the contents list page numbers from target-counter.
    assert f"Page 3 of {report.pages}" in text
    toc = text.split("Contents", 2)[-1].split("Executive summary", 2)
    assert re.search(r"Key figures\s*\.+\s*\d+", text)
    assert re.search(r"Proof of approval\s*\.+\s*\d+", text)
    del toc
    # Fonts: the kit's heading font, the body family and emoji are embedded (subset).
    fonts = _fonts(pdf, tmp_path)
    assert re.search(r"Plume-Kit-Heading\S*\s.*\byes\s+yes", fonts)  # the kit's own file
    assert re.search(r"DejaVu-Sans\s.*\byes\s+yes", fonts)
    assert "Noto-Color-Emoji" in fonts
    # Images: the logo and the post pictures, downscaled (no picture over 480 px).
    images = _images(reader)
    assert images, "no images embedded"
    assert max(max(size) for size in images) <= 480
    assert any(size[0] <= 240 and size[1] <= 240 for size in images)
    assert not reader.attachments


@pytest.fixture
def app_ctx_storage(app):
    """Blob storage needs an app context outside requests."""
    with app.app_context():
        yield


def test_a_period_without_posts_says_so_and_a_brand_without_a_kit_falls_back(
    app, agency, app_ctx_storage, tmp_path
):
    bare = agency["bare"]
    spec = render.ReportSpec("2024-01", [s.key for s in sections.SECTIONS], top_posts=5)
    with app.test_request_context():
        result = render.render(bare, spec)
    text = _text(result.pdf)
    assert "No posts were published in January 2024." in text
    assert "No data for this period" in text
    assert "Approvals" in text or "Proof of approval" in text
    assert len(PdfReader(io.BytesIO(result.pdf)).pages) >= 8
    fonts = _fonts(result.pdf, tmp_path)
    assert "DejaVu-Sans" in fonts and "Serif" not in fonts  # no kit: the default family
    assert _images(PdfReader(io.BytesIO(result.pdf))) == []  # no logo, no pictures
    assert result.fetcher.refused == []


HOSTILE = (
    '<link rel="attachment" href="file:///etc/passwd">'
    '<img src="file:///etc/passwd">'
    '<img src="http://169.254.169.254/">'
)


def test_markup_in_captions_and_the_summary_fetches_and_embeds_nothing(
    app, agency, app_ctx_storage
):
    bare = agency["bare"]
    posts = db.session.scalars(
        select(PublishedPost)
        .where(PublishedPost.brand_id == bare.id)
        .order_by(PublishedPost.published_at.desc())
        .limit(40)
    ).all()
    for post in posts:
        post.caption = "Look " + HOSTILE
        if post.post:
            post.post.master_text = "Look " + HOSTILE
            post.post.title = HOSTILE
    db.session.commit()
    spec = render.ReportSpec(
        "2026-10",
        ["cover", "summary", "top_posts", "platforms", "approvals"],
        top_posts=10,
        summary="Summary " + HOSTILE + ("x" * 10_000),
    )
    with app.test_request_context():
        result = render.render(bare, spec)
    reader = PdfReader(io.BytesIO(result.pdf))
    assert not reader.attachments
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    assert _images(reader) == []  # this brand has no pictures and no logo: none at all
    # Nothing was even asked for: the markup went in as text.
    assert result.fetcher.refused == []
    assert all(url.startswith(("file://", "plume://")) for url in result.fetcher.served)
    assert all("/static/" in url for url in result.fetcher.served if url.startswith("file"))
    text = _text(result.pdf)
    assert '<img src="file:///etc/passwd">' in text.replace("\n", "")
    assert "root:x:0:0" not in text


def test_the_fetcher_refuses_everything_but_static_files_and_registered_assets(
    app, app_ctx_storage
):
    fetcher = ReportFetcher()
    pdf, _pages = render.to_pdf(
        "<html><head><link rel='stylesheet' href='css/report.css'></head><body>"
        + HOSTILE
        + "<img src='file:///work/main/static/../studio/config.py'>"
        "<img src='data:image/png;base64,iVBORw0KGgo='>"
        "<p>x</p></body></html>",
        fetcher,
    )
    refused = [url for url, _ in fetcher.refused]
    assert "file:///etc/passwd" in refused
    assert "http://169.254.169.254/" in refused
    assert any("config.py" in url for url in refused)
    assert any(url.startswith("data:") for url in refused)
    assert [u for u in fetcher.served if u.endswith("css/report.css")]
    reader = PdfReader(io.BytesIO(pdf))
    assert not reader.attachments
    assert _images(reader) == []
    with pytest.raises(ValueError):
        fetcher.fetch("plume://asset/99.png")


def test_the_memory_cap_stops_a_runaway_allocation_and_is_lifted_afterwards():
    code = (
        "from studio.reports.render import memory_cap\n"
        "import resource\n"
        "before = resource.getrlimit(resource.RLIMIT_AS)\n"
        "try:\n"
        "    with memory_cap(64):\n"
        "        block = bytearray(512 * 1024 * 1024)\n"
        "    print('allocated')\n"
        "except MemoryError:\n"
        "    print('refused')\n"
        "assert resource.getrlimit(resource.RLIMIT_AS) == before\n"
        "block = bytearray(256 * 1024 * 1024)\n"
        "print('lifted')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60
    )
    assert out.stdout.split() == ["refused", "lifted"], out.stderr


def test_a_render_out_of_memory_fails_the_report_with_a_reason(
    app, agency, app_ctx_storage, run_jobs, monkeypatch
):
    def exhausted(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr("weasyprint.HTML.render", exhausted)
    report = _request(app, agency["bare"], "2026-10")
    run_jobs()
    db.session.refresh(report)
    assert report.status == "failed"
    assert "memory allowance" in report.error
    job = get_queue("reports").fetch_job(report.job_id)
    assert job.timeout == ops.render_timeout()


def test_a_render_killed_by_its_time_cap_shows_as_failed(app, agency, app_ctx_storage):
    report = _request(app, agency["bare"], "2026-10")
    report.status = "running"
    report.created_at = datetime.now(UTC) - timedelta(hours=2)
    db.session.commit()
    assert ops.display_status(report) == "failed"


def test_rendering_twice_keeps_one_pdf(app, agency, app_ctx_storage, run_jobs):
    from jobs import reports as report_jobs

    report = _request(app, agency["bare"], "2026-09")
    run_jobs()
    db.session.refresh(report)
    key = report.blob_key
    with app.app_context():
        assert report_jobs.render_report(report.id) == "already finished"
    db.session.refresh(report)
    assert report.blob_key == key


def test_monthly_schedule_makes_last_months_report_once(app, agency, app_ctx_storage, run_jobs):
    brand = agency["bare"]
    schedule = ReportSchedule(
        workspace_id=brand.workspace_id,
        brand_id=brand.id,
        enabled=True,
        day_of_month=3,
        hour=9,
        summary="Automatic summary.",
        created_by_id=agency["manager"].user_id,
    )
    db.session.add(schedule)
    db.session.commit()
    early = datetime(2026, 11, 3, 8, 30, tzinfo=UTC)  # 08:30 in London: not yet
    assert ops.run_due_schedules(early) == []
    due = datetime(2026, 11, 3, 9, 5, tzinfo=UTC)
    made = ops.run_due_schedules(due)
    db.session.commit()
    assert [(r.period, r.schedule_id) for r in made] == [("2026-10", schedule.id)]
    assert ops.run_due_schedules(due + timedelta(hours=1)) == []  # claimed once
    assert made[0].parameters["summary"] == "Automatic summary."
    ops.enqueue_render(made[0], brand.workspace_id)
    run_jobs()
    assert _pdf(made[0]).startswith(b"%PDF")
    assert ops.next_run(schedule, brand, due).month == 12


def test_the_cli_renders_the_same_report_to_a_file(app, agency, tmp_path):
    out = tmp_path / "ember.pdf"
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["report", "--brand", "ember-test", "--period", "2026-10", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "pages" in result.output and "WeasyPrint" in result.output
    reader = PdfReader(str(out))
    assert len(reader.pages) >= 12
    assert "Ember Test" in _text(out.read_bytes())
    bad = runner.invoke(
        args=["report", "--brand", "ember-test", "--period", "2026-13", "--out", str(out)]
    )
    assert bad.exit_code != 0 and "month 13 does not exist" in bad.output
    missing = runner.invoke(
        args=["report", "--brand", "nope", "--period", "2026-10", "--out", str(out)]
    )
    assert missing.exit_code != 0 and "No brand with the slug" in missing.output


def test_demo_year_loads_quickly_and_every_post_has_its_latest_snapshot(app, make):
    import time

    brand = make.brand(make.workspace(), slug="ember-roasters", timezone="Europe/London")
    started = time.perf_counter()
    with app.app_context():
        add_year(brand, None, platforms=("instagram", "x", "threads", "bluesky"), per_week=3)
    assert time.perf_counter() - started < 5
    missing = db.session.scalar(
        select(func.count())
        .select_from(PublishedPost)
        .where(PublishedPost.brand_id == brand.id, PublishedPost.latest_snapshot.is_(None))
    )
    assert missing == 0
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(FollowerCount)
            .where(FollowerCount.brand_id == brand.id)
        )
        == 4 * 365
    )
    assert date(2026, 10, 31) >= db.session.scalar(select(func.max(FollowerCount.day)))


def test_loading_weasyprint_leaves_truncated_uploads_refused(app):
    from PIL import ImageFile

    from studio.reports import fetcher  # imports WeasyPrint

    assert fetcher.URLFetcher is not None
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
