"""Brand kit pages: palette, fonts, logos, voice rules, live check, history, files."""

from __future__ import annotations

import io
from typing import Any

from flask import Response, flash, g, render_template, request, send_file, url_for
from werkzeug.exceptions import NotFound

from studio.brandkit import KNOWN_PLATFORMS, ROLES, UTM_KEYS
from studio.colour import contrast_matrix
from studio.extensions import db
from studio.kits import operations as ops
from studio.kits.forms import palette_from_form, voice_from_form
from studio.models import Brand
from studio.policy import Action, get_brand, require
from studio.voice import apply_suggestion
from studio.web import render_page, see_other, workspace_blueprint

bp = workspace_blueprint("kits", __name__)

KIT_PAGE = "kits/show.html"
VOICE_PAGE = "kits/voice.html"


def _brand(brand_id: int, action: Action = Action.VIEW_BRAND) -> Brand:
    brand = get_brand(g.membership, brand_id)
    require(g.membership, action, brand)
    return brand


def _kit_context(brand: Brand, **extra: Any) -> dict[str, Any]:
    kit_row = ops.get_kit(brand)
    kit = ops.parsed(kit_row)
    return {
        "brand": brand,
        "kit_row": kit_row,
        "kit": kit,
        "data": extra.pop("data", None) or kit_row.data,
        "assets": {a.path: a for a in kit_row.assets},
        "contrast": contrast_matrix(
            kit.palette,
            text_roles=("text", "primary", "accent"),
            background_roles=("background", "secondary"),
        ),
        "roles": ROLES,
        "platforms": KNOWN_PLATFORMS,
        "errors": extra.pop("errors", {}),
        **extra,
    }


@bp.get("/brands/<int:brand_id>/kit")
def show(brand_id: int) -> str:
    brand = _brand(brand_id)
    context = _kit_context(brand)
    db.session.commit()  # the first visit creates version 1
    return render_page(KIT_PAGE, **context)


@bp.post("/brands/<int:brand_id>/kit/palette")
def update_palette(brand_id: int) -> Response | tuple[str, int]:
    brand = _brand(brand_id, Action.EDIT_BRAND_VISUALS)
    kit = ops.get_kit(brand)
    data = {**kit.data, "palette": palette_from_form(request.form)}
    try:
        changes = ops.save_kit(kit, data, g.membership.user, "Palette updated")
    except ops.KitError as exc:
        db.session.rollback()
        context = _kit_context(
            _brand(brand_id), data=data, errors=exc.by_field(), open_palette=True
        )
        return render_page(KIT_PAGE, "palette_panel", **context), 422
    db.session.commit()
    flash("Palette saved." if changes else "No changes to save.", "success")
    return see_other(url_for("kits.show", brand_id=brand.id))


@bp.post("/brands/<int:brand_id>/kit/fonts")
def update_fonts(brand_id: int) -> Response | tuple[str, int]:
    brand = _brand(brand_id, Action.EDIT_BRAND_VISUALS)
    kit = ops.get_kit(brand)
    fonts: dict[str, Any] = {}
    try:
        for slot in ("heading", "body"):
            upload = request.files.get(f"fonts.{slot}.upload")
            family = request.form.get(f"fonts.{slot}.family", "").strip()
            if upload and upload.filename:
                asset = ops.store_asset(kit, ops.clean_font(upload.read(), upload.filename, slot))
                fonts[slot] = {"file": asset.path}
            elif family:
                fonts[slot] = {"family": family}
            elif request.form.get(f"fonts.{slot}.keep") and kit.data.get("fonts", {}).get(slot):
                fonts[slot] = kit.data["fonts"][slot]
        changes = ops.save_kit(
            kit, {**kit.data, "fonts": fonts}, g.membership.user, "Fonts updated"
        )
    except ops.KitError as exc:
        db.session.rollback()
        context = _kit_context(_brand(brand_id), errors=exc.by_field(), open_fonts=True)
        return render_page(KIT_PAGE, "fonts_panel", **context), 422
    db.session.commit()
    flash("Fonts saved." if changes else "No changes to save.", "success")
    return see_other(url_for("kits.show", brand_id=brand.id))


@bp.post("/brands/<int:brand_id>/kit/logos")
def upload_logos(brand_id: int) -> Response | tuple[str, int]:
    brand = _brand(brand_id, Action.EDIT_BRAND_VISUALS)
    kit = ops.get_kit(brand)
    logos = dict(kit.data.get("logos", {}))
    try:
        uploaded = False
        for slot in ("primary", "mark", "mono"):
            upload = request.files.get(f"logos.{slot}")
            if upload and upload.filename:
                logos[slot] = ops.store_asset(kit, ops.clean_logo(upload.read(), slot)).path
                uploaded = True
            elif request.form.get(f"logos.{slot}.remove"):
                logos.pop(slot, None)
                uploaded = True
        if not uploaded:
            raise ops.KitError([("logos", "Choose at least one logo file to upload.")])
        ops.save_kit(kit, {**kit.data, "logos": logos}, g.membership.user, "Logos updated")
    except ops.KitError as exc:
        db.session.rollback()
        context = _kit_context(_brand(brand_id), errors=exc.by_field(), open_logos=True)
        return render_page(KIT_PAGE, "logos_panel", **context), 422
    db.session.commit()
    flash("Logos saved.", "success")
    return see_other(url_for("kits.show", brand_id=brand.id))


@bp.get("/brands/<int:brand_id>/kit/voice")
def voice(brand_id: int) -> str:
    brand = _brand(brand_id)
    context = _kit_context(brand, utm_keys=UTM_KEYS)
    db.session.commit()
    return render_page(VOICE_PAGE, **context)


@bp.post("/brands/<int:brand_id>/kit/voice")
def update_voice(brand_id: int) -> Response | tuple[str, int]:
    brand = _brand(brand_id, Action.EDIT_VOICE_RULES)
    kit = ops.get_kit(brand)
    data = {**kit.data, "voice": voice_from_form(request.form)}
    try:
        changes = ops.save_kit(kit, data, g.membership.user, "Voice rules updated")
    except ops.KitError as exc:
        db.session.rollback()
        context = _kit_context(
            _brand(brand_id), data=data, errors=exc.by_field(), utm_keys=UTM_KEYS
        )
        return render_page(VOICE_PAGE, "voice_form", **context), 422
    db.session.commit()
    flash(
        f"Voice rules saved as version {kit.version}." if changes else "No changes to save.",
        "success",
    )
    return see_other(url_for("kits.voice", brand_id=brand.id))


def _check_context(brand: Brand, text: str) -> dict[str, Any]:
    kit = ops.get_kit(brand)
    platform = request.form.get("platform") or None
    if platform not in KNOWN_PLATFORMS:
        platform = None
    tags = [t for t in request.form.get("tags", "").replace(",", " ").split() if t]
    findings = ops.check_copy(kit, text, platform, tags)
    return {
        "brand": brand,
        "text": text,
        "findings": findings,
        "segments": ops.highlight(text, findings),
        "kit_version": kit.version,
    }


MAX_CHECK_CHARS = 20_000


@bp.post("/brands/<int:brand_id>/kit/check")
def check(brand_id: int) -> tuple[str, int]:
    brand = _brand(brand_id)
    text = request.form.get("sample", "")
    if len(text) > MAX_CHECK_CHARS:
        return render_template(
            "kits/_findings.html", too_long=True, limit=MAX_CHECK_CHARS, brand=brand
        ), 422
    return render_template("kits/_findings.html", **_check_context(brand, text)), 200


@bp.post("/brands/<int:brand_id>/kit/check/apply")
def apply_fix(brand_id: int) -> tuple[str, int]:
    brand = _brand(brand_id)
    text = request.form.get("sample", "")[:MAX_CHECK_CHARS]
    before = _check_context(brand, text)["findings"]
    try:
        finding = before[int(request.form.get("finding", ""))]
    except (ValueError, IndexError):
        return render_template(
            "kits/_findings.html", stale=True, **_check_context(brand, text)
        ), 409
    fixed = apply_suggestion(text, finding)
    return render_template(
        "kits/_findings.html", replace_text=True, **_check_context(brand, fixed)
    ), 200


@bp.get("/brands/<int:brand_id>/kit/history")
def history(brand_id: int) -> str:
    brand = _brand(brand_id)
    kit = ops.get_kit(brand)
    db.session.commit()
    return render_page("kits/history.html", brand=brand, kit_row=kit, versions=ops.history(kit))


@bp.get("/brands/<int:brand_id>/kit/assets/<int:asset_id>")
def asset(brand_id: int, asset_id: int) -> Response:
    brand = _brand(brand_id)
    row = ops.get_asset(ops.get_kit(brand), asset_id)
    if row is None:
        raise NotFound("No such file in this brand kit.")
    response = send_file(
        io.BytesIO(ops.asset_bytes(row)),
        mimetype=row.mimetype,
        download_name=row.path.rsplit("/", 1)[-1],
    )
    # The URL names the content's hash, so the file behind it never changes.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.get("/brands/<int:brand_id>/kit/fonts.css")
def fonts_css(brand_id: int) -> Response:
    brand = _brand(brand_id)
    kit = ops.get_kit(brand)
    css = render_template("kits/fonts.css", brand=brand, faces=ops.font_faces(kit))
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/brands/<int:brand_id>/kit/export")
def export(brand_id: int) -> Response:
    brand = _brand(brand_id)
    archive = ops.export_archive(ops.get_kit(brand))
    db.session.commit()
    return send_file(
        io.BytesIO(archive),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{brand.slug}-kit.zip",
    )


@bp.post("/brands/<int:brand_id>/kit/import")
def import_kit(brand_id: int) -> Response | tuple[str, int]:
    brand = _brand(brand_id, Action.EDIT_VOICE_RULES)
    upload = request.files.get("archive")
    kit = ops.get_kit(brand)
    try:
        if upload is None or not upload.filename:
            raise ops.KitError([("archive", "Choose a kit ZIP file to import.")])
        changes = ops.import_archive(kit, upload.read(), g.membership.user)
    except ops.KitError as exc:
        db.session.rollback()
        context = _kit_context(_brand(brand_id), import_problems=exc.problems)
        return render_page(KIT_PAGE, **context), 422
    db.session.commit()
    flash(
        f"Kit imported as version {kit.version}." if changes else "The archive matches the kit.",
        "success",
    )
    return see_other(url_for("kits.show", brand_id=brand.id))
