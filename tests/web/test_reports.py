"""Report pages: template, requests with progress, history, downloads, signed links, portal."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from studio.blobs import blob_storage
from studio.extensions import db
from studio.models import Role
from studio.models.analytics import Report, ReportDownload, ReportSchedule, ReportTemplate
from studio.reports import operations as ops
from studio.reports import sections
from tests.support.reports import add_year


@pytest.fixture
def agency(app, make):
    workspace = make.workspace(name="Copper Co")
    brand = make.brand(workspace, name="Harbour Tea", slug="harbour-tea")
    other = make.brand(workspace, name="Secret Brand", slug="secret-brand")
    people = {
        role: make.member(
            workspace, role, brands=[brand] if role == Role.CLIENT else None, name=role.label
        )
        for role in Role
    }
    with app.app_context():
        add_year(brand, people[Role.BRAND_MANAGER], platforms=("instagram",), per_week=1)
    return {"ws": workspace, "brand": brand, "other": other, **people}


def _base(agency, brand=None) -> str:
    return f"/w/{agency['ws'].slug}/brands/{(brand or agency['brand']).id}/reports"


def _finished(app, agency, brand=None, period="2026-10") -> Report:
    """A report with a (tiny) stored PDF, as the job leaves it."""
    brand = brand or agency["brand"]
    with app.app_context():
        report = ops.request_report(
            brand, ops.parse_period(brand, period), "", agency[Role.BRAND_MANAGER].user
        )
        key = ops.blob_key(report)
        blob_storage().put(key, b"%PDF-1.7\n% a report\n%%EOF\n")
        report.blob_key, report.status, report.pages, report.size_bytes = key, "finished", 1, 26
        db.session.commit()
    return report


def test_manager_requests_a_report_and_the_job_makes_the_pdf(app, client, agency, login, run_jobs):
    login(agency[Role.BRAND_MANAGER].user)
    page = client.get(_base(agency)).get_data(as_text=True)
    assert 'id="report-form"' in page and "Make the PDF" in page
    response = client.form(_base(agency), {"period": "2026-10", "summary": "A calm month."})
    assert response.status_code == 303
    report = db.session.scalar(select(Report).where(Report.brand_id == agency["brand"].id))
    assert report.status == "queued" and report.parameters["summary"] == "A calm month."
    assert report.parameters["sections"] == sections.enabled(sections.default_layout())
    history = client.get(_base(agency)).get_data(as_text=True)
    assert f'id="job-{report.job_id}"' in history  # the progress component polls the job
    assert 'hx-trigger="plume:job-done from:body"' in history
    run_jobs()
    db.session.refresh(report)
    assert report.status == "finished" and report.pages >= 8
    # The finished job tells the page, and the history refreshes itself to offer the PDF.
    done = client.hx_get(f"/w/{agency['ws'].slug}/jobs/{report.job_id}")
    assert done.status_code == 286
    assert json.loads(done.headers["HX-Trigger"])["plume:job-done"]["status"] == "finished"
    history = client.hx_get(_base(agency)).get_data(as_text=True)
    assert history.lstrip().startswith('<section class="card" id="report-history"')
    assert "Download PDF" in history and f"{report.pages} pages" in history
    download = client.get(f"{_base(agency)}/{report.id}/download")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF")
    assert "attachment" in download.headers["Content-Disposition"]
    log = db.session.scalars(select(ReportDownload)).all()
    assert [(d.via, d.user_id) for d in log] == [("studio", agency[Role.BRAND_MANAGER].user_id)]


def test_a_report_can_leave_out_sections_of_the_template(client, agency, login):
    login(agency[Role.BRAND_MANAGER].user)
    page = client.get(_base(agency)).get_data(as_text=True)
    assert page.count('name="section"') == len(sections.SECTIONS)
    # Ticked in any order, they come out in the template's order.
    chosen = {"period": "2026-10", "sections_present": "1", "section": ["kpis", "cover"]}
    assert client.form(_base(agency), chosen).status_code == 303
    report = db.session.scalar(select(Report).where(Report.brand_id == agency["brand"].id))
    assert report.parameters["sections"] == ["cover", "kpis"]


@pytest.mark.parametrize(
    ("section", "message"),
    [([], "Choose at least one section for this report."), (["gossip"], "'gossip'")],
)
def test_a_report_with_no_or_unknown_sections_says_why(client, agency, login, section, message):
    login(agency[Role.BRAND_MANAGER].user)
    data = {"period": "2026-10", "summary": "Kept.", "sections_present": "1", "section": section}
    response = client.form(_base(agency), data, htmx=True)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and message in html
    assert 'id="sections-error"' in html and ">Kept.</textarea>" in html
    assert db.session.scalar(select(Report)) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"period": "2026-13"}, "month 13 does not exist"),
        ({"period": ""}, "the period is empty"),
        ({"period": "2026-10", "summary": "x" * 20_001}, "at most 20,000 fit"),
    ],
)
def test_bad_report_requests_say_why(client, agency, login, data, message):
    login(agency[Role.BRAND_MANAGER].user)
    response = client.form(_base(agency), data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Report)) is None


def test_staff_without_report_rights_and_other_workspaces_are_refused(
    app, client, agency, login, make
):
    login(agency[Role.DESIGNER].user)
    assert client.form(_base(agency), {"period": "2026-10"}).status_code == 403
    assert client.get(_base(agency)).status_code == 200  # may read the history
    outsider = make.member(make.workspace(), Role.OWNER)
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login(outsider.user)
    report = _finished(app, agency)
    for url in (_base(agency), f"{_base(agency)}/{report.id}/download"):
        assert client.get(url).status_code == 404


def test_a_report_of_another_brand_is_not_found_under_this_one(app, client, agency, login):
    report = _finished(app, agency, brand=agency["other"])
    login(agency[Role.BRAND_MANAGER].user)
    assert client.get(f"{_base(agency)}/{report.id}/download").status_code == 404
    assert client.get(f"{_base(agency, agency['other'])}/{report.id}/download").status_code == 200


def test_signed_links_download_without_an_account_and_expire(app, client, agency, login):
    report = _finished(app, agency)
    login(agency[Role.BRAND_MANAGER].user)
    response = client.form(f"{_base(agency)}/{report.id}/link", {"days": "7"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    link = page.split('id="link-url" class="report-link" type="text" readonly value="')[1]
    link = link.split('"')[0]
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    anonymous = app.test_client()
    shared = anonymous.get("/" + path)
    assert shared.status_code == 200 and shared.data.startswith(b"%PDF")
    assert [d.via for d in db.session.scalars(select(ReportDownload))] == ["link"]
    # Tampered: 404. Expired: 410 with a message.
    assert anonymous.get("/" + path[:-3] + "abc").status_code == 404
    token = path.rsplit("/", 1)[1]
    with app.app_context():
        later = time.time() + 8 * 86400
        with pytest.raises(ops.ReportError) as expired:
            ops.resolve_link(token, app.secret_key, now=later)
    assert expired.value.status == 410
    # A link for longer than allowed, or for a report that isn't ready, is refused.
    login(agency[Role.BRAND_MANAGER].user)
    assert client.form(f"{_base(agency)}/{report.id}/link", {"days": "365"}).status_code == 422
    queued = _finished(app, agency)
    queued.status = "queued"
    db.session.commit()
    assert client.form(f"{_base(agency)}/{queued.id}/link", {"days": "7"}).status_code == 409


def test_expired_link_page_answers_410(app, agency, monkeypatch):
    report = _finished(app, agency)
    with app.app_context():
        token = ops.link_token(report, 1, app.secret_key)
    real_time = time.time
    monkeypatch.setattr(ops.time, "time", lambda: real_time() + 2 * 86400)
    response = app.test_client().get(f"/r/{token}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_the_template_switches_sections_on_and_orders_them(app, client, agency, login):
    login(agency[Role.BRAND_MANAGER].user)
    url = f"/w/{agency['ws'].slug}/reports/template"
    page = client.get(url).get_data(as_text=True)
    assert page.count('class="report-sections"') == 1 and "Proof of approval" in page
    form = {f"on_{s.key}": "on" for s in sections.SECTIONS if s.key != "campaigns"}
    form.update({f"order_{s.key}": str(i + 1) for i, s in enumerate(sections.SECTIONS)})
    form["order_approvals"] = "3.5"  # right after the executive summary
    form["top_posts"] = "20"
    assert client.form(url, form).status_code == 303
    row = db.session.scalar(select(ReportTemplate))
    assert sections.enabled(row.sections)[:4] == ["cover", "contents", "summary", "approvals"]
    assert "campaigns" not in sections.enabled(row.sections) and row.top_posts == 20
    moved = dict(form, move="summary:up")
    response = client.form(url, moved, htmx=True)
    assert response.status_code == 200
    db.session.refresh(row)
    assert [i["key"] for i in row.sections][1:3] == ["summary", "contents"]
    assert client.form(url, {"top_posts": "5"}).status_code == 422  # nothing switched on
    assert client.form(url, dict(form, top_posts="99")).status_code == 422
    client.post("/logout", data={"csrf_token": client.csrf_token()})
    login(agency[Role.COPYWRITER].user)
    assert client.get(url).status_code == 403


def test_the_monthly_schedule_is_set_on_the_reports_page(app, client, agency, login):
    login(agency[Role.BRAND_MANAGER].user)
    url = f"{_base(agency)}/schedule"
    response = client.form(
        url, {"enabled": "on", "day_of_month": "3", "hour": "9", "summary": "Hi"}
    )
    assert response.status_code == 303
    row = db.session.scalar(select(ReportSchedule))
    assert (row.enabled, row.day_of_month, row.hour, row.summary) == (True, 3, 9, "Hi")
    page = client.get(_base(agency)).get_data(as_text=True)
    assert "Next:" in page
    bad = client.form(url, {"enabled": "on", "day_of_month": "31", "hour": "9"})
    assert bad.status_code == 422
    assert "from 1 to 28" in bad.get_data(as_text=True)


def test_client_portal_lists_only_their_brands_reports_and_logs_downloads(
    app, client, agency, login
):
    mine = _finished(app, agency)
    theirs = _finished(app, agency, brand=agency["other"])
    login(agency[Role.CLIENT].user)
    portal = client.get(f"/w/{agency['ws'].slug}/portal/reports").get_data(as_text=True)
    assert f"/reports/{mine.id}/download" in portal
    assert f"/reports/{theirs.id}/download" not in portal and "Secret Brand" not in portal
    assert "calendar" in portal
    approvals_portal = client.get(f"/w/{agency['ws'].slug}/portal")
    if approvals_portal.status_code == 200:  # the approvals area's portal includes them
        assert f"/reports/{mine.id}/download" in approvals_portal.get_data(as_text=True)
    assert client.get(f"{_base(agency)}/{mine.id}/download").data.startswith(b"%PDF")
    assert client.get(f"{_base(agency, agency['other'])}/{theirs.id}/download").status_code == 404
    assert [d.via for d in db.session.scalars(select(ReportDownload))] == ["portal"]
    # Clients can't request, share or schedule reports.
    assert client.form(_base(agency), {"period": "2026-10"}).status_code == 403
    assert client.form(f"{_base(agency)}/{mine.id}/link", {"days": "7"}).status_code == 403


def test_history_shows_a_killed_render_as_failed(app, client, agency, login):
    report = _finished(app, agency)
    report.status, report.blob_key = "running", None
    report.created_at = datetime.now(UTC) - timedelta(hours=3)
    db.session.commit()
    login(agency[Role.BRAND_MANAGER].user)
    page = client.get(_base(agency)).get_data(as_text=True)
    row = page.split(f'data-report-id="{report.id}"')[1].split("</tr>")[0]
    assert "failed" in row and "time limit" in row
