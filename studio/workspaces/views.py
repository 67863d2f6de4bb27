"""Home, dashboard, workspace settings, members, invitations and exports."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    render_template,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from jobs.exports import export_path, export_workspace
from studio.extensions import db
from studio.models import Membership, Role, Workspace
from studio.policy import Action, get_member, invitable_roles, require, visible_brands
from studio.tasks.queue import QueueUnavailable, enqueue
from studio.web import render_page, see_other, workspace_blueprint
from studio.workspaces import operations as ops
from studio.workspaces.forms import InviteForm, RoleForm, WorkspaceForm

home_bp = Blueprint("home", __name__)
bp = workspace_blueprint("workspaces", __name__)


@home_bp.get("/")
@login_required
def home() -> Response:
    memberships = db.session.scalars(
        select(Membership)
        .join(Workspace)
        .where(Membership.user_id == current_user.id)
        .order_by(Workspace.name)
    ).all()
    if not memberships:
        return see_other(url_for("home.new_workspace"))
    preferred = session.get("ws")
    chosen = next((m for m in memberships if m.workspace.slug == preferred), memberships[0])
    return see_other(url_for("workspaces.dashboard", ws=chosen.workspace.slug))


@home_bp.route("/workspaces/new", methods=["GET", "POST"])
@login_required
def new_workspace() -> Response | tuple[str, int]:
    form = WorkspaceForm()
    if form.validate_on_submit():
        workspace = ops.create_workspace(current_user, form.name.data)
        db.session.commit()
        flash(f"Created {workspace.name}.", "success")
        return see_other(url_for("workspaces.dashboard", ws=workspace.slug))
    return render_template("workspaces/new.html", form=form), 422 if form.is_submitted() else 200


@bp.get("/")
def dashboard() -> str | Response:
    if g.membership.role == Role.CLIENT:
        # Clients work from their portal: what awaits their approval, and their reports.
        return see_other(url_for("approvals.portal"))
    brands = db.session.scalars(visible_brands(g.membership)).all()
    return render_template("workspaces/dashboard.html", brands=brands)


def _settings_context(
    invite_form: InviteForm | None = None, workspace_form: WorkspaceForm | None = None
) -> dict:
    brands = db.session.scalars(visible_brands(g.membership)).all()
    if invite_form is None:
        invite_form = InviteForm(formdata=None)
    invite_form.set_choices(invitable_roles(g.membership), list(brands))
    return {
        "members": ops.members(g.workspace),
        "invitations": ops.open_invitations(g.workspace),
        "invite_form": invite_form,
        "workspace_form": workspace_form or WorkspaceForm(formdata=None, obj=g.workspace),
        "brands": brands,
        "roles": list(Role),
        "exports": ops.recent_exports(g.workspace),
        "invite_links": session.get("invite_links", {}),
    }


@bp.get("/settings")
def settings() -> str:
    require(g.membership, Action.INVITE)
    return render_page("workspaces/settings.html", **_settings_context())


@bp.post("/settings")
def update_settings() -> Response | tuple[str, int]:
    require(g.membership, Action.EDIT_WORKSPACE)
    form = WorkspaceForm()
    if form.validate_on_submit():
        ops.rename_workspace(g.workspace, form.name.data)
        db.session.commit()
        flash("Workspace renamed.", "success")
        return see_other(url_for("workspaces.settings"))
    return render_page("workspaces/settings.html", **_settings_context(workspace_form=form)), 422


@bp.post("/invites")
def invite() -> Response | tuple[str, int]:
    require(g.membership, Action.INVITE)
    form = InviteForm()
    brands = db.session.scalars(visible_brands(g.membership)).all()
    form.set_choices(invitable_roles(g.membership), list(brands))
    if form.validate_on_submit():
        try:
            invitation, token = ops.create_invitation(
                g.membership,
                form.email.data,
                Role(form.role.data),
                list(form.brand_ids.data or []),
                current_app.config["SECRET_KEY"],
            )
        except ops.WorkspaceError as exc:
            getattr(form, exc.field or "email").errors.append(str(exc))
        else:
            db.session.commit()
            link = url_for("auth.invitation", token=token, _external=True)
            # No mail server in a local studio: the link is shown once to copy and send.
            links = dict(session.get("invite_links", {}))
            links[str(invitation.id)] = link
            session["invite_links"] = links
            flash(
                f"Invitation for {invitation.email} created. Copy the link below and send it.",
                "success",
            )
            return see_other(url_for("workspaces.settings", _anchor="invitations"))
    return render_page(
        "workspaces/settings.html", "invite_panel", **_settings_context(invite_form=form)
    ), 422


@bp.post("/invites/<int:invite_id>/revoke")
def revoke_invite(invite_id: int) -> Response:
    require(g.membership, Action.INVITE)
    invitation = ops.get_invitation(g.workspace, invite_id)
    if invitation is None:
        raise NotFound("No such invitation in this workspace.")
    try:
        ops.revoke_invitation(invitation)
    except ops.WorkspaceError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Invitation for {invitation.email} withdrawn.", "success")
    return see_other(url_for("workspaces.settings", _anchor="invitations"))


@bp.post("/members/<int:member_id>/role")
def change_role(member_id: int) -> Response | tuple[str, int]:
    require(g.membership, Action.MANAGE_MEMBERS)
    member = get_member(g.membership, member_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose one of the listed roles.", "error")
        return see_other(url_for("workspaces.settings"))
    try:
        ops.change_role(g.membership, member, Role(form.role.data), list(form.brand_ids.data or []))
    except ops.WorkspaceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        if exc.status == 409:
            return render_page("workspaces/settings.html", **_settings_context()), 409
    else:
        db.session.commit()
        flash(f"{member.user.name} is now {Role(member.role).label.lower()}.", "success")
    return see_other(url_for("workspaces.settings"))


@bp.post("/members/<int:member_id>/remove")
def remove_member(member_id: int) -> Response | tuple[str, int]:
    require(g.membership, Action.MANAGE_MEMBERS)
    member = get_member(g.membership, member_id)
    try:
        ops.remove_member(g.membership, member)
    except ops.WorkspaceError as exc:
        flash(str(exc), "error")
        return render_page("workspaces/settings.html", **_settings_context()), exc.status
    name = member.user.name
    db.session.commit()
    flash(f"{name} was removed from the workspace.", "success")
    return see_other(url_for("workspaces.settings"))


@bp.post("/exports")
def start_export() -> tuple[str, int]:
    require(g.membership, Action.EXPORT_WORKSPACE)
    export = ops.request_export(g.membership)
    db.session.commit()
    try:
        enqueue(
            export_workspace,
            export.id,
            job_id=export.job_id,
            # One immediate retry covers a worker that died mid-export.
            retries=1,
            retry_intervals=[0],
            meta={
                "workspace_id": g.workspace.id,
                "kind": "export",
                "export_id": export.id,
                "title": "Workspace export",
            },
        )
    except QueueUnavailable as exc:
        export.status = "failed"
        export.error = str(exc)
        db.session.commit()
        return render_template("components/job_unavailable.html", message=str(exc)), 503
    return render_template(
        "components/job_progress.html",
        job_id=export.job_id,
        title="Workspace export",
        poll_url=url_for("tasks.progress", job_id=export.job_id),
    ), 202


@bp.get("/exports/<int:export_id>/download")
def download_export(export_id: int) -> Response:
    require(g.membership, Action.EXPORT_WORKSPACE)
    export = ops.get_export(g.workspace, export_id)
    if export is None or export.status != "finished":
        raise NotFound("That export doesn't exist or isn't ready yet.")
    path = export_path(export)
    if not path.exists():
        raise NotFound("That export file has been removed. Start a new export.")
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{g.workspace.slug}-export-{export.id}.zip",
    )
