"""The composer: drafts, autosave on a base revision, variants, previews, counters, voice."""

from __future__ import annotations

import re

from sqlalchemy import select

from studio.extensions import db
from studio.models import Post


def new_post(client, desk) -> Post:
    response = client.form(
        f"/w/{desk['workspace'].slug}/brands/{desk['brand'].id}/posts", {"title": "Launch"}
    )
    assert response.status_code == 303
    return db.session.scalar(select(Post).order_by(Post.id.desc()))


def url(desk, post, suffix=""):
    return f"/w/{desk['workspace'].slug}/posts/{post.id}{suffix}"


def test_new_post_targets_the_brands_platforms_with_inheriting_variants(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    assert post.title == "Launch" and post.revision == 1
    assert set(post.platforms) == set(desk["brand"].platforms)
    assert all(v.text is None for v in post.variants)
    page = client.get(url(desk, post)).get_data(as_text=True)
    for name in (
        "X",
        "Instagram",
        "LinkedIn",
        "Bluesky",
        "Mastodon",
        "TikTok",
        "Pinterest",
        "Threads",
        "Facebook",
    ):
        assert '<h3 id="pv-title-' in page and name in page


def test_autosave_needs_the_base_revision_and_answers_409_when_stale(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    saved = client.form(
        url(desk, post, "/save"), {"base_revision": "1", "master_text": "Hello tea"}, htmx=True
    )
    assert saved.status_code == 200
    assert "Saved · revision 2" in saved.get_data(as_text=True)
    assert 'id="base-revision" name="base_revision" value="2"' in saved.get_data(as_text=True)
    stale = client.form(
        url(desk, post, "/save"), {"base_revision": "1", "master_text": "Other"}, htmx=True
    )
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert "overlaps one saved by someone else" in body
    assert "Keep mine" in body and "Keep theirs" in body and 'data-value="Hello tea"' in body
    db.session.refresh(post)
    assert post.master_text == "Hello tea" and post.revision == 2


def test_customise_then_reset_a_variant(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    client.form(
        url(desk, post, "/save"), {"base_revision": "1", "master_text": "Master copy"}, htmx=True
    )
    response = client.form(
        url(desk, post, "/save"), {"base_revision": "2", "action": "customise:x"}, htmx=True
    )
    assert response.status_code == 200 and response.headers["HX-Location"].endswith(
        f"/posts/{post.id}"
    )
    db.session.refresh(post)
    assert post.variant("x").text == "Master copy"
    client.form(
        url(desk, post, "/save"),
        {
            "base_revision": str(post.revision),
            "variant_text.x": "Short for X",
            "master_text": "Master copy, edited",
        },
        htmx=True,
    )
    db.session.refresh(post)
    assert post.variant("x").text == "Short for X"
    assert post.variant("linkedin").effective_text() == "Master copy, edited"
    page = client.get(url(desk, post)).get_data(as_text=True)
    assert "Customised" in page and "Reset to master" in page
    client.form(
        url(desk, post, "/save"),
        {"base_revision": str(post.revision), "action": "reset:x"},
        htmx=True,
    )
    db.session.refresh(post)
    assert post.variant("x").text is None


def test_preview_swaps_only_the_cards_that_changed(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    client.form(
        url(desk, post, "/save"), {"base_revision": "1", "action": "customise:x"}, htmx=True
    )
    page = client.get(url(desk, post)).get_data(as_text=True)
    fingerprints = dict(re.findall(r'name="fp\.(\w+)" value="(\w+)"', page))
    assert len(fingerprints) == len(post.platforms)
    # Typing in the X variant only: every other card is unchanged.
    data = {f"fp.{p}": fp for p, fp in fingerprints.items()}
    data["variant_text.x"] = "Only X changes"
    body = client.form(url(desk, post, "/preview"), data, htmx=True).get_data(as_text=True)
    swapped = re.findall(
        r'<article class="pv pv-(\w+)" id="preview-\w+"[^>]*hx-swap-oob="true"', body
    )
    assert swapped == ["x"]
    assert "Only X changes" in body
    # Typing in the master caption changes every card that inherits it.
    data = {f"fp.{p}": fp for p, fp in fingerprints.items()}
    data["master_text"] = "A new caption"
    body = client.form(url(desk, post, "/preview"), data, htmx=True).get_data(as_text=True)
    swapped = set(re.findall(r'<article class="pv pv-(\w+)"', body))
    assert swapped == set(post.platforms) - {"x"}


def test_counters_and_problems_follow_each_platform(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    text = "a" * 290
    body = client.form(url(desk, post, "/preview"), {"master_text": text}, htmx=True).get_data(
        as_text=True
    )
    x_counter = re.search(r'<li class="counter (\w+)"[^>]*title="X: 290 of 280', body)
    assert x_counter and x_counter.group(1) == "over"
    assert re.search(r'<li class="counter ok"[^>]*title="LinkedIn: 290 of 3000', body)
    assert ("X: " in body and "too long" in body.lower()) or "over" in body
    near = client.form(url(desk, post, "/preview"), {"master_text": "b" * 260}, htmx=True).get_data(
        as_text=True
    )
    assert re.search(r'<li class="counter near"[^>]*title="X: 260 of 280', near)


def test_x_counts_urls_as_23_and_bluesky_counts_graphemes(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    text = "Family 👨‍👩‍👧‍👦 https://example.com/" + "x" * 80
    body = client.form(url(desk, post, "/preview"), {"master_text": text}, htmx=True).get_data(
        as_text=True
    )
    assert 'title="X: 33 of 280' in body  # "Family " 7 + emoji 2 + space 1 + URL 23
    assert 'title="Bluesky: 109 of 300' in body  # the family is one grapheme


def test_voice_finding_shows_with_its_suggestion(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    body = client.form(
        url(desk, post, "/preview"), {"master_text": "So cheap!"}, htmx=True
    ).get_data(as_text=True)
    assert "“cheap” is on this brand" in body or "cheap" in body
    assert 'data-suggestion="affordable"' in body and 'data-original="cheap"' in body
    assert 'class="finding-item block"' in body


def test_html_in_captions_is_escaped(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    evil = '<script>alert(1)</script> <img src=x onerror=alert(2)> "quotes"'
    client.form(
        url(desk, post, "/save"),
        {"base_revision": "1", "master_text": evil, "title": "<b>t</b>"},
        htmx=True,
    )
    page = client.get(url(desk, post)).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "<b>t</b>" not in page


def test_huge_and_odd_text_never_500s(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    for text in (
        "x" * 100_000,
        "👩‍👩‍👧‍👦" * 500,
        "שלום world مرحبا",
        "e\u0301" * 400,
        "zero\u200bwidth\u200d\ufeff",
        "http://[::1 https:// www. ftp://x",
    ):
        response = client.form(url(desk, post, "/preview"), {"master_text": text}, htmx=True)
        assert response.status_code == 200, text[:20]
    too_long = client.form(
        url(desk, post, "/save"), {"base_revision": "1", "master_text": "y" * 100_001}, htmx=True
    )
    assert too_long.status_code == 422
    assert "100,000" in too_long.get_data(as_text=True)
    db.session.refresh(post)
    assert post.master_text == "" and post.revision == 1


def test_unknown_platform_and_variant_without_platform_are_refused(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    bad = client.form(
        url(desk, post, "/save"),
        {"base_revision": "1", "platforms_present": "1", "platforms": ["x", "myspace"]},
        htmx=True,
    )
    assert bad.status_code == 422 and "Unknown platform: myspace" in bad.get_data(as_text=True)
    client.form(
        url(desk, post, "/save"),
        {"base_revision": "1", "platforms_present": "1", "platforms": ["x", "mastodon"]},
        htmx=True,
    )
    db.session.refresh(post)
    assert post.platforms == ["x", "mastodon"]
    response = client.form(
        url(desk, post, "/save"), {"base_revision": "2", "action": "customise:linkedin"}, htmx=True
    )
    assert response.status_code == 422
    assert "no linkedin variant" in response.get_data(as_text=True)


def test_utm_builder_adds_parameters_to_the_link(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    client.form(
        url(desk, post, "/save"),
        {
            "base_revision": "1",
            "link_url": "https://harbour.example/tea?ref=1",
            "action": "utm",
            "utm_source": "plume",
            "utm_medium": "social",
            "utm_campaign": "spring",
        },
        htmx=True,
    )
    db.session.refresh(post)
    assert (
        post.link_url
        == "https://harbour.example/tea?ref=1&utm_source=plume&utm_medium=social&utm_campaign=spring"
    )
    bad = client.form(
        url(desk, post, "/save"),
        {"base_revision": str(post.revision), "link_url": "not a link"},
        htmx=True,
    )
    assert bad.status_code == 422


def test_clients_can_read_but_not_edit(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    client.form("/logout")
    login(desk["client"].user)
    assert client.get(url(desk, post)).status_code == 200
    assert (
        client.form(
            url(desk, post, "/save"), {"base_revision": "1", "master_text": "x"}, htmx=True
        ).status_code
        == 403
    )
    assert (
        client.form(f"/w/{desk['workspace'].slug}/brands/{desk['brand'].id}/posts", {}).status_code
        == 403
    )


def test_post_list_filters_by_status_and_serves_a_fragment(client, desk, login):
    login(desk["copywriter"].user)
    new_post(client, desk)
    list_url = f"/w/{desk['workspace'].slug}/brands/{desk['brand'].id}/posts"
    full = client.get(list_url).get_data(as_text=True)
    assert "<html" in full and "Launch" in full
    fragment = client.hx_get(list_url + "?status=approved").get_data(as_text=True)
    assert "<html" not in fragment and "Launch" not in fragment and 'id="post-list"' in fragment


def test_edits_to_different_parts_are_merged_and_both_survive(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    base = "First line about tea.\nSecond line about the shop.\nThird line with the link."
    client.form(url(desk, post, "/save"), {"base_revision": "1", "master_text": base}, htmx=True)
    # Two people start from revision 2; one edits the first line, the other the third.
    first = base.replace("First line about tea.", "First line about green tea.")
    third = base.replace("Third line with the link.", "Third line with the new link.")
    a = client.form(
        url(desk, post, "/save"), {"base_revision": "2", "master_text": first}, htmx=True
    )
    assert a.status_code == 200
    b = client.form(
        url(desk, post, "/save"), {"base_revision": "2", "master_text": third}, htmx=True
    )
    assert b.status_code == 200
    assert "merged with others" in b.get_data(as_text=True)
    assert '"plume:merged"' in b.headers["HX-Trigger"]
    db.session.refresh(post)
    assert post.master_text == (
        "First line about green tea.\nSecond line about the shop.\nThird line with the new link."
    )
    kinds = [r.kind for r in sorted(post_revisions(post), key=lambda r: r.number)]
    assert kinds == ["create", "save", "save", "merge"]
    assert [r.number for r in sorted(post_revisions(post), key=lambda r: r.number)] == [1, 2, 3, 4]


def post_revisions(post):
    from studio.models import PostRevision

    return db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)).all()


def test_unknown_base_revision_is_a_409_not_a_500(client, desk, login):
    login(desk["copywriter"].user)
    post = new_post(client, desk)
    response = client.form(
        url(desk, post, "/save"), {"base_revision": "99", "master_text": "x"}, htmx=True
    )
    assert response.status_code == 409
    junk = client.form(
        url(desk, post, "/save"), {"base_revision": "abc", "master_text": "x"}, htmx=True
    )
    assert junk.status_code == 422


def photo(width=1600, height=1000, colour=(180, 90, 40)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_images_attach_get_each_platforms_crop_and_fix_media_problems(app, client, desk, login):
    from studio.assets import operations as assets

    login(desk["copywriter"].user)
    post = new_post(client, desk)
    with app.app_context():
        first = assets.add_media(desk["brand"], photo(), "beans.jpg", None).item
        second = assets.add_media(
            desk["brand"], photo(900, 1400, (20, 60, 90)), "cup.jpg", None
        ).item
        assets.update_details(second, "A cup of tea on a harbour wall", [])
    db.session.commit()

    before = client.form(url(desk, post, "/preview"), {"master_text": "Hi"}, htmx=True).get_data(
        as_text=True
    )
    assert "Instagram: needs at least 1" in before

    picker = client.hx_get(url(desk, post, "/picker")).get_data(as_text=True)
    assert "beans.jpg" in picker and "cup.jpg" in picker
    for media_id in (first.id, second.id):
        response = client.form(
            url(desk, post, "/save"),
            {"base_revision": str(post.revision), "action": f"attach:{media_id}"},
            htmx=True,
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        db.session.refresh(post)
    assert [m["media_id"] for m in post.media] == [first.id, second.id]

    page = client.get(url(desk, post)).get_data(as_text=True)
    instagram = page[page.index('id="preview-instagram"') :]
    instagram = instagram[: instagram.index("</article>")]
    assert instagram.count("<img ") == 2 and "carousel" in instagram
    x_card = page[page.index('id="preview-x"') :]
    x_card = x_card[: x_card.index("</article>")]
    assert 'width="1600" height="900"' in x_card  # X's single-image crop
    assert "needs at least 1" not in instagram
    # The brand requires alt text: the first image has none.
    assert "alt text" in instagram.lower()

    # Move the second image first, choose Instagram's square crop for it, add alt text on X.
    client.form(
        url(desk, post, "/save"),
        {"base_revision": str(post.revision), "action": f"up:{second.id}"},
        htmx=True,
    )
    db.session.refresh(post)
    assert [m["media_id"] for m in post.media] == [second.id, first.id]
    saved = client.form(
        url(desk, post, "/save"),
        {
            "base_revision": str(post.revision),
            "vmedia.instagram.present": "1",
            f"vmedia.instagram.{second.id}.preset": "instagram_square",
            f"vmedia.instagram.{first.id}.preset": "instagram_portrait",
            f"vmedia.instagram.{first.id}.alt": "Roasted beans in a scoop",
        },
        htmx=True,
    )
    assert saved.status_code == 200
    db.session.refresh(post)
    chosen = post.variant("instagram").media
    assert (
        chosen[0]["preset_id"] == "instagram_square"
        and chosen[1]["alt_text"] == "Roasted beans in a scoop"
    )
    page = client.get(url(desk, post)).get_data(as_text=True)
    instagram = page[page.index('id="preview-instagram"') :]
    instagram = instagram[: instagram.index("</article>")]
    assert (
        'width="1080" height="1080"' in instagram and 'alt="Roasted beans in a scoop"' in instagram
    )
    # The rendition the preview points at is served, at the preset's size.
    import re

    src = re.search(r'<img src="([^"]+)" width="1080" height="1080"', instagram).group(1)
    served = client.get(src)
    assert served.status_code == 200
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(served.data)).size == (1080, 1080)

    client.form(
        url(desk, post, "/save"),
        {"base_revision": str(post.revision), "action": f"detach:{first.id}"},
        htmx=True,
    )
    db.session.refresh(post)
    assert [m["media_id"] for m in post.media] == [second.id]
    assert [m["media_id"] for m in post.variant("instagram").media] == [second.id]


def test_attaching_another_brands_image_is_refused(app, client, desk, make, login):
    from studio.assets import operations as assets

    login(desk["copywriter"].user)
    post = new_post(client, desk)
    other = make.brand(desk["workspace"], name="Other")
    with app.app_context():
        foreign = assets.add_media(other, photo(), "other.jpg", None).item
    db.session.commit()
    response = client.form(
        url(desk, post, "/save"),
        {"base_revision": "1", "action": f"attach:{foreign.id}"},
        htmx=True,
    )
    assert response.status_code == 422
    assert "isn&#39;t in this brand" in response.get_data(
        as_text=True
    ) or "isn't in this brand" in response.get_data(as_text=True)
