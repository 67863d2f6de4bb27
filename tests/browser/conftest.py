"""A real studio (gunicorn + RQ worker in subprocesses) driven by Debian's Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.live import LiveStudio, live_studio

__all__ = ["LiveStudio", "live_studio"]
CHROMIUM = os.environ.get("PLUME_CHROMIUM", "/usr/bin/chromium")
# Assertions wait for htmx round trips; a 2-core machine running the suite needs headroom.
expect.set_options(timeout=10_000)

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser: Browser, live_studio: LiveStudio, tmp_path: Path):
    """Open pages in fresh browser contexts (separate cookies, like separate people)."""
    contexts = []

    def _open(width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(
            base_url=live_studio.url, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> Page:
    return new_page()
