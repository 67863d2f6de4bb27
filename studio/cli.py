"""Flask CLI commands: worker, scheduler, demo data."""

from __future__ import annotations

import importlib
import logging

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def _import(dotted: str):  # type: ignore[no-untyped-def]
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


@click.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option(
    "--scheduler/--no-scheduler", default=True, help="Run RQ's scheduler for delayed jobs."
)
@with_appcontext
def worker_command(queues: tuple[str, ...], burst: bool, scheduler: bool) -> None:
    """Run an RQ worker inside the app (scheduled jobs, retries and crash recovery included)."""
    from studio.tasks.worker import build_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    worker = build_worker(app, list(queues) or None)
    worker.work(burst=burst, with_scheduler=scheduler)


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Enqueue the studio's periodic jobs on their intervals (RQ's cron scheduler)."""
    from rq.cron import CronScheduler

    from studio.tasks.periodic import PERIODIC_JOBS
    from studio.tasks.queue import FAILURE_TTL, RESULT_TTL, redis_connection

    cron = CronScheduler(connection=redis_connection(), name="plume-scheduler")
    for job in PERIODIC_JOBS:
        cron.register(
            _import(job.func),
            queue_name=job.queue,
            interval=job.interval,
            cron=job.cron,
            job_timeout=job.timeout,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
            name=job.func,
        )
    cron.start()


@click.command("seed-demo")
@click.option("--password", default=None, help="Password for every demo login (default: printed).")
@with_appcontext
def seed_demo_command(password: str | None) -> None:
    """Create the demo workspace, brands and one user per role (safe to run again)."""
    from studio.demo import DEMO_PASSWORD, seed_demo

    result = seed_demo(password or DEMO_PASSWORD)
    click.echo(result.summary())


def init_app(app: Flask) -> None:
    """Register the commands."""
    from studio.kits.cli import check_command
    from studio.reports.cli import report_command

    for command in (worker_command, scheduler_command, seed_demo_command, check_command):
        app.cli.add_command(command)
    app.cli.add_command(report_command)
