"""Channels, the database side: connect, verify, disconnect, seal credentials, build posts.

A channel is one account on one platform for one brand. Its credentials are sealed with
:class:`SecretBox` as soon as they arrive and opened only to call an adapter; they are never
rendered again, logged, or put in an error message. The sealing key comes from the
``CHANNEL_SECRET_KEY`` setting (environment); a local install without one gets a random key
written once into the instance folder, as the app's own secret key is.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound

from studio import netguard
from studio.extensions import db
from studio.models import Brand, Membership, Post, Workspace
from studio.models.base import utcnow
from studio.models.publishing import MIRROR_CHANNELS, Channel, PublishAttempt, SandboxFeedItem
from studio.platforms.limits import PLATFORMS as POST_PLATFORMS
from studio.policy import visible_brands
from studio.publishing import (
    LABELS,
    OAUTH,
    PLATFORM_FIELDS,
    PLATFORMS,
    AccountInfo,
    Adapter,
    CredentialField,
    OutgoingMedia,
    OutgoingPost,
    PermanentError,
    PublishError,
    adapter_for,
)
from studio.publishing.adapters import oauth as oauth_flow
from studio.publishing.adapters.base import Adapter as BaseAdapter
from studio.publishing.adapters.oauth import OAuthSpec
from studio.publishing.errors import AUTH, CONFIG, REJECTED
from studio.publishing.secretbox import SecretBox, SecretBoxError, generate_key

log = logging.getLogger(__name__)

__all__ = [
    "ChannelError",
    "adapter_for_channel",
    "brand_channels",
    "build_outgoing",
    "can_look_up",
    "connect_channel",
    "disconnect_channel",
    "get_channel",
    "open_credentials",
    "secret_box",
    "verify_channel",
]

# Platforms a channel can be connected to, in the order the page offers them.
CONNECTABLE = (
    "mastodon",
    "bluesky",
    "sandbox",
    "webhook",
    *[p for p in PLATFORMS if p not in ("mastodon", "bluesky", "sandbox", "webhook")],
)
# Platforms whose servers fetch a post's images from public addresses (see graph.py).
FETCH_IMAGES_BY_URL = frozenset({"instagram", "threads"})
HELP = {
    "mastodon": "Your server's address and an access token from Preferences → Development.",
    "bluesky": "Your handle and an app password (Settings → Privacy and security → App passwords).",
    "sandbox": "Publishes to a feed page inside Plume: try the whole flow without a real account.",
    "webhook": "POSTs each post as signed JSON to any URL: Slack, Zapier, n8n or your own CMS.",
}


class ChannelError(ValueError):
    """A connect form that cannot be saved; ``field`` names the input to mark."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status


# -- the sealing key ------------------------------------------------------------------------


def _instance_key(instance: Path) -> str:
    """Return the instance's own channel key, creating it once (safe if two processes race)."""
    path = instance / "channel_secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(generate_key())
    return path.read_text().strip()


def secret_box() -> SecretBox:
    """Return the app's SecretBox (key from CHANNEL_SECRET_KEY, else the instance file)."""
    box = current_app.extensions.get("plume_secretbox")
    if box is None:
        key = current_app.config.get("CHANNEL_SECRET_KEY") or os.environ.get(
            "CHANNEL_SECRET_KEY", ""
        )
        if not key:
            key = _instance_key(Path(current_app.instance_path))
        box = SecretBox(key)
        current_app.extensions["plume_secretbox"] = box
    return box


def open_credentials(channel: Channel) -> dict[str, Any]:
    """Return the channel's credentials (for an adapter call only: never render or log them)."""
    if not channel.sealed_credentials:
        return {}
    try:
        return secret_box().open(channel.sealed_credentials)
    except SecretBoxError as exc:
        raise PermanentError(str(exc), "Reconnect the channel", kind=AUTH) from exc


def seal_credentials(channel: Channel, values: Mapping[str, Any]) -> None:
    """Seal ``values`` as the channel's credentials, keeping the non-secret ones readable."""
    fields = {f.name: f for f in PLATFORM_FIELDS.get(channel.platform, [])}
    channel.sealed_credentials = secret_box().seal(dict(values)) if values else ""
    channel.settings = {
        name: value
        for name, value in values.items()
        if name in fields and not fields[name].secret and value not in (None, "")
    }


def update_credentials(channel: Channel, new: Mapping[str, Any]) -> None:
    """Merge ``new`` (e.g. refreshed OAuth tokens) into the channel's sealed credentials."""
    seal_credentials(channel, {**open_credentials(channel), **new})


# -- finding channels -----------------------------------------------------------------------


def get_channel(membership: Membership, channel_id: int) -> Channel:
    """Return a channel of a brand the member may see, or 404."""
    channel = db.session.scalar(
        select(Channel).where(
            Channel.id == channel_id, Channel.workspace_id == membership.workspace_id
        )
    )
    if (
        channel is None
        or db.session.scalar(visible_brands(membership).where(Brand.id == channel.brand_id)) is None
    ):
        raise NotFound("No such channel in this workspace.")
    return channel


def brand_channels(brand: Brand, *, include_disconnected: bool = False) -> list[Channel]:
    """Return the brand's channels, connected ones first."""
    query = select(Channel).where(Channel.brand_id == brand.id)
    if not include_disconnected:
        query = query.where(Channel.disconnected_at.is_(None))
    channels = list(db.session.scalars(query.order_by(Channel.platform, Channel.id)))
    return sorted(channels, key=lambda c: (not c.active, CONNECTABLE.index(c.platform)))


def channels_for_post(post: Post, channels: list[Channel]) -> list[Channel]:
    """Return the channels a post goes to: its platforms' channels, plus mirrors."""
    return [
        c
        for c in channels
        if c.active and (c.platform in post.platforms or c.platform in MIRROR_CHANNELS)
    ]


# -- the connect form -----------------------------------------------------------------------


def oauth_client(platform: str) -> tuple[str, str] | None:
    """Return the (client id, secret) configured for a platform's OAuth app, if any.

    Settings: ``<PLATFORM>_CLIENT_ID`` and ``<PLATFORM>_CLIENT_SECRET``, e.g. X_CLIENT_ID.
    """
    prefix = platform.upper()
    client_id = current_app.config.get(f"{prefix}_CLIENT_ID") or os.environ.get(
        f"{prefix}_CLIENT_ID", ""
    )
    secret = current_app.config.get(f"{prefix}_CLIENT_SECRET") or os.environ.get(
        f"{prefix}_CLIENT_SECRET", ""
    )
    return (client_id, secret) if client_id and secret else None


@dataclass(frozen=True)
class ConnectForm:
    """What the connect form for one platform shows."""

    platform: str
    label: str
    fields: list[CredentialField]  # typed by a person
    oauth: bool  # a "Connect with …" button does the rest
    oauth_configured: bool
    help: str
    mirrors: bool  # the channel sends one chosen variant (webhook, sandbox)


def connect_form(platform: str) -> ConnectForm:
    """Describe the connect form for ``platform``."""
    if platform not in PLATFORMS:
        raise NotFound("Plume cannot connect to that platform.")
    fields = PLATFORM_FIELDS[platform]
    oauth = platform in OAUTH
    configured = oauth and oauth_client(platform) is not None
    # Without an OAuth app, a person may paste tokens they made elsewhere.
    typed = [f for f in fields if not (f.oauth and configured)]
    return ConnectForm(
        platform=platform,
        label=LABELS[platform],
        fields=typed,
        oauth=oauth,
        oauth_configured=configured,
        help=HELP.get(platform, ""),
        mirrors=platform in MIRROR_CHANNELS,
    )


def clean_values(platform: str, form: Mapping[str, str], *, oauth: bool = False) -> dict[str, str]:
    """Return the typed credential fields, refusing missing required ones."""
    values: dict[str, str] = {}
    for f in connect_form(platform).fields:
        if oauth and f.oauth:
            continue
        raw = str(form.get(f.name, "") or "").strip()
        if not raw and f.default is not None:
            raw = f.default
        if not raw and f.required:
            raise ChannelError(f"Enter the {f.label.lower()}.", field=f.name)
        if len(raw) > 4000:
            raise ChannelError(f"The {f.label.lower()} is too long.", field=f.name)
        if raw:
            values[f.name] = raw
    return values


# -- adapters -------------------------------------------------------------------------------


def allow_private_hosts() -> bool:
    """Say whether channels may point at private hosts (PUBLISH_ALLOW_PRIVATE_HOSTS).

    Only for local development and tests, where the "platforms" are fakes on this machine.
    """
    value = current_app.config.get("PUBLISH_ALLOW_PRIVATE_HOSTS", False)
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def http_options() -> dict[str, Any]:
    """Return the options every HTTP adapter of this studio is built with."""
    raw = current_app.config.get("PUBLISH_HTTP_TIMEOUT") or os.environ.get("PUBLISH_HTTP_TIMEOUT")
    return {"timeout": float(raw or 20.0), "allow_private_hosts": allow_private_hosts()}


def feed_url(channel: Channel) -> str:
    """Return the address of the brand's sandbox feed page."""
    slug = db.session.scalar(select(Workspace.slug).where(Workspace.id == channel.workspace_id))
    return f"/w/{slug}/brands/{channel.brand_id}/feed"


def adapter_for_channel(channel: Channel, post_id: int | None = None) -> Adapter:
    """Return an adapter for the channel (the sandbox writes to this database's feed)."""
    if channel.platform == "sandbox":
        base = feed_url(channel)
        ids = {
            "workspace_id": channel.workspace_id,
            "brand_id": channel.brand_id,
            "channel_id": channel.id,
            "post_id": post_id,
        }

        def lookup(key: str) -> tuple[str, str | None] | None:
            row_id = db.session.scalar(
                select(SandboxFeedItem.id).where(SandboxFeedItem.idempotency_key == key)
            )
            db.session.commit()  # end the read: the caller may be between two platform calls
            return (str(row_id), f"{base}#feed-{row_id}") if row_id else None

        def store(post: OutgoingPost, key: str) -> tuple[str, str | None]:
            row = SandboxFeedItem(
                **ids,
                idempotency_key=key,
                text=post.text,
                link=post.link,
                media=list(post.options.get("sandbox_media") or []),
            )
            db.session.add(row)
            try:
                # Committed at once, like a remote platform: it exists whatever happens next.
                db.session.commit()
            except IntegrityError:  # this key was stored before: the feed keeps the first
                db.session.rollback()
                again = lookup(key)
                if again is None:
                    raise
                return again
            return str(row.id), f"{base}#feed-{row.id}"

        return adapter_for("sandbox", store=store, lookup=lookup, feed_url=base)
    return adapter_for(channel.platform, **http_options())


def refresh_token_if_due(channel: Channel, within: timedelta = timedelta(minutes=5)) -> bool:
    """Refresh the channel's OAuth access token when it expires soon (X's last two hours).

    Reads, then ends the transaction before calling the platform; returns whether it did.
    """
    plan = _refresh_plan(channel)
    expires = plan[2].get("expires_at") if plan is not None else None
    if plan is None or not expires:
        return False
    try:
        expires_at = datetime.fromisoformat(str(expires))
    except ValueError:
        return False
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    if expires_at - utcnow() > within:
        return False
    return _renew(channel, *plan)


def refresh_token(channel: Channel, *, rejected: str | None = None) -> bool:
    """Renew the channel's OAuth access token now, whatever its expiry.

    For a platform that refused the access token (HTTP 401) before it expired: revoked early,
    or cut short by the platform. Returns False, calling nothing, when the channel cannot be
    renewed (its platform has no refreshable OAuth flow, no OAuth app is configured, or no
    refresh token is stored): the caller keeps its own error. ``rejected`` is the access
    token the platform refused; when the stored one differs, another worker renewed it since,
    and that one is used as it is. Raises :class:`PermanentError` (kind auth, "reconnect")
    when the platform refuses the refresh token. Ends the transaction before the call.
    """
    plan = _refresh_plan(channel)
    if plan is None:
        return False
    stored = plan[2].get("access_token")
    if rejected is not None and stored and stored != rejected:
        return True
    return _renew(channel, *plan)


def _refresh_plan(channel: Channel) -> tuple[OAuthSpec, tuple[str, str], dict[str, Any]] | None:
    """Return (OAuth spec, client, credentials) if the channel's token can be renewed."""
    spec = OAUTH.get(channel.platform)
    if spec is None or not spec.refreshable:
        return None
    client = oauth_client(channel.platform)
    if client is None:
        return None
    credentials = open_credentials(channel)
    if not credentials.get("refresh_token"):
        return None
    return spec, client, credentials


def _renew(
    channel: Channel, spec: OAuthSpec, client: tuple[str, str], credentials: Mapping[str, Any]
) -> bool:
    """Trade the stored refresh token for new tokens and seal them into the channel."""
    used = str(credentials["refresh_token"])
    db.session.commit()  # no transaction stays open while the platform answers
    try:
        tokens = oauth_flow.refresh(
            spec, client_id=client[0], client_secret=client[1], refresh_token=used
        )
    except PermanentError as exc:
        # X hands out a new refresh token with each refresh and voids the old one, so two
        # workers renewing at once see the second refused: the first one's tokens are good.
        if open_credentials(channel).get("refresh_token") != used:
            return True
        raise PermanentError(
            f"{spec.label} would not renew the channel's access token, so its sign-in has "
            f"expired or was revoked ({exc.message.rstrip('.')}). Plume cannot publish to "
            f"this channel until someone connects it to {spec.label} again.",
            "Reconnect the channel, then retry.",
            kind=AUTH,
            status=exc.status,
        ) from exc
    update_credentials(channel, tokens.credentials())
    db.session.commit()
    log.info("channel %s: refreshed its %s access token", channel.id, channel.platform)
    return True


def refused_after_refresh(exc: PermanentError, label: str) -> PermanentError:
    """Return the error for a platform that refused a just-renewed access token too."""
    return PermanentError(
        f"{exc.message} Plume had just renewed the channel's access token, and {label} "
        "refused the new one too.",
        "Reconnect the channel, then retry.",
        kind=AUTH,
        status=exc.status,
    )


def token_refused(exc: PublishError) -> bool:
    """Say whether the platform refused the access token itself (HTTP 401), acting on nothing.

    Only a 401: a 403 means the token is good but may not do this, which a new one won't fix.
    """
    return isinstance(exc, PermanentError) and exc.kind == AUTH and exc.status == 401


def can_look_up(adapter: Adapter) -> bool:
    """Say whether the adapter can find a post an earlier attempt may have made."""
    return type(adapter).find_existing is not BaseAdapter.find_existing


# -- connecting, testing, disconnecting ------------------------------------------------------


def _apply_account(channel: Channel, info: AccountInfo) -> None:
    channel.display_name = (info.display_name or "")[:200]
    channel.handle = (info.handle or "")[:300]
    channel.avatar_url = (info.avatar_url or None) and info.avatar_url[:1000]
    channel.profile_url = (info.profile_url or None) and info.profile_url[:1000]
    channel.account_id = (info.account_id or None) and info.account_id[:300]
    channel.status = "connected"
    channel.last_error = None
    channel.verified_at = utcnow()


def check_addresses(platform: str, values: Mapping[str, Any]) -> None:
    """Refuse a typed server address that is not a public https:// server, naming the field.

    The adapters check every connection again, so a name re-pointed later is caught too.
    """
    allow = allow_private_hosts()
    for f in PLATFORM_FIELDS.get(platform, []):
        value = values.get(f.name)
        if not f.address or not value:
            continue
        try:
            netguard.check_url(str(value), allow_private=allow)
        except netguard.AddressRefused as exc:
            raise ChannelError(exc.message, field=f.name) from None


def connect_channel(
    membership: Membership,
    brand: Brand,
    platform: str,
    values: Mapping[str, Any],
    *,
    mirror_platform: str | None = None,
) -> Channel:
    """Verify the credentials against the platform, then store the channel with them sealed."""
    if platform not in PLATFORMS:
        raise ChannelError("Plume cannot connect to that platform.", field="platform")
    if mirror_platform and mirror_platform not in POST_PLATFORMS:
        raise ChannelError("Choose one of the post's platforms to mirror.", field="mirror_platform")
    channel = Channel(
        workspace_id=brand.workspace_id,
        brand_id=brand.id,
        platform=platform,
        mirror_platform=mirror_platform if platform in MIRROR_CHANNELS else None,
        created_by_id=membership.user_id,
    )
    check_addresses(platform, values)
    try:
        info = adapter_for_channel(channel).verify(dict(values))
    except PublishError as exc:
        # The adapters' messages name the problem and never hold the credentials.
        raise ChannelError(str(exc)) from exc
    db.session.add(channel)
    seal_credentials(channel, values)
    _apply_account(channel, info)
    db.session.flush()
    log.info("channel %s connected: %s %s", channel.id, platform, channel.handle)
    return channel


def verify_channel(channel: Channel) -> AccountInfo:
    """Check the stored credentials ("test connection"); record who they post as.

    An access token the platform refused is renewed once, as before a publish, and checked
    again. No transaction stays open while the platform answers.
    """
    try:
        adapter = adapter_for_channel(channel)
        credentials = open_credentials(channel)
        db.session.commit()
        try:
            info = adapter.verify(credentials)
        except PermanentError as exc:
            if not token_refused(exc):
                raise
            if not refresh_token(channel, rejected=credentials.get("access_token")):
                raise
            credentials = open_credentials(channel)
            db.session.commit()
            try:
                info = adapter.verify(credentials)
            except PermanentError as again:
                if token_refused(again):
                    raise refused_after_refresh(again, adapter.label) from again
                raise
    except PublishError as exc:
        if isinstance(exc, PermanentError):
            channel.status = "needs_attention"
        channel.last_error = str(exc)
        db.session.flush()
        raise
    _apply_account(channel, info)
    db.session.flush()
    return info


def disconnect_channel(channel: Channel) -> int:
    """Forget the credentials and stop future publishing; return how many posts it held."""
    channel.disconnected_at = utcnow()
    channel.sealed_credentials = ""
    channel.status = "disconnected"
    pending = list(
        db.session.scalars(
            select(PublishAttempt).where(
                PublishAttempt.channel_id == channel.id, PublishAttempt.state == "scheduled"
            )
        )
    )
    for attempt in pending:
        db.session.delete(attempt)
    db.session.flush()
    return len(pending)


# -- the post as a platform receives it -------------------------------------------------------


def _problems(post: Post, platform: str) -> list[str]:
    """Validate the variant again against today's platform rules and the brand kit."""
    from studio.composer import media as composer_media
    from studio.composer import operations as composer

    # With the images' facts: a platform that needs an image (Instagram) must see them.
    media = composer_media.lookup(post, with_urls=False)
    inputs = [i for i in composer.variant_inputs(post, media) if i.platform == platform]
    if not inputs:
        return []
    (view,) = composer.assess(post, inputs)
    messages = [p.message for p in view.errors]
    messages += [f.message for f in view.findings if f.severity == "block"]
    return messages


def _media_entries(post: Post, platform: str | None) -> list[dict[str, Any]]:
    variant = post.variant(platform) if platform else None
    if variant is not None and variant.media is not None:
        return list(variant.media)
    return list(post.media or [])


@dataclass
class _Rendered:
    """A post's images as one platform receives them, and the renditions they came from."""

    media: list[OutgoingMedia]
    shown: list[dict[str, Any]]  # what the sandbox feed records
    plans: list[Any]  # studio.assets.operations.RenditionPlan, one per image, in order


def _render_media(post: Post, platform: str | None) -> _Rendered:
    """Render each image for the platform (the media library's renditions)."""
    entries = _media_entries(post, platform)
    if not entries:
        return _Rendered([], [], [])
    try:
        from studio.assets import operations as assets
        from studio.composer.media import default_preset
    except ImportError:  # pragma: no cover - the media library is not installed
        return _Rendered([], [], [])
    from studio.models import MediaItem

    media: list[OutgoingMedia] = []
    shown: list[dict[str, Any]] = []
    plans: list[Any] = []
    for entry in entries:
        item = db.session.get(MediaItem, entry.get("media_id"))
        if item is None or item.brand_id != post.brand_id:
            raise PermanentError(
                "An image of this post is no longer in the media library.",
                "Remove it from the post or choose another image, then retry.",
                kind=REJECTED,
            )
        # The crop the composer previewed when none was chosen (Instagram: portrait).
        preset_id = entry.get("preset_id") or (default_preset(platform) if platform else None)
        preset_id = preset_id or "preview"
        plan = assets.plan_rendition(item, preset_id)
        if plan is None:
            raise PermanentError(
                f"Plume has no image size called {preset_id!r} any more.",
                "Choose another crop for the image, then retry.",
                kind=REJECTED,
            )
        facts = assets.ensure_renditions(item, [preset_id])[plan.preset.id]
        alt = entry.get("alt_text") or item.alt_text or ""
        media.append(
            OutgoingMedia(
                data=assets.rendition_bytes(plan),
                mime=str(facts.get("content_type") or "image/jpeg"),
                alt_text=alt,
                width=facts.get("width"),
                height=facts.get("height"),
            )
        )
        shown.append({"media_id": item.id, "preset_id": preset_id, "alt_text": alt})
        plans.append(plan)
    return _Rendered(media, shown, plans)


def images_need_public_address(platform: str | None) -> bool:
    """Say whether ``platform`` can't be sent images until PUBLIC_BASE_URL is set."""
    if platform not in FETCH_IMAGES_BY_URL:
        return False
    from studio.assets import operations as assets

    return assets.public_base_url() is None


def _public_image_urls(rendered: _Rendered) -> list[str]:
    """Return signed public addresses of the rendered images, or [] without PUBLIC_BASE_URL.

    With none, the adapter refuses the post and says to set PUBLIC_BASE_URL.
    """
    if not rendered.plans:
        return []
    from studio.assets import operations as assets

    base = assets.public_base_url()
    if base is None:
        return []
    return [assets.public_rendition_url(plan, base) for plan in rendered.plans]


def build_outgoing(attempt: PublishAttempt) -> OutgoingPost:
    """Return the post as the attempt's channel receives it, validated and rendered."""
    post = attempt.post
    platform = attempt.variant_platform
    if platform and platform not in post.platforms:
        raise PermanentError(
            f"The post no longer targets {POST_PLATFORMS[platform].name}"
            if platform in POST_PLATFORMS
            else "The post no longer targets this platform.",
            "Add the platform back to the post, or unschedule this channel.",
            kind=CONFIG,
        )
    variant = post.variant(platform) if platform else None
    text = variant.effective_text() if variant is not None else post.master_text
    if platform:
        problems = _problems(post, platform)
        if problems:
            name = POST_PLATFORMS[platform].name if platform in POST_PLATFORMS else platform
            raise PermanentError(
                f"The {name} version no longer passes its checks: " + " ".join(problems[:3]),
                "Edit the post to fix this, then retry.",
                kind=REJECTED,
            )
    rendered = _render_media(post, platform)
    media = rendered.media
    options: dict[str, Any] = dict(variant.options) if variant is not None else {}
    if attempt.platform == "sandbox":
        options["sandbox_media"] = rendered.shown
    if attempt.platform in FETCH_IMAGES_BY_URL:
        # Plume's own addresses for the same renditions, in order; never a stored value.
        options.pop("image_urls", None)
        urls = _public_image_urls(rendered)
        if urls:
            options["image_urls"] = urls
    if not text.strip() and not media:
        raise PermanentError(
            "The post has no text and no images.",
            "Write the post, then retry.",
            kind=REJECTED,
        )
    return OutgoingPost(
        text=text,
        media=media,
        link=post.link_url or None,
        options=options,
        platform=platform or attempt.platform,
    )
