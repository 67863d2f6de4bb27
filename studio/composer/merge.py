"""Three-way merge of post edits: both people's changes survive unless they overlap.

Text fields: each side's edits are computed against the common base as regions of the
base text (delete, insert or replace). Regions from the two sides that overlap, or two
different insertions at the same point, are a conflict; otherwise every region is applied.
Identical edits made by both sides count once. Sets (platforms, labels, tags) merge by
what each side added and removed; ordered lists (media) and plain values merge when only
one side changed them. Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from diff_match_patch import diff_match_patch

_DMP = diff_match_patch()
_DMP.Diff_Timeout = 0.5  # seconds; long texts still diff quickly enough for a save


@dataclass(frozen=True, order=True)
class Region:
    """Replace base[start:end] with text (start == end: an insertion)."""

    start: int
    end: int
    text: str


def edit_regions(base: str, other: str) -> list[Region]:
    """Return the regions of base that other changed, in order."""
    diffs = _DMP.diff_main(base, other)
    _DMP.diff_cleanupSemantic(diffs)
    regions: list[Region] = []
    pos = 0
    pending: Region | None = None
    for op, chunk in diffs:
        if op == 0:
            if pending is not None:
                regions.append(pending)
                pending = None
            pos += len(chunk)
        elif op == -1:
            if pending is None:
                pending = Region(pos, pos + len(chunk), "")
            else:
                pending = Region(pending.start, pos + len(chunk), pending.text)
            pos += len(chunk)
        else:
            if pending is None:
                pending = Region(pos, pos, chunk)
            else:
                pending = Region(pending.start, pending.end, pending.text + chunk)
    if pending is not None:
        regions.append(pending)
    return regions


def _overlap(a: Region, b: Region) -> bool:
    if a == b:
        return False
    if a.start == a.end and b.start == b.end:
        return a.start == b.start  # two different insertions at one point: order unknown
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


@dataclass(frozen=True)
class TextMerge:
    text: str | None  # None when the edits overlap
    conflict: bool
    overlaps: list[tuple[Region, Region]] = field(default_factory=list)


def merge_text(base: str, mine: str, theirs: str) -> TextMerge:
    """Merge two edits of base; keep both where they touch different parts."""
    if mine in (theirs, base):
        return TextMerge(theirs, False)
    if theirs == base:
        return TextMerge(mine, False)
    my_regions = edit_regions(base, mine)
    their_regions = edit_regions(base, theirs)
    overlaps = [(a, b) for a in my_regions for b in their_regions if _overlap(a, b)]
    if overlaps:
        return TextMerge(None, True, overlaps)
    regions = sorted(
        set(my_regions) | set(their_regions), key=lambda r: (r.start, r.end != r.start, r.end)
    )
    out: list[str] = []
    pos = 0
    for region in regions:
        out.append(base[pos : region.start])
        out.append(region.text)
        pos = max(pos, region.end)
    out.append(base[pos:])
    return TextMerge("".join(out), False)


def merge_set(base: list[str], mine: list[str], theirs: list[str]) -> list[str]:
    """Apply both sides' additions and removals; keep theirs' order, then new items of mine."""
    added = [x for x in mine if x not in base]
    removed = {x for x in base if x not in mine}
    result = [x for x in theirs if x not in removed]
    result += [x for x in added if x not in result]
    return result


def merge_value(base: Any, mine: Any, theirs: Any) -> tuple[Any, bool]:
    """Return (value, conflict) for a value only one side may change."""
    if mine in (theirs, base):
        return theirs, False
    if theirs == base:
        return mine, False
    return theirs, True


TEXT_FIELDS = ("title", "master_text", "campaign", "link_url")
SET_FIELDS = ("platforms", "labels", "tags")
VALUE_FIELDS = ("media",)


@dataclass
class SnapshotMerge:
    merged: dict[str, Any]
    conflicts: list[str]
    merged_fields: list[str]  # fields where both sides' edits were combined


def merge_snapshots(
    base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]
) -> SnapshotMerge:
    """Merge two snapshots of a post made from a common base (see module docstring)."""
    merged: dict[str, Any] = {}
    conflicts: list[str] = []
    combined: list[str] = []

    def text(name: str, b: str | None, m: str | None, t: str | None) -> str | None:
        if m is None or t is None or b is None:
            value, clash = merge_value(b, m, t)
            if clash:
                conflicts.append(name)
            return value
        result = merge_text(b, m, t)
        if result.conflict:
            conflicts.append(name)
            return t
        if m != b and t != b and m != t:
            combined.append(name)
        return result.text

    for name in TEXT_FIELDS:
        merged[name] = text(name, base.get(name, ""), mine.get(name, ""), theirs.get(name, ""))
    for name in SET_FIELDS:
        merged[name] = merge_set(base.get(name, []), mine.get(name, []), theirs.get(name, []))
    for name in VALUE_FIELDS:
        value, clash = merge_value(base.get(name), mine.get(name), theirs.get(name))
        merged[name] = value
        if clash:
            conflicts.append(name)

    variants: dict[str, Any] = {}
    names = (
        set(base.get("variants", {}))
        | set(mine.get("variants", {}))
        | set(theirs.get("variants", {}))
    )
    for platform in sorted(names):
        b = base.get("variants", {}).get(platform, {})
        m = mine.get("variants", {}).get(platform, b)
        t = theirs.get("variants", {}).get(platform, b)
        entry = {
            "text": text(f"variants.{platform}.text", b.get("text"), m.get("text"), t.get("text")),
        }
        options: dict[str, Any] = {}
        for key in (
            set(b.get("options", {})) | set(m.get("options", {})) | set(t.get("options", {}))
        ):
            ob, om, ot = (x.get("options", {}).get(key, "") for x in (b, m, t))
            options[key] = text(f"variants.{platform}.options.{key}", ob, om, ot)
        entry["options"] = options
        media, clash = merge_value(b.get("media"), m.get("media"), t.get("media"))
        if clash:
            conflicts.append(f"variants.{platform}.media")
        entry["media"] = media
        variants[platform] = entry
    merged["variants"] = variants
    return SnapshotMerge(merged, conflicts, combined)
