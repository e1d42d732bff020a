"""``drupe new``: write a project from the templates next to this module.

The templates mirror the project's layout: ``__package__`` in a path
becomes the package name, a ``dot_`` prefix becomes ``.``, the ``.tmpl``
suffix is dropped, and ``{{name}}`` placeholders are filled in. Nothing in
the templates is executed here; they are plain text.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import drupe
from drupe import UsageError
from drupe_project.metadata import package_name_problem

TEMPLATES = Path(__file__).with_name("templates")


def new_project_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a new project (its package), or ``None``."""
    if "." in name:
        return "contains '.': a new project's package is a single name, e.g. my_project"
    problem = package_name_problem(name)
    if problem:
        return problem
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin not in (None, "namespace"):
        return (
            f"is already the name of an importable module ({spec.origin}): the project's "
            f"package would shadow it or be shadowed by it; choose another name"
        )
    return None


def create_project(name: str, directory: Path) -> Path:
    """Write a new project called ``name`` (also its package name) into ``directory``.

    ``directory`` may not exist yet or be empty; anything else is refused so
    that no file is ever overwritten. Returns the project's root.
    """
    problem = new_project_name_problem(name)
    if problem:
        raise UsageError(f"drupe new: {name!r} is not a valid project package name: it {problem}")
    root = directory.expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise UsageError(f"drupe new: {root} exists and is not a folder; choose another place")
    if root.is_dir() and any(root.iterdir()):
        raise UsageError(
            f"drupe new: {root} is not empty; drupe new never overwrites files: choose a new or "
            f"empty folder with --directory"
        )
    values = {
        "package_name": name,
        "project_name": name,
        "distribution_name": name.replace("_", "-"),
        "drupe_version": drupe.__version__,
    }
    planned = [(template, root / _target(template, name)) for template in _templates()]
    root.mkdir(parents=True, exist_ok=True)
    for template, target in planned:
        text = template.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    (root / "data").mkdir(exist_ok=True)
    return root


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*.tmpl") if p.is_file())


def _target(template: Path, package_name: str) -> Path:
    parts = []
    for part in template.relative_to(TEMPLATES).parts:
        part = part.removesuffix(".tmpl")
        if part == "__package__":
            part = package_name
        elif part.startswith("dot_"):
            part = "." + part[len("dot_") :]
        parts.append(part)
    return Path(*parts)
