"""Password hashing, session cookies and the user loader."""

from __future__ import annotations

from urllib.parse import urlsplit

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, Response, current_app, request, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from studio.extensions import db, htmx, login_manager
from studio.models import User

# OWASP's minimum for argon2id is m=19 MiB, t=2, p=1; these are checked by a test.
OWASP_MIN_MEMORY_KIB = 19 * 1024
OWASP_MIN_TIME_COST = 2


def password_hasher() -> PasswordHasher:
    """Return the argon2id hasher configured for this app."""
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return password_hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    """Check a password; upgrade the stored hash if its parameters are outdated."""
    hasher = password_hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


class _SessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        # Secure whenever the request came over HTTPS, unless configured to always be.
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    raw_id, _, version = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or str(user.session_version) != version:
        return None
    return user


def init_app(app: Flask) -> None:
    """Wire cookie, proxy and login settings into the app."""
    app.session_interface = _SessionInterface()
    if app.config.get("TRUST_PROXY_HEADERS"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @app.after_request
    def _sign_in_again_from_htmx(response: Response) -> Response:
        # A fragment request whose session ended would follow the redirect and swap the
        # sign-in page into a corner of the page (a polling badge, a panel); send the whole
        # window to sign in instead, and back to the page afterwards.
        if not htmx or htmx.boosted or response.status_code not in (301, 302, 303):
            return response
        login = url_for("auth.login")
        if urlsplit(response.location or "").path != login:
            return response
        page = urlsplit(htmx.current_url or "")
        back = page.path + (f"?{page.query}" if page.query else "") if page.path else "/"
        answer = Response("Your session ended: sign in again.", 401, mimetype="text/plain")
        answer.headers["HX-Redirect"] = url_for("auth.login", next=back)
        return answer
