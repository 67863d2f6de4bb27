"""Error pages for browsers and readable reasons for htmx requests."""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from studio.extensions import db, htmx

log = logging.getLogger(__name__)

TITLES = {
    400: "That request didn't make sense",
    403: "You don't have access to this",
    404: "We couldn't find that",
    405: "That action isn't allowed here",
    409: "Someone else changed this first",
    413: "That's too large",
    422: "Please check the form",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "Plume is busy right now",
}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """Answer with the reason: a toast for htmx, a styled page otherwise."""
    if htmx:
        # htmx leaves the page alone on this status; static/js/plume.js shows the toast.
        response = Response(message, status=status, mimetype="text/plain")
        response.headers["X-Plume-Message"] = message.encode("ascii", "replace").decode()
        response.headers["HX-Reswap"] = "none"
    else:
        body = render_template(
            "errors/error.html", status=status, title=TITLES.get(status, "Error"), message=message
        )
        response = Response(body, status=status, mimetype="text/html")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Response:
        return error_response(
            400,
            "This form has expired or was sent without its security token. "
            "Reload the page and try again; nothing was changed.",
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        message = error.description or TITLES.get(status, "Error")
        if status == 413:
            message = "The upload or form is larger than Plume accepts. Nothing was saved."
        if status == 404 and message.startswith("The requested URL was not found"):
            message = "The page you asked for doesn't exist, or you don't have access to it."
        headers = {}
        if status == 429:
            message = f"Too many attempts: {error.description}. Wait a little and try again."
        if status == 405:
            headers["Allow"] = ", ".join(getattr(error, "valid_methods", None) or [])
        return error_response(status, message, headers)

    @app.errorhandler(OperationalError)
    def _database_busy(error: OperationalError) -> Response:
        db.session.rollback()
        if "locked" in str(error.orig).lower():
            log.warning("database busy: %s", error.orig)
            return error_response(
                503,
                "The database is busy. Nothing was saved; try again in a moment.",
                {"Retry-After": "2"},
            )
        log.exception("database error on %s", request.path)
        return error_response(503, "The database is unavailable. Nothing was saved.")

    @app.errorhandler(RedisError)
    def _queue_down(error: RedisError) -> Response:
        log.warning("redis unavailable: %s", error)
        return error_response(
            503, "The job queue is unavailable right now, so this can't start. Try again shortly."
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error on %s", request.path)
        db.session.rollback()
        return error_response(
            500, "Something went wrong on our side. Nothing you saved before this was lost."
        )
