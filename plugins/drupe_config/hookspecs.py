"""The hook the config plugin adds: plugins contribute interpolation resolvers.

Registered into each session's plugin manager through ``add_hookspecs``.
Because the config plugin may be disabled (another plugin can answer
``create_config_loader``), implement this hook with
``@drupe.hookimpl(optionalhook=True)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import drupe


@drupe.hookspec
def config_resolvers() -> Mapping[str, Callable[..., Any]] | None:
    """Return resolvers to use in ``${name:arg, ...}`` interpolations, as ``{name: callable}``.

    Called once for each loader the config plugin creates (a service session's
    runs share it). The callable receives the interpolation's arguments,
    typed like YAML 1.2 scalars (quoted arguments stay strings), and returns
    the value. Resolvers live in the loader that asked for them, never in a
    process-global registry, so two sessions in one process can use
    different ones. A name already used by a built-in resolver (``globals``,
    ``runtime_params``, ``env``) or by another plugin is an error.
    """
