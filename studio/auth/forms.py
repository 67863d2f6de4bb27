"""Sign-up, sign-in and password forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from studio.forms import NAME_MAX, PASSWORD_MAX, PASSWORD_MIN, email_field, name_field


def _password_field(label: str) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            InputRequired("Enter a password."),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
            ),
        ],
    )


class SignupForm(FlaskForm):
    name = name_field("Your name", "your name")
    email = email_field()
    password = _password_field("Password")
    workspace_name = StringField(
        "Workspace name",
        validators=[Optional(), Length(max=NAME_MAX, message="Keep it under 120 characters.")],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        description="Your agency or team. You can rename it later.",
    )
    invite = HiddenField(validators=[Optional(), Length(max=2000)])


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password."), Length(max=PASSWORD_MAX)],
    )
    next = HiddenField(validators=[Optional(), Length(max=2000)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password."), Length(max=PASSWORD_MAX)],
    )
    new_password = _password_field("New password")
    confirm_password = PasswordField(
        "Repeat new password",
        validators=[
            InputRequired("Repeat the new password."),
            EqualTo("new_password", message="The two new passwords don't match."),
        ],
    )
