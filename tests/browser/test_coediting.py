"""A copywriter and a designer edit the same post at once; neither loses their work."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.helpers import sign_in


def test_two_people_type_at_once_and_both_edits_survive(new_page, live_studio):
    live_studio.flask("seed-demo")
    writer, designer = new_page(), new_page()
    sign_in(writer, "writer@plume.example")
    sign_in(designer, "designer@plume.example")

    writer.get_by_role("link", name="Ember Roasters").first.click()
    writer.get_by_role("link", name="Posts").click()
    writer.get_by_label("Post name").fill("Shared draft")
    writer.get_by_role("button", name="+ New post").click()
    caption = writer.get_by_label("Caption (all platforms)")
    caption.fill("Line one about the roast.\nLine two about the café.")
    expect(writer.locator("#save-status")).to_contain_text("Saved", timeout=10_000)
    post_url = writer.url

    designer.goto(post_url)
    other_caption = designer.get_by_label("Caption (all platforms)")
    expect(other_caption).to_have_value("Line one about the roast.\nLine two about the café.")
    # Each sees the other is here.
    expect(writer.locator("#presence")).to_contain_text("Dana Designer", timeout=10_000)
    expect(designer.locator("#presence")).to_contain_text("Wes Writer", timeout=10_000)

    # Both type before either autosave fires: different lines of the same caption.
    caption.click()
    writer.keyboard.press("Control+Home")
    writer.keyboard.press("End")
    writer.keyboard.type(" Dark and sweet.")
    other_caption.click()
    designer.keyboard.press("Control+End")
    designer.keyboard.type(" Open at eight.")

    both = "Line one about the roast. Dark and sweet.\nLine two about the café. Open at eight."
    expect(caption).to_have_value(both, timeout=15_000)
    expect(other_caption).to_have_value(both, timeout=15_000)
    writer.reload()
    expect(writer.get_by_label("Caption (all platforms)")).to_have_value(both)
