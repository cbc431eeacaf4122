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
        self.folder = (
            os.path.dirname(os.path.abspath(spell_path)) if spell_path and os.path.isfile(spell_path) else None
        )

    def exists(self, name: str) -> bool | None:
        """True/False, or None when it cannot be told (no folder, a name the engine refuses is reported at run)."""
        return self._find(name)[0]

    def _find(self, name: str) -> tuple[bool | None, str]:
        """``(found, why not)``: like the worker's module resolver, only inside the spell's folder."""
        if self.folder is None:
            return None, ""
        try:
            candidates = languages.get(self.language).module_candidates(name)
        except languages.ModuleNameError as e:
            return False, str(e)
        root = os.path.realpath(self.folder)
        for rel in candidates:
            path = os.path.realpath(os.path.join(root, rel))
            if os.path.commonpath([root, path]) != root:
                return (
                    False,
                    f"module '{name}' is outside the spell's folder; spells can only load modules next "
                    "to them or in subfolders",
                )
            if os.path.isfile(path):
                return True, ""
        tried = ", ".join(candidates)
        return False, f"module '{name}' not found next to the spell (looked for {tried} in {self.folder})"

    def check(self, reporter: Reporter, name: str, node: Any) -> None:
        found, why = self._find(name)
        if found is False:
            report_node(reporter, "missing-module", why, node, subject=name)
