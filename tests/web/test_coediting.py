"""Presence, live updates, revision history, comparing and restoring."""

from __future__ import annotations

import json

from sqlalchemy import select

from studio.extensions import db
from studio.models import Post, PostRevision, Role
from tests.web.test_composer import new_post, url


def second_client(app, client):
    other = app.test_client()
    other.__class__ = type(client)
    return other


def test_presence_shows_who_is_here_and_what_they_edit(app, client, desk, make, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    designer = app.test_client()
    designer.__class__ = type(client)
    designer.form(
        "/login", {"email": desk["designer"].user.email, "password": "correct horse battery staple"}
    )
    designer.get(url(desk, post, "/sync?rev=1&field=variant_text.x"))
    designer.get(url(desk, post, "/sync?rev=1&field=master_text"))
    seen = client.get(url(desk, post, "/sync?rev=1&field=")).get_data(as_text=True)
    assert desk["designer"].user.name in seen and "editing the caption" in seen
    listing = client.get(f"/w/{desk['workspace'].slug}/brands/{desk['brand'].id}/posts").get_data(
        as_text=True
    )
    assert desk["designer"].user.name in listing
    designer.form(url(desk, post, "/leave"))
    gone = client.get(url(desk, post, "/sync?rev=1")).get_data(as_text=True)
    assert desk["designer"].user.name not in gone


def test_sync_hands_back_what_others_saved(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    quiet = client.get(url(desk, post, "/sync?rev=1"))
    assert "HX-Trigger" not in quiet.headers
    client.form(url(desk, post, "/save"), {"base_revision": "1", "master_text": "Fresh"}, htmx=True)
    update = client.get(url(desk, post, "/sync?rev=1"))
    event = json.loads(update.headers["HX-Trigger"])["plume:remote"]
    assert event["revision"] == 2 and event["fields"]["master_text"] == "Fresh"
    assert event["reload"] is False
    client.form(
        url(desk, post, "/save"), {"base_revision": "2", "action": "customise:x"}, htmx=True
    )
    structural = json.loads(client.get(url(desk, post, "/sync?rev=2")).headers["HX-Trigger"])
    assert structural["plume:remote"]["reload"] is True
    assert structural["plume:remote"]["fields"]["variant_text.x"] == "Fresh"


def test_history_groups_autosaves_compares_words_and_restores(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    for rev, text in enumerate(["One fine day", "One fine sunny day", "One rainy day"], start=1):
        client.form(
            url(desk, post, "/save"), {"base_revision": str(rev), "master_text": text}, htmx=True
        )
    page = client.get(url(desk, post, "/history")).get_data(as_text=True)
    assert "3 autosaves" in page
    compare = client.hx_get(url(desk, post, "/history?a=3&b=4")).get_data(as_text=True)
    assert "<html" not in compare
    assert "<del>fine sunny</del>" in compare or ("<del>" in compare and "sunny" in compare)
    assert "<ins>rainy</ins>" in compare
    restored = client.form(url(desk, post, "/history/3/restore"))
    assert restored.status_code == 303
    db.session.refresh(post)
    assert post.master_text == "One fine sunny day" and post.revision == 5
    last = db.session.scalar(
        select(PostRevision).where(PostRevision.post_id == post.id, PostRevision.number == 5)
    )
    assert last.kind == "restore" and last.restored_from == 3
    assert client.get(url(desk, post, "/history?a=1&b=99")).status_code == 404
    assert client.get(url(desk, post, "/history?a=x")).status_code == 400


def test_restoring_is_for_editors_only(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    client.form("/logout")
    login(desk["client"].user)
    assert client.form(url(desk, post, "/history/1/restore")).status_code == 403
    assert client.get(url(desk, post, "/history")).status_code == 200


def test_revision_of_another_post_is_404(client, desk, make, login):
    login(desk["copywriter"].user)
    first = new_post(client, desk)
    second = new_post(client, desk)
    client.form(url(desk, second, "/save"), {"base_revision": "1", "master_text": "x"}, htmx=True)
    assert client.form(url(desk, first, "/history/2/restore")).status_code == 404
    assert db.session.get(Post, first.id).revision == 1
    assert Role.COPYWRITER  # the desk fixture's roles are all present
