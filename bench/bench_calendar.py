"""Time the calendar's month view for a busy brand, and count its SQL queries.

Run: ``.venv/bin/python bench/bench_calendar.py`` (SQLite in a temporary folder), or with
``DATABASE_URL=postgresql://…`` for PostgreSQL. Seeds a brand with 500 posts (1,000
platform variants, two channels, so 1,000 publish attempts) in one month, then requests the
month view through the real app (signed in, full page) and prints the median and p95 time
and the SQL queries per request. The same is measured with 50 posts beside it: the query
count must not grow with the number of posts. Target: under 100 ms.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RUNS = 30
MONTH = (2027, 3)


def _app(instance: Path):
    os.environ.setdefault("PLUME_INSTANCE_PATH", str(instance))
    from flask_migrate import upgrade

    from studio import create_app
    from studio.config import DevelopmentConfig

    overrides = {"SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", "")}
    overrides = {k: v for k, v in overrides.items() if v}
    app = create_app(DevelopmentConfig, {**overrides, "RATELIMIT_ENABLED": False})
    app.instance_path = str(instance)
    with app.app_context():
        upgrade(revision="heads")
    return app


def _seed(app, posts: int, name: str):
    """Create a workspace with a brand holding ``posts`` posts scheduled in MONTH."""
    from studio.auth.operations import create_user
    from studio.extensions import db
    from studio.models import (
        Brand,
        Channel,
        Post,
        PostSchedule,
        PostStatus,
        PostVariant,
        PublishAttempt,
    )
    from studio.publishing.scheduling import local_string, wall_to_utc
    from studio.workspaces.operations import create_workspace

    rng = random.Random(posts)
    with app.app_context():
        user = create_user("Bench Owner", f"{name}@bench.example", "bench-password-123")
        workspace = create_workspace(user, f"Bench {name}")
        brand = Brand(
            workspace_id=workspace.id,
            name=f"Busy {name}",
            slug=f"busy-{name}",
            timezone="Europe/London",
            platforms=["mastodon", "bluesky"],
        )
        db.session.add(brand)
        db.session.flush()
        channels = [
            Channel(workspace_id=workspace.id, brand_id=brand.id, platform=p, display_name=p)
            for p in ("mastodon", "bluesky")
        ]
        db.session.add_all(channels)
        db.session.flush()
        statuses = [PostStatus.SCHEDULED] * 6 + [PostStatus.IN_REVIEW, PostStatus.PUBLISHED]
        for n in range(posts):
            local = datetime(*MONTH, rng.randint(1, 28), rng.randint(7, 21), rng.choice((0, 30)))
            post = Post(
                workspace_id=workspace.id,
                brand_id=brand.id,
                title=f"Post {n}",
                master_text=f"Caption {n} #coffee",
                platforms=["mastodon", "bluesky"],
                labels=[rng.choice(["promo", "news", "event"])],
                campaign=rng.choice(["Spring", "Launch", ""]),
                status=rng.choice(statuses),
                created_by_id=user.id,
            )
            db.session.add(post)
            db.session.flush()
            variants = [
                PostVariant(post_id=post.id, platform=p, options={}) for p in post.platforms
            ]
            db.session.add_all(variants)
            due = wall_to_utc(local, brand.timezone)
            db.session.add(
                PostSchedule(
                    workspace_id=workspace.id,
                    brand_id=brand.id,
                    post_id=post.id,
                    due_at=due,
                    local_time=local_string(local),
                    timezone=brand.timezone,
                )
            )
            db.session.flush()
            for variant, channel in zip(variants, channels, strict=True):
                state = "failed" if rng.random() < 0.03 else "scheduled"
                db.session.add(
                    PublishAttempt(
                        workspace_id=workspace.id,
                        brand_id=brand.id,
                        post_id=post.id,
                        post_variant_id=variant.id,
                        channel_id=channel.id,
                        platform=channel.platform,
                        variant_platform=channel.platform,
                        idempotency_key=f"bench-{name}-{post.id}-{channel.id}",
                        state=state,
                        due_at=due,
                    )
                )
        db.session.commit()
        return workspace.slug, brand.id, user.email


def _measure(app, slug: str, brand_id: int, email: str) -> tuple[list[float], list[int]]:
    from sqlalchemy import event

    from studio.extensions import db

    client = app.test_client()
    response = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    client.post(
        "/login",
        data={"email": email, "password": "bench-password-123", "csrf_token": token.group(1)},
    )
    url = f"/w/{slug}/brands/{brand_id}/calendar?date={MONTH[0]}-{MONTH[1]:02d}-01"
    counts: list[int] = []
    current = [0]

    def count(*_args) -> None:
        current[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    times = []
    try:
        for run in range(RUNS + 3):
            current[0] = 0
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            if run >= 3:  # warm-up: templates compiled, connections open
                times.append(elapsed * 1000)
                counts.append(current[0])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return times, counts


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        rows = []
        for posts in (50, 500):
            started = time.perf_counter()
            slug, brand_id, email = _seed(app, posts, f"b{posts}")
            seeded = time.perf_counter() - started
            times, counts = _measure(app, slug, brand_id, email)
            rows.append((posts, seeded, times, counts))
        with app.app_context():
            from studio.extensions import db

            backend = db.engine.dialect.name
        print(f"Calendar month view, {RUNS} requests each, database: {backend}")
        print(f"{'posts':>6} {'variants':>9} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        for posts, _seeded, times, counts in rows:
            p95 = sorted(times)[int(len(times) * 0.95) - 1]
            queries = sorted(set(counts))
            shown = str(queries[0]) if len(queries) == 1 else f"{queries[0]}-{queries[-1]}"
            print(
                f"{posts:>6} {posts * 2:>9} {statistics.median(times):>10.1f} {p95:>8.1f} "
                f"{shown:>8}"
            )
        small, big = rows[0][3], rows[1][3]
        same = set(small) == set(big)
        print(f"query count constant with the number of posts: {'yes' if same else 'NO'}")
        target = statistics.median(rows[1][2]) < 100
        print(f"500-post month under 100 ms: {'yes' if target else 'NO'}")


if __name__ == "__main__":
    main()
