"""The design's hard rules about who may import what, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_FILES = sorted((ROOT / "plugins").rglob("*.py"))
KERNEL_FILES = sorted((ROOT / "kernel").rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_plugins_never_import_a_private_kernel_module() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m
            for m in imported_modules(path)
            if m.startswith("drupe.") and any(p.startswith("_") for p in m.split(".")[1:])
        )
        for path in PLUGIN_FILES
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_kernel_never_imports_a_plugin_package() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.split(".")[0].startswith("drupe_")
        )
        for path in KERNEL_FILES
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_hard_coded_plugin_list_only_entry_points() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split('[project.entry-points."drupe.plugins"]', 1)[1].split("\n[", 1)[0]
    registered = {
        line.split("=")[1].strip().strip('"').split(":")[0]
        for line in section.splitlines()
        if "=" in line
    }
    packages = {
        path.name for path in (ROOT / "plugins").iterdir() if (path / "__init__.py").exists()
    }
    assert registered == packages
