"""Demo metrics: a year of published posts with snapshots and followers for each demo brand.

The numbers come from :func:`studio.analytics.demo.generate_year`; each demo post also gets
a lightweight published :class:`~studio.models.Post` (caption, picture from the brand's
library, revision 1) so top posts have copy and thumbnails, and, where the approvals area
is installed, the manager's approval of that revision. Rows go in with bulk inserts: the
whole seed stays well under a few seconds.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from studio.analytics.demo import DemoPost, DemoYear, generate_year
from studio.analytics.summary import zone
from studio.assets.operations import media_for_brand
from studio.extensions import db
from studio.models import Brand, Membership, Post, PostRevision, PostStatus, Role, User, Workspace
from studio.models.analytics import FollowerCount, MetricSnapshot, PublishedPost
from studio.models.posts import PostVariant

# Where each demo brand publishes, and how often per platform per week.
DEMO_PLATFORMS: dict[str, tuple[tuple[str, ...], float]] = {
    "ember-roasters": (
        ("instagram", "facebook", "x", "threads", "bluesky", "mastodon", "pinterest"),
        2,
    ),
    "northwind-bank": (("linkedin", "x", "facebook", "instagram", "bluesky"), 2),
}
DEFAULT_PLATFORMS: tuple[tuple[str, ...], float] = (("instagram", "x", "linkedin"), 3)

_EMBER = {
    "Product spotlight": [
        "This month's single origin is a washed Ethiopian: jasmine, bergamot, a little honey. "
        "In both cafés and the Ember Club box now ☕",
        "Our house espresso, Railway Arch, is back on the grinder: dark chocolate and "
        "cherry. Come taste it ☕🍒",
    ],
    "Behind the scenes": [
        "Roast day under the arches 🔥 Forty kilos of Colombian went through the drum before "
        "nine this morning.",
        "Cupping table at 8 am: twelve coffees, one spoon each, one very quiet room 🥄",
    ],
    "Customer story": [
        "“The best flat white in Bristol,” says Priya, who has been coming in every Friday "
        "since 2014. We'll take it ❤️",
        "Tom runs the bakery next door and trades croissants for beans. Best deal in town 🥐☕",
    ],
    "How-to tip": [
        "Brew tip: 60 g of coffee per litre, water just off the boil, four minutes in the "
        "press. Then pour it all out so it stops brewing.",
        "Grind just before you brew. Ground coffee loses most of its aroma within half an hour 👃",
    ],
    "Team update": [
        "Say hello to Sam, our new head barista 👋 Latte art champion, terrible at darts.",
        "Our roaster Aisha just passed her Q grader exam. Drinks on us this Saturday 🎉",
    ],
    "Question for followers": [
        "Settle this for us: milk first or espresso first? 👇",
        "Which should be next month's guest roast: Kenya or Guatemala? Tell us below 👇",
    ],
    "Offer of the week": [
        "This week only: a free bag of beans with every new Ember Club subscription ☕📦",
        "Bring your own cup all week and your second coffee is on us ♻️",
    ],
}
_NORTHWIND = {
    "Product spotlight": [
        "Easy-access savings with no notice period: move money in and out whenever you "
        "need to. Rates can change; see our website for today's rate.",
        "The Northwind Invest stocks and shares ISA: invest up to the annual allowance from "
        "£25 a month. Capital at risk.",
    ],
    "Behind the scenes": [
        "Meet the team in Leeds who answer your calls seven days a week.",
        "How we test every app update on forty different phones before it reaches you.",
    ],
    "Customer story": [
        "Aisha saved for her first home with a Northwind savings pot. Here is how she did it.",
        "A small bakery in York moved its business banking to Northwind. What changed?",
    ],
    "How-to tip": [
        "Three ways to spot a scam text: urgency, a link, and a request for a code. We will "
        "never ask you for a code.",
        "Round-ups move your spare change into savings every time you pay by card.",
    ],
    "Team update": [
        "Our customer service team won a national award this week. Thank you for voting.",
        "We are hiring engineers in Leeds and Manchester. See our careers page.",
    ],
    "Question for followers": [
        "What would make budgeting easier for you? Tell us in the comments.",
        "Which feature should we build next: shared pots or bill splitting?",
    ],
    "Offer of the week": [
        "Switch your current account this month and keep your old direct debits. We move "
        "them for you.",
        "Open a savings pot this week and set a goal in under a minute.",
    ],
}


def demo_window(today: date | None = None) -> tuple[date, int]:
    """Return the first day and length of the year before this month (12 whole months)."""
    today = today or datetime.now(UTC).date()
    first_this_month = today.replace(day=1)
    index = first_this_month.year * 12 + first_this_month.month - 1 - 12
    start = date(index // 12, index % 12 + 1, 1)
    return start, (first_this_month - start).days


def _caption(brand: Brand, post: DemoPost) -> str:
    library = _EMBER if "ember" in brand.slug else _NORTHWIND
    theme = post.caption_hint.split(" (")[0]
    choices = library.get(theme) or [post.caption_hint]
    text = random.Random(post.external_id).choice(choices)
    if post.campaign:
        text += f" #{post.campaign.title().replace(' ', '')}"
    return text


def _snapshot_of(post_row: dict[str, Any], platform: str) -> dict[str, Any]:
    return {
        "title": post_row["title"],
        "master_text": post_row["master_text"],
        "campaign": post_row["campaign"],
        "link_url": "",
        "platforms": [platform],
        "labels": list(post_row["labels"]),
        "tags": [],
        "media": list(post_row["media"]),
        "variants": {platform: {"text": None, "options": {}, "media": None}},
    }


def load_demo_metrics(workspace: Workspace, brands: list[Brand], users: dict[Role, User]) -> None:
    """Fill each demo brand with a year of published posts, snapshots and followers."""
    start, days = demo_window()
    writer = users.get(Role.COPYWRITER) or users.get(Role.OWNER)
    approver = users.get(Role.BRAND_MANAGER) or users.get(Role.OWNER)
    approver_membership = (
        db.session.scalar(
            select(Membership).where(
                Membership.workspace_id == workspace.id, Membership.user_id == approver.id
            )
        )
        if approver is not None
        else None
    )
    for brand in brands:
        platforms, per_week = DEMO_PLATFORMS.get(brand.slug, DEFAULT_PLATFORMS)
        year = generate_year(
            brand.slug, platforms, per_week, start, seed=1, tz=brand.timezone, days=days
        )
        load_year(brand, year, writer, approver, approver_membership)
    db.session.flush()


def load_year(
    brand: Brand,
    year: DemoYear,
    writer: User | None = None,
    approver: User | None = None,
    approver_membership: Membership | None = None,
) -> None:
    """Store a generated year for ``brand``: posts, revisions, snapshots, followers and,
    with an approver, the approvals (the caller commits)."""
    pictures = [m for m in media_for_brand(brand) if m.kind == "image"]
    tz = zone(brand.timezone)
    post_rows = []
    for number, demo in enumerate(year.posts):
        media = []
        if pictures:
            item = pictures[number % len(pictures)]
            media = [{"media_id": item.id, "alt_text": item.alt_text}]
        local = demo.published_at.astimezone(tz)
        post_rows.append(
            {
                "workspace_id": brand.workspace_id,
                "brand_id": brand.id,
                "title": f"{demo.caption_hint} · {local:%d %b}",
                "master_text": _caption(brand, demo),
                "platforms": [demo.platform],
                "media": media,
                "labels": list(demo.labels),
                "tags": [],
                "campaign": demo.campaign or "",
                "link_url": "",
                "status": PostStatus.PUBLISHED,
                "revision": 1,
                "created_by_id": writer.id if writer else None,
                "created_at": demo.published_at - timedelta(days=3),
                "updated_at": demo.published_at - timedelta(days=1),
            }
        )
    if not post_rows:
        return
    post_ids = list(
        db.session.scalars(insert(Post).returning(Post.id, sort_by_parameter_order=True), post_rows)
    )
    db.session.connection().execute(
        insert(PostVariant.__table__),
        [
            {"post_id": pid, "platform": demo.platform, "text": None, "media": None, "options": {}}
            for pid, demo in zip(post_ids, year.posts, strict=True)
        ],
    )
    revision_ids = list(
        db.session.scalars(
            insert(PostRevision).returning(PostRevision.id, sort_by_parameter_order=True),
            [
                {
                    "post_id": pid,
                    "number": 1,
                    "author_id": writer.id if writer else None,
                    "created_at": row["created_at"],
                    "fields": [],
                    "kind": "create",
                    "snapshot": _snapshot_of(row, demo.platform),
                }
                for pid, row, demo in zip(post_ids, post_rows, year.posts, strict=True)
            ],
        )
    )
    published_ids = list(
        db.session.scalars(
            insert(PublishedPost).returning(PublishedPost.id, sort_by_parameter_order=True),
            [
                {
                    "workspace_id": brand.workspace_id,
                    "brand_id": brand.id,
                    "post_id": pid,
                    "platform": demo.platform,
                    "external_key": "id:" + demo.external_id,
                    "external_id": demo.external_id,
                    "url": None,
                    "published_at": demo.published_at,
                    "caption": row["master_text"],
                    "campaign": demo.campaign or "",
                    "labels": list(demo.labels),
                    "source": "demo",
                }
                for pid, row, demo in zip(post_ids, post_rows, year.posts, strict=True)
            ],
        )
    )
    by_external = {
        demo.external_id: pid for pid, demo in zip(published_ids, year.posts, strict=True)
    }
    latest: dict[int, dict[str, Any]] = {}
    snapshot_rows = []
    for snap in year.snapshots:
        pid = by_external[snap.external_id]
        values = {
            "impressions": snap.impressions,
            "reach": snap.reach,
            "likes": snap.likes,
            "comments": snap.comments,
            "shares": snap.shares,
            "saves": snap.saves,
            "link_clicks": snap.link_clicks,
            "video_views": snap.video_views,
        }
        snapshot_rows.append(
            {"published_post_id": pid, "snapshot_date": snap.snapshot_date, "source": "demo"}
            | values
        )
        held = latest.get(pid)
        if held is None or snap.snapshot_date >= held["latest_snapshot"]:
            latest[pid] = {"latest_snapshot": snap.snapshot_date, **values}
    if snapshot_rows:
        db.session.connection().execute(insert(MetricSnapshot.__table__), snapshot_rows)
    if latest:
        # The latest snapshot on each post row, as the upserts keep it.
        table = PublishedPost.__table__
        columns = next(iter(latest.values()))
        db.session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("pid"))
            .values({key: bindparam(key) for key in columns}),
            [{"pid": pid, **values} for pid, values in latest.items()],
        )
    followers = [
        {
            "workspace_id": brand.workspace_id,
            "brand_id": brand.id,
            "platform": point.platform,
            "account_key": "",
            "day": point.day,
            "followers": point.followers,
        }
        for point in year.followers
    ]
    if followers:
        db.session.connection().execute(insert(FollowerCount.__table__), followers)
    _approve(brand, post_ids, revision_ids, year.posts, approver, approver_membership)


def _approve(
    brand: Brand,
    post_ids: list[int],
    revision_ids: list[int],
    posts: list[DemoPost],
    approver: User | None,
    membership: Membership | None,
) -> None:
    """Record the manager's approval of each demo post's revision, if approvals exist."""
    try:
        from studio.models.approvals import ApprovalDecision, ApprovalEvent
    except ImportError:  # the approvals area is not installed
        return
    if approver is None or membership is None:
        return
    decisions = []
    events = []
    for pid, rid, demo in zip(post_ids, revision_ids, posts, strict=True):
        when = demo.published_at - timedelta(days=1, hours=random.Random(pid).randrange(1, 9))
        decisions.append(
            {
                "workspace_id": brand.workspace_id,
                "post_id": pid,
                "round": 1,
                "decision": "approved",
                "revision_number": 1,
                "revision_id": rid,
                "membership_id": membership.id,
                "user_id": approver.id,
                "via_share_link": False,
                "approver_name": approver.name,
                "note": "",
                "created_at": when,
            }
        )
        events.append(
            {
                "workspace_id": brand.workspace_id,
                "post_id": pid,
                "created_at": when,
                "actor_id": approver.id,
                "actor_name": approver.name,
                "kind": "approved",
                "from_status": "in_review",
                "to_status": "approved",
                "revision": 1,
                "note": "",
            }
        )
        # A few time-critical posts went out on a manager's override.
        if demo.campaign and random.Random(f"override:{pid}").random() < 0.08:
            events.append(
                {
                    "workspace_id": brand.workspace_id,
                    "post_id": pid,
                    "created_at": when - timedelta(hours=1),
                    "actor_id": approver.id,
                    "actor_name": approver.name,
                    "kind": "override",
                    "from_status": "draft",
                    "to_status": "in_review",
                    "revision": 1,
                    "note": "Campaign launch time agreed with the client by phone; "
                    "the hashtag rule is waived for this post.",
                }
            )
    # A savepoint: if the approvals tables differ from what this expects, the seed goes on.
    try:
        with db.session.begin_nested():
            db.session.execute(insert(ApprovalDecision), decisions)
            db.session.execute(insert(ApprovalEvent), events)
    except Exception:  # demo extras must never break the seed
        return
