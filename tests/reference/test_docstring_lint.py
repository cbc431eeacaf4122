"""Every public bridge method is documented: summary, parameter and option descriptions, Lua and JS examples."""

from __future__ import annotations

from app.bridges import registry
from app.reference.lint import problems
from tests.reference import fake_bridges


def test_every_bridge_method_is_documented() -> None:
    found = problems(strict=True)
    assert not found, "bridge documentation problems (see docs/bridge-docstrings.md):\n  " + "\n  ".join(found)


def test_registry_is_not_empty() -> None:
    names = [g.name for g in registry.globals_info()]
    assert "JSON" in names and "Log" in names


def test_lint_catches_missing_docs() -> None:
    class Undocumented(registry.Bridge):
        def go(self, target: str, count: int = 1) -> None:
            """Go somewhere.

            Args:
                target: Where.
                nothing: Stale.
            Example (lua):
                X.go("a")
            """

        def bare(self) -> None:
            pass

    info = registry._introspect("X", "global", Undocumented)
    found = "\n".join(problems([info]))
    assert "X: class docstring has no summary" in found or "X (global" in found
    assert "X.go: parameter 'count' has no description" in found
    assert "X.go: Args: describes 'nothing'" in found
    assert "X.go: no 'Example (js):' section" in found
    assert "X.bare: no summary" in found
    assert "X.bare: no 'Example (lua):' section" in found


def test_fake_bridges_pass_lint(monkeypatch) -> None:
    monkeypatch.setitem(registry._HANDLE_TYPES_BY_CLASS, fake_bridges.FakeAgent, "Agent")
    infos = [
        registry._introspect("LLM", "global", fake_bridges.FakeLLM),
        registry._introspect("Agent", "type", fake_bridges.FakeAgent),
    ]
    assert problems(infos) == []


def test_strict_lint_wants_error_codes() -> None:
    class Errs(registry.Bridge):
        """Errors everywhere."""

        def go(self) -> None:
            """Go.

            Errors:
                Whatever the provider says.
            Example (lua):
                X.go()
            Example (js):
                X.go();
            """

    info = registry._introspect("X", "global", Errs)
    assert problems([info]) == []
    assert problems([info], strict=True) == [
        "X.go: Errors: should start each entry with an error code (got 'Whatever the provider says.')"
    ]
