"""The job-progress component: a fragment that polls itself until its job ends."""

from __future__ import annotations

import json

from flask import Response, g, render_template, url_for
from werkzeug.exceptions import NotFound

from studio.tasks.queue import job_state
from studio.web import workspace_blueprint

bp = workspace_blueprint("tasks", __name__)

# htmx stops polling when a response has this status.
STOP_POLLING = 286


@bp.get("/jobs/<job_id>")
def progress(job_id: str) -> Response:
    state = job_state(job_id)
    # A job is only visible inside the workspace that started it.
    if state.status != "missing" and state.meta.get("workspace_id") != g.workspace.id:
        raise NotFound("No such job in this workspace.")
    if state.status == "missing":
        raise NotFound("This job has expired or never existed.")
    html = render_template(
        "components/job_progress.html",
        job_id=job_id,
        state=state,
        title=state.meta.get("title") or "Background job",
        poll_url=url_for("tasks.progress", job_id=job_id),
        result_url=_result_url(state.meta) if state.status == "finished" else None,
    )
    if not state.done:
        return Response(html, 200)
    response = Response(html, STOP_POLLING)
    # Lists that show what the job made (a report's size and download) refresh themselves.
    response.headers["HX-Trigger"] = json.dumps(
        {"plume:job-done": {"job": job_id, "status": state.status}}
    )
    return response


def _result_url(meta: dict) -> str | None:
    if meta.get("kind") == "export":
        return url_for("workspaces.download_export", export_id=meta["export_id"])
    return meta.get("result_url")
