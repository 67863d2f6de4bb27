"""Credential encryption."""

from __future__ import annotations

import pytest

from studio.publishing.secretbox import SecretBox, SecretBoxError, generate_key

CREDS = {"instance_url": "https://m.example", "access_token": "tok-Ω-123"}


def test_seal_and_open_round_trip_without_showing_the_secret():
    box = SecretBox(generate_key())
    sealed = box.seal(CREDS)
    assert "tok" not in sealed
    assert box.open(sealed) == CREDS
    assert box.seal(CREDS) != sealed  # a fresh IV each time


def test_a_wrong_key_is_a_clear_error():
    sealed = SecretBox(generate_key()).seal(CREDS)
    with pytest.raises(SecretBoxError, match="different key"):
        SecretBox(generate_key()).open(sealed)


def test_tampering_is_detected():
    box = SecretBox(generate_key())
    sealed = box.seal(CREDS)
    flipped = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    with pytest.raises(SecretBoxError):
        box.open(flipped)


@pytest.mark.parametrize("key", ["", "not-a-key", "x" * 44])
def test_an_unusable_key_is_refused_up_front(key):
    with pytest.raises(SecretBoxError, match="key"):
        SecretBox(key)


def test_keys_rotate_newest_first():
    old, new = generate_key(), generate_key()
    sealed_old = SecretBox(old).seal(CREDS)
    both = SecretBox(f"{new},{old}")

    assert both.open(sealed_old) == CREDS
    rotated = both.rotate(sealed_old)
    assert SecretBox(new).open(rotated) == CREDS
    with pytest.raises(SecretBoxError):
        SecretBox(old).open(rotated)


def test_repr_shows_no_key():
    key = generate_key()
    assert key not in repr(SecretBox(key))
