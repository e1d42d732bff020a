"""Reading a project's ``[tool.drupe]`` table: what makes a folder a drupe project.

A folder is a project root when its ``pyproject.toml`` *parses* to a document
with a ``[tool.drupe]`` table; a comment or a string that merely mentions
the table does not count. The table is validated here, once, so every later
step (bootstrap, settings, workers) can trust the `drupe.Project` it gets.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from drupe import Project, ProjectError, cached_parse
from drupe_project import memo

#: Every key ``[tool.drupe]`` may hold, with what it means (shown when a key is unknown).
KNOWN_KEYS: Mapping[str, str] = {
    "package_name": "the importable package of the project's code (required)",
    "project_name": "a human name for the project (default: the package name)",
    "source_dir": "the folder that holds the package, relative to the root (default: src)",
    "disable_plugins": "plugins never loaded for this project (read by the kernel)",
}

DEFAULT_SOURCE_DIR = "src"


def find_project(start: Path) -> Project | None:
    """The project containing ``start``: the first ``pyproject.toml`` with ``[tool.drupe]`` upwards.

    ``start`` may be a folder or a file inside the project. Returns ``None``
    when no folder from ``start`` up to the filesystem root is a project.
    Raises `drupe.ProjectError` when the project found has invalid metadata:
    a broken project is never silently skipped in favour of an outer one.
    """
    # Absolute but not normalised: "link/.." must follow the link before going up.
    # (No getcwd for an absolute start: a long-lived process's folder may be gone.)
    key = os.path.expanduser(os.fspath(start))
    if not os.path.isabs(key):
        key = os.path.join(os.getcwd(), key)
    known = memo.recall(key)
    if known is not None:
        return known
    began_ns = time.time_ns()
    start_mark = memo.folder_mark(key)
    start = Path(key).resolve()
    if start.is_file():
        start = start.parent
    looked_at: list[str] = []
    for folder in _upwards(start):
        pyproject = folder / "pyproject.toml"
        looked_at.append(str(pyproject))
        table = _drupe_table(pyproject)
        if table is not None:
            source_value = table.get("source_dir", DEFAULT_SOURCE_DIR)
            source = os.path.join(folder, source_value) if isinstance(source_value, str) else ""
            source_mark = memo.folder_mark(source) if source else None
            project = _project_from_table(folder, table)
            memo.keep(
                key,
                project,
                folders=[(key, start_mark), (source, source_mark)],
                pyprojects=looked_at,
                began_ns=began_ns,
            )
            return project
    return None


def _upwards(start: Path) -> Iterator[Path]:
    """``start`` and its parents, made one at a time (a project is usually found at once).

    ``(start, *start.parents)`` builds every parent up front through
    pathlib's slow ``Sequence`` protocol: a few percent of a whole session.
    """
    folder = start
    while True:
        yield folder
        parent = folder.parent
        if parent == folder:
            return
        folder = parent


def find_kedro_root(start: Path) -> Path | None:
    """The closest folder from ``start`` upwards whose ``pyproject.toml`` has ``[tool.kedro]``.

    Used only on the error path (no drupe project was found), to tell a user
    who brought a Kedro project how to migrate it instead of "not found".
    """
    start = Path(start).expanduser().resolve()
    if start.is_file():
        start = start.parent
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        try:
            text = pyproject.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "kedro" not in text:
            continue
        try:
            tool = _parse_toml(text).get("tool")
        except ValueError:
            continue
        if isinstance(tool, dict) and isinstance(tool.get("kedro"), dict):
            return folder
    return None


def kedro_hint(root: Path) -> str:
    """The one line that tells how to migrate the Kedro project at ``root``."""
    return (
        f"{root} is a Kedro project ([tool.kedro] in pyproject.toml), not a drupe project yet: "
        f"run `drupe migrate kedro {root}` (add --dry-run to see the changes first; "
        f"docs/migrating-from-kedro.md explains what changes)"
    )


def read_project(root: Path) -> Project:
    """The project whose root is exactly ``root`` (no walking up); `ProjectError` if none."""
    root = Path(root).expanduser().resolve()
    pyproject = root / "pyproject.toml"
    table = _drupe_table(pyproject)
    if table is None:
        if pyproject.is_file() and find_kedro_root(root) == root:
            raise ProjectError(kedro_hint(root))
        where = "does not exist" if not pyproject.is_file() else "has no [tool.drupe] table"
        raise ProjectError(
            f"{root} is not a drupe project root: {pyproject} {where}. Pass the folder that "
            f"holds the project's pyproject.toml, or use find_project(path) to search upwards"
        )
    return _project_from_table(root, table)


def _drupe_table(pyproject: Path) -> dict[str, Any] | None:
    """The parsed ``[tool.drupe]`` table of one file, or ``None`` when it has none."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "drupe" not in text:
        return None  # cheap pre-check: no table could be named without the word
    try:
        data = _parse_toml(text)
    except ValueError as exc:
        raise ProjectError(f"{pyproject} is not valid TOML: {exc}; fix the file") from exc
    tool = data.get("tool")
    table = tool.get("drupe") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ProjectError(f"{pyproject}: tool.drupe must be a table, got {table!r}")
    return table


def _parse_toml(text: str) -> dict[str, Any]:
    """Parse TOML text, by content through `drupe.cached_parse`: a later run skips tomllib."""

    def fresh(data: bytes) -> dict[str, Any]:
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10 only
            import tomli as tomllib
        return tomllib.loads(data.decode("utf-8"))

    parsed: dict[str, Any] = cached_parse(text.encode("utf-8"), "toml:1", fresh)
    return parsed


def _project_from_table(root: Path, table: Mapping[str, Any]) -> Project:
    where = f"{root / 'pyproject.toml'} [tool.drupe]"
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        import difflib

        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, list(KNOWN_KEYS), n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        known = ", ".join(f"{k} ({v})" for k, v in KNOWN_KEYS.items())
        raise ProjectError(f"{where}: unknown key {', '.join(hints)}; known keys: {known}")

    package_name = table.get("package_name")
    if package_name is None:
        raise ProjectError(
            f'{where} has no package_name: add package_name = "your_package" (the package '
            f"under {table.get('source_dir', DEFAULT_SOURCE_DIR)}/ that holds the project's code)"
        )
    problem = package_name_problem(package_name)
    if problem:
        raise ProjectError(f"{where}: package_name {package_name!r} {problem}")

    project_name = table.get("project_name", package_name)
    if not isinstance(project_name, str) or not project_name.strip():
        raise ProjectError(
            f"{where}: project_name must be a non-empty string, got {project_name!r}"
        )

    source_value = table.get("source_dir", DEFAULT_SOURCE_DIR)
    if not isinstance(source_value, str) or not source_value.strip():
        raise ProjectError(
            f"{where}: source_dir must be a folder name relative to the project root, "
            f"got {source_value!r}"
        )
    source_dir = (root / source_value).resolve()
    if not source_dir.is_relative_to(root):
        raise ProjectError(
            f"{where}: source_dir {source_value!r} resolves to {source_dir}, outside the project "
            f"root {root}; keep the project's code inside the project"
        )
    if not source_dir.is_dir():
        raise ProjectError(
            f"{where}: source_dir {source_value!r} does not exist ({source_dir}); create it or "
            f"set source_dir to the folder that holds {package_name}/"
        )

    disabled = table.get("disable_plugins", [])
    if not isinstance(disabled, list) or not all(isinstance(n, str) for n in disabled):
        raise ProjectError(
            f"{where}: disable_plugins must be a list of plugin names, got {disabled!r}"
        )
    return Project(
        package_name=package_name,
        root=root,
        project_name=project_name,
        source_dir=source_dir,
        metadata=dict(table),
    )


def package_name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a package name (a phrase), or ``None`` when it can.

    Dotted names are accepted (``company.project``); each part must be a
    Python identifier that is not a keyword.
    """
    import keyword

    if not isinstance(name, str):
        return f"must be a string, not {type(name).__name__}"
    if not name:
        return "is empty"
    for part in name.split("."):
        if not part:
            return "has an empty part between dots"
        if "-" in part:
            return "contains '-', which Python cannot import: use '_' instead"
        if part[0].isdigit():
            where = "starts" if part == name else f"has a part ({part!r}) starting"
            return f"{where} with a digit, which Python cannot import"
        if not part.isidentifier():
            bad = sorted({c for c in part if not (c.isalnum() or c == "_")})
            return (
                f"contains characters Python cannot import ({''.join(bad)!r}): use letters, "
                f"digits and '_'"
            )
        if keyword.iskeyword(part):
            return f"uses the Python keyword {part!r}, which cannot be imported as a name"
    top = name.split(".")[0]
    if top in sys.stdlib_module_names:
        return f"is the name of a standard-library module ({top}): the project would shadow it"
    return None
