"""Stateful fakes of Mastodon, Bluesky and X on a :class:`FakeServer`.

They keep what was posted, check the requests the way the real servers do, and answer with
the real servers' shapes, including their error bodies:

- Mastodon: ``{"error": "..."}``; 401 for a bad token, 422 for validation, Idempotency-Key
  replays return the first status.
- Bluesky: ``{"error": "Code", "message": "..."}``; ExpiredToken on stale sessions,
  RecordNotFound from getRecord, and a second write to an existing rkey refused (by default
  with the reference PDS's 500).
- X: API v2 problem bodies; 401 for a refused access token, and an OAuth 2.0 token endpoint
  that rotates refresh tokens (each refresh voids the one it used) and answers a refused one
  with 400 invalid_grant.

The fault test and the demo can use them too: ``python -m tests.unit.publishing.fakeplatforms``
serves both on one port until interrupted.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import regex

from tests.unit.publishing.fakeserver import FakeServer, Recorded, Reply

__all__ = ["FakeBluesky", "FakeMastodon", "FakeX"]

TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _bearer(request: Recorded) -> str | None:
    value = request.header("authorization") or ""
    return value[7:] if value.startswith("Bearer ") else None


# ---------------------------------------------------------------------------------------
# Mastodon
# ---------------------------------------------------------------------------------------


@dataclass
class FakeMastodon:
    """Mastodon's statuses, media and accounts API for one account."""

    server: FakeServer
    token: str = "good-token"
    max_chars: int = 500
    processing_polls: int = 0  # GET /api/v1/media/:id answers 206 this many times
    honour_idempotency: bool = True  # False plays a key older than Mastodon's one hour
    statuses: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = itertools.count(109_000_000_000_000_001)
        self._lock = threading.Lock()
        self.account = {
            "id": "1",
            "username": "ember",
            "acct": "ember",
            "display_name": "Ember Roasters",
            "avatar": f"{self.server.url}/avatars/ember.png",
            "url": f"{self.server.url}/@ember",
        }
        s = self.server
        s.route("GET", r"/api/v1/accounts/verify_credentials", self._verify)
        s.route("GET", r"/api/v1/accounts/(?P<id>[^/]+)/statuses", self._account_statuses)
        s.route("POST", r"/api/v2/media", self._upload)
        s.route("GET", r"/api/v1/media/(?P<id>[^/]+)", self._media)
        s.route("POST", r"/api/v1/statuses", self._post_status)

    def _auth(self, request: Recorded) -> Reply | None:
        if _bearer(request) != self.token:
            return Reply(401, {"error": "The access token is invalid"})
        return None

    def _verify(self, request: Recorded) -> Reply:
        return self._auth(request) or Reply(200, self.account)

    def _account_statuses(self, request: Recorded) -> Reply:
        if refused := self._auth(request):
            return refused
        limit = int(request.query.get("limit", ["20"])[0])
        max_id = request.query.get("max_id", [None])[0]
        with self._lock:
            newest_first = sorted(self.statuses, key=lambda s: int(s["id"]), reverse=True)
        if max_id:
            newest_first = [s for s in newest_first if int(s["id"]) < int(max_id)]
        return Reply(200, newest_first[:limit])

    def _upload(self, request: Recorded) -> Reply:
        if refused := self._auth(request):
            return refused
        fields = request.multipart()
        if "file" not in fields or not fields["file"][0].data:
            return Reply(422, {"error": "Validation failed: File can't be blank"})
        part = fields["file"][0]
        if part.content_type not in ("image/jpeg", "image/png", "image/gif", "image/webp"):
            return Reply(
                422,
                {"error": f"Validation failed: File content type is invalid ({part.content_type})"},
            )
        media_id = str(next(self._ids))
        ready = self.processing_polls == 0
        item = {
            "id": media_id,
            "type": "image",
            "url": f"{self.server.url}/media/{media_id}" if ready else None,
            "description": fields["description"][0].text if "description" in fields else None,
            "_polls_left": self.processing_polls,
            "_mime": part.content_type,
            "_size": len(part.data),
        }
        with self._lock:
            self.media[media_id] = item
        return Reply(200 if ready else 202, _public(item))

    def _media(self, request: Recorded) -> Reply:
        if refused := self._auth(request):
            return refused
        with self._lock:
            item = self.media.get(request.match["id"])
            if item is None:
                return Reply(404, {"error": "Record not found"})
            if item["_polls_left"] > 0:
                item["_polls_left"] -= 1
                return Reply(206, _public(item))
            item["url"] = f"{self.server.url}/media/{item['id']}"
            return Reply(200, _public(item))

    def _post_status(self, request: Recorded) -> Reply:
        if refused := self._auth(request):
            return refused
        form = request.form()
        text = form.get("status", [""])[0]
        media_ids = form.get("media_ids[]", [])
        key = request.header("idempotency-key")
        with self._lock:
            if key and self.honour_idempotency and key in self.idempotency:
                first = next(s for s in self.statuses if s["id"] == self.idempotency[key])
                return Reply(200, first)
            if not text.strip() and not media_ids:
                return Reply(422, {"error": "Validation failed: Text can't be blank"})
            if len(text) > self.max_chars:
                return Reply(
                    422,
                    {
                        "error": "Validation failed: Text character limit of "
                        f"{self.max_chars} exceeded"
                    },
                )
            missing = [m for m in media_ids if m not in self.media]
            if missing or len(media_ids) > 4:
                return Reply(422, {"error": "Validation failed: Media attachments are invalid"})
            status_id = str(next(self._ids))
            paragraphs = "".join(
                "<p>" + html.escape(p).replace("\n", "<br />") + "</p>"
                for p in re.split(r"\n\n+", text)
            )
            status = {
                "id": status_id,
                "created_at": _now(),
                "content": paragraphs,
                "visibility": form.get("visibility", ["public"])[0],
                "spoiler_text": form.get("spoiler_text", [""])[0],
                "language": form.get("language", [None])[0],
                "url": f"{self.server.url}/@ember/{status_id}",
                "uri": f"{self.server.url}/users/ember/statuses/{status_id}",
                "media_attachments": [_public(self.media[m]) for m in media_ids],
                "account": self.account,
            }
            self.statuses.append(status)
            if key:
                self.idempotency[key] = status_id
        return Reply(200, status)


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


# ---------------------------------------------------------------------------------------
# Bluesky
# ---------------------------------------------------------------------------------------


@dataclass
class FakeBluesky:
    """An atproto PDS holding one account, plus handle resolution and profiles."""

    server: FakeServer
    handle: str = "ember.test"
    password: str = "abcd-efgh-ijkl-mnop"
    did: str = "did:plc:emberroasters0000000000"
    known_handles: dict[str, str] = field(default_factory=dict)
    duplicate_status: int = 500  # how a second write to an existing rkey is refused
    max_blob: int = 1_000_000
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions_created: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: set[str] = set()
        self._expired: set[str] = set()
        self.known_handles.setdefault(self.handle, self.did)
        s = self.server
        s.route("POST", r"/xrpc/com\.atproto\.server\.createSession", self._create_session)
        s.route("POST", r"/xrpc/com\.atproto\.repo\.uploadBlob", self._upload_blob)
        s.route("POST", r"/xrpc/com\.atproto\.repo\.createRecord", self._create_record)
        s.route("GET", r"/xrpc/com\.atproto\.repo\.getRecord", self._get_record)
        s.route("GET", r"/xrpc/com\.atproto\.identity\.resolveHandle", self._resolve)
        s.route("GET", r"/xrpc/app\.bsky\.actor\.getProfile", self._profile)

    def expire_sessions(self) -> None:
        """Make every access token issued so far answer ExpiredToken."""
        with self._lock:
            self._expired |= self._tokens

    def _auth(self, request: Recorded) -> Reply | None:
        token = _bearer(request)
        if token is None:
            return Reply(401, {"error": "AuthMissing", "message": "Authentication Required"})
        if token in self._expired:
            return Reply(400, {"error": "ExpiredToken", "message": "Token has expired"})
        if token not in self._tokens:
            return Reply(401, {"error": "InvalidToken", "message": "Token could not be verified"})
        return None

    def _create_session(self, request: Recorded) -> Reply:
        body = request.json()
        identifier = str(body.get("identifier", "")).lower()
        if identifier not in (self.handle, self.did) or body.get("password") != self.password:
            return Reply(
                401,
                {"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
            )
        with self._lock:
            self.sessions_created += 1
            token = f"access-{self.sessions_created}"
            self._tokens.add(token)
        return Reply(
            200,
            {
                "did": self.did,
                "handle": self.handle,
                "accessJwt": token,
                "refreshJwt": f"refresh-{self.sessions_created}",
                "active": True,
            },
        )

    def _upload_blob(self, request: Recorded) -> Reply:
        if refused := self._auth(request):
            return refused
        if len(request.body) > self.max_blob:
            return Reply(
                400,
                {
                    "error": "BlobTooLarge",
                    "message": f"This file is too large. It is {len(request.body)} bytes but "
                    f"the maximum size is {self.max_blob} bytes.",
                },
            )
        cid = "bafkrei" + hashlib.sha256(request.body).hexdigest()[:52]
        blob = {
            "$type": "blob",
            "ref": {"$link": cid},
            "mimeType": request.header("content-type"),
            "size": len(request.body),
        }
        with self._lock:
            self.blobs[cid] = blob
        return Reply(200, {"blob": blob})

    def _create_record(self, request: Recorded) -> Reply:
        if refused := self._auth(request):
            return refused
        body = request.json()
        if body.get("repo") not in (self.did, self.handle):
            return Reply(401, {"error": "InvalidToken", "message": "Invalid repo"})
        rkey = body.get("rkey")
        record = body.get("record") or {}
        if body.get("collection") != "app.bsky.feed.post" or record.get("$type") != body.get(
            "collection"
        ):
            return Reply(400, {"error": "InvalidRequest", "message": "Invalid collection"})
        if not isinstance(rkey, str) or not TID_RE.match(rkey):
            return Reply(400, {"error": "InvalidRequest", "message": "Invalid record key"})
        text = record.get("text", "")
        if len(regex.findall(r"\X", text)) > 300:
            return Reply(
                400,
                {
                    "error": "InvalidRequest",
                    "message": "Invalid app.bsky.feed.post record: Record/text must not be "
                    "longer than 300 graphemes",
                },
            )
        for image in (record.get("embed") or {}).get("images", []):
            if image["image"]["ref"]["$link"] not in self.blobs:
                return Reply(400, {"error": "InvalidRequest", "message": "Could not find blob"})
        with self._lock:
            if rkey in self.records:
                if self.duplicate_status == 500:
                    return Reply(
                        500, {"error": "InternalServerError", "message": "Internal Server Error"}
                    )
                return Reply(
                    self.duplicate_status,
                    {"error": "InvalidRequest", "message": "Record already exists"},
                )
            uri = f"at://{self.did}/app.bsky.feed.post/{rkey}"
            cid = "bafyrei" + hashlib.sha256(uri.encode()).hexdigest()[:52]
            self.records[rkey] = {"uri": uri, "cid": cid, "value": record}
        return Reply(200, {"uri": uri, "cid": cid, "validationStatus": "valid"})

    def _get_record(self, request: Recorded) -> Reply:
        rkey = request.query.get("rkey", [""])[0]
        with self._lock:
            found = self.records.get(rkey)
        if found is None or request.query.get("repo", [""])[0] not in (self.did, self.handle):
            uri = f"at://{request.query.get('repo', [''])[0]}/app.bsky.feed.post/{rkey}"
            return Reply(
                400, {"error": "RecordNotFound", "message": f"Could not locate record: {uri}"}
            )
        return Reply(200, found)

    def _resolve(self, request: Recorded) -> Reply:
        handle = request.query.get("handle", [""])[0].lower()
        if handle in self.known_handles:
            return Reply(200, {"did": self.known_handles[handle]})
        return Reply(400, {"error": "InvalidRequest", "message": "Unable to resolve handle"})

    def _profile(self, request: Recorded) -> Reply:
        if refused := self._auth(request):
            return refused
        actor = request.query.get("actor", [""])[0]
        if actor not in (self.did, self.handle):
            return Reply(400, {"error": "InvalidRequest", "message": "Profile not found"})
        return Reply(
            200,
            {
                "did": self.did,
                "handle": self.handle,
                "displayName": "Ember Roasters",
                "avatar": f"{self.server.url}/img/avatar/{self.did}.jpg",
            },
        )


# ---------------------------------------------------------------------------------------
# X
# ---------------------------------------------------------------------------------------

X_TOKEN_PATH = r"/2/oauth2/token"


@dataclass
class FakeX:
    """X API v2 for one account (``/2/users/me``, ``/2/tweets``) and its OAuth token endpoint.

    :meth:`revoke` plays X cutting the current access token short before it expires.
    ``refuse_refresh`` makes the token endpoint refuse every refresh token (a revoked grant);
    ``refuse_new_tokens`` issues access tokens that the API then refuses too.
    """

    server: FakeServer
    client_id: str = "cid"
    client_secret: str = "csecret"
    access_token: str = "x-access-0"
    refresh_token: str = "x-refresh-0"
    refuse_refresh: bool = False
    refuse_new_tokens: bool = False
    tweets: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1_880_000_000_000_000_001)
        self._issued = itertools.count(1)
        self._lock = threading.Lock()
        self._valid = {self.access_token}
        s = self.server
        s.route("GET", r"/2/users/me", self._me)
        s.route("POST", r"/2/tweets", self._tweet)
        s.route("POST", X_TOKEN_PATH, self._token)

    def revoke(self) -> None:
        """Refuse every access token issued so far (the refresh token stays good)."""
        with self._lock:
            self._valid.clear()

    def _auth(self, request: Recorded) -> Reply | None:
        with self._lock:
            good = _bearer(request) in self._valid
        if not good:
            return Reply(
                401,
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
            )
        return None

    def _me(self, request: Recorded) -> Reply:
        if refused := self._auth(request):
            return refused
        user = {"id": "2244994945", "name": "Ember Roasters", "username": "emberroasters"}
        return Reply(200, {"data": user})

    def _tweet(self, request: Recorded) -> Reply:
        if refused := self._auth(request):
            return refused
        text = (request.json() or {}).get("text") or ""
        with self._lock:
            tweet = {"id": str(next(self._ids)), "text": text}
            self.tweets.append(tweet)
        return Reply(201, {"data": tweet})

    def _token(self, request: Recorded) -> Reply:
        pair = f"{self.client_id}:{self.client_secret}".encode()
        if request.header("authorization") != "Basic " + base64.b64encode(pair).decode():
            return Reply(401, {"error": "unauthorized_client", "error_description": "Bad client"})
        form = request.form()
        with self._lock:
            grant_ok = form.get("grant_type") == ["refresh_token"] and form.get(
                "refresh_token"
            ) == [self.refresh_token]
            if self.refuse_refresh or not grant_ok:
                return Reply(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "Value passed for the token was invalid.",
                    },
                )
            n = next(self._issued)
            self.access_token, self.refresh_token = f"x-access-{n}", f"x-refresh-{n}"
            if not self.refuse_new_tokens:
                self._valid.add(self.access_token)
            body = {
                "token_type": "bearer",
                "expires_in": 7200,
                "access_token": self.access_token,
                "scope": "tweet.read tweet.write users.read media.write offline.access",
                "refresh_token": self.refresh_token,
            }
        return Reply(200, body)


if __name__ == "__main__":  # pragma: no cover - a manual demo aid
    import time

    server = FakeServer()
    mastodon = FakeMastodon(server)
    bluesky = FakeBluesky(server)
    print(f"Fake Mastodon and Bluesky on {server.url}")
    print(f"  Mastodon: instance_url={server.url} access_token={mastodon.token}")
    print(
        f"  Bluesky:  pds_url={server.url} handle={bluesky.handle} app_password={bluesky.password}"
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.close()
