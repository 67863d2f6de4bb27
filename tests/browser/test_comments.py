"""A writer comments on words of a caption and mentions the designer; the designer sees the
unread badge, opens the comment and gets the words selected; deleting them later shows so."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

CAPTION = "Fresh Ethiopian lots land Friday #EmberRoasters"


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("plume-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Copperline Agency")).to_be_visible()


def test_mention_badge_anchor_selection_and_deleted_text(new_page, live_studio):
    live_studio.flask("seed-demo")
    writer = new_page()
    sign_in(writer, "writer@plume.example")
    writer.get_by_role("link", name="Ember Roasters").first.click()
    writer.get_by_role("link", name="Posts").click()
    writer.get_by_label("Post name").fill("Comment drop")
    writer.get_by_role("button", name="+ New post").click()
    expect(writer.get_by_role("heading", level=1, name="Comment drop")).to_be_visible()
    caption = writer.get_by_label("Caption (all platforms)")
    caption.fill(CAPTION)
    expect(writer.locator("#save-status")).to_contain_text("Saved", timeout=10_000)
    post_url = writer.url

    # Select "Ethiopian lots" in the caption and comment on the selection.
    start = CAPTION.index("Ethiopian lots")
    caption.evaluate(
        "(el, r) => { el.focus(); el.setSelectionRange(r[0], r[1]);"
        " el.dispatchEvent(new Event('select', {bubbles: true})); }",
        [start, start + len("Ethiopian lots")],
    )
    writer.locator("#comment-form [data-comment-on-selection]").click()
    expect(writer.locator("[data-anchor-chip]")).to_contain_text("On “Ethiopian lots”")
    body = writer.get_by_label("New comment")
    expect(body).to_be_focused()
    body.fill("@designer which lots are these? Add the farm name.")
    writer.locator("#comment-form").get_by_role("button", name="Comment", exact=True).click()
    expect(writer.locator(".comment-notice")).to_contain_text("Notified Dana Designer.")
    thread = writer.locator("#comments .thread").first
    expect(thread).to_contain_text("which lots are these?")
    expect(thread.locator(".anchor-quote")).to_contain_text("Ethiopian lots")

    # The designer, in another browser, sees the unread badge and opens the mention.
    designer = new_page()
    sign_in(designer, "designer@plume.example")
    badge = designer.locator("#inbox-link .inbox-count")
    expect(badge).to_have_text("1")
    designer.locator("#inbox-link").click()
    expect(designer.get_by_role("heading", level=1, name="Inbox")).to_be_visible()
    designer.get_by_role(
        "button", name=re.compile(r"^New Mention Wes Writer mentioned you")
    ).click()
    expect(designer.get_by_role("heading", level=1, name="Comment drop")).to_be_visible()
    assert designer.url.split("#")[0] == post_url and "#comment-" in designer.url
    expect(designer.locator("#inbox-link .inbox-count")).to_have_count(0)
    their_thread = designer.locator("#comments .thread", has_text="which lots are these?")
    expect(their_thread).to_be_visible()

    # Clicking the comment selects its words in the caption.
    their_thread.locator(".comment-body").click()
    their_caption = designer.get_by_label("Caption (all platforms)")
    expect(their_caption).to_be_focused()
    selected = their_caption.evaluate("el => el.value.slice(el.selectionStart, el.selectionEnd)")
    assert selected == "Ethiopian lots"

    # The writer deletes those words; the designer's panel (polling) says the text is gone.
    caption.fill("Fresh beans land Friday #EmberRoasters")
    expect(writer.locator("#save-status")).to_contain_text("Saved", timeout=10_000)
    expect(their_thread).to_contain_text("The text this comment was on was deleted", timeout=25_000)
    expect(their_thread.locator(".anchor-deleted q")).to_have_text("Ethiopian lots")
    expect(their_thread.locator(".anchor-quote")).to_have_count(0)

    # The writer fixes a typo in their comment; Escape first leaves it as it was.
    mine = writer.locator("#comments .thread", has_text="which lots are these?").first
    mine.get_by_role("link", name="Edit your comment").click()
    editor = writer.get_by_role("textbox", name="Edit your comment")
    expect(editor).to_be_focused()
    editor.press("Escape")
    expect(writer.get_by_role("link", name="Edit your comment")).to_be_focused()
    mine.get_by_role("link", name="Edit your comment").click()
    writer.get_by_role("textbox", name="Edit your comment").fill(
        "@designer which lots? Add the farm and region."
    )
    mine.get_by_role("button", name="Save").click()
    mine = writer.locator("#comments .thread", has_text="Add the farm and region.").first
    expect(mine.locator(".comment-edited")).to_contain_text("(edited")

    # The designer replies; the writer deletes their own comment and the reply stays.
    theirs = designer.locator("#comments .thread", has_text="Add the farm and region.").first
    expect(theirs).to_be_visible(timeout=25_000)
    theirs.locator("summary", has_text="Reply").click()
    theirs.get_by_label("Reply").fill("Yirgacheffe, Kochere washing station.")
    theirs.get_by_role("button", name="Reply").click()
    expect(
        designer.locator("#comments .thread", has_text="Kochere washing station")
    ).to_be_visible()
    writer.reload()
    mine = writer.locator("#comments .thread", has_text="Kochere washing station").first
    writer.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button", name="Delete your comment").click()
    mine = writer.locator("#comments .thread", has_text="Kochere washing station").first
    expect(mine).to_contain_text("Comment deleted")
    expect(mine).not_to_contain_text("Add the farm and region.")
