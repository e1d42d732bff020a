"""What a pipeline run costs: whole process, one in-process session, a service session.

Run by hand: ``python benchmarks/bench_run.py [--repeat 20] [--runs 2000]``.

1. Whole process: ``drupe run`` on a copy of ``examples/hello`` against the
   import floor (``python -c "import pluggy, yaml, click, attrs"``), median
   wall time of ``--repeat`` runs. Target: ``drupe run`` <= 1.5x the floor.
   With Kedro importable (never installed by this script), also ``kedro run``
   on an equivalent Kedro project generated here. Target: >= 5x faster.
2. In process: ``Session.create() + run() + close()`` of a 3-node pipeline
   (hello, store disabled and enabled), median per iteration. Target: <= 2 ms.
3. ``ServiceSession.run()`` of the same pipeline, runs per second. Target:
   >= 25x Kedro's (Kedro measured at 8.2 ms a run, i.e. 122 runs/s: the
   target is 3050 runs/s).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
FLOOR = "import floor (pluggy, yaml, click, attrs)"
KEDRO_RUN_SECONDS = 0.0082  # a KedroServiceSession run, measured by the author


def median_wall(argv: list[str], cwd: Path, repeat: int) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)  # warm caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def median_call(function: Callable[[], object], repeat: int) -> float:
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


KEDRO_PROJECT = {
    "pyproject.toml": """
[project]
name = "hello_kedro"
version = "0.1.0"

[tool.kedro]
package_name = "hello_kedro"
project_name = "hello_kedro"
kedro_init_version = "{version}"
source_dir = "src"
""",
    "src/hello_kedro/__init__.py": "",
    "src/hello_kedro/settings.py": "",
    "src/hello_kedro/pipeline_registry.py": """
from kedro.pipeline import Pipeline, node


def make_greeting(greeting, name):
    return f"{greeting}, {name}"


def shout(message, times):
    return message.upper() + "!" * times


def measure(message):
    return {"characters": len(message), "words": len(message.split())}


def register_pipelines():
    greet = Pipeline([
        node(make_greeting, ["params:greeting", "params:name"], "greeting", name="greet"),
        node(shout, ["greeting", "params:times"], "loud_greeting", name="shout"),
        node(measure, "loud_greeting", "stats", name="measure"),
    ])
    return {"__default__": greet}
""",
    "conf/base/parameters.yml": "greeting: Hello\nname: drupe\ntimes: 3\n",
    "conf/base/catalog.yml": "",
    "conf/local/.gitkeep": "",
}


def kedro_project(where: Path) -> Path | None:
    if importlib.util.find_spec("kedro") is None:
        return None
    import kedro  # type: ignore[import-not-found]

    root = where / "hello_kedro"
    for relative, content in KEDRO_PROJECT.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content.replace("{version}", kedro.__version__), encoding="utf-8")
    return root


def whole_process(work: Path, repeat: int) -> None:
    hello = work / "hello"
    shutil.copytree(ROOT / "examples/hello", hello, ignore=shutil.ignore_patterns(".drupe"))
    drupe = shutil.which("drupe")
    results = {
        FLOOR: median_wall([PY, "-c", "import pluggy, yaml, click, attrs"], work, repeat),
        "drupe run (examples/hello)": median_wall(
            [drupe, "run"] if drupe else [PY, "-m", "drupe", "run"], hello, repeat
        ),
    }
    kedro_root = kedro_project(work)
    if kedro_root is not None and shutil.which("kedro"):
        results["kedro run (equivalent project)"] = median_wall(
            ["kedro", "run"], kedro_root, repeat
        )
    floor = results[FLOOR]
    print(f"1. whole process, median of {repeat} runs (ratio to the import floor)")
    for name, seconds in results.items():
        print(f"   {name:<42} {seconds * 1000:8.1f} ms  {seconds / floor:5.2f}x")
    ratio = results["drupe run (examples/hello)"] / floor
    print(
        f"   drupe run / floor = {ratio:.2f} (target <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'})"
    )
    if "kedro run (equivalent project)" in results:
        speedup = results["kedro run (equivalent project)"] / results["drupe run (examples/hello)"]
        print(f"   kedro run / drupe run = {speedup:.1f}x (target >= 5)")
    else:
        print("   kedro not importable: no kedro comparison (not installed by this script)")


def in_process(work: Path, repeat: int, runs: int) -> None:
    import drupe

    hello = work / "hello"
    os.chdir(hello)

    def session_no_store() -> None:
        with drupe.Session.create(save_on_close=False) as session:
            session.run()

    def session_with_store() -> None:
        with drupe.Session.create() as session:
            session.run()

    no_store = median_call(session_no_store, repeat)
    with_store = median_call(session_with_store, repeat)
    print(f"2. Session create+run+close, median of {repeat} (target <= 2 ms)")
    print(f"   save_on_close=False  {no_store * 1000:7.2f} ms")
    print(f"   with the store       {with_store * 1000:7.2f} ms")

    service = drupe.ServiceSession.create()
    try:
        for _ in range(50):
            service.run()
        rates = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(runs):
                service.run()
            rates.append(runs / (time.perf_counter() - started))
        with_params = []
        for _ in range(3):
            started = time.perf_counter()
            for i in range(runs):
                service.run(runtime_params={"times": i % 5})
            with_params.append(runs / (time.perf_counter() - started))
    finally:
        service.close()
    rate = statistics.median(rates)
    target = 25 / KEDRO_RUN_SECONDS
    print(f"3. ServiceSession.run(), median of 5 x {runs} runs (target >= {target:.0f}/s)")
    print(f"   no runtime params    {rate:8.0f} runs/s ({1000 / rate:.3f} ms a run)")
    print(f"   with runtime params  {statistics.median(with_params):8.0f} runs/s")
    print(f"   vs Kedro's 8.2 ms a run: {rate * KEDRO_RUN_SECONDS:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        whole_process(work, args.repeat)
        in_process(work, args.repeat * 5, args.runs)


if __name__ == "__main__":
    main()
