"""Errors of the serve plugin: `drupe.DrupeError` subclasses, printed by the CLI as one line."""

from __future__ import annotations

import drupe

EXTRA_HINT = "pip install 'drupe[serve]'"


class ServeError(drupe.DrupeError):
    """The HTTP service could not start (missing extra, bad option, broken pipeline registry)."""


def require_serve_extra() -> None:
    """Fail with one clear line when Starlette or uvicorn is not installed."""
    missing = []
    for module in ("starlette", "uvicorn"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ServeError(
            f"drupe serve needs {' and '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed: {EXTRA_HINT}"
        )
