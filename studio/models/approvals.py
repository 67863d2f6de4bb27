"""Approvals: each brand's flow of steps, decisions on posts, share links and the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from studio.extensions import db
from studio.models.base import UTCDateTime, utcnow
from studio.models.posts import Post
from studio.models.users import User
from studio.models.workspaces import Brand, Membership

# Who may approve a step.
KIND_ROLE = "role"  # every member with one role
KIND_MEMBERS = "members"  # named members
KIND_CLIENT = "client"  # the client members attached to the brand, and its share links
APPROVER_KINDS = (KIND_ROLE, KIND_MEMBERS, KIND_CLIENT)

MODE_ANY = "any"  # one approval completes the step
MODE_ALL = "all"  # everyone who may approve must approve
MODES = (MODE_ANY, MODE_ALL)

DECISION_APPROVED = "approved"
DECISION_CHANGES = "changes_requested"


class ApprovalStep(db.Model):
    """One step of a brand's approval flow; steps run in `position` order."""

    __tablename__ = "approval_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(80), default="")
    approver_kind: Mapped[str] = mapped_column(String(20), default=KIND_ROLE)
    # For KIND_ROLE: the Role value (validated in studio.approvals.operations).
    role: Mapped[str | None] = mapped_column(String(20), default=None)
    mode: Mapped[str] = mapped_column(String(10), default=MODE_ANY)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    brand: Mapped[Brand] = relationship()
    members: Mapped[list[Membership]] = relationship(
        secondary="approval_step_members", viewonly=True
    )


class ApprovalStepMember(db.Model):
    """A member named as an approver of a step; leaving the workspace removes the row."""

    __tablename__ = "approval_step_members"

    step_id: Mapped[int] = mapped_column(
        ForeignKey("approval_steps.id", ondelete="CASCADE"), primary_key=True
    )
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True
    )


class ShareLink(db.Model):
    """A signed, expiring link through which someone without an account reviews one post."""

    __tablename__ = "approval_share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    # Who the link is for, shown as the approver's name ("Dana at Ember Roasters").
    label: Mapped[str] = mapped_column(String(120))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    post: Mapped[Post] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def expired(self) -> bool:
        return self.expires_at <= utcnow()

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired


class ApprovalDecision(db.Model):
    """An approval or a request for changes, naming the exact revision it was given on."""

    __tablename__ = "approval_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval_steps.id", ondelete="SET NULL"), index=True
    )
    # Which review round (count of submissions) the decision belongs to.
    round: Mapped[int] = mapped_column(default=1)
    decision: Mapped[str] = mapped_column(String(20))
    revision_number: Mapped[int]
    revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("post_revisions.id", ondelete="SET NULL")
    )
    # Exactly one of membership / share link says who decided; both go NULL if removed,
    # and a decision whose member is gone no longer counts.
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="SET NULL"), index=True
    )
    share_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval_share_links.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    via_share_link: Mapped[bool] = mapped_column(default=False)
    approver_name: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # "edited" | "resubmitted" | "changes_requested"
    withdrawn_reason: Mapped[str | None] = mapped_column(String(30), default=None)
    withdrawn_revision: Mapped[int | None] = mapped_column(default=None)

    post: Mapped[Post] = relationship()
    step: Mapped[ApprovalStep | None] = relationship()
    membership: Mapped[Membership | None] = relationship()
    share_link: Mapped[ShareLink | None] = relationship()

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class ApprovalEvent(db.Model):
    """One line of a post's audit trail: who did what, when, and the status it moved."""

    __tablename__ = "approval_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The name as it was, so the trail still reads after someone leaves.
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    # submitted | override | approved | changes_requested | withdrawn | status | published |
    # share_link_created | share_link_revoked
    kind: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20), default=None)
    to_status: Mapped[str | None] = mapped_column(String(20), default=None)
    revision: Mapped[int | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(Text, default="")
