"""Cheap checks of packaging/ that need no build: the PyInstaller spec, the frozen entry point's dispatch (the
worker flag every frozen executable must honour), the Linux packaging files and the scripts' syntax.

The real build and its smoke test take minutes: ``test_packaged_build_smoke`` (marked ``slow``) runs
``packaging/smoke_test.sh`` when a built bundle exists in dist/ or when LLMSPELL_PACKAGE_TEST=1 asks for it."""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from configparser import ConfigParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "packaging"
SPEC = PKG / "llmspell-studio.spec"


def _entry_module():
    spec = importlib.util.spec_from_file_location("llmspell_entry", PKG / "llmspell_entry.py")
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


# ------------------------------------------------------------------------------------------------------ the spec
def _spec_calls(name: str) -> list[ast.Call]:
    tree = ast.parse(SPEC.read_text(encoding="utf-8"), filename=str(SPEC))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def _kw(call: ast.Call, name: str):
    for k in call.keywords:
        if k.arg == name:
            return ast.literal_eval(k.value) if not isinstance(k.value, ast.Name) else k.value.id
    return None


def test_spec_parses_and_builds_two_executables_in_one_folder():
    exes = _spec_calls("EXE")
    names = {_kw(e, "name") for e in exes}
    assert names == {"NAME", "llmspell"}  # NAME = "llmspell-studio"
    assert 'NAME = "llmspell-studio"' in SPEC.read_text()
    consoles = {_kw(e, "name"): _kw(e, "console") for e in exes}
    assert consoles == {"NAME": False, "llmspell": True}  # IDE windowed, CLI console
    assert all(_kw(e, "exclude_binaries") is True for e in exes)  # one-folder
    assert len(_spec_calls("COLLECT")) == 1  # both share one folder


def test_spec_entries_and_what_the_dependencies_need():
    text = SPEC.read_text()
    analysis = _spec_calls("Analysis")
    assert len(analysis) == 1
    scripts = ast.unparse(analysis[0].args[0])
    assert "entry_studio.py" in scripts and "entry_cli.py" in scripts
    for needle in (
        '"lupa.lua54"',
        '"tiktoken_ext"',
        '"tiktoken_ext.openai_public"',
        'collect_data_files("litellm"',
        'copy_metadata("litellm")',
        'collect_submodules("app")',
        'tree("resources"',
        'tree("examples"',
        "LITELLM_LOCAL_MODEL_COST_MAP",
    ):
        assert needle in text, needle
    for f in ("entry_studio.py", "entry_cli.py", "llmspell_entry.py"):
        assert (PKG / f).is_file()
    # the IDE executable is the CLI when started as `llmspell` (the Linux packages link llmspell to it)
    assert "main(kind_for_program(sys.argv[0]))" in (PKG / "entry_studio.py").read_text()
    assert 'main("cli")' in (PKG / "entry_cli.py").read_text()


def test_package_data_the_engines_read_exists_where_the_spec_takes_it():
    # lua_engine.py / js_engine.py read these through importlib.resources: the spec copies app/**.lua|.js into the
    # bundle; if they move or change extension, the frozen worker breaks
    assert (ROOT / "app/engines/lua_sandbox.lua").is_file()
    assert (ROOT / "app/engines/js_prelude.js").is_file()
    assert (ROOT / "examples/hello.lua").is_file() and (ROOT / "examples/hello.js").is_file()
    assert (ROOT / "resources").is_dir()


# ------------------------------------------------------------------------------------------------ entry dispatch
def test_route_sends_the_worker_flag_to_the_worker_from_either_executable():
    m = _entry_module()
    assert m.WORKER_FLAG == "--llmspell-worker"
    for kind in ("studio", "cli"):
        assert m.route(["/opt/x/any", "--llmspell-worker", "lua"], kind) == ("worker", ["lua"])
        assert m.route(["any", "--llmspell-worker", "tengo"], kind) == ("worker", ["tengo"])
    assert m.route(["llmspell", "run", "a.lua"], "cli") == ("cli", ["run", "a.lua"])
    assert m.route(["llmspell-studio", "a.lua"], "studio") == ("studio", ["a.lua"])
    assert m.route(["llmspell-studio"], "studio") == ("studio", [])
    # the flag only counts first: a spell path of that name is not a worker start
    assert m.route(["llmspell", "run", "--llmspell-worker"], "cli") == ("cli", ["run", "--llmspell-worker"])
    assert m.route(["llmspell-studio", "--llmspell-smoke-test", "a.lua"], "studio") == ("smoke", ["a.lua"])
    assert m.route(["llmspell", "--llmspell-smoke-test", "a.lua"], "cli")[0] == "cli"
    assert m.route(["llmspell-studio", "--llmspell-startup-probe"], "studio") == ("probe", [])
    with pytest.raises(ValueError):
        m.route(["x"], "bogus")


def test_route_sends_the_provider_check_from_either_executable():
    m = _entry_module()
    for kind in ("cli", "studio"):
        assert m.route(["/opt/x/llmspell", "--llmspell-provider-check"], kind) == ("providers", [])


def test_kind_for_program():
    m = _entry_module()
    assert m.kind_for_program("/usr/bin/llmspell") == "cli"
    assert m.kind_for_program("C:\\x\\LLMSPELL.EXE".replace("\\", "/")) == "cli"
    assert m.kind_for_program("/opt/llmspell-studio/llmspell-studio") == "studio"


def test_main_calls_the_worker_main_with_the_language(monkeypatch):
    m = _entry_module()
    import app.engines.worker as worker

    seen = []
    monkeypatch.setattr(worker, "main", lambda argv: seen.append(argv) or 7)
    assert m.main("studio", ["llmspell-studio", "--llmspell-worker", "js"]) == 7
    assert m.main("cli", ["llmspell", "--llmspell-worker", "lua"]) == 7
    assert seen == [["js"], ["lua"]]


def test_main_routes_the_cli(monkeypatch):
    m = _entry_module()
    import app.cli

    monkeypatch.setattr(app.cli, "main", lambda argv: 5 if argv == ["check", "x.lua"] else 0)
    assert m.main("cli", ["llmspell", "check", "x.lua"]) == 5


def test_entry_started_with_the_worker_flag_is_a_worker():
    """What the frozen pool does (``<exe> --llmspell-worker lua``), with the entry script under this Python: the
    worker announces itself with a Ready message and exits when its input closes."""
    from app.engines.pool import worker_environment
    from app.engines.protocol import MessageReader, Ready

    env = worker_environment()
    env["PYTHONPATH"] = str(ROOT)
    p = subprocess.Popen(
        [sys.executable, "-s", str(PKG / "llmspell_entry.py"), "--llmspell-worker", "lua"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd="/",
    )
    try:
        msg = MessageReader(p.stdout.fileno()).read(timeout=60)
        assert isinstance(msg, Ready), msg
        assert msg.language == "lua" and msg.pid == p.pid
        p.stdin.close()
        assert p.wait(timeout=30) == 0, p.stderr.read().decode()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def _ide_env(tmp_path):
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        LLMSPELL_CONFIG_DIR=str(tmp_path / "config"),
        LLMSPELL_DATA_DIR=str(tmp_path / "data"),
        LLMSPELL_SMOKE_TIMEOUT="60",
        PYTHONPATH=str(ROOT),
    )
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def test_ide_smoke_mode_runs_a_spell_in_the_real_window(tmp_path):
    """The hidden mode the packaged smoke test uses, from source: catches changes of the IDE's API
    (create_window, tabs.open_file, action_run, RunSession signals) before a slow build does."""
    shot = tmp_path / "shot.png"
    r = subprocess.run(
        [
            sys.executable,
            str(PKG / "llmspell_entry.py"),
            "--llmspell-smoke-test",
            str(ROOT / "examples/hello.lua"),
            "--llmspell-screenshot",
            str(shot),
        ],
        capture_output=True,
        text=True,
        env=_ide_env(tmp_path),
        timeout=100,
        cwd=str(ROOT),
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "run finished: status=ok" in r.stdout and "Hello, world!" in r.stdout
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ide_startup_probe(tmp_path):
    r = subprocess.run(
        [sys.executable, str(PKG / "llmspell_entry.py"), "--llmspell-startup-probe"],
        capture_output=True,
        text=True,
        env=_ide_env(tmp_path),
        timeout=100,
        cwd=str(ROOT),
    )
    assert r.returncode == 0, r.stderr
    assert "INTERACTIVE litellm_imported=False" in r.stdout


# ------------------------------------------------------------------------------------------- Linux package files
def test_desktop_entry():
    cp = ConfigParser(interpolation=None)
    cp.optionxform = str
    cp.read(PKG / "linux/llmspell-studio.desktop", encoding="utf-8")
    e = cp["Desktop Entry"]
    assert e["Type"] == "Application" and e["Exec"].startswith("llmspell-studio ")
    assert e["Icon"] == "llmspell-studio" and e["Terminal"] == "false"
    mimes = set(filter(None, e["MimeType"].split(";")))
    assert {"text/x-lua", "text/javascript", "text/x-tengo"} <= mimes


def test_mime_xml_and_icons():
    root = ET.parse(PKG / "linux/llmspell-studio-mime.xml").getroot()
    ns = "{http://www.freedesktop.org/standards/shared-mime-info}"
    types = {t.get("type"): [g.get("pattern") for g in t.iter(ns + "glob")] for t in root.iter(ns + "mime-type")}
    assert types == {"text/x-tengo": ["*.tengo"]}
    icons = PKG / "icons"
    assert (icons / "llmspell-studio.svg").is_file()
    for size in (16, 32, 48, 64, 128, 256, 512):
        png = icons / f"llmspell-studio-{size}.png"
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(data[16:20], "big") == size  # IHDR width
    assert (icons / "llmspell-studio.ico").is_file() and (icons / "llmspell-studio.icns").is_file()


def test_control_template_and_copyright():
    control = (PKG / "linux/control").read_text()
    for field in (
        "Package: llmspell-studio",
        "Version: @VERSION@",
        "Depends: @DEPENDS@",
        "Architecture: @ARCH@",
        "Installed-Size: @SIZE@",
        "Maintainer: ",
        "Description: ",
    ):
        assert field in control
    assert (PKG / "linux/copyright").read_text().startswith("Format: https://www.debian.org/doc/packaging-manuals/")
    assert "@VERSION@" in (PKG / "linux/changelog").read_text()


@pytest.mark.parametrize("script,shell", [("build.sh", "bash"), ("smoke_test.sh", "bash"), ("linux/install.sh", "sh")])
def test_scripts_parse_and_are_executable(script, shell):
    path = PKG / script
    assert os.access(path, os.X_OK), f"{script} is not executable"
    r = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_fix_rpath_rewrites_an_absolute_runpath(tmp_path):
    """fix_rpath.py on a copy of a real extension module (skipped when this Python's modules have no RUNPATH)."""
    if not shutil.which("objdump"):
        pytest.skip("objdump not installed")
    import _json

    src = Path(getattr(_json, "__file__", "") or "")
    if not src.is_file():
        pytest.skip("_json is built in")
    before = subprocess.run(["objdump", "-p", str(src)], capture_output=True, text=True).stdout
    if "RUNPATH" not in before and "RPATH" not in before:
        pytest.skip("no RUNPATH to fix in this Python")
    spec = importlib.util.spec_from_file_location("fix_rpath", PKG / "fix_rpath.py")
    fix = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fix)
    dst = tmp_path / src.name
    shutil.copy2(src, dst)
    changed = fix.fix_file(str(dst))
    after = subprocess.run(["objdump", "-p", str(dst)], capture_output=True, text=True).stdout
    line = [x for x in after.splitlines() if "RPATH" in x or "RUNPATH" in x][0]
    if changed:
        assert line.split()[-1] == "$ORIGIN"
    else:
        assert line.split()[-1].startswith("$ORIGIN")
    assert dst.stat().st_size == src.stat().st_size
    assert fix.fix_file(str(dst)) == []  # idempotent


# --------------------------------------------------------------------------------------------- the real thing
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_packaged_build_smoke():
    """``packaging/smoke_test.sh`` on dist/ (no system-wide install from a test run: SMOKE_APT=0)."""
    dist = Path(os.environ.get("LLMSPELL_PACKAGE_DIST", ROOT / "dist"))
    if not (dist / "llmspell-studio" / "llmspell").exists():
        if os.environ.get("LLMSPELL_PACKAGE_TEST") == "1":
            pytest.fail(f"no bundle in {dist}: run `make package` first")
        pytest.skip(f"no packaged build in {dist} (make package; or LLMSPELL_PACKAGE_TEST=1 to require it)")
    env = dict(os.environ, SMOKE_APT=os.environ.get("SMOKE_APT", "0"))
    r = subprocess.run(
        ["bash", str(PKG / "smoke_test.sh"), str(dist)], capture_output=True, text=True, env=env, timeout=1700
    )
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
