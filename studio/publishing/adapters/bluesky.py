"""Bluesky (atproto): createSession, uploadBlob per image, createRecord with our own rkey.

Lexicons: ``com.atproto.server.createSession``, ``com.atproto.repo.uploadBlob``,
``com.atproto.repo.createRecord``/``getRecord``, ``com.atproto.identity.resolveHandle``,
``app.bsky.feed.post``, ``app.bsky.embed.images``, ``app.bsky.richtext.facet``.

Idempotency: the record key (rkey) is a TID derived from the idempotency key, so every
attempt of one publish writes to the same record. A PDS answers a second write to an existing
key with an error (the reference PDS: a 500 from its tree; others: 400/409 "already
exists"), so after any refused createRecord the adapter reads that key back and, if the
record is there, reports the post as published.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from studio.platforms.counting import bluesky_facets, with_dids
from studio.publishing.adapters.base import (
    AccountInfo,
    CredentialField,
    HttpAdapter,
    OutgoingMedia,
    OutgoingPost,
    Published,
    compose_text,
    normalise_base_url,
)
from studio.publishing.errors import (
    AUTH,
    MEDIA,
    RECONNECT,
    REJECTED,
    PermanentError,
    PublishError,
    TransientError,
)

__all__ = ["DEFAULT_PDS", "BlueskyAdapter", "SessionCache", "post_url", "tid_from_key"]

DEFAULT_PDS = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
MAX_IMAGES = 4
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
# Derived TIDs carry a timestamp in a fixed past window (2023-01-01 + ~407 days) so they
# look like ordinary record keys and never sort ahead of real posts' future keys.
_TID_EPOCH_US = 1_672_531_200_000_000
_TID_SPAN_BITS = 45
_SESSION_TTL = 15 * 60.0  # access JWTs live about two hours; renew well before
_TOKEN_ERRORS = ("ExpiredToken", "InvalidToken")


def tid_from_key(idempotency_key: str) -> str:
    """Return a valid atproto TID determined only by ``idempotency_key``."""
    digest = hashlib.sha256(b"plume/bluesky-rkey\0" + idempotency_key.encode()).digest()
    bits = int.from_bytes(digest[:8], "big")
    micros = _TID_EPOCH_US + (bits >> 10) % (1 << _TID_SPAN_BITS)
    value = (micros << 10) | (bits & 0x3FF)  # 53-bit timestamp, 10-bit clock id, top bit 0
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def post_url(handle: str, rkey: str) -> str:
    """Return the bsky.app address of a post."""
    return f"https://bsky.app/profile/{handle}/post/{rkey}"


@dataclass(frozen=True, slots=True)
class _Session:
    did: str
    handle: str
    access_jwt: str
    expires: float


class SessionCache:
    """Reuse Bluesky sessions across publishes: createSession is rate limited hard
    (30 per 5 minutes, 300 a day per account). Keys hash the app password, never hold it."""

    def __init__(self, ttl: float = _SESSION_TTL) -> None:
        self.ttl = ttl
        self._sessions: dict[tuple[str, str, str], _Session] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(pds: str, identifier: str, password: str) -> tuple[str, str, str]:
        """Return the cache key for one account's credentials."""
        return pds, identifier.lower(), hashlib.sha256(password.encode()).hexdigest()

    def get(self, key: tuple[str, str, str]) -> _Session | None:
        """Return a live session for ``key``, if any."""
        with self._lock:
            session = self._sessions.get(key)
            if session and session.expires > time.monotonic():
                return session
            self._sessions.pop(key, None)
            return None

    def put(self, key: tuple[str, str, str], session: _Session) -> None:
        """Remember ``session``."""
        with self._lock:
            self._sessions[key] = session

    def drop(self, key: tuple[str, str, str]) -> None:
        """Forget the session for ``key`` (the PDS said it expired)."""
        with self._lock:
            self._sessions.pop(key, None)

    def __repr__(self) -> str:
        return f"<SessionCache {len(self._sessions)} sessions>"


SESSIONS = SessionCache()


class _ExpiredSession(Exception):
    """The cached access token was refused; make a new session and try once more."""


class _SessionRefused(PermanentError):
    """The PDS refused the access token (expired or revoked)."""


class _NoRecord(PermanentError):
    """getRecord found no record at that key."""


class BlueskyAdapter(HttpAdapter):
    """Publish posts with images, links, mentions and tags to a Bluesky PDS."""

    platform: ClassVar[str] = "bluesky"
    label: ClassVar[str] = "Bluesky"
    supports_idempotency: ClassVar[bool] = True
    default_base_url: ClassVar[str] = DEFAULT_PDS
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField(
            "pds_url",
            "PDS address",
            secret=False,
            default=DEFAULT_PDS,
            help="Leave as https://bsky.social unless your account lives on another PDS.",
            address=True,
        ),
        CredentialField(
            "handle", "Handle", secret=False, help="Your handle, e.g. ember.bsky.social"
        ),
        CredentialField(
            "app_password",
            "App password",
            secret=True,
            help="Settings → Privacy and security → App passwords → Add App Password.",
        ),
    )

    def __init__(self, *args: Any, sessions: SessionCache | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sessions = SESSIONS if sessions is None else sessions

    # -- public API ---------------------------------------------------------------------

    def verify(self, credentials: Mapping[str, Any]) -> AccountInfo:
        """Sign in with the app password and return the account's profile."""
        pds, identifier, password = self._target(credentials)
        with self._client() as client:
            # Always a fresh sign-in: "test connection" must prove the password works now.
            session = self._create_session(client, pds, identifier, password)
            response = self._request(
                client,
                "GET",
                f"{pds}/xrpc/app.bsky.actor.getProfile",
                params={"actor": session.did},
                headers=_auth(session),
            )
        profile = self._json(response)
        handle = profile.get("handle") or session.handle
        return AccountInfo(
            display_name=profile.get("displayName") or handle,
            handle=f"@{handle}",
            avatar_url=profile.get("avatar"),
            profile_url=f"https://bsky.app/profile/{handle}",
            account_id=session.did,
        )

    def publish(
        self, post: OutgoingPost, credentials: Mapping[str, Any], idempotency_key: str
    ) -> Published:
        """Write the post record under the rkey derived from ``idempotency_key``."""
        if len(post.media) > MAX_IMAGES:
            raise PermanentError(
                f"Bluesky takes at most {MAX_IMAGES} images; this post has {len(post.media)}.",
                f"Remove images until there are {MAX_IMAGES} or fewer, then retry.",
                kind=MEDIA,
            )
        rkey = tid_from_key(idempotency_key)
        return self._with_session(
            credentials,
            lambda client, pds, session: self._publish(client, pds, session, post, rkey),
        )

    def find_existing(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, Any],
        idempotency_key: str,
        since: datetime,
    ) -> Published | None:
        """Read back the record at this key's rkey (exact: no text matching needed)."""
        rkey = tid_from_key(idempotency_key)
        return self._with_session(
            credentials, lambda client, pds, session: self._existing(client, pds, session, rkey)
        )

    # -- sessions -----------------------------------------------------------------------

    def _target(self, credentials: Mapping[str, Any]) -> tuple[str, str, str]:
        values = self._credentials(credentials)
        pds = normalise_base_url(
            values["pds_url"],
            what="PDS address",
            allow_http=self.allow_http,
            allow_private_hosts=self.allow_private_hosts,
        )
        identifier = values["handle"].strip().removeprefix("@")
        return pds, identifier, values["app_password"].strip()

    def _create_session(
        self, client: httpx.Client, pds: str, identifier: str, password: str
    ) -> _Session:
        response = self._request(
            client,
            "POST",
            f"{pds}/xrpc/com.atproto.server.createSession",
            json={"identifier": identifier, "password": password},
        )
        body = self._json(response)
        session = _Session(
            did=body["did"],
            handle=body.get("handle") or identifier,
            access_jwt=body["accessJwt"],
            expires=time.monotonic() + self.sessions.ttl,
        )
        self.sessions.put(SessionCache.key(pds, identifier, password), session)
        return session

    def _with_session(self, credentials: Mapping[str, Any], work: Any) -> Any:
        """Run ``work(client, pds, session)``, renewing a cached session once if it expired."""
        pds, identifier, password = self._target(credentials)
        key = SessionCache.key(pds, identifier, password)
        with self._client() as client:
            session = self.sessions.get(key)
            if session is not None:
                try:
                    return work(client, pds, session)
                except _ExpiredSession:
                    self.sessions.drop(key)
            session = self._create_session(client, pds, identifier, password)
            try:
                return work(client, pds, session)
            except _ExpiredSession:
                raise PermanentError(
                    "Bluesky refused a session it had just issued.", RECONNECT, kind=AUTH
                ) from None

    def _call(self, client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Like ``_request``, but report an expired access token as _ExpiredSession."""
        try:
            return self._request(client, method, url, **kwargs)
        except _SessionRefused as exc:
            raise _ExpiredSession from exc

    # -- steps --------------------------------------------------------------------------

    def _publish(
        self, client: httpx.Client, pds: str, session: _Session, post: OutgoingPost, rkey: str
    ) -> Published:
        text = compose_text(post)
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": text,
            "createdAt": _now_iso(),
        }
        langs = post.options.get("langs") or (
            [post.options["language"]] if post.options.get("language") else None
        )
        if langs:
            record["langs"] = list(langs)
        facets = self._facets(client, pds, session, text)
        if facets:
            record["facets"] = facets
        embed = self._embed(client, pds, session, post)
        if embed:
            record["embed"] = embed
        try:
            response = self._call(
                client,
                "POST",
                f"{pds}/xrpc/com.atproto.repo.createRecord",
                json={
                    "repo": session.did,
                    "collection": POST_COLLECTION,
                    "rkey": rkey,
                    "record": record,
                },
                headers=_auth(session),
                commits=True,
            )
        except (PermanentError, TransientError) as exc:
            if exc.status is None or exc.status in (401, 429) or getattr(exc, "kind", "") == AUTH:
                raise
            # A refusal may mean "this rkey is taken", i.e. an earlier attempt landed.
            try:
                existing = self._existing(client, pds, session, rkey)
            except PublishError as lookup:
                raise TransientError(
                    f"{exc.message} Plume could not check whether an earlier attempt already "
                    f"published it ({lookup.message}), so it will check again before retrying.",
                    status=exc.status,
                ) from exc
            if existing is not None:
                return existing
            raise
        body = self._json(response)
        return Published(body["uri"], post_url(session.handle, rkey), body)

    def _existing(
        self, client: httpx.Client, pds: str, session: _Session, rkey: str
    ) -> Published | None:
        try:
            response = self._call(
                client,
                "GET",
                f"{pds}/xrpc/com.atproto.repo.getRecord",
                params={"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey},
                headers=_auth(session),
            )
        except _NoRecord:
            return None
        body = self._json(response)
        return Published(body["uri"], post_url(session.handle, rkey), body, found_existing=True)

    def _facets(
        self, client: httpx.Client, pds: str, session: _Session, text: str
    ) -> list[dict[str, Any]]:
        """Return link, tag and mention facets; mentions that do not resolve are dropped."""
        facets = bluesky_facets(text)
        handles = {
            feature["handle"]
            for facet in facets
            for feature in facet["features"]
            if "handle" in feature
        }
        dids: dict[str, str] = {}
        for handle in sorted(handles):
            did = self._resolve(client, pds, session, handle)
            if did:
                dids[handle] = did
        return with_dids(facets, dids)

    def _resolve(
        self, client: httpx.Client, pds: str, session: _Session, handle: str
    ) -> str | None:
        try:
            response = self._call(
                client,
                "GET",
                f"{pds}/xrpc/com.atproto.identity.resolveHandle",
                params={"handle": handle},
                headers=_auth(session),
            )
        except PermanentError as exc:
            if exc.kind == AUTH:
                raise
            return None  # an unknown handle stays plain text, as in Bluesky's own app
        did = self._json(response).get("did")
        return did if isinstance(did, str) and did.startswith("did:") else None

    def _embed(
        self, client: httpx.Client, pds: str, session: _Session, post: OutgoingPost
    ) -> dict[str, Any] | None:
        if post.media:
            images = [self._image(client, pds, session, m) for m in post.media]
            return {"$type": "app.bsky.embed.images", "images": images}
        title = post.options.get("link_title")
        if post.link and title:
            return {
                "$type": "app.bsky.embed.external",
                "external": {
                    "uri": post.link,
                    "title": str(title),
                    "description": str(post.options.get("link_description") or ""),
                },
            }
        return None

    def _image(
        self, client: httpx.Client, pds: str, session: _Session, media: OutgoingMedia
    ) -> dict[str, Any]:
        response = self._call(
            client,
            "POST",
            f"{pds}/xrpc/com.atproto.repo.uploadBlob",
            content=media.data,
            headers={**_auth(session), "Content-Type": media.mime},
        )
        image: dict[str, Any] = {"alt": media.alt_text or "", "image": self._json(response)["blob"]}
        if media.width and media.height:
            image["aspectRatio"] = {"width": media.width, "height": media.height}
        return image

    # -- errors -------------------------------------------------------------------------

    def _reason(self, response: httpx.Response, body: Any) -> str | None:
        if isinstance(body, dict):
            message, code = body.get("message"), body.get("error")
            if isinstance(message, str) and message.strip():
                return message
            if isinstance(code, str) and code.strip():
                return code
        return super()._reason(response, body)

    def _classify(
        self, response: httpx.Response, body: Any, reason: str | None
    ) -> PublishError | None:
        code = body.get("error") if isinstance(body, dict) else None
        status = response.status_code
        said = f": {reason}" if reason else ""
        path = response.request.url.path
        if code in _TOKEN_ERRORS:
            return _SessionRefused(
                f"Bluesky refused the session{said}.", RECONNECT, kind=AUTH, status=status
            )
        if path.endswith("createSession") and status in (400, 401):
            if code == "AuthFactorTokenRequired":
                action = "Use an app password (not your account password), then reconnect."
            else:
                action = "Check the handle and app password (or make a new one), then reconnect."
            return PermanentError(
                f"Bluesky did not accept the sign-in{said}.", action, kind=AUTH, status=status
            )
        if code == "RecordNotFound" or (path.endswith("getRecord") and status in (400, 404)):
            return _NoRecord(f"Bluesky has no such post{said}.", "Nothing to do.", status=status)
        if code in ("BlobTooLarge", "PayloadTooLarge") or (
            path.endswith("uploadBlob") and status in (400, 413)
        ):
            return PermanentError(
                f"Bluesky refused an image{said}.",
                "Use JPEG or PNG images under 2 MB (1 MB is safest), then retry.",
                kind=MEDIA,
                status=status,
            )
        if status == 400 and code == "InvalidRequest" and path.endswith("createRecord"):
            return PermanentError(
                f"Bluesky refused the post{said}.",
                "Edit the post to fix this, then retry.",
                kind=REJECTED,
                status=status,
            )
        return None


def _auth(session: _Session) -> dict[str, str]:
    return {"Authorization": f"Bearer {session.access_jwt}"}


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
