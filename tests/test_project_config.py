"""llmspell.toml: found in the spell's folder or the nearest parent, parsed once, errors name the file."""

from __future__ import annotations

import pytest

from app import project_config as pc


def test_found_in_the_nearest_parent(tmp_path) -> None:
    (tmp_path / "llmspell.toml").write_text('[lint]\nunused-local = "off"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "s.lua").write_text("")
    assert pc.find(str(deep / "s.lua")) == str(tmp_path / "llmspell.toml")
    assert pc.find(str(deep)) == str(tmp_path / "llmspell.toml")
    cfg = pc.for_path(str(deep / "s.lua"))
    assert cfg.section("lint") == {"unused-local": "off"} and cfg.section("models") == {}
    # a nearer file wins
    (deep / "llmspell.toml").write_text("[lint]\n")
    assert pc.for_path(str(deep / "s.lua")).path == str(deep / "llmspell.toml")


def test_no_file_and_no_path() -> None:
    assert pc.for_path("").path is None and pc.for_path("").section("lint") == {}


@pytest.mark.parametrize("text,message", [("lint = 3\n", "[lint] must be a table"), ("[lint\n", "llmspell.toml")])
def test_errors_name_the_file(tmp_path, text: str, message: str) -> None:
    (tmp_path / "llmspell.toml").write_text(text)
    with pytest.raises(pc.ProjectConfigError, match="llmspell.toml") as e:
        pc.for_path(str(tmp_path / "s.lua")).section("lint")
    assert message in str(e.value)


def test_a_huge_file_is_refused(tmp_path) -> None:
    (tmp_path / "llmspell.toml").write_text("# " + "x" * (1024 * 1024) + "\n")
    with pytest.raises(pc.ProjectConfigError, match="larger than 1 MB"):
        pc.for_path(str(tmp_path / "s.lua"))
