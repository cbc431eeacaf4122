"""A spell's folder as data, for runs on machines that do not have it (the Ray executor's cluster nodes).

A bundle holds what a run may read from the spell's folder: the modules the spell may ``require`` (files of its
language under its folder) and the nearest ``llmspell.toml`` (model aliases, budgets), placed at the bundle's root.
Datasets, results and everything else stay behind. It is bounded in files and bytes, so a spell kept in a big
folder gets a clear error instead of a slow upload.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from app import languages, project_config

MAX_FILES = 1000
MAX_BYTES = 32 * 1024 * 1024
SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "venv"})  # and every folder whose name starts with "."


class BundleError(ValueError):
    """The spell's folder cannot travel (too many or too big module files)."""


@dataclass(frozen=True)
class SpellBundle:
    """The spell file's name and the files beside it, by path relative to its folder."""

    name: str
    files: dict[str, bytes] = field(default_factory=dict)


def bundle_spell(path: str, language: str) -> SpellBundle:
    """The bundle of the spell at ``path`` (written in ``language``)."""
    root = os.path.dirname(os.path.abspath(path))
    real_root = os.path.realpath(root)
    extensions = languages.get(language).extensions
    files: dict[str, bytes] = {}
    total = 0

    def add(rel: str, full: str) -> None:
        nonlocal total
        size = os.path.getsize(full)
        total += size
        if len(files) >= MAX_FILES or total > MAX_BYTES:
            raise BundleError(
                f"{root}: more than {MAX_FILES} {'/'.join(extensions)} files or {MAX_BYTES // 2**20} MB under the "
                f"spell's folder, too much to send to the cluster; keep the spell and its modules in a folder of "
                f"their own"
            )
        with open(full, "rb") as f:
            files[rel] = f.read()

    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS)
        for name in sorted(names):
            if not name.lower().endswith(extensions):
                continue
            full = os.path.join(folder, name)
            real = os.path.realpath(full)
            if os.path.commonpath([real_root, real]) != real_root or not os.path.isfile(real):
                continue  # a link out of the folder: require refuses it anyway
            add(os.path.relpath(full, root).replace(os.sep, "/"), full)
    project = project_config.find(path)
    if project is not None:
        add(project_config.FILE_NAME, project)
    return SpellBundle(os.path.basename(path), files)


def unpack(bundle: SpellBundle, folder: str) -> str:
    """Write ``bundle`` under ``folder``; the path the spell has there."""
    base = os.path.realpath(folder)
    for rel, data in bundle.files.items():
        target = os.path.realpath(os.path.join(base, rel))
        if os.path.commonpath([base, target]) != base:
            raise BundleError(f"bundle path {rel!r} leaves its folder")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
    return os.path.join(base, bundle.name)
