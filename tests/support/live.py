"""A real studio in subprocesses: gunicorn and an RQ worker on a fresh database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import databases

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveStudio:
    url: str
    env: dict[str, str]

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        """Run a flask CLI command against the live studio's database."""
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_studio(
    tmp_path_factory: pytest.TempPathFactory, live_redis_url: str
) -> Iterator[LiveStudio]:
    instance = tmp_path_factory.mktemp("live-instance")
    server, name = os.environ.get("TEST_DATABASE_URL", ""), f"plume_live_{os.getpid()}"
    database = databases.fresh_database(server, instance, name)
    port = _free_port()
    env = {
        **os.environ,
        "PLUME_INSTANCE_PATH": str(instance),
        "DATABASE_URL": database,
        "REDIS_URL": live_redis_url,
        "SECRET_KEY": "browser-test-secret",
        "PLUME_ENV": "development",
    }
    from redis import Redis

    Redis.from_url(live_redis_url).flushdb()
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade", "heads"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    logs = open(instance / "processes.log", "w")  # noqa: SIM115 - closed at teardown
    web = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "8",
            "app:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=logs,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker"],
        cwd=ROOT,
        env=env,
        stdout=logs,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or web.poll() is not None:
            web.kill()
            worker.kill()
            raise RuntimeError(
                f"studio did not start: {(instance / 'processes.log').read_text()[-3000:]}"
            )
        time.sleep(0.2)
    try:
        yield LiveStudio(url, env)
    finally:
        for proc in (web, worker):
            proc.terminate()
        for proc in (web, worker):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        databases.drop_database(server, name)  # its processes are gone: nothing holds it
        logs.close()
