"""A bound on how many renditions one web process makes at once.

A rendition made on demand decodes the original: tens of megabytes for a large photo. A
library page of fresh uploads asks for every tile at once, and a web process with many
threads would decode them all together; past the bound a request waits its turn, and only
when the wait runs out does it answer 503 (try again), never exhaust the process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app


class RenderBusy(RuntimeError):
    """Every rendering slot stayed taken for the whole wait."""


_create = threading.Lock()


def _semaphore() -> threading.BoundedSemaphore:
    slots = current_app.extensions.get("plume_render_slots")
    if slots is None:
        with _create:
            slots = current_app.extensions.get("plume_render_slots")
            if slots is None:
                limit = max(1, int(current_app.config["RENDER_CONCURRENCY"]))
                slots = current_app.extensions["plume_render_slots"] = threading.BoundedSemaphore(
                    limit
                )
    return slots


@contextmanager
def render_slot() -> Iterator[None]:
    """Hold one of the process's rendering slots; raise :class:`RenderBusy` after the wait."""
    slots = _semaphore()
    if not slots.acquire(timeout=float(current_app.config["RENDER_WAIT_SECONDS"])):
        raise RenderBusy("Plume is busy making other images; try again in a moment.")
    try:
        yield
    finally:
        slots.release()
