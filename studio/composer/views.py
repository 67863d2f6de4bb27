"""The composer: post list, editor with autosave, live per-platform previews."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, g, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, NotFound

from studio.approvals.operations import on_post_saved
from studio.assets import operations as assets
from studio.composer import history as history_mod
from studio.composer import media as composer_media
from studio.composer import operations as ops
from studio.composer import presence
from studio.composer.state import VariantInput, VariantView
from studio.extensions import db
from studio.models import Post, PostStatus
from studio.platforms.limits import PLATFORMS
from studio.platforms.media_presets import presets_for
from studio.policy import Action, get_brand, require
from studio.tasks.queue import redis_connection
from studio.web import render_page, see_other, workspace_blueprint

bp = workspace_blueprint("composer", __name__)


@bp.get("/brands/<int:brand_id>/posts")
def index(brand_id: int) -> str:
    brand = get_brand(g.membership, brand_id)
    status = request.args.get("status") or None
    posts = ops.list_posts(brand, status)
    editing = presence.present_many(redis_connection(), [p.id for p in posts])
    return render_page(
        "composer/index.html",
        "post_list",
        brand=brand,
        posts=posts,
        editing=editing,
        status=status,
        statuses=list(PostStatus),
    )


@bp.post("/brands/<int:brand_id>/posts")
def create(brand_id: int) -> Response:
    brand = get_brand(g.membership, brand_id)
    require(g.membership, Action.EDIT_CONTENT, brand)
    post = ops.create_post(g.membership, brand, request.form.get("title", "").strip()[:200])
    db.session.commit()
    return see_other(url_for("composer.edit", post_id=post.id))


def _split(raw: str) -> list[str]:
    return [part for part in (p.strip() for p in raw.replace("\n", ",").split(",")) if part]


def changes_from_form(form: MultiDict, post: Post) -> ops.Changes:
    """Read the composer form: only fields present in the request change."""
    changes = ops.Changes()
    for name in ("title", "master_text", "campaign", "link_url"):
        if name in form:
            setattr(changes, name, form.get(name, ""))
    if "labels" in form:
        changes.labels = _split(form.get("labels", ""))
    if "tags" in form:
        changes.tags = _split(form.get("tags", ""))
    if form.get("platforms_present"):
        changes.platforms = form.getlist("platforms")
    variant_text: dict[str, str | None] = {}
    options: dict[str, dict[str, Any]] = {}
    for platform in post.platforms:
        key = f"variant_text.{platform}"
        if key in form:
            variant_text[platform] = form.get(key, "")
        for option in ops.VARIANT_OPTIONS:
            okey = f"options.{platform}.{option}"
            if okey in form:
                options.setdefault(platform, {})[option] = form.get(okey, "")
    changes.variant_text = variant_text or None
    changes.variant_options = options or None
    chosen: dict[str, list[dict[str, Any]] | None] = {}
    for platform in post.platforms:
        if not form.get(f"vmedia.{platform}.present"):
            continue
        chosen[platform] = [
            {
                "media_id": int(m["media_id"]),
                "preset_id": form.get(f"vmedia.{platform}.{m['media_id']}.preset") or None,
                "alt_text": form.get(f"vmedia.{platform}.{m['media_id']}.alt", "").strip()[:2000]
                or None,
            }
            for m in post.media
        ]
    changes.variant_media = chosen or None
    return changes


def _views(
    post: Post, inputs: list[VariantInput] | None = None, items: dict[int, Any] | None = None
) -> list[VariantView]:
    if inputs is None:
        inputs = ops.variant_inputs(post, composer_media.lookup(post, items))
    return ops.assess(post, inputs)


def _editor_context(
    post: Post,
    views: list[VariantView] | None = None,
    items: dict[int, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    items = composer_media.load_items(post) if items is None else items
    views = views if views is not None else _views(post, items=items)
    return {
        "post": post,
        "brand": post.brand,
        "views": views,
        "media_items": items,
        "attached": [items[int(m["media_id"])] for m in post.media if int(m["media_id"]) in items],
        "variant_media": composer_media.variant_media,
        "presets_for": presets_for,
        "thumb_url": lambda item: assets.rendition_url(item, "thumb"),
        "platform_choices": ops.platform_choices(post.brand),
        "all_platforms": PLATFORMS,
        "editable": g.membership is not None and _can_edit(post),
        "voice_blocked": any(v.blocked for v in views),
        **extra,
    }


def _can_edit(post: Post) -> bool:
    from studio.policy import can

    return can(g.membership, Action.EDIT_CONTENT, post.brand)


@bp.get("/posts/<int:post_id>")
def edit(post_id: int) -> str:
    post = ops.get_post(g.membership, post_id)
    context = _editor_context(post)
    db.session.commit()  # the brand's kit may have been created on first use
    return render_page("composer/edit.html", **context)


@bp.post("/posts/<int:post_id>/save")
def save(post_id: int) -> Response | tuple[str, int]:
    post = ops.get_post(g.membership, post_id, for_update=True)
    require(g.membership, Action.EDIT_CONTENT, post.brand)
    changes = changes_from_form(request.form, post)
    action = request.form.get("action", "")
    user = g.membership.user
    try:
        base = int(request.form.get("base_revision", "0"))
        result = ops.apply_changes(post, changes, base, user)
        if action:
            _structural(post, action)
            post.revision += 1
            ops.record_revision(post, user, "save", [action])
    except ops.MergeConflict as exc:
        db.session.rollback()
        html = render_template(
            "composer/_save_status.html", post=post, conflict=exc, current=exc.current
        )
        return html, 409
    except ops.StaleRevision as exc:
        db.session.rollback()
        html = render_template(
            "composer/_save_status.html", post=post, stale=True, current=exc.current
        )
        return html, 409
    except (ops.ComposerError, ValueError) as exc:
        db.session.rollback()
        message = str(exc) if isinstance(exc, ops.ComposerError) else "That revision isn't valid."
        return render_template("composer/_save_status.html", post=post, error=message), 422
    # Read what this save produced before committing: once the write lock is released
    # another save may land, and its revision must not be reported as this one's.
    revision = post.revision
    saved = ops.snapshot(post)
    on_post_saved(post, revision, user)
    db.session.commit()
    if action:
        return see_other(url_for("composer.edit", post_id=post.id))
    html = render_template(
        "composer/_save_status.html", post=post, result=result, revision=revision
    )
    response = Response(html)
    if result.merged:
        # The browser puts the merged text into the fields it sent, keeping the caret.
        fields = {"master_text": saved["master_text"], "title": saved["title"]}
        for platform, values in saved["variants"].items():
            if values["text"] is not None:
                fields[f"variant_text.{platform}"] = values["text"]
        response.headers["HX-Trigger"] = json.dumps(
            {"plume:merged": {"fields": fields, "revision": revision}}
        )
    return response


def _media_action(post: Post, verb: str, raw_id: str) -> None:
    try:
        media_id = int(raw_id)
    except ValueError as exc:
        raise ops.ComposerError("That image reference isn't valid.") from exc
    if verb == "attach":
        library_ids = {item.id for item in composer_media.library(post)}
        try:
            post.media = composer_media.attach(post.media, media_id, library_ids)
        except ValueError as exc:
            raise ops.ComposerError(str(exc), field="media") from exc
    elif verb == "detach":
        post.media = composer_media.detach(post.media, media_id)
        for variant in post.variants:
            if variant.media is not None:
                variant.media = composer_media.detach(variant.media, media_id)
    else:
        post.media = composer_media.move(post.media, media_id, -1 if verb == "up" else 1)


def _structural(post: Post, action: str) -> None:
    verb, _, platform = action.partition(":")
    if verb == "customise":
        variant = ops._variant(post, platform)
        if variant.text is None:
            variant.text = post.master_text
    elif verb == "reset":
        ops._variant(post, platform).text = None
    elif verb == "platforms":
        pass  # applied with the other changes; the editor reloads to show the new tabs
    elif verb in ("attach", "detach", "up", "down"):
        _media_action(post, verb, platform)
    elif verb == "utm":
        keys = ("utm_source", "utm_medium", "utm_campaign")
        params = {k: request.form.get(k, "").strip() for k in keys}
        post.link_url = ops.add_utm(post.link_url or request.form.get("link_url", ""), params)
    else:
        raise ops.ComposerError("Unknown action.")
    db.session.flush()


@bp.post("/posts/<int:post_id>/preview")
def preview(post_id: int) -> tuple[str, int]:
    """Re-render, without saving, the previews whose content changed while typing."""
    post = ops.get_post(g.membership, post_id)
    form = request.form
    master = form.get("master_text", post.master_text)[: ops.MAX_TEXT]
    inputs = []
    items = composer_media.load_items(post)
    for item in ops.variant_inputs(post, composer_media.lookup(post, items)):
        key = f"variant_text.{item.platform}"
        customised = key in form or item.customised
        text = form.get(key, item.text) if customised else master
        options = {
            **item.options,
            **{
                o: form[f"options.{item.platform}.{o}"]
                for o in ops.VARIANT_OPTIONS
                if f"options.{item.platform}.{o}" in form
            },
        }
        inputs.append(
            VariantInput(
                item.platform,
                text[: ops.MAX_TEXT],
                customised,
                item.media,
                item.preview_media,
                options,
            )
        )
    views = _views(post, inputs)
    changed = [v for v in views if form.get(f"fp.{v.platform}") != v.fingerprint]
    html = render_template(
        "composer/_preview_update.html", **_editor_context(post, views, items), changed=changed
    )
    return html, 200


FIELD_LABELS = {"master_text": "the caption", "title": "the post name"}


def _field_label(field: str | None) -> str | None:
    if not field:
        return None
    if field.startswith("variant_text."):
        platform = field.split(".", 1)[1]
        return f"the {PLATFORMS[platform].name} text" if platform in PLATFORMS else None
    return FIELD_LABELS.get(field, "the details")


@bp.get("/posts/<int:post_id>/sync")
def sync(post_id: int) -> Response:
    """Report presence and hand back changes others saved since the browser's revision."""
    post = ops.get_post(g.membership, post_id)
    redis = redis_connection()
    field = request.args.get("field") or None
    user = g.membership.user
    presence.touch(
        redis, post.id, user.id, user.name, field if field in _editable_fields(post) else None
    )
    others = [p for p in presence.present(redis, post.id) if p.user_id != user.id]
    html = render_template("composer/_presence.html", others=others, label=_field_label, oob=True)
    response = Response(html)
    try:
        known = int(request.args.get("rev", "0"))
    except ValueError:
        known = post.revision
    if known < post.revision:
        snap = ops.snapshot(post)
        fields = {"master_text": snap["master_text"], "title": snap["title"]}
        for platform, values in snap["variants"].items():
            if values["text"] is not None:
                fields[f"variant_text.{platform}"] = values["text"]
        structural = any(
            name == "platforms" or name.startswith(("customise:", "reset:"))
            for row in ops.revisions_since(post, known)
            for name in row.fields
        )
        response.headers["HX-Trigger"] = json.dumps(
            {"plume:remote": {"revision": post.revision, "fields": fields, "reload": structural}}
        )
    return response


def _editable_fields(post: Post) -> set[str]:
    return {"master_text", "title"} | {f"variant_text.{p}" for p in post.platforms}


@bp.post("/posts/<int:post_id>/leave")
def leave(post_id: int) -> tuple[str, int]:
    post = ops.get_post(g.membership, post_id)
    presence.leave(redis_connection(), post.id, g.membership.user.id)
    return "", 204


@bp.get("/posts/<int:post_id>/history")
def history(post_id: int) -> str:
    post = ops.get_post(g.membership, post_id)
    revisions = ops.revisions_since(post, 0)[::-1]
    entries = history_mod.group(revisions)
    newest = revisions[0].number if revisions else post.revision
    try:
        a = int(request.args.get("a", newest - 1 if newest > 1 else newest))
        b = int(request.args.get("b", newest))
    except ValueError as exc:
        raise BadRequest("Revision numbers are whole numbers.") from exc
    old, new = ops.get_revision(post, a), ops.get_revision(post, b)
    if old is None or new is None:
        raise NotFound("This post has no such revision.")
    return render_page(
        "composer/history.html",
        "comparison",
        post=post,
        brand=post.brand,
        entries=entries,
        old=old,
        new=new,
        diffs=history_mod.compare(old.snapshot, new.snapshot),
        editable=_can_edit(post),
    )


@bp.post("/posts/<int:post_id>/history/<int:number>/restore")
def restore(post_id: int, number: int) -> Response:
    post = ops.get_post(g.membership, post_id, for_update=True)
    require(g.membership, Action.EDIT_CONTENT, post.brand)
    row = ops.get_revision(post, number)
    if row is None:
        raise NotFound("This post has no such revision.")
    ops.restore_revision(post, row, g.membership.user)
    on_post_saved(post, post.revision, g.membership.user)
    db.session.commit()
    flash(f"Restored revision {number} as revision {post.revision}.", "success")
    return see_other(url_for("composer.edit", post_id=post.id))


@bp.get("/posts/<int:post_id>/picker")
def picker(post_id: int) -> str:
    """The brand's library as a picker fragment (loaded when the picker opens)."""
    post = ops.get_post(g.membership, post_id)
    require(g.membership, Action.EDIT_CONTENT, post.brand)
    return render_template(
        "composer/_picker.html",
        post=post,
        items=composer_media.library(post),
        attached_ids={int(m["media_id"]) for m in post.media},
        thumb_url=lambda item: assets.rendition_url(item, "thumb"),
    )
