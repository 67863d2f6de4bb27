"""Channels: connect a brand's accounts, test them, disconnect them; the sandbox feed page."""

from __future__ import annotations

import logging
import secrets
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import BadRequest, NotFound

from studio.extensions import db, htmx
from studio.models import Brand
from studio.models.publishing import SandboxFeedItem
from studio.platforms.limits import PLATFORMS as POST_PLATFORMS
from studio.policy import Action, can, get_brand, membership_for, require
from studio.publishing import LABELS, OAUTH, PublishError
from studio.publishing import operations as ops
from studio.publishing.adapters import oauth as oauth_flow
from studio.web import render_page, see_other, workspace_blueprint

log = logging.getLogger(__name__)

bp = workspace_blueprint("channels", __name__)
# The OAuth callback has one fixed address (platforms only call back registered URLs).
oauth_bp = Blueprint("channels_oauth", __name__)

PAGE = "channels/index.html"
FEED_PAGE = "feed/index.html"
_OAUTH_SESSION = "plume_oauth"


def _brand(brand_id: int, action: Action = Action.VIEW_INTERNAL) -> Brand:
    brand = get_brand(g.membership, brand_id)
    require(g.membership, action, brand)
    return brand


def _context(brand: Brand, **extra: Any) -> dict[str, Any]:
    platform = extra.pop("platform", None) or request.args.get("platform") or None
    form = ops.connect_form(platform) if platform else None
    return {
        "brand": brand,
        "channels": ops.brand_channels(brand, include_disconnected=True),
        "connectable": [(p, LABELS[p], ops.HELP.get(p, "")) for p in ops.CONNECTABLE],
        "form": form,
        "values": extra.pop("values", {}),
        "error": extra.pop("error", None),
        "error_field": extra.pop("error_field", None),
        "post_platforms": [(p, POST_PLATFORMS[p].name) for p in brand.platforms],
        "manage": can(g.membership, Action.MANAGE_CHANNELS, brand),
        **extra,
    }


@bp.get("/brands/<int:brand_id>/channels")
def index(brand_id: int) -> str:
    brand = _brand(brand_id)
    return render_page(PAGE, "connect_panel", **_context(brand))


@bp.post("/brands/<int:brand_id>/channels")
def connect(brand_id: int) -> Response | tuple[str, int]:
    brand = _brand(brand_id, Action.MANAGE_CHANNELS)
    platform = request.form.get("platform", "")
    form = ops.connect_form(platform)
    mirror = request.form.get("mirror_platform") or None if form.mirrors else None
    try:
        values = ops.clean_values(platform, request.form)
        channel = ops.connect_channel(g.membership, brand, platform, values, mirror_platform=mirror)
    except ops.ChannelError as exc:
        db.session.rollback()
        # Secrets are never sent back to the browser, not even into the form it just sent.
        shown = {f.name: request.form.get(f.name, "") for f in form.fields if not f.secret}
        context = _context(
            brand, platform=platform, values=shown, error=exc.message, error_field=exc.field
        )
        return render_page(PAGE, "connect_panel", **context), exc.status
    db.session.commit()
    flash(f"Connected {LABELS[platform]}: {channel.name}.", "success")
    return see_other(url_for("channels.index", brand_id=brand.id))


@bp.post("/channels/<int:channel_id>/test")
def test(channel_id: int) -> tuple[str, int]:
    channel = ops.get_channel(g.membership, channel_id)
    require(g.membership, Action.MANAGE_CHANNELS, channel.brand)
    if not channel.active:
        raise NotFound("This channel was disconnected.")
    error = None
    try:
        ops.verify_channel(channel)
    except PublishError as exc:
        error = str(exc)
    db.session.commit()
    html = render_template(
        "channels/_channel.html",
        channel=channel,
        brand=channel.brand,
        manage=True,
        tested=True,
        test_error=error,
    )
    return html, 200


@bp.post("/channels/<int:channel_id>/disconnect")
def disconnect(channel_id: int) -> Response:
    channel = ops.get_channel(g.membership, channel_id)
    require(g.membership, Action.MANAGE_CHANNELS, channel.brand)
    if channel.active:
        pending = ops.disconnect_channel(channel)
        db.session.commit()
        note = f" {pending} scheduled post(s) will not go to it." if pending else ""
        flash(f"Disconnected {channel.name}; its credentials were deleted.{note}", "success")
    return see_other(url_for("channels.index", brand_id=channel.brand_id))


# -- OAuth ------------------------------------------------------------------------------------


@bp.post("/brands/<int:brand_id>/channels/oauth")
def oauth_start(brand_id: int) -> Response | tuple[str, int]:
    brand = _brand(brand_id, Action.MANAGE_CHANNELS)
    platform = request.form.get("platform", "")
    spec = OAUTH.get(platform)
    client = ops.oauth_client(platform) if spec else None
    if spec is None or client is None:
        raise NotFound("This platform has no sign-in set up in this studio.")
    try:
        values = ops.clean_values(platform, request.form, oauth=True)
    except ops.ChannelError as exc:
        context = _context(brand, platform=platform, error=exc.message, error_field=exc.field)
        return render_page(PAGE, "connect_panel", **context), 422
    state = secrets.token_urlsafe(24)
    verifier, challenge = oauth_flow.pkce_pair() if spec.pkce else (None, None)
    session[_OAUTH_SESSION] = {
        "state": state,
        "platform": platform,
        "ws": g.workspace.slug,
        "brand_id": brand.id,
        "verifier": verifier,
        "values": values,  # only the non-secret typed fields (page id, board id)
    }
    target = oauth_flow.authorize_url(
        spec,
        client_id=client[0],
        redirect_uri=_redirect_uri(platform),
        state=state,
        code_challenge=challenge,
    )
    if htmx:
        response = Response(status=200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)  # type: ignore[return-value]


def _redirect_uri(platform: str) -> str:
    return url_for("channels_oauth.callback", platform=platform, _external=True)


@oauth_bp.get("/channels/oauth/<platform>/callback")
@login_required
def callback(platform: str) -> Response:
    pending = session.get(_OAUTH_SESSION)
    if not pending or pending.get("platform") != platform or platform not in OAUTH:
        raise NotFound("No sign-in to a platform is in progress.")
    if not secrets.compare_digest(str(request.args.get("state", "")), str(pending["state"])):
        raise NotFound("No sign-in to a platform is in progress.")
    session.pop(_OAUTH_SESSION, None)
    membership = membership_for(current_user, pending["ws"])
    g.membership, g.workspace = membership, membership.workspace
    brand = get_brand(membership, int(pending["brand_id"]))
    require(membership, Action.MANAGE_CHANNELS, brand)
    back = url_for("channels.index", ws=membership.workspace.slug, brand_id=brand.id)
    if request.args.get("error"):
        flash(f"{LABELS[platform]} did not connect: {request.args.get('error')}.", "error")
        return redirect(back, code=303)  # type: ignore[return-value]
    code = request.args.get("code", "")
    client = ops.oauth_client(platform)
    if not code or client is None:
        raise BadRequest("The platform did not send a sign-in code.")
    try:
        tokens = oauth_flow.exchange_code(
            OAUTH[platform],
            client_id=client[0],
            client_secret=client[1],
            code=code,
            redirect_uri=_redirect_uri(platform),
            code_verifier=pending.get("verifier"),
        )
        values = {**pending.get("values", {}), **tokens.credentials()}
        if platform == "facebook":
            values = _facebook_page_token(values)
        channel = ops.connect_channel(membership, brand, platform, values)
    except (PublishError, ops.ChannelError) as exc:
        db.session.rollback()
        flash(f"{LABELS[platform]} did not connect: {exc}", "error")
        return redirect(back, code=303)  # type: ignore[return-value]
    db.session.commit()
    flash(f"Connected {LABELS[platform]}: {channel.name}.", "success")
    return redirect(back, code=303)  # type: ignore[return-value]


def _facebook_page_token(values: dict[str, Any]) -> dict[str, Any]:
    """Trade the person's token for the chosen Page's own token."""
    from studio.publishing import adapter_for

    adapter = adapter_for("facebook")
    pages = adapter.pages(values.pop("access_token"))  # type: ignore[attr-defined]
    page = next((p for p in pages if str(p.get("id")) == str(values.get("page_id"))), None)
    if page is None:
        raise ops.ChannelError("That Facebook account does not manage the Page id you entered.")
    return {**values, "page_access_token": page["access_token"]}


# -- the sandbox feed -------------------------------------------------------------------------


@bp.get("/brands/<int:brand_id>/feed")
def feed(brand_id: int) -> str:
    brand = get_brand(g.membership, brand_id)
    items = list(
        db.session.scalars(
            select(SandboxFeedItem)
            .where(SandboxFeedItem.brand_id == brand.id)
            .order_by(SandboxFeedItem.created_at.desc(), SandboxFeedItem.id.desc())
            .limit(200)
        )
    )
    return render_page(
        FEED_PAGE, "feed_items", brand=brand, items=items, images=_feed_images(items)
    )


def _feed_images(items: list[SandboxFeedItem]) -> dict[tuple[int, str], str]:
    """Return the rendition URL of every image shown on the feed."""
    wanted = {(m.get("media_id"), m.get("preset_id")) for i in items for m in i.media or []}
    if not wanted:
        return {}
    try:
        from studio.assets.operations import rendition_url
    except ImportError:  # pragma: no cover
        return {}
    from studio.models import MediaItem

    rows = {
        m.id: m
        for m in db.session.scalars(
            select(MediaItem).where(MediaItem.id.in_([w[0] for w in wanted]))
        )
    }
    urls = {}
    for media_id, preset_id in wanted:
        item = rows.get(media_id)
        if item is not None:
            try:
                urls[(media_id, preset_id)] = rendition_url(item, preset_id)
            except KeyError:
                continue
    return urls


# -- template helpers ---------------------------------------------------------------------


@bp.app_template_filter("platform_label")
def platform_label(platform: str | None) -> str:
    """Return a platform's name as people write it."""
    if not platform:
        return ""
    if platform in POST_PLATFORMS:
        return POST_PLATFORMS[platform].name
    return LABELS.get(platform, platform.capitalize())


@bp.app_template_global("images_need_public_address")
def images_need_public_address(platform: str | None) -> bool:
    """Say whether a channel on ``platform`` gets no images until PUBLIC_BASE_URL is set."""
    return ops.images_need_public_address(platform)


@bp.app_template_filter("brandtime")
def brandtime(instant: Any, tz: str | None, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """Format a UTC instant as wall-clock time in the zone ``tz``."""
    if instant is None:
        return ""
    try:
        zone = ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return instant.astimezone(zone).strftime(fmt)
