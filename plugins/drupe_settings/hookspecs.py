"""The hook the settings plugin adds: how any plugin declares the settings options it reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import drupe


@drupe.hookspec
def declare_settings() -> Mapping[str, Mapping[str, Any]] | None:
    """Return the settings options your plugin reads from the project's ``settings.py``.

    A dict from option name (UPPER_CASE) to its declaration::

        {"CONFIG_LOADER_ARGS": {"type": dict, "default": {}, "doc": "..."}}

    ``type`` is a type or a tuple of types the value must be an instance of
    (leave it out to accept anything); ``default`` is the value when the
    project does not set the option (``None`` if left out); ``doc`` is one
    line shown in errors and docs. Every implementation is called; an option
    declared by no enabled plugin is an unknown option, and ``settings.py``
    setting it fails the session. Implement it with
    ``@drupe.hookimpl(optionalhook=True)`` so your plugin also loads when the
    settings plugin is disabled.
    """
