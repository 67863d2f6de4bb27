"""Demo data: an agency workspace with two client brands and one login per role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from studio.assets.demo import load_demo_media
from studio.auth.operations import create_user, find_user_by_email
from studio.brands.operations import create_brand
from studio.channels.demo import load_demo_publishing
from studio.extensions import db
from studio.kits.demo import load_demo_kits
from studio.models import Brand, Membership, Role, User, Workspace
from studio.reports.demo import load_demo_metrics
from studio.workspaces.operations import create_workspace, set_client_brands

DEMO_PASSWORD = "plume-demo-2026"
DEMO_WORKSPACE = "Copperline Agency"
DEMO_SECOND_WORKSPACE = "Copperline Labs"
DEMO_DOMAIN = "plume.example"

DEMO_PEOPLE: list[tuple[str, str, Role]] = [
    ("owner", "Olivia Owner", Role.OWNER),
    ("manager", "Marcus Manager", Role.BRAND_MANAGER),
    ("designer", "Dana Designer", Role.DESIGNER),
    ("writer", "Wes Writer", Role.COPYWRITER),
    ("client", "Clara Client", Role.CLIENT),
]
DEMO_BRANDS = [
    ("Ember Roasters", "Europe/London", "https://emberroasters.example", "#c8553d"),
    ("Northwind Bank", "Europe/London", "https://northwind.example", "#1d4ed8"),
]


@dataclass
class DemoResult:
    workspace: Workspace
    password: str
    logins: list[tuple[str, str]] = field(default_factory=list)
    created: bool = False

    def summary(self) -> str:
        width = max(len(email) for email, _ in self.logins)
        state = "created" if self.created else "already there"
        lines = [
            f"Demo workspace: {self.workspace.name} ({state})",
            "Demo logins (password for all: " + self.password + "):",
        ]
        lines += [f"  {email.ljust(width)}  {role}" for email, role in self.logins]
        return "\n".join(lines)


def demo_email(handle: str) -> str:
    """Return a demo person's email address."""
    return f"{handle}@{DEMO_DOMAIN}"


def seed_demo(password: str = DEMO_PASSWORD) -> DemoResult:
    """Create the demo data unless it exists; return what was created and the logins."""
    existing = db.session.scalar(select(Workspace).where(Workspace.name == DEMO_WORKSPACE))
    logins = [(demo_email(h), role.label) for h, _, role in DEMO_PEOPLE]
    if existing is not None:
        return DemoResult(existing, password, logins, created=False)

    users: dict[Role, User] = {}
    for handle, name, role in DEMO_PEOPLE:
        users[role] = find_user_by_email(demo_email(handle)) or create_user(
            name, demo_email(handle), password
        )
    owner = users[Role.OWNER]
    workspace = create_workspace(owner, DEMO_WORKSPACE)
    owner_membership = db.session.scalar(
        select(Membership).where(
            Membership.workspace_id == workspace.id, Membership.user_id == owner.id
        )
    )
    assert owner_membership is not None
    brands: list[Brand] = [
        create_brand(owner_membership, name, tz, site, colour)
        for name, tz, site, colour in DEMO_BRANDS
    ]
    for _handle, _name, role in DEMO_PEOPLE[1:]:
        membership = Membership(workspace_id=workspace.id, user_id=users[role].id, role=role)
        db.session.add(membership)
        db.session.flush()
        if role == Role.CLIENT:
            set_client_brands(membership, [brands[0].id])
    # A second workspace so the switcher has somewhere to go.
    create_workspace(owner, DEMO_SECOND_WORKSPACE)
    for hook in DEMO_HOOKS:
        hook(workspace, brands, users)
    db.session.commit()
    return DemoResult(workspace, password, logins, created=True)


# Each area that has demo data adds the function that creates it here.
DEMO_HOOKS: list[Callable[[Workspace, list[Brand], dict[Role, User]], None]] = [load_demo_kits]
DEMO_HOOKS.append(load_demo_media)
DEMO_HOOKS.append(load_demo_metrics)
DEMO_HOOKS.append(load_demo_publishing)
