"""Configuration classes; secrets and service URLs come from the environment."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings for a running studio; every value can be set from the environment."""

    INSTANCE_PATH = Path(os.environ.get("PLUME_INSTANCE_PATH", PROJECT_ROOT / "instance"))
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # How long a SQLite writer waits for another's lock before giving up with a 503.
    SQLITE_BUSY_TIMEOUT_MS = _env_int("SQLITE_BUSY_TIMEOUT_MS", 5000)
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    RQ_QUEUES = ("default", "publishing", "reports")
    # A crashed worker's jobs must be found within two minutes: its key expires after
    # worker_ttl + 60 s, and abandoned jobs are swept every maintenance interval.
    RQ_WORKER_TTL = _env_int("RQ_WORKER_TTL", 60)
    RQ_MAINTENANCE_INTERVAL = _env_int("RQ_MAINTENANCE_INTERVAL", 30)
    RQ_JOB_MONITORING_INTERVAL = 30

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None means "Secure whenever the request itself came over HTTPS" (see studio.security).
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False) or None
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 14
    TRUST_PROXY_HEADERS = _env_bool("TRUST_PROXY_HEADERS", False)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = _env_int("MAX_UPLOAD_BYTES", 64 * 1024 * 1024)
    MAX_FORM_MEMORY_SIZE = 512 * 1024
    MEDIA_MAX_UPLOAD_BYTES = _env_int("MEDIA_MAX_UPLOAD_BYTES", 40 * 1024 * 1024)
    # Renditions a web process makes at once, and how long a request waits for its turn.
    RENDER_CONCURRENCY = _env_int("RENDER_CONCURRENCY", 2)
    RENDER_WAIT_SECONDS = _env_int("RENDER_WAIT_SECONDS", 20)

    # Channels may point at servers on private networks (localhost, 10.x, 169.254.x.x):
    # only for local development against fake platforms. Off, Plume refuses such addresses
    # when a channel is connected and again on every connection it makes (see netguard).
    PUBLISH_ALLOW_PRIVATE_HOSTS = _env_bool("PUBLISH_ALLOW_PRIVATE_HOSTS", False)
    # The studio's address on the internet (https://studio.example.com). Instagram and Threads
    # fetch a post's images themselves, from signed links under it; empty, they can't.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").strip()

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "20 per 10 minutes")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 10 minutes")
    # Share links are public pages: decisions and notes sent through them are limited too.
    SHARE_LIMIT_PER_IP = os.environ.get("SHARE_LIMIT_PER_IP", "30 per 10 minutes")
    SHARE_LIMIT_PER_LINK = os.environ.get("SHARE_LIMIT_PER_LINK", "20 per hour")

    INVITE_MAX_AGE = _env_int("INVITE_MAX_AGE_SECONDS", 7 * 24 * 3600)
    # argon2id parameters: RFC 9106's low-memory profile, above OWASP's 19 MiB / t=2 / p=1.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 4

    TESTING = False


class DevelopmentConfig(Config):
    """The studio run locally by `scripts/studio`."""


class TestConfig(Config):
    """Settings for the test suite: its own database and Redis database number."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    WTF_CSRF_ENABLED = True
    RATELIMIT_STORAGE_URI = ""
    SERVER_NAME = None
    PUBLISH_ALLOW_PRIVATE_HOSTS = True  # the platforms are fakes on 127.0.0.1
    PUBLIC_BASE_URL = ""  # the tests that need one set it
