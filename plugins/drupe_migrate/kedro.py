"""``drupe migrate kedro``: plan the rewrite of a Kedro project into a drupe project.

What is read, all inside the project root (symbolic links are not followed):
``pyproject.toml``; the Python files of the package (``[tool.kedro]
source_dir``, default ``src``) and of ``tests/``; the catalog files of every
configuration environment. What changes is listed in `drupe_migrate.plan.Plan`
and written only by ``Plan.apply``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from drupe_migrate.kedro_catalog import rewrite_catalog
from drupe_migrate.kedro_pyproject import rewrite_pyproject
from drupe_migrate.kedro_python import MAIN_MODULE, is_kedro_module, rewrite_source
from drupe_migrate.plan import Plan, Report

#: Folders never walked: tools' caches and environments, never project code.
_SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "env",
        "node_modules",
        "__pycache__",
        "build",
        "dist",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "data",
        ".ipynb_checkpoints",
    }
)
_MAX_FILE_BYTES = 2_000_000


class NotAKedroProject(Exception):
    """The folder has no pyproject.toml with a [tool.kedro] table."""


def plan_migration(root: Path) -> Plan:
    """Everything ``drupe migrate kedro`` would change in the project at ``root``."""
    root = root.resolve()
    pyproject = root / "pyproject.toml"
    table = _kedro_table(pyproject)
    plan = Plan(root=root)
    text = _read(pyproject)
    plan.change(
        pyproject,
        text,
        rewrite_pyproject(text, _reporter(plan, pyproject)),
        "[tool.kedro] -> [tool.drupe], Kedro dependencies",
    )
    package = str(table.get("package_name", ""))
    source_dir = root / str(table.get("source_dir", "src"))
    package_dir = source_dir.joinpath(*package.split(".")) if package else None
    for path in _python_files(root, [source_dir, root / "tests"]):
        _plan_python(plan, path, package_dir)
    for path in _catalog_files(root / "conf"):
        old = _read(path)
        new = rewrite_catalog(old, _reporter(plan, path))
        plan.change(path, old, new, "catalog dataset types")
    return plan


def _plan_python(plan: Plan, path: Path, package_dir: Path | None) -> None:
    old = _read(path)
    if "kedro" not in old:
        return
    if package_dir is not None and path == package_dir / "__main__.py" and _runs_kedro_cli(old):
        package = package_dir.name
        plan.change(path, old, MAIN_MODULE.format(package=package), "packaged run entry point")
        return
    is_settings = package_dir is not None and path == package_dir / "settings.py"
    new = rewrite_source(old, _reporter(plan, path), settings=is_settings)
    plan.change(path, old, new, "Kedro imports")


def _reporter(plan: Plan, path: Path) -> Report:
    def report(message: str, line: int | None, *, done: bool = False) -> None:
        plan.note(path, message, line, done=done)

    return report


def _runs_kedro_cli(text: str) -> bool:
    return "kedro.framework.cli" in text or "find_run_command" in text


def _kedro_table(pyproject: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 only
        import tomli as tomllib
    if not pyproject.is_file():
        raise NotAKedroProject(f"{pyproject.parent} has no pyproject.toml")
    try:
        data = tomllib.loads(_read(pyproject))
    except ValueError as exc:
        raise NotAKedroProject(f"{pyproject} is not valid TOML: {exc}") from exc
    tool = data.get("tool")
    table = tool.get("kedro") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        if isinstance(tool, dict) and isinstance(tool.get("drupe"), dict):
            raise NotAKedroProject(
                f"{pyproject} already has [tool.drupe] and no [tool.kedro]: nothing to migrate"
            )
        raise NotAKedroProject(f"{pyproject} has no [tool.kedro] table: not a Kedro project")
    return table


def _read(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as stream:
        return stream.read()


def _walk(top: Path) -> Iterator[Path]:
    if not top.is_dir() or top.is_symlink():
        return
    for folder, dirs, files in os.walk(top, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            if path.stat().st_size > _MAX_FILE_BYTES:
                continue
            yield path


def _python_files(root: Path, tops: list[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for top in tops:
        top = top.resolve()
        if not top.is_relative_to(root):
            continue  # a source_dir pointing outside the project is never walked
        for path in _walk(top):
            if path.suffix == ".py" and path not in seen:
                seen.add(path)
                yield path


def _catalog_files(conf: Path) -> Iterator[Path]:
    for path in _walk(conf):
        relative = path.relative_to(conf).as_posix()
        parts = relative.split("/")
        if path.suffix in (".yml", ".yaml") and any(p.startswith("catalog") for p in parts[1:]):
            yield path


def kedro_imports_left(plan: Plan) -> bool:
    """Whether any Python file of the plan still imports kedro after the rewrite (for tests)."""
    import ast

    for change in plan.changes:
        if change.path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(change.new)):
            if isinstance(node, ast.ImportFrom) and is_kedro_module(node.module):
                return True
    return False
