"""Poking a running quickjs spell through the interpreter's interrupt handler (ctypes), for the JS debugger.

quickjs calls a runtime's interrupt handler every ~10,000 branches and calls (``js_poll_interrupts``), which plain
runs already pay for. The Python binding exposes no way to set it, but ``_quickjs`` exports the C API: this module
installs a handler (a ctypes callback, so it runs with the GIL) that, when the agent has something waiting (a
pause, new breakpoints), calls one JavaScript function of the agent with ``JS_Call``. That function only flips
the debugger's hot flags (pure JavaScript, no host call: the binding's host-call path must not run inside the
handler); the spell's next statement probe then calls the host, outside the handler. So a spinning spell can be
paused with no cost per loop iteration (a counter in every loop costs ~25% on a tight numeric loop).

Layout assumptions are checked before use (the binding's Context object holds ``JSRuntime *`` and
``JSContext *`` right after the object header; ``JSValue`` is ``{union; int64 tag}``, 16 bytes): when a check
fails :meth:`Poker.install` returns False and the instrumenter falls back to loop counters.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

JS_TAG_OBJECT = -1
JS_TAG_UNDEFINED = 3
_HEADER = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)  # PyObject_HEAD


class JSValue(ctypes.Structure):
    _fields_ = [("u", ctypes.c_int64), ("tag", ctypes.c_int64)]


_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_LIB: Any = None


def _lib() -> Any:
    global _LIB
    if _LIB is None:
        import _quickjs

        lib = ctypes.CDLL(_quickjs.__file__)
        lib.JS_GetRuntime.argtypes = [ctypes.c_void_p]
        lib.JS_GetRuntime.restype = ctypes.c_void_p
        lib.JS_SetInterruptHandler.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        lib.JS_SetInterruptHandler.restype = None
        lib.JS_GetGlobalObject.argtypes = [ctypes.c_void_p]
        lib.JS_GetGlobalObject.restype = JSValue
        lib.JS_GetPropertyStr.argtypes = [ctypes.c_void_p, JSValue, ctypes.c_char_p]
        lib.JS_GetPropertyStr.restype = JSValue
        lib.JS_Call.argtypes = [ctypes.c_void_p, JSValue, JSValue, ctypes.c_int, ctypes.c_void_p]
        lib.JS_Call.restype = JSValue
        _LIB = lib
    return _LIB


def _unref(v: JSValue) -> None:
    """Drop one reference of an object value the context keeps alive elsewhere (JS_FreeValue is inline)."""
    if v.tag == JS_TAG_OBJECT and v.u:
        ctypes.c_int.from_address(v.u).value -= 1


class Poker:
    """The interrupt handler of one quickjs Context for the length of a debug run."""

    def __init__(self) -> None:
        self._rt: int | None = None
        self._ctx: int | None = None
        self._fn: JSValue | None = None
        self._handler: Any = None
        self._wanted: Callable[[], bool] = lambda: False

    def install(self, context: Any, global_name: str, wanted: Callable[[], bool]) -> bool:
        """Call ``globalThis[global_name]()`` from the interrupt handler whenever ``wanted()``; False when the
        binding's layout is not the expected one (nothing installed)."""
        try:
            lib = _lib()
            rt = ctypes.c_void_p.from_address(id(context) + _HEADER).value
            cx = ctypes.c_void_p.from_address(id(context) + _HEADER + ctypes.sizeof(ctypes.c_void_p)).value
            if not rt or not cx or ctypes.sizeof(JSValue) != 16 or lib.JS_GetRuntime(cx) != rt:
                return False
            glob = lib.JS_GetGlobalObject(cx)
            if glob.tag != JS_TAG_OBJECT:
                return False
            fn = lib.JS_GetPropertyStr(cx, glob, global_name.encode("ascii"))
            _unref(glob)
            if fn.tag != JS_TAG_OBJECT:
                _unref(fn)
                return False
        except (OSError, AttributeError, ImportError, ValueError) as e:
            log.info("no interrupt handler for the JS debugger: %s", e)
            return False
        self._rt, self._ctx, self._fn, self._wanted = rt, cx, fn, wanted
        self._handler = _HANDLER(self._on_interrupt)
        lib.JS_SetInterruptHandler(rt, self._handler, None)
        return True

    def _on_interrupt(self, _rt: Any, _opaque: Any) -> int:
        try:
            if self._fn is not None and self._wanted():
                res = _lib().JS_Call(self._ctx, self._fn, JSValue(0, JS_TAG_UNDEFINED), 0, None)
                _unref(res)
        except Exception:  # never raise into the interpreter
            log.exception("debugger poke failed")
        return 0  # never interrupt the spell

    def close(self) -> None:
        """Remove the handler and drop the function reference (before the Context goes away)."""
        if self._rt is None:
            return
        lib = _lib()
        lib.JS_SetInterruptHandler(self._rt, None, None)
        if self._fn is not None:
            _unref(self._fn)
        self._rt = self._ctx = self._fn = None
        self._handler = None
