"""``import drupe`` has no side effects and stays cheap (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, logging, sys
before = set(sys.modules)
handlers = list(logging.getLogger().handlers)
import drupe
new = sorted(set(sys.modules) - before)
print(json.dumps({"new": new, "handlers": len(logging.getLogger().handlers) - len(handlers)}))
"""


def test_import_drupe_imports_no_plugin_no_click_and_sets_up_no_logging() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    data = json.loads(done.stdout)
    new = data["new"]
    assert not [m for m in new if m.startswith("drupe_")], new
    for heavy in ("click", "yaml", "importlib_metadata", "sqlite3", "multiprocessing", "pytest"):
        assert heavy not in new, f"import drupe pulled in {heavy}"
    assert data["handlers"] == 0
