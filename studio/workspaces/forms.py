"""Workspace, member and invitation forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, ValidationError

from studio.forms import email_field, name_field
from studio.models import Role


class WorkspaceForm(FlaskForm):
    name = name_field("Workspace name", "a workspace name")


def _role_choices(roles: tuple[Role, ...]) -> list[SelectChoice]:
    return [SelectChoice(r.value, r.label) for r in roles]


class InviteForm(FlaskForm):
    email = email_field("Email")
    # Any real role passes here; whether this member may hand it out is the use case's call.
    role = SelectField("Role", validators=[InputRequired("Choose a role.")], validate_choice=False)
    brand_ids = SelectMultipleField("Brands (clients only)", coerce=int, validate_choice=False)

    def validate_role(self, field: SelectField) -> None:
        if field.data not in {r.value for r in Role}:
            raise ValidationError("Choose one of the listed roles.")

    def set_choices(self, roles: tuple[Role, ...], brands: list) -> None:
        self.role.choices = _role_choices(roles)
        self.brand_ids.choices = [SelectChoice(b.id, b.name) for b in brands]


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=_role_choices(tuple(Role)))
    brand_ids = SelectMultipleField("Brands", coerce=int, validate_choice=False)
