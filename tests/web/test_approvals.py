"""Approvals: flows, statuses, decisions on exact revisions, withdrawal, share links, audit."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from studio.approvals import operations as ops
from studio.extensions import db
from studio.models import (
    ApprovalDecision,
    ApprovalEvent,
    ApprovalStep,
    Membership,
    Post,
    PostRevision,
    PostStatus,
    PublishAttempt,
    Role,
    ShareLink,
)
from studio.models.base import utcnow
from studio.publishing import operations as publishing
from studio.publishing import scheduling


@pytest.fixture
def login(client, login):
    """Sign in as someone else: sign out first (the login page ignores signed-in users)."""

    def _switch(user):
        client.form("/logout")
        return login(user)

    return _switch


def ws_url(desk, path):
    return f"/w/{desk['workspace'].slug}{path}"


def post_url(desk, post, suffix=""):
    return ws_url(desk, f"/posts/{post.id}{suffix}")


def flow_url(desk, suffix=""):
    return ws_url(desk, f"/brands/{desk['brand'].id}/approvals{suffix}")


def new_post(client, desk, text="Fresh oolong lands Friday.", platforms=("x", "linkedin")):
    response = client.form(ws_url(desk, f"/brands/{desk['brand'].id}/posts"), {"title": "Launch"})
    assert response.status_code == 303
    post = db.session.scalar(select(Post).order_by(Post.id.desc()))
    edit(client, desk, post, master_text=text, platforms=list(platforms))
    return post


def edit(client, desk, post, **fields):
    data = {"base_revision": str(post.revision)}
    if "platforms" in fields:
        data["platforms_present"] = "1"
        data["platforms"] = fields.pop("platforms")
    data.update(fields)
    response = client.form(post_url(desk, post, "/save"), data, htmx=True)
    assert response.status_code in (200, 303), response.get_data(as_text=True)[:500]
    db.session.refresh(post)
    return response


def add_step(client, desk, kind="role", role=None, members=(), mode="any", name=""):
    data = {"kind": kind, "mode": mode, "name": name, "role": role or "", "members": list(members)}
    return client.form(flow_url(desk, "/steps"), data)


def revision_id(post):
    db.session.refresh(post)
    return db.session.scalar(
        select(PostRevision.id).where(
            PostRevision.post_id == post.id, PostRevision.number == post.revision
        )
    )


def submit(client, desk, post, override=""):
    data = {"override_reason": override} if override else {}
    return client.form(post_url(desk, post, "/approvals/submit"), data, htmx=True)


def approve(client, desk, post, rev=None, **extra):
    data = {"revision_id": str(rev if rev is not None else revision_id(post)), **extra}
    return client.form(post_url(desk, post, "/approvals/approve"), data, htmx=True)


def request_changes(client, desk, post, note, rev=None):
    data = {"revision_id": str(rev if rev is not None else revision_id(post)), "note": note}
    return client.form(post_url(desk, post, "/approvals/request-changes"), data, htmx=True)


def status_of(post):
    db.session.refresh(post)
    return post.status


def events(post):
    return [
        e.kind
        for e in db.session.scalars(
            select(ApprovalEvent).where(ApprovalEvent.post_id == post.id).order_by(ApprovalEvent.id)
        )
    ]


def one_manager_step(client, desk, login, mode="any"):
    login(desk["brand_manager"].user)
    response = add_step(client, desk, "role", role="brand_manager", mode=mode, name="Brand team")
    assert response.status_code == 303, response.get_data(as_text=True)[:800]


# Flows -------------------------------------------------------------------------------


def test_managers_build_an_ordered_flow_on_the_brand_page(client, desk, login):
    login(desk["brand_manager"].user)
    show = client.get(ws_url(desk, f"/brands/{desk['brand'].id}")).get_data(as_text=True)
    assert flow_url(desk) in show  # the Approvals tab
    page = client.hx_get(flow_url(desk)).get_data(as_text=True)
    assert "No approval flow" in page and 'class="tabs"' in page

    assert (
        add_step(client, desk, "role", role="brand_manager", name="Brand team").status_code == 303
    )
    named = [desk["owner"].id, desk["designer"].id]
    response = add_step(client, desk, "members", members=named, mode="all", name="Art check")
    assert response.status_code == 303
    assert add_step(client, desk, "client", name="Client sign-off").status_code == 303
    steps = ops.flow_steps(desk["brand"])
    assert [s.name for s in steps] == ["Brand team", "Art check", "Client sign-off"]
    assert [s.position for s in steps] == [1, 2, 3]
    assert {m.id for m in steps[1].members} == set(named) and steps[1].mode == "all"

    page = client.get(flow_url(desk)).get_data(as_text=True)
    assert "Any one of the brand managers" in page
    assert "All of" in page and desk["designer"].user.name in page
    assert "the brand&#39;s client" in page

    moved = client.form(flow_url(desk, f"/steps/{steps[2].id}/move"), {"direction": "up"})
    assert moved.status_code == 303
    assert [s.name for s in ops.flow_steps(desk["brand"])][1] == "Client sign-off"
    edge = client.form(flow_url(desk, f"/steps/{steps[0].id}/move"), {"direction": "up"})
    assert edge.status_code == 409

    updated = client.form(
        flow_url(desk, f"/steps/{steps[0].id}"),
        {"name": "Owners", "kind": "role", "role": "owner", "mode": "any"},
    )
    assert updated.status_code == 303
    db.session.refresh(steps[0])
    assert steps[0].role == "owner" and steps[0].name == "Owners"

    deleted = client.form(flow_url(desk, f"/steps/{steps[1].id}/delete"))
    assert deleted.status_code == 303
    assert [s.position for s in ops.flow_steps(desk["brand"])] == [1, 2]


def test_bad_flow_input_is_refused_with_a_reason(client, desk, make, login):
    login(desk["owner"].user)
    bad_role = add_step(client, desk, "role", role="emperor")
    assert bad_role.status_code == 422
    assert "Choose the role that approves" in bad_role.get_data(as_text=True)
    assert add_step(client, desk, "members").status_code == 422
    stranger = make.member(make.workspace(), Role.OWNER)
    foreign = add_step(client, desk, "members", members=[stranger.id])
    assert foreign.status_code == 422
    assert "isn't in this workspace" in unescape(foreign.get_data(as_text=True))
    other_brand = make.brand(desk["workspace"], name="Other")
    outsider = make.member(desk["workspace"], Role.CLIENT, brands=[other_brand])
    detached = add_step(client, desk, "members", members=[outsider.id])
    assert detached.status_code == 422 and "isn't attached" in unescape(
        detached.get_data(as_text=True)
    )
    assert ops.flow_steps(desk["brand"]) == []


def test_only_managers_edit_the_flow_and_clients_dont_see_it(client, desk, login):
    login(desk["designer"].user)
    assert client.get(flow_url(desk)).status_code == 200
    assert add_step(client, desk, "client").status_code == 403
    login(desk["client"].user)
    assert client.get(flow_url(desk)).status_code == 403


# Statuses -----------------------------------------------------------------------------


def test_without_a_flow_submitting_approves(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    assert post.status == PostStatus.DRAFT
    response = submit(client, desk, post)
    assert response.status_code == 200 and response.headers["HX-Location"]
    assert status_of(post) == PostStatus.APPROVED
    assert events(post) == ["submitted", "status"]


def test_one_step_review_records_the_exact_revision(client, desk, login):
    one_manager_step(client, desk, login)
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    panel = client.get(post_url(desk, post)).get_data(as_text=True)
    assert 'id="approval-panel"' in panel and "Submit for review" in panel
    assert submit(client, desk, post).status_code == 200
    assert status_of(post) == PostStatus.IN_REVIEW
    assert submit(client, desk, post).status_code == 409  # already in review

    # The copywriter isn't an approver.
    assert approve(client, desk, post).status_code == 403

    login(desk["brand_manager"].user)
    panel = client.get(post_url(desk, post)).get_data(as_text=True)
    assert f"Approve revision {post.revision}" in panel
    rev = revision_id(post)
    assert approve(client, desk, post, rev).status_code == 200
    assert status_of(post) == PostStatus.APPROVED
    decision = db.session.scalar(
        select(ApprovalDecision).where(ApprovalDecision.post_id == post.id)
    )
    assert decision.revision_number == post.revision and decision.revision_id == rev
    assert decision.membership_id == desk["brand_manager"].id

    again = approve(client, desk, post, rev)
    assert again.status_code == 409
    assert f"already approved revision {post.revision}" in again.headers["X-Plume-Message"]
    panel = client.get(post_url(desk, post, "/approvals")).get_data(as_text=True)
    assert "approved revision" in panel and "Approved" in panel


def test_several_ordered_steps_and_all_must_approve(client, desk, make, login):
    second = make.member(desk["workspace"], Role.BRAND_MANAGER)
    one_manager_step(client, desk, login, mode="all")
    assert add_step(client, desk, "client", name="Client").status_code == 303
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    submit(client, desk, post)

    login(desk["client"].user)
    early = approve(client, desk, post)
    assert early.status_code == 409 and "has to approve first" in early.headers["X-Plume-Message"]

    login(desk["brand_manager"].user)
    assert approve(client, desk, post).status_code == 200
    assert status_of(post) == PostStatus.IN_REVIEW  # the other manager still has to
    login(second.user)
    assert approve(client, desk, post).status_code == 200
    assert status_of(post) == PostStatus.IN_REVIEW  # now the client's turn

    login(desk["client"].user)
    assert approve(client, desk, post).status_code == 200
    assert status_of(post) == PostStatus.APPROVED
    assert events(post).count("approved") == 3


def test_request_changes_needs_a_note_and_resubmitting_starts_over(client, desk, login):
    one_manager_step(client, desk, login)
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    submit(client, desk, post)
    login(desk["brand_manager"].user)
    empty = request_changes(client, desk, post, "  ")
    assert empty.status_code == 422 and "Say what needs to change" in empty.get_data(as_text=True)
    assert request_changes(client, desk, post, "Mention the price.").status_code == 200
    assert status_of(post) == PostStatus.CHANGES_REQUESTED

    login(desk["copywriter"].user)
    panel = client.get(post_url(desk, post)).get_data(as_text=True)
    assert "Mention the price." in panel
    edit(client, desk, post, master_text="Fresh oolong lands Friday, £9.")
    assert submit(client, desk, post).status_code == 200
    assert status_of(post) == PostStatus.IN_REVIEW
    assert ops.progress(post).round == 2


# Submitting is blocked by voice rules and platform errors ----------------------------


def test_block_findings_stop_submission_unless_a_manager_overrides(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk, text="Cheap tea, great taste.")
    blocked = submit(client, desk, post)
    assert blocked.status_code == 422
    body = blocked.get_data(as_text=True)
    assert "voice rules block this post" in body and "“Cheap”" in body
    assert status_of(post) == PostStatus.DRAFT
    assert submit(client, desk, post, override="Client asked for it").status_code == 403

    login(desk["brand_manager"].user)
    panel = client.get(post_url(desk, post)).get_data(as_text=True)
    assert "Override and submit" in panel
    short = submit(client, desk, post, override="ok")
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    assert submit(client, desk, post, override="The client's own tagline").status_code == 200
    assert status_of(post) == PostStatus.APPROVED  # no flow
    override = db.session.scalar(
        select(ApprovalEvent).where(
            ApprovalEvent.post_id == post.id, ApprovalEvent.kind == "override"
        )
    )
    assert "The client's own tagline" in override.note and "Cheap" in override.note
    assert override.actor_name == desk["brand_manager"].user.name


def test_platform_errors_stop_submission_with_what_to_fix(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk, text="x" * 400, platforms=("x",))
    response = submit(client, desk, post)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Fix these platform problems" in body and "X:" in body
    assert status_of(post) == PostStatus.DRAFT


# Edits after approval ------------------------------------------------------------------


def test_an_edit_withdraws_the_approval_and_shows_a_word_diff(client, desk, login):
    one_manager_step(client, desk, login)
    login(desk["copywriter"].user)
    post = new_post(client, desk, text="Fresh oolong lands Friday <b>here</b>.")
    submit(client, desk, post)
    login(desk["brand_manager"].user)
    approve(client, desk, post)
    approved_rev = post.revision
    assert status_of(post) == PostStatus.APPROVED

    # Internal fields don't touch approved content.
    login(desk["copywriter"].user)
    edit(client, desk, post, labels="autumn")
    assert status_of(post) == PostStatus.APPROVED

    edit(client, desk, post, master_text="Fresh green oolong lands Monday <b>here</b>.")
    assert status_of(post) == PostStatus.IN_REVIEW
    decision = db.session.scalar(
        select(ApprovalDecision).where(ApprovalDecision.post_id == post.id)
    )
    assert decision.withdrawn_reason == "edited" and decision.withdrawn_revision == post.revision
    assert "withdrawn" in events(post)

    login(desk["brand_manager"].user)
    panel = client.get(post_url(desk, post)).get_data(as_text=True)
    assert f"approval of revision {approved_rev} was withdrawn" in panel
    assert "<ins>green </ins>" in panel
    assert re.search(r"<del>Friday</del>\s*<ins>Monday</ins>", panel)
    assert "&lt;b&gt;here&lt;/b&gt;" in panel and "<b>here</b>" not in panel
    assert f"Approve revision {post.revision}" in panel  # they can approve again
    assert approve(client, desk, post).status_code == 200
    assert status_of(post) == PostStatus.APPROVED

    changes = client.get(post_url(desk, post, f"/approvals/changes/{decision.revision_id}"))
    assert changes.status_code == 200 and "<ins>green </ins>" in changes.get_data(as_text=True)


def test_on_post_saved_is_a_no_op_without_approvals(app, client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    with app.app_context():
        assert ops.on_post_saved(post, post.revision, None) == []
    assert status_of(post) == PostStatus.DRAFT


def test_word_diff_keeps_words_whole_and_escapes():
    from studio.approvals.diffing import render_diff, word_diff

    pieces = word_diff("Ship the teapot today", "Ship the teapots today <now>")
    html = str(render_diff(pieces))
    assert "<del>teapot</del><ins>teapots</ins>" in html
    assert "&lt;now&gt;" in html


# Bad input ------------------------------------------------------------------------------


def test_revisions_from_another_post_or_workspace_are_404_and_stale_ones_409(
    client, desk, make, login
):
    one_manager_step(client, desk, login)
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    other = new_post(client, desk)
    old_rev = revision_id(post)
    edit(client, desk, post, master_text="A later caption.")
    submit(client, desk, post)

    foreign_ws = make.workspace()
    foreign_brand = make.brand(foreign_ws)
    foreign_owner = make.member(foreign_ws, Role.OWNER)
    from studio.composer import operations as composer_ops

    foreign_post = composer_ops.create_post(foreign_owner, foreign_brand, "Theirs")
    db.session.commit()
    foreign_rev = revision_id(foreign_post)

    login(desk["brand_manager"].user)
    assert approve(client, desk, post, revision_id(other)).status_code == 404
    assert approve(client, desk, post, foreign_rev).status_code == 404
    assert client.get(post_url(desk, post, f"/approvals/changes/{foreign_rev}")).status_code == 404
    stale = approve(client, desk, post, old_rev)
    assert (
        stale.status_code == 409
        and "changed after you opened it" in stale.headers["X-Plume-Message"]
    )
    missing = approve(client, desk, post, "nonsense")
    assert missing.status_code == 422
    assert status_of(post) == PostStatus.IN_REVIEW


def test_an_approver_who_left_no_longer_counts(client, desk, make, login):
    login(desk["owner"].user)
    leaving = make.member(desk["workspace"], Role.DESIGNER)
    staying = desk["designer"]
    add_step(client, desk, "members", members=[leaving.id, staying.id], name="Designers")
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    submit(client, desk, post)
    login(leaving.user)
    assert approve(client, desk, post).status_code == 200
    assert status_of(post) == PostStatus.APPROVED
    name = leaving.user.name

    login(desk["owner"].user)
    removed = client.form(ws_url(desk, f"/members/{leaving.id}/remove"))
    assert removed.status_code in (200, 303)
    assert db.session.get(Membership, leaving.id) is None
    panel = client.get(post_url(desk, post)).get_data(as_text=True)
    assert f"{name}&#39;s approval no longer counts: they are no longer a member." in panel
    assert not ops.is_fully_approved(post)
    assert desk["designer"].user.name in panel

    login(staying.user)
    assert approve(client, desk, post).status_code == 200
    assert ops.is_fully_approved(post)


# Share links -----------------------------------------------------------------------------


def _share(client, desk, post, label="Dana at Harbour Tea", days="14"):
    response = client.form(
        post_url(desk, post, "/approvals/share-links"), {"label": label, "days": days}, htmx=True
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    link = db.session.scalar(select(ShareLink).order_by(ShareLink.id.desc()))
    panel = client.get(post_url(desk, post, "/approvals")).get_data(as_text=True)
    match = re.search(r'value="http://[^"]*(/share/[^"]+)"', panel)
    assert match, "the panel shows the link"
    return link, match.group(1)


def test_a_client_without_an_account_approves_through_a_share_link(app, desk, make, login, client):
    login(desk["owner"].user)
    add_step(client, desk, "client", name="Client")
    login(desk["copywriter"].user)
    post = new_post(client, desk, text="Oolong for autumn.")
    edit(client, desk, post, labels="secret-label", campaign="Internal Plan Z")
    submit(client, desk, post)
    login(desk["brand_manager"].user)
    assert (
        client.form(post_url(desk, post, "/approvals/share-links"), {"label": ""}).status_code
        == 422
    )
    _link, path = _share(client, desk, post)

    guest = app.test_client()
    guest.__class__ = type(client)
    page = guest.get(path)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'id="preview-x"' in body and "Oolong for autumn." in body
    assert "Approve revision" in body
    for internal in ("secret-label", "Internal Plan Z", "Launch", "Audit trail", "Override"):
        assert internal not in body
    assert page.headers["Cache-Control"] == "no-store"

    no_note = guest.form(
        path, {"decision": "changes", "note": "", "revision_id": revision_id(post)}
    )
    assert no_note.status_code == 422
    done = guest.form(path, {"decision": "approve", "revision_id": revision_id(post)})
    assert done.status_code == 303
    assert status_of(post) == PostStatus.APPROVED
    decision = db.session.scalar(
        select(ApprovalDecision).where(ApprovalDecision.post_id == post.id)
    )
    assert decision.via_share_link and decision.approver_name == "Dana at Harbour Tea"
    assert "your approval of revision" in guest.get(path).get_data(as_text=True)
    twice = guest.form(path, {"decision": "approve", "revision_id": revision_id(post)})
    assert twice.status_code == 409

    # A later edit withdraws it, and the link shows the client what changed.
    login(desk["copywriter"].user)
    edit(client, desk, post, master_text="Oolong for winter.")
    assert status_of(post) == PostStatus.IN_REVIEW
    body = guest.get(path).get_data(as_text=True)
    assert "Your approval of revision" in body and "<del>autumn</del><ins>winter</ins>" in body


def test_forged_expired_and_revoked_share_links(app, client, desk, login, monkeypatch):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    login(desk["owner"].user)
    link, path = _share(client, desk, post)
    guest = app.test_client()
    guest.__class__ = type(client)

    forged = guest.get(path[:-3] + ("abc" if not path.endswith("abc") else "xyz"))
    assert forged.status_code == 404
    assert "isn't valid" in unescape(forged.get_data(as_text=True))
    assert guest.get("/share/not-a-token").status_code == 404
    assert guest.form(path[:-2] + "zz", {"decision": "approve"}).status_code == 404

    monkeypatch.setitem(app.config, "SHARE_LINK_MAX_AGE", -1)
    expired = guest.get(path)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    monkeypatch.setitem(app.config, "SHARE_LINK_MAX_AGE", 3600)

    link.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert guest.get(path).status_code == 410
    link.expires_at = utcnow() + timedelta(days=1)
    db.session.commit()
    assert guest.get(path).status_code == 200

    revoked = client.form(post_url(desk, post, f"/approvals/share-links/{link.id}/revoke"))
    assert revoked.status_code == 303
    gone = guest.get(path)
    assert gone.status_code == 410 and "withdrawn" in gone.get_data(as_text=True)
    assert (
        client.form(post_url(desk, post, f"/approvals/share-links/{link.id}/revoke")).status_code
        == 409
    )
    assert "share_link_revoked" in events(post)


def test_only_managers_create_share_links(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    response = client.form(post_url(desk, post, "/approvals/share-links"), {"label": "Dana"})
    assert response.status_code == 403


# Portal ----------------------------------------------------------------------------------


def test_client_members_approve_from_their_portal(client, desk, make, login):
    login(desk["owner"].user)
    add_step(client, desk, "client", name="Client")
    login(desk["copywriter"].user)
    post = new_post(client, desk, text="Portal tea.")
    submit(client, desk, post)

    login(desk["client"].user)
    landing = client.get(ws_url(desk, "/"))
    assert landing.status_code == 303 and landing.headers["Location"].endswith("/portal")
    hx_landing = client.hx_get(ws_url(desk, "/"))
    assert hx_landing.headers["HX-Location"].endswith("/portal")
    # HX-Location fetches the page as htmx (not boosted): it must still come whole.
    whole = client.hx_get(ws_url(desk, "/portal")).get_data(as_text=True)
    assert f"<h1>{desk['workspace'].name}</h1>" in whole and "Your brands" in whole
    portal = client.get(ws_url(desk, "/portal")).get_data(as_text=True)
    assert "Launch" in portal and f"/portal/posts/{post.id}" in portal
    page = client.get(ws_url(desk, f"/portal/posts/{post.id}")).get_data(as_text=True)
    assert 'id="preview-x"' in page and "Approve revision" in page
    done = client.form(
        post_url(desk, post, "/approvals/approve"),
        {"revision_id": revision_id(post), "back": "portal"},
    )
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/portal/posts/{post.id}")
    assert status_of(post) == PostStatus.APPROVED
    assert "Nothing waits for your approval" in client.get(ws_url(desk, "/portal")).get_data(
        as_text=True
    )
    assert client.get(post_url(desk, post, "/audit")).status_code == 403


def test_a_client_cannot_approve_a_brand_they_are_not_attached_to(client, desk, make, login):
    other = make.brand(desk["workspace"], name="Other Brand")
    outsider = make.member(desk["workspace"], Role.CLIENT, brands=[other])
    login(desk["owner"].user)
    add_step(client, desk, "client", name="Client")
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    submit(client, desk, post)
    login(outsider.user)
    assert approve(client, desk, post).status_code == 404
    assert client.get(ws_url(desk, f"/portal/posts/{post.id}")).status_code == 404
    assert "Launch" not in client.get(ws_url(desk, "/portal")).get_data(as_text=True)


# Audit -----------------------------------------------------------------------------------


def test_the_audit_trail_lists_every_change_with_who_and_when(client, desk, login):
    one_manager_step(client, desk, login)
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    submit(client, desk, post)
    login(desk["brand_manager"].user)
    request_changes(client, desk, post, "Shorter, please.")
    login(desk["copywriter"].user)
    edit(client, desk, post, master_text="Shorter.")
    submit(client, desk, post)
    login(desk["brand_manager"].user)
    approve(client, desk, post)
    assert events(post) == ["submitted", "changes_requested", "submitted", "approved", "status"]

    page = client.get(post_url(desk, post, "/audit"))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Shorter, please." in body and desk["brand_manager"].user.name in body
    assert "requested changes" in body and "submitted for review" in body
    assert re.search(r"\d{2} \w{3} \d{4} \d{2}:\d{2} UTC", body)
    panel = client.get(post_url(desk, post)).get_data(as_text=True)
    assert "Audit trail" in panel and "Full audit trail" in panel


def test_publishing_can_record_its_status_change(app, client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    submit(client, desk, post)
    with app.app_context():
        ops.change_status(post, PostStatus.PUBLISHED, None, "published", actor_name="Plume")
    db.session.commit()
    assert status_of(post) == PostStatus.PUBLISHED and events(post)[-1] == "published"


def test_step_ids_of_other_brands_are_404(client, desk, make, login):
    other = make.brand(desk["workspace"], name="Other")
    login(desk["owner"].user)
    add_step(client, desk, "client")
    step = db.session.scalar(select(ApprovalStep))
    url = ws_url(desk, f"/brands/{other.id}/approvals/steps/{step.id}/delete")
    assert client.form(url).status_code == 404


def test_approvers_and_authors_hear_about_reviews_in_their_inbox(client, desk, login):
    from studio.models import Notification

    def inbox(member):
        return [
            (n.kind, n.post_id)
            for n in db.session.scalars(
                select(Notification)
                .where(Notification.user_id == member.user_id)
                .order_by(Notification.id)
            )
        ]

    one_manager_step(client, desk, login)
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    submit(client, desk, post)
    assert inbox(desk["brand_manager"]) == [("review_requested", post.id)]
    assert inbox(desk["owner"]) == []  # not an approver of this flow
    login(desk["brand_manager"].user)
    request_changes(client, desk, post, "Warmer, please.")
    assert inbox(desk["copywriter"]) == [("changes_requested", post.id)]
    login(desk["copywriter"].user)
    edit(client, desk, post, master_text="Warm oolong lands Friday.")
    submit(client, desk, post)
    login(desk["brand_manager"].user)
    approve(client, desk, post)
    assert inbox(desk["copywriter"])[-1] == ("approved", post.id)


def _planned_while_in_review(app, client, desk, login):
    """A post in review, planned on the calendar for tomorrow 09:30 by the brand manager."""
    with app.app_context():
        publishing.connect_channel(desk["brand_manager"], desk["brand"], "sandbox", {})
        db.session.commit()
    one_manager_step(client, desk, login)
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    submit(client, desk, post)
    login(desk["brand_manager"].user)
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    planned = client.form(
        post_url(desk, post, "/schedule"), {"date": tomorrow, "time": "09:30"}, htmx=True
    )
    assert "Not scheduled to publish yet" in planned.get_data(as_text=True)
    assert (
        db.session.scalar(select(PublishAttempt).where(PublishAttempt.post_id == post.id)) is None
    )
    return post


def test_a_post_planned_while_in_review_is_scheduled_once_approved(app, client, desk, login):
    post = _planned_while_in_review(app, client, desk, login)

    assert approve(client, desk, post).status_code == 200
    assert status_of(post) == PostStatus.SCHEDULED
    attempt = db.session.scalar(select(PublishAttempt).where(PublishAttempt.post_id == post.id))
    schedule = scheduling.get_schedule(post)
    assert attempt.state == "scheduled" and attempt.due_at == schedule.due_at
    with app.app_context():
        from studio.tasks.queue import get_queue

        registry = get_queue(scheduling.PUBLISH_QUEUE).scheduled_job_registry
        assert scheduling.job_id(attempt) in registry.get_job_ids()


def test_a_planned_post_whose_time_passed_waits_for_a_new_time(app, client, desk, login):
    post = _planned_while_in_review(app, client, desk, login)
    schedule = scheduling.get_schedule(post)
    schedule.due_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    assert approve(client, desk, post).status_code == 200
    assert status_of(post) == PostStatus.APPROVED  # nobody meant it to go out late
    assert (
        db.session.scalar(select(PublishAttempt).where(PublishAttempt.post_id == post.id)) is None
    )


def test_decisions_through_a_share_link_are_rate_limited(app, client, desk, login, monkeypatch):
    monkeypatch.setitem(app.config, "SHARE_LIMIT_PER_LINK", "3 per hour")
    login(desk["owner"].user)
    add_step(client, desk, "client", name="Client")
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    submit(client, desk, post)
    login(desk["brand_manager"].user)
    _link, path = _share(client, desk, post)
    guest = app.test_client()
    guest.__class__ = type(client)
    empty = {"decision": "changes", "note": "", "revision_id": revision_id(post)}
    for _ in range(3):
        assert guest.form(path, empty).status_code == 422
    blocked = guest.form(path, {"decision": "approve", "revision_id": revision_id(post)})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert status_of(post) == PostStatus.IN_REVIEW
    assert guest.get(path).status_code == 200  # the page itself can still be read


def test_a_post_with_images_goes_to_review_and_the_client_sees_them(app, client, desk, login):
    import io

    from PIL import Image

    from studio.assets import operations as assets

    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (180, 90, 40)).save(buffer, "JPEG", quality=90)
    with app.app_context():
        item = assets.add_media(desk["brand"], buffer.getvalue(), "beans.jpg", None).item
        assets.update_details(item, "Roasted beans on a tray", [])
    db.session.commit()
    login(desk["owner"].user)
    add_step(client, desk, "client", name="Client")
    login(desk["copywriter"].user)
    # Instagram refuses a post without an image; with one attached it may go to review.
    post = new_post(client, desk, platforms=("instagram", "x"))
    edit(client, desk, post, action=f"attach:{item.id}")
    assert [m["media_id"] for m in post.media] == [item.id]
    response = submit(client, desk, post)
    assert response.status_code == 200, unescape(response.get_data(as_text=True))[:600]
    assert status_of(post) == PostStatus.IN_REVIEW

    login(desk["brand_manager"].user)
    _link, path = _share(client, desk, post)
    guest = app.test_client()
    body = guest.get(path).get_data(as_text=True)
    instagram = body[body.index('id="preview-instagram"') :]
    assert f"/media/{item.id}/r/" in instagram[: instagram.index("</article>")]
