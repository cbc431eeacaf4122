"""A spell's bundle: the modules it may require and its project file travel; nothing else does; bounded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.evals import bundle as bundle_mod
from app.evals.bundle import BundleError, bundle_spell, unpack


def make_project(root: Path) -> Path:
    (root / "proj" / "lib" / "deep").mkdir(parents=True)
    (root / "llmspell.toml").write_text('[models]\nfast = "offline/echo"\n', encoding="utf-8")
    spell = root / "proj" / "main.lua"
    spell.write_text('local m = require("lib.deep.m")\nreturn m.x\n', encoding="utf-8")
    (root / "proj" / "lib" / "deep" / "m.lua").write_text("return {x = 42}\n", encoding="utf-8")
    (root / "proj" / "data.jsonl").write_text('{"a": 1}\n', encoding="utf-8")
    (root / "proj" / "other.js").write_text("1\n", encoding="utf-8")
    (root / "proj" / ".git").mkdir()
    (root / "proj" / ".git" / "hook.lua").write_text("return 1\n", encoding="utf-8")
    return spell


def test_modules_and_the_nearest_project_file_travel(tmp_path: Path) -> None:
    spell = make_project(tmp_path)
    b = bundle_spell(str(spell), "lua")
    assert b.name == "main.lua"
    assert sorted(b.files) == ["lib/deep/m.lua", "llmspell.toml", "main.lua"]  # no data, other languages, .git
    out = tmp_path / "elsewhere"
    out.mkdir()
    path = unpack(b, str(out))
    assert Path(path).read_text(encoding="utf-8") == spell.read_text(encoding="utf-8")
    assert (out / "lib" / "deep" / "m.lua").read_text(encoding="utf-8") == "return {x = 42}\n"
    assert "fast" in (out / "llmspell.toml").read_text(encoding="utf-8")


def test_links_out_of_the_folder_stay_behind(tmp_path: Path) -> None:
    spell = make_project(tmp_path)
    secret = tmp_path / "secret.lua"
    secret.write_text("return 'secret'\n", encoding="utf-8")
    os.symlink(secret, spell.parent / "leak.lua")
    assert "leak.lua" not in bundle_spell(str(spell), "lua").files


def test_a_huge_folder_is_refused_with_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spell = make_project(tmp_path)
    monkeypatch.setattr(bundle_mod, "MAX_FILES", 2)
    with pytest.raises(BundleError, match=r"more than 2 \.lua files .* folder of their own"):
        bundle_spell(str(spell), "lua")


def test_unpack_refuses_paths_that_leave_the_folder(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="leaves its folder"):
        unpack(bundle_mod.SpellBundle("x.lua", {"../x.lua": b"return 1"}), str(tmp_path))
