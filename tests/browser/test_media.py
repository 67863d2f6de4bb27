"""A designer uploads images, sets a focal point by clicking, and builds the profile ZIP."""

from __future__ import annotations

import io
import re
import zipfile

from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from studio.platforms.media_presets import PROFILE_SPECS
from tests.unit import image_fixtures as fx

NEAR_80 = re.compile(r"left: (79\.[5-9]|80\.[0-4])\d*%; top: (27\.[5-9]|28\.[0-4])\d*%")


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("plume-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Copperline Agency")).to_be_visible()


def open_media(page: Page) -> None:
    page.get_by_role("link", name="Ember Roasters").first.click()
    page.get_by_role("navigation", name="Ember Roasters sections").get_by_role(
        "link", name="Media"
    ).click()
    expect(page.get_by_role("heading", name="Upload images")).to_be_visible()


def photo_with_disc() -> bytes:
    im = fx.photo(1600, 1000, seed=42)
    ImageDraw.Draw(im).ellipse((1240, 240, 1320, 320), fill=(255, 0, 255))
    return fx.encode(im, "JPEG", quality=90)


def test_upload_click_a_focal_point_and_see_every_rendition(page: Page, live_studio):
    live_studio.flask("seed-demo")
    sign_in(page, "designer@plume.example")
    open_media(page)

    page.locator("#upload-files").set_input_files(
        [
            {"name": "browser-photo.jpg", "mimeType": "image/jpeg", "buffer": photo_with_disc()},
            {"name": "not-really.png", "mimeType": "image/png", "buffer": fx.SVG},
        ]
    )
    good = page.locator(".upload-row", has_text="browser-photo.jpg")
    bad = page.locator(".upload-row", has_text="not-really.png")
    expect(good).to_have_class(re.compile(r"\bsuccess\b"), timeout=20_000)
    expect(good).to_contain_text("browser-photo.jpg uploaded.")
    expect(bad).to_have_class(re.compile(r"\berror\b"))
    expect(bad).to_contain_text("This file is an SVG drawing, not a supported image")
    tile = page.locator(".media-tile", has_text="browser-photo.jpg")
    expect(tile).to_be_visible()

    tile.get_by_role("link").click()
    expect(page.get_by_role("heading", name="browser-photo.jpg")).to_be_visible()
    picker = page.locator(".focal-picker")
    expect(page.locator("#focal-image")).to_have_js_property("complete", True)
    picker.scroll_into_view_if_needed()
    box = picker.bounding_box()
    # Click the magenta disc: 80% across, 28% down.
    with page.expect_response(re.compile(r"/focal$")) as answer:
        page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.28)
    assert answer.value.status == 200
    # The marker and the typed-in fields follow the click (to within a pixel's rounding).
    expect(page.locator(".focal-marker")).to_have_attribute("style", NEAR_80)
    assert abs(float(page.get_by_label("Across (%)").input_value()) - 80) < 1

    # Scrolling to the renditions makes them; each card then shows its size and bytes.
    expect(page.locator(".rendition-card")).to_have_count(16)
    made = page.locator(".rendition-card .bytes")
    for _ in range(60):
        if made.count() == 16:
            break
        # Cards swap themselves in as they arrive, so scroll the page, not a card.
        page.mouse.wheel(0, 500)
        page.wait_for_timeout(500)
    expect(made).to_have_count(16, timeout=20_000)
    square = page.locator("#card-instagram_square")
    expect(square.locator(".dims")).to_have_text("1080\u00d71080")
    image = square.locator("img")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [1080, 1080]
    # The rendition really is centred on the clicked point: the disc is in the square crop.
    data = page.request.get(image.get_attribute("src")).body()
    rendition = Image.open(io.BytesIO(data)).convert("RGB").resize((108, 108))
    assert any(r > 200 and g < 80 and b > 200 for r, g, b in _pixels(rendition))

    page.reload()
    expect(page.locator(".focal-marker")).to_have_attribute("style", NEAR_80)


def _pixels(im: Image.Image):
    raw = im.tobytes()
    return (tuple(raw[i : i + 3]) for i in range(0, len(raw), 3))


def test_build_the_profile_asset_zip(page: Page, live_studio):
    live_studio.flask("seed-demo")
    sign_in(page, "designer@plume.example")
    open_media(page)
    page.get_by_role("link", name="Profile assets").click()
    expect(page.get_by_role("heading", name="Design")).to_be_visible()

    with page.expect_response(re.compile(r"/profile-assets\?")):
        page.get_by_label("Gradient", exact=True).check()
    expect(page).to_have_url(re.compile(r"background=gradient"))
    with page.expect_response(re.compile(r"/profile-assets\?")):
        page.get_by_label("Text (headers and covers)").fill("Roasted in Bristol")
    expect(page.locator("#asset-x_header")).to_be_visible()
    expect(page.locator("#asset-x_header .pa-covered img")).to_be_visible()
    expect(page.locator("#profile-summary")).to_be_visible()

    page.get_by_role("button", name="Download every platform's set (ZIP)").click()
    job = page.locator("#zip-job .job")
    expect(job).to_have_class(re.compile(r"\bfinished\b"), timeout=60_000)
    link = job.get_by_role("link", name="Download")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    archive = zipfile.ZipFile(io.BytesIO(response.body()))
    assert {"README.txt", "manifest.json"} <= set(archive.namelist())
    assert len([n for n in archive.namelist() if "/" in n]) == len(PROFILE_SPECS)
