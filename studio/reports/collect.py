"""Collecting metrics from the platforms' APIs for one channel, as far as each API allows.

- Mastodon: ``GET /api/v1/statuses/:id`` gives ``favourites_count``, ``reblogs_count`` and
  ``replies_count`` of each status; ``verify_credentials`` gives ``followers_count``.
  Mastodon reports no impressions or reach.
- Bluesky: ``app.bsky.feed.getPosts`` (up to 25 URIs a call) gives ``likeCount``,
  ``repostCount``, ``replyCount`` and ``quoteCount``; ``app.bsky.actor.getProfile`` gives
  ``followersCount``. Bluesky reports no impressions or reach either.

Other platforms' analytics need app review or paid API tiers: their numbers come in
through CSV imports. The readers reuse the publishing adapters' HTTP plumbing (timeouts, no
redirects, error classification, Bluesky's cached sessions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from studio.analytics.metrics import from_api
from studio.analytics.summary import zone
from studio.extensions import db
from studio.models import Brand, Post
from studio.models.publishing import AttemptState, Channel, PublishAttempt
from studio.publishing.adapters.bluesky import BlueskyAdapter
from studio.publishing.adapters.bluesky import _auth as bluesky_auth
from studio.publishing.adapters.mastodon import MastodonAdapter
from studio.publishing.adapters.mastodon import _auth as mastodon_auth
from studio.publishing.errors import PublishError
from studio.reports import store

COLLECTED_PLATFORMS = ("mastodon", "bluesky")
# Posts older than this stop being collected: their numbers have settled.
COLLECT_DAYS = 90
MAX_POSTS = 500
BLUESKY_BATCH = 25  # getPosts takes at most 25 URIs


@dataclass
class Counts:
    """What one collection read: counts per platform post id, and the followers."""

    posts: dict[str, dict[str, int]] = field(default_factory=dict)
    followers: int | None = None
    missing: list[str] = field(default_factory=list)  # deleted or not found


class MastodonMetrics(MastodonAdapter):
    """Read statuses' counts and the account's followers from a Mastodon server."""

    def read(self, credentials: Mapping[str, Any], status_ids: Sequence[str]) -> Counts:
        base, token = self._target(credentials)
        counts = Counts()
        with self._client(mastodon_auth(token)) as client:
            account = self._account(client, base)
            followers = account.get("followers_count")
            counts.followers = int(followers) if isinstance(followers, int) else None
            for status_id in status_ids:
                try:
                    response = self._request(client, "GET", f"{base}/api/v1/statuses/{status_id}")
                except PublishError as exc:
                    if exc.status == 404:  # deleted since: nothing more to count
                        counts.missing.append(status_id)
                        continue
                    raise
                status = self._json(response)
                counts.posts[status_id] = from_api("mastodon", status)
        return counts


class BlueskyMetrics(BlueskyAdapter):
    """Read posts' counts and the profile's followers through a Bluesky PDS."""

    def read(self, credentials: Mapping[str, Any], uris: Sequence[str]) -> Counts:
        return self._with_session(
            credentials, lambda client, pds, session: self._read(client, pds, session, uris)
        )

    def _read(self, client: httpx.Client, pds: str, session: Any, uris: Sequence[str]) -> Counts:
        counts = Counts()
        profile = self._json(
            self._call(
                client,
                "GET",
                f"{pds}/xrpc/app.bsky.actor.getProfile",
                params={"actor": session.did},
                headers=bluesky_auth(session),
            )
        )
        followers = profile.get("followersCount")
        counts.followers = int(followers) if isinstance(followers, int) else None
        for start in range(0, len(uris), BLUESKY_BATCH):
            chunk = list(uris[start : start + BLUESKY_BATCH])
            body = self._json(
                self._call(
                    client,
                    "GET",
                    f"{pds}/xrpc/app.bsky.feed.getPosts",
                    params=[("uris", uri) for uri in chunk],
                    headers=bluesky_auth(session),
                )
            )
            found = {post.get("uri"): post for post in body.get("posts") or []}
            for uri in chunk:
                post = found.get(uri)
                if post is None:
                    counts.missing.append(uri)
                    continue
                counts.posts[uri] = from_api("bluesky", post)
        return counts


def reader_for(channel: Channel) -> MastodonMetrics | BlueskyMetrics | None:
    """Return the metrics reader for the channel's platform, or None if its API has none."""
    from studio.publishing.operations import http_options

    # The same timeout and private-host guard as publishing: the server address was typed.
    options = http_options()
    if channel.platform == "mastodon":
        return MastodonMetrics(**options)
    if channel.platform == "bluesky":
        return BlueskyMetrics(**options)
    return None


@dataclass
class Collected:
    """What a collection stored."""

    channel_id: int
    posts: int = 0
    changed: int = 0
    followers: int | None = None
    missing: int = 0
    skipped: str = ""

    def describe(self) -> str:
        if self.skipped:
            return self.skipped
        text = f"{self.posts} posts read, {self.changed} snapshots added or changed"
        if self.followers is not None:
            text += f", {self.followers:,} followers"
        if self.missing:
            text += f", {self.missing} no longer on the platform"
        return text + "."


def published_attempts(channel: Channel, now: datetime) -> list[PublishAttempt]:
    """Return the channel's published posts recent enough to collect, newest first."""
    return list(
        db.session.scalars(
            select(PublishAttempt)
            .where(
                PublishAttempt.channel_id == channel.id,
                PublishAttempt.state == AttemptState.PUBLISHED.value,
                PublishAttempt.platform_post_id.is_not(None),
                PublishAttempt.published_at >= now - timedelta(days=COLLECT_DAYS),
            )
            .order_by(PublishAttempt.published_at.desc())
            .limit(MAX_POSTS)
        )
    )


def collect_channel(
    channel: Channel, credentials: Mapping[str, Any], now: datetime | None = None
) -> Collected:
    """Read the channel's posts' counts and followers and store today's snapshot."""
    now = now or datetime.now(UTC)
    result = Collected(channel.id)
    reader = reader_for(channel)
    if reader is None:
        result.skipped = f"{channel.platform} metrics come in through CSV imports."
        return result
    brand = db.session.get(Brand, channel.brand_id)
    assert brand is not None
    attempts = published_attempts(channel, now)
    ids = [a.platform_post_id for a in attempts if a.platform_post_id]
    counts = reader.read(credentials, ids)
    today: date = now.astimezone(zone(brand.timezone)).date()
    posts = {
        p.id: p
        for p in db.session.scalars(
            select(Post).where(Post.id.in_(sorted({a.post_id for a in attempts})))
        )
    }
    observations = []
    for attempt in attempts:
        values = counts.posts.get(attempt.platform_post_id or "")
        if values is None:
            continue
        post = posts.get(attempt.post_id)
        variant = post.variant(attempt.variant_platform or channel.platform) if post else None
        caption = (
            variant.effective_text() if variant is not None else (post.master_text if post else "")
        )
        observations.append(
            store.Observation(
                platform=channel.platform,
                external_key=store.external_key(attempt.platform_post_id, None),
                published_at=attempt.published_at or now,
                snapshot_date=today,
                metrics=values,
                external_id=attempt.platform_post_id,
                url=attempt.url,
                caption=caption,
                campaign=post.campaign if post else None,
                labels=tuple(post.labels) if post else (),
                post_id=attempt.post_id,
                channel_id=channel.id,
            )
        )
    upserted = store.upsert(brand, observations, "api")
    result.posts = len(observations)
    result.changed = upserted.changed
    result.missing = len(counts.missing)
    if counts.followers is not None:
        store.record_followers(
            brand, channel.platform, today, counts.followers, channel_id=channel.id
        )
        result.followers = counts.followers
    return result
