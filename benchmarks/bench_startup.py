"""Start-up cost of drupe against the floor of importing its dependencies.

Run by hand: ``python benchmarks/bench_startup.py [--repeat 30]``.

Prints the median wall time of each command over ``--repeat`` runs and the
ratio to the import floor (``python -c "import pluggy, yaml, click, attrs"``,
the libraries any tool of this kind loads). Target: ``drupe --help`` within
1.2x of the import floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PY = sys.executable
FLOOR = "import floor (pluggy, yaml, click, attrs)"


def commands() -> dict[str, list[str]]:
    # The console script of this interpreter's environment, not whichever is first on PATH.
    script = Path(sys.executable).with_name("drupe")
    drupe = str(script) if script.exists() else None
    return {
        "python -c pass": [PY, "-c", "pass"],
        FLOOR: [
            PY,
            "-c",
            "import pluggy, yaml, click, attrs",
        ],
        "python -c 'import drupe'": [PY, "-c", "import drupe"],
        "drupe --help": [drupe, "--help"] if drupe else [PY, "-m", "drupe", "--help"],
    }


def median_seconds(argv: list[str], repeat: int) -> float:
    # Byte-code caching on, as for any installed package: the warm-up run writes the
    # .pyc files (an environment with PYTHONDONTWRITEBYTECODE=1 would otherwise
    # recompile drupe's modules on every start while the dependencies' are cached).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(argv, env=env, capture_output=True, check=True)  # warm caches, write .pyc
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    results = {name: median_seconds(argv, args.repeat) for name, argv in commands().items()}
    floor = results[FLOOR]
    print(f"median of {args.repeat} runs; ratio against the import floor")
    for name, seconds in results.items():
        print(f"  {name:<45} {seconds * 1000:8.1f} ms   {seconds / floor:5.2f}x")
    ratio = results["drupe --help"] / floor
    verdict = "meets" if ratio <= 1.2 else "misses"
    print(f"drupe --help is {ratio:.2f}x the import floor: {verdict} the 1.2x target")


if __name__ == "__main__":
    main()
