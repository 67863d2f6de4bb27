"""A copywriter writes a post, adapts it for X, and fixes a voice finding in one click."""

from __future__ import annotations

import io
import re

from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in


def test_write_customise_x_and_apply_a_voice_fix(page: Page, live_studio):
    live_studio.flask("seed-demo")
    sign_in(page, "writer@plume.example")
    page.get_by_role("link", name="Ember Roasters").first.click()
    page.get_by_role("link", name="Posts").click()
    page.get_by_label("Post name").fill("Friday drop")
    page.get_by_role("button", name="+ New post").click()
    expect(page.get_by_role("heading", level=1, name="Friday drop")).to_be_visible()

    caption = page.get_by_label("Caption (all platforms)")
    caption.fill("Cheap beans are not our thing. Fresh Ethiopian lots land Friday #EmberRoasters")
    x_card = page.locator("#preview-x")
    expect(x_card).to_contain_text("Fresh Ethiopian lots land Friday")
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=10_000)

    # The banned word is flagged with its suggestion; one click applies it.
    fix = page.locator("#voice-panel .finding-item", has_text="Cheap").get_by_role("button")
    expect(fix).to_be_visible()
    fix.click()
    expect(caption).to_have_value(re.compile(r"^Affordable beans are not our thing"))
    expect(page.locator("#voice-panel .finding-item", has_text="Cheap")).to_have_count(0)
    expect(x_card).to_contain_text("Affordable beans")

    # Customise X: its own text, its own counter; the other platforms keep the master.
    page.locator("#variant-x > summary").click()
    page.get_by_role("button", name="Customise for X").click()
    x_text = page.get_by_label("X text")
    expect(x_card).to_contain_text("Customised")
    page.wait_for_load_state("networkidle")
    x_text.fill("Fresh Ethiopian lots, Friday. " + "Tasting notes: bergamot, peach. " * 9)
    # Keep typing as a person would: input events that arrive while htmx is still wiring up
    # the reloaded editor are not lost for good.
    x_text.press("End")
    x_text.press_sequentially(" Roasted.", delay=80)
    expect(x_card.locator(".counter")).to_have_class(re.compile(r"\bover\b"))
    expect(x_card).to_contain_text("Customised")
    expect(page.locator("#preview-linkedin")).to_contain_text("Affordable beans")
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=10_000)

    # After a reload everything typed is still there.
    page.reload()
    expect(page.get_by_label("X text")).to_have_value(
        re.compile(r"^Fresh Ethiopian lots, Friday\.")
    )
    expect(page.get_by_label("Caption (all platforms)")).to_have_value(
        re.compile("^Affordable beans")
    )

    # Attach a library image: every platform shows it in its own crop.
    page.locator("#media-card summary").click()
    page.locator(".picker-item").first.click()
    expect(page.locator("#preview-instagram .pv-media img")).to_have_count(1)
    instagram = page.locator("#preview-instagram .pv-media img").first
    expect(instagram).to_have_attribute("width", "1080")
    expect(instagram).to_have_attribute("height", "1350")
    x_image = page.locator("#preview-x .pv-media img").first
    expect(x_image).to_have_attribute("width", "1600")
    expect(x_image).to_have_attribute("height", "900")
    expect(page.locator("#preview-pinterest .pv-media img").first).to_have_attribute(
        "height", "1500"
    )
    rendition = page.request.get(instagram.get_attribute("src"))
    assert rendition.ok and rendition.headers["content-type"].startswith("image/")
    assert Image.open(io.BytesIO(rendition.body())).size == (1080, 1350)
    expect(page.locator("#preview-instagram")).not_to_contain_text("needs at least 1")

    # One platform at phone width.
    page.get_by_label("Preview layout").select_option("x")
    expect(page.locator("#preview-linkedin")).to_be_hidden()
    expect(x_card).to_be_visible()


def test_script_in_a_caption_is_shown_as_text_never_run(page: Page, live_studio):
    live_studio.flask("seed-demo")
    sign_in(page, "writer@plume.example")
    page.get_by_role("link", name="Ember Roasters").first.click()
    page.get_by_role("link", name="Posts").click()
    page.get_by_role("button", name="+ New post").click()
    page.evaluate("window.__pwned = false")
    page.get_by_label("Caption (all platforms)").fill(
        '<img src=x onerror="window.__pwned=true"><script>window.__pwned=true</script> hello'
    )
    expect(page.locator("#preview-x")).to_contain_text("<script>window.__pwned=true</script>")
    expect(page.locator("#save-status")).to_contain_text("Saved", timeout=10_000)
    page.reload()
    expect(page.locator("#preview-x")).to_contain_text("<img src=x")
    assert page.evaluate("window.__pwned") in (False, None)
