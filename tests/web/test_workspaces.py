"""Workspaces, members, roles, invitations and the switcher."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from studio.extensions import db
from studio.models import Invitation, Membership, Role, User
from studio.workspaces import operations as ops


def invite_link(body: str) -> str:
    match = re.search(r'value="(http://localhost/invite/[^"]+)"', body)
    assert match, "the invitation link is shown once to copy"
    return match.group(1).replace("http://localhost", "")


@pytest.fixture
def agency(make):
    """A workspace with an owner, a brand manager, a designer and a client on one brand."""
    workspace = make.workspace(name="Agency")
    ember = make.brand(workspace, name="Ember")
    bank = make.brand(workspace, name="Bank")
    return {
        "workspace": workspace,
        "ember": ember,
        "bank": bank,
        "owner": make.member(workspace, Role.OWNER),
        "manager": make.member(workspace, Role.BRAND_MANAGER),
        "designer": make.member(workspace, Role.DESIGNER),
        "client": make.member(workspace, Role.CLIENT, brands=[ember]),
    }


def test_home_goes_to_a_workspace_dashboard(client, agency, login):
    login(agency["owner"].user)
    response = client.get("/")
    assert response.headers["Location"].endswith(f"/w/{agency['workspace'].slug}/")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ember" in page and "Bank" in page


def test_user_without_workspace_is_asked_to_create_one(client, make, login):
    user = make.user()
    login(user)
    assert client.get("/").headers["Location"].endswith("/workspaces/new")
    response = client.form("/workspaces/new", {"name": "Fresh Start"})
    assert response.status_code == 303
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.role == Role.OWNER and membership.workspace.name == "Fresh Start"


def test_switcher_lists_every_workspace_of_the_user(client, make, login):
    first = make.member(make.workspace(name="First Agency"))
    second_ws = make.workspace(name="Second Agency")
    db.session.add(Membership(workspace_id=second_ws.id, user_id=first.user_id, role=Role.DESIGNER))
    db.session.commit()
    login(first.user)
    page = client.get(f"/w/{first.workspace.slug}/").get_data(as_text=True)
    switcher = page[
        page.index('id="workspace-switcher"') : page.index(
            "</details>", page.index('id="workspace-switcher"')
        )
    ]
    assert f'href="/w/{first.workspace.slug}/"' in switcher
    assert f'href="/w/{second_ws.slug}/"' in switcher
    assert client.get(f"/w/{second_ws.slug}/").status_code == 200
    # The last workspace visited is where "/" goes next time.
    assert client.get("/").headers["Location"].endswith(f"/w/{second_ws.slug}/")


def test_client_sees_only_their_brands(client, agency, login):
    login(agency["client"].user)
    slug = agency["workspace"].slug
    page = client.get(f"/w/{slug}/brands").get_data(as_text=True)
    assert "Ember" in page and "Bank" not in page
    assert client.get(f"/w/{slug}/brands/{agency['bank'].id}").status_code == 404
    assert client.get(f"/w/{slug}/brands/{agency['ember'].id}").status_code == 200
    assert client.get(f"/w/{slug}/settings").status_code == 403


def test_owner_changes_a_role_and_client_brands(client, agency, login):
    login(agency["owner"].user)
    slug = agency["workspace"].slug
    designer = agency["designer"]
    response = client.form(
        f"/w/{slug}/members/{designer.id}/role",
        {"role": "client", "brand_ids": [str(agency["bank"].id)]},
    )
    assert response.status_code == 303
    db.session.refresh(designer)
    assert designer.role == Role.CLIENT
    assert [b.name for b in designer.client_brands] == ["Bank"]


def test_client_role_needs_at_least_one_brand(client, agency, login):
    login(agency["owner"].user)
    designer = agency["designer"]
    client.form(f"/w/{agency['workspace'].slug}/members/{designer.id}/role", {"role": "client"})
    db.session.refresh(designer)
    assert designer.role == Role.DESIGNER  # unchanged
    page = client.get(f"/w/{agency['workspace'].slug}/settings").get_data(as_text=True)
    assert "Choose at least one brand" in page


def test_last_owner_cannot_be_demoted_or_removed(client, agency, login):
    owner = agency["owner"]
    login(owner.user)
    slug = agency["workspace"].slug
    response = client.form(f"/w/{slug}/members/{owner.id}/role", {"role": "designer"})
    assert response.status_code == 409
    assert "at least one owner" in response.get_data(as_text=True)
    db.session.refresh(owner)
    assert owner.role == Role.OWNER
    assert client.form(f"/w/{slug}/members/{owner.id}/remove").status_code == 409


def test_owner_removes_a_member(client, agency, login):
    login(agency["owner"].user)
    designer_id = agency["designer"].id
    response = client.form(f"/w/{agency['workspace'].slug}/members/{designer_id}/remove")
    assert response.status_code == 303
    assert db.session.get(Membership, designer_id) is None


def test_brand_manager_may_invite_but_not_manage_roles(client, agency, login):
    login(agency["manager"].user)
    slug = agency["workspace"].slug
    assert client.get(f"/w/{slug}/settings").status_code == 200
    response = client.form(f"/w/{slug}/members/{agency['designer'].id}/role", {"role": "owner"})
    assert response.status_code == 403
    refused = client.form(f"/w/{slug}/invites", {"email": "boss@plume.example", "role": "owner"})
    assert refused.status_code == 422
    assert "can&#39;t invite people as owner" in refused.get_data(as_text=True)


def test_invitation_round_trip_for_a_new_person(app, client, agency, login):
    login(agency["owner"].user)
    slug = agency["workspace"].slug
    response = client.form(
        f"/w/{slug}/invites", {"email": "New.Person@plume.example", "role": "copywriter"}
    )
    assert response.status_code == 303
    link = invite_link(client.get(f"/w/{slug}/settings").get_data(as_text=True))
    client.form("/logout")

    landing = client.get(link)
    assert landing.status_code == 200
    assert "Create an account to join" in landing.get_data(as_text=True)
    token = link.rsplit("/", 1)[1]
    signup = client.form(
        "/signup",
        {
            "name": "New Person",
            "email": "new.person@plume.example",
            "password": "p" * 12,
            "invite": token,
        },
    )
    assert signup.status_code == 303
    assert signup.headers["Location"].endswith(f"/w/{slug}/")
    user = db.session.scalar(select(User).where(User.email == "new.person@plume.example"))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.workspace_id == agency["workspace"].id and membership.role == Role.COPYWRITER
    # The link works once.
    again = client.get(link)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_client_invitation_attaches_the_chosen_brands(app, client, agency, make, login):
    login(agency["owner"].user)
    slug = agency["workspace"].slug
    client.form(
        f"/w/{slug}/invites",
        {"email": "buyer@plume.example", "role": "client", "brand_ids": [str(agency["bank"].id)]},
    )
    link = invite_link(client.get(f"/w/{slug}/settings").get_data(as_text=True))
    client.form("/logout")
    buyer = make.user(email="buyer@plume.example")
    login(buyer)
    assert client.form(link).status_code == 303
    membership = db.session.scalar(select(Membership).where(Membership.user_id == buyer.id))
    assert membership.role == Role.CLIENT
    assert [b.name for b in membership.client_brands] == ["Bank"]


def test_client_invitation_without_brands_is_refused(client, agency, login):
    login(agency["owner"].user)
    response = client.form(
        f"/w/{agency['workspace'].slug}/invites", {"email": "c@plume.example", "role": "client"}
    )
    assert response.status_code == 422
    assert "Choose the brands this client may see." in response.get_data(as_text=True)
    assert db.session.scalar(select(Invitation)) is None


def test_invitation_for_someone_else_cannot_be_accepted(app, client, agency, make, login):
    with app.app_context():
        _, token = ops.create_invitation(
            agency["owner"], "right@plume.example", Role.DESIGNER, [], app.secret_key
        )
    db.session.commit()
    login(make.user(email="wrong@plume.example"))
    response = client.form(f"/invite/{token}")
    assert response.status_code == 403
    assert "Sign in with that address" in response.get_data(as_text=True)


def test_tampered_invitation_link(app, client, agency):
    with app.app_context():
        _, token = ops.create_invitation(
            agency["owner"], "t@plume.example", Role.DESIGNER, [], app.secret_key
        )
    db.session.commit()
    response = client.get(f"/invite/{token[:-2]}xx")
    assert response.status_code == 404
    assert "isn&#39;t valid" in response.get_data(as_text=True)


def test_expired_invitation_link(app, client, agency):
    with app.app_context():
        _, token = ops.create_invitation(
            agency["owner"], "e@plume.example", Role.DESIGNER, [], app.secret_key
        )
    db.session.commit()
    app.config["INVITE_MAX_AGE"] = -1
    try:
        response = client.get(f"/invite/{token}")
    finally:
        app.config["INVITE_MAX_AGE"] = 7 * 24 * 3600
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_revoked_invitation_link(app, client, agency, login):
    with app.app_context():
        invitation, token = ops.create_invitation(
            agency["owner"], "r@plume.example", Role.DESIGNER, [], app.secret_key
        )
    db.session.commit()
    login(agency["owner"].user)
    assert (
        client.form(f"/w/{agency['workspace'].slug}/invites/{invitation.id}/revoke").status_code
        == 303
    )
    client.form("/logout")
    response = client.get(f"/invite/{token}")
    assert response.status_code == 410
    assert "withdrawn" in response.get_data(as_text=True)


def test_inviting_an_existing_member_is_refused(client, agency, login):
    login(agency["owner"].user)
    response = client.form(
        f"/w/{agency['workspace'].slug}/invites",
        {"email": agency["designer"].user.email, "role": "designer"},
    )
    assert response.status_code == 422
    assert "already a member" in response.get_data(as_text=True)


def test_invite_form_errors_come_back_as_a_fragment_for_htmx(client, agency, login):
    login(agency["owner"].user)
    response = client.form(
        f"/w/{agency['workspace'].slug}/invites", {"email": "bad", "role": "designer"}, htmx=True
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.lstrip().startswith('<section class="card" id="invite-panel"')
    assert "<html" not in body
    assert "Enter a valid email address" in body


def test_rename_workspace_is_owner_only(client, agency, login):
    slug = agency["workspace"].slug
    login(agency["manager"].user)
    assert client.form(f"/w/{slug}/settings", {"name": "Hijacked"}).status_code == 403
    client.form("/logout")
    login(agency["owner"].user)
    assert client.form(f"/w/{slug}/settings", {"name": "Renamed Agency"}).status_code == 303
    db.session.refresh(agency["workspace"])
    assert agency["workspace"].name == "Renamed Agency"
    assert agency["workspace"].slug == slug
