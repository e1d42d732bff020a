"""Making a project importable, and the one "configured project" record of a process.

Two modes, as in Kedro:

* **project mode**: `bootstrap_project` reads ``pyproject.toml``, puts the
  source folder first on ``sys.path`` (and on ``PYTHONPATH`` for child
  processes) and records the project;
* **packaged mode**: the project is an installed package and has no
  ``pyproject.toml`` at run time; `configure_project` records it by name.

The record is the only mutable process-wide state the design allows. It is
what `find_project` falls back to, what worker processes repeat, and what
`require_project` checks before failing with "Package name not found".
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
from pathlib import Path

from drupe import Project, ProjectError
from drupe_project.metadata import find_kedro_root, kedro_hint, package_name_problem, read_project

_lock = threading.RLock()
_configured: Project | None = None

NOT_FOUND = (
    "Package name not found. Make sure you have configured the project using bootstrap_project."
)


def bootstrap_project(path: str | os.PathLike[str]) -> Project:
    """Make the project at ``path`` (its root folder) importable and record it; return it.

    Idempotent: bootstrapping the same project again changes nothing. When
    another project with the same package name was imported before in this
    process, its modules are dropped from ``sys.modules`` so that this
    project's code is the one imported from now on.
    """
    return activate(read_project(Path(path)))


def activate(project: Project) -> Project:
    """Bootstrap an already-read `Project` (the ``find_project`` hook uses this)."""
    with _lock:
        if project.source_dir is not None:
            _check_package_folder(project)
            put_first_on_path(project.source_dir)
            forget_stale_modules(project.package_name, project.source_dir)
        return _record(project)


def configure_project(package_name: str) -> Project:
    """Record ``package_name`` as this process's project (packaged mode); return the record.

    After `bootstrap_project`, configuring the same package keeps the
    bootstrapped record (with its root). Otherwise the package must be
    importable (installed, or on ``sys.path``).
    """
    problem = package_name_problem(package_name)
    if problem:
        raise ProjectError(f"configure_project: package name {package_name!r} {problem}")
    with _lock:
        current = _configured
        if current is not None and current.package_name == package_name:
            return current
        try:
            spec = importlib.util.find_spec(package_name)
        except (ImportError, ValueError) as exc:
            spec = None
            cause: Exception | None = exc
        else:
            cause = None
        if spec is None:
            raise ProjectError(
                f"configure_project: package {package_name!r} cannot be imported: install the "
                f"project's package, or call bootstrap_project(path) for a project on disk"
            ) from cause
        return _record(Project(package_name=package_name))


def configured_project() -> Project | None:
    """The project recorded by `bootstrap_project` / `configure_project` in this process."""
    return _configured


def clear_configured_project() -> None:
    """Forget the configured project (tests and notebooks that switch projects use this)."""
    global _configured
    with _lock:
        _configured = None


def require_project(project: Project | None, *, start: Path | None = None) -> Project:
    """``project``, else the configured project; `ProjectError` "Package name not found" if neither.

    Plugins that cannot work without a project (the pipeline registry, say)
    call this with ``session.project``; ``start`` (where discovery began,
    by default where the active session began) makes the message say where
    drupe looked.
    """
    if project is not None:
        return project
    configured = _configured
    if configured is not None:
        return configured
    raise ProjectError(not_found_message(start))


def not_found_message(start: Path | None = None) -> str:
    """Kedro's "Package name not found", with where drupe looked and what to do."""
    if start is None:
        start = _current_session_start()
    kedro_root = find_kedro_root(start) if start is not None else None
    if kedro_root is not None:
        return kedro_hint(kedro_root)
    if start is not None:
        looked = (
            f"no pyproject.toml with a [tool.drupe] table was found in {Path(start)} or any "
            f"folder above it"
        )
    else:
        looked = "no project was found"
    return (
        f"{NOT_FOUND} {looked.capitalize()}, and configure_project() was not called in this "
        f"process. Run from inside a project, pass --project / project_path, or call "
        f"bootstrap_project(path) (configure_project(package_name) for an installed package)"
    )


def _current_session_start() -> Path | None:
    """Where the active session (if any) started looking for its project."""
    import drupe

    try:
        return drupe.get_current_session().project_path
    except drupe.SessionError:
        return None


def _record(project: Project) -> Project:
    global _configured
    with _lock:
        _configured = project
    return project


def _check_package_folder(project: Project) -> None:
    assert project.source_dir is not None
    top = project.package_name.split(".")[0]
    if not ((project.source_dir / top).is_dir() or (project.source_dir / f"{top}.py").is_file()):
        raise ProjectError(
            f"package_name {project.package_name!r} (in {project.root}/pyproject.toml) has no "
            f"package at {project.source_dir / top}: create {top}/__init__.py there or fix "
            f"package_name / source_dir"
        )


def put_first_on_path(folder: Path) -> None:
    """Put ``folder`` first on ``sys.path`` and ``PYTHONPATH`` (no-op when it is already first)."""
    entry = str(folder)
    if not sys.path or sys.path[0] != entry:
        while entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)
        importlib.invalidate_caches()
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if not parts or parts[0] != entry:
        os.environ["PYTHONPATH"] = os.pathsep.join([entry, *(p for p in parts if p != entry)])


def forget_stale_modules(package_name: str, source_dir: Path) -> None:
    """Drop ``<package>`` and its submodules from ``sys.modules`` if they come from elsewhere.

    Two projects may use the same package name (two copies of one project,
    two scaffolds called ``demo``). Python caches the first one imported; a
    session of the second must not run the first one's code or settings.
    """
    top = package_name.split(".")[0]
    module = sys.modules.get(top)
    if module is None:
        return
    seen = _verified.get(top)
    if seen is not None and seen[0] is module and seen[1] == source_dir:
        return  # this very module object was found in this folder before: no resolve again
    if _location_unknown(module) or _lives_in(module, source_dir):
        _verified[top] = (module, source_dir)
        return
    for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()


#: top-level package -> (the module object, the folder) it was last found to live in.
_verified: dict[str, tuple[object, Path]] = {}


def _location_unknown(module: object) -> bool:
    return not getattr(module, "__file__", None) and not list(getattr(module, "__path__", []) or [])


def _lives_in(module: object, folder: Path) -> bool:
    locations = [getattr(module, "__file__", None), *list(getattr(module, "__path__", []) or [])]
    for location in locations:
        if location and Path(location).resolve().is_relative_to(folder):
            return True
    return False
