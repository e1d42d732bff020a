"""`drupe`: the ``drupe`` command in a fresh process, as a user runs it.

Any test module can import it: ``tests/`` is on ``sys.path`` because the root
conftest lives there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def drupe(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m drupe ARGS`` in ``cwd``, its output captured; ``env`` adds variables."""
    return subprocess.run(
        [sys.executable, "-m", "drupe", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
    )
