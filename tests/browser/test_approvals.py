"""A client approves by share link; a later edit by the copywriter visibly withdraws it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

CAPTION = (
    "Our easy-access saver now pays 4.1% AER (variable). Interest is paid monthly. Capital at risk."
)
EDITED = (
    "Our easy-access saver now pays 4.1% AER (variable). Interest is paid weekly. Capital at risk."
)


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("plume-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Copperline Agency")).to_be_visible()


def test_client_approves_by_share_link_and_an_edit_withdraws_it(new_page, live_studio):
    live_studio.flask("seed-demo")
    manager, writer, guest = new_page(), new_page(), new_page()

    # The brand manager gives Northwind Bank one step: the client signs off.
    sign_in(manager, "manager@plume.example")
    manager.get_by_role("link", name="Northwind Bank").first.click()
    manager.get_by_role("link", name="Approvals").click()
    add = manager.locator("form[action$='/approvals/steps']")
    add.get_by_label("Step name").fill("Client sign-off")
    add.get_by_label("The brand's client").check()
    add.get_by_role("button", name="Add step").click()
    expect(manager.locator(".approval-step-card")).to_contain_text("Client sign-off")
    expect(manager.locator(".approval-step-card")).to_contain_text("the brand's client")

    # The copywriter writes a text-only post (no image platforms) and submits it.
    sign_in(writer, "writer@plume.example")
    writer.get_by_role("link", name="Northwind Bank").first.click()
    writer.get_by_role("link", name="Posts").click()
    writer.get_by_label("Post name").fill("Spring saver")
    writer.get_by_role("button", name="+ New post").click()
    expect(writer.get_by_role("heading", level=1, name="Spring saver")).to_be_visible()
    for name in ("Instagram", "TikTok", "Pinterest"):
        writer.locator(".platform-picks label", has_text=name).locator("input").uncheck()
        # The editor reloads without that platform's preview.
        expect(writer.locator(f"#preview-{name.lower()}")).to_have_count(0)
        expect(
            writer.locator(".platform-picks label", has_text=name).locator("input")
        ).not_to_be_checked()
    writer.get_by_label("Caption (all platforms)").fill(CAPTION)
    expect(writer.locator("#save-status")).to_contain_text("Saved", timeout=10_000)
    panel = writer.locator("#approval-panel")
    panel.get_by_role("button", name="Submit for review").click()
    expect(writer.locator("#approval-panel [data-approval-status]")).to_have_text("In review")
    post_url = writer.url

    # The manager creates a share link for the client, who has no account.
    manager.goto(post_url)
    manager.locator("#approval-panel summary", has_text="Share for review").click()
    manager.get_by_label("For", exact=True).fill("Dana at Northwind")
    manager.get_by_role("button", name="Create link").click()
    expect(manager.locator(".flash.success")).to_contain_text("Share link for Dana at Northwind")
    manager.locator("#approval-panel summary", has_text="Share for review").click()
    link = manager.get_by_label("Review link for Dana at Northwind").input_value()
    assert "/share/" in link

    guest.goto(link)
    expect(guest.get_by_role("heading", level=1)).to_have_text(
        "Northwind Bank: a post for your review"
    )
    expect(guest.locator("#preview-x")).to_contain_text(
        "Interest is paid monthly. Capital at risk."
    )
    expect(guest.get_by_text("Spring saver")).to_have_count(0)  # internal name stays inside
    guest.get_by_role("button", name=re.compile(r"^Approve revision \d+$")).click()
    expect(guest.locator(".flash.success")).to_contain_text("your approval of revision")
    expect(guest.locator("[data-approval-status]")).to_have_text("Approved")

    manager.reload()
    expect(manager.locator("#approval-panel [data-approval-status]")).to_have_text("Approved")
    expect(manager.locator("#approval-panel .approvers")).to_contain_text("Dana at Northwind")

    # The copywriter edits the approved caption: the manager's open page shows the
    # withdrawal without reloading, with the words that changed.
    writer.reload()
    caption = writer.get_by_label("Caption (all platforms)")
    caption.fill(EDITED)
    expect(writer.locator("#save-status")).to_contain_text("Saved", timeout=10_000)
    withdrawn = manager.locator("#approval-panel .approval-withdrawn")
    expect(withdrawn).to_contain_text("Dana at Northwind's approval of revision", timeout=15_000)
    expect(withdrawn.locator("del")).to_have_text("monthly")
    expect(withdrawn.locator("ins")).to_have_text("weekly")
    expect(manager.locator("#approval-panel [data-approval-status]")).to_have_text("In review")

    # The client's link shows them what changed since they approved, and asks again.
    guest.reload()
    expect(guest.locator(".approval-withdrawn")).to_contain_text("Your approval of revision")
    expect(guest.locator(".approval-withdrawn ins")).to_have_text("weekly")
    expect(guest.locator(".approval-withdrawn del")).to_have_text("monthly")
    expect(guest.get_by_role("button", name=re.compile(r"^Approve revision \d+$"))).to_be_visible()

    # The audit trail tells the whole story.
    manager.locator("#approval-panel summary", has_text="Audit trail").click()
    trail = manager.locator("#approval-panel .audit-trail")
    expect(trail).to_contain_text("withdrew approvals by editing")
    expect(trail).to_contain_text("Dana at Northwind approved")
    expect(trail).to_contain_text("Wes Writer submitted for review")
