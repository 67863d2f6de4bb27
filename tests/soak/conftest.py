"""Soak tests run against a real studio in subprocesses."""

from tests.support.live import LiveStudio, live_studio

__all__ = ["LiveStudio", "live_studio"]
