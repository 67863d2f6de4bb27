"""Word-level differences between what an approver approved and what the post says now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex
from diff_match_patch import diff_match_patch
from markupsafe import Markup, escape

from studio.platforms.limits import PLATFORMS

# A word (letters, digits, marks, apostrophes inside it), a run of spaces, or one other sign.
_TOKEN = regex.compile(r"[\p{L}\p{N}\p{M}_]+(?:['\u2019][\p{L}\p{N}\p{M}_]+)*|\s+|.", regex.DOTALL)


def tokens(text: str) -> list[str]:
    """Split text into words, whitespace runs and single signs (they join back to text)."""
    return _TOKEN.findall(text)


def word_diff(before: str, after: str) -> list[tuple[int, str]]:
    """Return (op, text) pieces, op -1 deleted, 0 kept, 1 inserted, diffed word by word."""
    table: dict[str, str] = {}
    words: list[str] = []

    def encode(text: str) -> str:
        out = []
        for token in tokens(text):
            code = table.get(token)
            if code is None:
                words.append(token)
                # Private-use and higher planes: any code point works, each stands for a word.
                code = chr(0xF0000 + len(words)) if len(words) < 0xFFFF else chr(len(words))
                table[token] = code
            out.append(code)
        return "".join(out)

    a, b = encode(before), encode(after)
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 2.0
    diffs = dmp.diff_main(a, b, False)
    dmp.diff_cleanupSemantic(diffs)
    reverse = {code: word for word, code in table.items()}
    pieces: list[tuple[int, str]] = []
    for op, chars in diffs:
        text = "".join(reverse[c] for c in chars)
        if pieces and pieces[-1][0] == op:
            pieces[-1] = (op, pieces[-1][1] + text)
        else:
            pieces.append((op, text))
    return pieces


def render_diff(pieces: list[tuple[int, str]]) -> Markup:
    """Render diff pieces as escaped HTML with <ins> and <del>."""
    out = []
    for op, text in pieces:
        if op == 1:
            out.append(Markup("<ins>{}</ins>").format(text))
        elif op == -1:
            out.append(Markup("<del>{}</del>").format(text))
        else:
            out.append(escape(text))
    return Markup("").join(out)


@dataclass(frozen=True)
class FieldDiff:
    label: str
    html: Markup
    inserted: int
    deleted: int


def _effective(snap: dict[str, Any], platform: str) -> str | None:
    variant = (snap.get("variants") or {}).get(platform)
    if platform not in (snap.get("platforms") or []):
        return None
    if variant is None or variant.get("text") is None:
        return snap.get("master_text") or ""
    return variant.get("text") or ""


def _field(label: str, before: str, after: str) -> FieldDiff | None:
    if before == after:
        return None
    pieces = word_diff(before, after)
    return FieldDiff(
        label=label,
        html=render_diff(pieces),
        inserted=sum(len(t) for op, t in pieces if op == 1),
        deleted=sum(len(t) for op, t in pieces if op == -1),
    )


def _name(platform: str) -> str:
    rules = PLATFORMS.get(platform)
    return rules.name if rules else platform


def snapshot_diff(before: dict[str, Any], after: dict[str, Any]) -> list[FieldDiff]:
    """Return what a reader of the post would see change, field by field."""
    diffs: list[FieldDiff | None] = [
        _field("Caption", before.get("master_text") or "", after.get("master_text") or "")
    ]
    platforms = list(after.get("platforms") or [])
    platforms += [p for p in before.get("platforms") or [] if p not in platforms]
    for platform in platforms:
        old, new = _effective(before, platform), _effective(after, platform)
        name = _name(platform)
        if old is None and new is not None:
            diffs.append(_field(f"{name} (added)", "", new))
        elif new is None and old is not None:
            diffs.append(_field(f"{name} (removed)", old, ""))
        elif old is not None and new is not None:
            customised = any(
                ((snap.get("variants") or {}).get(platform) or {}).get("text") is not None
                for snap in (before, after)
            )
            if customised:
                diffs.append(_field(f"{name} text", old, new))
        for option in ("first_comment", "title", "link", "content_warning"):
            old_opt = ((before.get("variants") or {}).get(platform) or {}).get("options") or {}
            new_opt = ((after.get("variants") or {}).get(platform) or {}).get("options") or {}
            label = f"{name} {option.replace('_', ' ')}"
            diffs.append(
                _field(label, str(old_opt.get(option) or ""), str(new_opt.get(option) or ""))
            )
    diffs.append(_field("Link", before.get("link_url") or "", after.get("link_url") or ""))
    if (before.get("media") or []) != (after.get("media") or []):
        diffs.append(_field("Images", _media_line(before), _media_line(after)))
    return [d for d in diffs if d is not None]


def _media_line(snap: dict[str, Any]) -> str:
    items = snap.get("media") or []
    if not items:
        return "no images"
    return "; ".join(
        f"image {i + 1}" + (f" (alt: {m.get('alt_text')})" if m.get("alt_text") else "")
        for i, m in enumerate(items)
    )
