"""Channels: connect (credentials sealed, never shown again, never logged), test, disconnect."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from studio.extensions import db
from studio.models import Channel, Role
from studio.models.publishing import SandboxFeedItem
from studio.publishing import operations as ops
from tests.unit.publishing.fakenet import FakeNet, tls_pair
from tests.unit.publishing.fakeplatforms import FakeBluesky, FakeMastodon
from tests.unit.publishing.fakeserver import FakeServer, Reply


@pytest.fixture
def fake():
    with FakeServer() as server:
        yield server


@pytest.fixture
def owner(make):
    membership = make.member(make.workspace(name="Ember Co"))
    brand = make.brand(membership.workspace, name="Ember Roasters")
    return membership, brand


def _url(membership, brand, tail=""):
    return f"/w/{membership.workspace.slug}/brands/{brand.id}/channels{tail}"


def test_connect_mastodon_seals_the_token_and_shows_the_account(
    app, client, login, owner, fake, caplog
):
    membership, brand = owner
    mastodon = FakeMastodon(fake, token="s3cret-token-value")
    login(membership.user)
    caplog.set_level(logging.DEBUG)
    response = client.form(
        _url(membership, brand),
        {"platform": "mastodon", "instance_url": fake.url, "access_token": mastodon.token},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    channel = db.session.scalar(select(Channel).where(Channel.brand_id == brand.id))
    assert channel.display_name == "Ember Roasters"
    assert channel.handle.startswith("@ember@")
    assert channel.avatar_url.endswith("/avatars/ember.png")
    # Sealed at rest: the token is nowhere in the row, the page or the logs.
    assert "s3cret-token-value" not in channel.sealed_credentials
    assert channel.settings == {"instance_url": fake.url}
    with app.app_context():
        assert ops.open_credentials(channel)["access_token"] == "s3cret-token-value"
    page = client.get(_url(membership, brand)).get_data(as_text=True)
    assert "Ember Roasters" in page and "s3cret-token-value" not in page
    assert "s3cret-token-value" not in caplog.text
    assert "s3cret-token-value" not in repr(channel)

    # "Test connection" asks the platform again and shows the name and avatar.
    tested = client.form(f"/w/{membership.workspace.slug}/channels/{channel.id}/test", htmx=True)
    html = tested.get_data(as_text=True)
    assert tested.status_code == 200
    assert "Connection works" in html and "Ember Roasters" in html
    assert "/avatars/ember.png" in html
    assert len(fake.calls("GET", r"/api/v1/accounts/verify_credentials")) == 2


def test_a_refused_token_is_not_stored_and_not_echoed(client, login, owner, fake):
    membership, brand = owner
    FakeMastodon(fake)
    login(membership.user)
    response = client.form(
        _url(membership, brand),
        {"platform": "mastodon", "instance_url": fake.url, "access_token": "wrong-token-xyz"},
        htmx=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "refused the channel" in html
    assert "wrong-token-xyz" not in html
    assert fake.url in html  # the non-secret field is kept for the person to fix
    assert db.session.scalar(select(Channel).where(Channel.brand_id == brand.id)) is None


def test_missing_field_is_named(client, login, owner):
    membership, brand = owner
    login(membership.user)
    response = client.form(_url(membership, brand), {"platform": "mastodon"}, htmx=True)
    assert response.status_code == 422
    assert "Enter the server address" in response.get_data(as_text=True)


def test_connect_bluesky_with_the_default_pds_filled_in(client, login, owner, fake):
    membership, brand = owner
    pds = FakeBluesky(fake)
    login(membership.user)
    form = client.get(_url(membership, brand, "?platform=bluesky")).get_data(as_text=True)
    assert 'value="https://bsky.social"' in form
    response = client.form(
        _url(membership, brand),
        {
            "platform": "bluesky",
            "pds_url": fake.url,
            "handle": pds.handle,
            "app_password": pds.password,
        },
    )
    assert response.status_code == 303
    channel = db.session.scalar(select(Channel).where(Channel.brand_id == brand.id))
    assert channel.platform == "bluesky" and channel.handle.lstrip("@") == pds.handle
    assert pds.password not in channel.sealed_credentials
    assert set(channel.settings) == {"pds_url", "handle"}


def test_webhook_verifies_with_a_signed_ping(client, login, owner, fake):
    membership, brand = owner
    fake.route("POST", "/hook", Reply(200, {"ok": True}))
    login(membership.user)
    response = client.form(
        _url(membership, brand),
        {"platform": "webhook", "url": f"{fake.url}/hook", "secret": "shh", "mirror_platform": "x"},
    )
    assert response.status_code == 303
    ping = fake.calls("POST", "/hook")[0]
    assert ping.json()["event"] == "ping" and ping.header("X-Plume-Signature").startswith("sha256=")
    channel = db.session.scalar(select(Channel).where(Channel.brand_id == brand.id))
    assert channel.mirror_platform == "x"
    assert channel.settings == {"include_media": "yes"}  # the URL is a secret too


def test_sandbox_and_its_feed_page(app, client, login, owner):
    membership, brand = owner
    login(membership.user)
    assert client.form(_url(membership, brand), {"platform": "sandbox"}).status_code == 303
    channel = db.session.scalar(select(Channel).where(Channel.brand_id == brand.id))
    assert channel.platform == "sandbox" and channel.display_name == "Plume sandbox feed"
    db.session.add(
        SandboxFeedItem(
            workspace_id=brand.workspace_id,
            brand_id=brand.id,
            channel_id=channel.id,
            idempotency_key="k-1",
            text="Fresh roast on Friday ☕",
        )
    )
    db.session.commit()
    page = client.get(f"/w/{membership.workspace.slug}/brands/{brand.id}/feed")
    assert page.status_code == 200 and "Fresh roast on Friday ☕" in page.get_data(as_text=True)


def test_disconnect_deletes_the_credentials(client, login, owner, fake):
    membership, brand = owner
    mastodon = FakeMastodon(fake)
    login(membership.user)
    client.form(
        _url(membership, brand),
        {"platform": "mastodon", "instance_url": fake.url, "access_token": mastodon.token},
    )
    channel = db.session.scalar(select(Channel).where(Channel.brand_id == brand.id))
    response = client.form(f"/w/{membership.workspace.slug}/channels/{channel.id}/disconnect")
    assert response.status_code == 303
    db.session.refresh(channel)
    assert channel.sealed_credentials == "" and not channel.active
    assert "Disconnected" in client.get(_url(membership, brand)).get_data(as_text=True)


PUBLIC_NOTE = "Images need the studio to be reachable at a public https address"


def test_instagram_and_threads_say_images_need_public_base_url(
    app, client, login, owner, monkeypatch
):
    membership, brand = owner
    for platform in ("instagram", "threads", "sandbox"):
        db.session.add(
            Channel(
                workspace_id=membership.workspace_id,
                brand_id=brand.id,
                platform=platform,
                display_name=f"Ember on {platform}",
            )
        )
    db.session.commit()
    login(membership.user)

    page = client.get(_url(membership, brand)).get_data(as_text=True)
    assert page.count(PUBLIC_NOTE) == 2  # the Instagram and Threads cards, not the sandbox's
    assert "set <code>PUBLIC_BASE_URL</code>" in page
    for platform, shown in (("instagram", True), ("threads", True), ("mastodon", False)):
        panel = client.hx_get(_url(membership, brand, f"?platform={platform}"))
        assert (PUBLIC_NOTE in panel.get_data(as_text=True)) is shown, platform

    # A plain http address is no use to Meta's servers: the note stays.
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://studio.example.com")
    assert PUBLIC_NOTE in client.get(_url(membership, brand)).get_data(as_text=True)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://studio.example.com")
    assert PUBLIC_NOTE not in client.get(_url(membership, brand)).get_data(as_text=True)
    panel = client.hx_get(_url(membership, brand, "?platform=instagram"))
    assert PUBLIC_NOTE not in panel.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.DESIGNER, Role.COPYWRITER])
def test_only_managers_connect_channels(client, login, make, owner, role):
    membership, brand = owner
    member = make.member(membership.workspace, role)
    login(member.user)
    assert client.get(_url(membership, brand)).status_code == 200
    response = client.form(_url(membership, brand), {"platform": "sandbox"})
    assert response.status_code == 403


def test_clients_do_not_see_channels(client, login, make, owner):
    membership, brand = owner
    member = make.member(membership.workspace, Role.CLIENT, brands=[brand])
    login(member.user)
    assert client.get(_url(membership, brand)).status_code == 403


def test_oauth_start_and_callback(app, client, login, owner, monkeypatch):
    from studio.channels import views
    from studio.publishing import AccountInfo
    from studio.publishing.adapters.oauth import TokenSet
    from studio.publishing.adapters.x import XAdapter

    membership, brand = owner
    app.config.update(X_CLIENT_ID="cid", X_CLIENT_SECRET="csecret")
    try:
        login(membership.user)
        form = client.get(_url(membership, brand, "?platform=x")).get_data(as_text=True)
        assert "Continue to X" in form and 'name="access_token"' not in form
        start = client.form(_url(membership, brand, "/oauth"), {"platform": "x"})
        assert start.status_code == 303
        target = urlsplit(start.headers["Location"])
        query = parse_qs(target.query)
        assert target.netloc == "x.com" and query["client_id"] == ["cid"]
        assert query["code_challenge_method"] == ["S256"]
        state = query["state"][0]

        # A callback with another state is not ours.
        assert client.get("/channels/oauth/x/callback?state=forged&code=c").status_code == 404

        seen = {}

        def exchange(spec, **kw):
            seen.update(kw)
            return TokenSet("x-access", "x-refresh")

        monkeypatch.setattr(views.oauth_flow, "exchange_code", exchange)
        monkeypatch.setattr(
            XAdapter,
            "verify",
            lambda self, creds: AccountInfo("Ember on X", "@ember", None, None, "42"),
        )
        done = client.get(f"/channels/oauth/x/callback?state={state}&code=the-code")
        assert done.status_code == 303
        assert seen["code"] == "the-code" and seen["code_verifier"]
        channel = db.session.scalar(select(Channel).where(Channel.brand_id == brand.id))
        assert channel.platform == "x" and channel.display_name == "Ember on X"
        with app.app_context():
            creds = ops.open_credentials(channel)
        assert creds["access_token"] == "x-access" and creds["refresh_token"] == "x-refresh"
        # The state is single-use.
        assert client.get(f"/channels/oauth/x/callback?state={state}&code=c").status_code == 404
    finally:
        app.config.pop("X_CLIENT_ID")
        app.config.pop("X_CLIENT_SECRET")


@pytest.fixture
def x_channel(app, owner, fake, monkeypatch):
    """An X channel signed in through OAuth (refresh token stored), X played by ``fake``."""
    from dataclasses import replace

    from studio.publishing import OAUTH
    from studio.publishing.adapters.x import XAdapter
    from tests.unit.publishing.fakeplatforms import X_TOKEN_PATH, FakeX

    membership, brand = owner
    x = FakeX(fake)
    monkeypatch.setitem(app.config, "X_CLIENT_ID", x.client_id)
    monkeypatch.setitem(app.config, "X_CLIENT_SECRET", x.client_secret)
    monkeypatch.setattr(XAdapter, "default_base_url", fake.url)
    monkeypatch.setitem(OAUTH, "x", replace(OAUTH["x"], token_url=fake.url + X_TOKEN_PATH))
    with app.app_context():
        values = {"access_token": x.access_token, "refresh_token": x.refresh_token}
        channel = ops.connect_channel(membership, brand, "x", values)
        db.session.commit()
    return x, channel


def test_testing_a_connection_renews_a_token_refused_early(
    app, client, login, owner, fake, x_channel
):
    membership, _ = owner
    x, channel = x_channel
    x.revoke()
    login(membership.user)

    tested = client.form(f"/w/{membership.workspace.slug}/channels/{channel.id}/test", htmx=True)

    assert "Connection works" in tested.get_data(as_text=True)
    assert len(fake.calls("POST", r"/2/oauth2/token")) == 1
    assert len(fake.calls("GET", r"/2/users/me")) == 3  # connect, refused, renewed
    db.session.refresh(channel)
    assert channel.status == "connected"
    with app.app_context():
        assert ops.open_credentials(channel)["access_token"] == "x-access-1"


def test_testing_a_connection_with_a_revoked_grant_asks_to_reconnect(
    app, client, login, owner, fake, x_channel
):
    import html

    membership, _ = owner
    x, channel = x_channel
    x.revoke()
    x.refuse_refresh = True
    login(membership.user)

    tested = client.form(f"/w/{membership.workspace.slug}/channels/{channel.id}/test", htmx=True)

    page = html.unescape(tested.get_data(as_text=True))
    assert "X would not renew the channel's access token" in page
    assert "connects it to X again" in page and "Connection works" not in page
    assert len(fake.calls("POST", r"/2/oauth2/token")) == 1
    assert len(fake.calls("GET", r"/2/users/me")) == 2  # connect, refused: no second check
    db.session.refresh(channel)
    assert channel.status == "needs_attention"
    assert channel.last_error.startswith("X would not renew")


# -- server addresses: public servers only ---------------------------------------------------

PRIVATE = "That address points inside a private network; Plume only connects to public servers."


@pytest.fixture
def guarded(app, monkeypatch):
    """The studio as in production: channels may not point at private hosts."""
    monkeypatch.setitem(app.config, "PUBLISH_ALLOW_PRIVATE_HOSTS", False)
    return FakeNet(monkeypatch)


@pytest.mark.parametrize(
    ("platform", "field", "address", "others"),
    [
        ("mastodon", "instance_url", "{fake}", {"access_token": "t"}),
        ("mastodon", "instance_url", "https://169.254.169.254", {"access_token": "t"}),
        ("mastodon", "instance_url", "localhost:3000", {"access_token": "t"}),
        ("mastodon", "instance_url", "https://metadata.example", {"access_token": "t"}),
        (
            "bluesky",
            "pds_url",
            "https://[::ffff:127.0.0.1]",
            {"handle": "e.test", "app_password": "p"},
        ),
        ("bluesky", "pds_url", "https://split.example", {"handle": "e.test", "app_password": "p"}),
        ("webhook", "url", "https://[::1]/hook", {"secret": "s"}),
        ("webhook", "url", "https://hooks.internal.example/in", {"secret": "s"}),
    ],
)
def test_a_private_server_address_is_refused_beside_its_field(
    client, login, owner, fake, guarded, platform, field, address, others
):
    guarded.names["metadata.example"] = ["169.254.169.254"]
    guarded.names["split.example"] = ["93.184.216.34", "10.0.0.7"]
    guarded.names["hooks.internal.example"] = ["fd00::5"]
    membership, brand = owner
    login(membership.user)
    response = client.form(
        _url(membership, brand),
        {"platform": platform, field: address.format(fake=fake.url), **others},
        htmx=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<span class="error" role="alert" id="cf-{field}-error">{PRIVATE}</span>' in html
    assert 'aria-invalid="true"' in html and 'id="connect-error"' not in html
    assert fake.requests == [] and guarded.connected == []
    assert db.session.scalar(select(Channel).where(Channel.brand_id == brand.id)) is None


def test_plain_http_is_refused_for_a_public_server(client, login, owner, guarded):
    guarded.names["hooks.example"] = ["93.184.216.34"]
    membership, brand = owner
    login(membership.user)
    response = client.form(
        _url(membership, brand),
        {"platform": "webhook", "url": "http://hooks.example/in", "secret": "s"},
        htmx=True,
    )
    assert response.status_code == 422
    assert "Use the https:// address" in response.get_data(as_text=True)
    assert guarded.connected == []


def test_a_public_server_connects_and_a_name_rebound_inside_is_refused_later(
    client, login, owner, guarded, monkeypatch
):
    server_tls, _ = tls_pair(monkeypatch, "mastodon.example")
    with FakeServer(tls=server_tls) as server:
        mastodon = FakeMastodon(server)
        guarded.serve("mastodon.example", server.port)  # resolves to 93.184.216.34
        membership, brand = owner
        login(membership.user)
        response = client.form(
            _url(membership, brand),
            {
                "platform": "mastodon",
                "instance_url": "https://mastodon.example",
                "access_token": mastodon.token,
            },
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:800]
        channel = db.session.scalar(select(Channel).where(Channel.brand_id == brand.id))
        assert channel.handle == "@ember@mastodon.example"

        # The name now points at the cloud metadata service: "Test connection" stops there.
        guarded.names["mastodon.example"] = ["169.254.169.254"]
        tested = client.form(
            f"/w/{membership.workspace.slug}/channels/{channel.id}/test", htmx=True
        )
        assert PRIVATE in tested.get_data(as_text=True)
        assert len(server.calls("GET", r"/api/v1/accounts/verify_credentials")) == 1
        db.session.refresh(channel)
        assert channel.status == "needs_attention" and channel.last_error == PRIVATE
