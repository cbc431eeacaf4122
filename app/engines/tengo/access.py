"""Indexing, selectors, slicing and iteration with Tengo's undefined-instead-of-error rules."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from .errors import TengoRuntimeError
from .objects import (
    UNDEFINED,
    Array,
    Char,
    Error,
    ImmutableArray,
    ImmutableMap,
    Map,
    Undefined,
    as_str,
    from_bytes,
    runes,
    to_bytes,
    type_name,
)

log = logging.getLogger(__name__)


def to_int_index(v: Any) -> int | None:
    """Tengo's ``ToInt`` used by ``Array.IndexSet``."""
    from .convert import to_int

    return to_int(v)


def index_get(obj: Any, idx: Any) -> Any:
    t = type(obj)
    if t is Map or t is ImmutableMap:
        if type(idx) is str:
            return obj.value.get(idx, UNDEFINED)
        k = as_str(idx)
        if k is None:
            raise TengoRuntimeError(f"invalid index type: {type_name(idx)}")
        return obj.value.get(k, UNDEFINED)
    if t is Array or t is ImmutableArray:
        if type(idx) is not int:
            raise TengoRuntimeError(f"invalid index type: {type_name(idx)}")
        lst = obj.value
        if 0 <= idx < len(lst):
            return lst[idx]
        return UNDEFINED
    if t is str:
        if type(idx) is not int:
            raise TengoRuntimeError(f"invalid index type: {type_name(idx)}")
        if obj.isascii():
            if 0 <= idx < len(obj):
                return Char(ord(obj[idx]))
            return UNDEFINED
        rs = runes(obj)
        if 0 <= idx < len(rs):
            return Char(rs[idx])
        return UNDEFINED
    if t is bytes:
        if type(idx) is not int:
            raise TengoRuntimeError(f"invalid index type: {type_name(idx)}")
        if 0 <= idx < len(obj):
            return obj[idx]
        return UNDEFINED
    if t is Undefined:
        return UNDEFINED
    if t is Error:
        if as_str(idx) != "value":
            raise TengoRuntimeError("invalid index on error")
        return obj.value
    custom = getattr(obj, "tengo_index_get", None)
    if custom is not None:
        return custom(idx)
    raise TengoRuntimeError(f"not indexable: {type_name(obj)}")


def index_set(obj: Any, idx: Any, value: Any) -> None:
    t = type(obj)
    if t is Map:
        k = idx if type(idx) is str else as_str(idx)
        if k is None:
            raise TengoRuntimeError(f"invalid index type: {type_name(idx)}")
        obj.value[k] = value
        return
    if t is Array:
        i = idx if type(idx) is int else to_int_index(idx)
        if i is None:
            raise TengoRuntimeError(f"invalid index type: {type_name(idx)}")
        lst = obj.value
        if 0 <= i < len(lst):
            lst[i] = value
            if obj.grp is not None:
                obj.grp.write(obj, obj.off + i, [value])
            return
        raise TengoRuntimeError("index out of bounds")
    custom = getattr(obj, "tengo_index_set", None)
    if custom is not None:
        custom(idx, value)
        return
    raise TengoRuntimeError(f"not index-assignable: {type_name(obj)}")


def _slice_bounds(n: int, low: Any, high: Any) -> tuple[int, int]:
    if low is UNDEFINED:
        lo = 0
    elif type(low) is int:
        lo = low
    else:
        raise TengoRuntimeError(f"invalid slice index type: {type_name(low)}")
    if high is UNDEFINED:
        hi = n
    elif type(high) is int:
        hi = high
    else:
        raise TengoRuntimeError(f"invalid slice index type: {type_name(high)}")
    if lo > hi:
        raise TengoRuntimeError(f"invalid slice index: {lo} > {hi}")
    lo = 0 if lo < 0 else (n if lo > n else lo)
    hi = 0 if hi < 0 else (n if hi > n else hi)
    return lo, hi


def slice_get(obj: Any, low: Any, high: Any) -> Any:
    t = type(obj)
    if t is Array or t is ImmutableArray:
        lo, hi = _slice_bounds(len(obj.value), low, high)
        from .goslice import slice_of

        return slice_of(obj, lo, hi)
    if t is str:
        if obj.isascii():
            lo, hi = _slice_bounds(len(obj), low, high)
            return obj[lo:hi]
        b = to_bytes(obj)
        lo, hi = _slice_bounds(len(b), low, high)
        return from_bytes(b[lo:hi])
    if t is bytes:
        lo, hi = _slice_bounds(len(obj), low, high)
        return obj[lo:hi]
    raise TengoRuntimeError(f"not indexable: {type_name(obj)}")


def iterate(obj: Any) -> Iterator[tuple[Any, Any]]:
    """(key, value) pairs of a for-in loop."""
    t = type(obj)
    if t is Array or t is ImmutableArray:
        # Go iterates over the slice header taken at the start, reading elements live; the list cannot grow
        # meanwhile (the in-place append refuses a list that has other references)
        return enumerate(obj.value)
    if t is Map or t is ImmutableMap:
        d = obj.value
        return ((k, d.get(k, UNDEFINED)) for k in list(d))
    if t is str:
        return ((i, Char(r)) for i, r in enumerate(runes(obj)))
    if t is bytes:
        return enumerate(obj)
    if t is Undefined:
        return iter(())
    custom = getattr(obj, "tengo_iterate", None)
    if custom is not None:
        return custom()
    raise TengoRuntimeError(f"not iterable: {type_name(obj)}")


def can_iterate(obj: Any) -> bool:
    t = type(obj)
    return t in (Array, ImmutableArray, Map, ImmutableMap, str, bytes, Undefined) or hasattr(obj, "tengo_iterate")
