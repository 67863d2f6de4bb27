"""Scheduling from the composer panel and the calendar; failure notices with "retry now"."""

from __future__ import annotations

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
