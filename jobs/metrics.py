"""Metric jobs: import a CSV export, collect one channel's counts, and the periodic sweep.

Each takes ids, reloads fresh state and is safe to run twice: snapshots are upserted on
natural keys, so a second run changes nothing that the first already stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from jobs.progress import report
from studio.extensions import db
from studio.models.analytics import MetricImport
from studio.models.base import utcnow
from studio.models.publishing import Channel
from studio.publishing.operations import open_credentials
from studio.reports import collect as collector
from studio.reports import imports


def import_csv(import_id: int) -> str:
    """Stream an uploaded export into snapshots, with progress; rows already in stay."""
    row = db.session.get(MetricImport, import_id)
    if row is None:
        return "gone"
    if row.status == "finished":
        report(100, row.message or "Already imported.")
        return "already finished"
    try:
        done = imports.run_import(row, report)
    except Exception as exc:
        db.session.rollback()
        row = db.session.get(MetricImport, import_id)
        if row is not None:
            row.status = "failed"
            row.message = f"The import stopped: {str(exc)[:300]}"
            row.finished_at = utcnow()
            db.session.commit()
        raise
    return done.status


def collect(channel_id: int) -> str:
    """Read a Mastodon or Bluesky channel's counts and followers into today's snapshot."""
    channel = db.session.get(Channel, channel_id)
    if channel is None or not channel.active:
        return "gone"
    if channel.platform not in collector.COLLECTED_PLATFORMS:
        return f"{channel.platform}: no metrics API; import its CSV exports instead"
    report(10, f"Reading {channel.name}…")
    result = collector.collect_channel(channel, open_credentials(channel), datetime.now(UTC))
    db.session.commit()
    report(100, result.describe())
    return result.describe()


def collect_all() -> str:
    """Enqueue a collection for every connected channel whose platform has a metrics API."""
    from studio.tasks.queue import enqueue, job_state

    ids = list(
        db.session.scalars(
            select(Channel.id).where(
                Channel.platform.in_(collector.COLLECTED_PLATFORMS),
                Channel.disconnected_at.is_(None),
            )
        )
    )
    db.session.commit()
    hour = datetime.now(UTC).strftime("%Y%m%d%H")
    for channel_id in ids:
        # One job per channel per hour: a sweep that runs twice queues it once.
        job_id = f"collect-{channel_id}-{hour}"
        if job_state(job_id).status in ("queued", "started"):
            continue
        enqueue(collect, channel_id, job_id=job_id, timeout=300)
    return f"{len(ids)} channels"
