"""Comment threads on a post (the composer's comments panel) and the member's inbox."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from studio.comments import mentions
from studio.comments import notifications as inbox_ops
from studio.comments import operations as ops
from studio.composer.operations import get_post
from studio.errors import error_response
from studio.extensions import db, htmx
from studio.models import Comment, CommentVisibility, Post
from studio.web import render_page, see_other, workspace_blueprint

bp = workspace_blueprint("comments", __name__)

PANEL = "comments/_panel.html"
EDIT_PAGE = "comments/edit.html"


def panel_context(post: Post, **extra: Any) -> dict[str, Any]:
    """Everything templates/comments/_panel.html needs, as its `cp` variable.

    The editor page includes the panel with one line; the panel asks for this itself
    (comments_panel(post)), so the composer's view needs to know nothing about comments.
    """
    membership = g.membership
    threads = ops.threads_for(membership, post)
    return {
        "threads": [t for t in threads if not t.resolved],
        "resolved": [t for t in threads if t.resolved],
        "token": ops.panel_token(membership, post.id, post.revision),
        "staff": ops.sees_internal(membership),
        "rights": ops.rights(membership, post),
        "media": ops.post_media(post),
        "visibilities": list(CommentVisibility),
        "errors": {},
        "messages": [],
        "draft": None,
        "reply_to": "",
        "posted_id": None,
        "editing": None,  # {"id", "body", "error"}: a comment whose edit was refused
        **extra,
    }


def _panel(post: Post, status: int = 200, **extra: Any) -> tuple[str, int]:
    return render_template(PANEL, post=post, cp=panel_context(post, **extra)), status


@bp.app_context_processor
def _comment_helpers() -> dict[str, Any]:
    def comments_panel(post: Post) -> dict[str, Any]:
        return panel_context(post)

    def inbox_unread() -> int:
        # Called by the header only, so fragments never pay for this query.
        workspace = g.get("workspace")
        if workspace is None or not current_user.is_authenticated:
            return 0
        return inbox_ops.unread_count(current_user.id, workspace.id)

    return {
        "comments_panel": comments_panel,
        "inbox_unread": inbox_unread,
        "mention_segments": mentions.segments,
        "comment_image_url": ops.image_url,
        "comments_for_client": ops.comments_for_client,
    }


@bp.get("/posts/<int:post_id>/comments")
def panel(post_id: int) -> Response | tuple[str, int]:
    """The thread list; answers 204 when nothing changed since the `since` token."""
    since = request.args.get("since")
    if since:
        revision = ops.post_for_poll(g.membership, post_id)
        if since == ops.panel_token(g.membership, post_id, revision):
            return Response(status=204)
    post = get_post(g.membership, post_id)
    return render_template("comments/_threads.html", post=post, cp=panel_context(post)), 200


def _input() -> ops.CommentInput:
    form = request.form
    return ops.CommentInput(
        **{name: form.get(name, "") for name in ops.CommentInput.__dataclass_fields__}
    )


@bp.post("/posts/<int:post_id>/comments")
def create(post_id: int) -> Response | tuple[str, int]:
    post = get_post(g.membership, post_id)
    data = _input()
    try:
        posted = ops.create_comment(g.membership, post, data)
    except ops.CommentError as exc:
        db.session.rollback()
        if not htmx:
            return error_response(exc.status, exc.message)
        post = get_post(g.membership, post_id)
        return _panel(
            post,
            exc.status,
            errors={exc.field: exc.message},
            draft=data,
            reply_to=data.parent_id,
        )
    db.session.commit()
    messages = posted.messages()
    if not htmx:
        flash(" ".join(["Comment posted.", *messages]), "success")
        return redirect(
            url_for("composer.edit", post_id=post.id) + f"#comment-{posted.comment.id}", code=303
        )
    return _panel(post, messages=messages, posted_id=posted.comment.id)


def _resolve(post_id: int, comment_id: int, resolved: bool) -> Response | tuple[str, int]:
    post = get_post(g.membership, post_id)
    comment = ops.get_comment(g.membership, post, comment_id)
    ops.set_resolved(g.membership, post, comment, resolved)
    db.session.commit()
    if not htmx:
        return see_other(url_for("composer.edit", post_id=post.id) + f"#comment-{comment.id}")
    return _panel(post)


@bp.post("/posts/<int:post_id>/comments/<int:comment_id>/resolve")
def resolve(post_id: int, comment_id: int) -> Response | tuple[str, int]:
    return _resolve(post_id, comment_id, True)


@bp.post("/posts/<int:post_id>/comments/<int:comment_id>/reopen")
def reopen(post_id: int, comment_id: int) -> Response | tuple[str, int]:
    return _resolve(post_id, comment_id, False)


def _fragment() -> bool:
    # A boosted request navigates (the full-page edit form): it wants pages, not fragments.
    return bool(htmx) and not htmx.boosted


def _comment_url(post: Post, comment_id: int) -> str:
    return url_for("composer.edit", post_id=post.id) + f"#comment-{comment_id}"


def _edit_page(
    post: Post, comment: Comment, status: int = 200, body: str | None = None, error: str = ""
) -> tuple[str, int]:
    """The comment with its edit form: a block for htmx, a page of its own otherwise."""
    fragment = _fragment()
    html = render_page(
        EDIT_PAGE,
        "comment" if fragment else None,
        post=post,
        c=comment,
        rights=ops.rights(g.membership, post),
        edit={"body": comment.body if body is None else body, "error": error},
        standalone=not fragment,
    )
    return html, status


@bp.get("/posts/<int:post_id>/comments/<int:comment_id>")
def show(post_id: int, comment_id: int) -> Response | str:
    """One comment as its thread shows it (what Cancel on the edit form puts back)."""
    post = get_post(g.membership, post_id)
    comment = ops.get_comment(g.membership, post, comment_id)
    if not _fragment():
        return redirect(_comment_url(post, comment.id), code=303)
    return render_template(
        "comments/_comment.html", post=post, c=comment, rights=ops.rights(g.membership, post)
    )


@bp.get("/posts/<int:post_id>/comments/<int:comment_id>/edit")
def edit_form(post_id: int, comment_id: int) -> Response | tuple[str, int]:
    post = get_post(g.membership, post_id)
    comment = ops.get_comment(g.membership, post, comment_id)
    try:
        ops.check_editable(g.membership, comment)
    except ops.CommentError as exc:
        if not _fragment():
            return error_response(exc.status, exc.message)
        # Deleted meanwhile: show it as it is now, in place of the comment.
        return render_template(
            "comments/_comment.html", post=post, c=comment, rights=ops.rights(g.membership, post)
        ), exc.status
    return _edit_page(post, comment)


@bp.post("/posts/<int:post_id>/comments/<int:comment_id>/edit")
def edit(post_id: int, comment_id: int) -> Response | tuple[str, int]:
    post = get_post(g.membership, post_id)
    comment = ops.get_comment(g.membership, post, comment_id)
    body = request.form.get("body", "")
    try:
        posted = ops.edit_comment(g.membership, post, comment, body)
    except ops.CommentError as exc:
        db.session.rollback()
        return _edit_refused(post_id, comment_id, body, exc)
    db.session.commit()
    messages = posted.messages()
    if not _fragment():
        flash(" ".join(["Comment saved.", *messages]), "success")
        return redirect(_comment_url(post, comment.id), code=303)
    return _panel(post, messages=messages, posted_id=comment.id)


def _edit_refused(
    post_id: int, comment_id: int, body: str, exc: ops.CommentError
) -> Response | tuple[str, int]:
    """Answer a refused edit: the form again with the reason and the text as typed (422)."""
    post = get_post(g.membership, post_id)
    comment = ops.get_comment(g.membership, post, comment_id)
    if exc.status != 422:  # deleted meanwhile: there is no form to give back
        if not _fragment():
            return error_response(exc.status, exc.message)
        return _panel(post, exc.status, messages=[exc.message])
    if not _fragment():
        return _edit_page(post, comment, exc.status, body=body, error=exc.message)
    editing = {"id": comment.id, "body": body, "error": exc.message}
    return _panel(post, exc.status, editing=editing)


@bp.post("/posts/<int:post_id>/comments/<int:comment_id>/delete")
def delete(post_id: int, comment_id: int) -> Response | tuple[str, int]:
    post = get_post(g.membership, post_id)
    comment = ops.get_comment(g.membership, post, comment_id)
    ops.delete_comment(g.membership, post, comment)
    db.session.commit()
    if not _fragment():
        flash("Comment deleted.", "success")
        return redirect(url_for("composer.edit", post_id=post.id) + "#comments", code=303)
    return _panel(post, messages=["Comment deleted."])


@bp.get("/posts/<int:post_id>/comments/members")
def members(post_id: int) -> str:
    """Autocomplete for @mentions: members who can see the post."""
    post = get_post(g.membership, post_id)
    query = request.args.get("q", "")[:64]
    return render_template(
        "comments/_mention_options.html", members=ops.suggest(post, query), query=query
    )


# --- inbox ---------------------------------------------------------------------------------


@bp.get("/inbox/badge")
def inbox_badge() -> str:
    """The header's inbox link with its unread count (each open page asks every 30 s)."""
    page = urlsplit(htmx.current_url or "").path if htmx else ""
    return render_template("comments/_inbox_link.html", on_inbox=page == url_for(".inbox"))


@bp.get("/inbox")
def inbox() -> str:
    try:
        before = int(request.args.get("before", "0")) or None
    except ValueError:
        before = None
    rows = inbox_ops.inbox(g.membership, before)
    return render_page(
        "comments/inbox.html",
        "inbox_list",
        notifications=rows,
        more=len(rows) == inbox_ops.INBOX_PAGE,
        unread=inbox_ops.unread_count(g.membership.user_id, g.membership.workspace_id),
    )


def _back_to_inbox() -> Response:
    return see_other(url_for("comments.inbox"))


@bp.post("/inbox/<int:notification_id>/read")
def mark_read(notification_id: int) -> Response:
    row = inbox_ops.get_notification(g.membership, notification_id)
    inbox_ops.mark_read(row)
    db.session.commit()
    return _back_to_inbox()


@bp.post("/inbox/<int:notification_id>/open")
def open_notification(notification_id: int) -> Response:
    """Mark the notification read and go to what it is about."""
    row = inbox_ops.get_notification(g.membership, notification_id)
    inbox_ops.mark_read(row)
    db.session.commit()
    url = row.url or ""
    # Only a path of this site: a notification must never send anyone elsewhere.
    target = url if url.startswith("/") and not url.startswith(("//", "/\\")) else None
    if target is None and row.post_id:
        target = url_for("composer.edit", post_id=row.post_id)
    # A plain redirect keeps the #comment-… fragment (HX-Location would drop it).
    return redirect(target or url_for("comments.inbox"), code=303)


@bp.post("/inbox/read-all")
def mark_all_read() -> Response:
    count = inbox_ops.mark_all_read(g.membership)
    db.session.commit()
    flash(f"Marked {count} notification{'s' if count != 1 else ''} read.", "success")
    return _back_to_inbox()
