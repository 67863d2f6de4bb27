"""What every publishing adapter offers, and the HTTP plumbing they share.

An adapter turns one :class:`OutgoingPost` into one post on one platform. It holds no
credentials: they are passed to each call and never stored, logged or put in a message
(:meth:`Adapter.redact` is what a log line may show). Every failure is one of the three
errors in :mod:`studio.publishing.errors`, so the scheduler can decide without knowing the
platform.

The one rule that keeps posts from going out twice lives in :meth:`HttpAdapter._request`:
only the request that creates the post (``commits=True``) can end in
:class:`UnknownOutcome`; a connection refused or a request that could not be written never
reached the platform and is a :class:`TransientError`.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import httpx

from studio import netguard
from studio.publishing.adapters.transport import public_only_transport, shared_ssl_context
from studio.publishing.errors import (
    AUTH,
    CONFIG,
    MEDIA,
    NOT_FOUND,
    RECONNECT,
    REJECTED,
    PermanentError,
    PublishError,
    TransientError,
    UnknownOutcome,
)

if TYPE_CHECKING:
    from studio.publishing.adapters.oauth import OAuthSpec

__all__ = [
    "USER_AGENT",
    "AccountInfo",
    "Adapter",
    "CredentialField",
    "HttpAdapter",
    "OutgoingMedia",
    "OutgoingPost",
    "Published",
    "compose_text",
    "normalise_base_url",
    "parse_retry_after",
    "same_text",
    "secret_url",
]

USER_AGENT = "Plume/0.1 (+https://github.com/plume-studio; publishing)"
REDACTED = "[redacted]"
_MAX_REASON = 400


# ---------------------------------------------------------------------------------------
# Keeping secrets out of logs
# ---------------------------------------------------------------------------------------

# httpx logs every request's full URL at INFO. A webhook URL (Slack, Zapier) is itself a
# secret, and query strings may hold tokens, so the filter below drops every query string
# and, while a secret URL is being called, the path too.
_SECRET_URL: ContextVar[bool] = ContextVar("plume_secret_url", default=False)


class _RedactRequestURLs(logging.Filter):
    """Rewrite httpx's "HTTP Request" log lines so they never show a secret URL."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 2 and isinstance(args[1], httpx.URL):
            url: httpx.URL = args[1]
            origin = f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"
            shown = origin + ("/[redacted]" if _SECRET_URL.get() else url.path)
            record.args = (args[0], shown, *args[2:])
        return True


logging.getLogger("httpx").addFilter(_RedactRequestURLs())


@contextmanager
def secret_url() -> Iterator[None]:
    """Keep the path of URLs requested inside this block out of the logs."""
    token = _SECRET_URL.set(True)
    try:
        yield
    finally:
        _SECRET_URL.reset(token)


# ---------------------------------------------------------------------------------------
# Data passed in and out
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutgoingMedia:
    """One image, already rendered for the platform."""

    data: bytes
    mime: str
    alt_text: str = ""
    width: int | None = None
    height: int | None = None

    def __repr__(self) -> str:
        # Never dump image bytes into a log line or a failing test's output.
        size = f"{self.width}x{self.height}" if self.width and self.height else "?x?"
        return f"OutgoingMedia({self.mime}, {len(self.data)} bytes, {size}, alt={self.alt_text!r})"


@dataclass(frozen=True, slots=True)
class OutgoingPost:
    """The post as one platform will receive it (a variant after validation and renditions).

    ``options`` holds platform settings, e.g. Mastodon ``visibility``/``spoiler_text``,
    Bluesky ``langs``, Pinterest ``title``, Instagram/Threads ``image_urls`` (public URLs
    of the renditions, in the order of ``media``), ``link_title`` for link cards.
    """

    text: str
    media: Sequence[OutgoingMedia] = ()
    link: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    platform: str = ""


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """Who a channel's credentials post as, for the "test connection" answer."""

    display_name: str
    handle: str
    avatar_url: str | None
    profile_url: str | None
    account_id: str | None = None  # the platform's id (DID, numeric id, URN) when known


@dataclass(frozen=True, slots=True)
class Published:
    """A post that exists on the platform."""

    platform_post_id: str
    url: str | None
    raw: Mapping[str, Any]  # the platform's answer (never holds credentials)
    found_existing: bool = False  # True when a retry found the post instead of creating it


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One field of the "connect channel" form."""

    name: str
    label: str
    secret: bool
    default: str | None = None
    required: bool = True
    help: str = ""
    oauth: bool = False  # filled in by the platform's OAuth flow, not typed by a person
    address: bool = False  # a server address Plume will call: checked for private hosts


# ---------------------------------------------------------------------------------------
# Small shared helpers
# ---------------------------------------------------------------------------------------


def compose_text(post: OutgoingPost) -> str:
    """Return the post text with its link appended when the text does not already hold it."""
    text = post.text or ""
    if post.link and post.link not in text:
        text = f"{text.rstrip()}\n\n{post.link}" if text.strip() else post.link
    return text


_SPACE_RUN = re.compile(r"\s+")


def same_text(a: str, b: str) -> bool:
    """Say whether two post texts are the same once spacing and Unicode forms are evened out."""

    def norm(s: str) -> str:
        return _SPACE_RUN.sub(" ", unicodedata.normalize("NFC", s)).strip()

    return norm(a) == norm(b)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Return seconds to wait from a Retry-After value (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _reset_after(value: str | None, now: datetime) -> float | None:
    """Return seconds until a rate-limit reset given as epoch seconds or an ISO timestamp."""
    if not value:
        return None
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())
    # Epoch seconds are large; small numbers are already a delay (some APIs send either).
    return max(0.0, number - now.timestamp()) if number > 1e9 else max(0.0, number)


def retry_after_from(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Return how long the platform asked Plume to wait, from any header it uses for that."""
    now = now or datetime.now(UTC)
    wait = parse_retry_after(headers.get("retry-after"), now)
    if wait is not None:
        return wait
    # Bluesky: ratelimit-reset; X: x-rate-limit-reset; Mastodon: X-RateLimit-Reset (ISO).
    for name in ("ratelimit-reset", "x-rate-limit-reset", "x-ratelimit-reset"):
        wait = _reset_after(headers.get(name), now)
        if wait is not None:
            return wait
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# What a person does about an address that points inside a private network.
PRIVATE_ADDRESS_ACTION = "Enter the address of a public server in the channel settings."


def normalise_base_url(
    value: str, *, what: str, allow_http: bool = False, allow_private_hosts: bool = False
) -> str:
    """Return ``value`` as an ``https://host[:port][/path]`` URL without a trailing slash.

    Unless ``allow_private_hosts`` (local development and tests), the address must be
    ``https://`` and may not name a private host outright (localhost, 10.0.0.1, [::1]);
    names are checked again, resolved, on every connection (see ``transport``). With it,
    plain ``http://`` is accepted for this machine (local test servers), or anywhere when
    ``allow_http`` is set, so a token is never sent in the clear by a typo.
    """
    raw = (value or "").strip()
    if not raw:
        raise PermanentError(
            f"The channel has no {what}.", "Enter it in the channel settings.", kind=CONFIG
        )
    if "://" not in raw:
        raw = "https://" + raw
    parts = urlsplit(raw)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host or parts.query or parts.fragment:
        raise PermanentError(
            f"{value!r} is not a valid {what}.",
            "Enter an address such as https://example.social in the channel settings.",
            kind=CONFIG,
        )
    if not allow_private_hosts:
        try:
            netguard.check_host(host)
        except netguard.PrivateAddress as exc:
            raise PermanentError(exc.message, PRIVATE_ADDRESS_ACTION, kind=CONFIG) from None
    if parts.scheme == "http" and not (allow_private_hosts and (allow_http or _is_loopback(host))):
        raise PermanentError(
            f"The {what} uses http://, which would send the credentials unencrypted.",
            "Use the https:// address in the channel settings.",
            kind=CONFIG,
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def _short(text: str, limit: int = _MAX_REASON) -> str:
    text = _SPACE_RUN.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else text + "."


# ---------------------------------------------------------------------------------------
# The adapter interface
# ---------------------------------------------------------------------------------------


class Adapter(ABC):
    """Publish to one platform. Subclasses set the class attributes and the three methods."""

    platform: ClassVar[str]
    label: ClassVar[str]  # the platform's name as people write it
    supports_idempotency: ClassVar[bool] = False
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    oauth: ClassVar[OAuthSpec | None] = None

    @abstractmethod
    def verify(self, credentials: Mapping[str, Any]) -> AccountInfo:
        """Check the credentials against the platform and say which account they post as."""

    @abstractmethod
    def publish(
        self, post: OutgoingPost, credentials: Mapping[str, Any], idempotency_key: str
    ) -> Published:
        """Publish ``post`` once (a retry with the same key is safe if supports_idempotency)."""

    def find_existing(
        self,
        post: OutgoingPost,
        credentials: Mapping[str, Any],
        idempotency_key: str,
        since: datetime,
    ) -> Published | None:
        """Return the post if an earlier attempt since ``since`` published it, else None."""
        return None

    def redact(self, credentials: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``credentials`` safe to log: every secret value replaced."""
        secret = {f.name for f in self.credential_fields if f.secret}
        return {
            key: (REDACTED if key in secret or _looks_secret(key) else value)
            for key, value in credentials.items()
        }

    def _credentials(self, credentials: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``credentials`` with defaults filled in; refuse if a required one is missing."""
        values = dict(credentials)
        for f in self.credential_fields:
            current = values.get(f.name)
            if (current is None or current == "") and f.default is not None:
                values[f.name] = f.default
            elif f.required and (current is None or not str(current).strip()):
                raise PermanentError(
                    f"The {self.label} channel has no {f.label.lower()}.",
                    RECONNECT,
                    kind=AUTH if f.secret else CONFIG,
                )
        return values

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.platform}>"


_SECRET_WORDS = ("token", "password", "secret", "key", "jwt")


def _looks_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


# ---------------------------------------------------------------------------------------
# HTTP adapters
# ---------------------------------------------------------------------------------------


class HttpAdapter(Adapter):
    """An adapter that talks to its platform over HTTP with httpx.

    ``base_url`` points the adapter at another server (a test fake, a self-hosted API);
    ``timeout`` bounds each request; ``poll_interval``/``poll_timeout`` bound the waits for
    media the platform processes in the background. ``sleep`` and ``clock`` are there so
    tests can run polls without real waiting. Every connection goes to a public address
    only, unless ``allow_private_hosts`` (local development and tests: the
    PUBLISH_ALLOW_PRIVATE_HOSTS setting) turns that check off.
    """

    default_base_url: ClassVar[str] = ""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: float = 20.0,
        connect_timeout: float = 5.0,
        poll_interval: float = 1.0,
        poll_timeout: float = 60.0,
        allow_http: bool = False,
        allow_private_hosts: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self.allow_http = allow_http
        self.allow_private_hosts = allow_private_hosts
        self._sleep = sleep
        self._clock = clock

    # -- plumbing -----------------------------------------------------------------------

    def _client(self, headers: Mapping[str, str] | None = None) -> httpx.Client:
        """Return a client for one operation (a publish, a verify, a lookup)."""
        return httpx.Client(
            timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            # A redirect would turn a POST into a GET or carry the token to another host.
            follow_redirects=False,
            verify=shared_ssl_context(),
            transport=None if self.allow_private_hosts else public_only_transport(),
        )

    def _request(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        *,
        commits: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request and return the 2xx answer, or raise the matching PublishError.

        ``commits`` marks the request that creates the post: only then does a lost answer
        mean the post may exist (:class:`UnknownOutcome`).
        """
        host = urlsplit(url).netloc or url
        try:
            response = client.request(method, url, **kwargs)
        except netguard.PrivateAddress as exc:
            # Checked on connecting, so a name re-pointed since the channel was connected
            # (DNS rebinding) is caught here; nothing was sent.
            raise PermanentError(exc.message, PRIVATE_ADDRESS_ACTION, kind=CONFIG) from exc
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # No connection, so the platform never saw the request.
            raise TransientError(
                f"Could not connect to {self.label} at {host} ({_describe(exc)}); "
                "nothing was sent.",
            ) from exc
        except (httpx.WriteError, httpx.WriteTimeout) as exc:
            # The request was cut off while being written; a server acts only on whole ones.
            raise TransientError(
                f"The connection to {self.label} at {host} broke while Plume was sending "
                f"({_describe(exc)}); the request was incomplete, so nothing was published.",
            ) from exc
        except (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError) as exc:
            if commits:
                raise UnknownOutcome(
                    f"{self.label} did not answer after Plume sent the post "
                    f"({_describe(exc)}), so it may or may not have been published."
                ) from exc
            raise TransientError(
                f"{self.label} at {host} did not answer ({_describe(exc)})."
            ) from exc
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise PermanentError(
                f"The address Plume has for {self.label} is not valid.",
                "Check the server address in the channel settings.",
                kind=CONFIG,
            ) from exc
        except httpx.TransportError as exc:  # proxy and other transport faults
            if commits:
                raise UnknownOutcome(
                    f"The connection to {self.label} failed ({_describe(exc)}) after Plume "
                    "started sending the post, so it may or may not have been published."
                ) from exc
            raise TransientError(f"Could not talk to {self.label} ({_describe(exc)}).") from exc
        if response.is_success:
            return response
        raise self._error_for(response)

    def _json(self, response: httpx.Response) -> Any:
        """Return the answer's JSON body, or raise when a 2xx answer is not JSON."""
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise TransientError(
                f"{self.label} answered with something that is not JSON "
                f"(HTTP {response.status_code}).",
                status=response.status_code,
            ) from exc

    # -- error messages -----------------------------------------------------------------

    def _reason(self, response: httpx.Response, body: Any) -> str | None:
        """Return the platform's own explanation from an error answer (override per API)."""
        if isinstance(body, dict):
            for key in ("message", "error_description", "detail", "error", "title"):
                value = body.get(key)
                if isinstance(value, str) and value.strip():
                    return value
        return None

    def _classify(
        self, response: httpx.Response, body: Any, reason: str | None
    ) -> PublishError | None:
        """Return a platform-specific error for ``response``, or None for the default mapping."""
        return None

    def _error_for(self, response: httpx.Response) -> PublishError:
        """Turn an error answer into the matching PublishError, in words a person reads."""
        try:
            body: Any = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        reason = self._reason(response, body)
        special = self._classify(response, body, reason)
        if special is not None:
            return special
        status = response.status_code
        said = f": {_short(reason)}" if reason else ""
        name = self.label
        if status == 429:
            wait = retry_after_from(response.headers)
            when = f" Plume will try again in {wait:.0f} s." if wait is not None else ""
            return TransientError(
                _sentence(f"{name} is limiting how fast Plume may post{said}") + when,
                retry_after=wait,
                status=status,
            )
        if status >= 500 or status == 408:
            return TransientError(
                _sentence(f"{name} had a problem on its side (HTTP {status}){said}"),
                # Only Retry-After: Mastodon and Bluesky send rate-limit reset headers on
                # every answer, and they say nothing about when a 5xx will clear.
                retry_after=parse_retry_after(response.headers.get("retry-after")),
                status=status,
            )
        if status in (401, 403):
            return PermanentError(
                _sentence(f"{name} refused the channel's credentials (HTTP {status}){said}"),
                RECONNECT,
                kind=AUTH,
                status=status,
            )
        if status == 404:
            return PermanentError(
                _sentence(f"{name} could not find the account or address Plume used{said}"),
                "Check the channel settings, or reconnect the channel.",
                kind=NOT_FOUND,
                status=status,
            )
        if status == 413:
            return PermanentError(
                _sentence(f"{name} said the upload is too large{said}"),
                "Use a smaller image or fewer images, then retry.",
                kind=MEDIA,
                status=status,
            )
        if 300 <= status < 400:
            where = urlsplit(response.headers.get("location", "")).netloc or "another address"
            return PermanentError(
                f"{name} redirected Plume to {where}.",
                "Use that address as the server address in the channel settings.",
                kind=CONFIG,
                status=status,
            )
        return PermanentError(
            _sentence(f"{name} refused the post{said or f' (HTTP {status})'}"),
            "Edit the post to fix this, then retry.",
            kind=REJECTED,
            status=status,
        )

    # -- waiting for background processing ----------------------------------------------

    def _poll(self, check: Callable[[], Any], what: str) -> Any:
        """Call ``check`` until it returns something other than None, within ``poll_timeout``."""
        deadline = self._clock() + self.poll_timeout
        while True:
            result = check()
            if result is not None:
                return result
            if self._clock() + self.poll_interval > deadline:
                raise TransientError(
                    f"{self.label} was still processing {what} after "
                    f"{self.poll_timeout:.0f} s; nothing was published."
                )
            self._sleep(self.poll_interval)


def _describe(exc: Exception) -> str:
    """Return a short reason for a transport failure, without URLs or credentials."""
    kinds = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ConnectError: "connection refused or host unreachable",
        httpx.PoolTimeout: "no free connection",
        httpx.WriteTimeout: "sending timed out",
        httpx.WriteError: "sending failed",
        httpx.ReadTimeout: "no answer before the time limit",
        httpx.RemoteProtocolError: "the server closed the connection without answering",
        httpx.ReadError: "the connection dropped while waiting for the answer",
    }
    for kind, words in kinds.items():
        if isinstance(exc, kind):
            return words
    return type(exc).__name__
