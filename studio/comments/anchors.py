"""Where a text anchor is now: map a range through the edits made since it was placed.

A text anchor names a field, a [start, end) range in that field as it stood at one revision,
and the text it quoted then. To show it on today's text we diff the revision's text against
the current text (diff-match-patch, cleaned up semantically so a replaced word reads as one
change) and carry both ends of the range through the diff:

- an insertion just before the start or just after the end stays outside the range,
  an insertion inside it joins it;
- a deleted end lands where the deletion was, and a replacement of the range's edge
  (a delete followed by an insert) is taken into the range;
- when less than half of the quoted characters survive, the text was deleted (unless the
  quote, long enough to be unambiguous, still appears elsewhere: then it moved).

When the revision's text no longer holds the quote at those offsets (a history that was
rewritten, or a revision that is gone), the quote is searched for near the old position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from diff_match_patch import diff_match_patch

EQUAL, DELETE, INSERT = (
    diff_match_patch.DIFF_EQUAL,
    diff_match_patch.DIFF_DELETE,
    diff_match_patch.DIFF_INSERT,
)
# A quote shorter than this is too common to be re-found elsewhere with any confidence.
MIN_MOVABLE_QUOTE = 8

State = Literal["ok", "changed", "deleted"]


@dataclass(frozen=True)
class Located:
    """An anchor on the current text: its range (None when deleted) and what it covers now."""

    state: State
    start: int | None = None
    end: int | None = None
    current: str = ""

    @property
    def deleted(self) -> bool:
        return self.state == "deleted"


def _differ() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0.5  # captions are short; a pathological pair must not stall a page
    return dmp


def diff(old: str, new: str) -> list[tuple[int, str]]:
    """Return the semantic diff of old against new."""
    dmp = _differ()
    diffs = dmp.diff_main(old, new)
    dmp.diff_cleanupSemantic(diffs)
    return diffs


def map_range(diffs: list[tuple[int, str]], start: int, end: int) -> tuple[int, int, int]:
    """Carry [start, end) of the old text through diffs; return (new start, new end, kept).

    kept counts the range's characters that are still there, unchanged.
    """
    i1 = i2 = 0
    new_start: int | None = None
    new_end: int | None = None
    kept = 0
    extend_end = False
    for op, text in diffs:
        n = len(text)
        if op == INSERT:
            if extend_end:
                new_end = i2 + n  # the range's tail was replaced: the replacement joins it
            extend_end = False
            i2 += n
            continue
        extend_end = False
        if op == EQUAL:
            if new_start is None and i1 <= start < i1 + n:
                new_start = i2 + (start - i1)
            if i1 <= end - 1 < i1 + n:
                new_end = i2 + (end - 1 - i1) + 1
            kept += max(0, min(end, i1 + n) - max(start, i1))
            i2 += n
        else:  # DELETE
            if new_start is None and i1 <= start < i1 + n:
                new_start = i2  # where the deleted text was; a replacement follows it
            if i1 <= end - 1 < i1 + n:
                new_end = i2
                extend_end = True
        i1 += n
    if new_start is None:  # the range began at or past the old text's end
        new_start = i2
    if new_end is None:
        new_end = new_start
    return new_start, max(new_start, new_end), kept


def find_nearest(text: str, quote: str, near: int) -> int | None:
    """Return the start of the occurrence of quote in text closest to near, or None."""
    if not quote:
        return None
    best: int | None = None
    index = text.find(quote)
    while index != -1:
        if best is None or abs(index - near) < abs(best - near):
            best = index
        index = text.find(quote, index + 1)
    return best


def _found(text: str, quote: str, near: int) -> Located | None:
    index = find_nearest(text, quote, near)
    if index is None:
        return None
    return Located("ok", index, index + len(quote), quote)


def locate(
    old: str | None,
    new: str | None,
    start: int,
    end: int,
    quote: str,
    diffs: list[tuple[int, str]] | None = None,
) -> Located:
    """Return where the range [start, end) of old, which quoted `quote`, is in new.

    diffs, when given, is diff(old, new) already computed (several anchors share one).
    """
    if new is None:
        return Located("deleted")  # the field itself is gone (a variant reset to the caption)
    if old is None or old[start:end] != quote:
        # We can't trust the base text: look for the words themselves.
        return _found(new, quote, start) or Located("deleted")
    if old == new:
        return Located("ok", start, end, quote)
    new_start, new_end, kept = map_range(diffs if diffs is not None else diff(old, new), start, end)
    current = new[new_start:new_end]
    if current == quote:
        return Located("ok", new_start, new_end, current)
    if kept * 2 < len(quote):
        moved = _found(new, quote, new_start) if len(quote) >= MIN_MOVABLE_QUOTE else None
        return moved or Located("deleted")
    return Located("changed", new_start, new_end, current)
