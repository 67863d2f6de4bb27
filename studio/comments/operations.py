"""Comment use cases: threads on a post, anchors that follow edits, mentions, resolve."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import Forbidden, NotFound

from studio.comments import anchors, mentions
from studio.comments.notifications import notify, retract
from studio.extensions import db
from studio.models import (
    ClientBrandAccess,
    Comment,
    CommentVisibility,
    MediaItem,
    Membership,
    Notification,
    Post,
    PostRevision,
    Role,
)
from studio.models.base import utcnow
from studio.platforms.limits import PLATFORMS
from studio.policy import Action, can, client_brand_ids

MAX_BODY = 5000
MAX_QUOTE = 5000
MASTER = "master_text"
VARIANT_PREFIX = "variant_text."


class CommentError(ValueError):
    """A comment was refused; the message says why in words the author can act on."""

    def __init__(self, message: str, field: str = "body", status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


# --- reading -------------------------------------------------------------------------------


def sees_internal(membership: Membership | None) -> bool:
    """Tell whether the member may see internal (staff-only) comments."""
    return membership is not None and can(membership, Action.VIEW_INTERNAL)


def field_label(name: str | None) -> str:
    if name == MASTER:
        return "Caption"
    if name and name.startswith(VARIANT_PREFIX):
        platform = name[len(VARIANT_PREFIX) :]
        return f"{PLATFORMS[platform].name} text" if platform in PLATFORMS else "Platform text"
    return "Text"


def current_field_text(post: Post, name: str) -> str | None:
    """Return the field's text now, None when the post has no such text field."""
    if name == MASTER:
        return post.master_text or ""
    if name.startswith(VARIANT_PREFIX):
        platform = name[len(VARIANT_PREFIX) :]
        variant = post.variant(platform) if platform in post.platforms else None
        return variant.text if variant is not None else None
    return None


def snapshot_field_text(snap: dict[str, Any], name: str) -> str | None:
    """Return the field's text in a revision snapshot, None when it had no such field."""
    if name == MASTER:
        return snap.get(MASTER) or ""
    if name.startswith(VARIANT_PREFIX):
        platform = name[len(VARIANT_PREFIX) :]
        return ((snap.get("variants") or {}).get(platform) or {}).get("text")
    return None


@dataclass
class AnchorView:
    """A thread's anchor as it shows now."""

    kind: str  # "text" | "image"
    field: str | None = None
    label: str = ""
    quote: str = ""
    state: str = "ok"  # ok | changed | deleted
    start: int | None = None
    end: int | None = None
    current: str = ""
    media_id: int | None = None
    x: float | None = None
    y: float | None = None
    image_url: str = ""
    image_alt: str = ""

    @property
    def deleted(self) -> bool:
        return self.state == "deleted"


@dataclass
class Thread:
    root: Comment
    replies: list[Comment] = field(default_factory=list)
    anchor: AnchorView | None = None

    @property
    def resolved(self) -> bool:
        return self.root.is_resolved

    @property
    def comments(self) -> list[Comment]:
        return [self.root, *self.replies]


def _visible(query: Any, internal: bool) -> Any:
    if internal:
        return query
    return query.where(Comment.visibility == CommentVisibility.CLIENT)


def threads(post: Post, internal: bool) -> list[Thread]:
    """Return the post's threads (open first, then resolved), oldest first in each."""
    rows = db.session.scalars(
        _visible(select(Comment).where(Comment.post_id == post.id), internal)
        .options(selectinload(Comment.author), selectinload(Comment.resolved_by))
        .order_by(Comment.created_at, Comment.id)
    ).all()
    by_root: dict[int, Thread] = {}
    for row in rows:
        if row.parent_id is None:
            by_root[row.id] = Thread(row)
    for row in rows:
        if row.parent_id is not None and row.parent_id in by_root and not row.is_deleted:
            by_root[row.parent_id].replies.append(row)
    # A deleted first comment stays as "Comment deleted" only while replies hang off it.
    result = [t for t in by_root.values() if not (t.root.is_deleted and not t.replies)]
    _locate_anchors(post, result)
    return sorted(result, key=lambda t: t.resolved)


def threads_for(membership: Membership, post: Post) -> list[Thread]:
    """Return the threads this member may see: clients only see those meant for them."""
    return threads(post, sees_internal(membership))


def comments_for_client(post: Post) -> list[Thread]:
    """Return the threads meant for the client (for the share-link page and the portal).

    Each Thread has .root, .replies (Comment rows: body, author, created_at), .resolved and
    .anchor (an AnchorView or None). templates/comments/_client_threads.html shows them.
    """
    return threads(post, internal=False)


def _locate_anchors(post: Post, result: list[Thread]) -> None:
    texts = [t for t in result if t.root.anchor_kind == "text" and t.root.anchor_field]
    wanted = {
        t.root.anchor_revision
        for t in texts
        if t.root.anchor_revision is not None and t.root.anchor_revision != post.revision
    }
    snapshots: dict[int, dict[str, Any]] = {}
    if wanted:
        snapshots = dict(
            db.session.execute(
                select(PostRevision.number, PostRevision.snapshot).where(
                    PostRevision.post_id == post.id, PostRevision.number.in_(wanted)
                )
            ).all()
        )
    diffs: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for thread in texts:
        root = thread.root
        name = root.anchor_field or MASTER
        new = current_field_text(post, name)
        if root.anchor_revision == post.revision:
            old = new
        else:
            snap = snapshots.get(root.anchor_revision or 0)
            old = snapshot_field_text(snap, name) if snap is not None else None
        start, end, quote = root.anchor_start or 0, root.anchor_end or 0, root.anchor_quote or ""
        cached = None
        if old is not None and new is not None and old != new and old[start:end] == quote:
            key = (name, root.anchor_revision or 0)
            if key not in diffs:
                diffs[key] = anchors.diff(old, new)
            cached = diffs[key]
        found = anchors.locate(old, new, start, end, quote, cached)
        thread.anchor = AnchorView(
            "text",
            field=name,
            label=field_label(name),
            quote=quote,
            state=found.state,
            start=found.start,
            end=found.end,
            current=found.current,
        )
    images = [t for t in result if t.root.anchor_kind == "image"]
    if images:
        ids = {t.root.anchor_media_id for t in images}
        items = {
            m.id: m
            for m in db.session.scalars(
                select(MediaItem).where(
                    MediaItem.id.in_(ids), MediaItem.workspace_id == post.workspace_id
                )
            )
        }
        for thread in images:
            item = items.get(thread.root.anchor_media_id or 0)
            thread.anchor = AnchorView(
                "image",
                label=item.filename if item else "An image",
                state="ok" if item else "deleted",
                media_id=thread.root.anchor_media_id,
                x=thread.root.anchor_x,
                y=thread.root.anchor_y,
                image_url=image_url(item) if item else "",
                image_alt=(item.alt_text or item.filename) if item else "",
            )


def image_url(item: MediaItem) -> str:
    """Return a URL showing the whole picture (the media library's preview rendition)."""
    try:
        from studio.assets.operations import rendition_url
    except ImportError:  # pragma: no cover - the media library is optional here
        return item.placeholder or ""
    try:
        return rendition_url(item, "preview")
    except Exception:  # a picture that can't be shown must not break the comments
        return item.placeholder or ""


def post_media(post: Post) -> list[MediaItem]:
    """Return the images the post (or any of its variants) uses, in the post's order."""
    ids: list[int] = []
    for entry in [*post.media, *(m for v in post.variants for m in (v.media or []))]:
        media_id = entry.get("media_id") if isinstance(entry, dict) else None
        if isinstance(media_id, int) and media_id not in ids:
            ids.append(media_id)
    if not ids:
        return []
    items = {
        m.id: m
        for m in db.session.scalars(
            select(MediaItem).where(
                MediaItem.id.in_(ids), MediaItem.workspace_id == post.workspace_id
            )
        )
    }
    return [items[i] for i in ids if i in items]


def post_for_poll(membership: Membership, post_id: int) -> int:
    """Return the post's revision if the member may see it (404 otherwise), cheaply."""
    row = db.session.execute(
        select(Post.revision, Post.brand_id).where(
            Post.id == post_id, Post.workspace_id == membership.workspace_id
        )
    ).first()
    if row is None or (
        membership.role == Role.CLIENT and row.brand_id not in client_brand_ids(membership)
    ):
        raise NotFound("No such post in this workspace.")
    return int(row.revision)


def panel_token(membership: Membership, post_id: int, revision: int) -> str:
    """Return a token that changes whenever what the member's comment panel shows changes.

    The post's revision is part of it: an edit moves the anchors.
    """
    count, last_id, last_change = db.session.execute(
        _visible(
            select(func.count(Comment.id), func.max(Comment.id), func.max(Comment.updated_at)),
            sees_internal(membership),
        ).where(Comment.post_id == post_id)
    ).one()
    stamp = last_change.timestamp() if hasattr(last_change, "timestamp") else last_change
    return f"{revision}.{count}.{last_id or 0}.{stamp or 0}"


def get_comment(membership: Membership, post: Post, comment_id: int) -> Comment:
    """Return a comment of this post the member may see, or 404."""
    row = db.session.scalar(
        select(Comment).where(Comment.id == comment_id, Comment.post_id == post.id)
    )
    if row is None or (
        row.visibility == CommentVisibility.INTERNAL and not sees_internal(membership)
    ):
        raise NotFound("No such comment on this post.")
    return row


# --- mentions ------------------------------------------------------------------------------


def members_seeing(post: Post) -> list[Membership]:
    """Return the workspace's members who can see the post (clients: if on its brand)."""
    members = db.session.scalars(
        select(Membership)
        .where(Membership.workspace_id == post.workspace_id)
        .options(selectinload(Membership.user))
    ).all()
    clients_on_brand = set(
        db.session.scalars(
            select(ClientBrandAccess.membership_id).where(
                ClientBrandAccess.brand_id == post.brand_id
            )
        )
    )
    return [m for m in members if m.role != Role.CLIENT or m.id in clients_on_brand]


def workspace_handles(workspace_id: int) -> dict[str, mentions.Member]:
    return mentions.handles(
        db.session.scalars(
            select(Membership)
            .where(Membership.workspace_id == workspace_id)
            .options(selectinload(Membership.user))
        ).all()
    )


def suggest(post: Post, query: str, limit: int = 8) -> list[mentions.Member]:
    """Return members who can see the post whose handle or name starts with query."""
    query = query.strip().lstrip("@").lower()
    seeing = {m.id for m in members_seeing(post)}
    found = []
    for member in workspace_handles(post.workspace_id).values():
        if member.membership.id not in seeing:
            continue
        words = [member.handle, *member.name.lower().split()]
        if not query or any(w.startswith(query) for w in words):
            found.append(member)
    return found[:limit]


# --- writing -------------------------------------------------------------------------------


@dataclass
class CommentInput:
    body: str = ""
    visibility: str = ""
    parent_id: str = ""
    anchor_field: str = ""
    anchor_start: str = ""
    anchor_end: str = ""
    anchor_quote: str = ""
    anchor_revision: str = ""
    anchor_media_id: str = ""
    anchor_x: str = ""
    anchor_y: str = ""


@dataclass
class Posted:
    comment: Comment
    notified: list[mentions.Member] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # handles that match no member
    unseen: list[mentions.Member] = field(default_factory=list)  # members who can't see it

    def messages(self) -> list[str]:
        """Say what happened to each mention the author wrote."""
        lines = []
        if self.notified:
            names = ", ".join(m.name for m in self.notified)
            lines.append(f"Notified {names}.")
        if self.unknown:
            handles = ", ".join(f"@{h}" for h in self.unknown)
            lines.append(
                f"No member of this workspace is called {handles}, so nobody was notified "
                "for that. Your comment is saved; mention people by their email name."
            )
        for member in self.unseen:
            lines.append(
                f"@{member.handle} can't see this comment (it is internal, or they have no "
                "access to this brand), so they weren't notified."
            )
        return lines


def _int(raw: str, what: str, field_name: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise CommentError(f"The {what} isn't a number.", field_name) from None


def _fraction(raw: str, what: str) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise CommentError(f"The point's {what} isn't a number.", "anchor") from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise CommentError("Click inside the picture to place the comment's point.", "anchor")
    return round(value, 4)


def _clean_body(raw: str) -> str:
    body = raw.replace("\x00", "").replace("\r\n", "\n").strip()
    if not body:
        raise CommentError("Write something first: the comment is empty.")
    if len(body) > MAX_BODY:
        raise CommentError(
            f"A comment can be at most {MAX_BODY:,} characters; this one has {len(body):,}. "
            "Shorten it or split it into replies."
        )
    return body


def _text_anchor(post: Post, data: CommentInput) -> dict[str, Any]:
    name = data.anchor_field.strip()
    text = current_field_text(post, name) if name else None
    if text is None:
        raise CommentError(
            "That text isn't part of this post (any more); select the text again.", "anchor"
        )
    start = _int(data.anchor_start, "selection start", "anchor")
    end = _int(data.anchor_end, "selection end", "anchor")
    quote = data.anchor_quote.replace("\r\n", "\n")
    if start < 0 or end <= start:
        raise CommentError("Select some text first, then comment on the selection.", "anchor")
    if end - start > MAX_QUOTE:
        raise CommentError(f"Select at most {MAX_QUOTE:,} characters to comment on.", "anchor")
    # Offsets the browser measured on an older revision are carried to the current text.
    revision = _int(data.anchor_revision, "revision", "anchor") if data.anchor_revision else 0
    if 0 < revision < post.revision and quote:
        snap = db.session.scalar(
            select(PostRevision.snapshot).where(
                PostRevision.post_id == post.id, PostRevision.number == revision
            )
        )
        old = snapshot_field_text(snap, name) if snap is not None else None
        found = anchors.locate(old, text, start, end, quote)
        if found.state == "ok" and found.start is not None and found.end is not None:
            start, end = found.start, found.end
    if start >= len(text):
        raise CommentError(
            f"The selection starts past the end of the {field_label(name).lower()} "
            f"(it has {len(text):,} characters). Select the text again.",
            "anchor",
        )
    end = min(end, len(text))  # a selection running past the end is cut to the text
    if quote and text[start:end] != quote:
        index = anchors.find_nearest(text, quote, start)
        if index is None:
            raise CommentError(
                "The text you selected isn't saved yet (or someone changed it). Wait for "
                "“Saved”, select it again, and comment.",
                "anchor",
            )
        start, end = index, index + len(quote)
    return {
        "anchor_kind": "text",
        "anchor_field": name,
        "anchor_start": start,
        "anchor_end": end,
        "anchor_quote": text[start:end],
        "anchor_revision": post.revision,
    }


def _image_anchor(post: Post, data: CommentInput) -> dict[str, Any]:
    media_id = _int(data.anchor_media_id, "image", "anchor")
    if media_id not in {m.id for m in post_media(post)}:
        raise CommentError("That image isn't in this post; pick one of its images.", "anchor")
    return {
        "anchor_kind": "image",
        "anchor_media_id": media_id,
        "anchor_x": _fraction(data.anchor_x, "x"),
        "anchor_y": _fraction(data.anchor_y, "y"),
    }


def create_comment(membership: Membership, post: Post, data: CommentInput) -> Posted:
    """Add a thread or a reply; notify the members it mentions (and the thread's author)."""
    body = _clean_body(data.body)
    staff = sees_internal(membership)
    parent: Comment | None = None
    values: dict[str, Any] = {}
    if data.parent_id:
        parent = get_comment(membership, post, _int(data.parent_id, "thread", "parent_id"))
        if parent.parent_id is not None:  # a reply to a reply joins the same thread
            parent = get_comment(membership, post, parent.parent_id)
        if parent.is_deleted and not _live_replies(parent):
            raise NotFound("No such comment on this post.")  # the thread was deleted
        visibility = parent.visibility
    else:
        if not staff:
            visibility = CommentVisibility.CLIENT  # a client's comment is for the client
        elif data.visibility in {v.value for v in CommentVisibility}:
            visibility = CommentVisibility(data.visibility)
        else:
            visibility = CommentVisibility.INTERNAL
        if data.anchor_media_id:
            values = _image_anchor(post, data)
        elif data.anchor_field:
            values = _text_anchor(post, data)
    now = utcnow()
    comment = Comment(
        workspace_id=post.workspace_id,
        post_id=post.id,
        parent_id=parent.id if parent else None,
        author_id=membership.user_id,
        body=body,
        visibility=visibility,
        mentions=[],
        created_at=now,
        updated_at=now,
        **values,
    )
    db.session.add(comment)
    if parent is not None:
        parent.updated_at = now
        if parent.resolved_at is not None:  # a new reply reopens the conversation
            parent.resolved_at = None
            parent.resolved_by_id = None
    db.session.flush()
    posted = _notify_mentions(membership, post, comment, parent)
    comment.mentions = [m.membership.user_id for m in posted.notified]
    db.session.flush()
    return posted


def _link(post: Post, comment: Comment) -> str:
    return url_for("composer.edit", post_id=post.id) + f"#comment-{comment.id}"


def _excerpt(body: str, limit: int = 140) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _notify_mentions(
    membership: Membership,
    post: Post,
    comment: Comment,
    parent: Comment | None,
    already: Collection[int] = (),
    reported: Collection[str] = (),
) -> Posted:
    """Notify the members the comment mentions, except those in `already` (user ids).

    Handles in `reported` were in the text before an edit: the author has been told about
    them once, so they are not reported again as unknown or unable to see it.
    """
    posted = Posted(comment)
    written = mentions.mentioned(comment.body)
    author = membership.user
    seeing = {m.id for m in members_seeing(post)} if written or parent else set()
    notified_users: set[int] = set()

    def can_read(member: Membership) -> bool:
        if member.id not in seeing:
            return False
        return comment.visibility == CommentVisibility.CLIENT or member.role != Role.CLIENT

    if written:
        known = workspace_handles(post.workspace_id)
        for handle in written:
            member = known.get(handle)
            if member is None:
                if handle not in reported:
                    posted.unknown.append(handle)
            elif member.membership.user_id == author.id or member.membership.user_id in already:
                continue
            elif not can_read(member.membership):
                if handle not in reported:
                    posted.unseen.append(member)
            else:
                notify(
                    member.membership.user_id,
                    post.workspace_id,
                    "mention",
                    f"{author.name} mentioned you on “{post.title}”: {_excerpt(comment.body)}",
                    post_id=post.id,
                    url=_link(post, comment),
                    comment_id=comment.id,
                )
                notified_users.add(member.membership.user_id)
                posted.notified.append(member)
    starter_id = parent.author_id if parent is not None else None
    if starter_id and starter_id != author.id and starter_id not in notified_users:
        starter = db.session.scalar(
            select(Membership).where(
                Membership.workspace_id == post.workspace_id, Membership.user_id == starter_id
            )
        )
        if starter is not None and can_read(starter):
            notify(
                starter.user_id,
                post.workspace_id,
                "reply",
                f"{author.name} replied on “{post.title}”: {_excerpt(comment.body)}",
                post_id=post.id,
                url=_link(post, comment),
                comment_id=comment.id,
            )
    return posted


def set_resolved(membership: Membership, post: Post, comment: Comment, resolved: bool) -> None:
    """Resolve or reopen a thread: the team may, and so may whoever started it."""
    root = (
        comment if comment.parent_id is None else get_comment(membership, post, comment.parent_id)
    )
    if root.author_id != membership.user_id and not can(
        membership, Action.EDIT_CONTENT, post.brand
    ):
        verb = "resolve" if resolved else "reopen"
        raise Forbidden(f"Only the team or whoever started this thread can {verb} it.")
    if resolved and root.resolved_at is None:
        root.resolved_at = utcnow()
        root.resolved_by_id = membership.user_id
    elif not resolved and root.resolved_at is not None:
        root.resolved_at = None
        root.resolved_by_id = None
    else:
        return
    root.updated_at = utcnow()
    db.session.flush()


# --- editing and deleting --------------------------------------------------------------------


@dataclass(frozen=True)
class Rights:
    """What one member may do to the comments of one post (asked by views and templates)."""

    user_id: int
    moderator: bool  # may delete anyone's comment

    def may_edit(self, comment: Comment) -> bool:
        # Only the author changes their own words; a deleted comment has none left.
        return comment.author_id == self.user_id and not comment.is_deleted

    def may_delete(self, comment: Comment) -> bool:
        return not comment.is_deleted and (comment.author_id == self.user_id or self.moderator)


def rights(membership: Membership, post: Post) -> Rights:
    """Return what the member may do to the post's comments.

    Reaching the post at all (get_post) already means a client is attached to its brand.
    """
    return Rights(membership.user_id, can(membership, Action.MODERATE_COMMENTS, post.brand))


def _live_replies(root: Comment) -> int:
    return (
        db.session.scalar(
            select(func.count(Comment.id)).where(
                Comment.parent_id == root.id, Comment.deleted_at.is_(None)
            )
        )
        or 0
    )


def check_editable(membership: Membership, comment: Comment) -> None:
    """Raise 403 unless the member wrote the comment; CommentError (409) once it is deleted."""
    if comment.author_id != membership.user_id:
        raise Forbidden("Only whoever wrote a comment can edit it.")
    if comment.is_deleted:
        raise CommentError(
            "This comment was deleted, so there is nothing to edit.", "conflict", 409
        )


def edit_comment(membership: Membership, post: Post, comment: Comment, raw_body: str) -> Posted:
    """Change the text of the member's own comment, checked as when it was written.

    Mentions are read again: people mentioned for the first time are notified, and nobody
    who was already told about this comment (mention or reply) is told twice.
    """
    check_editable(membership, comment)
    body = _clean_body(raw_body)
    if body == comment.body:
        return Posted(comment)
    before = mentions.mentioned(comment.body)
    told = set(comment.mentions or []) | set(
        db.session.scalars(
            select(Notification.user_id).where(Notification.comment_id == comment.id)
        )
    )
    now = utcnow()
    comment.body = body
    comment.edited_at = now
    comment.updated_at = now
    posted = _notify_mentions(membership, post, comment, None, already=told, reported=before)
    comment.mentions = [
        *(comment.mentions or []),
        *(m.membership.user_id for m in posted.notified),
    ]
    db.session.flush()
    return posted


def delete_comment(membership: Membership, post: Post, comment: Comment) -> None:
    """Delete a comment: its author may, and so may a brand manager or owner (moderation).

    The row stays, without its text, so the thread under a deleted first comment keeps its
    place and inbox items about it still open the post.
    """
    if comment.author_id != membership.user_id and not can(
        membership, Action.MODERATE_COMMENTS, post.brand
    ):
        raise Forbidden("Only whoever wrote a comment, or a brand manager, can delete it.")
    if comment.is_deleted:
        return  # a second click on Delete: it is gone already
    now = utcnow()
    comment.body = ""
    comment.deleted_at = now
    comment.deleted_by_id = membership.user_id
    comment.updated_at = now
    # The inbox must not keep quoting what was deleted; its items now just open the post.
    retract(
        comment.id,
        f"A comment on “{post.title}” was deleted.",
        url_for("composer.edit", post_id=post.id) + "#comments",
    )
    db.session.flush()
