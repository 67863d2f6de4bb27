"""The connections adapters open: one shared TLS context, and only to public addresses.

Two things every adapter call needs and that are wasteful or unsafe to leave to httpx's
defaults:

- **One TLS context.** ``httpx.Client()`` builds a new ``ssl.SSLContext`` and loads the CA
  bundle into it every time, tens of milliseconds per publish. :func:`shared_ssl_context`
  builds it once, on first use. Sharing it between threads is safe: httpcore only ever sets
  the same ALPN list (``http/1.1``) on it, because no adapter client speaks HTTP/2.
- **Public addresses only.** :func:`public_only_transport` checks the addresses a host name
  resolves to right before connecting, and connects to exactly those addresses, so a name
  re-pointed at an internal host after the channel was connected (DNS rebinding) is refused
  at send time with :class:`studio.netguard.PrivateAddress`.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from studio import netguard

__all__ = ["public_only_transport", "shared_ssl_context"]

_ssl_context: ssl.SSLContext | None = None
_ssl_lock = threading.Lock()


def shared_ssl_context() -> ssl.SSLContext:
    """Return the TLS context all adapter clients verify servers with, built once."""
    global _ssl_context
    if _ssl_context is None:
        with _ssl_lock:
            if _ssl_context is None:
                # The same trust as httpx's default: certifi, or SSL_CERT_FILE / SSL_CERT_DIR.
                _ssl_context = httpx.create_ssl_context()
    return _ssl_context


class _PublicOnlyBackend(httpcore.SyncBackend):
    """Resolve the host, refuse it if any address is not public, connect to a checked one."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = netguard.public_addresses(host, port)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"could not resolve the host ({exc})") from exc
        failure: Exception | None = None
        for address in addresses:  # in the resolver's order, as socket.create_connection does
            try:
                return super().connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure


class _PublicOnlyTransport(httpx.HTTPTransport):
    """httpx's transport, connecting through :class:`_PublicOnlyBackend`.

    httpx offers no argument for the network backend, so this replaces the connection pool
    it builds (when no proxy is configured) with the same pool plus the backend. The guard
    needs direct connections: through a proxy, the proxy would resolve the name instead.
    """

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=100,  # httpx's default limits
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_PublicOnlyBackend(),
        )


def public_only_transport() -> httpx.HTTPTransport:
    """Return a transport for one client that connects only to public addresses."""
    return _PublicOnlyTransport(shared_ssl_context())
