"""Password hashing strength and the demo seed command."""

from __future__ import annotations

from argon2 import extract_parameters
from sqlalchemy import func, select

from studio.config import Config
from studio.extensions import db
from studio.models import Brand, Membership, Role, User, Workspace
from studio.security import OWASP_MIN_MEMORY_KIB, OWASP_MIN_TIME_COST, hash_password


def test_production_argon2id_parameters_meet_owasp(app):
    assert Config.ARGON2_MEMORY_COST >= OWASP_MIN_MEMORY_KIB
    assert Config.ARGON2_TIME_COST >= OWASP_MIN_TIME_COST
    with app.app_context():
        encoded = hash_password("a password to hash")
    params = extract_parameters(encoded)
    assert encoded.startswith("$argon2id$")
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2 and params.parallelism >= 1


def test_seed_demo_creates_one_login_per_role_and_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "owner@plume.example" in first.output and "client@plume.example" in first.output
    assert "plume-demo-2026" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "already there" in second.output
    workspace = db.session.scalar(select(Workspace).where(Workspace.name == "Copperline Agency"))
    assert (
        db.session.scalar(
            select(func.count()).select_from(Workspace).where(Workspace.name == "Copperline Agency")
        )
        == 1
    )
    roles = set(
        db.session.scalars(select(Membership.role).where(Membership.workspace_id == workspace.id))
    )
    assert roles == set(Role)
    assert (
        db.session.scalar(
            select(func.count()).select_from(Brand).where(Brand.workspace_id == workspace.id)
        )
        == 2
    )
    client_user = db.session.scalar(select(User).where(User.email == "client@plume.example"))
    client_membership = db.session.scalar(
        select(Membership).where(Membership.user_id == client_user.id)
    )
    assert [b.name for b in client_membership.client_brands] == ["Ember Roasters"]


def test_demo_login_works_through_the_form(app, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    response = client.form(
        "/login", {"email": "owner@plume.example", "password": "plume-demo-2026"}
    )
    assert response.status_code == 303
