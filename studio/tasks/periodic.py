"""Periodic jobs the scheduler process enqueues; areas add theirs here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicJob:
    func: str  # dotted path, so the scheduler imports no job code at start-up
    queue: str
    interval: int | None = None  # seconds
    cron: str | None = None
    timeout: int = 600


PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob("jobs.maintenance.prune_exports", "default", cron="17 3 * * *"),
    PeriodicJob("jobs.maintenance.prune_media_caches", "default", cron="41 3 * * *", timeout=1800),
    PeriodicJob("jobs.publishing.reconcile", "publishing", interval=60, timeout=300),
    PeriodicJob("jobs.metrics.collect_all", "default", cron="23 */6 * * *"),
    PeriodicJob("jobs.reports.run_schedules", "reports", cron="7 * * * *"),
]
