"""The workspace export job, run by a real RQ worker against the real Redis."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, date, datetime

from flask import g
from PIL import Image

from studio.approvals import operations as approval_ops
from studio.assets import operations as media_ops
from studio.comments import operations as comment_ops
from studio.composer import operations as composer
from studio.extensions import db
from studio.kits import operations as kit_ops
from studio.models import MetricSnapshot, PublishedPost, Report, Role, WorkspaceExport
from studio.models.analytics import FollowerCount
from studio.publishing import operations as publishing
from studio.publishing import scheduling as sched


def start_export(client, workspace):
    response = client.form(f"/w/{workspace.slug}/exports", {}, htmx=True)
    assert response.status_code == 202
    job_id = re.search(r'id="job-([^"]+)"', response.get_data(as_text=True)).group(1)
    return response, job_id


def test_export_runs_on_a_worker_and_reports_progress_until_done(client, make, login, run_jobs):
    owner = make.member(make.workspace(name="Exporters"))
    make.brand(owner.workspace, name="Café Ünïcode")
    login(owner.user)
    response, job_id = start_export(client, owner.workspace)
    body = response.get_data(as_text=True)
    assert 'hx-trigger="load delay:700ms"' in body and "Queued" in body

    queued = client.hx_get(f"/w/{owner.workspace.slug}/jobs/{job_id}")
    assert queued.status_code == 200  # keeps polling

    run_jobs()

    done = client.hx_get(f"/w/{owner.workspace.slug}/jobs/{job_id}")
    html = done.get_data(as_text=True)
    assert done.status_code == 286  # htmx stops polling
    assert "hx-trigger" not in html
    assert 'aria-valuenow="100"' in html
    export = db.session.query(WorkspaceExport).filter_by(job_id=job_id).one()
    assert export.status == "finished"
    download = client.get(f"/w/{owner.workspace.slug}/exports/{export.id}/download")
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    assert {"manifest.json", "members.json", "brands.json", "invitations.json"} <= set(
        archive.namelist()
    )
    brands = json.loads(archive.read("brands.json"))
    assert [b["name"] for b in brands] == ["Café Ünïcode"]
    members = json.loads(archive.read("members.json"))
    assert members[0]["email"] == owner.user.email and members[0]["role"] == "owner"


def test_running_the_export_twice_is_harmless(app, client, make, login, run_jobs):
    from jobs.exports import export_workspace

    owner = make.member(make.workspace())
    login(owner.user)
    _, job_id = start_export(client, owner.workspace)
    run_jobs()
    export = db.session.query(WorkspaceExport).filter_by(job_id=job_id).one()
    first_size = export.size_bytes
    with app.app_context():
        assert export_workspace(export.id) == "already finished"
    db.session.refresh(export)
    assert export.size_bytes == first_size and export.status == "finished"


def test_failed_job_shows_the_reason(app, client, make, login, run_jobs):
    owner = make.member(make.workspace())
    login(owner.user)
    _, job_id = start_export(client, owner.workspace)
    from studio.workspaces import export as export_module

    def broken(_workspace_id):
        raise RuntimeError("the brands table could not be read")

    export_module.SECTIONS["broken"] = broken
    try:
        run_jobs()
    finally:
        export_module.SECTIONS.pop("broken")
    failed = client.hx_get(f"/w/{owner.workspace.slug}/jobs/{job_id}")
    html = failed.get_data(as_text=True)
    assert failed.status_code == 286
    assert "Failed" in html and "the brands table could not be read" in html
    export = db.session.query(WorkspaceExport).filter_by(job_id=job_id).one()
    assert export.status == "failed"


def test_job_progress_of_another_workspace_is_404(client, make, login, run_jobs):
    owner = make.member(make.workspace())
    login(owner.user)
    _, job_id = start_export(client, owner.workspace)
    client.form("/logout")
    stranger = make.member(make.workspace())
    login(stranger.user)
    assert client.hx_get(f"/w/{stranger.workspace.slug}/jobs/{job_id}").status_code == 404


def test_only_owners_export(client, make, login):
    workspace = make.workspace()
    manager = make.member(workspace, Role.BRAND_MANAGER)
    login(manager.user)
    assert client.form(f"/w/{workspace.slug}/exports", {}, htmx=True).status_code == 403


def test_redis_down_page_still_renders_and_jobs_say_the_queue_is_unavailable(
    app, client, make, login
):
    owner = make.member(make.workspace())
    login(owner.user)
    real_url = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    app.extensions.pop("plume_redis", None)
    try:
        page = client.get(f"/w/{owner.workspace.slug}/settings")
        assert page.status_code == 200
        response = client.form(f"/w/{owner.workspace.slug}/exports", {}, htmx=True)
        assert response.status_code == 503
        assert "queue is unavailable" in response.get_data(as_text=True)
        export = db.session.query(WorkspaceExport).one()
        assert export.status == "failed"
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json["checks"]["redis"].startswith("error")
    finally:
        app.config["REDIS_URL"] = real_url
        app.extensions.pop("plume_redis", None)


# -- what the export contains -------------------------------------------------------------


def _png(colour: tuple[int, int, int]) -> bytes:
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(picture, "PNG")
    return picture.getvalue()


def _fill(app, make, tag: str, colour: tuple[int, int, int]) -> dict:
    """A workspace holding one of everything the export covers, its text marked with tag."""
    workspace = make.workspace(name=f"{tag} Studio")
    brand = make.brand(workspace, name=f"{tag} Roasters", timezone="Europe/London")
    brand.platforms = ["mastodon"]
    owner = make.member(
        workspace, Role.OWNER, name=f"{tag} Owner", email=f"{tag}-owner@plume.example"
    )
    manager = make.member(
        workspace, Role.BRAND_MANAGER, name=f"{tag} Manager", email=f"{tag}-manager@plume.example"
    )
    db.session.commit()
    token = f"tok-{tag}-0123456789abcdef"
    with app.test_request_context():
        g.workspace = workspace  # comments link their notifications with url_for
        kit = kit_ops.get_kit(brand)
        logo = kit_ops.store_asset(
            kit, kit_ops.CleanAsset("logos/mark.png", _png(colour), "image/png")
        )
        kit_ops.save_kit(kit, {"name": f"{tag} kit"}, owner.user, summary=f"{tag} renamed")

        item = media_ops.add_media(brand, _png(colour), f"{tag}-hero.png", owner.user).item
        media_ops.update_details(item, f"{tag} beans on a scale", [f"{tag}-tag"])
        media_ops.set_focal(item, 0.25, 0.75)
        media_ops.save_crop(item, "x_single", [0, 0, 1, 1])

        post = composer.create_post(owner, brand, f"{tag} launch")
        composer.apply_changes(
            post,
            composer.Changes(
                master_text=f"{tag} fresh roast on Friday",
                labels=[f"{tag}-label"],
                tags=[f"{tag}-hashtag"],
                campaign=f"{tag} autumn",
                link_url=f"https://{tag}.example/roast",
                media=[{"media_id": item.id, "alt_text": f"{tag} beans on a scale"}],
                variant_text={"mastodon": f"{tag} roast, for the fediverse"},
                variant_options={"mastodon": {"content_warning": f"{tag} caffeine"}},
            ),
            post.revision,
            owner.user,
        )
        thread = comment_ops.create_comment(
            owner,
            post,
            comment_ops.CommentInput(
                body=f"{tag} check the roast date",
                anchor_field="master_text",
                anchor_start="0",
                anchor_end=str(len(tag)),
                anchor_quote=tag,
                anchor_revision=str(post.revision),
            ),
        ).comment
        reply = comment_ops.create_comment(
            manager, post, comment_ops.CommentInput(body=f"{tag} done", parent_id=str(thread.id))
        ).comment
        comment_ops.set_resolved(owner, post, thread, True)

        step = approval_ops.add_step(
            brand, approval_ops.StepInput(f"{tag} managers", "role", "brand_manager", [], "any")
        )
        link, share = approval_ops.create_share_link(
            post, owner, f"{tag} client", 7, app.secret_key
        )
        approval_ops.submit(post, owner)
        decision = approval_ops.approve(
            post,
            approval_ops.Decider(membership=manager),
            approval_ops.current_revision(post),
        )

        channel = publishing.connect_channel(owner, brand, "sandbox", {})
        publishing.update_credentials(channel, {"access_token": token})
        wall = datetime(2031, 3, 4, 9, 30)
        result = sched.schedule_post(owner, post, wall)
        (attempt,) = result.attempts
        attempt.state = "published"
        attempt.attempts = 2
        attempt.published_at = datetime(2031, 3, 4, 9, 31, tzinfo=UTC)
        attempt.platform_post_id = f"{tag}-remote-42"
        attempt.url = f"https://{tag}.example/feed/42"
        attempt.error = f"{tag} timed out once"
        attempt.lease_token = f"lease-{tag}-secret"

        published = PublishedPost(
            workspace_id=workspace.id,
            brand_id=brand.id,
            post_id=post.id,
            channel_id=channel.id,
            platform="mastodon",
            external_key=f"id:{tag}-remote-42",
            external_id=f"{tag}-remote-42",
            published_at=attempt.published_at,
            caption=f"{tag} fresh roast on Friday",
            impressions=1200,
            likes=34,
        )
        db.session.add(published)
        db.session.flush()
        db.session.add_all(
            [
                MetricSnapshot(
                    published_post_id=published.id,
                    snapshot_date=date(2031, 3, 5),
                    impressions=1200,
                    likes=34,
                ),
                FollowerCount(
                    workspace_id=workspace.id,
                    brand_id=brand.id,
                    channel_id=channel.id,
                    platform="mastodon",
                    account_key=f"channel:{channel.id}",
                    day=date(2031, 3, 5),
                    followers=5150,
                ),
                Report(
                    workspace_id=workspace.id,
                    brand_id=brand.id,
                    title=f"{tag} March report",
                    period="2031-03",
                    status="finished",
                    pages=4,
                    size_bytes=81234,
                    blob_key=f"reports/{tag}-blob-key",
                    created_by_id=owner.user_id,
                ),
            ]
        )
        db.session.commit()
    return {
        "workspace": workspace,
        "brand": brand,
        "owner": owner,
        "manager": manager,
        "logo": logo,
        "item": item,
        "post": post,
        "thread": thread,
        "reply": reply,
        "step": step,
        "share_token": share,
        "link": link,
        "decision": decision,
        "channel": channel,
        "token": token,
        "attempt": attempt,
        "published": published,
    }


EXPECTED_FILES = {
    f"{name}.json"
    for name in (
        "manifest",
        "members",
        "brands",
        "invitations",
        "posts",
        "post_revisions",
        "comments",
        "approvals",
        "brand_kits",
        "media",
        "channels",
        "schedules",
        "publish_attempts",
        "analytics",
        "reports",
    )
}


def _export(client, login, run_jobs, owner) -> zipfile.ZipFile:
    login(owner.user)
    _, job_id = start_export(client, owner.workspace)
    run_jobs()
    done = client.hx_get(f"/w/{owner.workspace.slug}/jobs/{job_id}")
    assert done.status_code == 286 and 'aria-valuenow="100"' in done.get_data(as_text=True)
    export = db.session.query(WorkspaceExport).filter_by(job_id=job_id).one()
    assert export.status == "finished", export.error
    download = client.get(f"/w/{owner.workspace.slug}/exports/{export.id}/download")
    assert download.status_code == 200
    return zipfile.ZipFile(io.BytesIO(download.data))


def test_export_holds_all_the_workspace_content_and_nothing_of_another(
    app, client, make, login, run_jobs
):
    a = _fill(app, make, "alpha", (200, 40, 40))
    b = _fill(app, make, "zebra", (40, 200, 40))
    archive = _export(client, login, run_jobs, a["owner"])

    assert set(archive.namelist()) == EXPECTED_FILES
    data = {name[:-5]: json.loads(archive.read(name)) for name in archive.namelist()}
    manifest = data["manifest"]
    assert {f"{name}.json" for name in manifest["sections"]} == EXPECTED_FILES - {"manifest.json"}
    assert any("media originals" in note for note in manifest["notes"])

    (post,) = data["posts"]
    assert post["id"] == a["post"].id and post["brand_id"] == a["brand"].id
    assert post["title"] == "alpha launch" and post["status"] == "scheduled"
    assert post["master_text"] == "alpha fresh roast on Friday"
    assert post["labels"] == ["alpha-label"] and post["tags"] == ["alpha-hashtag"]
    assert post["campaign"] == "alpha autumn"
    assert post["link_url"] == "https://alpha.example/roast"
    assert post["media"] == [{"media_id": a["item"].id, "alt_text": "alpha beans on a scale"}]
    assert post["revision"] == a["post"].revision >= 2
    assert post["created_by"] == {"name": "alpha Owner", "email": "alpha-owner@plume.example"}
    assert datetime.fromisoformat(post["created_at"]).tzinfo is not None
    (variant,) = post["variants"]
    assert variant["platform"] == "mastodon"
    assert variant["text"] == "alpha roast, for the fediverse"
    assert variant["options"] == {"content_warning": "alpha caffeine"}

    revisions = data["post_revisions"]
    assert [r["number"] for r in revisions] == list(range(1, a["post"].revision + 1))
    saved = revisions[1]
    assert (
        saved["post_id"] == a["post"].id and saved["author"]["email"] == "alpha-owner@plume.example"
    )
    assert {"master_text", "campaign"} <= set(saved["fields"])
    assert saved["snapshot"]["master_text"] == "alpha fresh roast on Friday"

    thread, reply = data["comments"]
    assert thread["id"] == a["thread"].id and thread["post_id"] == a["post"].id
    assert thread["body"] == "alpha check the roast date" and thread["parent_id"] is None
    assert thread["author"] == {"name": "alpha Owner", "email": "alpha-owner@plume.example"}
    assert thread["anchor"]["kind"] == "text" and thread["anchor"]["quote"] == "alpha"
    assert thread["resolved"] is True and thread["resolved_at"]
    assert thread["resolved_by"]["email"] == "alpha-owner@plume.example"
    assert reply["parent_id"] == a["thread"].id and reply["author"]["name"] == "alpha Manager"
    assert {"edited_at", "deleted_at", "created_at"} <= set(reply)

    approvals = data["approvals"]
    (step,) = approvals["steps"]
    assert step["name"] == "alpha managers" and step["role"] == "brand_manager"
    assert step["brand_id"] == a["brand"].id
    (decision,) = approvals["decisions"]
    assert decision["decision"] == "approved" and decision["step_id"] == a["step"].id
    assert decision["approver"]["email"] == "alpha-manager@plume.example"
    assert decision["revision_number"] == a["decision"].revision_number
    assert decision["via_share_link"] is False and decision["withdrawn"] is False
    (link,) = approvals["share_links"]
    assert link["label"] == "alpha client" and link["expires_at"]
    kinds = [e["kind"] for e in approvals["events"]]
    assert {"share_link_created", "submitted", "approved"} <= set(kinds)

    (kit,) = data["brand_kits"]
    assert kit["brand_id"] == a["brand"].id and kit["data"]["name"] == "alpha kit"
    assert kit["version"] == len(kit["versions"]) >= 2
    assert kit["versions"][-1]["changed_by"]["email"] == "alpha-owner@plume.example"
    assert "name" in kit["versions"][-1]["changed_fields"]
    (logo,) = kit["files"]
    assert logo == {
        "filename": "logos/mark.png",
        "kind": "logo",
        "mimetype": "image/png",
        "sha256": a["logo"].sha256,
        "size_bytes": a["logo"].size_bytes,
        "created_at": logo["created_at"],
    }

    (item,) = data["media"]
    assert item["id"] == a["item"].id and item["sha256"] == a["item"].sha256
    assert item["filename"] == "alpha-hero.png" and (item["width"], item["height"]) == (64, 48)
    assert item["alt_text"] == "alpha beans on a scale" and item["tags"] == ["alpha-tag"]
    assert item["focal_point"] == {"x": 0.25, "y": 0.75}
    assert [c["preset_id"] for c in item["crops"]] == ["x_single"]

    (channel,) = data["channels"]
    assert channel["id"] == a["channel"].id and channel["platform"] == "sandbox"
    assert channel["display_name"] == a["channel"].display_name and channel["active"] is True
    assert channel["connected_at"]

    (schedule,) = data["schedules"]
    assert schedule["post_id"] == a["post"].id and schedule["timezone"] == "Europe/London"
    assert schedule["local_time"] == "2031-03-04T09:30"
    (attempt,) = data["publish_attempts"]
    assert attempt["id"] == a["attempt"].id and attempt["channel_id"] == a["channel"].id
    assert attempt["state"] == "published" and attempt["tries"] == 2
    assert attempt["remote_id"] == "alpha-remote-42"
    assert attempt["remote_url"] == "https://alpha.example/feed/42"
    assert attempt["error"] == "alpha timed out once"
    assert attempt["published_at"] == "2031-03-04T09:31:00+00:00"

    analytics = data["analytics"]
    (published,) = analytics["published_posts"]
    assert published["post_id"] == a["post"].id and published["metrics"]["impressions"] == 1200
    (snapshot,) = analytics["metric_snapshots"]
    assert snapshot == {
        "published_post_id": a["published"].id,
        "date": "2031-03-05",
        "metrics": {**dict.fromkeys(published["metrics"]), "impressions": 1200, "likes": 34},
        "source": "csv",
    }
    (followers,) = analytics["follower_counts"]
    assert followers["followers"] == 5150 and followers["day"] == "2031-03-05"
    (report,) = data["reports"]
    assert report["title"] == "alpha March report" and report["period"] == "2031-03"
    assert (report["status"], report["pages"], report["size_bytes"]) == ("finished", 4, 81234)
    assert report["created_by"]["email"] == "alpha-owner@plume.example"

    # Nothing of the other workspace, and no secret of either, anywhere in the ZIP.
    everything = "\n".join(archive.read(n).decode("utf-8") for n in archive.namelist())
    assert "zebra" not in everything.lower()
    for secret in (
        a["channel"].sealed_credentials,
        b["channel"].sealed_credentials,
        a["token"],
        b["token"],
        a["share_token"],
        b["share_token"],
        "lease-alpha-secret",
        "reports/alpha-blob-key",
        a["attempt"].idempotency_key,
    ):
        assert secret and secret not in everything
    for sha in (b["item"].sha256, b["logo"].sha256):
        assert sha not in everything
    foreign_ids = {
        "posts": b["post"].id,
        "comments": b["thread"].id,
        "media": b["item"].id,
        "channels": b["channel"].id,
        "publish_attempts": b["attempt"].id,
    }
    for section, foreign in foreign_ids.items():
        assert foreign not in {row["id"] for row in data[section]}
    brand_rows = [
        row
        for rows in (
            data["posts"],
            data["media"],
            data["channels"],
            data["schedules"],
            data["publish_attempts"],
            data["brand_kits"],
            data["reports"],
            approvals["steps"],
            analytics["published_posts"],
            analytics["follower_counts"],
        )
        for row in rows
    ]
    assert {row["brand_id"] for row in brand_rows} == {a["brand"].id}


def test_progress_moves_through_every_section_and_empty_sections_are_valid_json(app, make):
    from studio.workspaces.export import SECTIONS, build_export_zip

    owner = make.member(make.workspace())
    seen: list[tuple[int, str]] = []
    with app.app_context():
        data = build_export_zip(owner.workspace_id, lambda p, m: seen.append((p, m)))
    expected = [f"Exporting {name.replace('_', ' ')}…" for name in SECTIONS] + ["Export ready."]
    assert [message for _, message in seen] == expected
    percents = [p for p, _ in seen]
    assert percents[0] == 0 and percents[-1] == 100
    assert percents == sorted(set(percents))  # strictly rising, one step per section
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert json.loads(archive.read("posts.json")) == []
    assert json.loads(archive.read("approvals.json")) == {
        "steps": [],
        "decisions": [],
        "share_links": [],
        "events": [],
    }
    assert json.loads(archive.read("analytics.json"))["metric_snapshots"] == []
