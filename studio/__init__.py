"""Plume: a server-rendered, collaborative content studio."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from studio.config import PROJECT_ROOT, Config, DevelopmentConfig, TestConfig


def create_app(
    config: type[Config] | None = None, overrides: dict[str, Any] | None = None
) -> Flask:
    """Build the studio application."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(Path(os.environ.get("PLUME_INSTANCE_PATH", PROJECT_ROOT / "instance"))),
    )
    if config is None:
        config = TestConfig if os.environ.get("PLUME_ENV") == "test" else DevelopmentConfig
    app.config.from_object(config)
    if overrides:
        app.config.update(overrides)
    _finish_config(app)

    from studio import cli, errors, security, web
    from studio.extensions import csrf, db, htmx, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)

    from studio.database import configure_engine

    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])

    security.init_app(app)
    web.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    return app


def _finish_config(app: Flask) -> None:
    from studio.database import normalise_database_url

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'plume.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        # Rate limits live in the same Redis; `limits` spells a socket URL redis+unix://.
        app.config["RATELIMIT_STORAGE_URI"] = _limits_storage_uri(app.config["REDIS_URL"])
    app.config.setdefault("EXPORT_DIR", str(Path(app.instance_path) / "exports"))


def _limits_storage_uri(redis_url: str) -> str:
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        query = f"?{parts.query}" if parts.query else ""
        return f"redis+unix://{parts.path}{query}"
    return redis_url


def _instance_secret(instance: Path) -> str:
    # A local install keeps one random key across restarts so sessions survive them.
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _register_blueprints(app: Flask) -> None:
    from studio.approvals.views import bp as approvals_bp
    from studio.assets.views import bp as assets_bp
    from studio.assets.views import public_bp as assets_public_bp
    from studio.auth.views import bp as auth_bp
    from studio.brands.views import bp as brands_bp
    from studio.calendar.views import bp as calendar_bp
    from studio.calendar.views import feed_bp as calendar_feed_bp
    from studio.channels.views import bp as channels_bp
    from studio.channels.views import oauth_bp as channels_oauth_bp
    from studio.comments.views import bp as comments_bp
    from studio.composer.views import bp as composer_bp
    from studio.health import bp as health_bp
    from studio.kits.views import bp as kits_bp
    from studio.reports.views import bp as reports_bp
    from studio.reports.views import link_bp as reports_link_bp
    from studio.tasks.views import bp as tasks_bp
    from studio.workspaces.views import bp as workspaces_bp
    from studio.workspaces.views import home_bp

    for bp in (
        auth_bp,
        home_bp,
        workspaces_bp,
        brands_bp,
        kits_bp,
        assets_bp,
        assets_public_bp,
        composer_bp,
        approvals_bp,
        channels_bp,
        channels_oauth_bp,
        calendar_bp,
        calendar_feed_bp,
        comments_bp,
        reports_bp,
        reports_link_bp,
        tasks_bp,
        health_bp,
    ):
        app.register_blueprint(bp)
