"""Demo media: a few generated, photo-like pictures in each demo brand's library."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from studio.assets.operations import add_media, set_focal, update_details
from studio.colour import hex_to_rgb
from studio.models import Brand, Role, User, Workspace

# (file name, alt text, tags, focal point, scene) per picture; colours come from the brand.
DEMO_PICTURES: list[tuple[str, str, list[str], tuple[float, float], str]] = [
    (
        "window-light.jpg",
        "Soft morning light across a table, with a round cup in the lower right.",
        ["product", "lifestyle"],
        (0.72, 0.66),
        "cup",
    ),
    (
        "city-at-dusk.jpg",
        "Rows of lit windows in tall buildings against an orange dusk sky.",
        ["place", "evening"],
        (0.35, 0.45),
        "city",
    ),
    (
        "hills.jpg",
        "Layered green hills under a pale sky with a low sun on the left.",
        ["place", "landscape"],
        (0.22, 0.3),
        "hills",
    ),
    (
        "portrait-wall.jpg",
        "A figure standing against a painted wall in the brand colour.",
        ["people", "team"],
        (0.5, 0.38),
        "figure",
    ),
]


def _sky(
    size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size, Image.Resampling.BICUBIC)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), ramp)


def _grain(im: Image.Image, seed: int) -> Image.Image:
    # Sensor-like noise, so the pictures compress like photos rather than flat art.
    random.seed(seed)
    noise = Image.effect_noise(im.size, 18).convert("RGB")
    # effect_noise is centred on 128, so take 128 back off.
    return ImageChops.add(im, noise, 1.0, -128)


def picture(scene: str, colour: str, size: tuple[int, int] = (2400, 1600), seed: int = 0) -> bytes:
    """Return a JPEG of a simple photo-like scene tinted with the brand colour."""
    w, h = size
    brand = hex_to_rgb(colour)
    if scene == "city":
        im = _sky(size, (40, 40, 80), (240, 140, 60))
        draw = ImageDraw.Draw(im)
        rng = random.Random(seed)
        x = 0
        while x < w:
            bw, bh = rng.randint(w // 14, w // 7), rng.randint(h // 3, int(h * 0.85))
            draw.rectangle((x, h - bh, x + bw, h), fill=(25, 25, 40))
            for wy in range(h - bh + 20, h - 20, 48):
                for wx in range(x + 14, x + bw - 14, 36):
                    if rng.random() < 0.55:
                        draw.rectangle((wx, wy, wx + 16, wy + 24), fill=(255, 214, 140))
            x += bw + rng.randint(4, 30)
    elif scene == "hills":
        im = _sky(size, (200, 220, 240), (250, 245, 230))
        draw = ImageDraw.Draw(im)
        draw.ellipse(
            (int(w * 0.15), int(h * 0.2), int(w * 0.29), int(h * 0.41)), fill=(255, 240, 200)
        )
        for i, shade in enumerate(((120, 160, 110), (80, 130, 80), (50, 100, 60))):
            top = int(h * (0.45 + 0.15 * i))
            points = (
                [(0, h)]
                + [
                    (x, top + int(60 * ((x / w * (3 + i)) % 1 - 0.5) ** 2 * 4))
                    for x in range(0, w + 1, w // 24)
                ]
                + [(w, h)]
            )
            draw.polygon(points, fill=shade)
    elif scene == "figure":
        im = Image.new("RGB", size, brand)
        draw = ImageDraw.Draw(im)
        cx = w // 2
        draw.ellipse(
            (cx - w // 16, int(h * 0.22), cx + w // 16, int(h * 0.22) + w // 8),
            fill=(224, 180, 150),
        )
        draw.rounded_rectangle(
            (cx - w // 8, int(h * 0.45), cx + w // 8, h + 40), radius=w // 20, fill=(40, 50, 70)
        )
        draw.rectangle((0, int(h * 0.9), w, h), fill=(60, 50, 45))
    else:  # a cup on a table by a window
        im = _sky(size, (250, 240, 225), (205, 180, 150))
        draw = ImageDraw.Draw(im)
        draw.rectangle((0, int(h * 0.62), w, h), fill=(150, 110, 80))
        cx, cy, r = int(w * 0.72), int(h * 0.66), w // 10
        draw.ellipse((cx - r, cy - r // 2, cx + r, cy + r // 2), fill=brand)
        draw.ellipse(
            (cx - int(r * 0.8), cy - r // 3, cx + int(r * 0.8), cy + r // 3), fill=(70, 40, 25)
        )
    im = im.filter(ImageFilter.GaussianBlur(1.2))
    im = _grain(im, seed)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def load_demo_media(workspace: Workspace, brands: list[Brand], users: dict[Role, User]) -> None:
    """Add a few pictures to each demo brand's library, with alt text, tags and focal points."""
    designer = users.get(Role.DESIGNER)
    for b_index, brand in enumerate(brands):
        for p_index, (name, alt, tags, focal, scene) in enumerate(DEMO_PICTURES):
            data = picture(scene, brand.colour, seed=b_index * 10 + p_index)
            item = add_media(brand, data, name, designer).item
            update_details(item, alt, tags)
            set_focal(item, *focal)
