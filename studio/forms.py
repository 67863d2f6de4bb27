"""Form helpers shared by every area."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import Email, InputRequired, Length

NAME_MAX = 120
EMAIL_MAX = 254
PASSWORD_MIN = 10
PASSWORD_MAX = 256


def email_field(label: str = "Email") -> StringField:
    """Return a required, length-capped email field."""
    return StringField(
        label,
        validators=[
            InputRequired("Enter an email address."),
            Length(max=EMAIL_MAX, message=f"Email addresses are at most {EMAIL_MAX} characters."),
            Email(
                "Enter a valid email address, like name@example.com.", check_deliverability=False
            ),
        ],
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
    )


def name_field(label: str, what: str, max_length: int = NAME_MAX) -> StringField:
    """Return a required, trimmed, length-capped text field."""
    return StringField(
        label,
        validators=[
            InputRequired(f"Enter {what}."),
            Length(max=max_length, message=f"Keep {what} under {max_length} characters."),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
