"""The private-host guard: which addresses are public, and what a typed address must be."""

from __future__ import annotations

import socket

import pytest

from studio import netguard
from studio.netguard import HTTPS_MESSAGE, PRIVATE_MESSAGE, AddressRefused, PrivateAddress


def resolver(table: dict[str, list[str]]):
    """Return a getaddrinfo stand-in answering from ``table`` (unknown names do not resolve)."""

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in table[host]
        ]

    return getaddrinfo


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "fe80::1%eth0",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped IPv6
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2001:db8::1",  # documentation
    ],
)
def test_internal_addresses_are_not_public(address):
    assert not netguard.is_public(address)


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "8.8.8.8",
        "::ffff:93.184.216.34",
        "2606:4700:4700::1111",
        "64:ff9b::808:808",
    ],
)
def test_internet_addresses_are_public(address):
    assert netguard.is_public(address)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1",
        "https://localhost:3000",
        "https://printer.localhost",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]",
        "https://[fd00::5]",
        "http://10.0.0.8:8080",
        "https://metadata.example",  # resolves to 169.254.169.254
        "https://split.example",  # one public and one private address
        "https://sixes.example",  # AAAA to an IPv4-mapped loopback
    ],
)
def test_addresses_inside_a_private_network_are_refused(url):
    dns = resolver(
        {
            "metadata.example": ["169.254.169.254"],
            "split.example": ["93.184.216.34", "10.0.0.7"],
            "sixes.example": ["::ffff:127.0.0.1"],
        }
    )
    with pytest.raises(PrivateAddress) as caught:
        netguard.check_url(url, resolve=dns)
    assert caught.value.message == PRIVATE_MESSAGE


def test_a_public_address_passes_with_or_without_its_scheme():
    dns = resolver({"mastodon.example": ["93.184.216.34", "2606:2800:220:1::1946"]})
    netguard.check_url("https://mastodon.example", resolve=dns)
    netguard.check_url("mastodon.example/", resolve=dns)
    assert netguard.public_addresses("mastodon.example", 443, resolve=dns) == [
        "93.184.216.34",
        "2606:2800:220:1::1946",
    ]


def test_plain_http_is_refused_for_public_servers():
    dns = resolver({"hooks.example": ["93.184.216.34"]})
    with pytest.raises(AddressRefused) as caught:
        netguard.check_url("http://hooks.example/in", resolve=dns)
    assert caught.value.message == HTTPS_MESSAGE


def test_a_name_that_does_not_resolve_is_named():
    with pytest.raises(AddressRefused, match=r"could not find a server at nowhere\.example"):
        netguard.check_url("https://nowhere.example", resolve=resolver({}))


@pytest.mark.parametrize("url", ["ftp://files.example", "https://", "https://x.example:99999"])
def test_what_is_not_a_server_address_is_refused(url):
    with pytest.raises(AddressRefused):
        netguard.check_url(url, resolve=resolver({"x.example": ["93.184.216.34"]}))


def test_private_hosts_and_http_are_allowed_when_the_setting_says_so():
    def no_dns(*args, **kwargs):
        raise AssertionError("no lookup when private hosts are allowed")

    netguard.check_url("http://127.0.0.1:8080", allow_private=True, resolve=no_dns)
    netguard.check_url("http://localhost/hook", allow_private=True, resolve=no_dns)
    with pytest.raises(AddressRefused):
        netguard.check_url("gopher://127.0.0.1", allow_private=True, resolve=no_dns)
