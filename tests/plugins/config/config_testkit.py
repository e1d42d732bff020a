"""Helpers shared by the config plugin's tests: write conf trees, build sessions on them."""

from __future__ import annotations

import textwrap
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import drupe
import drupe_config
from drupe.testing import FunctionExecutor


def write_conf(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``{"base/parameters.yml": "...", ...}`` under ``root``; return ``root``."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")
    root.mkdir(parents=True, exist_ok=True)
    return root


def loader(conf: Path | str, *, env: str | None = None, params: Any = None, **args: Any) -> Any:
    """A loader through the plugin's own hook, with ``CONFIG_LOADER_ARGS`` = ``args``."""
    settings = types.SimpleNamespace(CONFIG_LOADER_ARGS=args) if args else None
    return drupe_config.ConfigPlugin().create_config_loader(
        project=None,
        env=env,
        conf_source=str(conf),
        runtime_params=params or {},
        settings=settings,
        plugin_manager=None,
    )


class ProjectAt:
    """Sets the session's project (no discovery plugin needed) and, optionally, its settings."""

    def __init__(self, root: Path, **settings: Any) -> None:
        self.project = drupe.Project(package_name="demo", root=root)
        self.settings = types.SimpleNamespace(**settings) if settings else None

    @drupe.hookimpl
    def before_session_create(self, spec: drupe.SessionSpec) -> None:
        spec.project = self.project

    @drupe.hookimpl
    def load_settings(self) -> Any:
        return self.settings


def echo_params() -> FunctionExecutor:
    """An executor whose run returns the run's ``context.params``."""
    return FunctionExecutor(lambda context, run: {"params": context.params})
