"""Optional dependencies of datasets: imported on first use, or one line naming the extra."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from types import ModuleType

from drupe_pipeline.datasets.base import DatasetError


class MissingExtraError(DatasetError):
    """A dataset needs a package that is not installed; the message names the extra."""


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or fail with one line saying which drupe extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise missing(exc.name or module, extra) from None


def missing(package: str, extra: str, what: str = "this dataset") -> MissingExtraError:
    """The error for a missing ``package`` that ``drupe[extra]`` installs.

    An ``extra`` holding brackets is another distribution's
    (``acme-datasets[toml]``) and is named as it is.
    """
    top = package.split(".")[0]
    target = extra if "[" in extra else f"drupe[{extra}]"
    return MissingExtraError(
        f"{what} needs the Python package {top!r}, which is not installed: pip install '{target}'"
    )


def check_installed(requires: Iterable[tuple[str, str]], what: str = "this dataset") -> None:
    """Fail with the one-line error if any ``(package, extra)`` is not installed (no import)."""
    for package, extra in requires:
        try:
            found = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            found = None
        if found is None:
            raise missing(package, extra, what)
