"""The report's sections, and each workspace's template: which are on, in which order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from studio.extensions import db
from studio.models import ReportTemplate, User
from studio.models.base import utcnow


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    description: str


SECTIONS: tuple[Section, ...] = (
    Section("cover", "Cover", "The brand's logo, name and the period, in the brand's colours."),
    Section("contents", "Contents", "Every section with its page number."),
    Section("summary", "Executive summary", "Your own words for this report's reader."),
    Section("kpis", "Key figures", "Each metric against the previous period, with the change."),
    Section("charts", "Charts", "Trends, followers, platforms, campaigns, best time to post."),
    Section("top_posts", "Top posts", "The best posts with their approved copy and images."),
    Section("platforms", "Per-platform pages", "A page per platform with its figures."),
    Section("campaigns", "Campaign results", "Posts, reach, engagements and clicks per campaign."),
    Section(
        "approvals",
        "Proof of approval",
        "Appendix: each published post's approved revision, who approved it and when.",
    ),
    Section("definitions", "Metric definitions", "What each number means, written once."),
)
BY_KEY: Mapping[str, Section] = {s.key: s for s in SECTIONS}
DEFAULT_TOP_POSTS = 10
MAX_TOP_POSTS = 30


def default_layout() -> list[dict[str, Any]]:
    """Return every section, switched on, in the standard order."""
    return [{"key": s.key, "on": True} for s in SECTIONS]


def normalise(layout: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Return ``layout`` with unknown keys dropped, duplicates removed and every section
    present (sections added to Plume later appear at the end, switched on)."""
    seen: set[str] = set()
    result = []
    for item in layout or ():
        key = str(item.get("key", ""))
        if key in BY_KEY and key not in seen:
            seen.add(key)
            result.append({"key": key, "on": bool(item.get("on"))})
    result += [{"key": s.key, "on": True} for s in SECTIONS if s.key not in seen]
    return result


def template_for(workspace_id: int) -> ReportTemplate:
    """Return the workspace's report template, creating the default one the first time."""
    row = db.session.scalar(
        select(ReportTemplate).where(ReportTemplate.workspace_id == workspace_id)
    )
    if row is None:
        row = ReportTemplate(
            workspace_id=workspace_id, sections=default_layout(), top_posts=DEFAULT_TOP_POSTS
        )
        db.session.add(row)
        db.session.flush()
    return row


class TemplateError(ValueError):
    """A template form that cannot be saved."""


def layout_from_form(form: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Read the template form: ``on_<key>`` checkboxes and ``order_<key>`` positions.

    A ``move`` button (``key:up`` or ``key:down``) moves one section by one place.
    """
    positions = []
    for index, section in enumerate(SECTIONS):
        raw = str(form.get(f"order_{section.key}", "") or "").strip()
        try:
            position = float(raw) if raw else float(index + 1)
        except ValueError:
            raise TemplateError(f"The position of {section.label} must be a number.") from None
        positions.append((position, index, section.key))
    positions.sort()
    keys = [key for _, _, key in positions]
    move = str(form.get("move", "") or "")
    if ":" in move:
        key, _, direction = move.partition(":")
        if key in keys:
            at = keys.index(key)
            other = at - 1 if direction == "up" else at + 1
            if 0 <= other < len(keys):
                keys[at], keys[other] = keys[other], keys[at]
    layout = [{"key": key, "on": bool(form.get(f"on_{key}"))} for key in keys]
    if not any(item["on"] for item in layout):
        raise TemplateError("Switch on at least one section.")
    return layout


def top_posts_from_form(raw: Any) -> int:
    text = str(raw or "").strip()
    if not text:
        return DEFAULT_TOP_POSTS
    if not text.isdigit() or not 1 <= int(text) <= MAX_TOP_POSTS:
        raise TemplateError(f"Show between 1 and {MAX_TOP_POSTS} top posts.")
    return int(text)


def save_template(
    row: ReportTemplate, layout: list[dict[str, Any]], top_posts: int, user: User | None
) -> None:
    row.sections = normalise(layout)
    row.top_posts = top_posts
    row.updated_by_id = user.id if user else None
    row.updated_at = utcnow()
    db.session.flush()


def enabled(layout: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the keys of the sections switched on, in order."""
    return [item["key"] for item in normalise(layout) if item["on"]]
