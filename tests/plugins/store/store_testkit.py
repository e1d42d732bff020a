"""Shared by the store tests and the subprocesses they start (run as a script).

`ProjectAt` is a real plugin standing in for the project and settings
plugins: it says where the project is and what ``SESSION_STORE_ARGS`` holds,
so these tests depend only on the kernel and drupe_store.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import drupe
import drupe_store
from drupe.testing import FunctionExecutor, StaticConfig

DEFAULT_PATHS = {"sqlite": ".drupe/sessions.db", "json": ".drupe/sessions"}


class ProjectAt:
    """Answers find_project and load_settings for a project folder."""

    def __init__(self, root: Path, store_args: dict[str, Any] | None = None) -> None:
        self.root = Path(root)
        self.store_args = store_args or {}

    @drupe.hookimpl
    def find_project(self, start: Path) -> drupe.Project:
        return drupe.Project(package_name="demo_project", root=self.root)

    @drupe.hookimpl
    def load_settings(self) -> Any:
        return SimpleNamespace(SESSION_STORE_ARGS=self.store_args)


def outputs_of(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
    return {"model": 1, "report": dict(context.params)}


def plugins_for(
    root: Path,
    backend: str = "sqlite",
    function: Callable[[drupe.Context, drupe.RunRequest], dict[str, Any]] = outputs_of,
    **store_args: Any,
) -> list[Any]:
    return [
        drupe_store.StorePlugin,
        ProjectAt(root, {"backend": backend, **store_args}),
        StaticConfig({"parameters": {"alpha": 1}}),
        FunctionExecutor(function),
    ]


def history_at(root: Path, backend: str) -> drupe_store.History:
    return drupe_store.open_history(path=Path(root) / DEFAULT_PATHS[backend], backend=backend)


def _sleeping(context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any]:
    print("running", flush=True)
    time.sleep(600)
    return {}


def main(argv: list[str]) -> None:
    mode, root, backend = argv[0], Path(argv[1]), argv[2]
    if mode == "many":  # many ROOT BACKEND COUNT: COUNT sessions, one run each
        for index in range(int(argv[3])):
            with drupe.Session.create(
                runtime_params={"index": index},
                plugins=plugins_for(root, backend),
                entry_points=False,
            ) as session:
                session.run()
    elif mode == "sleep":  # sleep ROOT BACKEND: a session whose run never ends
        with drupe.Session.create(
            plugins=plugins_for(root, backend, _sleeping), entry_points=False
        ) as session:
            print(session.session_id, flush=True)
            session.run()


if __name__ == "__main__":
    main(sys.argv[1:])
