"""Brand list, creation, settings and their validation."""

from __future__ import annotations

from sqlalchemy import select

from studio.extensions import db
from studio.models import Brand, Role

VALID = {
    "name": "Ember Roasters",
    "timezone": "America/Chicago",
    "website": "https://ember.example",
    "colour": "#B4532A",
}


def test_brand_manager_creates_a_brand(client, make, login):
    manager = make.member(make.workspace(), Role.BRAND_MANAGER)
    login(manager.user)
    response = client.form(f"/w/{manager.workspace.slug}/brands", VALID)
    assert response.status_code == 303
    brand = db.session.scalar(select(Brand).where(Brand.workspace_id == manager.workspace_id))
    assert (brand.name, brand.slug, brand.timezone, brand.colour) == (
        "Ember Roasters",
        "ember-roasters",
        "America/Chicago",
        "#b4532a",
    )
    assert response.headers["Location"].endswith(f"/brands/{brand.id}")


def test_htmx_brand_creation_answers_with_hx_location(client, make, login):
    owner = make.member(make.workspace())
    login(owner.user)
    response = client.form(f"/w/{owner.workspace.slug}/brands", VALID, htmx=True)
    assert response.status_code == 200
    assert "/brands/" in response.headers["HX-Location"]


def test_invalid_brand_fields_each_get_a_message(client, make, login):
    owner = make.member(make.workspace())
    login(owner.user)
    response = client.form(
        f"/w/{owner.workspace.slug}/brands",
        {"name": "", "timezone": "Mars/Olympus", "website": "not a url", "colour": "red"},
        htmx=True,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a brand name." in body
    assert "Choose a time zone from the list." in body
    assert "Enter a full address" in body
    assert "Enter a hex colour like #1a2b3c." in body
    assert 'id="new-brand"' in body and "<html" not in body
    assert db.session.scalar(select(Brand)) is None


def test_duplicate_brand_name_in_the_same_workspace(client, make, login):
    owner = make.member(make.workspace())
    make.brand(owner.workspace, name="Ember Roasters", slug="ember-roasters")
    login(owner.user)
    response = client.form(f"/w/{owner.workspace.slug}/brands", VALID)
    assert response.status_code == 422
    assert "already has a brand called Ember Roasters" in response.get_data(as_text=True)


def test_designers_and_clients_cannot_create_brands(client, make, login):
    workspace = make.workspace()
    designer = make.member(workspace, Role.DESIGNER)
    login(designer.user)
    assert client.form(f"/w/{workspace.slug}/brands", VALID).status_code == 403
    page = client.get(f"/w/{workspace.slug}/brands").get_data(as_text=True)
    assert 'id="new-brand"' not in page


def test_update_brand_settings_keeps_the_slug(client, make, login):
    owner = make.member(make.workspace())
    brand = make.brand(owner.workspace, name="Old Name", slug="old-name")
    login(owner.user)
    response = client.form(
        f"/w/{owner.workspace.slug}/brands/{brand.id}",
        {"name": "New Name", "timezone": "Asia/Tokyo", "website": "", "colour": "#123456"},
    )
    assert response.status_code == 303
    db.session.refresh(brand)
    assert (brand.name, brand.slug, brand.timezone, brand.website) == (
        "New Name",
        "old-name",
        "Asia/Tokyo",
        None,
    )


def test_failed_update_keeps_what_was_saved(client, make, login):
    owner = make.member(make.workspace())
    brand = make.brand(owner.workspace, name="Kept", timezone="Europe/Paris")
    login(owner.user)
    response = client.form(
        f"/w/{owner.workspace.slug}/brands/{brand.id}",
        {"name": "x" * 500, "timezone": "Europe/Paris", "colour": "#123456"},
        htmx=True,
    )
    assert response.status_code == 422
    assert "Keep a brand name under 120 characters." in response.get_data(as_text=True)
    db.session.refresh(brand)
    assert brand.name == "Kept"


def test_copywriter_sees_brand_but_not_settings_form(client, make, login):
    workspace = make.workspace()
    brand = make.brand(workspace)
    writer = make.member(workspace, Role.COPYWRITER)
    login(writer.user)
    page = client.get(f"/w/{workspace.slug}/brands/{brand.id}").get_data(as_text=True)
    assert brand.name in page
    assert 'id="brand-settings"' not in page
    assert client.form(f"/w/{workspace.slug}/brands/{brand.id}", VALID).status_code == 403


def test_platform_overrides_are_validated_and_apply_in_the_composer(client, make, login):
    owner = make.member(make.workspace())
    brand = make.brand(owner.workspace, name="Fedi Brand")
    login(owner.user)
    base = f"/w/{owner.workspace.slug}/brands/{brand.id}"
    bad = client.form(
        f"{base}/platforms",
        {
            "platforms": ["mastodon", "x"],
            "new_platform": "mastodon",
            "new_field": "text_limit",
            "new_value": "-5",
        },
        htmx=True,
    )
    assert bad.status_code == 422
    assert "cannot be negative" in bad.get_data(as_text=True)
    ok = client.form(
        f"{base}/platforms",
        {
            "platforms": ["mastodon", "x"],
            "require_alt_text": "on",
            "new_platform": "mastodon",
            "new_field": "text_limit",
            "new_value": "1000",
            "new_note": "fosstodon.org allows 1,000",
        },
    )
    assert ok.status_code == 303
    db.session.refresh(brand)
    assert brand.platforms == ["x", "mastodon"]
    assert brand.platform_overrides == {
        "mastodon": {"text_limit": {"value": "1000", "note": "fosstodon.org allows 1,000"}}
    }
    page = client.get(base).get_data(as_text=True)
    assert "fosstodon.org allows 1,000" in page
    post = client.form(f"{base}/posts", {"title": "Toot"})
    post_url = post.headers["Location"]
    preview = client.form(post_url + "/preview", {"master_text": "m" * 700}, htmx=True).get_data(
        as_text=True
    )
    assert 'title="Mastodon: 700 of 1000' in preview
    assert "Brand override applies: text_limit" in preview
    removed = client.form(
        f"{base}/platforms", {"platforms": ["mastodon"], "remove_override": "mastodon.text_limit"}
    )
    assert removed.status_code == 303
    db.session.refresh(brand)
    assert brand.platform_overrides == {}
