"""Spells load sibling modules from their own folder, as text, in the same sandbox — never from outside it."""

from __future__ import annotations

import os

import pytest

from app.runner import RunOptions


@pytest.fixture
def spell_dir(tmp_path):
    (tmp_path / "util.lua").write_text(
        "local M = {}\nfunction M.twice(x) return 2 * x end\nfunction M.fail()\n  error('inside util')\nend\nreturn M\n"
    )
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "deep.lua").write_text("return {name = 'deep', io = io, os_exec = os.execute}\n")
    (tmp_path / "util.js").write_text(
        "exports.twice = (x) => 2 * x;\nexports.fail = function fail() {\n  throw new Error('inside util');\n};\n"
    )
    (tmp_path / "lib" / "deep.js").write_text(
        "const u = require('../util');\nmodule.exports = { name: 'deep', four: u.twice(2) };\n"
    )
    (tmp_path / "broken.lua").write_text("local x = \nreturn\n")
    outside = tmp_path.parent / "outside_secret.lua"
    outside.write_text("return 'secret'")
    os.symlink(outside, tmp_path / "link.lua")
    return tmp_path


def run(runner, spell_dir, name, src):
    path = spell_dir / name
    path.write_text(src)
    return runner.run(str(path), None, RunOptions())


def test_lua_require_sibling_and_subfolder(runner, spell_dir):
    r = run(
        runner,
        spell_dir,
        "main.lua",
        "local u = require('util')\nlocal d = require('lib.deep')\nreturn {u.twice(21), d.name, d.io == nil, d.os_exec == nil, require('util') == u}",
    )
    assert r.value == [42, "deep", True, True, True]


def test_js_require_sibling_and_subfolder(runner, spell_dir):
    r = run(
        runner,
        spell_dir,
        "main.js",
        "const u = require('./util');\nconst d = require('./lib/deep');\nreturn [u.twice(21), d.name, d.four, require('./util') === u];",
    )
    assert r.value == [42, "deep", 4, True]


def test_errors_inside_modules_name_the_module_file(runner, spell_dir):
    r = run(runner, spell_dir, "e.lua", "local u = require('util')\nu.fail()\n")
    assert r.failure.file == str(spell_dir / "util.lua") and r.failure.line == 4
    assert r.failure.traceback[-1].file.endswith("e.lua")
    r = run(runner, spell_dir, "e.js", "const u = require('./util');\nu.fail();\n")
    assert r.failure.file == str(spell_dir / "util.js") and r.failure.line == 3


def test_module_syntax_error_names_the_module(runner, spell_dir):
    r = run(runner, spell_dir, "s.lua", "return require('broken')")
    assert r.status == "error"
    assert "broken.lua:2" in r.failure.message or (r.failure.line == 2)


@pytest.mark.parametrize(
    "name,src,code",
    [
        ("o1.lua", "return require('..outside_secret')", "invalid_argument"),
        ("o2.lua", "return require('/etc/passwd')", "invalid_argument"),
        ("o3.lua", "return require('link')", "permission_denied"),
        ("o4.lua", "return require('nope')", "module_not_found"),
        ("o1.js", "return require('../outside_secret.lua');", "permission_denied"),
        ("o2.js", "return require('/etc/passwd');", "module_not_found"),
        ("o3.js", "return require('./link.lua');", "permission_denied"),
        ("o4.js", "return require('fs');", "module_not_found"),
    ],
)
def test_require_cannot_leave_the_spell_folder(runner, spell_dir, name, src, code):
    r = run(runner, spell_dir, name, src)
    assert r.status == "error"
    assert r.failure.code == code, r.failure
