"""Scheduling and publishing exactly once, with a real RQ worker and real Redis.

Time zones (DST in Europe/London and America/Chicago), the compare-and-set claim, retries
by error kind (transient, unknown outcome with and without the platform's idempotency,
permanent), expired leases, and Redis losing every job.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from studio.composer import operations as composer
from studio.extensions import db
from studio.models import Channel, Notification, PostSchedule, PostStatus, PublishAttempt, Role
from studio.models.publishing import SandboxFeedItem
from studio.publishing import operations as ops
from studio.publishing import scheduling as sched
from tests.unit.publishing.fakeplatforms import FakeMastodon
from tests.unit.publishing.fakeserver import FakeServer, Reply


@pytest.fixture
def fast_publishing(app):
    saved = {k: app.config.get(k) for k in ("PUBLISH_HTTP_TIMEOUT", "PUBLISH_RETRY_BASE_SECONDS")}
    app.config.update(PUBLISH_HTTP_TIMEOUT=0.6, PUBLISH_RETRY_BASE_SECONDS=0.01)
    yield
    for key, value in saved.items():
        if value is None:
            app.config.pop(key, None)
        else:
            app.config[key] = value


@pytest.fixture
def fake():
    with FakeServer() as server:
        yield server


@pytest.fixture
def studio(app, make, fast_publishing):
    """A brand in London with an approved post, and its owner."""
    owner = make.member(make.workspace(name="Ember Co"))
    brand = make.brand(owner.workspace, name="Ember Roasters", timezone="Europe/London")
    brand.platforms = ["mastodon", "bluesky"]
    db.session.commit()
    with app.app_context():
        post = composer.create_post(owner, brand, "Friday drop")
        post.master_text = "Fresh roast on Friday ☕ #coffee"
        post.status = PostStatus.APPROVED
        db.session.commit()
    return owner, brand, post


def _channel(app, owner, brand, platform="sandbox", values=None):
    with app.app_context():
        channel = ops.connect_channel(owner, brand, platform, values or {})
        db.session.commit()
    return channel


def _now_wall(tz: str) -> datetime:
    return sched.utc_to_wall(datetime.now(UTC), tz).replace(tzinfo=None, second=0, microsecond=0)


def _schedule_now(app, owner, post):
    """Schedule the post for the current minute (due at once)."""
    with app.app_context():
        result = sched.schedule_post(owner, post, _now_wall(post.brand.timezone))
        db.session.commit()
        sched.enqueue_attempts(result.attempts)
    return result


def _attempts(post):
    return list(db.session.scalars(select(PublishAttempt).where(PublishAttempt.post_id == post.id)))


# -- time zones -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "wall", "utc"),
    [
        # London: GMT until 2027-03-28 01:00 UTC, BST (UTC+1) until 2027-10-31.
        ("Europe/London", "2027-03-27T09:30", "2027-03-27T09:30"),
        ("Europe/London", "2027-03-28T09:30", "2027-03-28T08:30"),
        ("Europe/London", "2027-10-30T09:30", "2027-10-30T08:30"),
        ("Europe/London", "2027-10-31T09:30", "2027-10-31T09:30"),
        # Chicago: CST (UTC-6) until 2027-03-14, CDT (UTC-5) until 2027-11-07.
        ("America/Chicago", "2027-03-13T09:30", "2027-03-13T15:30"),
        ("America/Chicago", "2027-03-14T09:30", "2027-03-14T14:30"),
        ("America/Chicago", "2027-11-06T09:30", "2027-11-06T14:30"),
        ("America/Chicago", "2027-11-07T09:30", "2027-11-07T15:30"),
    ],
)
def test_wall_time_maps_to_utc_on_each_side_of_dst(tz, wall, utc):
    local = datetime.fromisoformat(wall)
    assert sched.wall_to_utc(local, tz) == datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert sched.utc_to_wall(sched.wall_to_utc(local, tz), tz).replace(tzinfo=None) == local


def test_gap_and_repeated_wall_times_are_explained():
    gap = datetime(2027, 3, 28, 1, 30)  # London skips 01:00-02:00
    assert "does not exist" in sched.wall_note(gap, "Europe/London")
    assert sched.wall_to_utc(gap, "Europe/London") == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    twice = datetime(2027, 11, 7, 1, 30)  # Chicago repeats 01:00-02:00
    assert "happens twice" in sched.wall_note(twice, "America/Chicago")
    assert sched.wall_to_utc(twice, "America/Chicago") == datetime(2027, 11, 7, 6, 30, tzinfo=UTC)
    assert sched.wall_note(datetime(2027, 6, 1, 9, 30), "Europe/London") is None


@pytest.mark.parametrize(
    ("tz", "before", "after"),
    [
        ("Europe/London", "2027-03-20", "2027-04-02"),
        ("America/Chicago", "2027-11-01", "2027-11-10"),
    ],
)
def test_a_post_scheduled_across_a_dst_change_keeps_its_wall_time(
    app, make, studio, tz, before, after
):
    owner, brand, post = studio
    brand.timezone = tz
    db.session.commit()
    chosen = datetime.fromisoformat(f"{after}T09:30")
    scheduled_on = datetime.fromisoformat(f"{before}T12:00").replace(tzinfo=UTC)
    _channel(app, owner, brand)
    with app.app_context():
        result = sched.schedule_post(owner, post, chosen, now=scheduled_on)
        db.session.commit()
        # The reconciler re-derives due times; nothing moves, the wall time holds.
        sched._retime(sched.wall_to_utc(chosen, tz) - timedelta(hours=3))
    schedule = db.session.scalar(select(PostSchedule).where(PostSchedule.post_id == post.id))
    assert schedule.local_time == f"{after}T09:30" and schedule.timezone == tz
    assert sched.utc_to_wall(schedule.due_at, tz).strftime("%H:%M") == "09:30"
    assert result.attempts[0].due_at == schedule.due_at


# -- publishing end to end -------------------------------------------------------------


def test_sandbox_publishes_once_at_its_time(app, studio, run_jobs):
    owner, brand, post = studio
    _channel(app, owner, brand)
    result = _schedule_now(app, owner, post)
    assert post.status == PostStatus.SCHEDULED and len(result.attempts) == 1
    run_jobs()
    (attempt,) = _attempts(post)
    db.session.refresh(attempt)
    assert attempt.state == "published", (attempt.error, attempt.attempts)
    assert attempt.url.endswith(f"#feed-{attempt.platform_post_id}")
    db.session.refresh(post)
    assert post.status == PostStatus.PUBLISHED
    items = list(
        db.session.scalars(select(SandboxFeedItem).where(SandboxFeedItem.brand_id == brand.id))
    )
    assert [i.text for i in items] == ["Fresh roast on Friday ☕ #coffee"]
    # Running the job again, or enqueueing it again, changes nothing.
    with app.app_context():
        assert sched.run_attempt(attempt.id).startswith("skipped")
        sched.enqueue_attempts([attempt])
    run_jobs()
    assert db.session.scalar(select(func.count(SandboxFeedItem.id))) == 1


def test_the_claim_is_compare_and_set(app, studio):
    owner, brand, post = studio
    _channel(app, owner, brand)
    _schedule_now(app, owner, post)
    (attempt,) = _attempts(post)
    with app.app_context():
        first = sched.claim(attempt.id)
        second = sched.claim(attempt.id)
    assert first and second is None
    db.session.refresh(attempt)
    assert attempt.state == "publishing" and attempt.attempts == 1 and attempt.lease_until


def test_a_future_post_is_not_claimed_early(app, studio):
    owner, brand, post = studio
    _channel(app, owner, brand)
    with app.app_context():
        sched.schedule_post(owner, post, _now_wall(brand.timezone) + timedelta(hours=2))
        db.session.commit()
    (attempt,) = _attempts(post)
    with app.app_context():
        assert sched.claim(attempt.id) is None


def _mastodon(app, owner, brand, fake, **kw):
    server = FakeMastodon(fake, **kw)
    channel = _channel(
        app, owner, brand, "mastodon", {"instance_url": fake.url, "access_token": server.token}
    )
    return server, channel


def test_transient_errors_back_off_then_publish(app, studio, fake, run_jobs):
    owner, brand, post = studio
    mastodon, _ = _mastodon(app, owner, brand, fake)
    fake.next(
        "POST", r"/api/v1/statuses", Reply(503, {"error": "down"}, headers={"Retry-After": "0"})
    )
    _schedule_now(app, owner, post)
    (attempt,) = _attempts(post)
    with app.app_context():
        outcome = sched.run_attempt(attempt.id)
    assert outcome.startswith("retry")
    db.session.refresh(attempt)
    assert attempt.state == "scheduled" and attempt.attempts == 1 and "HTTP 503" in attempt.error
    attempt.due_at = datetime.now(UTC)
    db.session.commit()
    with app.app_context():
        assert sched.run_attempt(attempt.id).startswith("published")
    assert len(mastodon.statuses) == 1


def test_lost_answer_is_retried_with_the_same_idempotency_key(app, studio, fake):
    owner, brand, post = studio
    mastodon, _ = _mastodon(app, owner, brand, fake)
    # Mastodon posts the status, but the answer never arrives.
    fake.next("POST", r"/api/v1/statuses", Reply(drop=True), process=True)
    _schedule_now(app, owner, post)
    (attempt,) = _attempts(post)
    with app.app_context():
        sched.run_attempt(attempt.id)
    db.session.refresh(attempt)
    assert attempt.state == "scheduled" and attempt.maybe_sent
    attempt.due_at = datetime.now(UTC)
    db.session.commit()
    with app.app_context():
        sched.run_attempt(attempt.id)
    db.session.refresh(attempt)
    assert attempt.state == "published"
    assert len(mastodon.statuses) == 1
    keys = {c.header("Idempotency-Key") for c in fake.calls("POST", r"/api/v1/statuses")}
    assert keys == {attempt.idempotency_key}


def test_after_mastodons_key_expired_it_looks_before_sending(app, studio, fake):
    owner, brand, post = studio
    mastodon, _ = _mastodon(app, owner, brand, fake, honour_idempotency=False)
    fake.next("POST", r"/api/v1/statuses", Reply(drop=True), process=True)
    _schedule_now(app, owner, post)
    (attempt,) = _attempts(post)
    with app.app_context():
        sched.run_attempt(attempt.id)
    db.session.refresh(attempt)
    # Two hours later Mastodon has forgotten the key: only a look finds the first post.
    attempt.first_attempt_at = datetime.now(UTC) - timedelta(hours=2) + timedelta(minutes=1)
    attempt.due_at = datetime.now(UTC)
    db.session.commit()
    mastodon.statuses[0]["created_at"] = (datetime.now(UTC) - timedelta(minutes=119)).isoformat()
    with app.app_context():
        assert sched.run_attempt(attempt.id).startswith("published")
    db.session.refresh(attempt)
    assert attempt.found_existing and len(mastodon.statuses) == 1
    assert len(fake.calls("POST", r"/api/v1/statuses")) == 1


def test_permanent_error_fails_with_reason_action_and_a_notice(app, studio, fake, make):
    owner, brand, post = studio
    _mastodon(app, owner, brand, fake)
    fake.next(
        "POST",
        r"/api/v1/statuses",
        Reply(422, {"error": "Validation failed: Text character limit of 500 exceeded"}),
    )
    _schedule_now(app, owner, post)
    (attempt,) = _attempts(post)
    with app.app_context():
        outcome = sched.run_attempt(attempt.id)
    assert outcome.startswith("failed")
    db.session.refresh(attempt)
    assert attempt.state == "failed" and "character limit" in attempt.error
    assert attempt.action == "Edit the post to fix this, then retry."
    notice = db.session.scalar(select(Notification).where(Notification.post_id == post.id))
    assert notice.kind == "publish_failed" and "failed on Mastodon" in notice.text
    with app.app_context():
        sched.retry_now(attempt)
        db.session.commit()
        assert sched.run_attempt(attempt.id).startswith("published")


def test_the_variant_is_validated_again_before_publishing(app, studio, fake):
    owner, brand, post = studio
    mastodon, _ = _mastodon(app, owner, brand, fake)
    _schedule_now(app, owner, post)
    post.master_text = "x" * 600  # edited past Mastodon's limit after scheduling
    db.session.commit()
    (attempt,) = _attempts(post)
    with app.app_context():
        sched.run_attempt(attempt.id)
    db.session.refresh(attempt)
    assert attempt.state == "failed" and "no longer passes" in attempt.error
    assert mastodon.statuses == []


def test_an_expired_lease_is_settled_by_the_reconciler(app, studio, fake, run_jobs):
    owner, brand, post = studio
    mastodon, _ = _mastodon(app, owner, brand, fake)
    _schedule_now(app, owner, post)
    (attempt,) = _attempts(post)
    with app.app_context():
        assert sched.claim(attempt.id)  # ...and the worker dies here
    db.session.refresh(attempt)
    attempt.lease_until = datetime.now(UTC) - timedelta(seconds=1)  # the lease runs out
    db.session.commit()
    with app.app_context():
        report = sched.reconcile()
    assert report.expired == 1
    db.session.refresh(attempt)
    assert attempt.state == "scheduled" and attempt.maybe_sent  # Mastodon dedupes: safe
    run_jobs()
    db.session.refresh(attempt)
    assert attempt.state == "published" and len(mastodon.statuses) == 1


def test_a_lease_that_expires_too_often_asks_a_person(app, studio):
    owner, brand, post = studio
    _channel(app, owner, brand)
    _schedule_now(app, owner, post)
    (attempt,) = _attempts(post)
    attempt.attempts = 8  # PUBLISH_MAX_TRIES
    attempt.state = "publishing"
    attempt.lease_until = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    with app.app_context():
        sched.reconcile()
    db.session.refresh(attempt)
    assert attempt.state == "unknown" and "confirm" in attempt.action
    with app.app_context():
        sched.confirm_unknown(attempt, published=True, url="https://x.test/1", user=owner.user)
        db.session.commit()
    db.session.refresh(post)
    assert attempt.state == "published" and post.status == PostStatus.PUBLISHED


def test_emptying_redis_loses_nothing(app, studio, run_jobs, redis_url):
    from redis import Redis

    owner, brand, post = studio
    _channel(app, owner, brand)
    _schedule_now(app, owner, post)
    Redis.from_url(redis_url).flushdb()
    run_jobs()
    (attempt,) = _attempts(post)
    db.session.refresh(attempt)
    assert attempt.state == "scheduled"  # nothing ran: the reminder was lost
    with app.app_context():
        assert sched.reconcile().enqueued == 1
        assert sched.reconcile().enqueued == 0  # already queued: not twice
    run_jobs()
    db.session.refresh(attempt)
    assert attempt.state == "published"


def test_posts_needing_approval_are_only_planned(app, studio, make):
    from studio.models.approvals import ApprovalStep

    owner, brand, post = studio
    _channel(app, owner, brand)
    post.status = PostStatus.IN_REVIEW
    db.session.commit()
    with app.app_context():
        result = sched.schedule_post(owner, post, _now_wall(brand.timezone) + timedelta(days=1))
        db.session.commit()
    assert result.planned_only and "needs approval" in result.planned_only
    assert _attempts(post) == []
    # Without an approval flow, a draft may be published as it is.
    post.status = PostStatus.DRAFT
    db.session.commit()
    with app.app_context():
        assert sched.activate(post)
        db.session.commit()
    assert post.status == PostStatus.SCHEDULED
    assert db.session.scalar(select(func.count(ApprovalStep.id))) == 0


def test_disconnecting_a_channel_drops_its_pending_publishes(app, studio):
    owner, brand, post = studio
    channel = _channel(app, owner, brand)
    with app.app_context():
        sched.schedule_post(owner, post, _now_wall(brand.timezone) + timedelta(days=1))
        ops.disconnect_channel(db.session.get(Channel, channel.id))
        db.session.commit()
    assert _attempts(post) == []


def test_queue_slots_give_the_next_free_time(app, studio, make):
    owner, brand, post = studio
    monday = datetime(2027, 6, 7, 8, 0, tzinfo=UTC)  # 09:00 in London (BST)
    with app.app_context():
        sched.set_queue_slots(brand, sched.parse_slots("Tue/Thu 09:30, Mon 08:00"))
        first = sched.next_free_slot(brand, now=monday)
        assert first == datetime(2027, 6, 8, 9, 30)  # Monday 08:00 has passed
        sched.schedule_post(owner, post, first, now=monday)
        db.session.commit()
        assert sched.next_free_slot(brand, now=monday) == datetime(2027, 6, 10, 9, 30)
    with pytest.raises(sched.SchedulingError):
        sched.parse_slots("Funday 09:30")


def test_only_owner_roles_hear_of_failures(app, studio, make, fake):
    owner, brand, post = studio
    writer = make.member(owner.workspace, Role.COPYWRITER)
    designer = make.member(owner.workspace, Role.DESIGNER)
    post.created_by_id = writer.user_id
    db.session.commit()
    _mastodon(app, owner, brand, fake)
    fake.next("POST", r"/api/v1/statuses", Reply(401, {"error": "The access token is invalid"}))
    _schedule_now(app, owner, post)
    (attempt,) = _attempts(post)
    with app.app_context():
        sched.run_attempt(attempt.id)
    told = set(
        db.session.scalars(select(Notification.user_id).where(Notification.post_id == post.id))
    )
    assert told == {owner.user_id, writer.user_id} and designer.user_id not in told
    channel = db.session.get(Channel, attempt.channel_id)
    db.session.refresh(channel)
    assert channel.status == "needs_attention"


def test_the_demo_publishes_to_the_sandbox_feed(app, make, run_jobs):
    from studio.channels.demo import load_demo_publishing
    from studio.models import PostSchedule

    owner = make.member(make.workspace(name="Demo"))
    brand = make.brand(owner.workspace, name="Ember Roasters", timezone="Europe/London")
    with app.app_context():
        load_demo_publishing(owner.workspace, [brand], {Role.OWNER: owner.user})
        db.session.commit()
    schedules = list(
        db.session.scalars(select(PostSchedule).where(PostSchedule.brand_id == brand.id))
    )
    assert len(schedules) == 3
    attempts = list(
        db.session.scalars(select(PublishAttempt).where(PublishAttempt.brand_id == brand.id))
    )
    assert len(attempts) == 2  # the post awaiting approval is only planned
    soon = min(attempts, key=lambda a: a.due_at)
    assert timedelta(minutes=1) < soon.due_at - datetime.now(UTC) <= timedelta(minutes=3)
    soon.due_at = datetime.now(UTC) - timedelta(seconds=10)  # two minutes later…
    db.session.commit()
    with app.app_context():
        sched.reconcile()
    run_jobs()
    db.session.refresh(soon)
    assert soon.state == "published"
    item = db.session.scalar(select(SandboxFeedItem).where(SandboxFeedItem.brand_id == brand.id))
    assert "sandbox" in item.text


def test_an_oauth_token_about_to_expire_is_refreshed_before_publishing(app, studio, monkeypatch):
    from studio.publishing import AccountInfo, Published
    from studio.publishing.adapters import oauth
    from studio.publishing.adapters.x import XAdapter

    owner, brand, post = studio
    brand.platforms = ["x"]
    post.platforms = ["x"]
    post.variants[0].platform = "x"
    db.session.commit()
    app.config.update(X_CLIENT_ID="cid", X_CLIENT_SECRET="secret")
    sent = {}
    monkeypatch.setattr(
        XAdapter, "verify", lambda self, c: AccountInfo("Ember", "@ember", None, None)
    )
    monkeypatch.setattr(
        oauth,
        "refresh",
        lambda spec, **kw: oauth.TokenSet(
            "new-access", "new-refresh", datetime.now(UTC) + timedelta(hours=2)
        ),
    )

    def publish(self, outgoing, credentials, key):
        sent["token"] = credentials["access_token"]
        return Published("1", "https://x.com/ember/status/1", {})

    monkeypatch.setattr(XAdapter, "publish", publish)
    try:
        soon = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
        channel = _channel(
            app,
            owner,
            brand,
            "x",
            {"access_token": "old-access", "refresh_token": "old-refresh", "expires_at": soon},
        )
        _schedule_now(app, owner, post)
        (attempt,) = _attempts(post)
        with app.app_context():
            assert sched.run_attempt(attempt.id).startswith("published")
            creds = ops.open_credentials(db.session.get(Channel, channel.id))
        assert sent["token"] == "new-access"
        assert creds["access_token"] == "new-access" and creds["refresh_token"] == "new-refresh"
    finally:
        app.config.pop("X_CLIENT_ID")
        app.config.pop("X_CLIENT_SECRET")


def _fake_x(app, studio, fake, monkeypatch):
    """Point the studio's X post and its OAuth app at a FakeX played by ``fake``."""
    from dataclasses import replace

    from studio.publishing import OAUTH
    from studio.publishing.adapters.x import XAdapter
    from tests.unit.publishing.fakeplatforms import X_TOKEN_PATH, FakeX

    _, brand, post = studio
    brand.platforms = ["x"]
    post.platforms = ["x"]
    post.variants[0].platform = "x"
    db.session.commit()
    x = FakeX(fake)
    monkeypatch.setitem(app.config, "X_CLIENT_ID", x.client_id)
    monkeypatch.setitem(app.config, "X_CLIENT_SECRET", x.client_secret)
    monkeypatch.setattr(XAdapter, "default_base_url", fake.url)
    monkeypatch.setitem(OAUTH, "x", replace(OAUTH["x"], token_url=fake.url + X_TOKEN_PATH))
    return x


@pytest.fixture
def x_account(app, studio, fake, monkeypatch):
    """An X channel signed in through OAuth (refresh token stored), X played by ``fake``."""
    from studio.publishing.adapters.x import XAdapter

    owner, brand, _ = studio
    x = _fake_x(app, studio, fake, monkeypatch)
    keys = []
    publish = XAdapter.publish

    def spy(self, outgoing, credentials, key):
        keys.append(key)
        return publish(self, outgoing, credentials, key)

    monkeypatch.setattr(XAdapter, "publish", spy)
    in_two_hours = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    values = {"access_token": x.access_token, "expires_at": in_two_hours}
    values |= {"refresh_token": x.refresh_token, "username": "emberroasters"}
    channel = _channel(app, owner, brand, "x", values)
    return x, channel, keys


def _publish_now(app, owner, post):
    _schedule_now(app, owner, post)
    (attempt,) = _attempts(post)
    with app.app_context():
        outcome = sched.run_attempt(attempt.id)
    db.session.refresh(attempt)
    return attempt, outcome


def test_a_token_refused_early_is_renewed_once_and_the_post_sent_again(
    app, studio, fake, x_account
):
    owner, _, post = studio
    x, channel, keys = x_account
    x.revoke()  # X cut the access token short, well before its two hours

    attempt, outcome = _publish_now(app, owner, post)

    assert outcome.startswith("published"), outcome
    assert attempt.state == "published" and attempt.error is None
    (tweet,) = x.tweets  # one post on X: the refused request made none
    assert attempt.platform_post_id == tweet["id"]
    assert len(fake.calls("POST", r"/2/tweets")) == 2
    (renewal,) = fake.calls("POST", r"/2/oauth2/token")
    assert renewal.form()["refresh_token"] == ["x-refresh-0"]
    assert keys == [attempt.idempotency_key] * 2  # the same publish, the same key
    with app.app_context():
        creds = ops.open_credentials(db.session.get(Channel, channel.id))
    assert creds["access_token"] == "x-access-1" and creds["refresh_token"] == "x-refresh-1"
    assert creds["username"] == "emberroasters"  # merged, not replaced
    assert fake.calls("POST", r"/2/tweets")[1].header("Authorization") == "Bearer x-access-1"


def test_a_refused_refresh_token_fails_the_post_asking_to_reconnect(app, studio, fake, x_account):
    owner, _, post = studio
    x, channel, _ = x_account
    x.revoke()
    x.refuse_refresh = True  # the person revoked Plume's access on X

    attempt, outcome = _publish_now(app, owner, post)

    assert outcome.startswith("failed")
    assert attempt.state == "failed" and attempt.error_kind == "auth"
    assert "X would not renew the channel's access token" in attempt.error
    assert "invalid" in attempt.error and "connects it to X again" in attempt.error
    assert attempt.action == "Reconnect the channel, then retry."
    assert len(fake.calls("POST", r"/2/tweets")) == 1  # not sent again
    assert len(fake.calls("POST", r"/2/oauth2/token")) == 1
    assert x.tweets == []
    db.session.refresh(channel)
    assert channel.status == "needs_attention"
    with app.app_context():
        assert ops.open_credentials(channel)["access_token"] == "x-access-0"


def test_a_new_token_refused_too_fails_without_refreshing_again(app, studio, fake, x_account):
    owner, _, post = studio
    x, _, keys = x_account
    x.revoke()
    x.refuse_new_tokens = True

    attempt, outcome = _publish_now(app, owner, post)

    assert outcome.startswith("failed")
    assert attempt.state == "failed" and attempt.error_kind == "auth"
    assert attempt.error.startswith("X refused the channel's credentials (HTTP 401)")
    assert "refused the new one too" in attempt.error
    assert attempt.action == "Reconnect the channel, then retry."
    assert len(fake.calls("POST", r"/2/tweets")) == 2 and len(keys) == 2
    assert len(fake.calls("POST", r"/2/oauth2/token")) == 1
    assert x.tweets == []


def test_a_refresh_lost_to_another_worker_uses_that_workers_token(
    app, studio, fake, x_account, monkeypatch
):
    from studio.publishing.adapters import oauth

    owner, _, post = studio
    x, channel, _ = x_account
    x.revoke()
    real = oauth.refresh

    def racing(spec, **kw):
        # Another worker renews first with the same refresh token, which X then voids.
        theirs = real(spec, **kw)
        ops.update_credentials(db.session.get(Channel, channel.id), theirs.credentials())
        db.session.commit()
        return real(spec, **kw)  # ours: invalid_grant

    monkeypatch.setattr(oauth, "refresh", racing)

    attempt, outcome = _publish_now(app, owner, post)

    assert outcome.startswith("published"), outcome
    assert attempt.state == "published"
    assert len(fake.calls("POST", r"/2/oauth2/token")) == 2
    assert len(x.tweets) == 1
    assert fake.calls("POST", r"/2/tweets")[1].header("Authorization") == "Bearer x-access-1"


def test_a_401_without_a_refresh_token_fails_as_before(app, studio, fake, monkeypatch):
    owner, brand, post = studio
    x = _fake_x(app, studio, fake, monkeypatch)
    _channel(app, owner, brand, "x", {"access_token": x.access_token})  # a pasted token
    x.revoke()

    attempt, _ = _publish_now(app, owner, post)

    assert attempt.state == "failed" and attempt.error_kind == "auth"
    assert attempt.error == "X refused the channel's credentials (HTTP 401): Unauthorized."
    assert attempt.action == "Reconnect the channel"
    assert len(fake.calls("POST", r"/2/tweets")) == 1
    assert fake.calls("POST", r"/2/oauth2/token") == []


def test_a_401_from_mastodon_fails_without_any_refresh(app, studio, fake):
    owner, brand, post = studio
    mastodon, _ = _mastodon(app, owner, brand, fake)
    mastodon.token = "revoked-elsewhere"  # the stored token no longer works

    attempt, _ = _publish_now(app, owner, post)

    assert attempt.state == "failed" and attempt.error_kind == "auth"
    assert attempt.error == (
        "Mastodon refused the channel's credentials (HTTP 401): The access token is invalid."
    )
    assert [c.path for c in fake.calls("POST")] == ["/api/v1/statuses"]
    assert mastodon.statuses == []


def test_images_are_rendered_for_the_platform_and_uploaded(app, studio, fake):
    import io

    from PIL import Image

    from studio.assets import operations as media_ops
    from tests.unit.publishing.fakeplatforms import FakeBluesky

    owner, brand, post = studio
    mastodon, _ = _mastodon(app, owner, brand, fake)
    bluesky = FakeBluesky(fake, max_blob=2_000_000)
    creds = {"pds_url": fake.url, "handle": bluesky.handle, "app_password": bluesky.password}
    _channel(app, owner, brand, "bluesky", creds)
    picture = io.BytesIO()
    Image.new("RGB", (1600, 1200), (200, 90, 40)).save(picture, "JPEG")
    with app.app_context():
        item = media_ops.add_media(brand, picture.getvalue(), "cup.jpg", owner.user).item
        post.media = [{"media_id": item.id, "alt_text": "A cup of fresh roast"}]
        db.session.commit()
    _schedule_now(app, owner, post)
    with app.app_context():
        for attempt in _attempts(post):
            assert sched.run_attempt(attempt.id).startswith("published")
    (upload,) = fake.calls("POST", r"/api/v2/media")
    parts = upload.multipart()
    assert parts["description"][0].text == "A cup of fresh roast"
    assert parts["file"][0].content_type in ("image/jpeg", "image/png", "image/webp")
    (status,) = mastodon.statuses
    assert len(status["media_attachments"]) == 1
    (record,) = bluesky.records.values()
    (image,) = record["value"]["embed"]["images"]
    assert image["alt"] == "A cup of fresh roast" and image["aspectRatio"]["width"] > 0


def test_a_channel_pointing_inside_the_network_fails_without_sending(
    app, studio, fake, monkeypatch
):
    owner, brand, post = studio
    mastodon, _ = _mastodon(app, owner, brand, fake)  # on 127.0.0.1, allowed in tests
    # As in production: its address now counts as what it is, a private host.
    monkeypatch.setitem(app.config, "PUBLISH_ALLOW_PRIVATE_HOSTS", False)
    _schedule_now(app, owner, post)
    (attempt,) = _attempts(post)
    with app.app_context():
        assert sched.run_attempt(attempt.id).startswith("failed")
    db.session.refresh(attempt)
    assert attempt.state == "failed" and attempt.error_kind == "config"
    assert attempt.error == (
        "That address points inside a private network; Plume only connects to public servers."
    )
    assert attempt.action == "Enter the address of a public server in the channel settings."
    assert mastodon.statuses == [] and fake.calls("POST") == []


# -- Instagram and Threads fetch images from the studio's public address -----------------

PUBLIC = "https://studio.example.com"


def _meta_channel(app, owner, brand, fake, monkeypatch, platform):
    """Connect an Instagram or Threads channel to the fake Graph server (test_meta's routes)."""
    from studio.publishing.adapters.instagram import InstagramAdapter
    from studio.publishing.adapters.threads import ThreadsAdapter
    from tests.unit.publishing.test_meta import IG, _containers, _threads_routes

    profile = {"id": "1", "username": "ember", "name": "Ember Roasters"}
    if platform == "instagram":
        monkeypatch.setattr(InstagramAdapter, "default_base_url", fake.url)
        fake.route("GET", rf"/{IG}", Reply(200, {**profile, "id": IG}))
        _containers(fake)
        values = {"ig_user_id": IG, "access_token": "ig-token"}
    else:
        monkeypatch.setattr(ThreadsAdapter, "default_base_url", fake.url)
        fake.route("GET", r"/me", Reply(200, profile))
        _threads_routes(fake)
        values = {"access_token": "th-token"}
    return _channel(app, owner, brand, platform, values)


def _post_with_images(app, owner, brand, post, platform, colours):
    """Target only ``platform`` and show one photo per colour, in order."""
    import io

    from PIL import Image

    from studio.assets import operations as media_ops

    brand.platforms = [platform]
    post.platforms = [platform]
    post.variants[0].platform = platform
    items = []
    with app.app_context():
        for n, colour in enumerate(colours):
            picture = io.BytesIO()
            im = Image.new("RGB", (1600, 1200), colour)
            im.paste((250, 250, 250), (0, 0, 400, 1200))
            im.save(picture, "JPEG")
            items.append(
                media_ops.add_media(brand, picture.getvalue(), f"{n}.jpg", owner.user).item
            )
        db.session.commit()
    return items


def _opened(url):
    from urllib.parse import urlsplit

    from flask import current_app

    from studio.assets import public_links

    token = urlsplit(url).path.rsplit("/", 1)[1]
    return public_links.read_token(current_app.secret_key, token).link


def test_instagram_fetches_each_image_from_its_signed_public_link(
    app, studio, fake, client, monkeypatch
):
    owner, brand, post = studio
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC + "/")
    _meta_channel(app, owner, brand, fake, monkeypatch, "instagram")
    first, second = _post_with_images(
        app, owner, brand, post, "instagram", [(200, 90, 40), (30, 120, 60)]
    )
    post.media = [
        {"media_id": first.id, "alt_text": "A cup"},
        {"media_id": second.id, "preset_id": "instagram_square", "alt_text": "The roaster"},
    ]
    db.session.commit()
    _schedule_now(app, owner, post)
    (attempt,) = _attempts(post)

    with app.app_context():
        outgoing = ops.build_outgoing(attempt)
        urls = outgoing.options["image_urls"]
        assert len(urls) == 2 and all(u.startswith(f"{PUBLIC}/public/media/") for u in urls)
        links = [_opened(u) for u in urls]
        assert [(link.media_id, link.preset_id) for link in links] == [
            (first.id, "instagram_portrait"),  # what the composer previews when none was chosen
            (second.id, "instagram_square"),
        ]
        assert sched.run_attempt(attempt.id).startswith("published")

    # Instagram got one carousel child per image, in order, each fetching a public link...
    children = [c.form() for c in fake.calls("POST", r"/17841400008460056/media")][:2]
    sent = [child["image_url"][0] for child in children]
    assert all(child["is_carousel_item"] == ["true"] for child in children)
    assert [c["alt_text"] for c in children] == [["A cup"], ["The roaster"]]
    with app.app_context():
        assert [_opened(u) for u in sent] == links
    # ...that serves, without signing in, exactly the bytes the post was built with.
    for url, media in zip(sent, outgoing.media, strict=True):
        assert url.startswith(f"{PUBLIC}/public/media/")
        response = client.get(url.removeprefix(PUBLIC))
        assert response.status_code == 200 and response.data == media.data
    db.session.refresh(attempt)
    assert attempt.state == "published"


@pytest.mark.parametrize(
    ("platform", "base"),
    [("instagram", ""), ("threads", ""), ("instagram", "http://studio.example.com")],
)
def test_without_a_public_https_address_images_fail_saying_what_to_set(
    app, studio, fake, monkeypatch, platform, base
):
    owner, brand, post = studio
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", base)
    _meta_channel(app, owner, brand, fake, monkeypatch, platform)
    (item,) = _post_with_images(app, owner, brand, post, platform, [(200, 90, 40)])
    post.media = [{"media_id": item.id, "alt_text": "A cup"}]
    db.session.commit()
    _schedule_now(app, owner, post)
    (attempt,) = _attempts(post)

    with app.app_context():
        assert "image_urls" not in ops.build_outgoing(attempt).options
        assert sched.run_attempt(attempt.id).startswith("failed")

    db.session.refresh(attempt)
    label = "Instagram" if platform == "instagram" else "Threads"
    assert attempt.state == "failed" and attempt.error_kind == "config"
    assert "PUBLIC_BASE_URL" in attempt.error
    assert attempt.action == (
        f"Set PUBLIC_BASE_URL to the studio's public https address so {label} can fetch "
        "the images, then retry."
    )
    assert fake.calls("POST") == []
