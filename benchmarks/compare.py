"""Every figure of drupe's performance table in one command, next to Kedro and a baseline.

Run by hand from a virtual environment with drupe installed:

    python benchmarks/compare.py                       # this checkout's drupe alone
    KEDRO_PYTHON=/path/to/kedro-venv/bin/python python benchmarks/compare.py
    python benchmarks/compare.py --baseline-python /path/to/old-venv/bin/python
    python benchmarks/compare.py --quick               # each figure once: does it run?
    python benchmarks/compare.py --json                # the same, as one JSON document

Tools, each measured in processes of its own interpreter:

* ``drupe``: the drupe installed for the interpreter running this script;
* ``before``: a baseline drupe install (``--baseline-python`` or
  ``DRUPE_BASELINE_PYTHON``), e.g. a venv with an older commit installed;
* ``kedro``: Kedro, when ``KEDRO_PYTHON`` (or ``--kedro-python``) names an
  interpreter that has it; the equivalent Kedro project is written here,
  offline (telemetry off).

Rounds are interleaved: each round measures every tool once, in a rotating
order, so load that comes and goes on a shared machine hits all tools alike.
The table shows medians over the rounds and how many times faster drupe is
than the baseline and than Kedro (> 1: drupe is faster). Timings never fail
anything: the exit status says only whether every figure could be measured.
benchmarks/README.md explains each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROBES = HERE / "probes.py"
sys.path.insert(0, str(HERE))

import bench_config  # noqa: E402
import bench_service  # noqa: E402

MARK = "@@probe "
FLOOR_IMPORTS = "import pluggy, yaml, click, attrs"


class Refused(Exception):
    """Bad usage (an interpreter that is missing or lacks the tool): exit status 2."""


class Failed(Exception):
    """A figure could not be measured: exit status 1."""


# -- tools --------------------------------------------------------------------


@dataclass
class Tool:
    """One interpreter under test and the folders its figures work in."""

    label: str
    kind: str  # "drupe" or "kedro"
    python: Path
    version: str = ""
    home: Path = Path()
    project: Path = Path()
    store: Path = Path()

    def env(self) -> dict[str, str]:
        # PYTHONPATH could put another checkout's drupe first; bytecode caching
        # on, as for any installed package; caches of this tool's own.
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")
        }
        env["DRUPE_CACHE_DIR"] = str(self.home / "cache")
        if self.kind == "kedro":
            env["KEDRO_DISABLE_TELEMETRY"] = "1"  # offline, and no network in the timings
            env["DO_NOT_TRACK"] = "1"
        return env

    def command(self, *args: str) -> list[str]:
        """The tool's console script next to its interpreter (``python -m`` without one)."""
        script = self.python.with_name(self.kind)
        if script.exists():
            return [str(script), *args]
        return [str(self.python), "-m", self.kind, *args]

    def timed(self, argv: list[str], cwd: Path) -> float:
        """Wall seconds of one whole process."""
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, env=self.env(), capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise Failed(
                f"{self.label}: `{' '.join(argv)}` exited {done.returncode}: "
                f"{last_line(done.stderr or done.stdout)}"
            )
        return elapsed

    def probe(self, figure: str, path: Path, *options: str) -> dict[str, Any]:
        """Run one figure of probes.py in this tool's interpreter; its JSON answer."""
        argv = [str(self.python), str(PROBES), figure, self.kind, str(path), *options]
        done = subprocess.run(argv, cwd=self.home, env=self.env(), capture_output=True, text=True)
        answers = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
        if done.returncode != 0 or not answers:
            raise Failed(
                f"{self.label}: probe {figure} exited {done.returncode}: "
                f"{last_line(done.stderr or done.stdout)}"
            )
        answer: dict[str, Any] = json.loads(answers[-1][len(MARK) :])
        return answer


def last_line(text: str) -> str:
    """The line that says what went wrong: a traceback's exception line, else the last one."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"[\w.]+(Error|Exception|Exit)\b.*:", line)]
    return errors[-1] if errors else lines[-1] if lines else "(no output)"


def checked_tool(label: str, kind: str, python: str, origin: str) -> Tool:
    """The tool at ``python``, refused with one line when it cannot be used."""
    path = Path(python)
    fix = (
        "point it at a Python that has Kedro (python3 -m venv V && V/bin/pip install kedro)"
        if kind == "kedro"
        else "point it at a Python that has drupe (python3 -m venv V && V/bin/pip install CHECKOUT)"
    )
    if not path.is_file():
        raise Refused(f"{origin}={python}: no such file: {fix}")
    done = subprocess.run(
        [python, "-c", f"import {kind}; print({kind}.__version__)"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    if done.returncode != 0:
        raise Refused(f"{origin}={python}: cannot import {kind} there: {fix}")
    return Tool(label=label, kind=kind, python=path, version=done.stdout.strip())


# -- settings -------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How much each figure does: full figures, or the smallest that still runs (--quick)."""

    quick: bool
    repeat: int
    session_iterations: int = 100
    service_runs: int = 1000
    pool_runs: int = 1000
    rss_warmup: int = 1000
    rss_runs: int = 10_000
    config_iterations: int = 3
    sessions: int = 100_000

    @classmethod
    def of(cls, args: argparse.Namespace) -> Settings:
        if args.quick:
            return cls(
                quick=True,
                repeat=1,
                session_iterations=1,
                service_runs=4,
                pool_runs=4,
                rss_warmup=2,
                rss_runs=10,
                config_iterations=1,
                sessions=20,
            )
        return cls(quick=False, repeat=args.repeat, rss_runs=args.rss_runs)

    def runs(self, tool: Tool, runs: int) -> int:
        """Kedro runs take ~30x longer: a tenth as many still gives a steady rate."""
        return max(runs // 10, 4) if tool.kind == "kedro" and not self.quick else runs


# -- figures --------------------------------------------------------------------


@dataclass
class Work:
    """Everything a figure's sample needs besides the tool."""

    settings: Settings
    root: Path
    conf: Path = Path()


Sample = Callable[[Tool, Work], float]


@dataclass
class Figure:
    key: str
    title: str
    unit: str  # "ms", "runs/s" or "MiB"
    sample: Sample
    kinds: tuple[str, ...] = ("drupe", "kedro")
    better: str = "lower"  # "lower", "higher", or "" for no ratio
    once: bool = False  # one sample whatever --repeat says (a long, steady figure)
    warm_up: bool = False  # an untimed first round: .pyc files written, OS caches warm
    needs: tuple[str, ...] = ()  # "conf", "store": set-up done only when asked for
    samples: dict[str, list[float]] = field(default_factory=dict)
    error: str = ""  # why the figure could not be measured (the others still are)


def cli(*args: str) -> Sample:
    """The tool's own command (``drupe ARGS`` or ``kedro ARGS``) in its project, whole process."""

    def sample(tool: Tool, work: Work) -> float:
        return tool.timed(tool.command(*args), tool.project) * 1000

    return sample


def import_floor(tool: Tool, work: Work) -> float:
    return tool.timed([str(tool.python), "-c", FLOOR_IMPORTS], tool.home) * 1000


def lifecycle(store: bool) -> Sample:
    def sample(tool: Tool, work: Work) -> float:
        options = ["--count", str(work.settings.session_iterations)]
        if not store:
            options.append("--no-store")
        return float(tool.probe("session", tool.project, *options)["value"]) * 1000

    return sample


def service(threads: int) -> Sample:
    def sample(tool: Tool, work: Work) -> float:
        runs = work.settings.runs(tool, work.settings.service_runs)
        answer = tool.probe(
            "service", tool.project, "--count", str(runs), "--threads", str(threads)
        )
        return float(answer["value"])

    return sample


def pool(processes: int) -> Sample:
    def sample(tool: Tool, work: Work) -> float:
        runs = work.settings.runs(tool, work.settings.pool_runs)
        answer = tool.probe(
            "pool", tool.project, "--count", str(runs), "--processes", str(processes)
        )
        return float(answer["value"])

    return sample


def rss_growth(tool: Tool, work: Work) -> float:
    settings = work.settings
    answer = tool.probe(
        "rss",
        tool.project,
        "--count",
        str(settings.rss_runs),
        "--warmup",
        str(settings.rss_warmup),
    )
    return float(answer["value"])


def config(figure: str) -> Sample:
    def sample(tool: Tool, work: Work) -> float:
        count = 1 if tool.kind == "kedro" else work.settings.config_iterations
        return float(tool.probe(figure, work.conf, "--count", str(count))["value"]) * 1000

    return sample


def yaml_floor(tool: Tool, work: Work) -> float:
    count = str(work.settings.config_iterations)
    return float(tool.probe("yaml-floor", work.conf, "--count", count)["value"]) * 1000


def sessions_list(tool: Tool, work: Work) -> float:
    return tool.timed(tool.command("sessions", "list", "--limit", "20"), tool.store) * 1000


def figures(settings: Settings) -> list[Figure]:
    drupe_only = ("drupe",)
    return [
        Figure(
            "floor",
            f"import floor: python -c '{FLOOR_IMPORTS}'",
            "ms",
            import_floor,
            kinds=drupe_only,
            better="",
            warm_up=True,
        ),
        Figure("help", "CLI --help (whole process)", "ms", cli("--help"), warm_up=True),
        Figure("run", "CLI run, 3-node project (whole process)", "ms", cli("run"), warm_up=True),
        Figure("session", "Session create+run+close, no store", "ms", lifecycle(store=False)),
        Figure(
            "session-store",
            "Session create+run+close, SQLite store",
            "ms",
            lifecycle(store=True),
            kinds=drupe_only,
        ),
        Figure("service-1", "ServiceSession.run, 1 thread", "runs/s", service(1), better="higher"),
        Figure("service-8", "ServiceSession.run, 8 threads", "runs/s", service(8), better="higher"),
        Figure(
            "pool-1", "process pool, 1 process (a session each)", "runs/s", pool(1), better="higher"
        ),
        Figure(
            "pool-2",
            "process pool, 2 processes (a session each)",
            "runs/s",
            pool(2),
            better="higher",
        ),
        Figure(
            "rss",
            f"RSS growth over {settings.rss_runs:,} service runs",
            "MiB",
            rss_growth,
            better="",
            once=True,
        ),
        Figure(
            "config", "config load, 400 files (parameters)", "ms", config("config"), needs=("conf",)
        ),
        Figure(
            "config-cold",
            "  the same, parsed-file cache off",
            "ms",
            config("config-cold"),
            needs=("conf",),
        ),
        Figure(
            "yaml-floor",
            "YAML parse floor, the same 400 files",
            "ms",
            yaml_floor,
            kinds=drupe_only,
            better="",
            needs=("conf",),
        ),
        Figure(
            "sessions-list",
            f"`sessions list --limit 20`, {settings.sessions:,} sessions",
            "ms",
            sessions_list,
            kinds=drupe_only,
            needs=("store",),
            warm_up=True,
        ),
    ]


# -- running ----------------------------------------------------------------------


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(tools: list[Tool], chosen: list[Figure], work: Work) -> None:
    """Projects, caches, the config tree and the big store, once, before any timing."""
    needs = {need for figure in chosen for need in figure.needs}
    for tool in tools:
        tool.home = work.root / tool.label
        tool.home.mkdir()
        if tool.kind == "kedro":
            tool.project = Path(tool.probe("setup-kedro", tool.home)["path"])
        else:
            tool.project = bench_service.hello_copy(tool.home)
            if "store" in needs:
                tool.store = tool.home / "big"
                progress(f"filling {tool.label}'s store with {work.settings.sessions} sessions")
                tool.probe("fill-store", tool.store, "--count", str(work.settings.sessions))
    if "conf" in needs:
        work.conf = work.root / "conf"
        # --quick checks that the figure runs: 2 x 10 files do that as well as 2 x 200.
        bench_config.write_tree(work.conf, files=10 if work.settings.quick else bench_config.FILES)


def measure(figure: Figure, tools: list[Tool], work: Work) -> None:
    """Rounds of one sample per tool, the order rotating each round."""
    own = [tool for tool in tools if tool.kind in figure.kinds]
    figure.samples = {tool.label: [] for tool in own}
    rounds = 1 if figure.once else work.settings.repeat
    warm_up = figure.warm_up and not work.settings.quick
    for round_ in range(rounds + (1 if warm_up else 0)):
        shift = round_ % len(own)
        for tool in own[shift:] + own[:shift]:
            value = figure.sample(tool, work)
            if not (warm_up and round_ == 0):
                figure.samples[tool.label].append(value)


def speedup(figure: Figure, ours: float | None, theirs: float | None) -> float | None:
    if not figure.better or ours is None or theirs is None or min(ours, theirs) <= 0:
        return None
    return theirs / ours if figure.better == "lower" else ours / theirs


def medians(figure: Figure) -> dict[str, float]:
    return {label: statistics.median(values) for label, values in figure.samples.items()}


# -- reporting --------------------------------------------------------------------


def targets(values: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """Issue 17's targets, checked against this run's medians (informative only)."""
    ours = {key: by_tool.get("drupe") for key, by_tool in values.items()}
    kedro = {key: by_tool.get("kedro") for key, by_tool in values.items()}
    checks: list[tuple[str, float | None, str, float]] = []

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    checks.append(("Session create+run+close, no store (ms)", ours.get("session"), "<=", 1.0))
    checks.append(("Session create+run+close, store (ms)", ours.get("session-store"), "<=", 2.0))
    checks.append(
        ("drupe run / import floor", ratio(ours.get("run"), ours.get("floor")), "<=", 1.3)
    )
    checks.append(
        ("drupe --help / import floor", ratio(ours.get("help"), ours.get("floor")), "<=", 1.2)
    )
    checks.append(("kedro run / drupe run", ratio(kedro.get("run"), ours.get("run")), ">=", 5.0))
    checks.append(
        (
            "ServiceSession 8 threads / 1 thread",
            ratio(ours.get("service-8"), ours.get("service-1")),
            ">=",
            1.0,
        )
    )
    checks.append(("RSS growth over 10k runs (MiB)", ours.get("rss"), "<=", 0.5))
    checks.append(
        (
            "config load, cache off / YAML parse floor",
            ratio(ours.get("config-cold"), ours.get("yaml-floor")),
            "<=",
            1.5,
        )
    )
    checks.append(
        (
            "sessions list at 100k (ms, whole process)",
            ours.get("sessions-list"),
            "<=",
            50.0 + (ours.get("help") or 0.0),
        )
    )
    found = []
    for name, value, sense, target in checks:
        if value is None:
            continue
        met = value <= target if sense == "<=" else value >= target
        found.append({"name": name, "value": value, "target": f"{sense} {target:g}", "met": met})
    return found


def number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "MiB":
        return f"{value:+.2f}"
    return f"{value:.2f}" if value < 10 else f"{value:.0f}" if value >= 1000 else f"{value:.1f}"


def table(report: dict[str, Any]) -> str:
    labels = list(report["tools"])
    ratio_labels = [label for label in labels if label != "drupe"]
    width = max(len(entry["title"]) for entry in report["figures"]) + 2
    head = f"{'figure':<{width}}{'unit':<8}" + "".join(f"{label:>10}" for label in labels)
    head += "".join(f"{'x ' + label:>11}" for label in ratio_labels)
    lines = [head, "-" * len(head)]
    for entry in report["figures"]:
        row = f"{entry['title']:<{width}}{entry['unit']:<8}"
        if entry.get("error"):
            lines.append(row + f"{'failed':>10}  (see below)")
            continue
        row += "".join(
            f"{number(entry['medians'].get(label), entry['unit']):>10}" for label in labels
        )
        for label in ratio_labels:
            value = entry["speedup"].get(label)
            row += f"{'-' if value is None else f'{value:.2f}x':>11}"
        lines.append(row)
    lines.append("")
    lines.append("x TOOL: how many times faster drupe is than TOOL (> 1: drupe is faster);")
    lines.append("ms: median wall time; runs/s: median rate; MiB: RSS after minus before.")
    for entry in report["figures"]:
        if entry.get("error"):
            lines.append(f"FAILED {entry['title']}: {entry['error']}")
    if report["targets"]:
        lines.append("")
        lines.append("issue 17's targets (this checkout's drupe; informative, never a failure):")
        for check in report["targets"]:
            verdict = "met" if check["met"] else "MISSED"
            lines.append(
                f"  {check['name']:<48} {check['value']:8.2f}  "
                f"target {check['target']:<8} {verdict}"
            )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings.of(args)
    chosen = figures(settings)
    if args.only:
        keys = {figure.key for figure in chosen}
        wanted = [key.strip() for key in args.only.split(",") if key.strip()]
        unknown = [key for key in wanted if key not in keys]
        if unknown:
            raise Refused(
                f"--only: unknown figure {', '.join(unknown)}: "
                f"choose from {', '.join(sorted(keys))}"
            )
        chosen = [figure for figure in chosen if figure.key in wanted]
    tools = [checked_tool("drupe", "drupe", sys.executable, "this interpreter")]
    baseline = args.baseline_python or os.environ.get("DRUPE_BASELINE_PYTHON")
    if baseline:
        origin = "--baseline-python" if args.baseline_python else "DRUPE_BASELINE_PYTHON"
        tools.append(checked_tool("before", "drupe", baseline, origin))
    kedro = args.kedro_python or os.environ.get("KEDRO_PYTHON")
    if kedro:
        origin = "--kedro-python" if args.kedro_python else "KEDRO_PYTHON"
        tools.append(checked_tool("kedro", "kedro", kedro, origin))

    started = time.time()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="drupe-compare-") as folder:
        work = Work(settings=settings, root=Path(folder))
        prepare(tools, chosen, work)
        for index, figure in enumerate(chosen, 1):
            progress(f"[{index}/{len(chosen)}] {figure.title}")
            try:
                measure(figure, tools, work)
            except Failed as error:
                figure.error = str(error)
                figure.samples = {}
                progress(f"    could not be measured: {error}")
    entries = []
    values: dict[str, dict[str, float]] = {}
    for figure in chosen:
        by_tool = medians(figure)
        values[figure.key] = by_tool
        ours = by_tool.get("drupe")
        entries.append(
            {
                "key": figure.key,
                "title": figure.title,
                "unit": figure.unit,
                "better": figure.better or None,
                "medians": by_tool,
                "samples": figure.samples,
                "error": figure.error or None,
                "speedup": {
                    label: speedup(figure, ours, by_tool.get(label))
                    for label in by_tool
                    if label != "drupe"
                },
            }
        )
    return {
        "quick": settings.quick,
        "rounds": settings.repeat,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.time() - started, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": list(load_before),
            "load_average_after": list(os.getloadavg()),
        },
        "tools": {
            tool.label: {"kind": tool.kind, "python": str(tool.python), "version": tool.version}
            for tool in tools
        },
        "figures": entries,
        "targets": [] if settings.quick else targets(values),
    }


def load_report(path: str) -> dict[str, Any]:
    try:
        report: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        report["figures"], report["tools"], report["machine"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise Refused(f"--show {path}: not a report saved by compare.py --json ({error})") from None
    return report


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Environment: KEDRO_PYTHON, DRUPE_BASELINE_PYTHON (as the options).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="each figure once, as small as it gets: checks that it runs",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument(
        "--rss-runs",
        type=int,
        default=10_000,
        help="service runs for the RSS figure (default 10000)",
    )
    keys = ", ".join(figure.key for figure in figures(Settings(quick=False, repeat=1)))
    parser.add_argument("--only", default="", help=f"comma-separated figure keys: {keys}")
    parser.add_argument(
        "--baseline-python",
        default="",
        help="a Python with the baseline drupe installed ('before' column)",
    )
    parser.add_argument(
        "--kedro-python", default="", help="a Python with Kedro installed (default: $KEDRO_PYTHON)"
    )
    parser.add_argument(
        "--show",
        metavar="REPORT",
        help="print the table of a report saved with --json, measuring nothing",
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    try:
        report = load_report(args.show) if args.show else run(args)
    except Refused as error:
        print(f"compare.py: {error}", file=sys.stderr)
        return 2
    except Failed as error:
        print(f"compare.py: a figure could not be measured: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        machine = report["machine"]
        tools = ", ".join(
            f"{label} {info['version']} ({info['python']})"
            for label, info in report["tools"].items()
        )
        mode = (
            "quick smoke run (timings meaningless)"
            if report["quick"]
            else (f"medians of {report['rounds']} interleaved rounds")
        )
        print(
            f"{mode}; {machine['cpus']} CPUs, Python {machine['python']}, load average "
            f"{machine['load_average_before'][0]:.1f} -> {machine['load_average_after'][0]:.1f}"
        )
        print(f"tools: {tools}")
        print()
        print(table(report))
    failed = [entry["key"] for entry in report["figures"] if entry.get("error")]
    if failed and not args.show:
        print(f"compare.py: could not measure {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
