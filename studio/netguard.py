"""Refuse server addresses that point inside a private network (server-side request forgery).

People type server addresses when they connect some channels (a Mastodon server, a Bluesky
PDS, a webhook URL), and Plume's server then calls them. Without a check, such an address
could make Plume call its own machine, the office network or a cloud metadata service
(169.254.169.254) on the person's behalf. An address is allowed only when every address its
name resolves to is on the public internet.

Pure functions of the standard library: :func:`check_url` for a typed address (the connect
form), :func:`public_addresses` for the connection layer, which checks the addresses it is
about to connect to so that a name re-pointed after connecting (DNS rebinding) is caught.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "HTTPS_MESSAGE",
    "PRIVATE_MESSAGE",
    "AddressRefused",
    "PrivateAddress",
    "check_host",
    "check_url",
    "is_public",
    "public_addresses",
]

PRIVATE_MESSAGE = (
    "That address points inside a private network; Plume only connects to public servers."
)
HTTPS_MESSAGE = "Use the https:// address: Plume only connects to servers over an encrypted link."
UNKNOWN_HOST_MESSAGE = "Plume could not find a server at {host}; check the address."

Resolver = Callable[..., list[tuple[Any, ...]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# NAT64's well-known prefix carries an IPv4 address in its last 32 bits (RFC 6052).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(ValueError):
    """A typed server address Plume will not call; the message says why, for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PrivateAddress(AddressRefused):
    """The address is, or resolves to, a host that is not on the public internet."""

    def __init__(self, message: str = PRIVATE_MESSAGE) -> None:
        super().__init__(message)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(address: str | IPAddress) -> bool:
    """Say whether an IP address is globally routable (not private, loopback, link-local...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0]) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None and (ip.ipv4_mapped is not None or ip in _NAT64):
            # ::ffff:10.0.0.1 is 10.0.0.1 to the kernel, and a NAT64 gateway turns
            # 64:ff9b::a00:1 into 10.0.0.1: judge the IPv4 address alone.
            return is_public(embedded)
        if embedded is not None and not is_public(embedded):
            return False
        if ip.is_site_local:
            return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def check_host(host: str) -> None:
    """Refuse a host that is private by its spelling alone: a localhost name or IP literal.

    Needs no DNS, so it can run on every call; names are judged by :func:`public_addresses`.
    """
    name = host.strip().rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        raise PrivateAddress()
    ip = _literal(name)
    if ip is not None and not is_public(ip):
        raise PrivateAddress()


def public_addresses(host: str, port: int, *, resolve: Resolver | None = None) -> list[str]:
    """Return the IP addresses ``host`` resolves to, refusing if ANY of them is not public.

    Every address is checked, not only the first: a name that also resolves to an internal
    address must not be usable to reach it. Raises :class:`socket.gaierror` when the name
    does not resolve, as a connection attempt would.
    """
    check_host(host)
    lookup = resolve or socket.getaddrinfo
    infos = lookup(host.strip("[]"), port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _canonical, sockaddr in infos:
        address = str(sockaddr[0])
        if not is_public(address):
            raise PrivateAddress()
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    return addresses


def check_url(value: str, *, allow_private: bool = False, resolve: Resolver | None = None) -> None:
    """Refuse a typed server address Plume must not call, with a message for the person.

    ``allow_private`` (local development and tests) skips the network checks and allows
    ``http://``. Otherwise the address must be ``https://`` and its host must resolve only
    to public addresses. An address without a scheme is taken as ``https://``.
    """
    raw = (value or "").strip()
    parts = urlsplit(raw if "://" in raw else "https://" + raw)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise AddressRefused("Enter an address such as https://example.social.")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("Enter an address such as https://example.social.") from None
    try:
        public_addresses(host, port, resolve=resolve)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(UNKNOWN_HOST_MESSAGE.format(host=host)) from None
    if parts.scheme != "https":
        raise AddressRefused(HTTPS_MESSAGE)
