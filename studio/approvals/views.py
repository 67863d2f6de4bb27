"""Approval pages: a brand's flow, the composer's review panel, portal, share links, audit."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import Conflict, Forbidden, HTTPException

from studio.approvals import operations as ops
from studio.composer.media import lookup as media_of
from studio.composer.operations import assess, get_post, variant_inputs
from studio.composer.state import VariantView
from studio.extensions import db, limiter
from studio.models import Brand, Membership, Post, Role
from studio.models.approvals import APPROVER_KINDS, MODE_ANY
from studio.models.publishing import PublishAttempt
from studio.policy import Action, can, get_brand, require
from studio.publishing import scheduling
from studio.web import render_page, see_other, workspace_blueprint

bp = workspace_blueprint("approvals", __name__)
# Pages for people without an account: the share link. Registered along with `bp`.
public_bp = Blueprint("approvals_share", __name__)

FLOW_PAGE = "approvals/flow.html"
PANEL = "approvals/_panel.html"
REVIEW_PAGE = "approvals/review.html"


@bp.record_once
def _register_public(state: Any) -> None:
    state.app.register_blueprint(public_bp)


def _raise_for(exc: ops.ApprovalError) -> None:
    """Turn a refusal that isn't a form error into its HTTP answer."""
    if exc.status == 409:
        raise Conflict(str(exc))
    if exc.status == 403:
        raise Forbidden(str(exc))
    if exc.status != 422:
        error = HTTPException(str(exc))
        error.code = exc.status
        raise error


# Flow -------------------------------------------------------------------------------


def _flow_context(brand: Brand, **extra: Any) -> dict[str, Any]:
    members = list(
        db.session.scalars(
            db.select(Membership)
            .where(Membership.workspace_id == brand.workspace_id)
            .order_by(Membership.role, Membership.id)
        )
    )
    return {
        "brand": brand,
        "steps": ops.flow_steps(brand),
        "describe": ops.describe_step,
        "members": [
            m for m in members if m.role != Role.CLIENT or can(m, Action.VIEW_BRAND, brand)
        ],
        "roles": ops.APPROVER_ROLES,
        "kinds": APPROVER_KINDS,
        "editable": can(g.membership, Action.MANAGE_APPROVALS, brand),
        "error": None,
        "error_step": None,
        "form": {},
        **extra,
    }


def _step_input(form: Any) -> ops.StepInput:
    member_ids = []
    for raw in form.getlist("members"):
        try:
            member_ids.append(int(raw))
        except ValueError:
            continue
    return ops.StepInput(
        name=form.get("name", ""),
        kind=form.get("kind", ""),
        role=form.get("role") or None,
        member_ids=member_ids,
        mode=form.get("mode", MODE_ANY),
    )


def _flow_brand(brand_id: int, action: Action) -> Brand:
    brand = get_brand(g.membership, brand_id)
    require(g.membership, Action.VIEW_INTERNAL, brand)
    require(g.membership, action, brand)
    return brand


@bp.get("/brands/<int:brand_id>/approvals")
def flow(brand_id: int) -> str:
    brand = _flow_brand(brand_id, Action.VIEW_BRAND)
    # Pages reached by navigation render whole (HX-Location fetches aren't "boosted").
    return render_page(FLOW_PAGE, **_flow_context(brand))


def _flow_failed(brand: Brand, exc: ops.ApprovalError, step_id: int | None) -> tuple[str, int]:
    _raise_for(exc)
    db.session.rollback()
    context = _flow_context(brand, error=str(exc), error_step=step_id, form=request.form)
    return render_page(FLOW_PAGE, "flow_panel", **context), 422


@bp.post("/brands/<int:brand_id>/approvals/steps")
def add_step(brand_id: int) -> Response | tuple[str, int]:
    brand = _flow_brand(brand_id, Action.MANAGE_APPROVALS)
    try:
        step = ops.add_step(brand, _step_input(request.form))
    except ops.ApprovalError as exc:
        return _flow_failed(brand, exc, None)
    db.session.commit()
    flash(f"Added “{step.name}” to {brand.name}'s approval flow.", "success")
    return see_other(url_for("approvals.flow", brand_id=brand.id))


@bp.post("/brands/<int:brand_id>/approvals/steps/<int:step_id>")
def update_step(brand_id: int, step_id: int) -> Response | tuple[str, int]:
    brand = _flow_brand(brand_id, Action.MANAGE_APPROVALS)
    step = ops.get_step(brand, step_id)
    try:
        ops.update_step(step, _step_input(request.form))
    except ops.ApprovalError as exc:
        return _flow_failed(brand, exc, step_id)
    db.session.commit()
    flash(f"Saved “{step.name}”.", "success")
    return see_other(url_for("approvals.flow", brand_id=brand.id))


@bp.post("/brands/<int:brand_id>/approvals/steps/<int:step_id>/delete")
def delete_step(brand_id: int, step_id: int) -> Response:
    brand = _flow_brand(brand_id, Action.MANAGE_APPROVALS)
    step = ops.get_step(brand, step_id)
    name = step.name
    ops.delete_step(step)
    db.session.commit()
    flash(f"Removed “{name}” from the approval flow.", "success")
    return see_other(url_for("approvals.flow", brand_id=brand.id))


@bp.post("/brands/<int:brand_id>/approvals/steps/<int:step_id>/move")
def move_step(brand_id: int, step_id: int) -> Response:
    brand = _flow_brand(brand_id, Action.MANAGE_APPROVALS)
    step = ops.get_step(brand, step_id)
    try:
        ops.move_step(step, request.form.get("direction", ""))
    except ops.ApprovalError as exc:
        db.session.rollback()
        _raise_for(exc)
    db.session.commit()
    return see_other(url_for("approvals.flow", brand_id=brand.id))


# The composer's panel ----------------------------------------------------------------


def panel_context(
    post: Post, views: list[VariantView] | None = None, membership: Membership | None = None
) -> dict[str, Any]:
    """Everything the review panel shows; also used by the composer page's include."""
    membership = membership if membership is not None else g.get("membership")
    state = ops.progress(post)
    ready = ops.readiness(post, views)  # assesses the post itself when no views are given
    brand = post.brand
    key = f"m{membership.id}" if membership is not None else None
    mine = None
    if state.current is not None and post.status in ops.REVIEWABLE:
        mine = next((a for a in state.current.approvers if a.key == key), None)
    manage = can(membership, Action.MANAGE_APPROVALS, brand)
    withdrawn = [(d, ops.decision_diff(post, d)) for d in state.withdrawn]
    return {
        "post": post,
        "state": state,
        "ready": ready,
        "steps_defined": bool(state.steps),
        "can_submit": can(membership, Action.EDIT_CONTENT, brand)
        and post.status in ops.SUBMITTABLE,
        "can_override": manage,
        "can_decide": mine is not None and mine.decision is None,
        "my_key": key,
        "manage": manage,
        "share_links": ops.share_links(post) if manage else [],
        "share_url": _share_url,
        "withdrawn": withdrawn,
        "trail": ops.audit_trail(post)[:30] if can(membership, Action.VIEW_INTERNAL) else [],
        "revision": ops.current_revision(post),
    }


def _share_url(link: Any) -> str:
    token = ops.share_token(link, current_app.config["SECRET_KEY"])
    return url_for("approvals_share.review", token=token, _external=True)


@bp.app_template_global("approval_panel")
def approval_panel(post: Post, views: list[VariantView] | None = None) -> dict[str, Any]:
    """Let the composer page include the panel with one line (it has `post` and `views`)."""
    return panel_context(post, views)


def _panel(post: Post, status: int = 200, **extra: Any) -> tuple[str, int]:
    context = panel_context(post)
    html = render_template(PANEL, post=post, ap=context, **extra)
    return html, status


@bp.get("/posts/<int:post_id>/approvals")
def panel(post_id: int) -> tuple[str, int]:
    post = get_post(g.membership, post_id)
    return _panel(post)


def _release_planned(post: Post, user: Any) -> list[PublishAttempt]:
    """A post planned on the calendar while it waited for approval goes out at its time."""
    if post.status.value != "approved":
        return []
    return scheduling.activate(post, user)


def _commit_and_enqueue(attempts: list[PublishAttempt]) -> None:
    db.session.commit()
    if attempts:
        scheduling.enqueue_attempts(attempts)


def _back(post: Post) -> str:
    if request.form.get("back") == "portal":
        return url_for("approvals.portal_post", post_id=post.id)
    return url_for("composer.edit", post_id=post.id)


@bp.post("/posts/<int:post_id>/approvals/submit")
def submit(post_id: int) -> Response | tuple[str, int]:
    post = get_post(g.membership, post_id)
    require(g.membership, Action.EDIT_CONTENT, post.brand)
    try:
        state = ops.submit(post, g.membership, request.form.get("override_reason", ""))
    except ops.ApprovalError as exc:
        db.session.rollback()
        _raise_for(exc)
        return _panel(post, 422, panel_error=str(exc), panel_items=exc.items, panel_field=exc.field)
    _notify_submitted(post, state)
    _commit_and_enqueue(_release_planned(post, g.membership.user))
    if post.status.value == "scheduled":
        flash("Approved: this brand has no approval steps, so it is scheduled.", "success")
    elif post.status.value == "approved":
        flash("Approved: this brand has no approval steps.", "success")
    else:
        flash("Submitted for review.", "success")
    return see_other(_back(post))


def _decider() -> ops.Decider:
    return ops.Decider(membership=g.membership)


def _decide_first(post: Post) -> None:
    """Refuse, before looking at the form, members no step of the brand's flow names."""
    if not ops.is_approver_anywhere(post, g.membership):
        raise Forbidden("You aren't an approver in this brand's approval flow.")


@bp.post("/posts/<int:post_id>/approvals/approve")
def approve(post_id: int) -> Response | tuple[str, int]:
    post = get_post(g.membership, post_id)
    _decide_first(post)
    try:
        revision = ops.resolve_revision(post, request.form.get("revision_id"))
        ops.approve(post, _decider(), revision)
    except ops.ApprovalError as exc:
        db.session.rollback()
        _raise_for(exc)
        return _decision_failed(post, exc)
    _notify_decided(post, "approved")
    _commit_and_enqueue(_release_planned(post, g.membership.user))
    flash(f"You approved revision {post.revision}.", "success")
    return see_other(_back(post))


@bp.post("/posts/<int:post_id>/approvals/request-changes")
def request_changes(post_id: int) -> Response | tuple[str, int]:
    post = get_post(g.membership, post_id)
    _decide_first(post)
    try:
        revision = ops.resolve_revision(post, request.form.get("revision_id"))
        ops.request_changes(post, _decider(), revision, request.form.get("note", ""))
    except ops.ApprovalError as exc:
        db.session.rollback()
        _raise_for(exc)
        return _decision_failed(post, exc)
    _notify_decided(post, "changes_requested")
    db.session.commit()
    flash("Changes requested; the authors can see your note.", "success")
    return see_other(_back(post))


def _decision_failed(post: Post, exc: ops.ApprovalError) -> tuple[str, int]:
    if request.form.get("back") == "portal":
        context = _review_context(post, ops.Decider(membership=g.membership))
        context.update(error=str(exc), error_field=exc.field, note=request.form.get("note", ""))
        return render_page(REVIEW_PAGE, "decision_panel", **context), 422
    return _panel(post, 422, panel_error=str(exc), panel_items=exc.items, panel_field=exc.field)


@bp.post("/posts/<int:post_id>/approvals/share-links")
def create_share_link(post_id: int) -> Response | tuple[str, int]:
    post = get_post(g.membership, post_id)
    require(g.membership, Action.MANAGE_APPROVALS, post.brand)
    try:
        days = int(request.form.get("days") or ops.DEFAULT_SHARE_DAYS)
    except ValueError:
        days = 0
    try:
        link, _token = ops.create_share_link(
            post,
            g.membership,
            request.form.get("label", ""),
            days,
            current_app.config["SECRET_KEY"],
        )
    except ops.ApprovalError as exc:
        db.session.rollback()
        return _panel(post, 422, panel_error=str(exc), panel_field=exc.field)
    db.session.commit()
    flash(f"Share link for {link.label} created: copy it from the review panel.", "success")
    return see_other(url_for("composer.edit", post_id=post.id))


@bp.post("/posts/<int:post_id>/approvals/share-links/<int:link_id>/revoke")
def revoke_share_link(post_id: int, link_id: int) -> Response:
    post = get_post(g.membership, post_id)
    require(g.membership, Action.MANAGE_APPROVALS, post.brand)
    link = ops.get_share_link(post, link_id)
    try:
        ops.revoke_share_link(link, g.membership.user)
    except ops.ApprovalError as exc:
        db.session.rollback()
        _raise_for(exc)
    db.session.commit()
    flash(f"The link for {link.label} no longer works.", "success")
    return see_other(url_for("composer.edit", post_id=post.id))


@bp.get("/posts/<int:post_id>/audit")
def audit(post_id: int) -> str:
    post = get_post(g.membership, post_id)
    require(g.membership, Action.VIEW_INTERNAL, post.brand)
    return render_page(
        "approvals/audit.html",
        post=post,
        brand=post.brand,
        trail=ops.audit_trail(post),
    )


@bp.get("/posts/<int:post_id>/approvals/changes/<int:revision_id>")
def changes(post_id: int, revision_id: int) -> str:
    """What changed between one revision (say, the one someone approved) and now."""
    post = get_post(g.membership, post_id)
    revision = ops.resolve_revision(post, revision_id)
    from studio.approvals.diffing import snapshot_diff
    from studio.composer.operations import snapshot

    back = (
        url_for("composer.edit", post_id=post.id)
        if can(g.membership, Action.VIEW_INTERNAL)
        else url_for("approvals.portal_post", post_id=post.id)
    )
    return render_page(
        "approvals/changes.html",
        post=post,
        brand=post.brand,
        revision=revision,
        diffs=snapshot_diff(revision.snapshot, snapshot(post)),
        back=back,
    )


# Portal -------------------------------------------------------------------------------


@bp.get("/portal")
def portal() -> str:
    return render_page(
        "approvals/portal.html",
        waiting=ops.awaiting(g.membership),
        recent=ops.recently_decided(g.membership),
    )


def _review_context(post: Post, decider: ops.Decider, **extra: Any) -> dict[str, Any]:
    views = assess(post, variant_inputs(post, media_of(post)))
    state = ops.progress(post)
    current = state.current if post.status in ops.REVIEWABLE else None
    mine = next((a for a in current.approvers if a.key == decider.key), None) if current else None
    my_withdrawn = [
        (d, ops.decision_diff(post, d))
        for d in state.withdrawn
        if ops.decider_key(d) == decider.key
    ]
    latest = next((d for d in reversed(state.decisions) if ops.decider_key(d) == decider.key), None)
    return {
        "post": post,
        "brand": post.brand,
        "views": views,
        "state": state,
        "current": current,
        "can_decide": mine is not None and mine.decision is None,
        "mine": mine,
        "latest": latest,
        "my_withdrawn": my_withdrawn,
        "revision": ops.current_revision(post),
        "comments": ops.client_comments(post),
        "error": None,
        "error_field": None,
        "note": "",
        **extra,
    }


@bp.get("/portal/posts/<int:post_id>")
def portal_post(post_id: int) -> str:
    post = get_post(g.membership, post_id)
    context = _review_context(post, ops.Decider(membership=g.membership))
    return render_page(
        REVIEW_PAGE,
        approve_url=url_for("approvals.approve", post_id=post.id),
        changes_url=url_for("approvals.request_changes", post_id=post.id),
        back="portal",
        **context,
    )


# Share links (no account) --------------------------------------------------------------


def _share_max_age() -> int:
    return int(current_app.config.get("SHARE_LINK_MAX_AGE", ops.MAX_SHARE_DAYS * 24 * 3600))


def _resolve(token: str) -> Any:
    try:
        return ops.resolve_share_token(token, current_app.config["SECRET_KEY"], _share_max_age())
    except ops.ApprovalError as exc:
        return exc


def _share_error(exc: ops.ApprovalError) -> tuple[str, int]:
    title = "This link has expired" if exc.status == 410 else "This link doesn't work"
    return render_template("approvals/share_error.html", title=title, message=str(exc)), exc.status


def _share_page(token: str, link: Any, status: int = 200, **extra: Any) -> tuple[str, int]:
    post = link.post
    context = _review_context(post, ops.Decider(link=link), **extra)
    html = render_page(
        REVIEW_PAGE,
        approve_url=url_for("approvals_share.decide", token=token),
        changes_url=url_for("approvals_share.decide", token=token),
        back="share",
        shared=True,
        link=link,
        **context,
    )
    return html, status


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@public_bp.get("/share/<token>")
def review(token: str) -> Response:
    link = _resolve(token)
    if isinstance(link, ops.ApprovalError):
        return _private(Response(*_share_error(link)))
    body, status = _share_page(token, link)
    return _private(Response(body, status))


@public_bp.post("/share/<token>")
@limiter.limit(lambda: current_app.config["SHARE_LIMIT_PER_IP"])
@limiter.limit(lambda: current_app.config["SHARE_LIMIT_PER_LINK"], key_func=lambda: request.path)
def decide(token: str) -> Response:
    """Record a decision made through a share link (public: limited per address and link)."""
    link = _resolve(token)
    if isinstance(link, ops.ApprovalError):
        return _private(Response(*_share_error(link)))
    post = link.post
    decider = ops.Decider(link=link)
    attempts: list[PublishAttempt] = []
    try:
        revision = ops.resolve_revision(post, request.form.get("revision_id"))
        if request.form.get("decision") == "approve":
            ops.approve(post, decider, revision)
            message = f"Thank you: your approval of revision {revision.number} is recorded."
            _notify_decided(post, "approved")
            attempts = _release_planned(post, None)
        else:
            ops.request_changes(post, decider, revision, request.form.get("note", ""))
            message = "Thank you: the team can see what you'd like changed."
            _notify_decided(post, "changes_requested")
    except ops.ApprovalError as exc:
        db.session.rollback()
        _raise_for(exc)
        body, status = _share_page(
            token,
            link,
            422,
            error=str(exc),
            error_field=exc.field,
            note=request.form.get("note", ""),
        )
        return _private(Response(body, status))
    _commit_and_enqueue(attempts)
    flash(message, "success")
    return _private(see_other(url_for("approvals_share.review", token=token)))


# Notifications (the inbox lives in studio.comments.notifications) ---------------------


def _notify(kind: str, post: Post, user_ids: set[int], text: str) -> None:
    try:
        from studio.comments.notifications import notify
    except ImportError:  # the inbox isn't installed: nothing to tell
        return
    url = url_for("composer.edit", ws=post.brand.workspace.slug, post_id=post.id)
    for user_id in sorted(user_ids):
        notify(user_id, post.workspace_id, kind, text, post_id=post.id, url=url)


def _notify_waiting(post: Post, state: ops.Progress | None = None) -> None:
    """Tell the approvers of the step now waiting that it's their turn."""
    state = state if state is not None else ops.progress(post)
    if state.current is None or post.status.value not in ("in_review", "approved"):
        return
    users = {m.user_id for m in ops.eligible_members(state.current.step, post.brand)}
    users -= {
        a.decision.user_id for a in state.current.approvers if a.decision and a.decision.user_id
    }
    _notify("review_requested", post, users, f"“{post.title}” is waiting for your approval.")


def _notify_submitted(post: Post, state: ops.Progress) -> None:
    _notify_waiting(post, state)


def _notify_decided(post: Post, what: str) -> None:
    authors = ops.post_authors(post)
    if what == "changes_requested":
        _notify("changes_requested", post, authors, f"Changes were requested on “{post.title}”.")
    elif post.status.value == "approved":
        _notify("approved", post, authors, f"“{post.title}” is approved.")
    else:
        _notify_waiting(post)
