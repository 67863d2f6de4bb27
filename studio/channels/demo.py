"""Demo data: a sandbox channel and a post scheduled to it, so the demo publishes offline.

Ember Roasters gets the sandbox channel (and a webhook-free, internet-free flow): one post
goes out two minutes after seeding and appears on the brand's sandbox feed page, another is
on the calendar for tomorrow morning, and a third waits for approval.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from studio.composer import operations as composer
from studio.extensions import db
from studio.models import Brand, Membership, PostStatus, Role, User, Workspace
from studio.publishing import operations as ops
from studio.publishing import scheduling as sched

DEMO_POSTS = [
    (
        "Sandbox hello",
        "Our first post through Plume's sandbox ☕ It publishes end to end without the "
        "internet: watch it land on the sandbox feed. #coffee",
        "soon",
        PostStatus.APPROVED,
    ),
    (
        "Tomorrow's roast",
        "Tomorrow morning: a fresh Ethiopian roast, on the bar from 8 o'clock. #coffee",
        "tomorrow",
        PostStatus.APPROVED,
    ),
    (
        "Weekend tasting (needs approval)",
        "Join our weekend cupping session, Saturday at 10. Free, booking recommended.",
        "later",
        PostStatus.IN_REVIEW,
    ),
]


def load_demo_publishing(
    workspace: Workspace, brands: list[Brand], users: dict[Role, User]
) -> None:
    """Connect a sandbox channel to the first brand and schedule a few posts to it."""
    brand = brands[0]
    owner = db.session.scalar(
        select(Membership).where(
            Membership.workspace_id == workspace.id,
            Membership.user_id == users[Role.OWNER].id,
        )
    )
    assert owner is not None
    ops.connect_channel(owner, brand, "sandbox", {})
    sched.set_queue_slots(brand, sched.parse_slots("Tue/Thu 09:30, Sat 10:00"))
    now = datetime.now(UTC)
    wall_now = sched.utc_to_wall(now, brand.timezone).replace(tzinfo=None, second=0, microsecond=0)
    when = {
        "soon": wall_now + timedelta(minutes=2),
        "tomorrow": (wall_now + timedelta(days=1)).replace(hour=9, minute=30),
        "later": (wall_now + timedelta(days=3)).replace(hour=10, minute=0),
    }
    scheduled = []
    for title, text, slot, status in DEMO_POSTS:
        post = composer.create_post(owner, brand, title)
        post.master_text = text
        post.status = status
        db.session.flush()
        result = sched.schedule_post(owner, post, when[slot], now=now)
        scheduled += result.attempts
    db.session.flush()
    # Reminders at their due times (after the seed's commit: the first is two minutes
    # away); were Redis down, the reconciler would enqueue them.
    sched.enqueue_attempts(scheduled)
