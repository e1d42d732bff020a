"""drupe's bundled ``dask`` plugin: run a pipeline's nodes on a ``dask.distributed`` cluster.

Entry point ``dask`` in the ``drupe.plugins`` group; its dependencies come
with the extra ``drupe[dask]``. It adds:

* the runner ``dask`` (``drupe run --runner dask``, ``session.run(runner="dask")``,
  or ``RUNNER = "dask"`` in settings), through the pipeline plugin's
  ``pipeline_runners`` hook: each node is one Dask task, run on a worker as
  soon as its inputs exist; with no scheduler address a `LocalCluster` of
  processes is started for the run and closed after it;
* the settings option ``DASK_RUNNER_ARGS`` and the environment variable
  ``DRUPE_DASK_ADDRESS``;
* ``drupe dask local``: a scheduler and workers in the foreground, for development.

It never imports the pipeline plugin (the run comes as a `TaskGraph` of
picklable tasks), and importing this package imports neither dask nor
distributed: they load when a run or a command needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import drupe
from drupe_dask.hooks import DaskPlugin

if TYPE_CHECKING:
    from drupe_dask.options import DaskOptions
    from drupe_dask.runner import DaskRunner

__getattr__, __dir__ = drupe.lazy_exports(
    __name__,
    {"DaskRunner": "drupe_dask.runner", "DaskOptions": "drupe_dask.options"},
)

__all__ = ["DaskOptions", "DaskPlugin", "DaskRunner"]
