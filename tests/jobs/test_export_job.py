"""The workspace export job, run by a real RQ worker against the real Redis."""

from __future__ import annotations

import io
import json
import re
import zipfile

from studio.extensions import db
from studio.models import Role, WorkspaceExport


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
