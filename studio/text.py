"""Small text helpers."""

from __future__ import annotations

import re
import unicodedata


def slugify(value: str, max_length: int = 60) -> str:
    """Return a lowercase ASCII slug for URLs."""
    normalised = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", normalised.lower()).strip("-")
    return slug[:max_length].strip("-") or "item"
