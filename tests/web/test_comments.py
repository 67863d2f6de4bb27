"""Comments on posts: threads, mentions and the inbox, visibility, anchors that follow edits."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import event, select

from studio.comments import anchors, mentions
from studio.comments import operations as comment_ops
from studio.comments.notifications import notify, unread_count
from studio.composer import operations as composer_ops
from studio.extensions import db
from studio.models import (
    ClientBrandAccess,
    Comment,
    CommentVisibility,
    MediaItem,
    Notification,
    Role,
)

CAPTION = "Fresh Ethiopian lots land Friday. Come taste them at the bar."


@pytest.fixture
def desk(app, make):
    workspace = make.workspace()
    brand = make.brand(workspace, name="Harbour Tea", slug="harbour-tea")
    other_brand = make.brand(workspace, name="Other Brand")
    people = {
        "owner": make.member(workspace, Role.OWNER, email="olive@harbour.example", name="Olive"),
        "manager": make.member(
            workspace, Role.BRAND_MANAGER, email="max@harbour.example", name="Max"
        ),
        "designer": make.member(
            workspace, Role.DESIGNER, email="dana@harbour.example", name="Dana Designer"
        ),
        "writer": make.member(
            workspace, Role.COPYWRITER, email="Wes.Writer@harbour.example", name="Wes Writer"
        ),
        "client": make.member(
            workspace, Role.CLIENT, brands=[brand], email="clara@client.example", name="Clara"
        ),
        "other_client": make.member(
            workspace, Role.CLIENT, brands=[other_brand], email="otto@else.example", name="Otto"
        ),
    }
    with app.app_context():
        post = composer_ops.create_post(people["owner"], brand, "Friday drop")
        post.master_text = CAPTION
        db.session.flush()
        post.revision += 1
        composer_ops.record_revision(post, people["owner"].user, "save", ["master_text"])
    db.session.commit()
    return {"workspace": workspace, "brand": brand, "post": post, **people}


@pytest.fixture
def login(client, login):
    """Sign in as someone else: the login page leaves a signed-in session alone."""

    def _switch(user):
        client.form("/logout", {})
        return login(user)

    return _switch


def url(desk, suffix="", post=None):
    post = post or desk["post"]
    return f"/w/{desk['workspace'].slug}/posts/{post.id}{suffix}"


def comment(client, desk, body="Looks good", post=None, **data):
    return client.form(url(desk, "/comments", post), {"body": body, **data}, htmx=True)


def last_comment() -> Comment:
    row = db.session.scalar(select(Comment).order_by(Comment.id.desc()))
    assert row is not None
    return row


def save_text(client, desk, text, field="master_text"):
    db.session.refresh(desk["post"])
    response = client.form(
        url(desk, "/save"),
        {"base_revision": str(desk["post"].revision), field: text},
        htmx=True,
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    db.session.refresh(desk["post"])


# --- threads -----------------------------------------------------------------------------


def test_editor_shows_the_panel_and_a_comment_and_reply_form_a_thread(client, desk, login):
    login(desk["writer"].user)
    page = client.get(url(desk)).get_data(as_text=True)
    assert 'id="comments"' in page and 'id="comment-form"' in page
    assert 'hx-trigger="every 10s"' in page

    response = comment(client, desk, "Is <b>Friday</b> right?\nCheck the date.")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Is &lt;b&gt;Friday&lt;/b&gt; right?\nCheck the date." in body
    assert "<b>Friday</b>" not in body
    root = last_comment()
    assert root.visibility == CommentVisibility.INTERNAL and root.parent_id is None

    reply = comment(client, desk, "Yes, Friday.", parent_id=str(root.id))
    assert reply.status_code == 200
    answer = last_comment()
    assert answer.parent_id == root.id and answer.visibility == root.visibility
    # A reply to the reply joins the same thread.
    comment(client, desk, "Thanks", parent_id=str(answer.id))
    assert last_comment().parent_id == root.id
    threads = comment_ops.threads(desk["post"], internal=True)
    assert len(threads) == 1 and [c.body for c in threads[0].replies] == ["Yes, Friday.", "Thanks"]


def test_empty_and_too_long_comments_are_refused_with_a_reason(client, desk, login):
    login(desk["writer"].user)
    empty = comment(client, desk, "   \n ")
    assert empty.status_code == 422
    assert "the comment is empty" in empty.get_data(as_text=True)
    long = comment(client, desk, "x" * (comment_ops.MAX_BODY + 1))
    assert long.status_code == 422
    text = long.get_data(as_text=True)
    assert "at most 5,000 characters; this one has 5,001" in text
    assert "x" * 100 in text  # the draft is kept in the form
    assert db.session.scalar(select(Comment)) is None
    # Without htmx the reason comes as a page.
    plain = client.form(url(desk, "/comments"), {"body": ""})
    assert plain.status_code == 422 and "empty" in plain.get_data(as_text=True)


def test_nul_characters_are_dropped(client, desk, login):
    login(desk["writer"].user)
    assert comment(client, desk, "a\x00b").status_code == 200
    assert last_comment().body == "ab"


# --- mentions and the inbox ----------------------------------------------------------------


def test_mentions_notify_members_and_name_handles_that_match_nobody(client, desk, login):
    login(desk["writer"].user)
    response = comment(client, desk, "@DANA can you check this? cc @nobody and @wes.writer.")
    assert response.status_code == 200
    body = html.unescape(response.get_data(as_text=True))
    assert "Notified Dana Designer." in body
    assert "No member of this workspace is called @nobody" in body
    saved = last_comment()  # the comment is kept all the same
    assert saved.mentions == [desk["designer"].user_id]
    rows = db.session.scalars(select(Notification)).all()
    assert len(rows) == 1  # not the author, who mentioned themself
    note = rows[0]
    assert note.user_id == desk["designer"].user_id and note.kind == "mention"
    assert note.comment_id == saved.id and note.post_id == desk["post"].id
    assert "Wes Writer mentioned you on “Friday drop”" in note.text
    assert note.url.endswith(f"/posts/{desk['post'].id}#comment-{saved.id}")


def test_an_email_address_is_not_a_mention():
    assert mentions.mentioned("mail ana@example.com or @Ana, and @bo.") == ["ana", "bo"]
    assert mentions.segments("hi @ana!") == [("text", "hi "), ("mention", "@ana"), ("text", "!")]


def test_handles_shared_by_two_members_get_the_domain(app, make):
    ws = make.workspace()
    a = make.member(ws, Role.DESIGNER, email="sam@alpha.example")
    b = make.member(ws, Role.DESIGNER, email="sam@beta.example")
    c = make.member(ws, Role.DESIGNER, email="kim@alpha.example")
    found = mentions.handles([a, b, c])
    assert set(found) == {"sam.alpha", "sam.beta", "kim"}


def test_internal_comments_never_reach_clients(client, desk, login):
    login(desk["writer"].user)
    internal = comment(client, desk, "Internal: margin is thin. @clara fyi")
    assert "can&#39;t see this comment" in internal.get_data(as_text=True)
    assert db.session.scalar(select(Notification)) is None  # the client was not told
    for_client = comment(client, desk, "@clara does Friday work?", visibility="client")
    assert "Notified Clara." in html.unescape(for_client.get_data(as_text=True))
    internal_row, client_row = db.session.scalars(select(Comment).order_by(Comment.id)).all()

    login(desk["client"].user)
    page = client.get(url(desk)).get_data(as_text=True)
    assert "does Friday work?" in page and "margin is thin" not in page
    panel = client.hx_get(url(desk, "/comments")).get_data(as_text=True)
    assert "does Friday work?" in panel and "margin is thin" not in panel
    assert 'name="visibility"' not in page  # clients don't choose: theirs are for the client
    # A client's comment is for the client, whatever the form says.
    comment(client, desk, "Friday is fine", visibility="internal")
    assert last_comment().visibility == CommentVisibility.CLIENT
    # The internal thread doesn't exist for them.
    hidden = comment(client, desk, "peek", parent_id=str(internal_row.id))
    assert hidden.status_code == 404
    assert client.form(url(desk, f"/comments/{internal_row.id}/resolve"), {}).status_code == 404
    # The share-link page's view of the post: only the client's threads.
    shared = comment_ops.comments_for_client(desk["post"])
    assert [t.root.id for t in shared] == [client_row.id, last_comment().id]


def test_a_client_of_another_brand_is_not_notified_and_not_suggested(client, desk, login):
    login(desk["writer"].user)
    response = comment(client, desk, "@otto see this", visibility="client")
    assert "@otto can&#39;t see this comment" in response.get_data(as_text=True)
    assert db.session.scalar(select(Notification)) is None
    names = client.get(url(desk, "/comments/members?q=o")).get_data(as_text=True)
    assert "@olive" in names and "@otto" not in names
    assert "@dana" in client.get(url(desk, "/comments/members?q=Dan")).get_data(as_text=True)
    none = client.get(url(desk, "/comments/members?q=zz")).get_data(as_text=True)
    assert "No member matches" in none


def test_replies_notify_the_thread_starter(client, desk, login):
    login(desk["designer"].user)
    comment(client, desk, "Crop the image?")
    root = last_comment()
    login(desk["writer"].user)
    comment(client, desk, "Done", parent_id=str(root.id))
    note = db.session.scalar(select(Notification))
    assert note.kind == "reply" and note.user_id == desk["designer"].user_id


def test_inbox_badge_open_mark_read_and_mark_all(client, desk, login):
    login(desk["writer"].user)
    comment(client, desk, "@dana first")
    comment(client, desk, "@dana second")
    first, second = db.session.scalars(select(Notification).order_by(Notification.id)).all()

    login(desk["designer"].user)
    dashboard = client.get(f"/w/{desk['workspace'].slug}/").get_data(as_text=True)
    assert 'aria-label="Inbox, 2 unread"' in dashboard and 'data-unread="2"' in dashboard
    inbox = client.get(f"/w/{desk['workspace'].slug}/inbox").get_data(as_text=True)
    assert "Wes Writer mentioned you on “Friday drop”: @dana second" in inbox
    assert inbox.index("second") < inbox.index("first")  # newest first

    opened = client.form(f"/w/{desk['workspace'].slug}/inbox/{first.id}/open", {})
    assert opened.status_code == 303
    assert opened.headers["Location"].endswith(
        f"/posts/{desk['post'].id}#comment-{first.comment_id}"
    )
    db.session.refresh(first)
    assert first.read_at is not None
    assert unread_count(desk["designer"].user_id, desk["workspace"].id) == 1

    marked = client.form(f"/w/{desk['workspace'].slug}/inbox/read-all", {})
    assert marked.status_code == 303
    db.session.refresh(second)
    assert second.read_at is not None
    page = client.get(f"/w/{desk['workspace'].slug}/").get_data(as_text=True)
    assert 'data-unread="' not in page and 'aria-label="Inbox"' in page

    single = client.form(f"/w/{desk['workspace'].slug}/inbox/{second.id}/read", {})
    assert single.status_code == 303


def test_the_header_badge_refreshes_itself_and_a_lapsed_session_signs_in_again(client, desk, login):
    ws = desk["workspace"].slug
    login(desk["designer"].user)
    page = client.get(f"/w/{ws}/").get_data(as_text=True)
    assert f'hx-get="/w/{ws}/inbox/badge" hx-trigger="every 30s"' in page
    assert 'aria-label="Inbox"' in page

    client.form("/logout")
    login(desk["writer"].user)
    comment(client, desk, "@dana have a look")
    client.form("/logout")
    login(desk["designer"].user)
    badge = client.hx_get(f"/w/{ws}/inbox/badge", headers={"HX-Current-URL": f"/w/{ws}/inbox"})
    html = badge.get_data(as_text=True)
    assert badge.status_code == 200 and html.lstrip().startswith('<a class="inbox-link has-unread"')
    assert 'aria-label="Inbox, 1 unread"' in html and 'aria-current="page"' in html

    # Signed out (the session ended), the poll sends the whole window to sign in.
    client.form("/logout")
    lapsed = client.hx_get(
        f"/w/{ws}/inbox/badge", headers={"HX-Current-URL": f"http://localhost/w/{ws}/calendar?m=3"}
    )
    assert lapsed.status_code == 401
    assert lapsed.headers["HX-Redirect"] == f"/login?next=/w/{ws}/calendar?m%3D3"
    # A boosted navigation and a plain request still get the ordinary redirect.
    assert client.get(f"/w/{ws}/inbox/badge").status_code == 302
    boosted = client.hx_get(f"/w/{ws}/", headers={"HX-Boosted": "true"})
    assert boosted.status_code == 302


def test_someone_elses_notification_is_404(client, desk, login):
    login(desk["writer"].user)
    comment(client, desk, "@dana look")
    note = db.session.scalar(select(Notification))
    login(desk["manager"].user)
    for suffix in ("read", "open"):
        response = client.form(f"/w/{desk['workspace'].slug}/inbox/{note.id}/{suffix}", {})
        assert response.status_code == 404


def test_notify_is_for_members_only(app, desk, make):
    stranger = make.user()
    with app.app_context():
        assert notify(stranger.id, desk["workspace"].id, "publish_failed", "x") is None
        row = notify(
            desk["owner"].user_id,
            desk["workspace"].id,
            "publish_failed",
            "“Friday drop” failed on X:   " + "y" * 600,
            post_id=desk["post"].id,
            url="/somewhere",
        )
    assert row is not None and len(row.text) == 500 and row.text.endswith("…")
    assert "  " not in row.text


def test_the_header_badge_costs_no_query_on_fragments(app, client, desk, login):
    login(desk["designer"].user)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        client.hx_get(url(desk, "/comments"))
        fragment = list(statements)
        statements.clear()
        client.get(url(desk))
        page = list(statements)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert not [s for s in fragment if "FROM notifications" in s]
    assert [s for s in page if "FROM notifications" in s]


# --- resolve / reopen ----------------------------------------------------------------------


def test_resolve_and_reopen(client, desk, login):
    login(desk["writer"].user)
    comment(client, desk, "Shorter?", visibility="client")
    root = last_comment()
    resolved = client.form(url(desk, f"/comments/{root.id}/resolve"), {}, htmx=True)
    assert resolved.status_code == 200 and "Resolved (1)" in resolved.get_data(as_text=True)
    db.session.refresh(root)
    assert root.resolved_at is not None and root.resolved_by_id == desk["writer"].user_id

    # The client may not resolve the team's thread, but may resolve their own.
    login(desk["client"].user)
    assert client.form(url(desk, f"/comments/{root.id}/reopen"), {}).status_code == 403
    comment(client, desk, "Can we add a price?")
    mine = last_comment()
    assert client.form(url(desk, f"/comments/{mine.id}/resolve"), {}).status_code == 303

    # A new reply reopens a resolved thread; reopening works too.
    login(desk["writer"].user)
    comment(client, desk, "Added", parent_id=str(mine.id))
    db.session.refresh(mine)
    assert mine.resolved_at is None
    reopened = client.form(url(desk, f"/comments/{root.id}/reopen"), {}, htmx=True)
    assert reopened.status_code == 200
    db.session.refresh(root)
    assert root.resolved_at is None


# --- other workspaces and other posts ------------------------------------------------------


def test_other_workspaces_posts_and_other_posts_comments_are_404(client, desk, login, make):
    login(desk["writer"].user)
    comment(client, desk, "On the first post")
    first = last_comment()
    with client.application.app_context():
        second = composer_ops.create_post(desk["writer"], desk["brand"], "Second")
    db.session.commit()
    reply = comment(client, desk, "Wrong post", post=second, parent_id=str(first.id))
    assert reply.status_code == 404
    resolve = client.form(url(desk, f"/comments/{first.id}/resolve", post=second), {})
    assert resolve.status_code == 404

    outsider = make.member(make.workspace(), Role.OWNER)
    login(outsider.user)
    own = outsider.workspace.slug
    for path in (f"/w/{own}/posts/{desk['post'].id}/comments",):
        assert client.form(path, {"body": "hi"}).status_code == 404
        assert client.get(path).status_code == 404


def test_a_client_of_another_brand_cannot_comment(client, desk, login):
    login(desk["other_client"].user)
    assert comment(client, desk, "hello").status_code == 404
    assert client.get(url(desk, "/comments?since=x")).status_code == 404


# --- polling -------------------------------------------------------------------------------


def test_poll_answers_204_until_something_changes(client, desk, login):
    login(desk["writer"].user)
    panel = client.hx_get(url(desk, "/comments")).get_data(as_text=True)
    since = html.unescape(re.search(r'/comments\?since=([^"]+)"', panel).group(1))
    assert client.hx_get(url(desk, f"/comments?since={since}")).status_code == 204

    comment(client, desk, "New one")
    changed = client.hx_get(url(desk, f"/comments?since={since}"))
    assert changed.status_code == 200 and "New one" in changed.get_data(as_text=True)
    since = html.unescape(
        re.search(r'/comments\?since=([^"]+)"', changed.get_data(as_text=True)).group(1)
    )
    assert client.hx_get(url(desk, f"/comments?since={since}")).status_code == 204
    # An edit to the post moves anchors, so it changes the panel too.
    save_text(client, desk, CAPTION + " New!")
    assert client.hx_get(url(desk, f"/comments?since={since}")).status_code == 200
    # Resolving changes it.
    panel = client.hx_get(url(desk, "/comments")).get_data(as_text=True)
    since = html.unescape(re.search(r'/comments\?since=([^"]+)"', panel).group(1))
    client.form(url(desk, f"/comments/{last_comment().id}/resolve"), {}, htmx=True)
    assert client.hx_get(url(desk, f"/comments?since={since}")).status_code == 200


def test_a_client_poll_ignores_internal_activity(client, desk, login):
    login(desk["client"].user)
    panel = client.hx_get(url(desk, "/comments")).get_data(as_text=True)
    since = html.unescape(re.search(r'/comments\?since=([^"]+)"', panel).group(1))
    login(desk["writer"].user)
    comment(client, desk, "team only")
    login(desk["client"].user)
    assert client.hx_get(url(desk, f"/comments?since={since}")).status_code == 204


# --- anchors -------------------------------------------------------------------------------


def anchor_on(text: str, quote: str, field="master_text", revision=None) -> dict[str, str]:
    start = text.index(quote)
    data = {
        "anchor_field": field,
        "anchor_start": str(start),
        "anchor_end": str(start + len(quote)),
        "anchor_quote": quote,
    }
    if revision is not None:
        data["anchor_revision"] = str(revision)
    return data


def test_a_text_anchor_follows_edits_and_says_when_its_text_was_deleted(client, desk, login):
    login(desk["writer"].user)
    response = comment(client, desk, "Which lots?", **anchor_on(CAPTION, "Ethiopian lots"))
    assert response.status_code == 200
    row = last_comment()
    assert (row.anchor_kind, row.anchor_start, row.anchor_end) == ("text", 6, 20)
    assert row.anchor_revision == desk["post"].revision and row.anchor_quote == "Ethiopian lots"
    body = response.get_data(as_text=True)
    assert 'data-anchor-field="master_text" data-anchor-start="6" data-anchor-end="20"' in body

    # Words typed before the range push it along.
    save_text(client, desk, "NEW: " + CAPTION)
    panel = client.hx_get(url(desk, "/comments")).get_data(as_text=True)
    assert 'data-anchor-start="11" data-anchor-end="25"' in panel
    assert "deleted" not in panel

    # Edited inside: it follows, and says what it said.
    save_text(client, desk, "NEW: Fresh Ethiopian washed lots land Friday.")
    panel = html.unescape(client.hx_get(url(desk, "/comments")).get_data(as_text=True))
    assert 'data-anchor-text="Ethiopian washed lots"' in panel
    assert "Edited since the comment; it said <q>Ethiopian lots</q>" in panel

    # Deleted: the comment says so and keeps the quote.
    save_text(client, desk, "NEW: Fresh beans land Friday.")
    panel = client.hx_get(url(desk, "/comments")).get_data(as_text=True)
    assert "The text this comment was on was deleted" in panel
    assert "<q>Ethiopian lots</q>" in panel
    assert "data-anchor-start" not in panel


def test_anchor_offsets_from_an_older_revision_are_carried_to_the_current_text(client, desk, login):
    login(desk["writer"].user)
    old_revision = desk["post"].revision
    save_text(client, desk, "Hello! " + CAPTION)
    response = comment(client, desk, "Check", **anchor_on(CAPTION, "Friday", revision=old_revision))
    assert response.status_code == 200
    row = last_comment()
    text = desk["post"].master_text
    assert text[row.anchor_start : row.anchor_end] == "Friday"
    assert row.anchor_start == text.index("Friday")
    assert row.anchor_revision == desk["post"].revision


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (
            {"anchor_field": "master_text", "anchor_start": "500", "anchor_end": "510"},
            422,
            "starts past the end of the caption (it has 61 characters)",
        ),
        (
            {"anchor_field": "master_text", "anchor_start": "5", "anchor_end": "5"},
            422,
            "Select some text first",
        ),
        (
            {"anchor_field": "master_text", "anchor_start": "-3", "anchor_end": "4"},
            422,
            "Select some text first",
        ),
        (
            {"anchor_field": "master_text", "anchor_start": "a", "anchor_end": "4"},
            422,
            "selection start isn",
        ),
        (
            {"anchor_field": "title", "anchor_start": "0", "anchor_end": "4"},
            422,
            "isn&#39;t part of this post",
        ),
        (
            {"anchor_field": "variant_text.x", "anchor_start": "0", "anchor_end": "4"},
            422,
            "isn&#39;t part of this post",
        ),
        (
            {
                "anchor_field": "master_text",
                "anchor_start": "0",
                "anchor_end": "5",
                "anchor_quote": "never typed",
            },
            422,
            "isn&#39;t saved yet",
        ),
        (
            {"anchor_media_id": "999999", "anchor_x": "0.5", "anchor_y": "0.5"},
            422,
            "That image isn&#39;t in this post",
        ),
    ],
)
def test_bad_anchors_are_refused_with_a_reason(client, desk, login, data, status, message):
    login(desk["writer"].user)
    response = comment(client, desk, "About this", **data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(Comment)) is None


def test_a_selection_running_past_the_end_is_cut_to_the_text(client, desk, login):
    login(desk["writer"].user)
    start = CAPTION.index("bar.")
    response = comment(
        client,
        desk,
        "End",
        anchor_field="master_text",
        anchor_start=str(start),
        anchor_end=str(start + 400),
    )
    assert response.status_code == 200
    row = last_comment()
    assert row.anchor_end == len(CAPTION) and row.anchor_quote == "bar."


def test_anchor_on_a_platform_text_and_the_variant_reset(client, desk, login):
    login(desk["writer"].user)
    client.form(
        url(desk, "/save"),
        {"base_revision": str(desk["post"].revision), "action": "customise:x"},
        htmx=True,
    )
    save_text(client, desk, "Short for X: Ethiopian lots Friday", field="variant_text.x")
    text = desk["post"].variant("x").text
    response = comment(client, desk, "Too short?", **anchor_on(text, "lots", "variant_text.x"))
    assert response.status_code == 200
    assert "X text" in response.get_data(as_text=True)
    client.form(
        url(desk, "/save"),
        {"base_revision": str(desk["post"].revision), "action": "reset:x"},
        htmx=True,
    )
    panel = client.hx_get(url(desk, "/comments")).get_data(as_text=True)
    assert "The text this comment was on was deleted" in panel


def test_an_image_point_anchor(client, desk, login):
    item = MediaItem(
        workspace_id=desk["workspace"].id,
        brand_id=desk["brand"].id,
        sha256="a" * 64,
        master_sha256="b" * 64,
        master_format="JPEG",
        filename="beans.jpg",
        mimetype="image/jpeg",
        width=1200,
        height=800,
        size_bytes=1000,
        alt_text="A sack of beans",
    )
    db.session.add(item)
    db.session.flush()
    desk["post"].media = [{"media_id": item.id, "alt_text": ""}]
    db.session.commit()
    login(desk["designer"].user)
    editor = client.get(url(desk)).get_data(as_text=True)
    assert f'data-pin-media="{item.id}"' in editor
    outside = comment(
        client, desk, "Here", anchor_media_id=str(item.id), anchor_x="1.5", anchor_y="0.2"
    )
    assert outside.status_code == 422
    assert "Click inside the picture" in outside.get_data(as_text=True)
    nan = comment(client, desk, "Here", anchor_media_id=str(item.id), anchor_x="nan", anchor_y="0")
    assert nan.status_code == 422
    response = comment(
        client,
        desk,
        "Logo too close",
        anchor_media_id=str(item.id),
        anchor_x="0.25",
        anchor_y="0.75",
    )
    assert response.status_code == 200
    row = last_comment()
    assert (row.anchor_kind, row.anchor_media_id, row.anchor_x, row.anchor_y) == (
        "image",
        item.id,
        0.25,
        0.75,
    )
    body = response.get_data(as_text=True)
    assert f'data-anchor-media="{item.id}"' in body
    assert "left: 25.0%; top: 75.0%" in body and "25% across, 75% down" in body


# --- anchors, unit ---------------------------------------------------------------------------


OLD = "Fresh Ethiopian lots land Friday."


@pytest.mark.parametrize(
    ("new", "state", "current"),
    [
        (OLD, "ok", "Ethiopian lots"),
        ("Very " + OLD, "ok", "Ethiopian lots"),  # typed before
        ("Fresh Ethiopian lots!! land Friday.", "ok", "Ethiopian lots"),  # typed right after
        ("Fresh Ethiopian washed lots land Friday.", "changed", "Ethiopian washed lots"),
        ("Fresh Ethiopean lots land Friday.", "changed", "Ethiopean lots"),  # a typo fixed
        ("Fresh land Friday.", "deleted", ""),
        ("Fresh Kenyan beans land Friday.", "deleted", ""),  # replaced by other words
        ("Land Friday: Ethiopian lots.", "ok", "Ethiopian lots"),  # moved
        ("", "deleted", ""),
    ],
)
def test_locate(new, state, current):
    start = OLD.index("Ethiopian lots")
    found = anchors.locate(OLD, new, start, start + 14, "Ethiopian lots")
    assert found.state == state
    if state != "deleted":
        assert new[found.start : found.end] == current == found.current


def test_locate_without_a_trustworthy_base_searches_for_the_quote():
    found = anchors.locate(None, "x Friday y Friday", 11, 17, "Friday")
    assert (found.state, found.start) == ("ok", 11)
    assert anchors.locate("other text", "x y", 0, 5, "Friday").deleted
    assert anchors.locate(OLD, None, 0, 5, "Fresh").deleted


def test_map_range_keeps_insertions_at_the_edges_outside():
    diffs = anchors.diff("abcXYZdef", "abc!XYZ!def")
    assert anchors.map_range(diffs, 3, 6) == (4, 7, 3)


# --- editing and deleting ------------------------------------------------------------------


def edit(client, desk, comment_id, body, htmx=True, post=None):
    return client.form(url(desk, f"/comments/{comment_id}/edit", post), {"body": body}, htmx=htmx)


def delete(client, desk, comment_id, htmx=True, post=None):
    return client.form(url(desk, f"/comments/{comment_id}/delete", post), {}, htmx=htmx)


def notifications_for(member) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == member.user_id)
            .order_by(Notification.id)
        )
    )


def test_the_author_edits_their_comment_and_it_says_edited(client, desk, login):
    login(desk["writer"].user)
    comment(client, desk, "Is Friday rigth?")
    row = last_comment()
    panel = client.get(url(desk)).get_data(as_text=True)
    assert 'aria-label="Edit your comment"' in panel
    assert 'aria-label="Delete your comment"' in panel and "hx-confirm=" in panel

    # Edit swaps the comment for a form holding its text.
    form = client.hx_get(url(desk, f"/comments/{row.id}/edit"))
    assert form.status_code == 200
    fragment = form.get_data(as_text=True)
    assert "<html" not in fragment and f'id="comment-{row.id}"' in fragment
    assert ">Is Friday rigth?</textarea>" in fragment
    assert f'hx-post="{url(desk, f"/comments/{row.id}/edit")}"' in fragment
    assert "Save" in fragment and "Cancel" in fragment
    # Cancel puts the comment back as it was.
    back = client.hx_get(url(desk, f"/comments/{row.id}")).get_data(as_text=True)
    assert "Is Friday rigth?</p>" in back and "<textarea" not in back

    saved = edit(client, desk, row.id, "  Is Friday right?  ")
    assert saved.status_code == 200
    body = saved.get_data(as_text=True)
    assert 'id="comments"' in body  # the whole panel, as after posting
    assert "Is Friday right?</p>" in body and "rigth" not in body
    db.session.refresh(row)
    assert row.body == "Is Friday right?"
    assert row.edited_at is not None and row.edited_at >= row.created_at
    stamp = row.edited_at.strftime("%d %b %H:%M")
    assert f'title="Edited {stamp} UTC">(edited' in body
    # Saving the same text again is no edit.
    before = row.edited_at
    assert edit(client, desk, row.id, "Is Friday right?").status_code == 200
    db.session.refresh(row)
    assert row.edited_at == before

    # Without JavaScript: a page with the form, then back to the post.
    page = client.get(url(desk, f"/comments/{row.id}/edit"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<html" in text and "Edit comment" in text and "hx-post" not in text.split("<form")[1]
    plain = edit(client, desk, row.id, "Friday works.", htmx=False)
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith(f"/posts/{desk['post'].id}#comment-{row.id}")
    db.session.refresh(row)
    assert row.body == "Friday works."


def test_only_the_author_may_edit_a_comment(client, desk, login):
    login(desk["designer"].user)
    comment(client, desk, "Crop it tighter", visibility="client")
    row = last_comment()
    for member in ("writer", "manager", "owner", "client"):
        login(desk[member].user)
        assert client.hx_get(url(desk, f"/comments/{row.id}/edit")).status_code == 403, member
        assert edit(client, desk, row.id, "Rewritten").status_code == 403, member
        panel = client.get(url(desk)).get_data(as_text=True)
        assert 'aria-label="Edit your comment"' not in panel
    db.session.refresh(row)
    assert row.body == "Crop it tighter" and row.edited_at is None
    # The owner may remove it (moderation), not put words in someone's mouth.
    login(desk["owner"].user)
    panel = client.get(url(desk)).get_data(as_text=True)
    assert 'aria-label="Delete Dana Designer\u2019s comment"' in panel


def test_a_mention_added_by_an_edit_notifies_once(client, desk, login):
    login(desk["writer"].user)
    comment(client, desk, "@dana can you look?")
    row = last_comment()
    assert len(notifications_for(desk["designer"])) == 1

    response = edit(client, desk, row.id, "@dana can you look? @max too, and @nobody")
    assert response.status_code == 200
    body = html.unescape(response.get_data(as_text=True))
    assert "Notified Max." in body and "Dana" not in body.split("Notified")[1].split(".")[0]
    assert "No member of this workspace is called @nobody" in body
    assert len(notifications_for(desk["designer"])) == 1  # not told twice
    (note,) = notifications_for(desk["manager"])
    assert note.kind == "mention" and note.comment_id == row.id
    assert "@max too" in note.text
    db.session.refresh(row)
    assert row.mentions == [desk["designer"].user_id, desk["manager"].user_id]

    # Later edits tell nobody again, even after taking a mention out and putting it back,
    # and don't repeat what the author was already told about @nobody.
    edit(client, desk, row.id, "Can you look? @nobody")
    again = edit(client, desk, row.id, "@max @dana one more look, @nobody")
    assert "Notified" not in again.get_data(as_text=True)
    assert "is called @nobody" not in html.unescape(again.get_data(as_text=True))
    assert len(notifications_for(desk["designer"])) == 1
    assert len(notifications_for(desk["manager"])) == 1


def test_mentioning_the_thread_starter_in_an_edited_reply_does_not_tell_them_twice(
    client, desk, login
):
    login(desk["designer"].user)
    comment(client, desk, "Crop the image?")
    root = last_comment()
    login(desk["writer"].user)
    comment(client, desk, "Done", parent_id=str(root.id))
    reply = last_comment()
    assert [n.kind for n in notifications_for(desk["designer"])] == ["reply"]
    assert edit(client, desk, reply.id, "Done, @dana").status_code == 200
    assert [n.kind for n in notifications_for(desk["designer"])] == ["reply"]


def test_a_refused_edit_answers_422_next_to_the_field_and_keeps_the_text(client, desk, login):
    login(desk["writer"].user)
    comment(client, desk, "Short and sweet")
    row = last_comment()
    long = "x" * (comment_ops.MAX_BODY + 1)
    response = edit(client, desk, row.id, long)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "at most 5,000 characters; this one has 5,001" in body
    assert f">{long}</textarea>" in body  # what they typed is still in the form
    assert f'aria-describedby="edit-error-{row.id}"' in body and 'aria-invalid="true"' in body
    assert f'<p id="edit-error-{row.id}" class="form-error" role="alert">' in body
    empty = edit(client, desk, row.id, "  \n ")
    assert empty.status_code == 422 and "the comment is empty" in empty.get_data(as_text=True)
    db.session.refresh(row)
    assert row.body == "Short and sweet" and row.edited_at is None
    # Without JavaScript the page comes back with the message and the text.
    plain = edit(client, desk, row.id, long, htmx=False)
    assert plain.status_code == 422
    text = plain.get_data(as_text=True)
    assert "<html" in text and "at most 5,000 characters" in text and f">{long}</textarea>" in text


def test_the_author_deletes_their_comment(client, desk, login):
    login(desk["writer"].user)
    comment(client, desk, "@dana typo here")
    first = last_comment()
    comment(client, desk, "Keep this one")
    response = delete(client, desk, first.id)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Comment deleted." in body
    assert "typo here" not in body and f'id="comment-{first.id}"' not in body
    assert "Keep this one" in body
    db.session.refresh(first)
    assert first.deleted_at is not None and first.deleted_by_id == desk["writer"].user_id
    assert first.body == ""
    assert [t.root.id for t in comment_ops.threads(desk["post"], internal=True)] == [
        last_comment().id
    ]
    # A deleted comment can't be edited any more, and deleting it twice changes nothing.
    gone = edit(client, desk, first.id, "back again")
    assert gone.status_code == 409 and "was deleted" in gone.get_data(as_text=True)
    assert delete(client, desk, first.id).status_code == 200
    # Without JavaScript: back to the post's comments.
    plain = delete(client, desk, last_comment().id, htmx=False)
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith(f"/posts/{desk['post'].id}#comments")
    assert comment_ops.threads(desk["post"], internal=True) == []


def test_a_manager_deletes_someone_elses_comment_and_others_may_not(client, desk, login):
    login(desk["writer"].user)
    comment(client, desk, "Off-topic rant", visibility="client")
    row = last_comment()
    for member in ("designer", "client"):
        login(desk[member].user)
        assert delete(client, desk, row.id).status_code == 403, member
        panel = client.get(url(desk)).get_data(as_text=True)
        assert "Delete Wes Writer\u2019s comment" not in panel
    db.session.refresh(row)
    assert row.deleted_at is None

    login(desk["manager"].user)
    panel = client.get(url(desk)).get_data(as_text=True)
    assert 'aria-label="Delete Wes Writer\u2019s comment"' in panel
    assert delete(client, desk, row.id).status_code == 200
    db.session.refresh(row)
    assert row.deleted_at is not None and row.deleted_by_id == desk["manager"].user_id


def test_deleting_a_first_comment_with_replies_keeps_the_thread(app, client, desk, login):
    login(desk["designer"].user)
    comment(client, desk, "Crop the image?", visibility="client")
    root = last_comment()
    login(desk["writer"].user)
    comment(client, desk, "Done", parent_id=str(root.id))
    reply = last_comment()
    panel = client.hx_get(url(desk, "/comments")).get_data(as_text=True)
    since = html.unescape(re.search(r'/comments\?since=([^"]+)"', panel).group(1))

    login(desk["designer"].user)
    response = delete(client, desk, root.id)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<em>Comment deleted</em>" in body and "Crop the image?" not in body
    assert "Done</p>" in body and f'id="reply-{root.id}"' in body  # still answerable
    placeholder = body.split(f'id="comment-{root.id}"')[1].split("</article>")[0]
    assert "Edit" not in placeholder and "Delete" not in placeholder
    (thread,) = comment_ops.threads(desk["post"], internal=True)
    assert thread.root.id == root.id and [c.id for c in thread.replies] == [reply.id]
    # The client's view (share link, portal) shows the same.
    (shared,) = comment_ops.comments_for_client(desk["post"])
    with app.test_request_context():
        from flask import render_template

        page = render_template("comments/_client_threads.html", client_threads=[shared])
    assert "<em>Comment deleted</em>" in page and "Done" in page

    # Others watching the panel see it change.
    login(desk["writer"].user)
    assert client.hx_get(url(desk, f"/comments?since={since}")).status_code == 200
    # Deleting the last reply takes the whole thread out of view; it takes no more replies.
    assert delete(client, desk, reply.id).status_code == 200
    assert comment_ops.threads(desk["post"], internal=True) == []
    panel = client.hx_get(url(desk, "/comments")).get_data(as_text=True)
    assert "No comments yet." in panel and "Comment deleted" not in panel
    assert comment(client, desk, "Hello?", parent_id=str(root.id)).status_code == 404


def test_a_deleted_comments_notification_opens_the_post(client, desk, login):
    login(desk["writer"].user)
    comment(client, desk, "@dana secret launch price is 4.99")
    row = last_comment()
    delete(client, desk, row.id)

    login(desk["designer"].user)
    inbox = client.get(f"/w/{desk['workspace'].slug}/inbox")
    assert inbox.status_code == 200
    text = inbox.get_data(as_text=True)
    assert "A comment on “Friday drop” was deleted." in text
    assert "4.99" not in text  # the inbox doesn't keep quoting what was deleted
    (note,) = notifications_for(desk["designer"])
    assert note.comment_id == row.id
    opened = client.form(f"/w/{desk['workspace'].slug}/inbox/{note.id}/open", {})
    assert opened.status_code == 303
    location = opened.headers["Location"]
    assert location.endswith(f"/posts/{desk['post'].id}#comments")
    landed = client.get(location.split("#")[0])
    assert landed.status_code == 200 and "4.99" not in landed.get_data(as_text=True)


def test_a_client_edits_and_deletes_only_their_own_comments_on_their_brands(client, desk, login):
    login(desk["writer"].user)
    comment(client, desk, "For you: Friday?", visibility="client")
    teams = last_comment()
    comment(client, desk, "Internal only")
    internal = last_comment()

    login(desk["client"].user)
    comment(client, desk, "Frday is fine")
    mine = last_comment()
    assert edit(client, desk, mine.id, "Friday is fine").status_code == 200
    db.session.refresh(mine)
    assert mine.body == "Friday is fine"
    assert edit(client, desk, teams.id, "Monday").status_code == 403
    assert delete(client, desk, teams.id).status_code == 403
    assert edit(client, desk, internal.id, "peek").status_code == 404
    assert delete(client, desk, internal.id).status_code == 404

    login(desk["other_client"].user)  # a client of another brand doesn't see the post
    assert edit(client, desk, mine.id, "hijack").status_code == 404
    assert delete(client, desk, mine.id).status_code == 404

    # Taken off the brand, the client can't change what they wrote there any more.
    db.session.execute(
        ClientBrandAccess.__table__.delete().where(
            ClientBrandAccess.membership_id == desk["client"].id
        )
    )
    db.session.commit()
    login(desk["client"].user)
    assert edit(client, desk, mine.id, "Still mine?").status_code == 404
    assert delete(client, desk, mine.id).status_code == 404
    db.session.refresh(mine)
    assert mine.body == "Friday is fine" and mine.deleted_at is None


def test_editing_or_deleting_from_another_workspace_or_post_is_404(client, desk, login, make):
    login(desk["writer"].user)
    comment(client, desk, "Mine")
    row = last_comment()
    with client.application.app_context():
        second = composer_ops.create_post(desk["writer"], desk["brand"], "Second")
    db.session.commit()
    assert edit(client, desk, row.id, "moved", post=second).status_code == 404
    assert delete(client, desk, row.id, post=second).status_code == 404

    outsider = make.member(make.workspace(), Role.OWNER)
    login(outsider.user)
    for slug in (desk["workspace"].slug, outsider.workspace.slug):
        base = f"/w/{slug}/posts/{desk['post'].id}/comments/{row.id}"
        assert client.get(base).status_code == 404
        assert client.get(f"{base}/edit").status_code == 404
        assert client.form(f"{base}/edit", {"body": "x"}).status_code == 404
        assert client.form(f"{base}/delete", {}).status_code == 404
    db.session.refresh(row)
    assert row.body == "Mine" and row.deleted_at is None
