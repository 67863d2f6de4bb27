"""Time building the HTTP client one adapter call uses (a publish, a verify, a lookup).

Run: ``.venv/bin/python bench/bench_http_client.py``. Builds and closes the client 50 times
and prints the total and per-client time, beside a plain ``httpx.Client()`` (which builds a
fresh TLS context, loading the CA bundle, every time) as the baseline.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.publishing.adapters.mastodon import MastodonAdapter

ROUNDS = 50


def _time(build: Callable[[], httpx.Client]) -> list[float]:
    build().close()  # warm-up: imports, and the shared TLS context if there is one
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        build().close()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    cases: dict[str, Callable[[], httpx.Client]] = {
        "httpx.Client() (baseline)": httpx.Client,
        "adapter client, public hosts only": lambda: MastodonAdapter()._client(),
        "adapter client, private hosts allowed": (
            lambda: MastodonAdapter(allow_private_hosts=True)._client()
        ),
    }
    for name, build in cases.items():
        try:
            times = _time(build)
        except TypeError:  # an adapter without the setting (before the guard existed)
            continue
        print(
            f"{name:40} {ROUNDS} clients: {sum(times) * 1000:8.1f} ms total, "
            f"median {statistics.median(times) * 1000:6.2f} ms each"
        )


if __name__ == "__main__":
    main()
