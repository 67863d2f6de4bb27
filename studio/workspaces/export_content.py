"""The workspace export's content sections: posts, reviews, kits, media, publishing, analytics.

Each section reads one workspace's rows only: every query filters on ``workspace_id`` or
joins through a parent that does. Sections are generators (or mappings of generators) so
build_export_zip can write rows as they are read; the larger tables stream with
``yield_per`` and never sit in memory whole. Secrets never leave: no sealed channel
credentials or OAuth tokens, no share-link tokens, no lease tokens, no file storage keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from studio.extensions import db
from studio.models import (
    ApprovalDecision,
    ApprovalEvent,
    ApprovalStep,
    BrandKit,
    Channel,
    Comment,
    KitVersion,
    MediaItem,
    Membership,
    MetricSnapshot,
    Post,
    PostRevision,
    PostSchedule,
    PublishAttempt,
    PublishedPost,
    Report,
    ShareLink,
    User,
)
from studio.models.analytics import SNAPSHOT_METRICS, FollowerCount
from studio.models.approvals import ApprovalStepMember
from studio.models.kits import KitAsset

Row = dict[str, Any]
Rows = Iterable[Row]
# A file holding several tables ({"steps": [...], "decisions": [...]}) rather than one list.
Tables = Mapping[str, Rows]
Section = Callable[[int], Rows | Tables]
Person = dict[str, str]
People = Callable[[int | None], Person | None]

# Rows fetched per round trip when a table may be large.
BATCH = 500

# What the export leaves out, and why; written to manifest.json under "notes".
NOTES = [
    "Files are not included: media originals and renditions, brand kit fonts and logos, "
    "and report PDFs are listed by metadata only (filename, size, sha256 fingerprint).",
    "Channel credentials and tokens of any kind are not included; reconnect channels after "
    "importing elsewhere.",
    "Approval share-link tokens are not included (links are listed by label and dates).",
    "Not included: calendar feed addresses, members' inbox notifications, posting queue "
    "slots, the sandbox feed, report templates and schedules, and analytics CSV uploads.",
]


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _stream(query: Select[Any]) -> Iterator[Any]:
    """Yield the query's entities a batch at a time instead of loading them all."""
    yield from db.session.scalars(query.execution_options(yield_per=BATCH))


def _people() -> People:
    """Return a lookup of a user's name and email, cached for one section."""
    cache: dict[int, Person | None] = {}

    def person(user_id: int | None) -> Person | None:
        if user_id is None:
            return None
        if user_id not in cache:
            user = db.session.get(User, user_id)
            cache[user_id] = {"name": user.name, "email": user.email} if user else None
        return cache[user_id]

    return person


# -- posts ------------------------------------------------------------------------------------


def posts(workspace_id: int) -> Iterator[Row]:
    """Yield every post with its per-platform variants nested."""
    person = _people()
    query = (
        select(Post)
        .where(Post.workspace_id == workspace_id)
        .options(selectinload(Post.variants))
        .order_by(Post.id)
    )
    for post in _stream(query):
        yield {
            "id": post.id,
            "brand_id": post.brand_id,
            "title": post.title,
            "status": str(post.status),
            "master_text": post.master_text,
            "platforms": post.platforms,
            "labels": post.labels,
            "campaign": post.campaign,
            "tags": post.tags,
            "link_url": post.link_url,
            "media": post.media,  # [{"media_id", "alt_text"}], in display order
            "revision": post.revision,
            "created_by": person(post.created_by_id),
            "created_at": _iso(post.created_at),
            "updated_at": _iso(post.updated_at),
            "variants": [
                {
                    "platform": v.platform,
                    "text": v.text,  # null: the master text
                    "media": v.media,  # null: the post's media
                    "options": v.options,
                }
                for v in post.variants
            ],
        }


def post_revisions(workspace_id: int) -> Iterator[Row]:
    """Yield every saved revision of the workspace's posts, with its snapshot."""
    person = _people()
    query = (
        select(PostRevision)
        .join(Post, Post.id == PostRevision.post_id)
        .where(Post.workspace_id == workspace_id)
        .order_by(PostRevision.post_id, PostRevision.number)
    )
    for revision in _stream(query):
        yield {
            "post_id": revision.post_id,
            "number": revision.number,
            "kind": revision.kind,
            "author": person(revision.author_id),
            "created_at": _iso(revision.created_at),
            "fields": revision.fields,
            "restored_from": revision.restored_from,
            "snapshot": revision.snapshot,
        }


# -- comments ---------------------------------------------------------------------------------


def _anchor(comment: Comment) -> Row | None:
    if comment.anchor_kind == "text":
        return {
            "kind": "text",
            "field": comment.anchor_field,
            "start": comment.anchor_start,
            "end": comment.anchor_end,
            "quote": comment.anchor_quote,
            "revision": comment.anchor_revision,
        }
    if comment.anchor_kind == "image":
        return {
            "kind": "image",
            "media_id": comment.anchor_media_id,
            "x": comment.anchor_x,
            "y": comment.anchor_y,
        }
    return None


def comments(workspace_id: int) -> Iterator[Row]:
    """Yield every comment and reply; parent_id links a reply to its thread."""
    person = _people()
    query = select(Comment).where(Comment.workspace_id == workspace_id).order_by(Comment.id)
    for comment in _stream(query):
        yield {
            "id": comment.id,
            "post_id": comment.post_id,
            "parent_id": comment.parent_id,
            "author": person(comment.author_id),
            "body": comment.body,
            "visibility": str(comment.visibility),
            "mentions": [p for p in map(person, comment.mentions) if p is not None],
            "anchor": _anchor(comment),
            "resolved": comment.resolved_at is not None,
            "resolved_at": _iso(comment.resolved_at),
            "resolved_by": person(comment.resolved_by_id),
            "created_at": _iso(comment.created_at),
            "updated_at": _iso(comment.updated_at),
            "edited_at": _iso(comment.edited_at),
            "deleted_at": _iso(comment.deleted_at),
            "deleted_by": person(comment.deleted_by_id),
        }


# -- approvals --------------------------------------------------------------------------------


def _steps(workspace_id: int) -> Iterator[Row]:
    steps = db.session.scalars(
        select(ApprovalStep)
        .where(ApprovalStep.workspace_id == workspace_id)
        .order_by(ApprovalStep.brand_id, ApprovalStep.position, ApprovalStep.id)
    )
    for step in steps:
        named = db.session.execute(
            select(User.name, User.email)
            .join(Membership, Membership.user_id == User.id)
            .join(ApprovalStepMember, ApprovalStepMember.membership_id == Membership.id)
            .where(ApprovalStepMember.step_id == step.id, Membership.workspace_id == workspace_id)
            .order_by(User.name)
        )
        yield {
            "id": step.id,
            "brand_id": step.brand_id,
            "position": step.position,
            "name": step.name,
            "approver_kind": step.approver_kind,
            "role": step.role,
            "mode": step.mode,
            "members": [{"name": n, "email": e} for n, e in named],
            "created_at": _iso(step.created_at),
        }


def _decisions(workspace_id: int) -> Iterator[Row]:
    person = _people()
    query = (
        select(ApprovalDecision)
        .where(ApprovalDecision.workspace_id == workspace_id)
        .order_by(ApprovalDecision.id)
    )
    for d in _stream(query):
        yield {
            "id": d.id,
            "post_id": d.post_id,
            "step_id": d.step_id,
            "round": d.round,
            "decision": d.decision,
            "revision_number": d.revision_number,
            "approver_name": d.approver_name,
            "approver": person(d.user_id),
            "via_share_link": d.via_share_link,
            "note": d.note,
            "created_at": _iso(d.created_at),
            "withdrawn": d.withdrawn_at is not None,
            "withdrawn_at": _iso(d.withdrawn_at),
            "withdrawn_reason": d.withdrawn_reason,
            "withdrawn_revision": d.withdrawn_revision,
        }


def _events(workspace_id: int) -> Iterator[Row]:
    person = _people()
    query = (
        select(ApprovalEvent)
        .where(ApprovalEvent.workspace_id == workspace_id)
        .order_by(ApprovalEvent.id)
    )
    for e in _stream(query):
        yield {
            "post_id": e.post_id,
            "created_at": _iso(e.created_at),
            "kind": e.kind,
            "actor_name": e.actor_name,
            "actor": person(e.actor_id),
            "from_status": e.from_status,
            "to_status": e.to_status,
            "revision": e.revision,
            "note": e.note,
        }


def _share_links(workspace_id: int) -> Iterator[Row]:
    # The link's address is a token signed with the app's secret: only who, when and until.
    person = _people()
    links = db.session.scalars(
        select(ShareLink).where(ShareLink.workspace_id == workspace_id).order_by(ShareLink.id)
    )
    for link in links:
        yield {
            "id": link.id,
            "post_id": link.post_id,
            "label": link.label,
            "created_by": person(link.created_by_id),
            "created_at": _iso(link.created_at),
            "expires_at": _iso(link.expires_at),
            "revoked_at": _iso(link.revoked_at),
        }


def approvals(workspace_id: int) -> Tables:
    """Return each brand's approval steps, the decisions, share links and the audit trail."""
    return {
        "steps": _steps(workspace_id),
        "decisions": _decisions(workspace_id),
        "share_links": _share_links(workspace_id),
        "events": _events(workspace_id),
    }


# -- brand kits -------------------------------------------------------------------------------


def _asset_kind(path: str) -> str:
    return {"logos": "logo", "fonts": "font"}.get(path.split("/", 1)[0], "file")


def brand_kits(workspace_id: int) -> Iterator[Row]:
    """Yield each brand's current kit, its version history and its files' metadata."""
    person = _people()
    kits = db.session.scalars(
        select(BrandKit)
        .where(BrandKit.workspace_id == workspace_id)
        .options(selectinload(BrandKit.assets))
        .order_by(BrandKit.brand_id)
    )
    for kit in kits:
        versions = db.session.scalars(
            select(KitVersion).where(KitVersion.kit_id == kit.id).order_by(KitVersion.version)
        )
        yield {
            "brand_id": kit.brand_id,
            "version": kit.version,
            "data": kit.data,
            "updated_at": _iso(kit.updated_at),
            "updated_by": person(kit.updated_by_id),
            "versions": [
                {
                    "version": v.version,
                    "changed_by": person(v.changed_by_id),
                    "changed_at": _iso(v.changed_at),
                    "changed_fields": v.changed_fields,
                    "summary": v.summary,
                }
                for v in versions
            ],
            "files": [_kit_file(a) for a in kit.assets],
        }


def _kit_file(asset: KitAsset) -> Row:
    return {
        "filename": asset.path,
        "kind": _asset_kind(asset.path),
        "mimetype": asset.mimetype,
        "sha256": asset.sha256,
        "size_bytes": asset.size_bytes,
        "created_at": _iso(asset.created_at),
    }


# -- media ------------------------------------------------------------------------------------


def media(workspace_id: int) -> Iterator[Row]:
    """Yield the media library's items: metadata, alt text, focal point and crops (no bytes)."""
    person = _people()
    query = (
        select(MediaItem)
        .where(MediaItem.workspace_id == workspace_id)
        .options(selectinload(MediaItem.crops))
        .order_by(MediaItem.id)
    )
    for item in _stream(query):
        yield {
            "id": item.id,
            "brand_id": item.brand_id,
            "filename": item.filename,
            "sha256": item.sha256,
            "size_bytes": item.size_bytes,
            "source_format": item.source_format,
            "kind": item.kind,
            "width": item.width,
            "height": item.height,
            "frames": item.frames,
            "alt_text": item.alt_text,
            "tags": item.tags,
            "focal_point": {"x": item.focal_x, "y": item.focal_y},
            "crops": [
                {"preset_id": c.preset_id, "box": c.box, "created_at": _iso(c.created_at)}
                for c in sorted(item.crops, key=lambda c: c.preset_id)
            ],
            "brand_frames": item.brand_frames,
            "uploaded_by": person(item.uploaded_by_id),
            "created_at": _iso(item.created_at),
        }


# -- publishing -------------------------------------------------------------------------------


def channels(workspace_id: int) -> Iterator[Row]:
    """Yield the connected channels; never their sealed credentials."""
    rows = db.session.scalars(
        select(Channel).where(Channel.workspace_id == workspace_id).order_by(Channel.id)
    )
    for channel in rows:
        yield {
            "id": channel.id,
            "brand_id": channel.brand_id,
            "platform": channel.platform,
            "display_name": channel.display_name,
            "handle": channel.handle,
            "account_id": channel.account_id,
            "profile_url": channel.profile_url,
            # Only the fields the platform marks as not secret (server address, page id).
            "settings": channel.settings,
            "mirror_platform": channel.mirror_platform,
            "status": channel.status,
            "active": channel.active,
            "connected_at": _iso(channel.created_at),
            "verified_at": _iso(channel.verified_at),
            "disconnected_at": _iso(channel.disconnected_at),
        }


def schedules(workspace_id: int) -> Iterator[Row]:
    """Yield when each scheduled post goes out, as chosen and as the UTC instant."""
    query = (
        select(PostSchedule)
        .where(PostSchedule.workspace_id == workspace_id)
        .order_by(PostSchedule.id)
    )
    for s in _stream(query):
        yield {
            "post_id": s.post_id,
            "brand_id": s.brand_id,
            "due_at": _iso(s.due_at),
            "local_time": s.local_time,
            "timezone": s.timezone,
            "channel_ids": s.channel_ids,  # null: every matching channel of the brand
            "from_queue": s.from_queue,
            "created_at": _iso(s.created_at),
            "updated_at": _iso(s.updated_at),
        }


def publish_attempts(workspace_id: int) -> Iterator[Row]:
    """Yield each post's publishing to each channel: state, tries, result and error."""
    query = (
        select(PublishAttempt)
        .where(PublishAttempt.workspace_id == workspace_id)
        .order_by(PublishAttempt.id)
    )
    for a in _stream(query):
        yield {
            "id": a.id,
            "post_id": a.post_id,
            "brand_id": a.brand_id,
            "channel_id": a.channel_id,
            "platform": a.platform,
            "variant_platform": a.variant_platform,
            "state": a.state,
            "due_at": _iso(a.due_at),
            "tries": a.attempts,
            "first_attempt_at": _iso(a.first_attempt_at),
            "last_attempt_at": _iso(a.last_attempt_at),
            "published_at": _iso(a.published_at),
            "remote_id": a.platform_post_id,
            "remote_url": a.url,
            "found_existing": a.found_existing,
            "error": a.error,
            "error_kind": a.error_kind,
            "action": a.action,
            "created_at": _iso(a.created_at),
            "updated_at": _iso(a.updated_at),
        }


# -- analytics and reports --------------------------------------------------------------------


def _metrics(row: PublishedPost | MetricSnapshot) -> dict[str, int | None]:
    return {key: getattr(row, key) for key in SNAPSHOT_METRICS}


def _published_posts(workspace_id: int) -> Iterator[Row]:
    query = (
        select(PublishedPost)
        .where(PublishedPost.workspace_id == workspace_id)
        .order_by(PublishedPost.id)
    )
    for p in _stream(query):
        yield {
            "id": p.id,
            "brand_id": p.brand_id,
            "post_id": p.post_id,
            "channel_id": p.channel_id,
            "platform": p.platform,
            "external_id": p.external_id,
            "url": p.url,
            "published_at": _iso(p.published_at),
            "caption": p.caption,
            "campaign": p.campaign,
            "labels": p.labels,
            "source": p.source,
            "metrics": _metrics(p),
            "latest_snapshot": _iso(p.latest_snapshot),
        }


def _snapshots(workspace_id: int) -> Iterator[Row]:
    query = (
        select(MetricSnapshot)
        .join(PublishedPost, PublishedPost.id == MetricSnapshot.published_post_id)
        .where(PublishedPost.workspace_id == workspace_id)
        .order_by(MetricSnapshot.published_post_id, MetricSnapshot.snapshot_date)
    )
    for s in _stream(query):
        yield {
            "published_post_id": s.published_post_id,
            "date": _iso(s.snapshot_date),
            "metrics": _metrics(s),
            "source": s.source,
        }


def _followers(workspace_id: int) -> Iterator[Row]:
    query = (
        select(FollowerCount)
        .where(FollowerCount.workspace_id == workspace_id)
        .order_by(FollowerCount.brand_id, FollowerCount.platform, FollowerCount.day)
    )
    for f in _stream(query):
        yield {
            "brand_id": f.brand_id,
            "channel_id": f.channel_id,
            "platform": f.platform,
            "day": _iso(f.day),
            "followers": f.followers,
        }


def analytics(workspace_id: int) -> Tables:
    """Return published posts' metrics, their daily snapshots and accounts' follower counts."""
    return {
        "published_posts": _published_posts(workspace_id),
        "metric_snapshots": _snapshots(workspace_id),
        "follower_counts": _followers(workspace_id),
    }


def reports(workspace_id: int) -> Iterator[Row]:
    """Yield the PDF reports' parameters and outcome (not the PDFs)."""
    person = _people()
    rows = db.session.scalars(
        select(Report).where(Report.workspace_id == workspace_id).order_by(Report.id)
    )
    for r in rows:
        yield {
            "id": r.id,
            "brand_id": r.brand_id,
            "title": r.title,
            "period": r.period,
            "parameters": r.parameters,
            "status": r.status,
            "error": r.error,
            "pages": r.pages,
            "size_bytes": r.size_bytes,
            "created_by": person(r.created_by_id),
            "created_at": _iso(r.created_at),
            "finished_at": _iso(r.finished_at),
        }


# In the order the ZIP lists them, after members, brands and invitations.
CONTENT_SECTIONS: dict[str, Section] = {
    "posts": posts,
    "post_revisions": post_revisions,
    "comments": comments,
    "approvals": approvals,
    "brand_kits": brand_kits,
    "media": media,
    "channels": channels,
    "schedules": schedules,
    "publish_attempts": publish_attempts,
    "analytics": analytics,
    "reports": reports,
}
