"""A brand manager reschedules on the calendar (drag and drop, then the keyboard dialog) and
publishes a post to the sandbox channel, which shows it on the brand's feed page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in

LONDON = ZoneInfo("Europe/London")  # the demo brand's zone


def _brand_calendar(page: Page) -> str:
    page.get_by_role("link", name="Ember Roasters").first.click()
    page.locator("nav.tabs").get_by_role("link", name="Calendar").click()
    expect(page.locator("#calendar")).to_be_visible()
    return page.url.split("?")[0]


def _drag(page: Page, source, target) -> None:
    """Drag with the mouse, as a person does (HTML5 drag and drop in Chromium)."""
    a, b = source.bounding_box(), target.bounding_box()
    page.mouse.move(a["x"] + 6, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(a["x"] + 16, a["y"] + a["height"] / 2, steps=3)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=10)
    page.mouse.up()


def test_drag_move_and_publish_to_the_sandbox(new_page, live_studio):
    page = new_page(1280, 1300)
    live_studio.flask("seed-demo")
    sign_in(page, "manager@plume.example")
    calendar = _brand_calendar(page)

    # The demo's post awaiting approval stands out.
    expect(
        page.locator(".cal-post.state-needs_approval", has_text="Weekend tasting")
    ).to_be_visible()

    # Drag "Tomorrow's roast" to 14:00 on its day in the week view: the minutes stay.
    tomorrow = datetime.now(UTC).astimezone(LONDON).date() + timedelta(days=1)
    page.goto(f"{calendar}?view=week&date={tomorrow.isoformat()}")
    chip = page.locator(".cal-post", has_text="Tomorrow's roast")
    expect(chip).to_contain_text("09:30")
    target = page.locator(
        f'.week-cell[data-drop-date="{tomorrow.isoformat()}"][data-drop-hour="14"]'
    )
    chip.scroll_into_view_if_needed()
    _drag(page, chip, target)
    moved = target.locator(".cal-post", has_text="Tomorrow's roast")
    expect(moved).to_contain_text("14:30", timeout=10_000)
    expect(page.locator("#toasts")).to_contain_text("Scheduled for")

    # The same with the keyboard: the Move button opens a dialog with date and time.
    later = tomorrow + timedelta(days=1)
    moved.get_by_role("button", name=re.compile("Move")).focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Date").fill(later.isoformat())
    dialog.get_by_label(re.compile("^Time")).fill("11:15")
    dialog.get_by_role("button", name="Move", exact=True).press("Enter")
    expect(page.locator("#toasts")).to_contain_text("11:15")
    page.goto(f"{calendar}?view=list&date={later.isoformat()}")
    day = page.locator(".cal-list-day", has_text=later.strftime("%A %d %B"))
    expect(day.locator(".cal-post", has_text="Tomorrow's roast")).to_contain_text("11:15")

    # Publish it now from the editor's panel; the sandbox feed shows it.
    day.get_by_role("link", name=re.compile("Tomorrow's roast")).click()
    panel = page.locator("#publishing")
    now = datetime.now(UTC).astimezone(LONDON)
    if now.second > 45:
        now += timedelta(minutes=1)
    panel.get_by_label("Date").fill(now.date().isoformat())
    panel.get_by_label(re.compile("^Time")).fill(now.strftime("%H:%M"))
    panel.get_by_role("button", name="Reschedule").click()
    expect(panel).to_contain_text("Scheduled for")
    expect(panel.locator(".attempt", has_text="Plume sandbox feed")).to_contain_text(
        "Published", timeout=90_000
    )
    panel.get_by_role("link", name=re.compile("See it on Sandbox")).click()
    expect(page.locator(".feed-item", has_text="fresh Ethiopian roast")).to_be_visible()
