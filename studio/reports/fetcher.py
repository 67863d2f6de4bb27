"""The only way WeasyPrint may load anything while rendering a report.

WeasyPrint fetches every stylesheet, font and image through a URL fetcher. Plume's fetcher
serves exactly three things and refuses the rest (no network, no other files):

- ``file://`` URLs of regular files inside the app's own ``static/`` folder (the report's
  print stylesheet); anything that resolves elsewhere, symlinks included, is refused;
- ``plume://asset/<n>`` URLs registered for this one render: the brand kit's fonts and
  logo and the downscaled post images, read from blob storage by the render itself, so a
  report can never reach another brand's files;
- nothing else: ``http(s)``, ``ftp``, ``data:``, other ``file://`` paths, unregistered
  ``plume://`` names are refused and recorded in :attr:`ReportFetcher.refused`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from PIL import ImageFile
from weasyprint.urls import URLFetcher, URLFetcherResponse

from studio.config import PROJECT_ROOT

# Importing WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process. The
# media library relies on truncated uploads being refused (studio.imaging), so switch it
# back off: reports only ever embed Plume's own complete renditions.
ImageFile.LOAD_TRUNCATED_IMAGES = False

STATIC_ROOT = PROJECT_ROOT / "static"
ASSET_PREFIX = "plume://asset/"
_TYPES = {
    ".css": "text/css",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
}


class FetchRefused(ValueError):
    """A URL the report may not load."""


@dataclass
class _Asset:
    loader: Callable[[], bytes]
    mimetype: str
    name: str


def base_url() -> str:
    """Return the explicit base URL of report HTML: the app's static folder."""
    return STATIC_ROOT.resolve().as_uri() + "/"


class ReportFetcher(URLFetcher):
    """Serve the app's static files and this render's registered assets; refuse the rest."""

    def __init__(self, static_root: Path | None = None) -> None:
        super().__init__(timeout=1, allowed_protocols=("file", "plume"), allow_redirects=False)
        self.static_root = (static_root or STATIC_ROOT).resolve()
        self._assets: dict[str, _Asset] = {}
        self.served: list[str] = []
        self.refused: list[tuple[str, str]] = []

    # -- registration ---------------------------------------------------------------------

    def register(self, loader: Callable[[], bytes], mimetype: str, name: str = "") -> str:
        """Make ``loader()``'s bytes available to this render; return the URL to use."""
        ext = {"image/png": ".png", "image/jpeg": ".jpg"}.get(mimetype, "")
        url = f"{ASSET_PREFIX}{len(self._assets) + 1}{ext}"
        self._assets[url] = _Asset(loader, mimetype, name or url)
        return url

    # -- fetching -------------------------------------------------------------------------

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        try:
            data, mimetype = self._resolve(url)
        except FetchRefused as exc:
            self.refused.append((url[:300], str(exc)))
            raise
        self.served.append(url)
        return URLFetcherResponse(url, data, {"Content-Type": mimetype})

    def open(self, url: object, data: object = None, timeout: object = None) -> URLFetcherResponse:
        # WeasyPrint's own opener path (redirects, handlers) is never used.
        return self.fetch(str(getattr(url, "full_url", url)))

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)

    def _resolve(self, url: str) -> tuple[bytes, str]:
        if not isinstance(url, str) or len(url) > 2000:
            raise FetchRefused("not a usable URL")
        if url.startswith(ASSET_PREFIX):
            asset = self._assets.get(url)
            if asset is None:
                raise FetchRefused("not one of this report's files")
            return asset.loader(), asset.mimetype
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise FetchRefused(f"{parts.scheme or 'relative'} URLs are not loaded in reports")
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused("file URLs on other hosts are not loaded")
        path = Path(unquote(parts.path))
        try:
            real = Path(os.path.realpath(path))
        except (OSError, ValueError):
            raise FetchRefused("not a readable path") from None
        if not real.is_relative_to(self.static_root) or not real.is_file():
            raise FetchRefused("only the app's static files are loaded")
        mimetype = _TYPES.get(real.suffix.lower())
        if mimetype is None:
            raise FetchRefused("not a stylesheet, font or image")
        return real.read_bytes(), mimetype
