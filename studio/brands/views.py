"""Brand list, creation and settings."""

from __future__ import annotations

from typing import Any

from flask import flash, g, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from studio.brands import operations as ops
from studio.brands.forms import BrandForm
from studio.extensions import db
from studio.models import Brand
from studio.policy import Action, get_brand, require, visible_brands
from studio.web import render_page, see_other, workspace_blueprint

bp = workspace_blueprint("brands", __name__)


def _list_context(form: BrandForm | None = None) -> dict:
    return {
        "brands": db.session.scalars(visible_brands(g.membership)).all(),
        "form": form or BrandForm(formdata=None),
    }


@bp.get("/brands")
def index() -> str:
    return render_page("brands/index.html", **_list_context())


@bp.post("/brands")
def create() -> Response | tuple[str, int]:
    require(g.membership, Action.CREATE_BRAND)
    form = BrandForm()
    if form.validate_on_submit():
        try:
            brand = ops.create_brand(
                g.membership,
                form.name.data,
                form.timezone.data,
                form.website.data,
                form.colour.data,
            )
        except ops.BrandError as exc:
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(f"Created {brand.name}.", "success")
            return see_other(url_for("brands.show", brand_id=brand.id))
    return render_page("brands/index.html", "brand_form", **_list_context(form)), 422


def _show_context(brand: Brand, **extra: Any) -> dict[str, Any]:
    from studio.platforms.limits import LIMIT_LABELS, OVERRIDABLE, PLATFORMS

    return {
        "brand": brand,
        "form": extra.pop("form", None) or BrandForm(formdata=None, obj=brand),
        "all_platforms": PLATFORMS,
        "override_fields": sorted((f, LIMIT_LABELS.get(f, f)) for f in OVERRIDABLE),
        "limit_labels": LIMIT_LABELS,
        **extra,
    }


@bp.get("/brands/<int:brand_id>")
def show(brand_id: int) -> str:
    brand = get_brand(g.membership, brand_id)
    require(g.membership, Action.VIEW_BRAND, brand)
    return render_page("brands/show.html", **_show_context(brand))


def overrides_from_form(
    form: MultiDict, current: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Keep the overrides not ticked for removal and add the new one, if any."""
    overrides = {p: dict(fields) for p, fields in current.items()}
    for key in form.getlist("remove_override"):
        platform, _, field = key.partition(".")
        overrides.get(platform, {}).pop(field, None)
    platform = form.get("new_platform", "").strip()
    field = form.get("new_field", "").strip()
    value = form.get("new_value", "").strip()
    if platform and field and value:
        note = form.get("new_note", "").strip()[:200]
        overrides.setdefault(platform, {})[field] = (
            {"value": value, "note": note} if note else value
        )
    return {p: f for p, f in overrides.items() if f}


@bp.post("/brands/<int:brand_id>/platforms")
def update_platforms(brand_id: int) -> Response | tuple[str, int]:
    brand = get_brand(g.membership, brand_id)
    require(g.membership, Action.EDIT_BRAND_SETTINGS, brand)
    overrides = overrides_from_form(request.form, brand.platform_overrides)
    try:
        ops.update_platforms(
            brand,
            request.form.getlist("platforms"),
            request.form.get("require_alt_text") == "on",
            overrides,
        )
    except ops.BrandError as exc:
        db.session.rollback()
        brand = get_brand(g.membership, brand_id)
        context = _show_context(brand, platform_error=str(exc))
        return render_page("brands/show.html", "platforms_panel", **context), 422
    db.session.commit()
    flash("Platform settings saved.", "success")
    return see_other(url_for("brands.show", brand_id=brand.id))


@bp.post("/brands/<int:brand_id>")
def update(brand_id: int) -> Response | tuple[str, int]:
    brand = get_brand(g.membership, brand_id)
    require(g.membership, Action.EDIT_BRAND_SETTINGS, brand)
    form = BrandForm()
    if form.validate_on_submit():
        try:
            ops.update_brand(
                brand, form.name.data, form.timezone.data, form.website.data, form.colour.data
            )
        except ops.BrandError as exc:
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash("Brand settings saved.", "success")
            return see_other(url_for("brands.show", brand_id=brand.id))
    db.session.rollback()
    brand = get_brand(g.membership, brand_id)
    return render_page("brands/show.html", "settings_form", **_show_context(brand, form=form)), 422
