"""Shared page behaviour: fragments, Vary, error pages and toasts, health."""

from __future__ import annotations

from studio.models import Role


def test_health_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_html_responses_vary_on_hx_request(client, make, login):
    owner = make.member(make.workspace())
    login(owner.user)
    for url in ("/login", f"/w/{owner.workspace.slug}/", f"/w/{owner.workspace.slug}/brands"):
        response = client.get(url, follow_redirects=True)
        assert "HX-Request" in response.headers.get("Vary", ""), url


def test_unknown_page_is_a_styled_404(client):
    response = client.get("/no/such/page")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<html" in body and "We couldn" in body
    assert "Traceback" not in body


def test_htmx_error_is_a_toast_not_a_page(client, make, login):
    owner = make.member(make.workspace())
    login(owner.user)
    response = client.hx_get(f"/w/{owner.workspace.slug}/brands/999999")
    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert response.headers["X-Plume-Message"] == "No such brand in this workspace."
    assert response.headers["HX-Reswap"] == "none"


def test_forbidden_page_says_why(client, make, login):
    workspace = make.workspace()
    designer = make.member(workspace, Role.DESIGNER)
    login(designer.user)
    response = client.get(f"/w/{workspace.slug}/settings")
    assert response.status_code == 403
    assert "Your role can" in response.get_data(as_text=True)


def test_unexpected_error_is_a_styled_500_without_a_traceback(
    app, client, make, login, monkeypatch
):
    owner = make.member(make.workspace())
    login(owner.user)
    from studio.workspaces import views

    def explode(*_a, **_k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "visible_brands", explode)
    response = client.get(f"/w/{owner.workspace.slug}/")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "secret internals" not in body and "Traceback" not in body


def test_base_layout_loads_vendored_htmx_and_sends_csrf_for_htmx(client):
    body = client.get("/login").get_data(as_text=True)
    assert "/static/vendor/htmx-2.0.11.min.js" in body
    assert "unpkg" not in body and "cdn" not in body.lower()
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert client.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200


def test_dashboard_fragment_and_full_page_share_one_template(client, make, login):
    owner = make.member(make.workspace())
    make.brand(owner.workspace, name="Fragmentary")
    login(owner.user)
    full = client.get(f"/w/{owner.workspace.slug}/brands").get_data(as_text=True)
    assert "<html" in full and "Fragmentary" in full


def test_sign_in_still_works_when_redis_is_down(_app, database_url, tmp_path):
    """Rate limiting falls back to memory rather than locking everyone out."""
    from studio import create_app
    from studio.config import TestConfig
    from tests.conftest import StudioClient

    app = create_app(
        TestConfig,
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "EXPORT_DIR": str(tmp_path),
        },
    )
    app.test_client_class = StudioClient
    client = app.test_client()
    try:
        response = client.form(
            "/login", {"email": "nobody@plume.example", "password": "whatever pw"}
        )
        assert response.status_code == 422
        assert "don&#39;t match" in response.get_data(as_text=True)
    finally:
        # This app has its own engine; close its pool rather than leave it to the GC.
        from studio.extensions import db

        with app.app_context():
            db.engine.dispose()


def test_boosted_navigation_gets_the_whole_page_not_the_fragment(client, make, login):
    owner = make.member(make.workspace())
    brand = make.brand(owner.workspace)
    login(owner.user)
    posts = f"/w/{owner.workspace.slug}/brands/{brand.id}/posts"
    boosted = client.get(posts, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    fragment = client.hx_get(posts)
    assert "<html" not in fragment.get_data(as_text=True)
