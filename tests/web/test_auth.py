"""Sign-up, sign-in, rate limits, password change, CSRF and cookies."""

from __future__ import annotations

from sqlalchemy import select

from studio.extensions import db
from studio.models import Membership, User, Workspace
from tests.factories import DEFAULT_PASSWORD


def signup(client, **overrides):
    data = {
        "name": "Ada Lovelace",
        "email": "ada@plume.example",
        "password": "a long enough password",
        "workspace_name": "Analytical Agency",
    }
    data.update(overrides)
    return client.form("/signup", data)


def test_signup_creates_account_and_owned_workspace(client):
    response = signup(client)
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "ada@plume.example"))
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.role == "owner"
    assert membership.workspace.name == "Analytical Agency"
    assert response.headers["Location"].endswith(f"/w/{membership.workspace.slug}/")
    # Signed in straight away.
    assert client.get(response.headers["Location"]).status_code == 200


def test_signup_with_duplicate_email_is_refused_and_keeps_the_first_account(client, make):
    existing = make.user(email="taken@plume.example")
    response = signup(client, email="TAKEN@plume.example")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    users = db.session.scalars(select(User).where(User.email == "taken@plume.example")).all()
    assert [u.id for u in users] == [existing.id]


def test_signup_with_missing_fields_names_each_field(client):
    response = client.form("/signup", {"email": "not-an-email"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your name." in body
    assert "Enter a valid email address" in body
    assert "Enter a password." in body
    assert db.session.scalar(select(Workspace)) is None


def test_signup_with_absurdly_long_fields_is_refused_cleanly(client):
    response = signup(client, name="x" * 200_000, workspace_name="y" * 200_000)
    assert response.status_code == 422
    assert "under 120 characters" in response.get_data(as_text=True)


def test_a_one_megabyte_field_gets_a_field_message(client):
    response = signup(client, name="x" * 1_000_000)
    assert response.status_code == 422
    assert "Keep your name under 120 characters." in response.get_data(as_text=True)
    assert db.session.scalar(select(User)) is None


def test_a_one_megabyte_multipart_field_gets_413_with_a_reason(client):
    response = client.form("/signup", {"name": "x" * 1_000_000}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "larger than Plume accepts" in response.get_data(as_text=True)


def test_login_with_wrong_password_says_so_without_revealing_the_account(client, make):
    user = make.user()
    wrong = client.form("/login", {"email": user.email, "password": "nope nope nope"})
    unknown = client.form("/login", {"email": "nobody@plume.example", "password": "nope nope nope"})
    assert wrong.status_code == unknown.status_code == 422
    message = "That email and password don&#39;t match an account."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_login_then_logout(client, make, login):
    user = make.user()
    login(user)
    assert client.get("/account/password").status_code == 200
    assert client.form("/logout").status_code == 303
    response = client.get("/account/password")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_redirect_only_goes_to_same_site_paths(client, make):
    user = make.user()
    response = client.form(
        "/login", {"email": user.email, "password": DEFAULT_PASSWORD, "next": "//evil.example/x"}
    )
    assert response.status_code == 303
    assert "evil.example" not in response.headers["Location"]


def test_login_is_rate_limited_per_account(client, make):
    user = make.user()
    for _ in range(5):
        assert (
            client.form("/login", {"email": user.email, "password": "wrong password!"}).status_code
            == 422
        )
    blocked = client.form("/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # Another account from the same address is not locked by this one's failures.
    other = make.user()
    assert (
        client.form("/login", {"email": other.email, "password": DEFAULT_PASSWORD}).status_code
        == 303
    )


def test_login_is_rate_limited_per_ip(app, client, make):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    try:
        for i in range(3):
            response = client.form(
                "/login", {"email": f"x{i}@plume.example", "password": "wrong password"}
            )
            assert response.status_code == 422
        assert (
            client.form("/login", {"email": "y@plume.example", "password": "pw"}).status_code == 429
        )
    finally:
        app.config["LOGIN_LIMIT_PER_IP"] = "20 per 10 minutes"


def test_successful_logins_do_not_count_against_the_limit(client, make):
    user = make.user()
    for _ in range(7):
        assert (
            client.form("/login", {"email": user.email, "password": DEFAULT_PASSWORD}).status_code
            == 303
        )
        client.form("/logout")


def test_change_password_checks_current_and_signs_out_other_sessions(app, make, login):
    user = make.user()
    client = login(user)
    other_device = app.test_client()
    other_device.__class__ = type(client)
    other_device.form("/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert other_device.get("/account/password").status_code == 200

    wrong = client.form(
        "/account/password",
        {
            "current_password": "not it at all",
            "new_password": "n" * 12,
            "confirm_password": "n" * 12,
        },
    )
    assert wrong.status_code == 422
    assert "current password isn" in wrong.get_data(as_text=True)

    mismatch = client.form(
        "/account/password",
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password": "n" * 12,
            "confirm_password": "m" * 12,
        },
    )
    assert mismatch.status_code == 422
    assert "don&#39;t match" in mismatch.get_data(as_text=True)

    ok = client.form(
        "/account/password",
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password": "n" * 12,
            "confirm_password": "n" * 12,
        },
    )
    assert ok.status_code == 303
    assert client.get("/account/password").status_code == 200  # this session stays signed in
    assert other_device.get("/account/password").status_code == 302  # the other one is out
    client.form("/logout")
    assert client.form("/login", {"email": user.email, "password": "n" * 12}).status_code == 303


def test_missing_csrf_token_is_refused_with_a_reason(client, make):
    user = make.user()
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


def test_missing_csrf_token_on_htmx_request_gives_a_toast_message(client, make, login):
    membership = make.member(make.workspace())
    login(membership.user)
    response = client.post(
        f"/w/{membership.workspace.slug}/brands", data={"name": "X"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert "security token" in response.headers["X-Plume-Message"]
    assert response.headers["HX-Reswap"] == "none"


def test_session_cookie_is_httponly_lax_and_secure_over_https(client, make):
    user = make.user()
    plain = client.form("/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    client.form("/logout")
    secure = client.form(
        "/login",
        {"email": user.email, "password": DEFAULT_PASSWORD},
        base_url="https://localhost",
    )
    assert "Secure" in secure.headers["Set-Cookie"]


def test_pages_need_sign_in(client, make):
    workspace = make.workspace()
    response = client.get(f"/w/{workspace.slug}/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
