"""SpellError: its codes, its record, and its journey across processes."""

from __future__ import annotations

import pickle

import pytest

from app.bridges.errors import SpellError


def test_unknown_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown error code 'oops'"):
        SpellError("oops", "x")


def test_a_pickled_error_comes_back_whole() -> None:
    err = SpellError("rate_limited", "slow down", True)
    err.retry_after, err.partial = 2.5, True
    back = pickle.loads(pickle.dumps(err))
    assert (back.code, back.message, back.retryable, back.retry_after, back.partial) == (
        "rate_limited",
        "slow down",
        True,
        2.5,
        True,
    )
    assert str(back) == "rate_limited: slow down" and back.to_dict() == err.to_dict()
