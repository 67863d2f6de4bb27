"""Brand forms."""

from __future__ import annotations

import functools
import re
from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import URL, Length, Optional, Regexp, ValidationError

from studio.forms import name_field

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@functools.cache
def _zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk each call.
    return frozenset(available_timezones())


def timezone_choices() -> list[SelectChoice]:
    """Return IANA zone names for a select box."""
    return [
        SelectChoice(z, z.replace("_", " ")) for z in sorted(_zones()) if "/" in z or z == "UTC"
    ]


class BrandForm(FlaskForm):
    name = name_field("Brand name", "a brand name")
    timezone = SelectField("Time zone", default="UTC", validate_choice=False)
    website = StringField(
        "Website",
        validators=[
            Optional(),
            Length(max=255, message="Keep the address under 255 characters."),
            URL(require_tld=True, message="Enter a full address, like https://example.com."),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    colour = StringField(
        "Brand colour",
        default="#4f46e5",
        validators=[Regexp(HEX_COLOUR, message="Enter a hex colour like #1a2b3c.")],
    )

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()

    def validate_timezone(self, field: SelectField) -> None:
        if field.data not in _zones():
            raise ValidationError("Choose a time zone from the list.")
