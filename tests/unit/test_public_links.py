"""Signed, expiring links to one rendition (studio.assets.public_links)."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from studio.assets import public_links as pl

SECRET = "test-secret"
KEY = "0123456789abcdef-instagram_portrait-0123456789abcdef01234567"
LINK = pl.RenditionLink(42, "instagram_portrait", KEY, "jpg")
T0 = 1_800_000_000.0


class Clock:
    """A clock that only moves when told."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_round_trip_names_the_same_rendition_and_its_remaining_life():
    clock = Clock()
    token = pl.make_token(SECRET, LINK, clock=clock)
    clock.now += 600
    opened = pl.read_token(SECRET, token, clock=clock)
    assert opened.link == LINK
    assert opened.link.filename == f"{KEY}.jpg"
    assert opened.issued_at == int(T0)
    assert opened.expires_in == pl.MAX_AGE - 600
    # URL-safe: it can be one path segment.
    assert "/" not in token and "?" not in token and "#" not in token


@pytest.mark.parametrize("position", [5, 20, -3])
def test_a_changed_character_anywhere_is_refused(position):
    token = pl.make_token(SECRET, LINK)
    swapped = "A" if token[position] != "A" else "B"
    tampered = token[:position] + swapped + token[position + 1 :]
    with pytest.raises(pl.LinkInvalid):
        pl.read_token(SECRET, tampered)


def test_another_key_or_salt_does_not_verify():
    token = pl.make_token(SECRET, LINK)
    with pytest.raises(pl.LinkInvalid):
        pl.read_token("another-studio", token)
    # A genuine token of another purpose (same key, other salt) is not a rendition link...
    share = URLSafeTimedSerializer(SECRET, salt="plume.share-link").dumps(
        [LINK.media_id, LINK.preset_id, LINK.key, LINK.ext]
    )
    with pytest.raises(pl.LinkInvalid):
        pl.read_token(SECRET, share)
    # ...and one of ours is nothing to another purpose's reader.
    with pytest.raises(Exception, match="Signature"):
        URLSafeTimedSerializer(SECRET, salt="plume.share-link").loads(token)


def test_a_payload_signed_with_our_salt_must_still_name_a_rendition():
    forge = URLSafeTimedSerializer(SECRET, salt=pl.SALT)
    for payload in (
        [42, "instagram_portrait", "../../originals/ab/cd", "jpg"],
        [42, "instagram_portrait", KEY, "json"],
        [42, "x_single", KEY, "jpg"],  # the key belongs to another preset
        ["42", "instagram_portrait", KEY, "jpg"],
        [True, "instagram_portrait", KEY, "jpg"],
        {"media_id": 42},
        [42, "instagram_portrait", KEY],
    ):
        with pytest.raises(pl.LinkInvalid):
            pl.read_token(SECRET, forge.dumps(payload))
    with pytest.raises(pl.LinkInvalid):
        pl.read_token(SECRET, "not-a-token")


def test_expiry_follows_the_clock():
    clock = Clock()
    token = pl.make_token(SECRET, LINK, clock=clock)
    clock.now = T0 + pl.MAX_AGE
    assert pl.read_token(SECRET, token, clock=clock).expires_in == 0  # the last second
    clock.now = T0 + pl.MAX_AGE + 1
    with pytest.raises(pl.LinkExpired):
        pl.read_token(SECRET, token, clock=clock)


def test_max_age_zero_lives_only_through_its_own_second():
    clock = Clock()
    token = pl.make_token(SECRET, LINK, clock=clock)
    assert pl.read_token(SECRET, token, max_age=0, clock=clock).expires_in == 0
    clock.now += 1
    with pytest.raises(pl.LinkExpired):
        pl.read_token(SECRET, token, max_age=0, clock=clock)


def test_a_tampered_expired_token_is_invalid_not_expired():
    clock = Clock()
    token = pl.make_token(SECRET, LINK, clock=clock)
    clock.now += pl.MAX_AGE + 60
    with pytest.raises(pl.LinkInvalid):
        pl.read_token("another-studio", token, clock=clock)


def test_links_refuse_to_be_made_for_anything_but_a_rendition():
    with pytest.raises(pl.LinkInvalid):
        pl.RenditionLink(42, "instagram_portrait", "../secret", "jpg")
    with pytest.raises(ValueError):
        pl.make_token("", LINK)
