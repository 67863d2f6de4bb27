"""The database as the app sees it: migrations match the models; busy database gives 503."""

from __future__ import annotations

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import OperationalError

from studio.database import read_only
from studio.extensions import db


def test_migrations_produce_exactly_the_models_schema(app):
    # A second connection beside the test's own, which holds SQLite's write lock: read only.
    with app.app_context(), read_only(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


def test_locked_database_answers_503_and_says_nothing_was_saved(client, make, login, monkeypatch):
    owner = make.member(make.workspace())
    login(owner.user)
    from studio.brands import views

    def locked(*_a, **_k):
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(views.ops, "create_brand", locked)
    response = client.form(
        f"/w/{owner.workspace.slug}/brands",
        {"name": "Busy", "timezone": "UTC", "colour": "#000000"},
        htmx=True,
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "Nothing was saved" in response.headers["X-Plume-Message"]
