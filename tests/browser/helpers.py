"""Steps several browser tests share."""

from __future__ import annotations

from playwright.sync_api import Page, expect

DEMO_PASSWORD = "plume-demo-2026"


def sign_in(page: Page, email: str, landing: str | None = "Copperline Agency") -> None:
    """Sign in through the form as a demo person and wait for their landing page."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if landing is None:
        expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
    else:
        expect(page.get_by_role("heading", level=1, name=landing)).to_be_visible()
