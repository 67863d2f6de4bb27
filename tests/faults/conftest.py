"""Fault tests: real worker processes, real Redis, faults injected; a minute or two each.

They run only when asked for (``-m faults``, or PLUME_FAULTS=1): scripts/test runs them as
their own step, so the normal run stays fast.
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: kills real worker processes under injected faults (a minute or two)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = "faults" in (config.getoption("markexpr") or "") or os.environ.get("PLUME_FAULTS")
    if wanted:
        return
    skip = pytest.mark.skip(reason="fault test: run with -m faults (scripts/test does)")
    for item in items:
        if item.get_closest_marker("faults"):
            item.add_marker(skip)
