"""Every example in the reference runs as a spell (Lua and JavaScript; Tengo when its engine is available),
on the default offline model, and finishes with status "ok"."""

from __future__ import annotations

import os

import pytest

from app.reference.model import LanguageView, build_reference

_REF = build_reference()
_EXT = {"lua": "lua", "js": "js", "tengo": "tengo"}

#: Examples known not to run, with the reason (non-strict xfail: an XPASS means it was fixed; remove it here).
#: Each one is a bridge docstring bug reported to the bridge's owner (the reference does not edit bridges).
KNOWN_BROKEN: dict[tuple[str, str], str] = {}


def _cases(language: str) -> list:
    v = LanguageView(_REF, language)
    out = []
    for m in _REF.methods():
        code, _note = v.example(m)
        if not code:
            continue
        marks = []
        reason = KNOWN_BROKEN.get((language, m.qualname))
        if reason:
            marks.append(pytest.mark.xfail(reason=reason, strict=False))
        out.append(pytest.param(m.key, code, id=f"{language}-{m.qualname}", marks=marks))
    return out


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    """One runner for the module; persistent state (``State``) goes to a temporary data folder."""
    import os

    from app.runner import Runner

    old = os.environ.get("LLMSPELL_DATA_DIR")
    os.environ["LLMSPELL_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    r = Runner()
    yield r
    r.shutdown()
    if old is None:
        os.environ.pop("LLMSPELL_DATA_DIR", None)
    else:
        os.environ["LLMSPELL_DATA_DIR"] = old


#: the spell the Spell.run examples run (test-only globals' examples run as test files)
_SUMMARISE = {
    "lua": 'return LLM.complete("Summarise: " .. INPUT.text)',
    "js": 'return LLM.complete("Summarise: " + INPUT.text);',
    "tengo": 'export LLM.complete("Summarise: " + INPUT.text)',
}


def _run(runner, key: str, code: str, language: str, folder: str):
    """Run ``code`` as a spell saved in ``folder`` (examples may use the workspace scope); examples of the
    test-only globals (Mock, Spell) run as test files, beside a spell they can run."""
    from app.bridges.registry import is_test_only
    from app.runner import RunOptions

    name = key.split(":", 1)[1].replace(".", "_")
    path = os.path.join(folder, f"{name}.{_EXT[language]}")
    with open(path, "w", encoding="utf-8") as f:
        f.write(code + "\n")
    test = {} if is_test_only(key.split(":", 1)[1].split(".")[0]) else None
    if test is not None:
        with open(os.path.join(folder, f"summarise.{_EXT[language]}"), "w", encoding="utf-8") as f:
            f.write(_SUMMARISE[language] + "\n")
    return runner.run(
        path, source=code, options=RunOptions(language=language, timeout_s=60, workspace=folder, test=test)
    )


@pytest.mark.parametrize(("key", "code"), _cases("lua"))
def test_lua_example_runs(runner, key: str, code: str, tmp_path) -> None:
    result = _run(runner, key, code, "lua", str(tmp_path))
    assert result.status == "ok", f"{key}: {result.failure}\n--- example ---\n{code}"


@pytest.mark.parametrize(("key", "code"), _cases("js"))
def test_js_example_runs(runner, key: str, code: str, tmp_path) -> None:
    result = _run(runner, key, code, "js", str(tmp_path))
    assert result.status == "ok", f"{key}: {result.failure}\n--- example ---\n{code}"


@pytest.fixture(scope="module")
def tengo_runner(runner):
    from app.runner import RunOptions

    try:
        probe = runner.run("probe.tengo", source="x := 1", options=RunOptions(language="tengo"))
    except Exception as e:  # the Tengo worker is not there yet
        pytest.skip(f"Tengo engine unavailable: {e!r}")
    if probe.status != "ok":
        pytest.skip(f"Tengo engine unavailable: {probe.failure}")
    return runner


@pytest.mark.parametrize(("key", "code"), _cases("tengo"))
def test_tengo_example_runs(tengo_runner, key: str, code: str, tmp_path) -> None:
    result = _run(tengo_runner, key, code, "tengo", str(tmp_path))
    assert result.status == "ok", f"{key}: {result.failure}\n--- example ---\n{code}"
