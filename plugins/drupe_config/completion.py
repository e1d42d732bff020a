"""Shell completion of ``drupe run --env``: the environments of the project's ``conf/``.

The kernel owns the ``--env`` option and asks the ``complete_option`` hook
for its values; this plugin knows the layout, so it answers: the folders of
``conf/`` other than ``base``, in the nearest folder (from ``--project`` or
the current one, upwards) that has both a ``pyproject.toml`` and a
``conf/``. Only the file system is read: no session, nothing imported.
"""

from __future__ import annotations

from pathlib import Path


def env_names(project_path: Path | None) -> list[str]:
    """The environment folders of the project around ``project_path`` (default: here)."""
    start = (project_path or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        conf = folder / "conf"
        if (folder / "pyproject.toml").is_file() and conf.is_dir():
            return sorted(p.name for p in conf.iterdir() if p.is_dir() and p.name != "base")
    return []
