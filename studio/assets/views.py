"""Media library, item editor, renditions and the profile-asset studio."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from redis.exceptions import RedisError
from werkzeug.exceptions import NotFound

from jobs.media import build_profile_zip, render_all
from studio.assets import operations as ops
from studio.assets import profiles, public_links
from studio.assets.cli import import_command
from studio.assets.forms import crop_from_form, design_from_args, focal_from_form
from studio.assets.gate import RenderBusy, render_slot
from studio.extensions import db, htmx
from studio.imaging import ImageRejected
from studio.models import Brand, MediaItem
from studio.platforms.limits import PLATFORMS
from studio.policy import Action, get_brand, require
from studio.tasks.queue import QueueUnavailable, enqueue, job_state
from studio.web import render_page, see_other, workspace_blueprint

bp = workspace_blueprint("assets", __name__)
bp.cli.add_command(import_command)  # `flask assets import --brand SLUG FILE...`
# Signed links to one rendition, for platforms that fetch images (Instagram, Threads).
# No sign-in: registered beside `bp` in studio.create_app.
public_bp = Blueprint("assets_public", __name__)

LIBRARY_PAGE = "assets/library.html"
ITEM_PAGE = "assets/item.html"
PROFILE_PAGE = "assets/profiles.html"
IMMUTABLE = "private, max-age=31536000, immutable"
# Room for the multipart envelope around one file of the maximum size.
ENVELOPE_BYTES = 64 * 1024
_RENDITION = re.compile(
    r"^(?P<key>[0-9a-f]{16}-(?P<preset>[a-z0-9_]+)-[0-9a-f]{24})\.(?P<ext>[a-z]+)$"
)


def _brand(brand_id: int, action: Action = Action.VIEW_BRAND) -> Brand:
    brand = get_brand(g.membership, brand_id)
    require(g.membership, action, brand)
    return brand


def _item(media_id: int, action: Action = Action.VIEW_BRAND) -> MediaItem:
    item = ops.get_media(g.membership, media_id)
    require(g.membership, action, item.brand)
    return item


def _text(message: str, status: int, **headers: str) -> Response:
    response = Response(message, status=status, mimetype="text/plain")
    # The header carries the reason for scripts; ASCII only, as HTTP headers must be.
    response.headers["X-Plume-Message"] = message.encode("ascii", "replace").decode()
    response.headers.update(headers)
    return response


@bp.app_template_global("rendition_url")
def _rendition_url(item: MediaItem, preset_id: str) -> str:
    return ops.rendition_url(item, preset_id)


@bp.app_template_filter("media_bytes")
def _media_bytes(n: int | None) -> str:
    """Format a byte count the way platforms state their caps (decimal KB and MB)."""
    if n is None:
        return "?"
    if n >= 1_000_000:
        return f"{n / 1_000_000:,.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:,.0f} KB"
    return f"{n} bytes"


def _enqueue_once(func: Any, *args: Any, job_id: str, **kwargs: Any) -> None:
    # Same id, same inputs: a job already waiting or running does the work (RQ would
    # otherwise queue the id twice and reset a running job's status).
    try:
        if job_state(job_id).status in ("queued", "started"):
            return
    except RedisError as exc:
        raise QueueUnavailable(
            "The job queue is unavailable right now, so this can't start. Try again shortly."
        ) from exc
    enqueue(func, *args, job_id=job_id, **kwargs)


# Library ------------------------------------------------------------------------------------


def _library_context(brand: Brand) -> dict[str, Any]:
    q = request.args.get("q", "").strip()[:200]
    tag = request.args.get("tag", "").strip()[:40]
    return {
        "brand": brand,
        "items": ops.media_for_brand(brand, tag or None, q or None),
        "tags": ops.brand_tags(brand),
        "q": q,
        "tag": tag,
        "max_bytes": ops.max_upload_bytes(),
    }


@bp.get("/brands/<int:brand_id>/media")
def library(brand_id: int) -> str:
    brand = _brand(brand_id)
    block = "media_grid" if htmx and htmx.target == "media-grid" else None
    return render_page(LIBRARY_PAGE, block, **_library_context(brand))


@bp.post("/brands/<int:brand_id>/media")
def upload(brand_id: int) -> Response | tuple[str, int, dict[str, str]]:
    brand = _brand(brand_id, Action.MANAGE_MEDIA)
    single = request.headers.get("X-Plume-Upload") == "1"
    limit = ops.max_upload_bytes()
    if single and (request.content_length or 0) > limit + ENVELOPE_BYTES:
        size = ops.megabytes(request.content_length or 0)
        return _text(f"This file is about {size}; the limit is {ops.megabytes(limit)}.", 413)
    files = [f for f in request.files.getlist("file") if f is not None]
    if not files:
        if single:
            return _text("Choose an image file to upload.", 400)
        flash("Choose one or more image files to upload.", "error")
        return see_other(url_for("assets.library", brand_id=brand.id))
    outcomes = []
    for upload_file in files[:1] if single else files:
        # Read one byte past the limit: enough to know it is too big without reading it all.
        data = upload_file.stream.read(limit + 1)
        try:
            result = ops.add_media(brand, data, upload_file.filename, current_user)
            if result.created:
                ops.ensure_renditions(result.item, [ops.THUMB.id])
            db.session.commit()
        except ImageRejected as exc:
            db.session.rollback()
            if single:
                return _text(exc.message, ops.rejection_status(exc), **{"X-Plume-Reason": exc.code})
            outcomes.append(("error", f"{upload_file.filename or 'File'}: {exc.message}"))
            continue
        outcomes.append(("success", _upload_message(result)))
        if single:
            html = render_template("assets/_tile.html", item=result.item, brand=brand, fresh=True)
            headers = {
                "X-Plume-Message": _upload_message(result).encode("ascii", "replace").decode(),
                "X-Plume-Upload": "created" if result.created else "existing",
                "X-Plume-Media-Id": str(result.item.id),
            }
            return html, 201 if result.created else 200, headers
    for level, message in outcomes:
        flash(message, level)
    return see_other(url_for("assets.library", brand_id=brand.id))


def _upload_message(result: ops.UploadResult) -> str:
    name = result.item.filename
    if not result.created:
        return f"{name} is already in the library (the same file was uploaded before)."
    return " ".join((f"{name} uploaded.", *result.notes))


# One item -----------------------------------------------------------------------------------


def _item_context(item: MediaItem, **extra: Any) -> dict[str, Any]:
    return {
        "item": item,
        "brand": item.brand,
        "preview_url": ops.rendition_url(item, "preview"),
        "cards": ops.rendition_cards(item),
        "alt_checks": ops.alt_text_checks(extra.pop("alt_text", item.alt_text)),
        "logo_slots": ops.kit_logo_slots(item.brand),
        "corners": ops.CORNERS,
        "errors": extra.pop("errors", {}),
        "used_in": ops.posts_using(item),
        **extra,
    }


@bp.get("/media/<int:media_id>")
def item(media_id: int) -> str:
    media = _item(media_id)
    block = "editor" if htmx and htmx.target == "media-editor" else None
    return render_page(ITEM_PAGE, block, **_item_context(media))


@bp.post("/media/<int:media_id>")
def update(media_id: int) -> Response | tuple[str, int]:
    media = _item(media_id, Action.MANAGE_MEDIA)
    alt_text = request.form.get("alt_text", "")
    try:
        ops.update_details(media, alt_text, ops.parse_tags(request.form.get("tags", "")))
    except ops.MediaError as exc:
        db.session.rollback()
        context = _item_context(_item(media_id), alt_text=alt_text, errors={"details": exc.message})
        context["draft"] = {"alt_text": alt_text, "tags": request.form.get("tags", "")}
        return render_page(ITEM_PAGE, "details_panel", **context), 422
    db.session.commit()
    if htmx:
        return render_page(ITEM_PAGE, "details_panel", **_item_context(media, saved=True)), 200
    flash("Alt text and tags saved.", "success")
    return see_other(url_for("assets.item", media_id=media.id))


@bp.get("/media/<int:media_id>/alt-check")
def alt_check(media_id: int) -> str:
    media = _item(media_id)
    alt_text = request.args.get("alt_text", "")[: ops.ALT_TEXT_MAX + 1000]
    return render_template(
        "assets/_alt_checks.html", item=media, alt_checks=ops.alt_text_checks(alt_text)
    )


def _editor_response(
    media: MediaItem, status: int = 200, **extra: Any
) -> Response | tuple[str, int]:
    if htmx:
        return render_page(ITEM_PAGE, "editor", **_item_context(media, **extra)), status
    if status >= 400:
        return render_page(ITEM_PAGE, **_item_context(media, **extra)), status
    return see_other(url_for("assets.item", media_id=media.id))


@bp.post("/media/<int:media_id>/focal")
def set_focal(media_id: int) -> Response | tuple[str, int]:
    media = _item(media_id, Action.MANAGE_MEDIA)
    try:
        ops.set_focal(media, *focal_from_form(request.form))
    except ops.MediaError as exc:
        db.session.rollback()
        return _editor_response(_item(media_id), 422, errors={"focal": exc.message})
    db.session.commit()
    return _editor_response(media)


@bp.get("/media/<int:media_id>/crops/<preset_id>")
def crop_editor(media_id: int, preset_id: str) -> str:
    media = _item(media_id)
    card = ops.rendition_card(media, preset_id)
    block = "crop_editor" if htmx and htmx.target == "crop-editor" else None
    return render_page(ITEM_PAGE, block, **_item_context(media, editing=card))


@bp.post("/media/<int:media_id>/crops/<preset_id>")
def save_crop(media_id: int, preset_id: str) -> Response | tuple[str, int]:
    media = _item(media_id, Action.MANAGE_MEDIA)
    try:
        ops.save_crop(media, preset_id, crop_from_form(request.form))
    except ops.MediaError as exc:
        db.session.rollback()
        media = _item(media_id)
        card = ops.rendition_card(media, preset_id)
        return _editor_response(media, 422, editing=card, errors={"crop": exc.message})
    db.session.commit()
    return _editor_response(media, changed=preset_id)


@bp.post("/media/<int:media_id>/crops/<preset_id>/reset")
def reset_crop(media_id: int, preset_id: str) -> Response | tuple[str, int]:
    media = _item(media_id, Action.MANAGE_MEDIA)
    ops.reset_crop(media, preset_id)
    db.session.commit()
    return _editor_response(media, changed=preset_id)


@bp.post("/media/<int:media_id>/frames/<preset_id>")
def set_frame(media_id: int, preset_id: str) -> Response | tuple[str, int]:
    media = _item(media_id, Action.MANAGE_MEDIA)
    try:
        ops.set_frame(
            media, preset_id, request.form.get("corner", ""), request.form.get("logo", "")
        )
    except ops.MediaError as exc:
        db.session.rollback()
        return _editor_response(_item(media_id), 422, errors={f"frame.{preset_id}": exc.message})
    db.session.commit()
    return _editor_response(media, changed=preset_id)


@bp.get("/media/<int:media_id>/renditions/<preset_id>")
def rendition_card(media_id: int, preset_id: str) -> str | Response:
    """Make one preset's rendition if needed and return its card (loaded when scrolled to)."""
    media = _item(media_id)
    if ops.plan_rendition(media, preset_id) is None or preset_id not in ops.PRESETS:
        raise NotFound("No such preset.")
    try:
        ops.ensure_renditions(media, [preset_id], slot=render_slot)
        problem = None
    except ImageRejected as exc:
        problem = exc.message
    except RenderBusy as exc:
        return _text(str(exc), 503, **{"Retry-After": "2"})
    card = ops.rendition_card(media, preset_id)
    return render_template(
        "assets/_rendition_card.html",
        item=media,
        card=card,
        problem=problem,
        **_card_context(media),
    )


def _card_context(media: MediaItem) -> dict[str, Any]:
    return {
        "brand": media.brand,
        "logo_slots": ops.kit_logo_slots(media.brand),
        "corners": ops.CORNERS,
        "errors": {},
    }


@bp.get("/media/<int:media_id>/r/<rendition>")
def rendition(media_id: int, rendition: str) -> Response:
    """Serve a rendition, making it first if needed; an outdated name redirects to the current."""
    media = _item(media_id)
    match = _RENDITION.match(rendition)
    plan = ops.plan_rendition(media, match["preset"]) if match else None
    if match is None or plan is None:
        raise NotFound("No such rendition.")
    if (match["key"], match["ext"]) != (plan.key, plan.ext):
        # The focal point, crop or frame changed since this URL was handed out.
        response = redirect(ops.plan_url(media, plan), code=302)
        response.headers["Cache-Control"] = "no-store"
        return response
    try:
        meta = ops.ensure_renditions(media, [plan.preset.id], slot=render_slot)[plan.preset.id]
    except ImageRejected as exc:
        return _text(exc.message, 422)
    except RenderBusy as exc:
        return _text(str(exc), 503, **{"Retry-After": "2"})
    response = send_file(
        io.BytesIO(ops.rendition_bytes(plan)),
        mimetype=meta["content_type"],
        download_name=f"{media.filename.rsplit('.', 1)[0]}-{plan.preset.id}.{plan.ext}",
        conditional=False,
    )
    # The URL names every input of the bytes, so they never change behind it.
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["ETag"] = f'"{plan.key}"'
    return response


@bp.post("/media/<int:media_id>/render-all")
def start_render_all(media_id: int) -> tuple[str, int]:
    media = _item(media_id, Action.MANAGE_MEDIA)
    job_id = ops.render_all_job_id(media)
    title = f"Renditions of {media.filename}"
    try:
        _enqueue_once(
            render_all,
            media.id,
            job_id=job_id,
            timeout=15 * 60,
            meta={"workspace_id": g.workspace.id, "kind": "media", "title": title},
        )
    except QueueUnavailable as exc:
        return render_template("components/job_unavailable.html", message=str(exc)), 503
    return render_template(
        "components/job_progress.html",
        job_id=job_id,
        title=title,
        poll_url=url_for("tasks.progress", job_id=job_id),
    ), 202


@bp.post("/media/<int:media_id>/delete")
def delete(media_id: int) -> Response | tuple[str, int]:
    media = _item(media_id, Action.MANAGE_MEDIA)
    brand_id, name = media.brand_id, media.filename
    try:
        hashes = ops.delete_media(media)
    except ops.MediaError as exc:
        db.session.rollback()
        context = _item_context(_item(media_id), errors={"delete": exc.message})
        return render_page(ITEM_PAGE, None, **context), exc.status
    db.session.commit()
    ops.purge_blobs(hashes)
    flash(f"{name} deleted.", "success")
    return see_other(url_for("assets.library", brand_id=brand_id))


# Public rendition links -----------------------------------------------------------------------


def _public(response: Response) -> Response:
    """Keep a public image out of search results and unable to run anything."""
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@public_bp.get("/public/media/<token>", endpoint="rendition")
def public_rendition(token: str) -> Response:
    """Serve the one rendition a signed link names (a platform fetching a post's image)."""
    try:
        found = ops.open_public_rendition(token)
    except public_links.LinkExpired:
        return _public(_text("This image link has expired.", 410))
    except (public_links.LinkInvalid, NotFound):
        return _public(_text("No such image.", 404))
    response = Response(found.data, mimetype=found.content_type)
    # Caches may keep it no longer than the link itself works.
    response.headers["Cache-Control"] = f"public, max-age={found.expires_in}"
    return _public(response)


# Profile-asset studio -------------------------------------------------------------------------


def _profile_context(brand: Brand, choice: profiles.DesignChoice) -> dict[str, Any]:
    errors: dict[str, str] = {}
    try:
        resolved = profiles.resolve(brand, choice)
    except profiles.DesignError as exc:
        errors = exc.problems
        resolved = profiles.resolve(brand, profiles.default_choice(brand))
    assets = profiles.compose_set(brand, resolved)
    return {
        "brand": brand,
        "choice": choice,
        "resolved": resolved,
        "assets": assets,
        "groups": profiles.grouped(assets),
        "platform_names": {slug: rules.name for slug, rules in PLATFORMS.items()},
        "options": profiles.kit_options(brand),
        "library": ops.media_for_brand(brand),
        "errors": errors,
        "backgrounds": profiles.BACKGROUNDS,
        "directions": profiles.DIRECTIONS,
    }


@bp.get("/brands/<int:brand_id>/profile-assets")
def profile_studio(brand_id: int) -> str:
    brand = _brand(brand_id)
    choice = design_from_args(request.args, profiles.default_choice(brand))
    block = "profile_previews" if htmx and htmx.target == "profile-previews" else None
    return render_page(PROFILE_PAGE, block, **_profile_context(brand, choice))


@bp.get("/brands/<int:brand_id>/profile-assets/sets/<digest>/<spec_id>")
def profile_asset(brand_id: int, digest: str, spec_id: str) -> Response:
    brand = _brand(brand_id)
    found = profiles.asset_file(brand, digest, spec_id)
    if found is None:
        raise NotFound("That asset isn't composed; open the profile studio again.")
    data, mimetype, filename = found
    response = send_file(
        io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=request.args.get("download") == "1",
        download_name=filename,
        conditional=False,
    )
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.post("/brands/<int:brand_id>/profile-assets/zip")
def profile_zip(brand_id: int) -> tuple[str, int]:
    brand = _brand(brand_id, Action.MANAGE_MEDIA)
    choice = design_from_args(request.form, profiles.default_choice(brand))
    try:
        resolved = profiles.resolve(brand, choice)
    except profiles.DesignError as exc:
        message = " ".join(exc.problems.values())
        return render_template("components/job_unavailable.html", message=message), 422
    job_id = profiles.zip_job_id(brand.id, resolved.digest)
    title = f"{brand.name} profile assets (ZIP)"
    try:
        _enqueue_once(
            build_profile_zip,
            brand.id,
            resolved.choice.to_json(),
            current_user.id,
            job_id=job_id,
            timeout=10 * 60,
            meta={
                "workspace_id": g.workspace.id,
                "kind": "profile_zip",
                "title": title,
                "result_url": url_for(
                    "assets.profile_zip_download", brand_id=brand.id, digest=resolved.digest
                ),
            },
        )
    except QueueUnavailable as exc:
        return render_template("components/job_unavailable.html", message=str(exc)), 503
    return render_template(
        "components/job_progress.html",
        job_id=job_id,
        title=title,
        poll_url=url_for("tasks.progress", job_id=job_id),
    ), 202


@bp.get("/brands/<int:brand_id>/profile-assets/zips/<digest>.zip")
def profile_zip_download(brand_id: int, digest: str) -> Response:
    brand = _brand(brand_id)
    data = profiles.zip_bytes(brand, digest) if re.fullmatch(r"[0-9a-f]{24}", digest) else None
    if data is None:
        raise NotFound("That ZIP isn't ready, or has been removed. Build it again.")
    return send_file(
        io.BytesIO(data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{brand.slug}-profile-assets.zip",
    )
