"""The publishing calendar: month, week and list views; scheduling; the iCal feed."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
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
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from studio.calendar import ical as ical_mod
from studio.calendar import operations as cal
from studio.composer import operations as composer
from studio.extensions import db
from studio.models import Brand, Post, PostSchedule, PostStatus, PublishAttempt, Role, Workspace
from studio.models.base import utcnow
from studio.models.publishing import CalendarFeed
from studio.policy import Action, can, get_brand, require, visible_brands
from studio.publishing import operations as channel_ops
from studio.publishing import scheduling as sched
from studio.web import render_page, see_other, workspace_blueprint

bp = workspace_blueprint("calendar", __name__)
# The iCal feed is read by calendar apps without a session: its address carries a signature.
feed_bp = Blueprint("calendar_feed", __name__)
feed_bp.record_once(lambda _state: sched.warm_up())

PANEL = "calendar/_publishing_panel.html"


# -- the publishing panel (composer) --------------------------------------------------------


@bp.app_template_global("publishing_state")
def publishing_state(post: Post) -> dict[str, Any]:
    """Return what the composer's publishing panel shows for a post."""
    membership = g.get("membership")
    schedule = sched.get_schedule(post)
    attempts = sched.post_attempts(post)
    channels = channel_ops.channels_for_post(post, channel_ops.brand_channels(post.brand))
    tz = post.brand.timezone or "UTC"
    wall = sched.schedule_wall(schedule) if schedule else None
    return {
        "post": post,
        "schedule": schedule,
        "wall": wall,
        "tz": schedule.timezone if schedule else tz,
        "attempts": attempts,
        "channels": channels,
        "chosen": set(schedule.channel_ids)
        if schedule and schedule.channel_ids is not None
        else {c.id for c in channels},
        "blocker": sched.publish_blocker(post),
        "editable": can(membership, Action.EDIT_CONTENT, post.brand),
        "live": any(
            a.state == "publishing"
            or (a.state == "scheduled" and a.due_at < utcnow() + timedelta(minutes=10))
            for a in attempts
        ),
        "note": sched.wall_note(wall, schedule.timezone) if schedule and wall else None,
    }


def _panel(post: Post, status: int = 200, **extra: Any) -> tuple[str, int]:
    html = render_template(PANEL, post=post, **extra)
    return html, status


def _editable_post(post_id: int) -> Post:
    post = composer.get_post(g.membership, post_id)
    require(g.membership, Action.EDIT_CONTENT, post.brand)
    return post


def _after(post: Post, message: str, attempts: list[PublishAttempt] | None = None) -> Any:
    """Commit, remind RQ of the attempts, and answer the panel or the calendar."""
    db.session.commit()
    if attempts:
        sched.enqueue_attempts(attempts)
    back = request.form.get("back") or ""
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("composer.edit", post_id=post.id)
    if not request.headers.get("HX-Request"):
        flash(message, "success")
        return see_other(back)
    if request.form.get("next") == "calendar":
        # Re-render only the calendar (its filters are in `back`) and say what happened.
        response = Response(status=200)
        response.headers["HX-Location"] = json.dumps(
            {"path": back, "target": "#calendar", "swap": "outerHTML"}
        )
        response.headers["HX-Trigger"] = json.dumps(
            {"plume:toast": {"message": message, "level": "info"}}
        )
        return response
    html, status = _panel(post, message=message)
    return html, status


@bp.post("/posts/<int:post_id>/schedule")
def schedule(post_id: int) -> Any:
    post = _editable_post(post_id)
    try:
        local = sched.parse_local(request.form.get("date", ""), request.form.get("time", ""))
        chosen = (
            [int(c) for c in request.form.getlist("channel")]
            if request.form.get("channels_present")
            else None
        )
        result = sched.schedule_post(g.membership, post, local, channel_ids=chosen)
    except (sched.SchedulingError, ValueError) as exc:
        db.session.rollback()
        message = exc.message if isinstance(exc, sched.SchedulingError) else "Check the channels."
        status = exc.status if isinstance(exc, sched.SchedulingError) else 422
        return _panel(post, status, error=message)
    message = _describe(result)
    return _after(post, message, result.attempts)


def _describe(result: sched.ScheduleResult) -> str:
    wall = sched.schedule_wall(result.schedule)
    when = f"{wall:%a %d %b %Y at %H:%M} ({result.schedule.timezone})"
    if result.planned_only:
        text = f"Planned for {when}. Not scheduled to publish yet: {result.planned_only}"
    else:
        text = f"Scheduled for {when} on {len(result.attempts)} channel(s)."
    if result.note:
        text += " " + result.note
    return text


@bp.post("/posts/<int:post_id>/move")
def move(post_id: int) -> Any:
    """Move a post to another day (keeping its time) or time: drag and drop, or the form."""
    post = _editable_post(post_id)
    current = sched.get_schedule(post)
    day = request.form.get("date", "")
    clock = request.form.get("time") or (current.local_time[11:16] if current else "09:00")
    try:
        local = sched.parse_local(day, clock)
        result = sched.schedule_post(g.membership, post, local)
    except sched.SchedulingError as exc:
        db.session.rollback()
        return _error(exc.message, exc.status)
    return _after(post, _describe(result), result.attempts)


def _error(message: str, status: int) -> Response:
    response = Response(message, status=status, mimetype="text/plain")
    response.headers["X-Plume-Message"] = message
    return response


@bp.post("/posts/<int:post_id>/unschedule")
def unschedule(post_id: int) -> Any:
    post = _editable_post(post_id)
    removed = sched.unschedule(post, g.membership.user)
    return _after(post, f"Taken off the calendar ({removed} pending publish(es) cancelled).")


@bp.post("/posts/<int:post_id>/queue")
def add_to_queue(post_id: int) -> Any:
    post = _editable_post(post_id)
    slot = sched.next_free_slot(post.brand)
    if slot is None:
        return _panel(
            post, 422, error="The brand has no free queue slot: add slots on its calendar page."
        )
    try:
        result = sched.schedule_post(g.membership, post, slot, from_queue=True)
    except sched.SchedulingError as exc:
        db.session.rollback()
        return _panel(post, exc.status, error=exc.message)
    return _after(post, _describe(result), result.attempts)


def _attempt(attempt_id: int) -> PublishAttempt:
    attempt = db.session.get(PublishAttempt, attempt_id)
    if attempt is None or attempt.workspace_id != g.workspace.id:
        raise NotFound("No such publish in this workspace.")
    composer.get_post(g.membership, attempt.post_id)  # 404 unless its brand is visible
    require(g.membership, Action.EDIT_CONTENT, attempt.post.brand)
    return attempt


@bp.post("/attempts/<int:attempt_id>/retry")
def retry(attempt_id: int) -> Any:
    attempt = _attempt(attempt_id)
    try:
        sched.retry_now(attempt)
    except sched.SchedulingError as exc:
        db.session.rollback()
        return _panel(attempt.post, exc.status, error=exc.message)
    return _after(attempt.post, "Trying again now.", [attempt])


@bp.post("/attempts/<int:attempt_id>/confirm")
def confirm(attempt_id: int) -> Any:
    attempt = _attempt(attempt_id)
    published = request.form.get("published") == "yes"
    try:
        sched.confirm_unknown(
            attempt, published=published, url=request.form.get("url"), user=g.membership.user
        )
    except sched.SchedulingError as exc:
        db.session.rollback()
        return _panel(attempt.post, exc.status, error=exc.message)
    if published:
        return _after(attempt.post, "Marked as published.")
    return _after(attempt.post, "Sending it again now.", [attempt])


@bp.get("/posts/<int:post_id>/publishing")
def panel(post_id: int) -> tuple[str, int]:
    post = composer.get_post(g.membership, post_id)
    return _panel(post)


# -- the calendar ----------------------------------------------------------------------------

PAGE = "calendar/index.html"


def _calendar(brand: Brand | None) -> str:
    membership = g.membership
    filters = cal.Filters.from_args(request.args)
    view = request.args.get("view", "month")
    view = view if view in cal.VIEWS else "month"
    brands = [brand] if brand is not None else list(db.session.scalars(visible_brands(membership)))
    today = cal.today_for(brands)
    anchor = cal.parse_day(request.args.get("date"), today)
    data = cal.load(membership, cal.period(view, anchor), filters, brand)
    editable = {b.id for b in data.brands if can(membership, Action.EDIT_CONTENT)}
    if membership.role == Role.CLIENT:
        editable = set()
    day = request.args.get("day")
    context: dict[str, Any] = {
        "brand": brand,
        "data": data,
        "view": view,
        "filters": filters,
        "today": today,
        "editable": editable,
        "status_filters": cal.STATUS_FILTERS,
        "endpoint": request.endpoint,
        "url_args": {"brand_id": brand.id} if brand is not None else {},
        "tz": brand.timezone if brand is not None else None,
        "per_day": cal.PER_DAY,
        "all_brands": brands if brand is None else [],
    }
    if day:
        shown = cal.parse_day(day, today)
        context["day"] = shown
        context["day_entries"] = data.by_day.get(shown, [])
        return render_page(PAGE, "day_panel", **context)
    if brand is not None:
        context.update(_brand_extras(brand))
    return render_page(PAGE, "calendar_body", **context)


def _brand_extras(brand: Brand, **extra: Any) -> dict[str, Any]:
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.brand_id == brand.id))
    slots = sched.queue_slots(brand)
    return {
        "slots": slots,
        "slots_text": _slots_text(slots),
        "feed": feed,
        "feed_url": url_for("calendar_feed.ical", token=_feed_token(feed), _external=True)
        if feed
        else None,
        "manage_brand": can(g.membership, Action.EDIT_BRAND_SETTINGS, brand),
        **extra,
    }


def _slots_text(slots: list[Any]) -> str:
    by_time: dict[str, list[str]] = {}
    for slot in slots:
        by_time.setdefault(slot.time, []).append(sched.WEEKDAYS[slot.weekday])
    return ", ".join(f"{'/'.join(days)} {clock}" for clock, days in sorted(by_time.items()))


SIDE = "calendar/_brand_side.html"


@bp.post("/brands/<int:brand_id>/queue-slots")
def queue_slots(brand_id: int) -> Any:
    brand = get_brand(g.membership, brand_id)
    require(g.membership, Action.EDIT_BRAND_SETTINGS, brand)
    text = request.form.get("slots", "")
    try:
        slots = sched.parse_slots(text)
    except sched.SchedulingError as exc:
        html = render_template(
            SIDE, brand=brand, **_brand_extras(brand, slots_error=exc.message, slots_text=text)
        )
        return html, 422
    sched.set_queue_slots(brand, slots)
    db.session.commit()
    message = f"{len(slots)} queue slot(s) saved." if slots else "Queue slots removed."
    return render_template(SIDE, brand=brand, **_brand_extras(brand, side_message=message))


# -- the iCal feed ---------------------------------------------------------------------------

FEED_SALT = "plume-calendar-feed"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=FEED_SALT)


def _feed_token(feed: CalendarFeed | None) -> str:
    return _serializer().dumps([feed.id, feed.nonce]) if feed else ""


@bp.post("/brands/<int:brand_id>/ical")
def ical_create(brand_id: int) -> Any:
    """Make (or replace) the brand's iCal address; the old one stops working at once."""
    brand = get_brand(g.membership, brand_id)
    require(g.membership, Action.EDIT_BRAND_SETTINGS, brand)
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.brand_id == brand.id))
    if feed is None:
        feed = CalendarFeed(
            workspace_id=brand.workspace_id, brand_id=brand.id, created_by_id=g.membership.user_id
        )
        db.session.add(feed)
    feed.nonce = secrets.token_urlsafe(24)
    feed.created_at = utcnow()
    db.session.commit()
    return render_template(
        SIDE, brand=brand, **_brand_extras(brand, side_message="New iCal address made.")
    )


@bp.post("/brands/<int:brand_id>/ical/revoke")
def ical_revoke(brand_id: int) -> Any:
    brand = get_brand(g.membership, brand_id)
    require(g.membership, Action.EDIT_BRAND_SETTINGS, brand)
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.brand_id == brand.id))
    if feed is not None:
        db.session.delete(feed)
        db.session.commit()
    return render_template(
        SIDE, brand=brand, **_brand_extras(brand, side_message="The iCal address was revoked.")
    )


@feed_bp.get("/ical/<token>.ics")
def ical(token: str) -> Response:
    """Serve the brand's calendar to calendar apps: the signed address is the credential."""
    try:
        feed_id, nonce = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError) as exc:
        raise NotFound("No such calendar.") from exc
    feed = db.session.get(CalendarFeed, int(feed_id)) if str(feed_id).isdigit() else None
    if feed is None or not secrets.compare_digest(str(nonce), feed.nonce):
        raise NotFound("No such calendar.")
    brand = db.session.get(Brand, feed.brand_id)
    assert brand is not None
    feed.last_fetched_at = utcnow()
    body = ical_mod.calendar(f"{brand.name} (Plume)", _events(brand))
    db.session.commit()
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{brand.slug}.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def _events(brand: Brand) -> list[ical_mod.Event]:
    workspace = db.session.get(Workspace, brand.workspace_id)
    assert workspace is not None
    now = utcnow()
    rows = db.session.execute(
        select(
            PostSchedule.due_at, Post.id, Post.title, Post.master_text, Post.status, Post.platforms
        )
        .join(Post, Post.id == PostSchedule.post_id)
        .where(
            PostSchedule.brand_id == brand.id,
            PostSchedule.due_at >= now - timedelta(days=60),
            PostSchedule.due_at < now + timedelta(days=400),
        )
        .order_by(PostSchedule.due_at)
        .limit(3000)
    ).all()
    host = request.host.split(":")[0] or "plume"
    events = []
    for due_at, post_id, title, text, status, platforms in rows:
        status = PostStatus(status)
        names = ", ".join(_platform_name(p) for p in platforms or [])
        events.append(
            ical_mod.Event(
                uid=f"post-{post_id}@{host}",
                start=due_at,
                summary=f"{title} ({names})" if names else title,
                description=f"{status.label}. {text[:500]}",
                url=url_for("composer.edit", ws=workspace.slug, post_id=post_id, _external=True),
                tentative=status in cal.NEEDS_APPROVAL,
            )
        )
    return events


def _platform_name(platform: str) -> str:
    from studio.platforms.limits import PLATFORMS

    return PLATFORMS[platform].name if platform in PLATFORMS else platform


@bp.get("/calendar")
def workspace() -> str:
    require(g.membership, Action.VIEW_WORKSPACE)
    return _calendar(None)


@bp.get("/brands/<int:brand_id>/calendar")
def brand_month(brand_id: int) -> str:
    brand = get_brand(g.membership, brand_id)
    return _calendar(brand)
