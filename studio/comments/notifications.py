"""The in-app inbox: any area tells a member about something with notify().

    from studio.comments.notifications import notify
    notify(user_id, workspace_id, "publish_failed", "“Friday drop” failed on X: …",
           post_id=post.id, url=url_for("composer.edit", post_id=post.id))

notify() only adds the row to the session; the caller's commit stores it (so a rolled-back
change never leaves a notification about something that didn't happen).
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from werkzeug.exceptions import NotFound

from studio.extensions import db
from studio.models import Membership, Notification
from studio.models.base import utcnow

TEXT_MAX = 500
INBOX_PAGE = 50


def notify(
    user_id: int,
    workspace_id: int,
    kind: str,
    text: str,
    post_id: int | None = None,
    url: str | None = None,
    comment_id: int | None = None,
) -> Notification | None:
    """Put a notification in the member's inbox; None (and nothing stored) for a non-member."""
    member = db.session.scalar(
        select(Membership.id).where(
            Membership.user_id == user_id, Membership.workspace_id == workspace_id
        )
    )
    if member is None:
        return None
    text = " ".join(text.split())
    row = Notification(
        user_id=user_id,
        workspace_id=workspace_id,
        kind=kind[:30],
        text=text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…",
        post_id=post_id,
        comment_id=comment_id,
        url=url[:1000] if url else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def retract(comment_id: int, text: str, url: str | None) -> int:
    """Replace what the notifications about a comment say (it was deleted); return how many."""
    text = " ".join(text.split())
    result = db.session.execute(
        update(Notification)
        .where(Notification.comment_id == comment_id)
        .values(
            text=text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…",
            url=url[:1000] if url else None,
        )
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def unread_count(user_id: int, workspace_id: int) -> int:
    """Return how many of the member's notifications in the workspace are unread."""
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user_id,
                Notification.workspace_id == workspace_id,
                Notification.read_at.is_(None),
            )
        )
        or 0
    )


def inbox(membership: Membership, before: int | None = None) -> list[Notification]:
    """Return the member's notifications, newest first, a page at a time."""
    query = select(Notification).where(
        Notification.user_id == membership.user_id,
        Notification.workspace_id == membership.workspace_id,
    )
    if before:
        query = query.where(Notification.id < before)
    return list(db.session.scalars(query.order_by(Notification.id.desc()).limit(INBOX_PAGE)))


def get_notification(membership: Membership, notification_id: int) -> Notification:
    """Return one of the member's own notifications, or 404."""
    row = db.session.scalar(
        select(Notification).where(
            Notification.id == notification_id,
            Notification.user_id == membership.user_id,
            Notification.workspace_id == membership.workspace_id,
        )
    )
    if row is None:
        raise NotFound("No such notification in your inbox.")
    return row


def mark_read(row: Notification) -> None:
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.flush()


def mark_all_read(membership: Membership) -> int:
    """Mark every unread notification of the member in the workspace read; return how many."""
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == membership.user_id,
            Notification.workspace_id == membership.workspace_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    return result.rowcount or 0  # type: ignore[attr-defined]
