"""Approval use cases: flows, submitting, deciding, withdrawing, share links, audit trail.

Rules, in one place:
- A brand's flow is an ordered list of steps (none means "no approval needed"). A step names
  who may approve (a role, named members, or the brand's client: the client members attached
  to the brand plus the post's live share links) and whether one or all of them must.
- Steps run in order: only the first step not yet complete takes decisions.
- A decision names the exact revision it was given on. Any later save that changes what
  readers see (captions, variants, platforms, media, link; not the post's internal name,
  labels, tags or campaign) withdraws the approvals of older revisions and returns an
  approved post to review.
- An approval counts only while its approver may still approve that step: a member who left
  the workspace (or whose role no longer fits), or a revoked share link, no longer counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from studio.approvals.diffing import FieldDiff, snapshot_diff
from studio.composer.media import lookup as media_of
from studio.composer.operations import assess, get_revision, snapshot, variant_inputs
from studio.composer.state import VariantView
from studio.extensions import db
from studio.models import (
    ApprovalDecision,
    ApprovalEvent,
    ApprovalStep,
    Brand,
    ClientBrandAccess,
    Membership,
    Post,
    PostRevision,
    PostStatus,
    Role,
    ShareLink,
    User,
)
from studio.models.approvals import (
    APPROVER_KINDS,
    DECISION_APPROVED,
    DECISION_CHANGES,
    KIND_CLIENT,
    KIND_MEMBERS,
    KIND_ROLE,
    MODE_ALL,
    MODES,
    ApprovalStepMember,
)
from studio.models.base import utcnow
from studio.policy import Action, can

SHARE_SALT = "plume-approval-share"
DEFAULT_SHARE_DAYS = 14
MAX_SHARE_DAYS = 90
MAX_STEPS = 10
# Fields of a snapshot that readers of the published post never see.
INTERNAL_FIELDS = frozenset({"title", "labels", "tags", "campaign"})
APPROVER_ROLES = (Role.OWNER, Role.BRAND_MANAGER, Role.DESIGNER, Role.COPYWRITER)
REVIEWABLE = (PostStatus.IN_REVIEW, PostStatus.APPROVED)
SUBMITTABLE = (PostStatus.DRAFT, PostStatus.CHANGES_REQUESTED)


class ApprovalError(ValueError):
    """A request that can't be carried out; status says which HTTP answer fits."""

    def __init__(
        self,
        message: str,
        status: int = 422,
        field: str | None = None,
        items: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.items = items or []


# Audit trail -------------------------------------------------------------------------


def record_event(
    post: Post,
    kind: str,
    actor: User | None = None,
    *,
    actor_name: str | None = None,
    from_status: PostStatus | str | None = None,
    to_status: PostStatus | str | None = None,
    note: str = "",
) -> ApprovalEvent:
    """Add one line to the post's audit trail."""
    event = ApprovalEvent(
        workspace_id=post.workspace_id,
        post_id=post.id,
        actor_id=actor.id if actor else None,
        actor_name=actor_name if actor_name is not None else (actor.name if actor else ""),
        kind=kind,
        from_status=str(from_status) if from_status else None,
        to_status=str(to_status) if to_status else None,
        revision=post.revision,
        note=note,
    )
    db.session.add(event)
    db.session.flush()
    return event


def change_status(
    post: Post,
    status: PostStatus,
    actor: User | None,
    kind: str = "status",
    *,
    actor_name: str | None = None,
    note: str = "",
) -> ApprovalEvent:
    """Move the post to a status and say so in the audit trail (publishing calls this too)."""
    before = post.status
    post.status = status
    return record_event(
        post,
        kind,
        actor,
        actor_name=actor_name,
        from_status=before,
        to_status=status,
        note=note,
    )


def audit_trail(post: Post) -> list[ApprovalEvent]:
    """Return the post's audit trail, newest first."""
    return list(
        db.session.scalars(
            select(ApprovalEvent)
            .where(ApprovalEvent.post_id == post.id)
            .order_by(ApprovalEvent.created_at.desc(), ApprovalEvent.id.desc())
        )
    )


# Flows -------------------------------------------------------------------------------


def flow_steps(brand: Brand) -> list[ApprovalStep]:
    """Return the brand's approval steps in order."""
    return list(
        db.session.scalars(
            select(ApprovalStep)
            .where(ApprovalStep.brand_id == brand.id)
            .order_by(ApprovalStep.position, ApprovalStep.id)
        )
    )


def get_step(brand: Brand, step_id: int) -> ApprovalStep:
    """Return one of the brand's steps, or 404."""
    step = db.session.scalar(
        select(ApprovalStep).where(ApprovalStep.id == step_id, ApprovalStep.brand_id == brand.id)
    )
    if step is None:
        raise NotFound("No such approval step for this brand.")
    return step


@dataclass
class StepInput:
    name: str
    kind: str
    role: str | None
    member_ids: list[int]
    mode: str


def _validate_step(brand: Brand, data: StepInput) -> list[int]:
    if data.kind not in APPROVER_KINDS:
        raise ApprovalError("Choose who approves this step.", field="kind")
    if data.mode not in MODES:
        raise ApprovalError("Choose whether one or all approvers must approve.", field="mode")
    if data.kind == KIND_ROLE and data.role not in {r.value for r in APPROVER_ROLES}:
        raise ApprovalError(
            "Choose the role that approves (for clients, choose “the brand's client”).",
            field="role",
        )
    if data.kind != KIND_MEMBERS:
        return []
    if not data.member_ids:
        raise ApprovalError("Choose at least one member who approves this step.", field="members")
    valid = set(
        db.session.scalars(
            select(Membership.id).where(
                Membership.workspace_id == brand.workspace_id,
                Membership.id.in_(data.member_ids),
            )
        )
    )
    if set(data.member_ids) - valid:
        raise ApprovalError("One of the chosen members isn't in this workspace.", field="members")
    clients = set(
        db.session.scalars(
            select(Membership.id).where(Membership.id.in_(valid), Membership.role == Role.CLIENT)
        )
    )
    attached = set(
        db.session.scalars(
            select(ClientBrandAccess.membership_id).where(
                ClientBrandAccess.brand_id == brand.id,
                ClientBrandAccess.membership_id.in_(clients),
            )
        )
    )
    if clients - attached:
        raise ApprovalError(
            f"A chosen client isn't attached to {brand.name}, so they couldn't see its posts.",
            field="members",
        )
    return sorted(valid)


def _set_members(step: ApprovalStep, member_ids: list[int]) -> None:
    db.session.execute(
        ApprovalStepMember.__table__.delete().where(ApprovalStepMember.step_id == step.id)
    )
    for member_id in member_ids:
        db.session.add(ApprovalStepMember(step_id=step.id, membership_id=member_id))
    db.session.flush()
    db.session.expire(step, ["members"])


def add_step(brand: Brand, data: StepInput) -> ApprovalStep:
    """Append a step to the brand's flow."""
    steps = flow_steps(brand)
    if len(steps) >= MAX_STEPS:
        raise ApprovalError(f"A flow has at most {MAX_STEPS} steps.", status=409)
    member_ids = _validate_step(brand, data)
    step = ApprovalStep(
        workspace_id=brand.workspace_id,
        brand_id=brand.id,
        position=(steps[-1].position + 1) if steps else 1,
        name=data.name.strip()[:80] or f"Step {len(steps) + 1}",
        approver_kind=data.kind,
        role=data.role if data.kind == KIND_ROLE else None,
        mode=data.mode,
    )
    db.session.add(step)
    db.session.flush()
    _set_members(step, member_ids)
    return step


def update_step(step: ApprovalStep, data: StepInput) -> None:
    """Change who approves a step and how many must."""
    member_ids = _validate_step(step.brand, data)
    step.name = data.name.strip()[:80] or step.name
    step.approver_kind = data.kind
    step.role = data.role if data.kind == KIND_ROLE else None
    step.mode = data.mode
    _set_members(step, member_ids)


def delete_step(step: ApprovalStep) -> None:
    """Remove a step; decisions given on it stop counting."""
    brand = step.brand
    db.session.delete(step)
    db.session.flush()
    for position, other in enumerate(flow_steps(brand), start=1):
        other.position = position


def move_step(step: ApprovalStep, direction: str) -> None:
    """Move a step one place earlier ("up") or later ("down")."""
    steps = flow_steps(step.brand)
    index = next(i for i, s in enumerate(steps) if s.id == step.id)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(steps):
        raise ApprovalError("That step can't move further.", status=409)
    steps[index], steps[other] = steps[other], steps[index]
    for position, item in enumerate(steps, start=1):
        item.position = position
    db.session.flush()


def describe_step(step: ApprovalStep) -> str:
    """Say in words who approves a step."""
    how = "all of" if step.mode == MODE_ALL else "any one of"
    if step.approver_kind == KIND_CLIENT:
        who = "the brand's client (client members and share links)"
    elif step.approver_kind == KIND_ROLE:
        who = f"the {Role(step.role).label.lower()}s" if step.role else "nobody"
    else:
        names = ", ".join(m.user.name for m in step.members) or "nobody (they have left)"
        who = names
    return f"{how.capitalize()} {who}"


# Who may approve -----------------------------------------------------------------------


def _client_members(brand: Brand) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .join(ClientBrandAccess, ClientBrandAccess.membership_id == Membership.id)
            .where(ClientBrandAccess.brand_id == brand.id, Membership.role == Role.CLIENT)
            .order_by(Membership.id)
        )
    )


def eligible_members(step: ApprovalStep, brand: Brand) -> list[Membership]:
    """Return the current members who may approve the step."""
    if step.approver_kind == KIND_CLIENT:
        return _client_members(brand)
    if step.approver_kind == KIND_ROLE:
        if step.role == Role.CLIENT:
            return _client_members(brand)
        return list(
            db.session.scalars(
                select(Membership)
                .where(Membership.workspace_id == brand.workspace_id, Membership.role == step.role)
                .order_by(Membership.id)
            )
        )
    members = [m for m in step.members if m.workspace_id == brand.workspace_id]
    # A named client who was later detached from the brand can no longer see the post.
    return [m for m in members if m.role != Role.CLIENT or can(m, Action.VIEW_BRAND, brand)]


def live_share_links(post: Post) -> list[ShareLink]:
    """Return the post's share links that are neither revoked nor expired."""
    links = db.session.scalars(
        select(ShareLink)
        .where(ShareLink.post_id == post.id, ShareLink.revoked_at.is_(None))
        .order_by(ShareLink.id)
    )
    return [link for link in links if not link.expired]


# Progress ------------------------------------------------------------------------------


@dataclass
class Approver:
    """Someone whose decision a step is waiting for, or has."""

    key: str  # "m<membership id>" or "l<share link id>"
    name: str
    decision: ApprovalDecision | None = None


@dataclass
class StepState:
    step: ApprovalStep
    description: str
    approvers: list[Approver]
    counting: list[ApprovalDecision]
    # Approvals that were given but no longer count, with the reason to show.
    lapsed: list[tuple[ApprovalDecision, str]]
    complete: bool
    current: bool = False

    @property
    def waiting_for(self) -> list[Approver]:
        return [a for a in self.approvers if a.decision is None]


@dataclass
class Progress:
    steps: list[StepState]
    round: int
    complete: bool
    current: StepState | None
    decisions: list[ApprovalDecision]
    withdrawn: list[ApprovalDecision] = field(default_factory=list)
    changes: ApprovalDecision | None = None

    @property
    def lapsed(self) -> list[tuple[ApprovalDecision, str]]:
        return [item for state in self.steps for item in state.lapsed]


def review_round(post: Post) -> int:
    """Return how many times the post has been submitted for review."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ApprovalEvent)
            .where(ApprovalEvent.post_id == post.id, ApprovalEvent.kind == "submitted")
        )
        or 0
    )


def _decisions(post: Post, round_: int) -> list[ApprovalDecision]:
    return list(
        db.session.scalars(
            select(ApprovalDecision)
            .where(ApprovalDecision.post_id == post.id, ApprovalDecision.round == round_)
            .order_by(ApprovalDecision.created_at, ApprovalDecision.id)
        )
    )


def _approvers(step: ApprovalStep, post: Post) -> list[Approver]:
    people = [Approver(f"m{m.id}", m.user.name) for m in eligible_members(step, post.brand)]
    if step.approver_kind == KIND_CLIENT or (
        step.approver_kind == KIND_ROLE and step.role == Role.CLIENT
    ):
        people += [Approver(f"l{link.id}", link.label) for link in live_share_links(post)]
    return people


def decider_key(decision: ApprovalDecision) -> str | None:
    if decision.via_share_link:
        return f"l{decision.share_link_id}" if decision.share_link_id else None
    return f"m{decision.membership_id}" if decision.membership_id else None


def _lapse_reason(decision: ApprovalDecision, post: Post) -> str:
    if decision.via_share_link:
        link = decision.share_link
        if link is None or link.revoked_at is not None:
            name = decision.approver_name
            return f"{name}'s approval no longer counts: their share link was revoked."
        return ""
    if decision.membership is None:
        return f"{decision.approver_name}'s approval no longer counts: they are no longer a member."
    return (
        f"{decision.approver_name}'s approval no longer counts: "
        "they are no longer an approver of this step."
    )


def progress(post: Post) -> Progress:
    """Work out, from the current flow and members, where the post's review stands."""
    round_ = review_round(post)
    decisions = _decisions(post, round_) if round_ else []
    states: list[StepState] = []
    current: StepState | None = None
    for step in flow_steps(post.brand):
        approvers = _approvers(step, post)
        by_key = {a.key: a for a in approvers}
        counting: list[ApprovalDecision] = []
        lapsed: list[tuple[ApprovalDecision, str]] = []
        for decision in decisions:
            if (
                decision.step_id != step.id
                or decision.decision != DECISION_APPROVED
                or not decision.active
            ):
                continue
            key = decider_key(decision)
            if decision.via_share_link and key and key not in by_key:
                # An expired link's approval was valid when given: it still counts.
                link = decision.share_link
                if link is not None and link.revoked_at is None:
                    approver = Approver(key, link.label)
                    approvers.append(approver)
                    by_key[key] = approver
            if key in by_key:
                by_key[key].decision = decision
                counting.append(decision)
            else:
                lapsed.append((decision, _lapse_reason(decision, post)))
        if step.mode == MODE_ALL:
            complete = bool(approvers) and all(a.decision is not None for a in approvers)
        else:
            complete = bool(counting)
        state = StepState(step, describe_step(step), approvers, counting, lapsed, complete)
        if current is None and not complete:
            state.current = True
            current = state
        states.append(state)
    withdrawn = [
        d for d in decisions if d.decision == DECISION_APPROVED and d.withdrawn_reason == "edited"
    ]
    # Only the latest withdrawn approval per approver, and only if they haven't approved since.
    latest: dict[str | None, ApprovalDecision] = {}
    for d in withdrawn:
        latest[decider_key(d)] = d
    redecided = {decider_key(d) for d in decisions if d.active and d.decision == DECISION_APPROVED}
    changes = next(
        (d for d in reversed(decisions) if d.decision == DECISION_CHANGES),
        None,
    )
    return Progress(
        steps=states,
        round=round_,
        complete=current is None,
        current=current,
        decisions=decisions,
        withdrawn=[d for k, d in latest.items() if k not in redecided],
        changes=changes,
    )


def may_decide(state: StepState | None, membership: Membership | None) -> bool:
    """Tell whether the member is one of the approvers of the step."""
    if state is None or membership is None:
        return False
    return any(a.key == f"m{membership.id}" for a in state.approvers)


def is_approver_anywhere(post: Post, membership: Membership) -> bool:
    """Tell whether the member is named by any step of the brand's flow."""
    return any(
        membership.id in {m.id for m in eligible_members(step, post.brand)}
        for step in flow_steps(post.brand)
    )


def is_fully_approved(post: Post) -> bool:
    """Tell whether every step is complete for the current revision (check before publishing)."""
    return post.status in (PostStatus.APPROVED, PostStatus.SCHEDULED) and progress(post).complete


# Submitting ----------------------------------------------------------------------------


@dataclass
class Readiness:
    """What stops a post from going to review."""

    errors: list[str]
    blocks: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.blocks


def readiness(post: Post, views: list[VariantView] | None = None) -> Readiness:
    """List the platform errors and blocking voice findings of every variant."""
    views = (
        views
        if views is not None
        else assess(post, variant_inputs(post, media_of(post, with_urls=False)))
    )
    errors: list[str] = []
    blocks: list[str] = []
    for view in views:
        for problem in view.errors:
            hint = f" {problem.hint}" if problem.hint else ""
            errors.append(f"{view.name}: {problem.message}{hint}")
        for finding in view.findings:
            if finding.severity == "block":
                quoted = view.text[finding.start : finding.end]
                where = f" (“{quoted}”)" if quoted.strip() else ""
                line = f"{finding.message}{where}"
                if line not in blocks:
                    blocks.append(line)
    return Readiness(errors, blocks)


def _withdraw(decisions: list[ApprovalDecision], reason: str, revision: int | None) -> None:
    now = utcnow()
    for decision in decisions:
        if decision.withdrawn_at is None:
            decision.withdrawn_at = now
            decision.withdrawn_reason = reason
            decision.withdrawn_revision = revision


def _active_decisions(post: Post) -> list[ApprovalDecision]:
    return list(
        db.session.scalars(
            select(ApprovalDecision).where(
                ApprovalDecision.post_id == post.id, ApprovalDecision.withdrawn_at.is_(None)
            )
        )
    )


def submit(
    post: Post,
    membership: Membership,
    override_reason: str = "",
    views: list[VariantView] | None = None,
) -> Progress:
    """Send the post to review, or straight to approved when the brand has no flow."""
    if post.status not in SUBMITTABLE:
        raise ApprovalError(
            f"This post is already {post.status.label.lower()}; there is nothing to submit.",
            status=409,
        )
    ready = readiness(post, views)
    if ready.errors:
        raise ApprovalError(
            "Fix these platform problems before submitting for review:", items=ready.errors
        )
    override_reason = override_reason.strip()
    user = membership.user
    if ready.blocks:
        if not override_reason:
            raise ApprovalError(
                "The brand's voice rules block this post. Fix these, or ask a brand manager "
                "to override with a reason:",
                items=ready.blocks,
                field="override_reason",
            )
        if not can(membership, Action.MANAGE_APPROVALS, post.brand):
            raise ApprovalError(
                "Only a brand manager or an owner can override the voice rules.", status=403
            )
        if len(override_reason) < 10:
            raise ApprovalError(
                "Say why the override is needed (at least 10 characters); "
                "it is kept in the audit trail.",
                items=ready.blocks,
                field="override_reason",
            )
        record_event(
            post,
            "override",
            user,
            note=f"{override_reason}\nOverrode: " + "; ".join(ready.blocks),
        )
    _withdraw(_active_decisions(post), "resubmitted", post.revision)
    change_status(post, PostStatus.IN_REVIEW, user, "submitted")
    db.session.flush()
    state = progress(post)
    if state.complete:
        change_status(
            post,
            PostStatus.APPROVED,
            None,
            actor_name="Plume",
            note=f"{post.brand.name} has no approval steps.",
        )
    return state


# Deciding ------------------------------------------------------------------------------


@dataclass
class Decider:
    """Who is deciding: a member, or someone holding a share link."""

    membership: Membership | None = None
    link: ShareLink | None = None

    @property
    def key(self) -> str:
        if self.link is not None:
            return f"l{self.link.id}"
        assert self.membership is not None
        return f"m{self.membership.id}"

    @property
    def name(self) -> str:
        if self.link is not None:
            return self.link.label
        assert self.membership is not None
        return self.membership.user.name

    @property
    def user(self) -> User | None:
        return self.membership.user if self.membership is not None else None


def resolve_revision(post: Post, raw: str | int | None) -> PostRevision:
    """Return the post's revision with this id; 404 for another post's or workspace's id."""
    try:
        revision_id = int(raw or 0)
    except (TypeError, ValueError):
        revision_id = 0
    if revision_id <= 0:
        raise ApprovalError("Say which revision you are deciding on; reload the page and retry.")
    revision = db.session.scalar(
        select(PostRevision).where(PostRevision.id == revision_id, PostRevision.post_id == post.id)
    )
    if revision is None:
        raise NotFound("No such revision of this post.")
    return revision


def current_revision(post: Post) -> PostRevision | None:
    """Return the stored revision the post now stands at."""
    return get_revision(post, post.revision)


def _check_can_decide(post: Post, decider: Decider, state: Progress) -> StepState:
    current = state.current if post.status in REVIEWABLE else None
    if current is not None and any(a.key == decider.key for a in current.approvers):
        return current
    mine = next(
        (
            d
            for d in state.decisions
            if d.active and d.decision == DECISION_APPROVED and decider_key(d) == decider.key
        ),
        None,
    )
    if mine is not None and post.status in REVIEWABLE:
        raise ApprovalError(
            f"You already approved revision {mine.revision_number} of this post.", status=409
        )
    if current is None:
        label = post.status.label.lower()
        raise ApprovalError(f"This post is {label}, not waiting for a decision.", status=409)
    earlier = next((s for s in state.steps if any(a.key == decider.key for a in s.approvers)), None)
    if earlier is not None and earlier.step.position > current.step.position:
        raise ApprovalError(
            f"“{current.step.name}” has to approve first; you approve in “{earlier.step.name}”.",
            status=409,
        )
    if earlier is not None:
        raise ApprovalError(f"“{earlier.step.name}” is already complete.", status=409)
    raise ApprovalError("You aren't an approver of this post's current step.", status=403)


def _check_revision(post: Post, revision: PostRevision) -> None:
    if revision.number != post.revision:
        raise ApprovalError(
            f"The post changed after you opened it (you saw revision {revision.number}, it is "
            f"now at revision {post.revision}). Look at the latest version, then decide again.",
            status=409,
        )


def approve(post: Post, decider: Decider, revision: PostRevision) -> ApprovalDecision:
    """Approve the revision shown, for the current step; completes the review when it can."""
    state = progress(post)
    current = _check_can_decide(post, decider, state)
    mine = next((a for a in current.approvers if a.key == decider.key), None)
    if mine is not None and mine.decision is not None:
        raise ApprovalError(
            f"You already approved revision {mine.decision.revision_number} of this post.",
            status=409,
        )
    _check_revision(post, revision)
    decision = _decide(post, decider, current.step, state.round, DECISION_APPROVED, revision)
    record_event(
        post,
        "approved",
        decider.user,
        actor_name=decider.name,
        note=f"{current.step.name}: approved revision {revision.number}"
        + (" through a share link" if decider.link else ""),
    )
    after = progress(post)
    if after.complete and post.status != PostStatus.APPROVED:
        change_status(
            post,
            PostStatus.APPROVED,
            decider.user,
            actor_name=decider.name,
            note="Every approval step is complete.",
        )
    return decision


def request_changes(
    post: Post, decider: Decider, revision: PostRevision, note: str
) -> ApprovalDecision:
    """Send the post back to its authors with a note; the next submission starts over."""
    note = note.strip()
    state = progress(post)
    current = _check_can_decide(post, decider, state)
    if not note:
        raise ApprovalError("Say what needs to change.", field="note")
    _check_revision(post, revision)
    decision = _decide(
        post, decider, current.step, state.round, DECISION_CHANGES, revision, note=note[:5000]
    )
    _withdraw(
        [d for d in _active_decisions(post) if d.id != decision.id],
        "changes_requested",
        post.revision,
    )
    change_status(
        post,
        PostStatus.CHANGES_REQUESTED,
        decider.user,
        "changes_requested",
        actor_name=decider.name,
        note=note[:5000],
    )
    return decision


def _decide(
    post: Post,
    decider: Decider,
    step: ApprovalStep,
    round_: int,
    kind: str,
    revision: PostRevision,
    note: str = "",
) -> ApprovalDecision:
    decision = ApprovalDecision(
        workspace_id=post.workspace_id,
        post_id=post.id,
        step_id=step.id,
        round=round_,
        decision=kind,
        revision_number=revision.number,
        revision_id=revision.id,
        membership_id=decider.membership.id if decider.membership else None,
        share_link_id=decider.link.id if decider.link else None,
        via_share_link=decider.link is not None,
        user_id=decider.user.id if decider.user else None,
        approver_name=decider.name[:200],
        note=note,
    )
    db.session.add(decision)
    db.session.flush()
    return decision


# Edits after approval -------------------------------------------------------------------


def _content(snap: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snap.items() if k not in INTERNAL_FIELDS}


def _snapshot_of(decision: ApprovalDecision) -> dict[str, Any] | None:
    row = db.session.get(PostRevision, decision.revision_id) if decision.revision_id else None
    return row.snapshot if row is not None else None


def on_post_saved(post: Post, revision_number: int, user: User | None) -> list[ApprovalDecision]:
    """Withdraw approvals of content that a save has changed; call after every post save.

    Returns the withdrawn decisions. An approved (or scheduled) post goes back to review.
    """
    active = [
        d
        for d in _active_decisions(post)
        if d.decision == DECISION_APPROVED and d.revision_number != revision_number
    ]
    if not active:
        return []
    now = _content(snapshot(post))
    withdrawn = []
    for decision in active:
        approved = _snapshot_of(decision)
        if approved is not None and _content(approved) == now:
            continue  # only the internal name, labels or tags changed
        withdrawn.append(decision)
    if not withdrawn:
        return []
    _withdraw(withdrawn, "edited", revision_number)
    names = ", ".join(sorted({d.approver_name for d in withdrawn}))
    note = f"Revision {revision_number} changed approved content; withdrew approval by {names}."
    if post.status in (PostStatus.APPROVED, PostStatus.SCHEDULED):
        change_status(post, PostStatus.IN_REVIEW, user, "withdrawn", note=note)
    else:
        record_event(post, "withdrawn", user, note=note)
    db.session.flush()
    return withdrawn


def decision_diff(post: Post, decision: ApprovalDecision) -> list[FieldDiff]:
    """Return what changed between the revision a decision named and the post now."""
    approved = _snapshot_of(decision)
    if approved is None:
        return []
    return snapshot_diff(approved, snapshot(post))


def get_decision(post: Post, decision_id: int) -> ApprovalDecision:
    """Return one of the post's decisions, or 404."""
    decision = db.session.scalar(
        select(ApprovalDecision).where(
            ApprovalDecision.id == decision_id, ApprovalDecision.post_id == post.id
        )
    )
    if decision is None:
        raise NotFound("No such decision on this post.")
    return decision


# Share links ---------------------------------------------------------------------------


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SHARE_SALT)


def create_share_link(
    post: Post, membership: Membership, label: str, days: int, secret_key: str
) -> tuple[ShareLink, str]:
    """Create a link through which `label` reviews the post without an account."""
    label = " ".join(label.split())[:120]
    if not label:
        raise ApprovalError(
            "Say who the link is for (their name shows on their decision).", field="label"
        )
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise ApprovalError(f"A link lasts from 1 to {MAX_SHARE_DAYS} days.", field="days")
    link = ShareLink(
        workspace_id=post.workspace_id,
        post_id=post.id,
        label=label,
        created_by_id=membership.user_id,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(link)
    db.session.flush()
    record_event(
        post,
        "share_link_created",
        membership.user,
        note=f"Share link for {label}, valid {days} day{'s' if days != 1 else ''}.",
    )
    return link, share_token(link, secret_key)


def share_token(link: ShareLink, secret_key: str) -> str:
    """Sign the link's id and post into a URL token."""
    return _serializer(secret_key).dumps({"l": link.id, "p": link.post_id})


def resolve_share_token(token: str, secret_key: str, max_age: int) -> ShareLink:
    """Return the live link a token names, or raise ApprovalError (404 forged, 410 expired)."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise ApprovalError(
            "This review link has expired. Ask the person who sent it for a new one.", status=410
        ) from exc
    except BadSignature as exc:
        raise ApprovalError(
            "This review link isn't valid. Check that you copied all of it.", status=404
        ) from exc
    link = db.session.get(ShareLink, data.get("l")) if isinstance(data, dict) else None
    if link is None or link.post_id != data.get("p"):
        raise ApprovalError("This review link isn't valid.", status=404)
    if link.revoked_at is not None:
        raise ApprovalError(
            "This review link was withdrawn. Ask the person who sent it for a new one.", status=410
        )
    if link.expired:
        raise ApprovalError(
            "This review link has expired. Ask the person who sent it for a new one.", status=410
        )
    return link


def get_share_link(post: Post, link_id: int) -> ShareLink:
    """Return one of the post's share links, or 404."""
    link = db.session.scalar(
        select(ShareLink).where(ShareLink.id == link_id, ShareLink.post_id == post.id)
    )
    if link is None:
        raise NotFound("No such share link for this post.")
    return link


def share_links(post: Post) -> list[ShareLink]:
    """Return every share link of the post, newest first."""
    return list(
        db.session.scalars(
            select(ShareLink).where(ShareLink.post_id == post.id).order_by(ShareLink.id.desc())
        )
    )


def revoke_share_link(link: ShareLink, user: User) -> None:
    """Stop a link from working; an approval given through it stops counting."""
    if link.revoked_at is not None:
        raise ApprovalError("That link was already revoked.", status=409)
    link.revoked_at = datetime.now(UTC)
    record_event(link.post, "share_link_revoked", user, note=f"Share link for {link.label}.")


# Portal --------------------------------------------------------------------------------


def awaiting(membership: Membership) -> list[tuple[Post, StepState]]:
    """Return the posts whose current step waits for this member's decision."""
    from studio.policy import visible_brands

    brand_ids = [b.id for b in db.session.scalars(visible_brands(membership))]
    if not brand_ids:
        return []
    posts = db.session.scalars(
        select(Post)
        .where(Post.brand_id.in_(brand_ids), Post.status.in_(list(REVIEWABLE)))
        .order_by(Post.updated_at.desc())
    )
    out = []
    for post in posts:
        state = progress(post)
        current = state.current
        if current is None:
            continue
        mine = next((a for a in current.approvers if a.key == f"m{membership.id}"), None)
        if mine is not None and mine.decision is None:
            out.append((post, current))
    return out


def recently_decided(membership: Membership, limit: int = 10) -> list[ApprovalDecision]:
    """Return the member's latest decisions."""
    return list(
        db.session.scalars(
            select(ApprovalDecision)
            .where(ApprovalDecision.membership_id == membership.id)
            .order_by(ApprovalDecision.created_at.desc(), ApprovalDecision.id.desc())
            .limit(limit)
        )
    )


def post_authors(post: Post) -> set[int]:
    """Return the ids of the users who created or saved the post."""
    ids = set(
        db.session.scalars(
            select(PostRevision.author_id).where(
                PostRevision.post_id == post.id, PostRevision.author_id.is_not(None)
            )
        )
    )
    if post.created_by_id:
        ids.add(post.created_by_id)
    return {i for i in ids if i is not None}


def client_comments(post: Post) -> list[Any] | None:
    """Return the comments meant for the client, or None while comments aren't built."""
    try:
        from studio.comments.operations import comments_for_client
    except ImportError:
        return None
    return list(comments_for_client(post))
