"""A manager makes the monthly PDF from the demo data; the client downloads it from the portal."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.helpers import sign_in


def test_manager_makes_a_report_and_the_client_downloads_it(new_page, live_studio):
    live_studio.flask("seed-demo")
    manager: Page = new_page()
    sign_in(manager, "manager@plume.example")
    manager.get_by_role("link", name="Ember Roasters").first.click()
    manager.get_by_role("link", name="Analytics").click()
    expect(manager.get_by_role("heading", level=1, name="Ember Roasters")).to_be_visible()
    expect(manager.locator('.kpi[data-metric="engagements"] .kpi-value')).not_to_have_text("—")
    expect(manager.locator("#top-posts img").first).to_be_visible()

    # A filter swaps the page in place and is kept in the address bar.
    manager.locator("#filter-platform").select_option("instagram")
    expect(manager).to_have_url(re.compile(r"platform=instagram"))
    expect(manager.locator("#platform-table tbody tr")).to_have_count(1)
    expect(manager.locator("#platform-table tbody")).to_contain_text("Instagram")

    manager.get_by_role("link", name="PDF reports").click()
    manager.get_by_label("Executive summary", exact=True).fill("A strong month for the café ☕")
    manager.get_by_role("button", name="Make the PDF").click()
    # The progress component polls the render job; when it ends, the history refreshes
    # itself and offers the PDF without a reload.
    expect(manager.locator("#report-history .job")).to_have_count(1)
    history = manager.locator("#report-history")
    expect(history.get_by_role("link", name="Download PDF")).to_be_visible(timeout=120_000)
    expect(history.locator(".job")).to_have_count(0)
    expect(history).to_contain_text("pages")

    client: Page = new_page()
    sign_in(client, "client@plume.example")
    reports = client.locator("#portal-reports")
    expect(reports).to_contain_text("Ember Roasters")
    expect(client.get_by_text("Northwind Bank")).to_have_count(0)
    with client.expect_download() as download_info:
        reports.get_by_role("link", name="Download PDF").first.click()
    download = download_info.value
    path = download.path()
    assert path.read_bytes().startswith(b"%PDF")
    assert download.suggested_filename.startswith("ember-roasters-report-")
    reader = PdfReader(path)
    assert len(reader.pages) >= 10
    assert "Ember Roasters" in reader.pages[0].extract_text()

    # The full list, with the published calendar, is one click away.
    client.get_by_role("link", name="All reports and the published calendar").click()
    expect(client.locator("#portal-report-list li")).to_have_count(1)
    expect(client.get_by_role("link", name="Ember Roasters's calendar")).to_be_visible()
