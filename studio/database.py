"""Engine set-up: SQLite pragmas and up-front write locks, PostgreSQL URL normalising."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 5000

# Transactions take SQLite's write lock up front (BEGIN IMMEDIATE) unless the caller
# declared that it only reads: a deferred transaction that later writes cannot wait for
# the lock and fails at once with "database is locked".
_write_intent: ContextVar[bool] = ContextVar("sqlite_write_intent", default=True)


def normalise_database_url(url: str) -> str:
    """Point postgres URLs at the psycopg 3 driver that the project installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def set_write_intent(writes: bool) -> object:
    """Declare whether the coming transactions may write; returns a token for reset."""
    return _write_intent.set(writes)


def reset_write_intent(token: object) -> None:
    """Undo set_write_intent."""
    _write_intent.reset(token)  # type: ignore[arg-type]


@contextmanager
def read_only() -> Iterator[None]:
    """Run a block whose transactions only read (plain BEGIN on SQLite)."""
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_engine(engine: Engine, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    """Install the per-connection settings the studio relies on."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Hand transaction control to SQLAlchemy's "begin" hook below: pysqlite's own
        # implicit BEGIN is always deferred.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
