"""Where the time of ``drupe run`` and of a Session's create+run+close goes, measured.

Run by hand, from a virtual environment with drupe installed:

    python benchmarks/where_time_goes.py [--sessions 300] [--top 12]

Three measurements on a temporary copy of examples/hello:

1. ``python -X importtime`` of ``drupe run``: the import time (self) of the
   modules the import floor (pluggy, yaml, click, attrs) does not import,
   summed per top-level package, and the outermost imports with everything
   they pull in; against the whole process's wall time;
2. ``cProfile`` of the whole ``drupe run`` process (imports included):
   own time (``tottime``) summed per package, and the functions that cost most;
3. ``cProfile`` of ``--sessions`` in-process ``Session.create() + run() +
   close()`` (store enabled, after a warm-up session): the same breakdown.

Profiling slows Python code down more than C code, so read section 2 and 3
as shares; section 1 (``-X importtime`` adds little) gives import times.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_service  # noqa: E402

FLOOR_IMPORTS = "import pluggy, yaml, click, attrs"
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def drupe_script() -> list[str]:
    script = Path(sys.executable).with_name("drupe")
    return [str(script)] if script.exists() else ["-m", "drupe"]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def imported(argv: list[str], cwd: Path) -> list[tuple[str, int, int, int]]:
    """``-X importtime`` of a command: (module, self us, cumulative us, depth) in order."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    found = []
    for line in done.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            depth = (len(match.group(3)) - 1) // 2
            found.append((match.group(4), int(match.group(1)), int(match.group(2)), depth))
    return found


def drupe_importers(modules: list[tuple[str, int, int, int]]) -> dict[str, set[str]]:
    """For each top-level package, the drupe modules whose import brought it in.

    ``-X importtime`` prints a module after everything it imports, one level
    deeper: a line's importer is the next line one level up.
    """
    parents: list[int | None] = [None] * len(modules)
    nearest: dict[int, int] = {}
    for index in range(len(modules) - 1, -1, -1):
        depth = modules[index][3]
        parents[index] = nearest.get(depth - 1)
        nearest[depth] = index
        for deeper in [d for d in nearest if d > depth]:
            del nearest[deeper]
    found: dict[str, set[str]] = defaultdict(set)
    for index, (name, *_rest) in enumerate(modules):
        package = name.split(".")[0]
        if package.startswith("drupe"):
            continue
        parent = parents[index]
        while parent is not None and not modules[parent][0].startswith("drupe"):
            parent = parents[parent]
        if parent is not None:
            found[package].add(modules[parent][0])
    return found


def import_times(project: Path, top: int) -> None:
    argv = [*drupe_script(), "run"]
    subprocess.run([sys.executable, *argv], cwd=project, env=clean_env(), capture_output=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, *argv], cwd=project, env=clean_env(), capture_output=True)
    wall = time.perf_counter() - started
    floor = {name for name, *_ in imported(["-c", FLOOR_IMPORTS], project)}
    modules = imported(argv, project)
    by_package: dict[str, int] = defaultdict(int)
    beyond: dict[str, int] = defaultdict(int)
    for name, own, _cumulative, _depth in modules:
        by_package[name.split(".")[0]] += own
        if name not in floor:
            beyond[name.split(".")[0]] += own
    total, extra = sum(by_package.values()), sum(beyond.values())
    print(f"1. python -X importtime drupe run: {len(modules)} modules imported")
    print(f"   whole process (no -X importtime): {wall * 1000:7.1f} ms")
    print(f"   imports, self time summed:        {total / 1000:7.1f} ms")
    print(
        f"   of which modules the import floor ({FLOOR_IMPORTS}) does not import: "
        f"{len(modules) - len(floor & {m for m, *_ in modules})} modules, {extra / 1000:.1f} ms"
    )
    print("   beyond the floor, by top-level package (self time), and which module of drupe")
    print("   imported it:")
    importers = drupe_importers(modules)
    for package, micros in sorted(beyond.items(), key=lambda kv: -kv[1])[:top]:
        if package.startswith("drupe"):
            by = "(drupe's own)"
        else:
            by = ", ".join(sorted(importers.get(package, ()))) or "(imported inside a function)"
        print(f"     {package:<16} {micros / 1000:7.1f} ms  {micros / extra:6.1%}  <- {by}")
    print("   outermost imports (cumulative, with everything they import):")
    outermost = [(name, cumulative) for name, _own, cumulative, depth in modules if depth == 0]
    for module, micros in sorted(outermost, key=lambda kv: -kv[1])[:top]:
        print(f"     {module:<28} {micros / 1000:7.1f} ms")


def area(filename: str, function: str) -> str:
    """The package a profiled function belongs to (or the builtin it is)."""
    if filename == "~":
        name = function.strip("<>").replace("built-in method ", "").replace("method ", "")
        return f"builtin {name.replace(' objects', '').replace(' of ', ' of ')}"
    if filename.startswith("<frozen importlib"):
        return "import machinery (importlib)"
    if filename.startswith("<"):
        return filename
    path = Path(filename)
    parts = path.parts
    for marker in ("site-packages", "kernel", "plugins"):
        if marker in parts:
            return parts[parts.index(marker) + 1].removesuffix(".py")
    for index, part in enumerate(parts[:-1]):
        if part.startswith("python3"):
            return f"stdlib {parts[index + 1].removesuffix('.py')}"
    return path.stem


def module_of(filename: str) -> str:
    """A profiled file as a short module path: ``drupe_config/loader.py``, ``stdlib/re``."""
    parts = Path(filename).parts
    for marker in ("site-packages", "kernel", "plugins"):
        if marker in parts:
            return "/".join(parts[parts.index(marker) + 1 :])
    for index, part in enumerate(parts[:-1]):
        if part.startswith("python3"):
            return "stdlib/" + "/".join(parts[index + 1 :])
    return filename


def calls_into(raw: dict[Any, Any], packages: tuple[str, ...]) -> dict[str, float]:
    """Cumulative time of calls from outside ``packages`` into them, by calling module.

    Only the edges that enter the packages are summed, so a call that goes on
    inside them is not counted twice.
    """

    def within(key: tuple[str, int, str]) -> bool:
        return area(key[0], key[2]).removeprefix("stdlib ") in packages

    # A package's module bodies are its own import (called by the builtin exec), not a use.
    inside = {key for key in raw if within(key) and key[2] != "<module>"}
    found: dict[str, float] = defaultdict(float)
    for key in inside:
        for caller, edge in raw[key][4].items():
            if caller[0] != "~" and not within(caller):
                found[module_of(caller[0])] += edge[3]
    return found


def print_profile(stats: pstats.Stats, title: str, top: int) -> None:
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    by_area: dict[str, float] = defaultdict(float)
    for (filename, _line, function), entry in raw.items():
        by_area[area(filename, function)] += entry[2]
    print(title)
    print(f"   profiled own time, all functions: {total * 1000:8.1f} ms")
    print("   by package (own time):")
    for name, seconds in sorted(by_area.items(), key=lambda kv: -kv[1])[:top]:
        print(f"     {name:<44} {seconds * 1000:8.1f} ms  {seconds / total:6.1%}")
    print("   drupe's own functions, cumulative (with what they call):")
    ours = [
        item
        for item in raw.items()
        if area(item[0][0], item[0][2]).startswith("drupe") and item[0][2] != "<module>"
    ]
    for (filename, line, function), entry in sorted(ours, key=lambda kv: -kv[1][3])[:top]:
        where = f"{area(filename, function)}.{function}:{line}"
        print(f"     {where[:60]:<60} {entry[3] * 1000:8.1f} ms  {entry[1]:7d} calls")
    for label, packages in (
        ("regular expressions (re) compiled and matched", ("re",)),
        ("attrs classes created (attrs' decorators)", ("attr", "attrs")),
    ):
        callers = calls_into(raw, packages)
        spent = sum(callers.values())
        print(f"   {label}: {spent * 1000:.1f} ms, by calling module:")
        for module, seconds in sorted(callers.items(), key=lambda kv: -kv[1])[: top // 2]:
            print(f"     {module[:60]:<60} {seconds * 1000:8.1f} ms")
    print("   costliest functions (own time):")
    ranked = sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]
    for (filename, line, function), entry in ranked:
        where = f"{area(filename, function)}:{function}" + (f":{line}" if line else "")
        print(f"     {where[:60]:<60} {entry[2] * 1000:8.1f} ms  {entry[1]:7d} calls")


def profile_cli(project: Path, top: int) -> None:
    out = project.parent / "drupe-run.prof"
    # Twice, the first run untimed: under cProfile sys.path differs from a plain run's,
    # so the first would rescan the entry points that drupe caches per sys.path.
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-m", "cProfile", "-o", str(out), *drupe_script(), "run"],
            cwd=project,
            env=clean_env(),
            capture_output=True,
            check=True,
        )
    print_profile(pstats.Stats(str(out)), "2. cProfile of the whole `drupe run` process", top)


def profile_sessions(project: Path, sessions: int, top: int) -> None:
    import drupe

    os.chdir(project)

    def once() -> None:
        with drupe.Session.create() as session:
            session.run()

    once()  # imports, first registration, the store's schema
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in range(sessions):
        once()
    profile.disable()
    elapsed = time.perf_counter() - started
    title = (
        f"3. cProfile of {sessions} Session create+run+close (store on): "
        f"{elapsed / sessions * 1000:.2f} ms each under the profiler"
    )
    print_profile(pstats.Stats(profile), title, top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        project = bench_service.hello_copy(Path(folder))
        import_times(project, args.top)
        profile_cli(project, args.top)
        profile_sessions(project, args.sessions, args.top)


if __name__ == "__main__":
    main()
