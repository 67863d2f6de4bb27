"""Request plumbing shared by every blueprint: workspace binding, fragments, headers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, g, redirect, request, session
from flask_login import current_user
from jinja2_fragments.flask import render_block

from studio.database import reset_write_intent, set_write_intent
from studio.extensions import db, htmx, login_manager
from studio.models import Membership, Workspace
from studio.policy import Action, can, membership_for, visible_brands

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def workspace_blueprint(name: str, import_name: str) -> Blueprint:
    """Create a blueprint whose URLs live under /w/<ws>/ and need a member of that workspace."""
    bp = Blueprint(name, import_name, url_prefix="/w/<ws>")

    @bp.before_request
    def _bind_workspace() -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        slug = (request.view_args or {}).pop("ws", None)
        membership = membership_for(current_user, str(slug))
        g.membership = membership
        g.workspace = membership.workspace
        session["ws"] = membership.workspace.slug
        return None

    return bp


def render_page(template: str, block: str | None = None, **context: Any) -> str:
    """Render the whole page, or only `block` when htmx asked for that fragment.

    A boosted link or form is an htmx request too, but it navigates: it gets the page.
    """
    from flask import render_template

    if block and htmx and not htmx.boosted:
        return render_block(template, block, **context)
    return render_template(template, **context)


def see_other(url: str) -> Response:
    """Send the browser on after a successful POST; htmx gets HX-Location, others a 303."""
    if htmx:
        response = Response(status=200)
        response.headers["HX-Location"] = url
        return response
    return redirect(url, code=303)


def current_membership() -> Membership | None:
    """Return the membership bound to this request, if any."""
    return g.get("membership")


def _template_context() -> dict[str, Any]:
    membership: Membership | None = g.get("membership")
    context: dict[str, Any] = {
        "membership": membership,
        "workspace": g.get("workspace"),
        "Action": Action,
    }
    context["can"] = lambda action, brand=None: can(membership, action, brand)
    # Header data is fetched only when a full page renders it, never for fragments.
    context["my_workspaces"] = _my_workspaces
    context["header_brands"] = lambda: (
        db.session.scalars(visible_brands(membership)).all() if membership is not None else []
    )
    return context


def _my_workspaces() -> list[Workspace]:
    if not current_user.is_authenticated:
        return []
    return list(
        db.session.scalars(
            db.select(Workspace)
            .join(Membership)
            .where(Membership.user_id == current_user.id)
            .order_by(Workspace.name)
        )
    )


def init_app(app: Flask) -> None:
    """Install request hooks and template helpers."""

    @app.before_request
    def _declare_write_intent() -> None:
        g._write_intent_token = set_write_intent(request.method not in SAFE_METHODS)

    @app.teardown_request
    def _reset_write_intent(_exc: BaseException | None) -> None:
        token = g.pop("_write_intent_token", None)
        if token is not None:
            reset_write_intent(token)

    @app.after_request
    def _headers(response: Response) -> Response:
        # Any HTML URL may answer with a fragment for htmx, so caches must key on it.
        if response.mimetype == "text/html":
            response.vary.add("HX-Request")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.url_defaults
    def _workspace_in_urls(endpoint: str, values: dict[str, Any]) -> None:
        workspace = g.get("workspace")
        if (
            workspace is not None
            and "ws" not in values
            and app.url_map.is_endpoint_expecting(endpoint, "ws")
        ):
            values["ws"] = workspace.slug

    app.context_processor(_template_context)
