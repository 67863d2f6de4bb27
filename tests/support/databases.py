"""Create an empty database for a test process."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from studio.database import normalise_database_url


def fresh_database(server_url: str, tmp: Path, name: str) -> str:
    """Return the URL of a new empty database: a SQLite file, or a PostgreSQL database `name`."""
    if not server_url or server_url.startswith("sqlite"):
        return f"sqlite:///{tmp / 'plume.db'}"
    url = make_url(normalise_database_url(server_url))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    """Drop a PostgreSQL test database made by fresh_database (SQLite files go with tmp)."""
    if not server_url or server_url.startswith("sqlite"):
        return
    admin = create_engine(
        make_url(normalise_database_url(server_url)), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
