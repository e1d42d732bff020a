"""How the ``drupe`` command sets up logging: levels from the flags, or the project's file.

Without a logging file, log records go to stderr as ``LEVEL name: message``
and the root logger's level follows the flags: INFO by default (so a node's
``log.info(...)`` shows), DEBUG with ``-v``, WARNING with ``-q``.

A project takes over with a `logging.config.dictConfig` YAML file: the one
named by ``DRUPE_LOGGING_CONFIG``, else ``conf/logging.yml`` in the project.
It is applied once the session knows its project; ``-v`` / ``-q`` given
explicitly still set the root level afterwards.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from drupe.errors import ConfigError

#: Names a logging configuration file that wins over the project's conf/logging.yml.
LOGGING_ENV_VAR = "DRUPE_LOGGING_CONFIG"

#: Where a project keeps its logging configuration, relative to its root.
PROJECT_LOGGING_FILE = Path("conf") / "logging.yml"

_HANDLER_NAME = "drupe-cli"


def level_for(verbose: bool, quiet: bool) -> int:
    """The root level the flags ask for: ``-q`` beats the default, ``-v`` beats ``-q``."""
    if verbose:
        return logging.DEBUG
    if quiet:
        return logging.WARNING
    return logging.INFO


def configure_default_logging(verbose: bool, quiet: bool) -> None:
    """One stderr handler on the root logger (unless the application has its own)."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level_for(verbose, quiet))


def logging_file(project_root: Path | None) -> Path | None:
    """The logging file to apply: ``$DRUPE_LOGGING_CONFIG``, else the project's, else ``None``."""
    named = os.environ.get(LOGGING_ENV_VAR, "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(
                f"{LOGGING_ENV_VAR}={named!r} names no file: fix the path or unset the variable"
            )
        return path
    if project_root is not None:
        candidate = Path(project_root) / PROJECT_LOGGING_FILE
        if candidate.is_file():
            return candidate
    return None


def apply_logging_file(path: Path) -> None:
    """Configure logging from a dictConfig YAML file; one clear error when it is wrong."""
    import logging.config

    import yaml

    try:
        config: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the logging configuration {path}: {exc}") from exc
    if not isinstance(config, dict):
        raise ConfigError(
            f"{path} must hold a logging dictConfig mapping (with `version: 1`), "
            f"not {type(config).__name__}"
        )
    config.setdefault("version", 1)
    config.setdefault("disable_existing_loggers", False)
    try:
        logging.config.dictConfig(config)
    except (ValueError, TypeError, AttributeError, ImportError) as exc:
        raise ConfigError(f"{path} is not a valid logging configuration: {exc}") from exc


def configure_project_logging(
    project_root: Path | None, *, verbose: bool, quiet: bool
) -> Path | None:
    """Apply the project's logging file if there is one; return the file applied."""
    path = logging_file(project_root)
    if path is None:
        return None
    apply_logging_file(path)
    if verbose or quiet:
        logging.getLogger().setLevel(level_for(verbose, quiet))
    return path
