"""Fixtures: a fake platform server per test and adapters with short timeouts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.publishing.fakeserver import FakeServer

# Short enough to keep the suite fast, long enough for a loaded 2-core machine.
CLIENT_TIMEOUT = 0.5
SLOW = 1.5  # server delay that outlasts CLIENT_TIMEOUT


@pytest.fixture
def server() -> Iterator[FakeServer]:
    """Yield a fresh fake platform server on 127.0.0.1."""
    with FakeServer() as fake:
        yield fake


class FakeClock:
    """A monotonic clock that only moves when the adapter sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.naps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    """Return a fake clock for polling adapters."""
    return FakeClock()


@pytest.fixture
def fast(clock: FakeClock) -> dict:
    """Return adapter options: short timeouts, polls that sleep on the fake clock, and the
    private-host guard off (the fake platforms listen on 127.0.0.1)."""
    return {
        "allow_private_hosts": True,
        "timeout": CLIENT_TIMEOUT,
        "poll_interval": 1.0,
        "poll_timeout": 10.0,
        "sleep": clock.sleep,
        "clock": clock,
    }
