"""The settings option ``DASK_RUNNER_ARGS`` (declared cheaply: imported on every command)."""

from __future__ import annotations

from typing import Any

OPTION = "DASK_RUNNER_ARGS"
ADDRESS_ENV = "DRUPE_DASK_ADDRESS"

DECLARATION: dict[str, dict[str, Any]] = {
    OPTION: {
        "type": dict,
        "default": {},
        "doc": (
            "Defaults of the dask runner (drupe_dask): {'address': 'tcp://host:8786' (none: a "
            "local cluster per run), 'workers': N, 'threads_per_worker': N, 'timeout': seconds}; "
            f"{ADDRESS_ENV} and --runner-option override them."
        ),
    }
}
