"""Sign up, sign in, sign out, password change and invitation acceptance."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from studio.auth import operations as accounts
from studio.auth.forms import LoginForm, PasswordChangeForm, SignupForm
from studio.extensions import db, limiter
from studio.web import see_other
from studio.workspaces import operations as workspaces

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    # Only same-site paths: "//evil.example" and "https://evil.example" are refused.
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


def _failed(response: Response) -> bool:
    return response.status_code == 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], deduct_when=_failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return see_other(url_for("home.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except accounts.AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()  # a rehash on login may have upgraded the stored hash
            session.clear()
            login_user(user)
            return see_other(_safe_next(form.next.data) or url_for("home.home"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup() -> Response | tuple[str, int]:
    form = SignupForm(invite=request.args.get("invite", ""))
    invitation = None
    if form.invite.data:
        try:
            invitation = workspaces.resolve_invitation(
                form.invite.data,
                current_app.config["SECRET_KEY"],
                current_app.config["INVITE_MAX_AGE"],
            )
        except workspaces.WorkspaceError as exc:
            flash(str(exc), "error")
            form.invite.data = ""
        else:
            if not form.is_submitted():
                form.email.data = invitation.email
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.name.data, form.email.data, form.password.data)
            if invitation is not None:
                workspaces.accept_invitation(invitation, user)
                landing = invitation.workspace
            else:
                landing = workspaces.create_workspace(
                    user, form.workspace_name.data or f"{form.name.data}'s workspace"
                )
        except (accounts.AccountError, workspaces.WorkspaceError) as exc:
            db.session.rollback()
            getattr(form, getattr(exc, "field", None) or "email").errors.append(str(exc))
        else:
            db.session.commit()
            session.clear()
            login_user(user)
            flash(f"Welcome to Plume, {user.name}.", "success")
            return see_other(url_for("workspaces.dashboard", ws=landing.slug))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/signup.html", form=form, invitation=invitation), status


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    session.clear()
    flash("You've signed out.", "info")
    return see_other(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user, form.current_password.data, form.new_password.data
            )
        except accounts.AccountError as exc:
            getattr(form, exc.field or "current_password").errors.append(str(exc))
        else:
            db.session.commit()
            # The session version changed: sign this session in again with the new one.
            login_user(current_user._get_current_object())
            flash("Password changed. Other devices have been signed out.", "success")
            return see_other(url_for("auth.change_password"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/password.html", form=form), status


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Response | tuple[str, int]:
    try:
        invite = workspaces.resolve_invitation(
            token, current_app.config["SECRET_KEY"], current_app.config["INVITE_MAX_AGE"]
        )
    except workspaces.WorkspaceError as exc:
        return render_template(
            "auth/invitation.html", error=str(exc), invitation=None, token=token
        ), exc.status
    if request.method == "POST":
        if not current_user.is_authenticated:
            return see_other(url_for("auth.login", next=request.path))
        try:
            membership = workspaces.accept_invitation(invite, current_user)
        except workspaces.WorkspaceError as exc:
            return render_template(
                "auth/invitation.html", error=str(exc), invitation=invite, token=token
            ), exc.status
        db.session.commit()
        flash(f"You've joined {invite.workspace.name}.", "success")
        return see_other(url_for("workspaces.dashboard", ws=membership.workspace.slug))
    return render_template("auth/invitation.html", invitation=invite, token=token, error=None), 200
