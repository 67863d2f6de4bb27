"""Revision history: grouping autosaves, word-level diffs between any two revisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import regex
from diff_match_patch import diff_match_patch

from studio.models import PostRevision

# Consecutive autosaves by one person within this window read as one step in the history.
SQUASH_WINDOW = timedelta(minutes=2)
_WORD = regex.compile(r"\s+|[\p{L}\p{M}\p{N}_'\u2019#@]+|.", regex.V1)


@dataclass
class HistoryEntry:
    first: PostRevision
    last: PostRevision
    count: int
    fields: list[str]

    @property
    def number(self) -> int:
        return self.last.number


def group(revisions: list[PostRevision]) -> list[HistoryEntry]:
    """Group newest-first revisions: a person's run of plain saves becomes one entry."""
    entries: list[HistoryEntry] = []
    for row in revisions:
        current = entries[-1] if entries else None
        if (
            current is not None
            and row.kind == "save"
            and current.first.kind == "save"
            and row.author_id == current.first.author_id
            and current.first.created_at - row.created_at <= SQUASH_WINDOW
        ):
            current.first = row
            current.count += 1
            current.fields = sorted(set(current.fields) | set(row.fields))
        else:
            entries.append(HistoryEntry(row, row, 1, sorted(row.fields)))
    return entries


@dataclass(frozen=True)
class DiffPart:
    op: str  # "equal" | "insert" | "delete"
    text: str


def word_diff(old: str, new: str) -> list[DiffPart]:
    """Diff two texts word by word (whitespace and punctuation are their own tokens)."""
    dmp = diff_match_patch()
    tokens: dict[str, str] = {}
    reverse: list[str] = []

    def encode(text: str) -> str:
        out = []
        for token in _WORD.findall(text):
            if token not in tokens:
                tokens[token] = (
                    chr(0xE000 + len(reverse))
                    if len(reverse) < 6400
                    else chr(0x10000 + len(reverse))
                )
                reverse.append(token)
            out.append(tokens[token])
        return "".join(out)

    a, b = encode(old or ""), encode(new or "")
    diffs = dmp.diff_main(a, b, False)
    dmp.diff_cleanupSemantic(diffs)
    names = {0: "equal", 1: "insert", -1: "delete"}
    index = {ch: tok for tok, ch in tokens.items()}
    return [DiffPart(names[op], "".join(index[ch] for ch in chunk)) for op, chunk in diffs]


def field_texts(snapshot: dict[str, Any]) -> dict[str, str]:
    """Return the text fields of a snapshot with readable names."""
    texts = {"Post name": snapshot.get("title", ""), "Caption": snapshot.get("master_text", "")}
    for platform, values in sorted((snapshot.get("variants") or {}).items()):
        if values.get("text") is not None:
            texts[f"{platform} text"] = values["text"]
    texts["Labels"] = ", ".join(snapshot.get("labels") or [])
    texts["Platforms"] = ", ".join(snapshot.get("platforms") or [])
    texts["Link"] = snapshot.get("link_url", "")
    return texts


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, list[DiffPart]]]:
    """Return (field, word diff) for every field that differs between two snapshots."""
    a, b = field_texts(old), field_texts(new)
    out = []
    for name in list(dict.fromkeys([*a, *b])):
        if a.get(name, "") != b.get(name, ""):
            out.append((name, word_diff(a.get(name, ""), b.get(name, ""))))
    return out
