"""``require``/``import`` of sibling modules: does the module the spell names exist next to it?"""
from __future__ import annotations

import os
from typing import Any

from app import languages
from app.lint.core import Reporter, report_node


class ModuleCheck:
    """Checks module names against the spell's folder (nothing is checked for an unsaved spell)."""

    def __init__(self, language: str, spell_path: str):
        self.language = language
        self.folder = os.path.dirname(os.path.abspath(spell_path)) if spell_path and os.path.isfile(spell_path) \
            else None

    def exists(self, name: str) -> bool | None:
        """True/False, or None when it cannot be told (no folder, a name the engine refuses is reported at run)."""
        if self.folder is None:
            return None
        try:
            candidates = languages.get(self.language).module_candidates(name)
        except languages.ModuleNameError:
            return None
        root = os.path.realpath(self.folder)
        return any(os.path.isfile(os.path.join(root, rel)) for rel in candidates)

    def check(self, reporter: Reporter, name: str, node: Any) -> None:
        if self.exists(name) is False:
            tried = ", ".join(languages.get(self.language).module_candidates(name))
            report_node(reporter, "missing-module", f"module '{name}' not found next to the spell (looked for "
                        f"{tried} in {self.folder})", node, subject=name)
