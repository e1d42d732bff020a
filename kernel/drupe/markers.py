"""The pluggy markers for the project name ``drupe``.

Plugin authors decorate their implementations with `hookimpl`; the kernel's
specifications (and a plugin's own, added through ``add_hookspecs``) use
`hookspec`.
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "drupe"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
