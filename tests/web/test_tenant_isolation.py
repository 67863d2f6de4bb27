"""Every URL with an id, tried from another workspace and by roles that may not use it."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from PIL import Image

from studio.approvals import operations as approval_ops
from studio.assets import operations as media_ops
from studio.comments.notifications import notify
from studio.composer import operations as composer_ops
from studio.extensions import db
from studio.kits import operations as kit_ops
from studio.models import Comment, CommentVisibility, Role, WorkspaceExport
from studio.models.analytics import MetricImport, Report
from studio.models.publishing import Channel, PublishAttempt
from studio.workspaces import operations as ops

# How to fill each URL argument with an object of the victim workspace.
# A new route with an unknown argument fails test_every_id_argument_is_covered.
ARGUMENTS = {
    "ws": lambda w: w["victim_ws"].slug,
    "brand_id": lambda w: w["brand"].id,
    "member_id": lambda w: w["member"].id,
    "invite_id": lambda w: w["invitation"].id,
    "export_id": lambda w: w["export"].id,
    "job_id": lambda w: w["export"].job_id,
    "token": lambda w: "not-a-real-token",
    "asset_id": lambda w: w["asset"].id,
    "post_id": lambda w: w["post"].id,
    "attempt_id": lambda w: w["attempt"].id,
    "step_id": lambda w: w["step"].id,
    "link_id": lambda w: w["share_link"].id,
    "revision_id": lambda w: w["revision"].id,
    "channel_id": lambda w: w["channel"].id,
    "platform": lambda w: "mastodon",
    "comment_id": lambda w: w["comment"].id,
    "notification_id": lambda w: w["notification"].id,
    "media_id": lambda w: w["media"].id,
    "preset_id": lambda w: "x_single",
    "rendition": lambda w: f"{w['media'].sha256[:16]}-x_single-{'0' * 24}.jpg",
    "digest": lambda w: "0" * 24,
    "spec_id": lambda w: "x_avatar",
    "number": lambda w: 1,
    "import_id": lambda w: w["metric_import"].id,
    "report_id": lambda w: w["report"].id,
}
# Routes that take no workspace object (or are public by design).
PUBLIC_OR_OWN = {"static", "auth.invitation"}


@pytest.fixture
def world(app: Flask, make):
    victim_ws = make.workspace(name="Victim")
    brand = make.brand(victim_ws)
    owner = make.member(victim_ws, Role.OWNER)
    member = make.member(victim_ws, Role.DESIGNER)
    with app.app_context():
        invitation, _ = ops.create_invitation(
            owner, "guest@plume.example", Role.DESIGNER, [], app.secret_key
        )
        kit = kit_ops.get_kit(brand)
        asset = kit_ops.store_asset(kit, kit_ops.CleanAsset("logos/mark.png", b"png", "image/png"))
        post = composer_ops.create_post(owner, brand, "Victim's launch")
        step = approval_ops.add_step(
            brand, approval_ops.StepInput("Managers", "role", "brand_manager", [], "any")
        )
        share_link, _ = approval_ops.create_share_link(
            post, owner, "Victim's client", 7, app.secret_key
        )
        revision = composer_ops.get_revision(post, post.revision)
        channel = Channel(workspace_id=victim_ws.id, brand_id=brand.id, platform="sandbox")
        db.session.add(channel)
        db.session.flush()
        attempt = PublishAttempt(
            workspace_id=victim_ws.id,
            brand_id=brand.id,
            post_id=post.id,
            channel_id=channel.id,
            platform="sandbox",
            idempotency_key="victim-key",
            state="failed",
            due_at=post.created_at,
        )
        db.session.add(attempt)
        comment = Comment(
            workspace_id=victim_ws.id,
            post_id=post.id,
            author_id=owner.user_id,
            body="Victim's note",
            visibility=CommentVisibility.CLIENT,
        )
        db.session.add(comment)
        db.session.flush()
        notification = notify(
            owner.user_id,
            victim_ws.id,
            "mention",
            "Victim's news",
            post_id=post.id,
            comment_id=comment.id,
        )
        picture = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 40, 40)).save(picture, "PNG")
        media = media_ops.add_media(brand, picture.getvalue(), "victim.png", owner.user).item
    export = WorkspaceExport(workspace_id=victim_ws.id, job_id="export-victim", status="finished")
    metric_import = MetricImport(
        workspace_id=victim_ws.id, brand_id=brand.id, platform="x", filename="v.csv", blob_key="v"
    )
    report = Report(workspace_id=victim_ws.id, brand_id=brand.id, period="2026-10")
    db.session.add_all([metric_import, report])
    db.session.add(export)
    db.session.commit()
    attacker = make.member(make.workspace(name="Attacker"), Role.OWNER)
    return {
        "victim_ws": victim_ws,
        "brand": brand,
        "owner": owner,
        "member": member,
        "invitation": invitation,
        "export": export,
        "asset": asset,
        "post": post,
        "attempt": attempt,
        "step": step,
        "share_link": share_link,
        "revision": revision,
        "channel": channel,
        "comment": comment,
        "notification": notification,
        "media": media,
        "attacker": attacker,
        "metric_import": metric_import,
        "report": report,
    }


def _routes(app: Flask):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_OR_OWN or not rule.arguments:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_id_argument_is_covered(app):
    unknown = {arg for rule, _ in _routes(app) for arg in rule.arguments} - set(ARGUMENTS)
    assert not unknown, f"add these URL arguments to ARGUMENTS: {unknown}"


def _call(client, rule, method, world, ws_slug):
    values = {arg: ARGUMENTS[arg](world) for arg in rule.arguments}
    if "ws" in values:
        values["ws"] = ws_slug
    url = rule.build(values, append_unknown=False)[1]
    if method == "GET":
        return url, client.get(url)
    return url, client.form(url, {}, method=method) if method != "POST" else client.form(url, {})


def test_member_of_another_workspace_gets_404_everywhere(app, client, world, login):
    login(world["attacker"].user)
    checked = 0
    for rule, method in _routes(app):
        for slug in (world["victim_ws"].slug, world["attacker"].workspace.slug):
            if (
                slug == world["attacker"].workspace.slug
                and "ws" in rule.arguments
                and len(rule.arguments) == 1
            ):
                continue  # the attacker's own workspace pages are theirs to use
            url, response = _call(client, rule, method, world, slug)
            assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
            assert world["victim_ws"].name not in response.get_data(as_text=True)
            checked += 1
    assert checked >= 10


# Routes each non-owner role must be refused (403), or not see at all (404 for clients on
# brands they are not attached to).
FORBIDDEN = {
    Role.DESIGNER: {
        ("POST", "workspaces.update_settings"),
        ("POST", "workspaces.change_role"),
        ("POST", "workspaces.remove_member"),
        ("POST", "workspaces.invite"),
        ("POST", "workspaces.revoke_invite"),
        ("POST", "workspaces.start_export"),
        ("GET", "workspaces.download_export"),
        ("GET", "workspaces.settings"),
        ("POST", "brands.create"),
        ("POST", "brands.update"),
        ("POST", "brands.update_platforms"),
        ("POST", "kits.update_voice"),
        ("POST", "kits.import_kit"),
        ("POST", "reports.create_report"),
        ("POST", "reports.create_link"),
        ("POST", "reports.save_schedule"),
        ("GET", "reports.report_template"),
        ("POST", "reports.save_report_template"),
        ("GET", "reports.import_form"),
        ("POST", "reports.upload"),
        ("GET", "reports.import_detail"),
        ("POST", "reports.start_import"),
        ("POST", "calendar.queue_slots"),
        ("POST", "calendar.ical_create"),
        ("POST", "calendar.ical_revoke"),
        ("POST", "approvals.add_step"),
        ("POST", "approvals.update_step"),
        ("POST", "approvals.delete_step"),
        ("POST", "approvals.move_step"),
        ("POST", "approvals.create_share_link"),
        ("POST", "approvals.revoke_share_link"),
        ("POST", "approvals.approve"),
        ("POST", "approvals.request_changes"),
        ("POST", "channels.connect"),
        ("POST", "channels.test"),
        ("POST", "channels.disconnect"),
        ("POST", "channels.oauth_start"),
        ("GET", "comments.edit_form"),  # the owner's comment: only its author edits it
        ("POST", "comments.edit"),
        ("POST", "comments.delete"),  # only its author, or a manager moderating
    },
    Role.BRAND_MANAGER: {
        ("POST", "workspaces.update_settings"),
        ("POST", "workspaces.change_role"),
        ("POST", "workspaces.remove_member"),
        ("POST", "workspaces.start_export"),
        ("GET", "workspaces.download_export"),
        ("GET", "comments.edit_form"),  # a manager may delete anyone's comment, not reword it
        ("POST", "comments.edit"),
    },
}
# Everyone may see a brand's media; only owners, brand managers and designers change it.
MEDIA_EDITS = {
    ("POST", "assets.upload"),
    ("POST", "assets.update"),
    ("POST", "assets.set_focal"),
    ("POST", "assets.save_crop"),
    ("POST", "assets.reset_crop"),
    ("POST", "assets.set_frame"),
    ("POST", "assets.start_render_all"),
    ("POST", "assets.delete"),
    ("POST", "assets.profile_zip"),
}
FORBIDDEN[Role.COPYWRITER] = FORBIDDEN[Role.DESIGNER] | {
    ("POST", "kits.update_palette"),
    ("POST", "kits.update_fonts"),
    ("POST", "kits.upload_logos"),
}
FORBIDDEN[Role.COPYWRITER] |= MEDIA_EDITS
FORBIDDEN[Role.CLIENT] = FORBIDDEN[Role.COPYWRITER] | {
    ("POST", "composer.create"),
    ("POST", "composer.save"),
    ("POST", "approvals.submit"),
    ("GET", "approvals.flow"),
    ("GET", "approvals.audit"),
    ("POST", "composer.restore"),
    ("POST", "calendar.schedule"),
    ("POST", "calendar.move"),
    ("POST", "calendar.unschedule"),
    ("POST", "calendar.add_to_queue"),
    ("POST", "calendar.retry"),
    ("POST", "calendar.confirm"),
    ("GET", "channels.index"),
    ("POST", "comments.resolve"),  # a thread the team started
    ("POST", "comments.reopen"),
}


@pytest.mark.parametrize("role", [Role.BRAND_MANAGER, Role.DESIGNER, Role.COPYWRITER, Role.CLIENT])
def test_roles_are_refused_what_they_may_not_do(app, client, world, make, login, role):
    brands = [world["brand"]] if role == Role.CLIENT else None
    member = make.member(world["victim_ws"], role, brands=brands)
    login(member.user)
    endpoints = {(m, r.endpoint): r for r, m in _routes(app)}
    for method, endpoint in sorted(FORBIDDEN[role]):
        rule = endpoints[(method, endpoint)]
        url, response = _call(client, rule, method, world, world["victim_ws"].slug)
        assert response.status_code == 403, f"{role} {method} {url} answered {response.status_code}"


def test_client_cannot_reach_a_brand_they_are_not_attached_to(app, client, world, make, login):
    other = make.brand(world["victim_ws"], name="Other Brand")
    member = make.member(world["victim_ws"], Role.CLIENT, brands=[world["brand"]])
    login(member.user)
    slug = world["victim_ws"].slug
    for method, url in (
        ("GET", f"/w/{slug}/brands/{other.id}"),
        ("POST", f"/w/{slug}/brands/{other.id}"),
    ):
        response = client.get(url) if method == "GET" else client.form(url, {})
        assert response.status_code == 404, f"{method} {url}"
        assert "Other Brand" not in response.get_data(as_text=True)
