"""SQLite connection settings and concurrent writers; URL handling."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from studio.database import configure_engine, normalise_database_url, read_only


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'concurrency.db'}")
    configure_engine(engine, busy_timeout_ms=5000)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    yield engine
    engine.dispose()


def test_every_connection_has_wal_foreign_keys_and_busy_timeout(engine):
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_concurrent_read_modify_write_transactions_wait_instead_of_failing(engine):
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(20):
                with engine.begin() as conn:
                    value = conn.execute(text("SELECT value FROM counter WHERE id = 1")).scalar()
                    time.sleep(0.001)  # widen the window in which a deferred transaction would lose
                    conn.execute(
                        text("UPDATE counter SET value = :v WHERE id = 1"), {"v": value + 1}
                    )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        # BEGIN IMMEDIATE serialises the read and the write, so no increment is lost.
        assert conn.execute(text("SELECT value FROM counter")).scalar() == 80


def test_read_only_block_does_not_take_the_write_lock(engine, tmp_path):
    holder = engine.connect()
    holder.begin()  # BEGIN IMMEDIATE: holds the write lock
    holder.execute(text("UPDATE counter SET value = 5"))
    impatient = create_engine(f"sqlite:///{tmp_path / 'concurrency.db'}")
    configure_engine(impatient, busy_timeout_ms=50)
    try:
        with read_only(), impatient.connect() as conn:
            # A reader is not blocked by the writer in WAL mode, and sees the committed value.
            assert conn.execute(text("SELECT value FROM counter")).scalar() == 0
        with pytest.raises(OperationalError, match="locked"), impatient.begin() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        holder.rollback()
        holder.close()
        impatient.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_use_psycopg3(given, expected):
    assert normalise_database_url(given) == expected
