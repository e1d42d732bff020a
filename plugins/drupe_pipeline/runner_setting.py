"""The settings option ``RUNNER``: which runner a run gets when it names none.

Kept apart from the runners so declaring it (every session, every
``drupe`` command) imports nothing heavy.
"""

from __future__ import annotations

from typing import Any

#: The settings option that names the default runner.
RUNNER_SETTING = "RUNNER"

DECLARATION: dict[str, dict[str, Any]] = {
    RUNNER_SETTING: {
        "type": (str, type(None)),
        "default": None,
        "doc": (
            "The runner used when a run names none (drupe_pipeline): sequential, thread, "
            "parallel, a runner another plugin adds (dask) or a dotted path."
        ),
    }
}
