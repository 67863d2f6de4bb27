"""A new agency signs up, creates a brand, invites a member, switches workspace, exports."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect


def sign_up(page: Page, name: str, email: str, workspace: str) -> None:
    page.goto("/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a sturdy password 123")
    page.get_by_label("Workspace name").fill(workspace)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1, name=workspace)).to_be_visible()


def test_signup_brand_invite_switch_and_export(page: Page, new_page, live_studio):
    tag = uuid.uuid4().hex[:6]
    email = f"founder-{tag}@plume.example"
    sign_up(page, "Fran Founder", email, f"Fran Agency {tag}")

    # A bad brand form keeps what was typed and explains; then the brand is created.
    page.get_by_role("link", name="Brands").click()
    page.get_by_label("Brand name").fill(f"Harbour Tea {tag}")
    page.get_by_label("Website").fill("not a url")
    page.get_by_role("button", name="Create brand").click()
    expect(page.get_by_text("Enter a full address, like https://example.com.")).to_be_visible()
    expect(page.get_by_label("Brand name")).to_have_value(f"Harbour Tea {tag}")
    page.get_by_label("Website").fill("https://harbour.example")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_role("button", name="Create brand").click()
    expect(page.get_by_role("heading", level=1, name=f"Harbour Tea {tag}")).to_be_visible()
    expect(page.locator(".page-head")).to_contain_text("Europe/London")

    # Invite a copywriter and pick up the link shown once.
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Email", exact=True).fill(f"writer-{tag}@plume.example")
    page.get_by_label("Role", exact=True).select_option("copywriter")
    page.get_by_role("button", name="Create invitation link").click()
    link_box = page.get_by_label(f"Invitation link for writer-{tag}@plume.example")
    expect(link_box).to_be_visible()
    link = link_box.input_value()
    assert re.search(r"/invite/[\w.-]+$", link)

    # The invitee, in a separate browser, signs up through the link and lands in the workspace.
    invitee = new_page()
    invitee.goto(link)
    invitee.get_by_role("link", name="Create an account to join").click()
    expect(invitee.get_by_label("Email")).to_have_value(f"writer-{tag}@plume.example")
    invitee.get_by_label("Your name").fill("Wren Writer")
    invitee.get_by_label("Password").fill("another sturdy password")
    invitee.get_by_role("button", name="Create account").click()
    expect(invitee.get_by_role("heading", level=1, name=f"Fran Agency {tag}")).to_be_visible()
    expect(invitee.get_by_text("Copywriter")).to_be_visible()

    # The founder creates a second workspace and switches back with the header switcher.
    page.goto("/workspaces/new")
    page.get_by_label("Workspace name").fill(f"Fran Labs {tag}")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("heading", level=1, name=f"Fran Labs {tag}")).to_be_visible()
    page.get_by_label("Switch workspace").click()
    page.get_by_role("link", name=f"Fran Agency {tag}").click()
    expect(page.get_by_role("heading", level=1, name=f"Fran Agency {tag}")).to_be_visible()
    expect(page.get_by_role("link", name=f"Harbour Tea {tag}")).to_be_visible()

    # A real worker runs the export; the progress component polls until it can be downloaded.
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Export workspace").click()
    expect(page.locator(".job.finished")).to_be_visible(timeout=20_000)
    with page.expect_download() as download:
        page.locator(".job.finished").get_by_role("link", name="Download").click()
    assert download.value.suggested_filename.endswith(".zip")


def test_wrong_password_and_phone_width_header(new_page, live_studio):
    live_studio.flask("seed-demo")
    phone = new_page(width=390, height=844)
    phone.goto("/login")
    phone.get_by_label("Email").fill("owner@plume.example")
    phone.get_by_label("Password").fill("wrong password")
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_text("That email and password don't match an account.")).to_be_visible()
    phone.get_by_label("Password").fill("plume-demo-2026")
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", level=1, name="Copperline Agency")).to_be_visible()
    # Nothing overflows the phone's width, even on the widest page.
    for path in ("/w/copperline-agency/", "/w/copperline-agency/settings"):
        phone.goto(path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} overflows by {overflow}px"


def test_failed_htmx_request_shows_the_reason_in_a_toast(new_page, live_studio):
    live_studio.flask("seed-demo")
    page = new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("owner@plume.example")
    page.get_by_label("Password").fill("plume-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Brands").first.click()
    expect(page.get_by_role("heading", level=1, name="Brands")).to_be_visible()
    # Simulate a stale page: the security token htmx sends no longer matches the session.
    page.evaluate(
        """document.querySelector('.page').setAttribute('hx-headers', '{"X-CSRFToken": "stale"}');
           document.querySelector('#new-brand form input[name=csrf_token]').value = 'stale';"""
    )
    page.get_by_label("Brand name").fill("Never Saved")
    page.get_by_role("button", name="Create brand").click()
    toast = page.locator(".toast.error")
    expect(toast).to_contain_text("This form has expired")
    # The form was not replaced by an error page, and what was typed is still there.
    expect(page.get_by_label("Brand name")).to_have_value("Never Saved")
