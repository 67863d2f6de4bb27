"""Time platform counting, validation and preview data on a 1,500-character caption.

Run: ``.venv/bin/python bench/bench_counting.py``. Prints the median and p95 per call,
cold (caches cleared before every call, as for a caption the server has not seen) and
warm, with a baseline measured in the same process: ``len(unicodedata.normalize(...))``
on the same text, the cheapest honest "count". Then the bad-input texts from the issue.
"""

from __future__ import annotations

import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.platforms import counting, preview, textparse
from studio.platforms.limits import PLATFORMS, rules_for
from studio.platforms.validation import MediaInfo, validate_variant

CAPTION = (
    (
        "Our spring menu is here \U0001f338 Try the caf\u00e9 cr\u00e8me br\u00fbl\u00e9e at "
        "https://example.com/menu?utm_source=plume&utm_medium=social #spring #food @chefann "
        "\u2014 \u65e5\u672c\u8a9e\u3082\u3002 $ACME \U0001f468\u200d\U0001f469\u200d\U0001f467 "
    )
    * 20
)[:1500]
MEDIA = [MediaInfo("image", 1080, 1350, 450_000, "image/jpeg", "A plate", "instagram_portrait")] * 4
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
BAD = {
    "100k mixed caption": (CAPTION * 70)[:100_000],
    "100k ascii words": ("hello world. " * 7700)[:100_000],
    "100k CJK": ("\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8" * 12500)[:100_000],
    "only ZWJ emoji": FAMILY * 9000,
    "RTL + mixed": (
        "\u05e9\u05dc\u05d5\u05dd \u202bmixed\u202c https://example.com/\u05e2 " * 2500
    )[:100_000],
    "combining marks": "e" + "\u0301" * 99_999,
    "zero-width": "\u200b\u200c\u200d\ufeff" * 25_000,
    "malformed URLs": ("http:// https://.com http://[::1 www..com a.b..c " * 2500)[:100_000],
    "dotted CJK + .com": "\u65e5\u672c\u8a9e.\u30c6\u30ad\u30b9\u30c8" * 11000 + ".com",
}


def clear_caches() -> None:
    for module in (textparse, counting, preview):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def timed(fn: Callable[[], object], runs: int, *, cold: bool) -> list[float]:
    samples = []
    for _ in range(runs):
        if cold:
            clear_caches()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e3, ordered[int(len(ordered) * 0.95) - 1] * 1e3


def row(label: str, samples: list[float], baseline_ms: float) -> None:
    median, p95 = summary(samples)
    print(
        f"  {label:28} median {median:8.3f} ms   p95 {p95:8.3f} ms   x{median / baseline_ms:8.1f}"
    )


def main() -> None:
    runs = 200
    baseline = timed(lambda: len(unicodedata.normalize("NFC", CAPTION)), runs, cold=False)
    baseline_ms = summary(baseline)[0]
    print(f"caption: {len(CAPTION)} characters, {runs} runs each")
    print(f"baseline len(NFC(text)): median {baseline_ms * 1e3:.1f} us  (ratios below use it)")

    print("count(platform, caption), cold caches:")
    for slug in PLATFORMS:
        row(slug, timed(lambda s=slug: counting.count(s, CAPTION), runs, cold=True), baseline_ms)
    print("count, all 10 platforms back to back:")
    every = lambda: [counting.count(s, CAPTION) for s in PLATFORMS]  # noqa: E731
    row("cold (first sight)", timed(every, runs, cold=True), baseline_ms)
    row("warm (shared parse cached)", timed(every, runs, cold=False), baseline_ms)

    rules = {s: rules_for(s) for s in PLATFORMS}
    options = {"require_alt_text": True, "title": "Spring menu", "brand_platforms": list(PLATFORMS)}

    def validate_all() -> None:
        for s in PLATFORMS:
            validate_variant(s, CAPTION, MEDIA, options, rules[s])

    def preview_all() -> None:
        for s in PLATFORMS:
            preview.preview(s, CAPTION)

    print("validate_variant + preview, 10 platforms, 4 images:")
    row("validate, cold", timed(validate_all, runs, cold=True), baseline_ms)
    row("validate, warm", timed(validate_all, runs, cold=False), baseline_ms)
    row("preview, cold", timed(preview_all, runs, cold=True), baseline_ms)
    row("preview, warm", timed(preview_all, runs, cold=False), baseline_ms)

    def keystroke() -> None:
        for s in PLATFORMS:
            counting.count(s, CAPTION)
            validate_variant(s, CAPTION, MEDIA, options, rules[s])
            preview.preview(s, CAPTION)

    print("one keystroke (new text): count + validate + preview on all 10 platforms:")
    row("cold", timed(keystroke, runs, cold=True), baseline_ms)
    print("bluesky_facets:")
    row("cold", timed(lambda: counting.bluesky_facets(CAPTION), runs, cold=True), baseline_ms)

    print("bad input (each: count on all 10 platforms + validate + preview, cold, 3 runs):")
    for label, text in BAD.items():

        def everything(text: str = text) -> None:
            for s in PLATFORMS:
                counting.count(s, text)
                validate_variant(s, text, MEDIA, options, rules[s])
                preview.preview(s, text)

        median, worst = summary(timed(everything, 3, cold=True))
        print(f"  {label:28} median {median:8.1f} ms   worst {max(worst, median):8.1f} ms")


if __name__ == "__main__":
    main()
