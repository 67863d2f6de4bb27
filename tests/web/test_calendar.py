"""Scheduling from the composer panel and the calendar; failure notices with "retry now"."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from studio.composer import operations as composer
from studio.extensions import db
from studio.models import PostSchedule, PostStatus, PublishAttempt, Role
from studio.publishing import operations as ops
from studio.publishing import scheduling as sched


@pytest.fixture
def studio(app, make):
    owner = make.member(make.workspace(name="Ember Co"))
    brand = make.brand(owner.workspace, name="Ember Roasters", timezone="America/Chicago")
    brand.platforms = ["mastodon", "bluesky"]
    db.session.commit()
    with app.app_context():
        post = composer.create_post(owner, brand, "Friday drop")
        post.master_text = "Fresh roast on Friday"
        post.status = PostStatus.APPROVED
        channel = ops.connect_channel(owner, brand, "sandbox", {})
        db.session.commit()
    return owner, brand, post, channel


def _ws(owner):
    return f"/w/{owner.workspace.slug}"


def _tomorrow(tz):
    return (sched.utc_to_wall(datetime.now(UTC), tz) + timedelta(days=1)).date().isoformat()


def test_schedule_from_the_composer_panel(client, login, studio):
    owner, brand, post, channel = studio
    login(owner.user)
    page = client.get(f"{_ws(owner)}/posts/{post.id}").get_data(as_text=True)
    assert 'id="publishing"' in page and "Plume sandbox feed" in page
    day = _tomorrow(brand.timezone)
    response = client.form(
        f"{_ws(owner)}/posts/{post.id}/schedule",
        {"date": day, "time": "09:30", "channels_present": "1", "channel": str(channel.id)},
        htmx=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    assert "Scheduled for" in html and "America/Chicago" in html
    schedule = db.session.scalar(select(PostSchedule).where(PostSchedule.post_id == post.id))
    assert schedule.local_time == f"{day}T09:30" and schedule.timezone == "America/Chicago"
    assert sched.utc_to_wall(schedule.due_at, "America/Chicago").strftime("%H:%M") == "09:30"
    db.session.refresh(post)
    assert post.status == PostStatus.SCHEDULED

    # Unschedule puts it back to approved.
    response = client.form(f"{_ws(owner)}/posts/{post.id}/unschedule", htmx=True)
    assert response.status_code == 200
    db.session.refresh(post)
    assert post.status == PostStatus.APPROVED
    assert db.session.scalar(select(PostSchedule).where(PostSchedule.post_id == post.id)) is None


def test_a_past_time_is_refused(client, login, studio):
    owner, _brand, post, _ = studio
    login(owner.user)
    response = client.form(
        f"{_ws(owner)}/posts/{post.id}/schedule", {"date": "2020-01-01", "time": "09:00"}, htmx=True
    )
    assert response.status_code == 422 and "in the future" in response.get_data(as_text=True)


def test_failure_notice_shows_why_what_to_do_and_retry_now(app, client, login, studio):
    owner, brand, post, _ = studio
    login(owner.user)
    client.form(
        f"{_ws(owner)}/posts/{post.id}/schedule",
        {"date": _tomorrow(brand.timezone), "time": "09:30"},
        htmx=True,
    )
    attempt = db.session.scalar(select(PublishAttempt).where(PublishAttempt.post_id == post.id))
    attempt.state = "failed"
    attempt.error = "Mastodon refused the post: Text character limit of 500 exceeded."
    attempt.action = "Edit the post to fix this, then retry."
    db.session.commit()
    html = client.get(f"{_ws(owner)}/posts/{post.id}").get_data(as_text=True)
    assert "Needs attention" in html and "character limit of 500" in html
    assert "Edit the post to fix this" in html and "Retry now" in html
    response = client.form(f"{_ws(owner)}/attempts/{attempt.id}/retry", htmx=True)
    assert response.status_code == 200 and "Trying again now" in response.get_data(as_text=True)
    db.session.refresh(attempt)
    assert attempt.state == "scheduled" and attempt.error is None


def test_unknown_outcome_is_confirmed_by_a_person(client, login, studio):
    owner, brand, post, _ = studio
    login(owner.user)
    client.form(
        f"{_ws(owner)}/posts/{post.id}/schedule",
        {"date": _tomorrow(brand.timezone), "time": "10:00"},
        htmx=True,
    )
    attempt = db.session.scalar(select(PublishAttempt).where(PublishAttempt.post_id == post.id))
    attempt.state = "unknown"
    attempt.error = "No answer came back."
    db.session.commit()
    html = client.get(f"{_ws(owner)}/posts/{post.id}").get_data(as_text=True)
    assert "Not sure it went out" in html and "mark published" in html
    response = client.form(
        f"{_ws(owner)}/attempts/{attempt.id}/confirm", {"published": "yes"}, htmx=True
    )
    assert response.status_code == 200
    db.session.refresh(attempt)
    db.session.refresh(post)
    assert attempt.state == "published" and post.status == PostStatus.PUBLISHED


def test_clients_cannot_schedule(client, login, make, studio):
    owner, brand, post, _ = studio
    member = make.member(owner.workspace, Role.CLIENT, brands=[brand])
    login(member.user)
    response = client.form(
        f"{_ws(owner)}/posts/{post.id}/schedule",
        {"date": _tomorrow(brand.timezone), "time": "09:30"},
    )
    assert response.status_code == 403


# -- the calendar -----------------------------------------------------------------------


def _plan(app, owner, brand, title, local, *, status=PostStatus.APPROVED, **fields):
    with app.app_context():
        post = composer.create_post(owner, brand, title)
        post.master_text = f"{title} text"
        post.status = status
        for name, value in fields.items():
            setattr(post, name, value)
        db.session.flush()
        sched.schedule_post(owner, post, local, now=datetime(2026, 1, 1, tzinfo=UTC))
        db.session.commit()
    return post


def test_month_week_and_list_views(app, client, login, studio):
    owner, brand, _post, _ = studio
    _plan(app, owner, brand, "Launch day", datetime(2027, 3, 10, 9, 30), campaign="Spring")
    _plan(app, owner, brand, "Review me", datetime(2027, 3, 10, 11, 0), status=PostStatus.IN_REVIEW)
    failed = _plan(app, owner, brand, "Broken", datetime(2027, 3, 12, 8, 0), labels=["promo"])
    attempt = db.session.scalar(select(PublishAttempt).where(PublishAttempt.post_id == failed.id))
    attempt.state = "failed"
    db.session.commit()
    login(owner.user)
    base = f"{_ws(owner)}/brands/{brand.id}/calendar"
    month = client.get(f"{base}?date=2027-03-01").get_data(as_text=True)
    assert "March 2027" in month
    assert "Launch day" in month and "Review me" in month and "Broken" in month
    assert "state-needs_approval" in month and "state-failed" in month  # they stand out
    assert 'data-drop-date="2027-03-10"' in month and 'draggable="true"' in month
    week = client.hx_get(f"{base}?view=week&date=2027-03-10").get_data(as_text=True)
    assert "<html" not in week and "Launch day" in week and 'data-drop-hour="09"' in week
    listing = client.hx_get(f"{base}?view=list&date=2027-03-10").get_data(as_text=True)
    assert "Wednesday 10 March" in listing
    # Filters: by campaign, label and status, kept in the URL.
    spring = client.hx_get(f"{base}?date=2027-03-01&campaign=Spring").get_data(as_text=True)
    assert "Launch day" in spring and "Review me" not in spring
    promo = client.hx_get(f"{base}?date=2027-03-01&label=promo").get_data(as_text=True)
    assert "Broken" in promo and "Launch day" not in promo
    needs = client.hx_get(f"{base}?date=2027-03-01&status=needs_approval").get_data(as_text=True)
    assert "Review me" in needs and "Launch day" not in needs
    assert "status=needs_approval" in needs  # the period links keep the filter


def test_more_than_fit_shows_plus_n_more_that_opens_the_day(app, client, login, studio):
    owner, brand, _, _ = studio
    for n in range(5):
        _plan(app, owner, brand, f"Post {n}", datetime(2027, 4, 6, 8 + n, 0))
    login(owner.user)
    base = f"{_ws(owner)}/brands/{brand.id}/calendar"
    month = client.get(f"{base}?date=2027-04-01").get_data(as_text=True)
    assert "+2 more" in month
    day = client.hx_get(f"{base}?date=2027-04-01&day=2027-04-06").get_data(as_text=True)
    assert all(f"Post {n}" in day for n in range(5)) and "Tuesday 06 April 2027" in day


def test_drag_to_another_day_keeps_the_time(app, client, login, studio):
    owner, brand, _, _ = studio
    post = _plan(app, owner, brand, "Mover", datetime(2027, 5, 3, 9, 30))
    login(owner.user)
    response = client.form(
        f"{_ws(owner)}/posts/{post.id}/move",
        {"date": "2027-05-05", "next": "calendar", "back": "/w/x/calendar"},
        htmx=True,
    )
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Location"])["path"] == "/w/x/calendar"
    assert "Scheduled for" in response.headers["HX-Trigger"]
    schedule = db.session.scalar(select(PostSchedule).where(PostSchedule.post_id == post.id))
    assert schedule.local_time == "2027-05-05T09:30"
    attempt = db.session.scalar(select(PublishAttempt).where(PublishAttempt.post_id == post.id))
    assert attempt.due_at == schedule.due_at
    # A published post cannot move; the answer says why.
    post.status = PostStatus.PUBLISHED
    db.session.commit()
    refused = client.form(f"{_ws(owner)}/posts/{post.id}/move", {"date": "2027-05-06"}, htmx=True)
    assert refused.status_code == 409 and "already published" in refused.headers["X-Plume-Message"]


def test_workspace_calendar_across_brands(app, client, login, make, studio):
    owner, brand, _, _ = studio
    other = make.brand(owner.workspace, name="Northwind", timezone="Europe/London")
    _plan(app, owner, brand, "Ember post", datetime(2027, 6, 2, 9, 0))
    _plan(app, owner, other, "Northwind post", datetime(2027, 6, 2, 9, 0))
    login(owner.user)
    page = client.get(f"{_ws(owner)}/calendar?date=2027-06-01").get_data(as_text=True)
    assert "Ember post" in page and "Northwind post" in page
    only = client.hx_get(f"{_ws(owner)}/calendar?date=2027-06-01&brand={other.id}")
    assert "Northwind post" in only.get_data(as_text=True)
    assert "Ember post" not in only.get_data(as_text=True)


def test_a_client_sees_only_their_brands_and_cannot_drag(app, client, login, make, studio):
    owner, brand, _, _ = studio
    other = make.brand(owner.workspace, name="Secret brand")
    _plan(app, owner, brand, "Visible post", datetime(2027, 6, 2, 9, 0))
    _plan(app, owner, other, "Hidden post", datetime(2027, 6, 2, 9, 0))
    member = make.member(owner.workspace, Role.CLIENT, brands=[brand])
    login(member.user)
    page = client.get(f"{_ws(owner)}/calendar?date=2027-06-01").get_data(as_text=True)
    assert "Visible post" in page and "Hidden post" not in page
    assert 'draggable="true"' not in page


def test_query_count_does_not_grow_with_the_number_of_posts(app, client, login, studio):
    from sqlalchemy import event

    owner, brand, _, _ = studio
    login(owner.user)
    url = f"{_ws(owner)}/brands/{brand.id}/calendar?date=2027-07-01"
    counted: list[int] = []
    measuring = [False]

    def count(*_args):
        if measuring[0]:
            counted[-1] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for total in (2, 12):
            while len(_posts_in_july(brand)) < total:
                n = len(_posts_in_july(brand))
                _plan(app, owner, brand, f"P{n}", datetime(2027, 7, 1 + n, 9, 0), labels=["x"])
            client.get(url)  # warm: the kit, the session
            counted.append(0)
            measuring[0] = True
            assert client.get(url).status_code == 200
            measuring[0] = False
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counted[0] == counted[1], counted


def _posts_in_july(brand):
    return list(
        db.session.scalars(select(PostSchedule.id).where(PostSchedule.brand_id == brand.id))
    )


# -- queue slots and the iCal feed ----------------------------------------------------------


def test_queue_slots_and_add_to_queue(app, client, login, studio):
    owner, brand, post, _ = studio
    login(owner.user)
    base = f"{_ws(owner)}/brands/{brand.id}"
    bad = client.form(f"{base}/queue-slots", {"slots": "Someday 9"}, htmx=True)
    assert bad.status_code == 422 and "write the time as 09:30" in bad.get_data(as_text=True)
    saved = client.form(f"{base}/queue-slots", {"slots": "Tue/Thu 09:30, Fri 14:00"}, htmx=True)
    assert saved.status_code == 200 and "Tue/Thu 09:30, Fri 14:00" in saved.get_data(as_text=True)
    queued = client.form(f"{_ws(owner)}/posts/{post.id}/queue", htmx=True)
    assert queued.status_code == 200, queued.get_data(as_text=True)[:300]
    schedule = db.session.scalar(select(PostSchedule).where(PostSchedule.post_id == post.id))
    wall = sched.schedule_wall(schedule)
    assert schedule.from_queue and (
        wall.strftime("%a %H:%M") in ("Tue 09:30", "Thu 09:30", "Fri 14:00")
    )


def test_ical_feed_is_signed_rotatable_and_revocable(app, client, login, studio):
    owner, brand, _, _ = studio
    _plan(app, owner, brand, "Launch; big, news", datetime(2027, 1, 5, 9, 30))
    login(owner.user)
    base = f"{_ws(owner)}/brands/{brand.id}"
    made = client.form(f"{base}/ical", htmx=True).get_data(as_text=True)
    url = re.search(r'value="(http[^"]+\.ics)"', made).group(1)
    path = url.split("localhost", 1)[1]
    client.get("/logout")
    anonymous = app.test_client()
    feed = anonymous.get(path)
    body = feed.get_data(as_text=True)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "SUMMARY:Launch\\; big\\, news (Mastodon\\, Bluesky)" in body
    assert "DTSTART:20270105T153000Z" in body  # 09:30 in Chicago
    assert anonymous.get(path.replace(".ics", "x.ics")).status_code == 404
    # A new address retires the old one; revoking retires every one.
    newer = client.form(f"{base}/ical", htmx=True).get_data(as_text=True)
    new_path = re.search(r'value="http[^"]+?(/ical/[^"]+\.ics)"', newer).group(1)
    assert anonymous.get(path).status_code == 404
    assert anonymous.get(new_path).status_code == 200
    client.form(f"{base}/ical/revoke", htmx=True)
    assert anonymous.get(new_path).status_code == 404


def test_ical_lines_are_folded_and_escaped():
    from studio.calendar import ical

    long = "Ünïcödé " * 30
    folded = ical.fold("SUMMARY:" + long)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "SUMMARY:" + long
    assert ical.escape("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
