"""The brand calendar as iCalendar (RFC 5545), written by hand: a handful of properties.

Lines end in CRLF and are folded at 75 octets without splitting a UTF-8 character; text
values escape backslash, semicolon, comma and newlines; times are UTC (``…Z``), so every
calendar app shows them in its reader's own zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["Event", "calendar", "escape", "fold"]


@dataclass(frozen=True)
class Event:
    uid: str
    start: datetime
    summary: str
    description: str = ""
    url: str | None = None
    tentative: bool = False
    minutes: int = 15


def escape(text: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line into 75-octet pieces, continuation lines starting with a space."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    start, limit = 0, 75
    while start < len(raw):
        end = min(start + limit, len(raw))
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:  # never split a character
            end -= 1
        parts.append(raw[start:end].decode("utf-8"))
        start, limit = end, 74  # the leading space counts
    return "\r\n ".join(parts)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(name: str, events: Iterable[Event], *, now: datetime | None = None) -> str:
    """Return a VCALENDAR holding ``events``."""
    stamp = _utc(now or datetime.now(UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Plume//Content calendar//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(event.start)}",
            f"DURATION:PT{event.minutes}M",
            f"SUMMARY:{escape(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape(event.description)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        lines.append("STATUS:TENTATIVE" if event.tentative else "STATUS:CONFIRMED")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
