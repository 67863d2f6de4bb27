"""A brand manager adds a voice rule; a finding appears as they type and goes when fixed."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in


def test_edit_a_rule_and_see_a_finding_appear_and_disappear(page: Page, live_studio):
    live_studio.flask("seed-demo")
    sign_in(page, "manager@plume.example")
    page.get_by_role("link", name="Ember Roasters").first.click()
    page.get_by_role("link", name="Voice rules").first.click()
    expect(page.get_by_role("heading", name="Banned words and phrases")).to_be_visible()

    draft = page.get_by_label("Draft copy")
    draft.fill("Our new single origin is a real moonshot. #EmberRoasters")
    expect(page.locator("#findings")).not_to_contain_text("moonshot")

    # Add the rule in the first empty banned-phrase row and save.
    rows = page.locator("input[name^='voice.banned'][name$='.phrase']")
    index = next(i for i in range(rows.count()) if rows.nth(i).input_value() == "")
    rows.nth(index).fill("moonshot")
    page.locator(f"input[name='voice.banned[{index}].suggestion']").fill("big step")
    page.get_by_role("button", name="Save voice rules").click()
    expect(page.get_by_text("Voice rules saved as version")).to_be_visible()

    draft = page.get_by_label("Draft copy")
    draft.fill("Our new single origin is a real moonshot. #EmberRoasters")
    finding = page.locator(".finding-item", has_text="moonshot")
    expect(finding).to_be_visible()
    expect(page.locator("mark.finding", has_text="moonshot")).to_be_visible()

    finding.get_by_role("button", name="Use “big step”").click()
    expect(page.get_by_label("Draft copy")).to_have_value(
        "Our new single origin is a real big step. #EmberRoasters"
    )
    expect(page.locator(".finding-item", has_text="moonshot")).to_have_count(0)


def test_client_sees_the_kit_but_cannot_edit_rules(page: Page, live_studio):
    live_studio.flask("seed-demo")
    sign_in(page, "client@plume.example", landing=None)  # clients may land on their portal
    page.goto("/w/copperline-agency/brands")
    page.get_by_role("link", name="Ember Roasters").first.click()
    page.get_by_role("link", name="Brand kit").click()
    expect(page.get_by_role("heading", name="Palette")).to_be_visible()
    expect(page.get_by_text("Edit palette")).to_have_count(0)
    page.get_by_role("link", name="Voice rules").first.click()
    expect(page.get_by_role("button", name="Save voice rules")).to_have_count(0)
