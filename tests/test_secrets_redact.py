"""Keys are redacted whatever their length; short ones only as whole tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from judge import secrets


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    secrets.forget_all()
    yield
    secrets.forget_all()


def test_long_keys_are_replaced_anywhere() -> None:
    secrets.remember("sk-abcdef123456")
    assert secrets.redact("url?key=sk-abcdef123456&x=1 and 'sk-abcdef123456'") == "url?key=***&x=1 and '***'"


def test_short_keys_are_redacted_as_tokens_only() -> None:
    secrets.remember("abc")
    secrets.remember("k1")
    assert secrets.redact("Authorization: Bearer abc") == "Authorization: Bearer ***"
    assert secrets.redact('{"api_key": "k1"}') == '{"api_key": "***"}'
    assert secrets.redact("abcdef cabbage k12 x.abc abc.") == "abcdef cabbage k12 x.abc ***."
    assert secrets.redact("nothing here") == "nothing here"


def test_the_longest_key_wins_when_keys_overlap() -> None:
    secrets.remember("sk-1234567890")
    secrets.remember("sk-1234567890-extra")
    assert secrets.redact("sk-1234567890-extra") == "***"
