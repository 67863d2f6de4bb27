"""The registry, the OAuth helpers and the shared adapter helpers."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from studio.publishing import (
    ADAPTERS,
    OAUTH,
    PLATFORM_FIELDS,
    PLATFORMS,
    Adapter,
    OutgoingPost,
    UnknownPlatform,
    adapter_for,
    needs_oauth,
)
from studio.publishing.adapters import oauth
from studio.publishing.adapters.base import compose_text, normalise_base_url, parse_retry_after
from studio.publishing.adapters.linkedin import LinkedInAdapter
from studio.publishing.adapters.sandbox import MemoryFeed, SandboxAdapter
from studio.publishing.errors import AUTH, CONFIG, PermanentError
from tests.unit.publishing.fakeserver import FakeServer, Reply

EXPECTED = {
    "mastodon", "bluesky", "x", "linkedin", "facebook",
    "instagram", "threads", "pinterest", "webhook", "sandbox",
}  # fmt: skip


def test_every_platform_has_an_adapter_that_names_itself():
    assert set(PLATFORMS) == EXPECTED
    for platform in PLATFORMS:
        adapter = adapter_for(platform)
        assert isinstance(adapter, Adapter)
        assert adapter.platform == platform
        assert ADAPTERS[platform] is type(adapter)


def test_adapter_for_passes_constructor_arguments_and_ignores_case():
    feed = MemoryFeed()
    sandbox = adapter_for(" Sandbox ", store=feed.store)
    sandbox.publish(OutgoingPost("hi"), {}, "k")
    assert "k" in feed.posts
    linkedin = adapter_for("linkedin", base_url="http://127.0.0.1:9", version="202601")
    assert isinstance(linkedin, LinkedInAdapter)
    assert (linkedin.base_url, linkedin.version) == ("http://127.0.0.1:9", "202601")
    assert isinstance(sandbox, SandboxAdapter)


def test_an_unknown_platform_names_the_known_ones():
    with pytest.raises(UnknownPlatform, match="mastodon"):
        adapter_for("myspace")


def test_idempotency_support_is_declared_where_the_platform_gives_it():
    supported = {p for p, cls in ADAPTERS.items() if cls.supports_idempotency}
    assert supported == {"mastodon", "bluesky", "webhook", "sandbox"}


def test_connect_forms_mark_secrets_and_defaults():
    fields = {p: {f.name: f for f in fs} for p, fs in PLATFORM_FIELDS.items()}
    assert set(fields["mastodon"]) == {"instance_url", "access_token"}
    assert fields["mastodon"]["access_token"].secret
    assert not fields["mastodon"]["instance_url"].secret
    assert fields["bluesky"]["pds_url"].default == "https://bsky.social"
    assert fields["bluesky"]["app_password"].secret
    assert fields["webhook"]["url"].secret and fields["webhook"]["secret"].secret
    assert fields["sandbox"] == {}
    for platform in OAUTH:
        assert any(f.oauth and f.secret for f in fields[platform].values()), platform


def test_redact_never_shows_a_secret_value():
    for platform, fields in PLATFORM_FIELDS.items():
        creds = {f.name: f"value-of-{f.name}" for f in fields}
        creds["extra_api_key"] = "hidden-too"
        shown = repr(adapter_for(platform).redact(creds))
        for f in fields:
            assert (f"value-of-{f.name}" in shown) is (not f.secret), (platform, f.name)
        assert "hidden-too" not in shown


def test_oauth_platforms_and_their_flows():
    assert set(OAUTH) == {"x", "linkedin", "facebook", "instagram", "threads", "pinterest"}
    assert needs_oauth("x") and not needs_oauth("mastodon") and not needs_oauth("bluesky")
    assert OAUTH["x"].pkce and OAUTH["x"].client_auth == "basic"
    assert OAUTH["linkedin"].token_url == "https://www.linkedin.com/oauth/v2/accessToken"


def test_authorize_url_carries_pkce_and_scopes():
    verifier, challenge = oauth.pkce_pair()
    url = oauth.authorize_url(
        OAUTH["x"],
        client_id="cid",
        redirect_uri="https://plume.example/cb",
        state="st8",
        code_challenge=challenge,
    )
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://x.com/i/oauth2/authorize"
    assert query["scope"] == ["tweet.read tweet.write users.read media.write offline.access"]
    assert "%20" in url  # spaces as %20, as X's docs show
    assert query["code_challenge_method"] == ["S256"]
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert query["code_challenge"] == [expected.decode()]
    assert 43 <= len(verifier) <= 128
    with pytest.raises(ValueError, match="PKCE"):
        oauth.authorize_url(OAUTH["x"], client_id="c", redirect_uri="r", state="s")


def test_exchange_code_with_basic_client_auth(server: FakeServer):
    server.route(
        "POST",
        r"/2/oauth2/token",
        Reply(
            200,
            {
                "token_type": "bearer",
                "access_token": "acc-tok-1",
                "refresh_token": "ref-tok-1",
                "expires_in": 7200,
                "scope": "tweet.write",
            },
        ),
    )
    spec = oauth.OAuthSpec(**{**_fields(OAUTH["x"]), "token_url": f"{server.url}/2/oauth2/token"})

    tokens = oauth.exchange_code(
        spec,
        client_id="cid",
        client_secret="csecret",
        code="c0de",
        redirect_uri="https://plume.example/cb",
        code_verifier="v" * 50,
    )

    (call,) = server.calls("POST", r"/2/oauth2/token")
    assert call.header("Authorization") == "Basic " + base64.b64encode(b"cid:csecret").decode()
    assert call.form() == {
        "grant_type": ["authorization_code"],
        "code": ["c0de"],
        "redirect_uri": ["https://plume.example/cb"],
        "code_verifier": ["v" * 50],
        "client_id": ["cid"],
    }
    assert (tokens.access_token, tokens.refresh_token) == ("acc-tok-1", "ref-tok-1")
    assert (
        timedelta(seconds=7190) < tokens.expires_at - datetime.now(UTC) <= timedelta(seconds=7200)
    )
    assert "tok-1" not in repr(tokens)
    assert tokens.credentials()["refresh_token"] == "ref-tok-1"


def test_refresh_with_body_client_auth_and_a_refused_grant(server: FakeServer):
    server.route(
        "POST",
        r"/oauth/v2/accessToken",
        Reply(
            400, {"error": "invalid_grant", "error_description": "The refresh token has expired"}
        ),
    )
    spec = oauth.OAuthSpec(
        **{**_fields(OAUTH["linkedin"]), "token_url": f"{server.url}/oauth/v2/accessToken"}
    )
    with pytest.raises(PermanentError) as caught:
        oauth.refresh(spec, client_id="cid", client_secret="cs", refresh_token="old")

    assert caught.value.kind == AUTH
    assert "The refresh token has expired" in caught.value.message
    assert server.calls()[0].form()["client_secret"] == ["cs"]
    assert server.calls()[0].header("Authorization") is None


def test_meta_tokens_are_not_refreshable():
    with pytest.raises(PermanentError):
        oauth.refresh(OAUTH["facebook"], client_id="c", client_secret="s", refresh_token="r")


def _fields(spec: oauth.OAuthSpec) -> dict:
    return {name: getattr(spec, name) for name in spec.__dataclass_fields__}


# -- shared helpers ---------------------------------------------------------------------


def test_parse_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("1.5", now) == 1.5
    date = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(date, now) == 90
    past = format_datetime(now - timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(past, now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("https://mastodon.social/", "https://mastodon.social"),
        (" https://pds.example/sub/ ", "https://pds.example/sub"),
    ],
)
def test_normalise_base_url(given, expected):
    assert normalise_base_url(given, what="server address") == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://localhost:3000", "http://localhost:3000"),
    ],
)
def test_normalise_base_url_allows_local_http_only_where_private_hosts_are(given, expected):
    assert normalise_base_url(given, what="server address", allow_private_hosts=True) == expected
    with pytest.raises(PermanentError, match="private network") as caught:
        normalise_base_url(given, what="server address")
    assert caught.value.kind == CONFIG


@pytest.mark.parametrize(
    "given", ["", "ftp://x.example", "https://x.example/?a=1", "http://x.example"]
)
def test_normalise_base_url_refuses(given):
    with pytest.raises(PermanentError):
        normalise_base_url(given, what="server address")
    with pytest.raises(PermanentError):
        normalise_base_url(given, what="server address", allow_private_hosts=True)


def test_compose_text_appends_a_missing_link_only():
    assert compose_text(OutgoingPost("Hi", link="https://a.example")) == "Hi\n\nhttps://a.example"
    assert compose_text(OutgoingPost("See https://a.example", link="https://a.example")) == (
        "See https://a.example"
    )
    assert compose_text(OutgoingPost("", link="https://a.example")) == "https://a.example"
    assert compose_text(OutgoingPost("Hi")) == "Hi"
