"""app.syntax: grammars, per-thread parsers and incremental re-parse."""

from __future__ import annotations

import threading

import pytest

from app import syntax


def test_parses_lua_and_js() -> None:
    assert syntax.parse("lua", "local a = 1").root_node.type == "chunk"
    assert syntax.parse("js", "const a = 1;").root_node.type == "program"
    assert syntax.has_grammar("lua") and not syntax.has_grammar("tengo")
    with pytest.raises(ValueError, match="tengo"):
        syntax.language("tengo")


def test_parsers_are_per_thread() -> None:
    seen: list[object] = []
    t = threading.Thread(target=lambda: seen.append(syntax.parser("lua")))
    t.start()
    t.join()
    assert seen[0] is not syntax.parser("lua")
    assert syntax.parser("lua") is syntax.parser("lua")


@pytest.mark.parametrize(
    "old,new",
    [
        ("local a = 1\nprint(a)\n", "local a = 12\nprint(a)\n"),
        ("local a = 1\nprint(a)\n", "print(a)\n"),
        ("x = 1", "x = 1\ny = 'é'\n"),
        ("local s = 'é'\nfoo()", "local s = 'éé'\nfoo()"),
    ],
)
def test_incremental_reparse_matches_full_parse(old: str, new: str) -> None:
    tree = syntax.parse("lua", old)
    syntax.edit_tree(tree, old.encode(), new.encode())
    again = syntax.parse("lua", new, tree)
    assert str(again.root_node) == str(syntax.parse("lua", new).root_node)
    assert again.root_node.end_byte == len(new.encode())


def test_point_at_counts_bytes() -> None:
    data = "aé\nbc".encode()
    assert syntax.point_at(data, len(data)) == (1, 2)
    assert syntax.point_at(data, 3) == (0, 3)
