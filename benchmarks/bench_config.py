"""Config loading speed: drupe's loader against the libyaml parse floor and Kedro.

Generates a tree of 2 environments x 200 parameter files x 50 nested keys
(20,000 keys), then prints medians of:

* the parse floor: reading and parsing every file with ``yaml.CSafeLoader``;
* drupe: a new loader reading ``parameters`` (parse, merge, resolve);
* Kedro's ``OmegaConfigLoader`` on the same tree, when ``kedro`` is importable;
* a per-run derivation: ``with_runtime_params(...)["parameters"]`` on a loader
  that already parsed the tree (what a ``ServiceSession`` does per run).

Targets (issue 4): >= 10x faster than Kedro, within 1.5x of the parse floor,
per-run derivation <= 1 ms.

    python benchmarks/bench_config.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

FILES, KEYS = 200, 50


def write_tree(conf: Path, files: int = FILES) -> None:
    """``files`` files per env, each one top-level group of 50 leaves nested 3 levels deep."""
    for env, scale in (("base", 1), ("local", 2)):
        folder = conf / env / "parameters"
        folder.mkdir(parents=True)
        for index in range(files):
            lines = [f"group_{index}:"]
            for section in range(KEYS // 10):
                lines.append(f"  section_{section}:")
                for leaf in range(10):
                    value = (index * KEYS + section * 10 + leaf) * scale
                    lines.append(f"    key_{leaf}: {{value: {value}, rate: {value}e-3}}")
            (folder / f"params_{index}.yml").write_text("\n".join(lines) + "\n")


def median_seconds(function: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def drupe_parameters(conf: Path) -> Any:
    """What a session does with the tree: a new loader, ``parameters`` parsed and merged."""
    from drupe_config import ConfigLoader

    return ConfigLoader.from_arguments(conf_source=conf, env="local")["parameters"]


def kedro_parameters(conf: Path) -> Any:
    """The same with Kedro's ``OmegaConfigLoader`` (only where Kedro is installed)."""
    from kedro.config import OmegaConfigLoader

    loader = OmegaConfigLoader(
        conf_source=str(conf), env="local", base_env="base", default_run_env="local"
    )
    return loader["parameters"]


def main() -> None:
    from drupe_config import ConfigLoader

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with tempfile.TemporaryDirectory() as folder:
        conf = Path(folder) / "conf"
        write_tree(conf)
        paths = sorted(conf.rglob("*.yml"))

        def parse_floor() -> None:
            for path in paths:
                yaml.load(path.read_bytes(), Loader=loader_class)

        def drupe_load() -> Any:
            return drupe_parameters(conf)

        floor = median_seconds(parse_floor, args.repeat)
        ours = median_seconds(drupe_load, args.repeat)
        print(f"tree: 2 envs x {FILES} files x {KEYS} nested keys ({len(paths)} files)")
        print(f"libyaml parse floor ({loader_class.__name__}): {floor * 1000:8.1f} ms")
        print(f"drupe ConfigLoader['parameters']:       {ours * 1000:8.1f} ms")
        print(f"  drupe / parse floor:                  {ours / floor:8.2f}x  (target <= 1.5x)")

        if importlib.util.find_spec("kedro") is None:
            print("kedro not importable: OmegaConfigLoader comparison skipped")
        else:

            def kedro_load() -> Any:
                return kedro_parameters(conf)

            theirs = median_seconds(kedro_load, max(3, args.repeat // 2))
            print(f"Kedro OmegaConfigLoader['parameters']:  {theirs * 1000:8.1f} ms")
            print(f"  Kedro / drupe:                        {theirs / ours:8.1f}x  (target >= 10x)")

        base = ConfigLoader.from_arguments(conf_source=conf, env="local")
        base["parameters"]
        counter = iter(range(10**9))

        def per_run() -> Any:
            value = next(counter)
            params = {"group_7.section_2.key_3.value": value, "run_name": f"r{value}"}
            return base.with_runtime_params(params)["parameters"]

        import logging

        logging.getLogger("drupe_config").setLevel(logging.ERROR)  # run_name is undeclared
        run = median_seconds(per_run, max(50, args.repeat * 10))
        print(f"per run with_runtime_params()['parameters']: {run * 1e6:7.1f} us (target <= 1 ms)")


if __name__ == "__main__":
    main()
