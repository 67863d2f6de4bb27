"""Typed SQLAlchemy models, one module per aggregate."""

from studio.models.exports import WorkspaceExport
from studio.models.users import User
from studio.models.workspaces import (
    Brand,
    ClientBrandAccess,
    Invitation,
    Membership,
    Role,
    Workspace,
)

__all__ = [
    "Brand",
    "ClientBrandAccess",
    "Invitation",
    "Membership",
    "Role",
    "User",
    "Workspace",
    "WorkspaceExport",
]
