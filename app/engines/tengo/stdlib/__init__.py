"""Tengo standard library: builtin (Python) modules and source modules.

``BUILTIN_MODULES[name](rt)`` returns the module as an immutable map; ``SOURCE_MODULES[name]`` is Tengo source.
``os`` does not exist here on purpose: spells get no file, process or environment access.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .enum_src import ENUM_SOURCE

log = logging.getLogger(__name__)

SOURCE_MODULES: dict[str, str] = {"enum": ENUM_SOURCE}


def _lazy(modname: str) -> Callable[[Any], Any]:
    def make(rt: Any) -> Any:
        import importlib

        mod = importlib.import_module(f"{__name__}.{modname}")
        return mod.module(rt)

    return make


BUILTIN_MODULES: dict[str, Callable[[Any], Any]] = {
    name: _lazy(f"{name}_mod") for name in ("math", "text", "times", "rand", "fmt", "json", "base64", "hex")
}

ALL_MODULES = frozenset(BUILTIN_MODULES) | frozenset(SOURCE_MODULES)
