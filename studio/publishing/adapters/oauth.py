"""OAuth 2.0 connection flows as data, plus the few helpers the web layer needs.

The web layer owns the flow (state in the session, the callback view, storing tokens):
it builds the consent URL with :func:`authorize_url` (with a :func:`pkce_pair` where the
platform needs PKCE), trades the callback's code with :func:`exchange_code`, stores
:meth:`TokenSet.credentials` in the channel, and calls :func:`refresh` before a publish when
``expires_at`` is near (X tokens last two hours) or after a :class:`PermanentError` with
``kind == "auth"`` if a refresh token is stored.

Meta's tokens (Facebook, Instagram, Threads) are not refreshed this way: exchange the
short-lived token for a long-lived one (60 days) and, for Pages, use the Page token from
:meth:`FacebookAdapter.pages`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from studio.publishing.adapters.base import HttpAdapter
from studio.publishing.errors import AUTH, RECONNECT, PermanentError, PublishError

__all__ = ["OAuthSpec", "TokenSet", "authorize_url", "exchange_code", "pkce_pair", "refresh"]


@dataclass(frozen=True, slots=True)
class OAuthSpec:
    """Where and how a platform runs its OAuth 2.0 authorization-code flow."""

    label: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    scope_separator: str = " "
    pkce: bool = False
    client_auth: str = "body"  # "basic": client id and secret in an Authorization header
    refreshable: bool = True
    extra_params: Mapping[str, str] = field(default_factory=dict)
    docs: str = ""


@dataclass(frozen=True, slots=True)
class TokenSet:
    """Tokens a platform issued."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    scope: str | None = None

    def credentials(self) -> dict[str, Any]:
        """Return the fields to merge into the channel's credentials."""
        values: dict[str, Any] = {"access_token": self.access_token}
        if self.refresh_token:
            values["refresh_token"] = self.refresh_token
        if self.expires_at:
            values["expires_at"] = self.expires_at.isoformat()
        return values


def pkce_pair() -> tuple[str, str]:
    """Return a PKCE (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    spec: OAuthSpec,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str | None = None,
    scopes: tuple[str, ...] | None = None,
) -> str:
    """Return the consent-page URL to send the person to."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "scope": spec.scope_separator.join(scopes or spec.scopes),
        **spec.extra_params,
    }
    if spec.pkce:
        if not code_challenge:
            raise ValueError(f"{spec.label} needs PKCE: pass code_challenge from pkce_pair().")
        params |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
    return f"{spec.authorize_url}?{urlencode(params, quote_via=quote)}"


def exchange_code(
    spec: OAuthSpec,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    code_verifier: str | None = None,
    timeout: float = 15.0,
) -> TokenSet:
    """Trade an authorization code for tokens."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier:
        form["code_verifier"] = code_verifier
    return _token_request(spec, client_id, client_secret, form, timeout)


def refresh(
    spec: OAuthSpec,
    *,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    timeout: float = 15.0,
) -> TokenSet:
    """Trade a refresh token for a new access token (and, often, a new refresh token)."""
    if not spec.refreshable:
        raise PermanentError(
            f"{spec.label} tokens cannot be refreshed automatically.",
            RECONNECT,
            kind=AUTH,
        )
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token_request(spec, client_id, client_secret, form, timeout)


class _TokenEndpoint(HttpAdapter):
    """A platform's token endpoint, spoken to with the adapters' error handling."""

    platform = "oauth"

    def __init__(self, spec: OAuthSpec, timeout: float) -> None:
        # The token URL is fixed in code (an OAuthSpec), never typed by a person, so the
        # public-address guard that protects typed server addresses is not needed here.
        super().__init__(timeout=timeout, allow_private_hosts=True)
        self.label = spec.label  # type: ignore[misc]  # messages name the platform

    def verify(self, credentials: Mapping[str, Any]) -> Any:  # pragma: no cover - unused
        raise NotImplementedError

    def publish(self, *args: Any) -> Any:  # pragma: no cover - unused
        raise NotImplementedError

    def _reason(self, response: httpx.Response, body: Any) -> str | None:
        if isinstance(body, dict) and isinstance(body.get("error"), dict):  # Graph API
            return body["error"].get("message")
        return super()._reason(response, body)

    def _classify(
        self, response: httpx.Response, body: Any, reason: str | None
    ) -> PublishError | None:
        # RFC 6749 answers 400 (invalid_grant, invalid_client) for every refused sign-in.
        if response.status_code in (400, 401):
            said = f": {reason}" if reason else ""
            return PermanentError(
                f"{self.label} did not accept the sign-in{said}.",
                RECONNECT,
                kind=AUTH,
                status=response.status_code,
            )
        return None


def _token_request(
    spec: OAuthSpec, client_id: str, client_secret: str, form: dict[str, str], timeout: float
) -> TokenSet:
    endpoint = _TokenEndpoint(spec, timeout)
    headers = {"Accept": "application/json"}
    if spec.client_auth == "basic":
        pair = f"{client_id}:{client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        form = {**form, "client_id": client_id}  # X wants it in the body as well
    else:
        form = {**form, "client_id": client_id, "client_secret": client_secret}
    with endpoint._client() as client:
        response = endpoint._request(client, "POST", spec.token_url, data=form, headers=headers)
    body = endpoint._json(response)
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise PublishError(f"{spec.label} answered the sign-in without an access token.")
    try:
        expires_at = datetime.now(UTC) + timedelta(seconds=float(body["expires_in"]))
    except (KeyError, TypeError, ValueError):
        expires_at = None
    scope = body.get("scope")
    return TokenSet(
        access_token=token,
        refresh_token=body.get("refresh_token"),
        expires_at=expires_at,
        scope=scope if isinstance(scope, str) else None,
    )


# -- the platforms' flows ---------------------------------------------------------------

GRAPH_VERSION = "v23.0"

X = OAuthSpec(
    label="X",
    authorize_url="https://x.com/i/oauth2/authorize",
    token_url="https://api.x.com/2/oauth2/token",
    scopes=("tweet.read", "tweet.write", "users.read", "media.write", "offline.access"),
    pkce=True,
    client_auth="basic",
    docs="https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code",
)
LINKEDIN = OAuthSpec(
    label="LinkedIn",
    authorize_url="https://www.linkedin.com/oauth/v2/authorization",
    token_url="https://www.linkedin.com/oauth/v2/accessToken",
    # Company pages also need w_organization_social (Community Management API access).
    scopes=("openid", "profile", "w_member_social"),
    docs="https://learn.microsoft.com/linkedin/shared/authentication/authorization-code-flow",
)
FACEBOOK = OAuthSpec(
    label="Facebook",
    authorize_url=f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth",
    token_url=f"https://graph.facebook.com/{GRAPH_VERSION}/oauth/access_token",
    scopes=("pages_show_list", "pages_manage_posts", "pages_read_engagement"),
    scope_separator=",",
    refreshable=False,
    docs="https://developers.facebook.com/docs/pages-api/getting-started",
)
INSTAGRAM = OAuthSpec(
    label="Instagram",
    authorize_url=f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth",
    token_url=f"https://graph.facebook.com/{GRAPH_VERSION}/oauth/access_token",
    scopes=(
        "instagram_basic",
        "instagram_content_publish",
        "pages_show_list",
        "pages_read_engagement",
        "business_management",
    ),
    scope_separator=",",
    refreshable=False,
    docs="https://developers.facebook.com/docs/instagram-platform/content-publishing",
)
THREADS = OAuthSpec(
    label="Threads",
    authorize_url="https://threads.net/oauth/authorize",
    token_url="https://graph.threads.net/oauth/access_token",
    scopes=("threads_basic", "threads_content_publish"),
    scope_separator=",",
    refreshable=False,
    docs="https://developers.facebook.com/docs/threads/get-started",
)
PINTEREST = OAuthSpec(
    label="Pinterest",
    authorize_url="https://www.pinterest.com/oauth/",
    token_url="https://api.pinterest.com/v5/oauth/token",
    scopes=("boards:read", "pins:read", "pins:write", "user_accounts:read"),
    scope_separator=",",
    client_auth="basic",
    docs="https://developers.pinterest.com/docs/getting-started/authentication/",
)
