"""Media jobs on a real RQ worker: every preset of an image, and the profile-asset ZIP."""

from __future__ import annotations

import io
import json
import re
import zipfile

from PIL import Image
from sqlalchemy import select

from studio.extensions import db
from studio.models import MediaItem, Role
from studio.platforms.media_presets import PRESETS, PROFILE_SPECS
from tests.unit import image_fixtures as fx


def _setup(make, login, role=Role.DESIGNER):
    workspace = make.workspace()
    brand = make.brand(workspace, name="Quay Bakery", colour="#8a3b12")
    member = make.member(workspace, role)
    login(member.user)
    return workspace, brand


def _upload(client, workspace, brand, data, name):
    response = client.form(
        f"/w/{workspace.slug}/brands/{brand.id}/media",
        {"file": (io.BytesIO(data), name)},
        headers={"X-Plume-Upload": "1", "HX-Request": "true"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return db.session.scalar(select(MediaItem).where(MediaItem.filename == name))


def _job_id(response) -> str:
    return re.search(r'id="job-([^"]+)"', response.get_data(as_text=True)).group(1)


def test_render_all_makes_every_preset_once_and_reports_progress(
    app, client, make, login, run_jobs
):
    workspace, brand = _setup(make, login)
    item = _upload(client, workspace, brand, fx.encode(fx.photo(1800, 1200, seed=31)), "all.jpg")
    response = client.form(f"/w/{workspace.slug}/media/{item.id}/render-all", {}, htmx=True)
    assert response.status_code == 202
    job_id = _job_id(response)
    assert job_id.startswith(f"render-all-{item.id}-")
    # Asking again while it waits doesn't queue a second copy.
    again = client.form(f"/w/{workspace.slug}/media/{item.id}/render-all", {}, htmx=True)
    assert _job_id(again) == job_id
    assert client.hx_get(f"/w/{workspace.slug}/jobs/{job_id}").status_code == 200

    run_jobs()

    done = client.hx_get(f"/w/{workspace.slug}/jobs/{job_id}")
    assert done.status_code == 286
    html = done.get_data(as_text=True)
    assert 'aria-valuenow="100"' in html and "renditions are ready" in html

    from studio.blobs import blob_storage

    with app.app_context():
        storage = blob_storage()
        prefix = item.sha256[:16]
        made = [k for k in storage.keys("renditions") if k.split("/")[1].startswith(prefix)]
        stamps = {k: storage.path_for(k).stat().st_mtime_ns for k in made}
    # Every platform preset plus the library tile and the editor preview, each with its facts.
    images = [k for k in made if not k.endswith(".json")]
    assert len(images) == len(PRESETS) + 2
    for key in images:
        preset_id = key.split("-")[1] if key.count("-") >= 2 else ""
        preset = PRESETS.get(preset_id)
        if preset is None:
            continue
        with app.app_context():
            im = Image.open(io.BytesIO(storage.get(key)))
            assert im.size == (preset.width, preset.height) and im.mode == "RGB"
            assert preset.max_bytes is None or storage.size(key) <= preset.max_bytes
            assert len(im.getexif()) == 0
    page = client.get(f"/w/{workspace.slug}/media/{item.id}").get_data(as_text=True)
    assert page.count('class="bytes"') == len(PRESETS)

    # Running the job again finds everything made and rewrites nothing.
    from jobs.media import render_all

    with app.app_context():
        assert render_all(item.id) == f"{len(PRESETS) + 2} renditions"
        assert {k: storage.path_for(k).stat().st_mtime_ns for k in made} == stamps
        assert render_all(999_999) == "gone"


def test_profile_zip_job_builds_every_platform_set_and_offers_the_download(
    app, client, make, login, run_jobs
):
    workspace, brand = _setup(make, login, Role.BRAND_MANAGER)
    logo = io.BytesIO()
    Image.new("RGBA", (300, 120), (255, 255, 255, 255)).save(logo, "PNG")
    client.form(
        f"/w/{workspace.slug}/brands/{brand.id}/kit/logos",
        {"logos.primary": (io.BytesIO(logo.getvalue()), "logo.png")},
    )
    design = {
        "background": "gradient",
        "colour": "#8A3B12",
        "colour2": "#222222",
        "direction": "diagonal",
        "logo": "primary",
        "avatar_logo": "primary",
        "logo_scale": "100",
        "tagline": "Bread at dawn",
        "text_colour": "#FFFFFF",
    }
    response = client.form(
        f"/w/{workspace.slug}/brands/{brand.id}/profile-assets/zip", design, htmx=True
    )
    assert response.status_code == 202
    job_id = _job_id(response)
    run_jobs()

    done = client.hx_get(f"/w/{workspace.slug}/jobs/{job_id}")
    assert done.status_code == 286
    html = done.get_data(as_text=True)
    assert "ZIP ready" in html
    link = re.search(r'href="([^"]+\.zip)"', html).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    names = set(archive.namelist())
    assert {"README.txt", "manifest.json"} <= names
    manifest = {row["file"]: row for row in json.loads(archive.read("manifest.json"))}
    assert len(manifest) == len(PROFILE_SPECS)
    for spec in PROFILE_SPECS.values():
        name = next(n for n in manifest if n.startswith(f"{spec.platform}/{spec.id}."))
        im = Image.open(io.BytesIO(archive.read(name)))
        assert im.size == (spec.width, spec.height)
        assert spec.max_bytes is None or len(archive.read(name)) <= spec.max_bytes

    # The same design again: the same job id, and the job finds the ZIP already made.
    again = client.form(
        f"/w/{workspace.slug}/brands/{brand.id}/profile-assets/zip", design, htmx=True
    )
    assert _job_id(again) == job_id
    run_jobs()
    assert "made earlier" in client.hx_get(f"/w/{workspace.slug}/jobs/{job_id}").get_data(True)
    # Another workspace's member can't fetch it.
    outsider = make.member(make.workspace(), Role.OWNER)
    client.form("/logout")
    login(outsider.user)
    assert client.get(link).status_code == 404


def test_profile_zip_refuses_a_design_it_cannot_build(client, make, login):
    workspace, brand = _setup(make, login)
    response = client.form(
        f"/w/{workspace.slug}/brands/{brand.id}/profile-assets/zip",
        {"background": "image", "media_id": "12345", "colour": "#FFFFFF"},
        htmx=True,
    )
    assert response.status_code == 422
    assert "Choose an image from this brand" in response.get_data(as_text=True)


def test_nightly_prune_removes_superseded_renditions_and_stale_profile_files(
    app, client, make, login, run_jobs
):
    import os
    import time

    from jobs.media import render_all
    from studio.assets.housekeeping import current_rendition_keys
    from studio.blobs import blob_storage
    from studio.tasks.queue import get_queue

    workspace, brand = _setup(make, login)
    item = _upload(client, workspace, brand, fx.encode(fx.photo(1200, 800, seed=33)), "p.jpg")
    with app.app_context():
        storage = blob_storage()
        render_all(item.id)
        first = set(storage.keys("renditions"))
    # Moving the focal point renames every cropped rendition; the old files stay behind.
    focal = client.form(
        f"/w/{workspace.slug}/media/{item.id}/focal", {"focal_x": "80", "focal_y": "20"}
    )
    assert focal.status_code == 303
    db.session.refresh(item)
    with app.app_context():
        render_all(item.id)
        stems = current_rendition_keys()
        every = set(storage.keys("renditions"))
        current = {k for k in every if k.split("/")[1].split(".")[0] in stems}
        superseded = sorted(every - current)
        assert superseded == sorted(first - current)
        assert superseded  # the crops moved
        storage.put("profile-assets/1/oldsetdigest/x-avatar.png", b"png bytes")
        storage.put("profile-zips/1/fresh.zip", b"zip bytes")
        week_ago, month_ago = time.time() - 8 * 86_400, time.time() - 31 * 86_400
        for key in superseded[1:]:
            os.utime(storage.path_for(key), (week_ago, week_ago))
        for key in ("profile-assets/1/oldsetdigest/x-avatar.png", "profile-zips/1/fresh.zip"):
            stamp = month_ago if key.startswith("profile-assets") else week_ago
            os.utime(storage.path_for(key), (stamp, stamp))
        for key in current:  # current renditions are kept however old they are
            os.utime(storage.path_for(key), (week_ago, week_ago))
        get_queue("default").enqueue("jobs.maintenance.prune_media_caches", job_id="prune-test")

    run_jobs()

    with app.app_context():
        job = get_queue("default").fetch_job("prune-test")
        assert job.get_status() == "finished", job.latest_result()
        assert job.return_value().startswith(
            f"{len(superseded) - 1} superseded rendition files and 1 old profile-asset files"
        )
        left = set(storage.keys("renditions"))
        assert current <= left
        # The newest superseded file is younger than the grace period: a page may show it.
        assert left - current == {superseded[0]}
        assert not storage.exists("profile-assets/1/oldsetdigest/x-avatar.png")
        assert storage.exists("profile-zips/1/fresh.zip")
    page = client.get(f"/w/{workspace.slug}/media/{item.id}")
    assert page.status_code == 200
