"""Who has a post open, and which field each is editing (kept in Redis, expiring by itself)."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

# A browser reports every few seconds; anyone silent for longer than this has left.
PRESENCE_SECONDS = 12


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    field: str | None
    seen_at: float


def _key(post_id: int) -> str:
    return f"plume:presence:post:{post_id}"


def touch(redis: Redis, post_id: int, user_id: int, name: str, field: str | None) -> None:
    """Record that the user has the post open (and is in field, if any)."""
    try:
        with redis.pipeline() as pipe:
            pipe.hset(
                _key(post_id),
                str(user_id),
                json.dumps({"name": name, "field": field, "at": time.time()}),
            )
            pipe.expire(_key(post_id), PRESENCE_SECONDS * 2)
            pipe.execute()
    except RedisError:
        pass  # presence is a nicety; editing works without it


def leave(redis: Redis, post_id: int, user_id: int) -> None:
    """Forget the user's presence on the post at once."""
    with contextlib.suppress(RedisError):
        redis.hdel(_key(post_id), str(user_id))


def _parse(raw: dict, now: float) -> list[Presence]:
    people = []
    for user_id, value in raw.items():
        data = json.loads(value)
        if now - data["at"] <= PRESENCE_SECONDS:
            people.append(Presence(int(user_id), data["name"], data.get("field"), data["at"]))
    return sorted(people, key=lambda p: p.name)


def present(redis: Redis, post_id: int) -> list[Presence]:
    """Return who has the post open now."""
    try:
        return _parse(redis.hgetall(_key(post_id)), time.time())
    except RedisError:
        return []


def present_many(redis: Redis, post_ids: list[int]) -> dict[int, list[Presence]]:
    """Return who has each post open, in one round trip."""
    if not post_ids:
        return {}
    try:
        with redis.pipeline() as pipe:
            for post_id in post_ids:
                pipe.hgetall(_key(post_id))
            rows = pipe.execute()
    except RedisError:
        return {}
    now = time.time()
    return {post_id: _parse(raw, now) for post_id, raw in zip(post_ids, rows, strict=True)}
