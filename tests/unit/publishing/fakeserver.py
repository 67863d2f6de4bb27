"""A real HTTP server on 127.0.0.1 that plays a social platform in tests.

It records every request exactly as received (method, path, query, headers, raw body) and
answers from routes: a fixed :class:`Reply` or a function of the request. Faults are
answers too: ``Reply(delay=...)`` answers late (the client times out after sending),
``Reply(drop=True)`` closes the connection without answering, and :meth:`FakeServer.next`
queues one-shot replies, optionally *after* the route ran, to play "the platform acted but
the answer was lost". :class:`Chaos` injects such faults at random for soak and fault tests.

Usage::

    with FakeServer() as server:
        server.route("POST", "/api/v1/statuses", Reply(200, {"id": "1"}))
        ...  # point the adapter at server.url
        assert server.calls("POST", "/api/v1/statuses")[0].header("Idempotency-Key") == "k"
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import socket
import ssl
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Chaos", "FakeServer", "Part", "Recorded", "Reply", "closed_port_url"]


@dataclass(frozen=True)
class Part:
    """One field of a multipart/form-data body."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    match: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        """Return an application/x-www-form-urlencoded body's fields (repeats kept)."""
        return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)

    def multipart(self) -> dict[str, list[Part]]:
        """Return a multipart/form-data body's fields, parsed byte for byte."""
        ctype = self.header("content-type") or ""
        m = re.search(r'boundary="?([^";]+)"?', ctype)
        if not ctype.startswith("multipart/form-data") or not m:
            raise AssertionError(f"not a multipart body: {ctype!r}")
        delimiter = b"--" + m.group(1).encode()
        chunks = self.body.split(delimiter)
        if not chunks[-1].startswith(b"--"):
            raise AssertionError("multipart body is not terminated")
        fields: dict[str, list[Part]] = {}
        for chunk in chunks[1:-1]:
            if not chunk.startswith(b"\r\n") or not chunk.endswith(b"\r\n"):
                raise AssertionError("malformed multipart part")
            head, _, data = chunk[2:-2].partition(b"\r\n\r\n")
            headers = {}
            for line in head.decode("utf-8").split("\r\n"):
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            disposition = headers.get("content-disposition", "")
            name = re.search(r'\bname="([^"]*)"', disposition)
            filename = re.search(r'\bfilename="([^"]*)"', disposition)
            part = Part(
                name=name.group(1) if name else "",
                filename=filename.group(1) if filename else None,
                content_type=headers.get("content-type"),
                data=data,
            )
            fields.setdefault(part.name, []).append(part)
        return fields


@dataclass
class Reply:
    """How the server answers one request."""

    status: int = 200
    json: Any = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # wait this long before answering
    drop: bool = False  # close the connection without any answer


Handler = Reply | Callable[[Recorded], Reply]


@dataclass
class Chaos:
    """Random faults on matching requests, reproducible from ``seed``.

    ``error`` answers 503 without acting; ``drop_before`` closes the connection without
    acting; ``drop_after`` acts and then closes without answering; ``slow`` acts and
    answers after ``slow_seconds``.
    """

    seed: int = 0
    error: float = 0.0
    drop_before: float = 0.0
    drop_after: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 2.0
    methods: tuple[str, ...] = ("POST",)
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    def roll(self, rate: float, name: str) -> bool:
        with self._lock:
            hit = self._random.random() < rate
            if hit:
                self.counts[name] = self.counts.get(name, 0) + 1
            return hit


@dataclass
class _Queued:
    reply: Reply
    process: bool


class FakeServer:
    """A threaded HTTP/1.1 server on a random local port; use as a context manager.

    With ``tls`` (a server-side SSL context) it speaks HTTPS, for tests that must go through
    certificate checks (see :mod:`tests.unit.publishing.fakenet`).
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Recorded] = []
        self.chaos: Chaos | None = None
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._queued: dict[tuple[str, str], deque[_Queued]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _RequestHandler)
        self._httpd.fake = self
        self._tls = tls
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{'https' if self._tls else 'http'}://{host}:{port}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Answer ``method`` requests whose path fully matches regex ``pattern``."""
        self._routes.append((method.upper(), re.compile(pattern), handler))

    def next(self, method: str, pattern: str, *replies: Reply, process: bool = False) -> None:
        """Queue one-shot replies for the next matching requests, ahead of the route.

        With ``process`` the route still runs (the platform acts) and the queued reply is
        sent instead of its answer.
        """
        key = (method.upper(), pattern)
        with self._lock:
            queue = self._queued.setdefault(key, deque())
            queue.extend(_Queued(r, process) for r in replies)

    def calls(self, method: str | None = None, pattern: str | None = None) -> list[Recorded]:
        """Return the recorded requests, optionally only those matching method and path."""
        with self._lock:
            found = list(self.requests)
        if method:
            found = [r for r in found if r.method == method.upper()]
        if pattern:
            regex = re.compile(pattern)
            found = [r for r in found if regex.fullmatch(r.path)]
        return found

    def close(self) -> None:
        """Stop serving; pending delayed answers wake up and give up."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- dispatch (runs on the server's threads) ------------------------------------------

    def _dispatch(self, request: Recorded) -> Reply:
        with self._lock:
            self.requests.append(request)
        queued = self._take_queued(request)
        if queued is not None and not queued.process:
            return queued.reply
        chaos = self.chaos
        if queued is None and chaos and request.method in chaos.methods:
            if chaos.roll(chaos.drop_before, "drop_before"):
                return Reply(drop=True)
            if chaos.roll(chaos.error, "error"):
                return Reply(503, {"error": "Service Unavailable"})
        reply = self._route(request)
        if queued is not None:
            return queued.reply
        if chaos and request.method in chaos.methods and 200 <= reply.status < 300:
            if chaos.roll(chaos.drop_after, "drop_after"):
                return Reply(drop=True)
            if chaos.roll(chaos.slow, "slow"):
                reply.delay = max(reply.delay, chaos.slow_seconds)
        return reply

    def _take_queued(self, request: Recorded) -> _Queued | None:
        with self._lock:
            for (method, pattern), queue in self._queued.items():
                if method == request.method and queue and re.fullmatch(pattern, request.path):
                    return queue.popleft()
        return None

    def _route(self, request: Recorded) -> Reply:
        for method, pattern, handler in self._routes:
            m = pattern.fullmatch(request.path)
            if m and method == request.method:
                request.match = {k: v for k, v in m.groupdict().items() if v is not None}
                return handler(request) if callable(handler) else _copy(handler)
        return Reply(404, {"error": "Record not found"})


def _copy(reply: Reply) -> Reply:
    return Reply(reply.status, reply.json, reply.body, dict(reply.headers), reply.delay, reply.drop)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out leave broken pipes behind; that is the point of the test.
        pass


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Recorded(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        reply = fake._dispatch(request)
        if reply.delay and fake._stopping.wait(reply.delay):
            reply = Reply(drop=True)
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload = reply.body
        headers = dict(reply.headers)
        if reply.json is not None:
            payload = json.dumps(reply.json).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        try:
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


def closed_port_url() -> str:
    """Return an http://127.0.0.1 URL on which nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
