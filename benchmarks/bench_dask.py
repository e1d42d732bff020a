"""The dask runner against the sequential and parallel runners on CPU-bound nodes.

Run by hand (needs ``pip install 'drupe[dask]'``)::

    python benchmarks/bench_dask.py [--seconds 1.0] [--trivial 50]

1. Wall time of a pipeline of 8 independent CPU-bound nodes of about
   ``--seconds`` each plus a join, on ``SequentialRunner``,
   ``ParallelRunner(2)`` and the dask runner on a local cluster of 2 worker
   processes with 1 thread each (started once, outside the timing; its
   start-up time is printed apart). Target on a 2-core machine: Dask >= 1.8x
   faster than sequential.
2. Scheduling overhead per node: the dask run's wall time minus the ideal
   (8 nodes on 2 workers = 4 node-times, plus the join), divided by the 9
   nodes; and, measured directly, the wall time of ``--trivial`` no-op nodes
   in a chain (no parallelism to hide the cost) divided by their number.
   Target: <= 10 ms a node.

Timings depend on what else the machine runs: read the ratios, and rerun
when another job was busy.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

NODES = """
import time

LOOPS = {loops}


def burn(index):
    total = 0
    for i in range(LOOPS):
        total += (i * index) % 7
    return total


def join(*parts):
    return sum(parts)


def noop(x):
    return x
"""


def calibrate(seconds: float) -> int:
    """Loop count of `burn` that takes about ``seconds`` here (measured on 2 M loops)."""
    loops = 2_000_000
    started = time.perf_counter()
    total = 0
    for i in range(loops):
        total += (i * 3) % 7
    elapsed = time.perf_counter() - started
    return max(1, int(loops * seconds / elapsed))


def write_module(folder: Path, loops: int) -> None:
    (folder / "bench_dask_nodes.py").write_text(textwrap.dedent(NODES.format(loops=loops)))
    sys.path.insert(0, str(folder))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(folder), *filter(None, [os.environ.get("PYTHONPATH")])]
    )


def cpu_pipeline() -> tuple[Any, Any]:
    from bench_dask_nodes import burn, join  # type: ignore[import-not-found]

    from drupe_pipeline import DataCatalog, MemoryDataset, Pipeline, node

    nodes = [node(burn, f"seed_{i}", f"part_{i}", name=f"burn_{i}") for i in range(8)]
    nodes.append(node(join, [f"part_{i}" for i in range(8)], "total", name="join"))
    catalog = {f"seed_{i}": MemoryDataset(i + 1) for i in range(8)}
    return Pipeline(nodes), lambda: DataCatalog(dict(catalog))


def chain_pipeline(length: int) -> tuple[Any, Any]:
    from bench_dask_nodes import noop  # type: ignore[import-not-found]

    from drupe_pipeline import DataCatalog, MemoryDataset, Pipeline, node

    nodes = [node(noop, f"d{i}", f"d{i + 1}", name=f"noop_{i}") for i in range(length)]
    return Pipeline(nodes), lambda: DataCatalog({"d0": MemoryDataset(0)})


def timed(runner: Any, pipeline: Any, make_catalog: Any) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    outputs = runner.run(pipeline, make_catalog())
    return time.perf_counter() - started, outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU time of one node")
    parser.add_argument("--trivial", type=int, default=50, help="no-op nodes for the overhead")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    from drupe_dask import DaskRunner
    from drupe_pipeline import ParallelRunner, SequentialRunner
    from drupe_pipeline.runners import GraphRunner

    folder = Path(tempfile.mkdtemp(prefix="drupe-bench-dask-"))
    loops = calibrate(args.seconds)
    write_module(folder, loops)
    pipeline, make_catalog = cpu_pipeline()

    node_time, _ = timed(SequentialRunner(), *chain_like_one(pipeline, make_catalog))
    print(f"one CPU node: {node_time:.2f} s ({loops:,} loops); os.cpu_count() = {os.cpu_count()}")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average: {load} (CPU figures mean little when it exceeds the core count)")

    started = time.perf_counter()
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=None,
    )
    try:
        with Client(cluster, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=60)
        print(f"local cluster of 2 workers started in {time.perf_counter() - started:.2f} s")
        dask = GraphRunner(DaskRunner(cluster.scheduler_address, timeout=30))
        timed(dask, *chain_pipeline(4))  # warm the workers (imports, first tasks)

        results = {}
        for label, runner in (
            ("SequentialRunner", SequentialRunner()),
            ("ParallelRunner(2)", ParallelRunner(max_workers=2)),
            ("dask (2 workers)", dask),
        ):
            wall, outputs = timed(runner, pipeline, make_catalog)
            results[label] = (wall, outputs)
        expected = results["SequentialRunner"][1]
        sequential = results["SequentialRunner"][0]
        print("\n8 x CPU node + join:")
        for label, (wall, outputs) in results.items():
            assert outputs == expected, f"{label} returned {outputs}, not {expected}"
            print(f"  {label:<18} {wall:6.2f} s   {sequential / wall:4.2f}x sequential")
        dask_wall = results["dask (2 workers)"][0]
        ideal = 4 * node_time
        print(
            f"  dask target: >= 1.80x -> {sequential / dask_wall:.2f}x "
            f"({'met' if sequential / dask_wall >= 1.8 else 'NOT met'})"
        )
        overhead = max(0.0, dask_wall - ideal) / 9
        print(f"  dask overhead vs ideal (4 node-times): {overhead * 1000:.1f} ms a node")

        chain, make_chain = chain_pipeline(args.trivial)
        walls = [timed(dask, chain, make_chain)[0] for _ in range(3)]
        per_node = min(walls) / args.trivial
        print(f"\n{args.trivial} no-op nodes in a chain on dask: best of 3 {min(walls):.2f} s")
        print(
            f"  scheduling overhead: {per_node * 1000:.1f} ms a node (target <= 10 ms: "
            f"{'met' if per_node <= 0.010 else 'NOT met'})"
        )
    finally:
        cluster.close(timeout=30)


def chain_like_one(pipeline: Any, make_catalog: Any) -> tuple[Any, Any]:
    """Just ``burn_0``: the time of one CPU node on its own."""
    return pipeline.filter(node_names=["burn_0"]), make_catalog


if __name__ == "__main__":
    main()
