"""The production worker's timings recover a crashed worker's jobs within two minutes."""

from __future__ import annotations

from studio.tasks.worker import build_worker, worst_case_recovery_seconds


def test_crashed_worker_jobs_are_recovered_within_two_minutes(app):
    worker = build_worker(app)
    assert worker.worker_ttl == 60
    assert worker.maintenance_interval == 30
    assert worst_case_recovery_seconds(worker) <= 120
    # RQ's defaults would take far longer (worker_ttl 420 s, maintenance every 600 s).
    assert {q.name for q in worker.queues} == {"default", "publishing", "reports"}


def test_worker_command_is_registered(app):
    result = app.test_cli_runner().invoke(args=["worker", "--help"])
    assert result.exit_code == 0
    assert "--burst" in result.output and "--scheduler" in result.output
