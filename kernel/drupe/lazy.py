"""`lazy_exports`: a package's public names, imported on first use.

Every enabled plugin is imported by every ``drupe`` command (``--help``
included), so a plugin package should cost almost nothing to import. The
usual way is a module-level ``__getattr__`` that imports the module defining
a public name only when someone asks for it. This builds that pair of
functions, so a package says which name lives where and nothing else::

    __getattr__, __dir__ = drupe.lazy_exports(__name__, {
        "ConfigLoader": "drupe_config.loader",
    })

A name, once loaded, is stored on the package, so later lookups are plain
attribute reads. pluggy only inspects what a plugin module really defines,
so registering such a package does not load its lazy names.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for ``package``; ``exports`` maps name -> module."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
