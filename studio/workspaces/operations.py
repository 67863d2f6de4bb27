"""Workspace use cases: creation, membership, invitations and exports."""

from __future__ import annotations

from datetime import UTC, datetime

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from studio.extensions import db
from studio.models import (
    Brand,
    ClientBrandAccess,
    Invitation,
    Membership,
    Role,
    User,
    Workspace,
    WorkspaceExport,
)
from studio.models.base import utcnow
from studio.policy import invitable_roles
from studio.text import slugify

INVITE_SALT = "plume.invite.v1"


class WorkspaceError(ValueError):
    """A workspace use case refused; the message says why."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def unique_workspace_slug(name: str) -> str:
    """Return a slug for a new workspace that no other workspace uses."""
    base = slugify(name, 50)
    taken = set(db.session.scalars(select(Workspace.slug).where(Workspace.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def create_workspace(owner: User, name: str) -> Workspace:
    """Create a workspace with the user as its owner."""
    workspace = Workspace(name=name, slug=unique_workspace_slug(name))
    db.session.add(workspace)
    db.session.flush()
    db.session.add(Membership(workspace_id=workspace.id, user_id=owner.id, role=Role.OWNER))
    db.session.flush()
    return workspace


def rename_workspace(workspace: Workspace, name: str) -> None:
    """Rename; the slug (and so every URL) stays the same."""
    workspace.name = name


def members(workspace: Workspace) -> list[Membership]:
    """Return the workspace's members, owners first."""
    order = {role: i for i, role in enumerate(Role)}
    rows = db.session.scalars(
        select(Membership)
        .where(Membership.workspace_id == workspace.id)
        .join(User)
        .order_by(User.name)
    ).all()
    return sorted(rows, key=lambda m: order[Role(m.role)])


def _owner_count(workspace_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(
                Membership.workspace_id == workspace_id, Membership.role == Role.OWNER
            )
        )
        or 0
    )


def change_role(actor: Membership, member: Membership, role: Role, brand_ids: list[int]) -> None:
    """Give a member another role (and, for clients, their brands)."""
    if member.role == Role.OWNER and role != Role.OWNER and _owner_count(member.workspace_id) <= 1:
        raise WorkspaceError(
            "A workspace needs at least one owner. Make someone else an owner first.", status=409
        )
    member.role = role
    set_client_brands(member, brand_ids if role == Role.CLIENT else [])


def set_client_brands(member: Membership, brand_ids: list[int]) -> None:
    """Attach a client member to exactly these brands of their workspace."""
    valid = set(
        db.session.scalars(
            select(Brand.id).where(
                Brand.workspace_id == member.workspace_id, Brand.id.in_(brand_ids)
            )
        )
    )
    if set(brand_ids) - valid:
        raise WorkspaceError("One of the chosen brands isn't in this workspace.", field="brand_ids")
    if member.role == Role.CLIENT and not valid:
        raise WorkspaceError("Choose at least one brand this client may see.", field="brand_ids")
    db.session.execute(
        ClientBrandAccess.__table__.delete().where(ClientBrandAccess.membership_id == member.id)
    )
    for brand_id in sorted(valid):
        db.session.add(ClientBrandAccess(membership_id=member.id, brand_id=brand_id))
    db.session.flush()


def remove_member(actor: Membership, member: Membership) -> None:
    """Remove someone from the workspace."""
    if member.role == Role.OWNER and _owner_count(member.workspace_id) <= 1:
        raise WorkspaceError("You can't remove the last owner of a workspace.", status=409)
    db.session.delete(member)


# Invitations -----------------------------------------------------------------


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=INVITE_SALT)


def create_invitation(
    actor: Membership, email: str, role: Role, brand_ids: list[int], secret_key: str
) -> tuple[Invitation, str]:
    """Invite someone by email; returns the invitation and its signed token."""
    if role not in invitable_roles(actor):
        raise WorkspaceError(
            f"Your role can't invite people as {role.label.lower()}.", field="role"
        )
    already = db.session.scalar(
        select(Membership)
        .join(User)
        .where(
            Membership.workspace_id == actor.workspace_id, func.lower(User.email) == email.lower()
        )
    )
    if already is not None:
        raise WorkspaceError(f"{email} is already a member of this workspace.", field="email")
    if role == Role.CLIENT:
        valid = set(
            db.session.scalars(
                select(Brand.id).where(
                    Brand.workspace_id == actor.workspace_id, Brand.id.in_(brand_ids)
                )
            )
        )
        if not valid or set(brand_ids) - valid:
            raise WorkspaceError("Choose the brands this client may see.", field="brand_ids")
        brand_ids = sorted(valid)
    else:
        brand_ids = []
    invitation = Invitation(
        workspace_id=actor.workspace_id,
        email=email.lower(),
        role=role,
        brand_ids=brand_ids,
        invited_by_id=actor.user_id,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, invitation_token(invitation, secret_key)


def invitation_token(invitation: Invitation, secret_key: str) -> str:
    """Sign an invitation's id and email into a link token."""
    return _serializer(secret_key).dumps({"i": invitation.id, "e": invitation.email})


def resolve_invitation(token: str, secret_key: str, max_age: int) -> Invitation:
    """Return the open invitation a token names, or raise WorkspaceError saying why not."""
    serializer = _serializer(secret_key)
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise WorkspaceError(
            "This invitation link has expired. Ask the person who invited you to send a new one.",
            status=410,
        ) from exc
    except BadSignature as exc:
        raise WorkspaceError(
            "This invitation link isn't valid. Check that you copied all of it.", status=404
        ) from exc
    invitation = db.session.get(Invitation, data.get("i")) if isinstance(data, dict) else None
    if invitation is None or invitation.email != data.get("e"):
        raise WorkspaceError("This invitation link isn't valid.", status=404)
    if invitation.revoked_at is not None:
        raise WorkspaceError("This invitation was withdrawn. Ask for a new one.", status=410)
    if invitation.accepted_at is not None:
        raise WorkspaceError(
            "This invitation has already been used. Sign in to continue.", status=410
        )
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """Make the user a member as the invitation says."""
    if user.email.lower() != invitation.email.lower():
        raise WorkspaceError(
            f"This invitation is for {invitation.email}. Sign in with that address to accept it.",
            status=403,
        )
    existing = db.session.scalar(
        select(Membership).where(
            Membership.workspace_id == invitation.workspace_id, Membership.user_id == user.id
        )
    )
    if existing is not None:
        invitation.accepted_at = utcnow()
        return existing
    membership = Membership(
        workspace_id=invitation.workspace_id, user_id=user.id, role=invitation.role
    )
    db.session.add(membership)
    db.session.flush()
    if invitation.role == Role.CLIENT:
        set_client_brands(membership, list(invitation.brand_ids))
    invitation.accepted_at = utcnow()
    return membership


def revoke_invitation(invitation: Invitation) -> None:
    """Withdraw an invitation that hasn't been used."""
    if invitation.accepted_at is not None:
        raise WorkspaceError("That invitation was already accepted.", status=409)
    invitation.revoked_at = invitation.revoked_at or datetime.now(UTC)


def open_invitations(workspace: Workspace) -> list[Invitation]:
    """Return invitations not yet accepted or withdrawn, newest first."""
    return list(
        db.session.scalars(
            select(Invitation)
            .where(
                Invitation.workspace_id == workspace.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def get_invitation(workspace: Workspace, invitation_id: int) -> Invitation | None:
    """Return one of the workspace's invitations."""
    return db.session.scalar(
        select(Invitation).where(
            Invitation.id == invitation_id, Invitation.workspace_id == workspace.id
        )
    )


# Exports ---------------------------------------------------------------------


def request_export(membership: Membership) -> WorkspaceExport:
    """Record an export request; the caller commits, then enqueues jobs.exports.export_workspace."""
    import secrets

    export = WorkspaceExport(
        workspace_id=membership.workspace_id,
        requested_by_id=membership.user_id,
        job_id=f"export-{secrets.token_hex(8)}",
    )
    db.session.add(export)
    db.session.flush()
    return export


def get_export(workspace: Workspace, export_id: int) -> WorkspaceExport | None:
    """Return one of the workspace's exports."""
    return db.session.scalar(
        select(WorkspaceExport).where(
            WorkspaceExport.id == export_id, WorkspaceExport.workspace_id == workspace.id
        )
    )


def recent_exports(workspace: Workspace, limit: int = 5) -> list[WorkspaceExport]:
    """Return the latest exports of the workspace."""
    return list(
        db.session.scalars(
            select(WorkspaceExport)
            .where(WorkspaceExport.workspace_id == workspace.id)
            .order_by(WorkspaceExport.created_at.desc())
            .limit(limit)
        )
    )
