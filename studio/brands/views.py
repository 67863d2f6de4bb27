"""Brand list, creation and settings."""

from __future__ import annotations

from flask import flash, g, url_for
from werkzeug.wrappers import Response

from studio.brands import operations as ops
from studio.brands.forms import BrandForm
from studio.extensions import db
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


@bp.get("/brands/<int:brand_id>")
def show(brand_id: int) -> str:
    brand = get_brand(g.membership, brand_id)
    require(g.membership, Action.VIEW_BRAND, brand)
    form = BrandForm(formdata=None, obj=brand)
    return render_page("brands/show.html", brand=brand, form=form)


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
    return render_page("brands/show.html", "settings_form", brand=brand, form=form), 422
