"""Adapters call public servers only: checked on every connection, so DNS rebinding fails.

Here the private-host guard is on (``allow_private_hosts`` left at its default, as in
production); :class:`FakeNet` plays DNS and routes one public address to a local fake.
"""

from __future__ import annotations

import ssl
import threading

import httpx
import pytest

from studio.netguard import PRIVATE_MESSAGE
from studio.publishing.adapters.base import PRIVATE_ADDRESS_ACTION, OutgoingPost
from studio.publishing.adapters.bluesky import BlueskyAdapter, SessionCache
from studio.publishing.adapters.mastodon import MastodonAdapter
from studio.publishing.adapters.transport import shared_ssl_context
from studio.publishing.adapters.webhook import WebhookAdapter
from studio.publishing.errors import CONFIG, PermanentError, TransientError
from tests.unit.publishing.conftest import CLIENT_TIMEOUT
from tests.unit.publishing.fakenet import PUBLIC_IP, FakeNet, tls_pair
from tests.unit.publishing.fakeplatforms import FakeMastodon
from tests.unit.publishing.fakeserver import FakeServer, Reply


def _guarded(platform: str):
    """Return an adapter with the guard on, and credentials with the address left to fill."""
    if platform == "mastodon":
        return MastodonAdapter(timeout=CLIENT_TIMEOUT), "instance_url", {"access_token": "t"}
    if platform == "bluesky":
        adapter = BlueskyAdapter(sessions=SessionCache(), timeout=CLIENT_TIMEOUT)
        return adapter, "pds_url", {"handle": "ember.test", "app_password": "p"}
    return WebhookAdapter(timeout=CLIENT_TIMEOUT), "url", {"secret": "s"}


def _refused(call) -> PermanentError:
    with pytest.raises(PermanentError) as caught:
        call()
    assert caught.value.kind == CONFIG
    assert caught.value.message == PRIVATE_MESSAGE
    assert caught.value.action == PRIVATE_ADDRESS_ACTION
    return caught.value


@pytest.mark.parametrize("platform", ["mastodon", "bluesky", "webhook"])
def test_a_local_server_is_refused_before_anything_is_sent(platform, server: FakeServer):
    server.route("POST", r".*", Reply(200, {}))
    adapter, field, creds = _guarded(platform)
    creds = {**creds, field: server.url + ("/hook" if platform == "webhook" else "")}

    _refused(lambda: adapter.verify(creds))
    _refused(lambda: adapter.publish(OutgoingPost("Hello"), creds, "k"))
    assert server.requests == []


@pytest.mark.parametrize("platform", ["mastodon", "bluesky", "webhook"])
@pytest.mark.parametrize(
    "answers",
    [
        ["127.0.0.1"],
        ["169.254.169.254"],  # cloud metadata
        ["::ffff:10.0.0.1"],  # IPv4-mapped IPv6
        ["fd00::1"],
        [PUBLIC_IP, "10.0.0.7"],  # any private answer is enough
    ],
)
def test_a_name_resolving_inside_the_network_is_refused_on_sending(platform, answers, monkeypatch):
    net = FakeNet(monkeypatch)
    net.names["inside.example"] = answers
    adapter, field, creds = _guarded(platform)
    creds = {**creds, field: "https://inside.example"}

    _refused(lambda: adapter.publish(OutgoingPost("Hello"), creds, "k"))
    assert net.connected == []  # refused before connecting, not after


def test_a_public_server_is_reached_at_the_checked_address_and_a_rebound_name_is_refused(
    monkeypatch,
):
    net = FakeNet(monkeypatch)
    server_tls, _ = tls_pair(monkeypatch, "mastodon.example")
    with FakeServer(tls=server_tls) as server:
        mastodon = FakeMastodon(server)
        net.serve("mastodon.example", server.port)
        adapter = MastodonAdapter(timeout=2.0)
        creds = {"instance_url": "mastodon.example", "access_token": mastodon.token}

        info = adapter.verify(creds)  # over TLS, the certificate checked for the name

        assert info.handle == "@ember@mastodon.example"
        assert net.connected == [(PUBLIC_IP, 443)]
        assert len(server.calls("GET", r"/api/v1/accounts/verify_credentials")) == 1

        # The name now points at the machine itself (DNS rebinding): the next send stops.
        net.names["mastodon.example"] = ["127.0.0.1"]
        _refused(lambda: adapter.publish(OutgoingPost("Hello"), creds, "k"))
        assert mastodon.statuses == []
        assert len(server.requests) == 1


def test_a_certificate_for_another_name_is_still_refused(monkeypatch):
    net = FakeNet(monkeypatch)
    server_tls, _ = tls_pair(monkeypatch, "other.example")
    with FakeServer(tls=server_tls) as server:
        FakeMastodon(server)
        net.serve("mastodon.example", server.port)
        with pytest.raises(TransientError) as caught:
            MastodonAdapter(timeout=2.0).verify(
                {"instance_url": "https://mastodon.example", "access_token": "good-token"}
            )
        # Connecting to the checked IP still verifies the certificate against the name.
        assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value.__cause__)
        assert server.requests == []


def test_adapter_clients_share_one_tls_context(monkeypatch):
    shared_ssl_context()  # built once, on first use
    loads: list[object] = []
    original = ssl.SSLContext.load_verify_locations

    def counting(self, *args, **kwargs):
        loads.append(args or kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    for allow in (False, True):
        for _ in range(3):
            MastodonAdapter(allow_private_hosts=allow)._client().close()
    assert loads == []  # no CA bundle loaded again per client
    httpx.Client().close()
    assert loads  # which is what a default httpx client does every time

    seen: list[ssl.SSLContext] = []
    threads = [threading.Thread(target=lambda: seen.append(shared_ssl_context())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {id(context) for context in seen} == {id(shared_ssl_context())}
