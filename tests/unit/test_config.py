"""Settings derived at start-up."""

from __future__ import annotations

import pytest

from studio import _limits_storage_uri


@pytest.mark.parametrize(
    ("redis_url", "expected"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("unix:///srv/plume/instance/redis.sock", "redis+unix:///srv/plume/instance/redis.sock"),
        ("unix:///tmp/r.sock?db=3", "redis+unix:///tmp/r.sock?db=3"),
    ],
)
def test_rate_limits_use_the_same_redis_in_the_spelling_limits_understands(redis_url, expected):
    assert _limits_storage_uri(redis_url) == expected
