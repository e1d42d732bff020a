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

import attrs


def _freeze(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class Project:
    """An immutable description of a project.

    Attributes:
        root: the project's root folder (the one holding ``pyproject.toml``),
            or ``None`` for a packaged project configured by name only.
        package_name: the importable package of the project's code.
        project_name: a human name for the project (defaults to the package).
        source_dir: the folder put on ``sys.path`` to import the package.
        metadata: the whole ``[tool.drupe]`` table as read, read-only.
    """

    package_name: str
    root: Path | None = attrs.field(default=None)
    project_name: str = attrs.field(
        default=attrs.Factory(lambda s: s.package_name, takes_self=True)
    )
    source_dir: Path | None = None
    metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=_freeze)

    def __reduce__(self) -> tuple[Any, ...]:
        # The read-only metadata view cannot be pickled; a worker process gets a copy.
        return (
            _rebuild,
            (self.package_name, self.root, self.project_name, self.source_dir, dict(self.metadata)),
        )


def _rebuild(
    package_name: str,
    root: Path | None,
    project_name: str,
    source_dir: Path | None,
    metadata: dict[str, Any],
) -> Project:
    return Project(
        package_name=package_name,
        root=root,
        project_name=project_name,
        source_dir=source_dir,
        metadata=metadata,
    )
