"""Fixtures shared by the web tests."""

from __future__ import annotations

import pytest

from studio.extensions import db
from studio.kits import operations as kit_ops
from studio.models import Role


@pytest.fixture
def desk(app, make):
    workspace = make.workspace()
    brand = make.brand(workspace, name="Harbour Tea", slug="harbour-tea")
    people = {
        r: make.member(workspace, r, brands=[brand] if r == Role.CLIENT else None) for r in Role
    }
    with app.app_context():
        kit = kit_ops.get_kit(brand)
        kit_ops.save_kit(
            kit,
            {
                "name": "Harbour Tea",
                "voice": {
                    "banned": [
                        {"phrase": "cheap", "suggestion": "affordable", "severity": "block"}
                    ],
                },
            },
            None,
        )
    db.session.commit()
    return {"workspace": workspace, "brand": brand, **{r.value: m for r, m in people.items()}}
