"""The publishing calendar: month, week and list views; scheduling; the iCal feed."""

from __future__ import annotations

from flask import Blueprint

from studio.web import workspace_blueprint

bp = workspace_blueprint("calendar", __name__)
# The iCal feed is read by calendar apps without a session: its address carries a signature.
feed_bp = Blueprint("calendar_feed", __name__)


@bp.get("/brands/<int:brand_id>/calendar")
def brand_month(brand_id: int) -> str:
    from flask import g

    from studio.policy import get_brand

    brand = get_brand(g.membership, brand_id)
    return f"Calendar for {brand.name} is being built."
