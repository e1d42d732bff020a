"""`drupe`: the ``drupe`` command in a fresh process, as a user runs it.

Any test module can import it: ``tests/`` is on ``sys.path`` because the root
conftest lives there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path


def drupe(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    unset: Iterable[str] = (),
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``python -m drupe ARGS`` in ``cwd``, its output captured.

    ``env`` adds variables; ``unset`` names variables of this process the
    command must not see (``DRUPE_ENV``, ``DRUPE_DISABLE_PLUGINS`` set by a CI
    job would change what a test checks).
    """
    full_env = {k: v for k, v in os.environ.items() if k not in set(unset)}
    full_env.update({"PYTHONDONTWRITEBYTECODE": "1", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "drupe", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )
