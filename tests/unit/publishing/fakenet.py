"""A pretend internet for the private-host guard's tests: DNS answers and public addresses.

:class:`FakeNet` makes chosen host names resolve to chosen addresses (everything else
resolves as usual), and sends connections to chosen *public* addresses to a local fake
server instead, so a test can prove that Plume accepted a public address and connected to
exactly the address it checked. Connections to any other public address fail at once:
nothing in the tests reaches the real internet.

:func:`tls_pair` makes a throwaway CA and a certificate for some names, for fakes that
speak HTTPS, so the certificate is checked against the name while the connection goes to
the checked IP address.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import socket
import ssl
import tempfile
from typing import Any

import httpcore
import pytest

from studio import netguard
from studio.publishing.adapters import transport

__all__ = ["PUBLIC_IP", "FakeNet", "tls_pair"]

PUBLIC_IP = "93.184.216.34"  # example.com's long-time address: public, never contacted here


class FakeNet:
    """Fake DNS answers and routes from public addresses to local ports (monkeypatched)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: dict[str, list[str]] = {}
        self.routes: dict[str, int] = {}  # public IP -> port of a fake on 127.0.0.1
        self.connected: list[tuple[str, int]] = []  # addresses the adapters connected to
        real_getaddrinfo = socket.getaddrinfo
        real_connect = httpcore.SyncBackend.connect_tcp

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
            if host not in self.names:
                return real_getaddrinfo(host, port, *args, **kwargs)
            answers = []
            for address in self.names[host]:
                if ipaddress.ip_address(address).version == 6:
                    answers.append(
                        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
                    )
                else:
                    answers.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
            return answers

        def connect_tcp(backend: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
            self.connected.append((host, port))
            if host in self.routes:
                return real_connect(backend, "127.0.0.1", self.routes[host], *args, **kwargs)
            if _is_ip(host) and netguard.is_public(host):
                raise httpcore.ConnectError("no route to the real internet in tests")
            return real_connect(backend, host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)

    def serve(self, name: str, port: int, address: str = PUBLIC_IP) -> None:
        """Make ``name`` resolve to the public ``address``, which leads to a local port."""
        self.names[name] = [address]
        self.routes[address] = port


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@functools.cache
def _certificates(names: tuple[str, ...]) -> tuple[bytes, bytes, bytes]:
    """Return (CA certificate, leaf certificate, leaf key) PEMs for ``names``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Plume test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ca.public_bytes(pem), leaf.public_bytes(pem), key_pem


def tls_pair(monkeypatch: pytest.MonkeyPatch, *names: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """Return (server context, client context) for ``names``; adapters trust only that CA."""
    ca_pem, cert_pem, key_pem = _certificates(names)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.NamedTemporaryFile("wb", suffix=".pem") as chain:
        chain.write(cert_pem + key_pem)
        chain.flush()
        server.load_cert_chain(chain.name)
    client = ssl.create_default_context(cadata=ca_pem.decode("ascii"))
    monkeypatch.setattr(transport, "_ssl_context", client)
    return server, client
