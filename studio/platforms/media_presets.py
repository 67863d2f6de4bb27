"""Per-platform image targets as data: feed rendition presets and profile-asset specs.

Facts come from ``PLATFORMS.md`` (checked 2026-11). Every entry names its source and the
date it was checked, because platforms change these numbers often; a channel may override
an entry with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd
from typing import Literal

CHECKED = "2026-11"
_PLATFORMS_MD = "PLATFORMS.md feed image presets"


@dataclass(frozen=True)
class Preset:
    """A feed-image rendition target for one platform."""

    id: str
    platform: str
    label: str
    width: int
    height: int
    format: str = "JPEG"
    quality: int = 85
    max_bytes: int | None = None
    source: str = _PLATFORMS_MD
    checked: str = CHECKED
    # The platform plays animated GIFs, so an animated source may keep its frames.
    takes_gif: bool = False

    @property
    def aspect(self) -> float:
        """Return width / height."""
        return self.width / self.height

    @property
    def aspect_label(self) -> str:
        """Return the aspect as a short ratio such as ``"4:5"`` or ``"1.91:1"``."""
        d = gcd(self.width, self.height)
        w, h = self.width // d, self.height // d
        if w <= 32 and h <= 32:
            return f"{w}:{h}"
        return f"{self.width / self.height:.2f}:1".replace(".00:", ":")


MB = 1_000_000  # Platforms' "MB" caps are treated as decimal: the conservative reading.

_PRESET_LIST: tuple[Preset, ...] = (
    Preset("instagram_square", "instagram", "Instagram square", 1080, 1080, max_bytes=8 * MB),
    Preset("instagram_portrait", "instagram", "Instagram portrait", 1080, 1350, max_bytes=8 * MB),
    Preset("instagram_landscape", "instagram", "Instagram landscape", 1080, 566, max_bytes=8 * MB),
    Preset("instagram_story", "instagram", "Instagram story", 1080, 1920, max_bytes=8 * MB),
    Preset("x_single", "x", "X single image", 1600, 900, max_bytes=5 * MB, takes_gif=True),
    Preset("facebook_feed", "facebook", "Facebook link / feed image", 1200, 630, max_bytes=4 * MB),
    Preset("linkedin_feed", "linkedin", "LinkedIn link / feed image", 1200, 627, max_bytes=8 * MB),
    Preset("threads_portrait", "threads", "Threads portrait", 1080, 1350, max_bytes=8 * MB),
    Preset(
        "pinterest_pin",
        "pinterest",
        "Pinterest standard pin",
        1000,
        1500,
        max_bytes=20 * MB,
        source="PLATFORMS.md feed presets; byte cap from Pinterest help (20 MB)",
    ),
    Preset("tiktok_photo", "tiktok", "TikTok photo", 1080, 1920, max_bytes=20 * MB),
    Preset(
        "youtube_thumbnail",
        "youtube",
        "YouTube thumbnail",
        1280,
        720,
        max_bytes=2 * MB,
        source="PLATFORMS.md feed presets; 2 MB cap from YouTube Help (custom thumbnails)",
    ),
    # Bluesky keeps images at up to 2000 px on the long side; the byte cap is the hard rule.
    Preset(
        "bluesky_landscape",
        "bluesky",
        "Bluesky landscape",
        2000,
        1125,
        quality=82,
        max_bytes=2_000_000,
        source="atproto app.bsky.embed.images (blob maxSize 2,000,000; older clients 1,000,000)",
    ),
    Preset(
        "bluesky_portrait",
        "bluesky",
        "Bluesky portrait",
        1600,
        2000,
        quality=82,
        max_bytes=2_000_000,
        source="atproto app.bsky.embed.images (blob maxSize 2,000,000; older clients 1,000,000)",
    ),
    Preset(
        "bluesky_square",
        "bluesky",
        "Bluesky square",
        2000,
        2000,
        quality=82,
        max_bytes=2_000_000,
        source="atproto app.bsky.embed.images (blob maxSize 2,000,000; older clients 1,000,000)",
    ),
    Preset(
        "mastodon_landscape",
        "mastodon",
        "Mastodon landscape",
        1920,
        1080,
        max_bytes=16 * MB,
        source="PLATFORMS.md media per post (16 MB typical; server-specific)",
        takes_gif=True,
    ),
    Preset(
        "mastodon_portrait",
        "mastodon",
        "Mastodon portrait",
        1080,
        1350,
        max_bytes=16 * MB,
        source="PLATFORMS.md media per post (16 MB typical; server-specific)",
        takes_gif=True,
    ),
)

PRESETS: dict[str, Preset] = {p.id: p for p in _PRESET_LIST}


def presets_for(platform: str) -> list[Preset]:
    """Return the feed presets for ``platform`` (e.g. ``"instagram"``), in display order."""
    key = platform.lower()
    return [p for p in _PRESET_LIST if p.platform == key]


def platforms() -> list[str]:
    """Return the platforms that have feed presets, in display order."""
    return list(dict.fromkeys(p.platform for p in _PRESET_LIST))


# ---------------------------------------------------------------------------------------
# Profile assets
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """A rectangle in a spec's own pixels: left, top, width, height."""

    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        """Return the x just past the right edge."""
        return self.left + self.width

    @property
    def bottom(self) -> int:
        """Return the y just past the bottom edge."""
        return self.top + self.height

    def contains(self, other: Box) -> bool:
        """Return whether ``other`` lies entirely inside this box."""
        return (
            self.left <= other.left
            and self.top <= other.top
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def intersects(self, other: Box) -> bool:
        """Return whether the two boxes overlap."""
        return not (
            other.right <= self.left
            or other.left >= self.right
            or other.bottom <= self.top
            or other.top >= self.bottom
        )

    def as_dict(self) -> dict[str, int]:
        """Return plain data for templates and JSON."""
        return {"left": self.left, "top": self.top, "width": self.width, "height": self.height}


@dataclass(frozen=True)
class View:
    """How a platform shows part of an asset on one kind of screen (desktop, mobile, TV)."""

    name: str
    box: Box


AssetKind = Literal["avatar", "header"]
Shape = Literal["circle", "square", "rounded", "rect"]


@dataclass(frozen=True)
class ProfileAssetSpec:
    """A profile picture or header/cover target for one platform."""

    id: str
    platform: str
    kind: AssetKind
    label: str
    width: int
    height: int
    shape: Shape
    formats: tuple[str, ...] = ("PNG", "JPEG")  # preferred first
    max_bytes: int | None = None
    # Where content is visible on every screen; logos and text belong inside it.
    safe_area: Box | None = None
    # The crops the platform shows on particular screens (all inside the canvas).
    views: tuple[View, ...] = ()
    # Part of a header covered by the profile picture (X's avatar over the lower left).
    covered: Box | None = None
    min_upload: tuple[int, int] | None = None
    notes: str = ""
    source: str = "PLATFORMS.md profile assets"
    checked: str = CHECKED

    @property
    def aspect(self) -> float:
        """Return width / height."""
        return self.width / self.height


def _centred(width: int, height: int, inner_w: int, inner_h: int) -> Box:
    return Box((width - inner_w) // 2, (height - inner_h) // 2, inner_w, inner_h)


_PROFILE_LIST: tuple[ProfileAssetSpec, ...] = (
    ProfileAssetSpec("x_avatar", "x", "avatar", "X profile photo", 400, 400, "circle"),
    ProfileAssetSpec(
        "x_header",
        "x",
        "header",
        "X header",
        1500,
        500,
        "rect",
        max_bytes=5 * MB,
        # Phones trim a strip off the top and bottom of the 3:1 header.
        safe_area=Box(0, 60, 1500, 380),
        views=(View("desktop", Box(0, 0, 1500, 500)), View("mobile", Box(0, 60, 1500, 380))),
        # The avatar (about 134 px over a 600 px-wide header on the web) sits over the lower
        # left, half on the header: in header pixels roughly x 40-375, y 333-500.
        covered=Box(40, 333, 335, 167),
        notes="The profile photo overlaps the header's lower left.",
    ),
    ProfileAssetSpec(
        "linkedin_avatar", "linkedin", "avatar", "LinkedIn profile photo", 400, 400, "circle"
    ),
    ProfileAssetSpec(
        "linkedin_header",
        "linkedin",
        "header",
        "LinkedIn personal background",
        1584,
        396,
        "rect",
        max_bytes=8 * MB,
        # The round photo covers the left of the lower half on desktop.
        covered=Box(60, 200, 320, 196),
        safe_area=Box(400, 0, 1184, 396),
        views=(View("desktop", Box(0, 0, 1584, 396)),),
        notes="The profile photo covers part of the lower left.",
    ),
    ProfileAssetSpec(
        "linkedin_company_logo", "linkedin", "avatar", "LinkedIn company logo", 300, 300, "square"
    ),
    ProfileAssetSpec(
        "linkedin_company_cover",
        "linkedin",
        "header",
        "LinkedIn company cover",
        1128,
        191,
        "rect",
        max_bytes=8 * MB,
        views=(View("desktop", Box(0, 0, 1128, 191)),),
    ),
    ProfileAssetSpec(
        "facebook_avatar",
        "facebook",
        "avatar",
        "Facebook profile picture",
        360,
        360,
        "circle",
        min_upload=(180, 180),
        notes="Upload at least 180x180; shown at 170x170 as a circle. Guides disagree: editable.",
    ),
    ProfileAssetSpec(
        "facebook_cover",
        "facebook",
        "header",
        "Facebook cover",
        # 2x of 820x360: desktop shows a 820x312 band, mobile a 640x360 window; this canvas
        # holds both crops so one file serves both.
        1640,
        720,
        "rect",
        formats=("JPEG", "PNG"),
        safe_area=Box(180, 48, 1280, 624),
        views=(View("desktop", Box(0, 48, 1640, 624)), View("mobile", Box(180, 0, 1280, 720))),
        notes="Desktop 820x312 and mobile 640x360 crops (guides also say 851x315); "
        "keep content inside both.",
    ),
    ProfileAssetSpec(
        "instagram_avatar", "instagram", "avatar", "Instagram profile photo", 320, 320, "circle"
    ),
    ProfileAssetSpec(
        "threads_avatar", "threads", "avatar", "Threads profile photo", 320, 320, "circle"
    ),
    ProfileAssetSpec(
        "tiktok_avatar", "tiktok", "avatar", "TikTok profile photo", 200, 200, "circle"
    ),
    ProfileAssetSpec(
        "youtube_avatar", "youtube", "avatar", "YouTube profile picture", 800, 800, "circle"
    ),
    ProfileAssetSpec(
        "youtube_banner",
        "youtube",
        "header",
        "YouTube banner",
        2560,
        1440,
        "rect",
        formats=("JPEG", "PNG"),
        max_bytes=6 * MB,
        safe_area=_centred(2560, 1440, 1546, 423),
        views=(
            View("tv", Box(0, 0, 2560, 1440)),
            View("desktop", _centred(2560, 1440, 2560, 423)),
            View("tablet", _centred(2560, 1440, 1855, 423)),
            View("mobile", _centred(2560, 1440, 1546, 423)),
        ),
        notes="TV shows it all; mobile only the 1546x423 safe area. 6 MB cap from YouTube Help.",
    ),
    ProfileAssetSpec(
        "pinterest_avatar", "pinterest", "avatar", "Pinterest profile picture", 165, 165, "circle"
    ),
    ProfileAssetSpec(
        "pinterest_board_cover",
        "pinterest",
        "header",
        "Pinterest board cover",
        600,
        600,
        "square",
    ),
    ProfileAssetSpec(
        "bluesky_avatar",
        "bluesky",
        "avatar",
        "Bluesky avatar",
        1000,
        1000,
        "circle",
        max_bytes=1_000_000,
        source="atproto app.bsky.actor.profile (avatar blob maxSize 1,000,000)",
    ),
    ProfileAssetSpec(
        "bluesky_banner",
        "bluesky",
        "header",
        "Bluesky banner",
        1500,
        500,
        "rect",
        max_bytes=1_000_000,
        covered=Box(30, 350, 270, 150),
        views=(View("desktop", Box(0, 0, 1500, 500)),),
        notes="The avatar overlaps the banner's lower left.",
        source="atproto app.bsky.actor.profile (banner blob maxSize 1,000,000, 3:1)",
    ),
    ProfileAssetSpec(
        "mastodon_avatar",
        "mastodon",
        "avatar",
        "Mastodon avatar",
        400,
        400,
        "rounded",
        max_bytes=8 * MB,
        source="mastodon app/models/concerns/account/avatar.rb",
    ),
    ProfileAssetSpec(
        "mastodon_header",
        "mastodon",
        "header",
        "Mastodon header",
        1500,
        500,
        "rect",
        max_bytes=2 * MB,
        views=(View("desktop", Box(0, 0, 1500, 500)),),
        source="mastodon app/models/concerns/account/header.rb (<= 750,000 px, 2 MB)",
    ),
)

PROFILE_SPECS: dict[str, ProfileAssetSpec] = {s.id: s for s in _PROFILE_LIST}


def profile_specs_for(platform: str) -> list[ProfileAssetSpec]:
    """Return the avatar and header specs for ``platform``, avatar first."""
    key = platform.lower()
    return [s for s in _PROFILE_LIST if s.platform == key]
