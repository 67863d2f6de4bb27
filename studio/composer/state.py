"""What the composer shows for each platform: counts, problems, voice findings, preview.

Pure: takes plain values (text, media facts, compiled voice rules, platform rules) so it
can be unit-tested and benchmarked without Flask or a database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.platforms.counting import Count, count
from studio.platforms.limits import PlatformRules
from studio.platforms.preview import Preview, card_url, preview
from studio.platforms.validation import MediaInfo, Problem, validate_variant
from studio.voice import CompiledVoice, Finding, check


@dataclass(frozen=True)
class PreviewMedia:
    """An image as the preview shows it: the platform's rendition."""

    url: str
    width: int
    height: int
    alt_text: str
    placeholder: str = ""


@dataclass(frozen=True)
class VariantInput:
    platform: str
    text: str
    customised: bool
    media: Sequence[MediaInfo] = ()
    preview_media: Sequence[PreviewMedia] = ()
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VariantView:
    platform: str
    name: str
    text: str
    customised: bool
    count: Count
    problems: list[Problem]
    findings: list[Finding]
    preview: Preview
    media: Sequence[PreviewMedia]
    card_url: str | None
    options: dict[str, Any]
    overridden: frozenset[str]

    @property
    def blocked(self) -> bool:
        return any(f.severity == "block" for f in self.findings)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def fingerprint(self) -> str:
        """Identify what the preview card shows, so unchanged cards aren't swapped."""
        parts = [
            self.text,
            repr(self.count),
            repr([(p.code, p.message) for p in self.problems]),
            repr([(f.rule, f.start, f.end, f.message) for f in self.findings]),
            repr(self.media),
            repr(sorted(self.options.items())),
        ]
        return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()


def platform_sensitive(voice: CompiledVoice) -> frozenset[str] | None:
    """Return the platforms whose voice findings differ from a platform-free check.

    None means every platform: a UTM default names the platform in its suggested link.
    """
    rules = voice.voice
    platforms: set[str] = set()
    for required in rules.required:
        platforms |= set(required.platforms)
    if rules.hashtags is not None:
        platforms |= {p for p, _ in rules.hashtags.max_per_platform}
    if rules.links is not None and any("{platform}" in v for _, v in rules.links.utm_defaults):
        return None
    return frozenset(platforms)


class VoiceChecks:
    """Voice findings per (text, platform), checking each distinct case once.

    Nine variants that share the master caption need one check, plus one per platform
    that has a rule of its own: checking every variant separately would repeat the same
    work on every keystroke.
    """

    def __init__(self, voice: CompiledVoice, tags: Sequence[str]) -> None:
        self.voice = voice
        self.tags = tuple(tags)
        self.sensitive = platform_sensitive(voice)
        self._cache: dict[tuple[str, str | None], list[Finding]] = {}

    def __call__(self, text: str, platform: str) -> list[Finding]:
        key_platform = platform if self.sensitive is None or platform in self.sensitive else None
        key = (text, key_platform)
        if key not in self._cache:
            self._cache[key] = check(text, self.voice, key_platform, self.tags)
        return self._cache[key]


def build_variant_view(
    variant: VariantInput,
    rules: PlatformRules,
    voice: CompiledVoice | VoiceChecks | None,
    *,
    tags: Sequence[str] = (),
    brand_platforms: Sequence[str] | None = None,
    require_alt_text: bool = False,
) -> VariantView:
    """Count, validate, voice-check and lay out one platform's variant."""
    options = dict(variant.options)
    content_warning = str(options.get("content_warning") or "")
    photo_post = bool(variant.media) and all(m.kind == "image" for m in variant.media)
    counted = count(
        variant.platform,
        variant.text,
        rules=rules,
        content_warning=content_warning,
        photo_post=photo_post and variant.platform == "tiktok",
    )
    problems = validate_variant(
        variant.platform,
        variant.text,
        list(variant.media),
        {
            **options,
            "brand_platforms": list(brand_platforms) if brand_platforms is not None else None,
            "require_alt_text": require_alt_text,
        },
        rules,
    )
    if voice is None:
        findings: list[Finding] = []
    elif isinstance(voice, VoiceChecks):
        findings = voice(variant.text, variant.platform)
    else:
        findings = check(variant.text, voice, variant.platform, tags)
    return VariantView(
        platform=variant.platform,
        name=rules.name,
        text=variant.text,
        customised=variant.customised,
        count=counted,
        problems=problems,
        findings=findings,
        preview=preview(variant.platform, variant.text, rules=rules),
        media=tuple(variant.preview_media),
        card_url=card_url(variant.platform, variant.text) if not variant.media else None,
        options=options,
        overridden=rules.overridden,
    )
