"""Rewriting a Kedro project's Python: imports, renamed names, and Kedro-only call forms.

Edits are made on the source text at positions `ast` and `tokenize` report,
so comments, formatting and everything not Kedro-specific stay as written.
A name is renamed only where it is a name (never inside strings, comments or
after a dot). The result must parse again, or the file is left unchanged and
reported.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Mapping

from drupe_migrate.plan import Report

#: ``(kedro module, name) -> (drupe module, name)``: what has a drupe equivalent.
IMPORTS: Mapping[tuple[str, str], tuple[str, str]] = {
    **{
        (module, name): ("drupe_pipeline", name)
        for module in (
            "kedro.pipeline",
            "kedro.pipeline.node",
            "kedro.pipeline.pipeline",
            "kedro.pipeline.modular_pipeline",
        )
        for name in ("Node", "node", "Pipeline", "pipeline")
    },
    **{
        ("kedro.io", name): ("drupe_pipeline", name)
        for name in ("DataCatalog", "MemoryDataset", "AbstractDataset", "DatasetError", "Version")
    },
    **{
        ("kedro.runner", name): ("drupe_pipeline", name)
        for name in ("SequentialRunner", "ThreadRunner", "ParallelRunner", "AbstractRunner")
    },
    ("kedro.framework.project", "find_pipelines"): ("drupe_pipeline", "find_pipelines"),
    ("kedro.framework.project", "configure_project"): ("drupe_project", "configure_project"),
    ("kedro.framework.startup", "bootstrap_project"): ("drupe_project", "bootstrap_project"),
    ("kedro.framework.session", "KedroSession"): ("drupe", "Session"),
    ("kedro.framework.session.session", "KedroSession"): ("drupe", "Session"),
    ("kedro.framework.hooks", "hook_impl"): ("drupe", "hookimpl"),
    ("kedro.framework.context", "KedroContext"): ("drupe", "Context"),
    ("kedro.config", "OmegaConfigLoader"): ("drupe_config", "ConfigLoader"),
}

#: Settings that only Kedro reads: drupe's plugins do these jobs themselves.
KEDRO_ONLY_SETTINGS: Mapping[str, str] = {
    "CONFIG_LOADER_CLASS": "drupe's config plugin loads configuration (CONFIG_LOADER_ARGS stays)",
    "CONTEXT_CLASS": "drupe's Context is not subclassed; use hooks to add behaviour",
    "DATA_CATALOG_CLASS": "drupe_pipeline builds the catalog",
    "SESSION_STORE_CLASS": "drupe_store records sessions (SESSION_STORE_ARGS configures it)",
}


def is_kedro_module(module: str | None) -> bool:
    return module is not None and (module == "kedro" or module.startswith("kedro."))


def rewrite_source(text: str, report: Report, *, settings: bool = False) -> str:
    """``text`` with Kedro imports and forms replaced; ``report(message, line)`` for the rest.

    ``settings``: the file is the project's ``settings.py``, whose Kedro-only
    options (`KEDRO_ONLY_SETTINGS`) are removed too.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        report(f"not valid Python ({exc.msg}), left unchanged", exc.lineno)
        return text
    source = _Source(text)
    dropped_names: set[str] = set()
    if settings:
        dropped_names = _drop_kedro_settings(tree, source, report)
    renames = _rewrite_imports(tree, source, report, dropped_names)
    _rewrite_run_calls(tree, source, report)
    result = merge_adjacent_imports(source.apply())
    if renames:
        result = rename_names(result, renames)
    try:
        ast.parse(result)
    except SyntaxError as exc:
        report(f"rewriting left invalid Python ({exc.msg}); file left unchanged", exc.lineno)
        return text
    return result


class _Source:
    """The text of one file and the edits to make, by character offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.edits: list[tuple[int, int, str]] = []

    def offset(self, lineno: int, col_bytes: int) -> int:
        line = self.lines[lineno - 1] if lineno - 1 < len(self.lines) else ""
        return self.starts[lineno - 1] + len(line.encode("utf-8")[:col_bytes].decode("utf-8"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]
        end = self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        return start, end

    def replace(self, node: ast.AST, new: str) -> None:
        start, end = self.span(node)
        self.edits.append((start, end, new))

    def remove_lines(self, node: ast.AST) -> None:
        """Remove the whole lines a statement spans (trailing comment and newline included)."""
        first, last = node.lineno, node.end_lineno  # type: ignore[attr-defined]
        self.edits.append((self.starts[first - 1], self.starts[last], ""))

    def indent_of(self, node: ast.AST) -> str:
        line = self.lines[node.lineno - 1]  # type: ignore[attr-defined]
        return line[: len(line) - len(line.lstrip())]

    def apply(self) -> str:
        text = self.text
        last = len(text) + 1
        for start, end, new in sorted(self.edits, reverse=True):
            if end > last:
                continue  # overlapping edit: keep the later one only
            text = text[:start] + new + text[end:]
            last = start
        return text


def _rewrite_imports(
    tree: ast.Module, source: _Source, report: Report, dropped: set[str]
) -> dict[str, str]:
    renames: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if is_kedro_module(alias.name):
                    report(
                        f"`import {alias.name}` has no drupe equivalent: import the drupe "
                        "names you use instead (see docs/migrating-from-kedro.md)",
                        node.lineno,
                    )
            continue
        if not isinstance(node, ast.ImportFrom) or node.level or not is_kedro_module(node.module):
            continue
        module = node.module or ""
        groups: dict[str, list[str]] = {}
        unconverted: list[str] = []
        for alias in node.names:
            local = alias.asname or alias.name
            if local in dropped:
                continue
            target = IMPORTS.get((module, alias.name))
            if target is None:
                unconverted.append(
                    alias.name if alias.asname is None else f"{alias.name} as {local}"
                )
                continue
            new_module, new_name = target
            if alias.asname is not None:
                entry = new_name if new_name == alias.asname else f"{new_name} as {alias.asname}"
            else:
                entry = new_name
                if new_name != alias.name:
                    renames[alias.name] = new_name
            groups.setdefault(new_module, []).append(entry)
        indent = source.indent_of(node)
        lines = [
            f"from {new_module} import {', '.join(names)}" for new_module, names in groups.items()
        ]
        for name in unconverted:
            report(
                f"`from {module} import {name}` has no drupe equivalent; commented out "
                "(see docs/migrating-from-kedro.md)",
                node.lineno,
            )
            lines.append(f"# drupe migrate: no drupe equivalent: from {module} import {name}")
        if not lines and not indent:
            source.remove_lines(node)
            continue
        if not lines:
            lines = ["pass  # drupe migrate: Kedro-only import removed"]
        source.replace(node, ("\n" + indent).join(lines))
    return renames


def _drop_kedro_settings(tree: ast.Module, source: _Source, report: Report) -> set[str]:
    """Remove top-level ``CONFIG_LOADER_CLASS = ...`` and the like; return the names they used."""
    used: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        kedro_only = [n for n in names if n in KEDRO_ONLY_SETTINGS]
        if not kedro_only:
            continue
        value = getattr(node, "value", None)
        if value is not None:
            used.update(n.id for n in ast.walk(value) if isinstance(n, ast.Name))
        why = "; ".join(f"{n}: {KEDRO_ONLY_SETTINGS[n]}" for n in kedro_only)
        source.replace(node, f"# drupe migrate: removed {why}")
        report(f"removed {why}", node.lineno, done=True)
    return used


def _rewrite_run_calls(tree: ast.Module, source: _Source, report: Report) -> None:
    """``session.run(pipeline_name="x")`` (Kedro 0.19) -> ``pipeline_names=["x"]``."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr != "run":
            continue
        for keyword in node.keywords:
            if keyword.arg != "pipeline_name":
                continue
            value = ast.get_source_segment(source.text, keyword.value)
            if value is None:
                report("run(pipeline_name=...): rewrite as pipeline_names=[...]", node.lineno)
                continue
            source.replace(keyword, f"pipeline_names=[{value}]")


_SIMPLE_FROM = re.compile(r"^from (drupe\w*) import ([\w, ]+)$")


def merge_adjacent_imports(text: str) -> str:
    """Join ``from drupe_x import a`` lines that follow each other into one (same module)."""
    out: list[str] = []
    for line in text.splitlines(keepends=True):
        match = _SIMPLE_FROM.match(line.rstrip("\r\n"))
        previous = _SIMPLE_FROM.match(out[-1].rstrip("\r\n")) if out else None
        if match and previous and match.group(1) == previous.group(1):
            names = [n.strip() for n in (previous.group(2) + "," + match.group(2)).split(",")]
            ending = line[len(line.rstrip("\r\n")) :]
            joined = ", ".join(dict.fromkeys(n for n in names if n))
            out[-1] = f"from {match.group(1)} import {joined}{ending}"
            continue
        out.append(line)
    return "".join(out)


def rename_names(text: str, renames: Mapping[str, str]) -> str:
    """Rename identifiers (NAME tokens not after a dot); strings and comments stay as they are."""
    lines = text.splitlines(keepends=True)
    positions: list[tuple[int, int, str, str]] = []
    previous = ""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.NAME and token.string in renames and previous != ".":
                row, col = token.start
                positions.append((row, col, token.string, renames[token.string]))
            if token.type not in (tokenize.NL, tokenize.COMMENT):
                previous = token.string
    except (tokenize.TokenError, SyntaxError):
        return text
    for row, col, old, new in sorted(positions, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[col + len(old) :]
    return "".join(lines)


MAIN_MODULE = '''"""Run {package} as ``python -m {package}`` or its console script.

Written by ``drupe migrate kedro``: the arguments are those of ``drupe run``
(``{package} --pipelines data_science`` is ``drupe run --pipelines data_science``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> Any:
    from drupe.cli.main import main as drupe_main
    from drupe_project import configure_project

    configure_project(Path(__file__).parent.name)
    return drupe_main(["run", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
'''
