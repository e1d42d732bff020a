"""`Project`: what the kernel knows about a project on disk.

The kernel never finds or reads a project itself; the plugin answering
``find_project`` builds this value. It is frozen because every session, run
and worker process shares it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from drupe.frozen import Frozen


def _freeze(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


class Project(Frozen):
    """An immutable description of a project.

    Attributes:
        root: the project's root folder (the one holding ``pyproject.toml``),
            or ``None`` for a packaged project configured by name only.
        package_name: the importable package of the project's code.
        project_name: a human name for the project (defaults to the package).
        source_dir: the folder put on ``sys.path`` to import the package.
        metadata: the whole ``[tool.drupe]`` table as read, read-only.
    """

    _fields = ("package_name", "root", "project_name", "source_dir", "metadata")
    __slots__ = _fields
    __match_args__ = _fields  # as attrs gave positional fields: `case Project(name):`

    package_name: str
    root: Path | None
    project_name: str
    source_dir: Path | None
    metadata: Mapping[str, Any]

    def __init__(
        self,
        package_name: str,
        root: Path | None = None,
        project_name: str | None = None,
        source_dir: Path | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        self._set(
            package_name=package_name,
            root=root,
            project_name=package_name if project_name is None else project_name,
            source_dir=source_dir,
            metadata=_freeze(metadata if metadata is not None else {}),
        )
