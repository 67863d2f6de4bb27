"""Who may do what, and which rows a member may see: the one place that decides."""

from __future__ import annotations

import enum

from sqlalchemy import Select, select
from werkzeug.exceptions import Forbidden, NotFound

from studio.extensions import db
from studio.models import Brand, ClientBrandAccess, Membership, Role, User, Workspace


class Action(enum.StrEnum):
    VIEW_WORKSPACE = "view_workspace"
    VIEW_INTERNAL = "view_internal"  # internal pages: anything but the client portal
    EDIT_WORKSPACE = "edit_workspace"
    MANAGE_MEMBERS = "manage_members"
    INVITE = "invite"
    EXPORT_WORKSPACE = "export_workspace"
    CREATE_BRAND = "create_brand"
    VIEW_BRAND = "view_brand"
    EDIT_BRAND_SETTINGS = "edit_brand_settings"
    EDIT_VOICE_RULES = "edit_voice_rules"
    EDIT_BRAND_VISUALS = "edit_brand_visuals"
    EDIT_CONTENT = "edit_content"
    APPROVE_CONTENT = "approve_content"
    MANAGE_MEDIA = "manage_media"
    VIEW_REPORTS = "view_reports"
    MANAGE_REPORTS = "manage_reports"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_APPROVALS = "manage_approvals"  # flows, share links, overriding voice blocks
    MODERATE_COMMENTS = "moderate_comments"  # delete anyone's comment


_ALL = frozenset(Role)
_STAFF = frozenset({Role.OWNER, Role.BRAND_MANAGER, Role.DESIGNER, Role.COPYWRITER})
_MANAGERS = frozenset({Role.OWNER, Role.BRAND_MANAGER})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_WORKSPACE: _ALL,
    Action.VIEW_INTERNAL: _STAFF,
    Action.EDIT_WORKSPACE: frozenset({Role.OWNER}),
    Action.MANAGE_MEMBERS: frozenset({Role.OWNER}),
    Action.INVITE: _MANAGERS,
    Action.EXPORT_WORKSPACE: frozenset({Role.OWNER}),
    Action.CREATE_BRAND: _MANAGERS,
    Action.VIEW_BRAND: _ALL,
    Action.EDIT_BRAND_SETTINGS: _MANAGERS,
    Action.EDIT_VOICE_RULES: _MANAGERS,
    Action.EDIT_BRAND_VISUALS: frozenset({Role.OWNER, Role.BRAND_MANAGER, Role.DESIGNER}),
    Action.EDIT_CONTENT: _STAFF,
    Action.APPROVE_CONTENT: frozenset({Role.OWNER, Role.BRAND_MANAGER, Role.CLIENT}),
    Action.MANAGE_MEDIA: frozenset({Role.OWNER, Role.BRAND_MANAGER, Role.DESIGNER}),
    Action.VIEW_REPORTS: _ALL,
    Action.MANAGE_REPORTS: _MANAGERS,
    Action.MANAGE_CHANNELS: _MANAGERS,
    Action.MANAGE_APPROVALS: _MANAGERS,
    Action.MODERATE_COMMENTS: _MANAGERS,
}

# Which roles each role may hand out in an invitation.
INVITABLE: dict[Role, tuple[Role, ...]] = {
    Role.OWNER: tuple(Role),
    Role.BRAND_MANAGER: (Role.DESIGNER, Role.COPYWRITER, Role.CLIENT),
}


def client_brand_ids(membership: Membership) -> set[int]:
    """Return the ids of the brands a client member is attached to."""
    rows = db.session.scalars(
        select(ClientBrandAccess.brand_id).where(ClientBrandAccess.membership_id == membership.id)
    )
    return set(rows)


def can(membership: Membership | None, action: Action, brand: Brand | None = None) -> bool:
    """Tell whether the member may perform the action (on the brand, if one is named)."""
    if membership is None:
        return False
    if Role(membership.role) not in PERMISSIONS[action]:
        return False
    if brand is not None:
        if brand.workspace_id != membership.workspace_id:
            return False
        if membership.role == Role.CLIENT and brand.id not in client_brand_ids(membership):
            return False
    return True


def require(membership: Membership | None, action: Action, brand: Brand | None = None) -> None:
    """Raise 403 unless the member may perform the action."""
    if not can(membership, action, brand):
        raise Forbidden(f"Your role can't {action.value.replace('_', ' ')} here.")


def invitable_roles(membership: Membership) -> tuple[Role, ...]:
    """Return the roles this member may invite people into."""
    return INVITABLE.get(Role(membership.role), ())


def membership_for(user: User, workspace_slug: str) -> Membership:
    """Return the user's membership of the workspace, or 404 if they have none."""
    membership = db.session.scalar(
        select(Membership)
        .join(Workspace)
        .where(Workspace.slug == workspace_slug, Membership.user_id == user.id)
    )
    if membership is None:
        # A workspace you don't belong to looks exactly like one that doesn't exist.
        raise NotFound("No such workspace.")
    return membership


def visible_brands(membership: Membership) -> Select[tuple[Brand]]:
    """Return a query of the brands this member may see."""
    query = select(Brand).where(Brand.workspace_id == membership.workspace_id)
    if membership.role == Role.CLIENT:
        query = query.join(
            ClientBrandAccess,
            (ClientBrandAccess.brand_id == Brand.id)
            & (ClientBrandAccess.membership_id == membership.id),
        )
    return query.order_by(Brand.name)


def get_brand(membership: Membership, brand_id: int) -> Brand:
    """Return a brand the member may see, or 404."""
    brand = db.session.scalar(visible_brands(membership).where(Brand.id == brand_id))
    if brand is None:
        raise NotFound("No such brand in this workspace.")
    return brand


def get_member(membership: Membership, member_id: int) -> Membership:
    """Return another membership of the same workspace, or 404."""
    member = db.session.scalar(
        select(Membership).where(
            Membership.id == member_id, Membership.workspace_id == membership.workspace_id
        )
    )
    if member is None:
        raise NotFound("No such member in this workspace.")
    return member
