"""Go slice semantics for Tengo arrays: capacity, shared backing arrays and aliasing.

Tengo arrays are Go slices, so ``b := a[0:2]; b = append(b, 9)`` overwrites ``a[2]``, ``b[0] = 5`` is visible
in ``a``, and two ``append`` calls on the same array with spare capacity write the same slot. Each
:class:`~.objects.Array` keeps its elements in a plain Python list (fast reads) plus ``cap``; arrays that share a
Go backing array are members of one :class:`Backing` group (``off`` = their start in it) and every write into
the shared storage is propagated to the other members whose window covers it. Arrays that never share (the
overwhelming majority) have no group and pay nothing.

Capacities follow Go's ``append`` growth (``runtime.growslice`` with 16-byte interface elements and the
allocator's size classes), so the aliasing points match Go's.
"""

from __future__ import annotations

import bisect
import logging
import weakref
from typing import Any

from .errors import SizeLimit
from .objects import Array
from .ops import LIMITS

log = logging.getLogger(__name__)

ELEM = 16  # bytes per Go interface value
_SIZE_CLASSES = [
    0,
    8,
    16,
    24,
    32,
    48,
    64,
    80,
    96,
    112,
    128,
    144,
    160,
    176,
    192,
    208,
    224,
    240,
    256,
    288,
    320,
    352,
    384,
    416,
    448,
    480,
    512,
    576,
    640,
    704,
    768,
    896,
    1024,
    1152,
    1280,
    1408,
    1536,
    1792,
    2048,
    2304,
    2688,
    3072,
    3200,
    3456,
    4096,
    4864,
    5376,
    6144,
    6528,
    6784,
    6912,
    8192,
    9472,
    9728,
    10240,
    10880,
    12288,
    13568,
    14336,
    16384,
    18432,
    19072,
    20480,
    21760,
    24576,
    27264,
    28672,
    32768,
]
_PAGE = 8192


def roundupsize(size: int) -> int:
    if size <= 32768:
        return _SIZE_CLASSES[bisect.bisect_left(_SIZE_CLASSES, size)]
    return (size + _PAGE - 1) // _PAGE * _PAGE


def grow(old_cap: int, new_len: int) -> int:
    """Capacity of the new backing array when appending to reach ``new_len`` (Go ≥ 1.20 growslice)."""
    newcap = old_cap
    double = newcap + newcap
    if new_len > double:
        newcap = new_len
    elif old_cap < 256:
        newcap = double
    else:
        while newcap < new_len:
            newcap += (newcap + 3 * 256) >> 2
    return roundupsize(newcap * ELEM) // ELEM


def seq_cap(n: int) -> int:
    """Capacity after appending ``n`` elements one at a time to a nil slice (array literals, ``copy``)."""
    cap = 0
    while cap < n:
        cap = grow(cap, cap + 1)
    return cap


def clone_cap(n: int) -> int:
    """Capacity of ``append([]Object{}, x...)`` with ``len(x) == n``."""
    return grow(0, n) if n else 0


class Backing:
    """The arrays sharing one Go backing array."""

    __slots__ = ("members",)

    def __init__(self) -> None:
        self.members: list[weakref.ref] = []

    def add(self, arr: Array, off: int) -> None:
        arr.grp = self  # type: ignore[assignment]
        arr.off = off
        self.members.append(weakref.ref(arr))

    def remove(self, arr: Array) -> None:
        self.members = [r for r in self.members if r() is not None and r() is not arr]
        arr.grp = None
        arr.off = 0

    def write(self, src: Any, pos: int, vals: list) -> None:
        """Backing positions ``pos..`` now hold ``vals``: update every other member's window."""
        alive = []
        for r in self.members:
            m = r()
            if m is None:
                continue
            alive.append(r)
            if m is src:
                continue
            lst = m.value
            lo = pos - m.off
            for k, v in enumerate(vals):
                j = lo + k
                if 0 <= j < len(lst):
                    lst[j] = v
        self.members = alive


def _group(arr: Array) -> Backing:
    g = arr.grp
    if g is None:
        g = Backing()
        g.add(arr, 0)
    return g


def share(arr: Array, view: Array, delta: int) -> None:
    """``view`` starts ``delta`` elements into ``arr``'s backing array."""
    g = _group(arr)
    g.add(view, arr.off + delta)


def slice_of(arr: Array, lo: int, hi: int) -> Array:
    """``arr[lo:hi]`` (bounds already clamped): a mutable array sharing ``arr``'s backing."""
    view = Array(arr.value[lo:hi], arr.cap - lo)
    share(arr, view, lo)
    return view


def append_to(arr: Array, items: list) -> Array:
    """Go's ``append(arr, items...)`` as a new Tengo array."""
    n = len(arr.value)
    new_len = n + len(items)
    if new_len <= arr.cap:
        res = Array(arr.value + items, arr.cap)
        if items:
            share(arr, res, 0)
            arr.grp.write(res, arr.off + n, items)
        else:
            share(arr, res, 0)
        return res
    return Array(arr.value + items, grow(arr.cap, new_len))


def extend_in_place(arr: Array, items: list) -> None:
    """``a = append(a, items...)`` when nothing else refers to ``a`` or its storage (see codegen)."""
    new_len = len(arr.value) + len(items)
    if new_len > LIMITS.max_array_len:  # the same cap as every other append path
        raise SizeLimit("exceeding array size limit")
    if new_len > arr.cap:
        arr.cap = grow(arr.cap, new_len)
    arr.value.extend(items)


def splice(arr: Array, start: int, end: int, items: list) -> Array:
    """Tengo's ``splice``: ``arr.Value = append(arr.Value[:start], items+arr.Value[end:]...)``; returns the
    deleted elements."""
    lst = arr.value
    deleted = Array(lst[start:end], clone_cap(end - start))
    tail = items + lst[end:]
    new_len = start + len(tail)
    if new_len <= arr.cap:
        arr.value = lst[:start] + tail
        g = arr.grp
        if g is not None and tail:
            g.write(arr, arr.off + start, tail)
    else:
        if arr.grp is not None:
            arr.grp.remove(arr)
        arr.value = lst[:start] + tail
        arr.cap = grow(arr.cap, new_len)
    return deleted


def immutable_view(arr: Array) -> Any:
    """``immutable(arr)``: an immutable array over the same storage."""
    from .objects import ImmutableArray

    view = ImmutableArray(arr.value, arr.cap)
    share(arr, view, 0)
    return view
