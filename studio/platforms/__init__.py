"""Pure rules per social platform: limits, exact counting, validation and preview data.

Modules:

- :mod:`~studio.platforms.limits`: each platform's limits as data, with sources and
  per-brand overrides (:func:`rules_for`).
- :mod:`~studio.platforms.counting`: :func:`count` text as each platform counts it, and
  Bluesky facets with UTF-8 byte offsets.
- :mod:`~studio.platforms.textparse`: links, mentions, hashtags and cashtags with spans.
- :mod:`~studio.platforms.validation`: :func:`validate_variant` returns every problem.
- :mod:`~studio.platforms.preview`: segments, fold and card link for live previews.
- :mod:`~studio.platforms.media_presets`: image rendition presets.

The common names are importable from this package; they load on first use, so importing
one submodule (say ``media_presets``) does not compile the text grammars.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "PLATFORMS": "limits",
    "PlatformRules": "limits",
    "LimitSource": "limits",
    "OverrideError": "limits",
    "UnknownPlatformError": "limits",
    "limit_rows": "limits",
    "platform_slugs": "limits",
    "rules_for": "limits",
    "Count": "counting",
    "count": "counting",
    "bluesky_facets": "counting",
    "bluesky_length": "counting",
    "mastodon_length": "counting",
    "weighted_length_x": "counting",
    "with_dids": "counting",
    "Entity": "textparse",
    "entities_for": "textparse",
    "MediaInfo": "validation",
    "Problem": "validation",
    "validate_variant": "validation",
    "Fold": "preview",
    "Preview": "preview",
    "Segment": "preview",
    "card_url": "preview",
    "fold": "preview",
    "preview": "preview",
    "preview_segments": "preview",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
