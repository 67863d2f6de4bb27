"""Publishing jobs: send one attempt, and the every-minute reconciler.

Both are safe to run any number of times, in any order, on any number of workers: the
database decides (see :mod:`studio.publishing.scheduling`).
"""

from __future__ import annotations

from studio.publishing import scheduling


def publish(attempt_id: int) -> str:
    """Claim, send and settle one publish attempt; a no-op unless it is due and free."""
    return scheduling.run_attempt(attempt_id)


def reconcile() -> str:
    """Enqueue due attempts Redis lost, settle expired leases, keep wall times true."""
    return str(scheduling.reconcile())
