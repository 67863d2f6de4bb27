"""Account use cases: sign up, authenticate, change password."""

from __future__ import annotations

from sqlalchemy import func, select

from studio.extensions import db
from studio.models import User
from studio.security import hash_password, verify_password


class AccountError(ValueError):
    """A use case refused; the message says why, and `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def find_user_by_email(email: str) -> User | None:
    """Return the account with this email, ignoring case."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(name: str, email: str, password: str) -> User:
    """Create an account; refuses an email that is already registered."""
    if find_user_by_email(email) is not None:
        raise AccountError(
            "An account with this email already exists. Sign in instead, or reset your password.",
            field="email",
        )
    user = User(name=name, email=email.strip().lower(), password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User:
    """Return the user for these credentials, or raise AccountError."""
    user = find_user_by_email(email)
    if user is None or not verify_password(user, password):
        # One message for both cases, so the form doesn't reveal which emails exist.
        raise AccountError("That email and password don't match an account.", field="password")
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password and sign out the account's other sessions."""
    if not verify_password(user, current):
        raise AccountError("Your current password isn't right.", field="current_password")
    if current == new:
        raise AccountError(
            "Choose a password different from the current one.", field="new_password"
        )
    user.password_hash = hash_password(new)
    user.session_version += 1
