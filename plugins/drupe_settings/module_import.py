"""Importing ``<package>.settings`` so that it belongs to *this* session's project.

Python caches modules by name for the whole process. Two projects may share
a package name, and a notebook user may edit ``settings.py`` between two
sessions; both must see the right file. So the settings module is reused
only while it is the same file, unchanged; otherwise it is read again from
source (never from a stale ``.pyc``: an edit within the same second and of
the same size would otherwise go unseen).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
import types
from pathlib import Path

from drupe import Project, SettingsError

_lock = threading.RLock()
#: module name -> (file, mtime_ns, size) of the settings module as loaded (a cache).
_loaded: dict[str, tuple[str, int, int]] = {}
#: top-level package -> (the module object, the source folder) last found to match.
_verified: dict[str, tuple[types.ModuleType, Path]] = {}


def import_settings(project: Project) -> types.ModuleType | None:
    """The project's settings module, freshly read if needed; ``None`` when there is none."""
    package = project.package_name
    name = f"{package}.settings"
    with _lock:
        if project.source_dir is not None:
            _prefer_project_source(package, project.source_dir)
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if missing and (package == missing or package.startswith(missing + ".")):
                raise SettingsError(
                    f"cannot read settings: the project's package {package!r} cannot be "
                    f"imported ({exc}); bootstrap the project (bootstrap_project(path)) or "
                    f"install its package"
                ) from exc
            raise _import_failed(name, None, exc) from exc
        except Exception as exc:  # the package's __init__ raised
            raise _import_failed(package, None, exc) from exc
        if spec is None:
            return None  # no settings module: defaults, quietly
        origin = spec.origin
        if not origin or not origin.endswith(".py") or not os.path.isfile(origin):
            return _import_normally(name, origin)
        return _import_from_source(name, origin, spec)


def _prefer_project_source(package: str, source_dir: Path) -> None:
    """Make ``package`` resolve to ``source_dir`` (the project plugin usually did this already)."""
    entry = str(source_dir)
    if entry not in sys.path:
        sys.path.insert(0, entry)
        importlib.invalidate_caches()
    top = package.split(".")[0]
    module = sys.modules.get(top)
    if module is None:
        return
    seen = _verified.get(top)
    if seen is not None and seen[0] is module and seen[1] == source_dir:
        return  # the same module object already checked for this folder: no resolve again
    locations = [getattr(module, "__file__", None), *list(getattr(module, "__path__", []) or [])]
    known = [Path(loc).resolve() for loc in locations if loc]
    if known and not any(loc.is_relative_to(source_dir) for loc in known):
        for cached in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
            del sys.modules[cached]
        _loaded.pop(f"{package}.settings", None)
        if sys.path[0] != entry:
            sys.path.remove(entry)
            sys.path.insert(0, entry)
        importlib.invalidate_caches()
    else:
        _verified[top] = (module, source_dir)


def _import_normally(name: str, origin: str | None) -> types.ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise _import_failed(name, origin, exc) from exc


def _import_from_source(
    name: str, path: str, spec: importlib.machinery.ModuleSpec
) -> types.ModuleType:
    stat = os.stat(path)
    signature = (os.path.realpath(path), stat.st_mtime_ns, stat.st_size)
    current = sys.modules.get(name)
    if current is not None and _loaded.get(name) == signature:
        return current
    if (
        current is not None
        and name not in _loaded
        and os.path.realpath(getattr(current, "__file__", "") or "") == signature[0]
    ):
        _loaded[name] = signature  # imported by the project's own code: same file, keep it
        return current
    module = importlib.util.module_from_spec(spec)
    try:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        code = compile(source, path, "exec", dont_inherit=True)
    except (OSError, SyntaxError, ValueError) as exc:
        raise _import_failed(name, path, exc) from exc
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except BaseException as exc:
        sys.modules.pop(name, None)
        _loaded.pop(name, None)
        if isinstance(exc, Exception):
            raise _import_failed(name, path, exc) from exc
        raise
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name)
    if parent is not None:
        setattr(parent, child, module)
    _loaded[name] = signature
    return module


def _import_failed(name: str, path: str | None, exc: BaseException) -> SettingsError:
    where = f" ({path})" if path else ""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SyntaxError) and exc.lineno:
        detail = f"SyntaxError at line {exc.lineno}: {exc.msg}"
    return SettingsError(
        f"importing the settings module {name}{where} failed: {detail}; fix the module "
        f"(run with --verbose to see the traceback)"
    )
