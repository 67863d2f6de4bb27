"""Fixtures: the app on a real database (SQLite or PostgreSQL), rolled back per test; real Redis."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from redis import Redis
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from tests.support import databases

os.environ.setdefault("PLUME_ENV", "test")


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(re.sub(r"\D", "", worker) or 0)


def _run_id() -> str:
    # xdist gives every run an id its workers share; two runs at once (a developer's and
    # CI's, say) must never drop each other's PostgreSQL databases.
    return (os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"p{os.getpid()}")[:10]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Return a fresh database for this test process: SQLite file or a PostgreSQL database."""
    server = os.environ.get("TEST_DATABASE_URL", "")
    name = f"plume_test_{_run_id()}_{_worker_index()}"
    yield databases.fresh_database(server, tmp_path_factory.mktemp("db"), name)
    databases.drop_database(server, name)


def _redis_database(number: int) -> str:
    base = urlsplit(os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0")
    if base.scheme == "unix":
        return f"unix://{base.path}?db={number}"
    return urlunsplit(base._replace(path=f"/{number}"))


# Redis has databases 0-15: 0 and 1 are left to the studio itself, 2-8 belong to test
# processes, 9-14 to the live studios they start and 15 to the fault test.
@pytest.fixture(scope="session")
def redis_url() -> str:
    """Return a Redis database number of this process's own (flushed per test)."""
    return _redis_database(2 + _worker_index() % 7)


@pytest.fixture(scope="session")
def live_redis_url() -> str:
    """Return the Redis database for the live studio this process starts.

    Never the test process's own: the live studio's RQ worker would otherwise take the
    jobs that in-process tests queue and then run with ``run_jobs``.
    """
    return _redis_database(9 + _worker_index() % 6)


@pytest.fixture(scope="session")
def _app(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    from flask_migrate import upgrade

    from studio import create_app
    from studio.config import TestConfig

    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "EXPORT_DIR": str(instance / "exports"),
        },
    )
    app.instance_path = str(instance)
    with app.app_context():
        # The schema comes from the migrations, so every run also tests them.
        upgrade(revision="heads")
    yield app
    with app.app_context():
        from studio.extensions import db

        db.engine.dispose()


class _TestSession(scoped_session):
    """The one session a test and its requests share; Flask-SQLAlchemy's per-request
    remove() must not detach the objects the test is holding."""

    def remove(self) -> None:
        pass

    def really_remove(self) -> None:
        super().remove()


@pytest.fixture
def app(_app: Flask, redis_url: str) -> Iterator[Flask]:
    """The app, with every database change of the test rolled back afterwards.

    No app context stays pushed during the test: requests made by the test client would
    otherwise share one `g` (and so one signed-in user) between them.
    """
    from studio.extensions import db

    Redis.from_url(redis_url).flushdb()
    _app.extensions.pop("plume_redis", None)
    with _app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = _TestSession(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    )
    try:
        yield _app
    finally:
        db.session.really_remove()
        db.session = original
        outer.rollback()
        connection.close()


class StudioClient(FlaskClient):
    """A test client that can send forms with a valid CSRF token, as a browser would."""

    def csrf_token(self) -> str:
        app: Flask = self.application
        with self.session_transaction() as session:
            if "csrf_token" not in session:
                session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
            raw = session["csrf_token"]
        return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)

    def form(self, url: str, data: dict[str, Any] | None = None, htmx: bool = False, **kw: Any):
        """POST a form with its CSRF token (as a field, or as htmx's header)."""
        headers = dict(kw.pop("headers", {}) or {})
        payload = dict(data or {})
        token = self.csrf_token()
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRFToken": token})
        else:
            payload.setdefault("csrf_token", token)
        return self.post(url, data=payload, headers=headers, **kw)

    def hx_get(self, url: str, **kw: Any):
        """GET as htmx does."""
        headers = {"HX-Request": "true", **(kw.pop("headers", {}) or {})}
        return self.get(url, headers=headers, **kw)


@pytest.fixture
def client(app: Flask) -> StudioClient:
    app.test_client_class = StudioClient
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def make(app: Flask):
    """Factories for users, workspaces, memberships and brands (see tests/factories.py)."""
    from tests import factories

    return factories.Maker()


@pytest.fixture
def login(client: StudioClient):
    """Sign a user in through the real login form."""

    def _login(user, password: str | None = None) -> StudioClient:
        from tests.factories import DEFAULT_PASSWORD

        response = client.form(
            "/login", {"email": user.email, "password": password or DEFAULT_PASSWORD}
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return client

    return _login


@pytest.fixture
def run_jobs(app: Flask):
    """Run every queued job with a real RQ worker (burst mode) against the real Redis."""
    from studio.tasks.queue import get_queue, redis_connection
    from studio.tasks.worker import StudioSimpleWorker

    def _run() -> None:
        with app.app_context():
            worker = StudioSimpleWorker(
                [get_queue(name) for name in app.config["RQ_QUEUES"]],
                connection=redis_connection(),
                app=app,
            )
        worker.work(burst=True, logging_level="WARNING")

    return _run


def pytest_report_header(config: pytest.Config) -> str:
    raw = os.environ.get("TEST_DATABASE_URL", "")
    if not raw:
        return "database: SQLite (a file per test process)"
    return f"database: {make_url(raw).get_backend_name()} at {make_url(raw).host}"
