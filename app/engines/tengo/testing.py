"""The Tengo test API: ``test(name, func() {...})``, ``skip(name, func)`` and the ``assert`` module.

Tengo has no exceptions, so a test is a function and ``test`` runs it at once: an assertion that does not hold
stops the test with a failure (an error only the ``test`` builtin catches), a runtime error fails it too, and the
script goes on with the next ``test``. Each test is reported to the host through ``host.test_event`` with the
line of the failing assertion in the test file. ``assert`` is also ``import("assert")``.

    test("adds", func() {
        assert.equal(4, 2 + 2)
        assert.deep_equal({a: [1, 2]}, {a: [1, 2]})
    })
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .errors import TengoError, TengoRuntimeError
from .objects import (
    UNDEFINED,
    Array,
    BuiltinFunction,
    CompiledFunction,
    Error,
    ImmutableArray,
    ImmutableMap,
    Map,
    equals,
    to_string,
    type_name,
)


class AssertionFailed(TengoRuntimeError):
    """An assertion that does not hold: ends the current test (never seen by the spell as a value)."""

    def __init__(self, message: str, line: int | None, values: tuple[Any, Any] | None = None):
        super().__init__(message)
        self.line = line
        self.values = values


class TestApi:
    """The builtins of one test run; ``to_plain`` converts Tengo values for reports."""

    def __init__(
        self,
        rt: Any,
        filename: str,
        options: dict[str, Any],
        emit: Callable[[str, dict], None],
        to_plain: Callable[[Any], Any],
    ):
        self.rt = rt
        self.filename = filename
        self.filter = options.get("filter") or None
        self.line = options.get("line") or None
        self.bail = bool(options.get("bail"))
        self.emit = emit
        self._to_plain = to_plain
        self.counts = {"passed": 0, "failed": 0, "skipped": 0}
        self.next_id = 0
        self.stopped = False

    # values ---------------------------------------------------------------------------------------------
    def plain(self, v: Any) -> Any:
        try:
            return self._to_plain(v)
        except TengoError:
            return to_string(v)

    def show(self, v: Any) -> str:
        return to_string(v) if type(v) is not str else '"' + v + '"'

    # builtins -------------------------------------------------------------------------------------------
    def builtins(self) -> dict[str, Any]:
        module = ImmutableMap(
            {
                name: BuiltinFunction(f"assert.{name}", fn)
                for name, fn in (
                    ("equal", self.a_equal),
                    ("not_equal", self.a_not_equal),
                    ("deep_equal", self.a_deep_equal),
                    ("true", self.a_true),
                    ("false", self.a_false),
                    ("error", self.a_error),
                    ("not_error", self.a_not_error),
                    ("undefined", self.a_undefined),
                    ("contains", self.a_contains),
                    ("fail", self.a_fail),
                )
            }
        )
        return {
            "test": BuiltinFunction("test", self.b_test),
            "skip": BuiltinFunction("skip", self.b_skip),
            "assert": module,
        }

    def _fail(self, message: str, args: list, n: int, values: tuple[Any, Any] | None = None) -> None:
        if len(args) > n:  # an optional trailing message
            message = f"{to_string(args[n]) if type(args[n]) is not str else args[n]}\n{message}"
        plain = None if values is None else (self.plain(values[0]), self.plain(values[1]))
        raise AssertionFailed(message, self.rt.line or None, plain)

    @staticmethod
    def _nargs(name: str, args: list, n: int) -> None:
        if not (n <= len(args) <= n + 1):
            raise TengoRuntimeError(f"assert.{name}: wrong number of arguments (want {n}, or {n} and a message)")

    def a_equal(self, rt: Any, args: list) -> Any:
        self._nargs("equal", args, 2)
        if not equals(args[0], args[1]):
            self._fail("expected values to be equal", args, 2, (args[0], args[1]))
        return UNDEFINED

    def a_not_equal(self, rt: Any, args: list) -> Any:
        self._nargs("not_equal", args, 2)
        if equals(args[0], args[1]):
            self._fail(f"expected values not to be equal, both are {self.show(args[1])}", args, 2)
        return UNDEFINED

    def a_deep_equal(self, rt: Any, args: list) -> Any:
        self._nargs("deep_equal", args, 2)
        if not equals(args[0], args[1]) or self.plain(args[0]) != self.plain(args[1]):
            self._fail("expected values to be equal (deep)", args, 2, (args[0], args[1]))
        return UNDEFINED

    def a_true(self, rt: Any, args: list) -> Any:
        self._nargs("true", args, 1)
        if args[0] is not True:
            self._fail(f"expected true, got {self.show(args[0])}", args, 1)
        return UNDEFINED

    def a_false(self, rt: Any, args: list) -> Any:
        self._nargs("false", args, 1)
        if args[0] is not False:
            self._fail(f"expected false, got {self.show(args[0])}", args, 1)
        return UNDEFINED

    def a_error(self, rt: Any, args: list) -> Any:
        self._nargs("error", args, 1)
        if type(args[0]) is not Error:
            self._fail(f"expected an error value, got {type_name(args[0])} {self.show(args[0])}", args, 1)
        return UNDEFINED

    def a_not_error(self, rt: Any, args: list) -> Any:
        self._nargs("not_error", args, 1)
        if type(args[0]) is Error:
            self._fail(f"expected no error, got {to_string(args[0])}", args, 1)
        return UNDEFINED

    def a_undefined(self, rt: Any, args: list) -> Any:
        self._nargs("undefined", args, 1)
        if args[0] is not UNDEFINED:
            self._fail(f"expected undefined, got {self.show(args[0])}", args, 1)
        return UNDEFINED

    def a_contains(self, rt: Any, args: list) -> Any:
        self._nargs("contains", args, 2)
        container, item = args
        t = type(container)
        if t is str:
            ok = type(item) is str and item in container
        elif t in (Array, ImmutableArray):
            ok = any(equals(x, item) for x in container.value)
        elif t in (Map, ImmutableMap):
            ok = type(item) is str and item in container.value
        else:
            raise TengoRuntimeError(f"assert.contains: cannot look inside a {type_name(container)}")
        if not ok:
            self._fail(f"expected {self.show(container)} to contain {self.show(item)}", args, 2)
        return UNDEFINED

    def a_fail(self, rt: Any, args: list) -> Any:
        if len(args) > 1:
            raise TengoRuntimeError("assert.fail: wrong number of arguments (want a message)")
        raise AssertionFailed(
            to_string(args[0]) if args and type(args[0]) is not str else (args[0] if args else "failed"),
            self.rt.line or None,
        )

    # tests ----------------------------------------------------------------------------------------------
    def _declare(self, name: str, args: list, call: str) -> tuple[str, Any] | None:
        if len(args) != 2 or type(args[0]) is not str or type(args[1]) not in (CompiledFunction, BuiltinFunction):
            raise TengoRuntimeError(f"{call}(name, func() {{...}}): want a string and a function")
        self.next_id += 1
        line = self.rt.line or None
        if self.stopped or (self.filter and self.filter not in args[0]) or (self.line and line != self.line):
            return None
        return args[0], line

    def b_skip(self, rt: Any, args: list) -> Any:
        declared = self._declare("skip", args, "skip")
        if declared is not None:
            name, line = declared
            self.emit("started", {"test_id": self.next_id, "name": name, "line": line})
            self.emit("result", {"test_id": self.next_id, "name": name, "line": line, "status": "skipped"})
            self.counts["skipped"] += 1
        return UNDEFINED

    def b_test(self, rt: Any, args: list) -> Any:
        declared = self._declare("test", args, "test")
        if declared is None:
            return UNDEFINED
        name, line = declared
        test_id = self.next_id
        self.emit("started", {"test_id": test_id, "name": name, "line": line})
        started = time.perf_counter()
        result: dict[str, Any] = {"test_id": test_id, "name": name, "line": line, "status": "passed"}
        depth = rt.depth
        try:
            rt.call(args[1], [])
        except AssertionFailed as f:
            rt.depth = depth
            result.update(status="failed", message=f.message, failure_line=f.line)
            if f.values is not None:
                result.update(has_values=True, expected=f.values[0], actual=f.values[1])
        except TengoError as e:  # a runtime error inside the test fails it; the script goes on
            rt.depth = depth
            where = next((p[1] for p in e.trace if p[0] == self.filename), None)
            result.update(status="failed", message=e.message, failure_line=where)
        rt.line = line or 0
        result["duration_s"] = time.perf_counter() - started
        self.counts[result["status"]] += 1
        self.emit("result", result)
        if result["status"] == "failed" and self.bail:
            self.stopped = True
        return UNDEFINED
