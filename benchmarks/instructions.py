"""Instructions executed (valgrind) by drupe's start-up and sessions: figures the load cannot move.

Run by hand, from a virtual environment with drupe installed, on a machine
with ``valgrind``:

    python benchmarks/instructions.py [--python OTHER_PYTHON] [--sessions 40]

On a shared two-core machine wall-clock figures swing by 2x with the load;
the number of instructions a process executes does not (with address
randomisation off and a fixed hash seed, as here, it repeats to within a few
thousand). It is not time: a cache miss or a system call costs
more than an instruction. Read it for "did this change make drupe do less
work", next to `compare.py`'s times. Four figures, in millions of
instructions (``Ir``) on a copy of ``examples/hello``:

* the import floor (``python -c "import pluggy, yaml, click, attrs"``);
* ``drupe --help`` and ``drupe run``, whole process, after two warm-up runs
  (byte code written, the plugin scan and parsed files cached), with their
  ratio to the floor;
* one ``Session`` create+run+close in process, without and with the store:
  (cost of N+k sessions - cost of k sessions) / N, so start-up cancels out.

``--python`` measures another interpreter's drupe the same way (e.g. a
venv with an older commit installed), printed side by side.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HELLO = HERE.parent / "examples" / "hello"
FLOOR = "import pluggy, yaml, click, attrs"
COLLECTED = re.compile(r"Collected : (\d+)")

SESSIONS = """
import os, sys
import drupe
n, store = int(sys.argv[1]), sys.argv[2] == "store"
for _ in range(n):
    with drupe.Session.create(save_on_close=store) as session:
        session.run()
"""


def instructions(argv: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Instructions executed by ``argv`` (and nothing it starts), counted by callgrind."""
    # Without address randomisation (setarch -R) and with a fixed hash seed (measure's
    # environment), two counts of the same command differ by a few thousand instructions.
    fixed = ["setarch", "-R"] if shutil.which("setarch") else []
    done = subprocess.run(
        [*fixed, "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"measuring {' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def measure(python: str, sessions: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="drupe-instructions-"))
    project = work / "hello"
    shutil.copytree(HELLO, project, ignore=shutil.ignore_patterns(".drupe"))
    dropped = ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")  # byte code is written, as for a user
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["DRUPE_CACHE_DIR"] = str(work / "cache")
    env["PYTHONHASHSEED"] = "0"
    drupe = str(Path(python).with_name("drupe"))
    script = work / "sessions.py"
    script.write_text(SESSIONS, encoding="utf-8")
    for _ in range(2):  # warm-up: byte code, the plugin scan, parsed files, the store
        subprocess.run([python, drupe, "run"], cwd=project, env=env, capture_output=True)
        subprocess.run([python, str(script), "2", "store"], cwd=project, env=env)
    floor = instructions([python, "-c", FLOOR], project, env)
    run = instructions([python, drupe, "run"], project, env)
    help_ = instructions([python, drupe, "--help"], project, env)
    per_session = {}
    for kind in ("nostore", "store"):
        few = instructions([python, str(script), "5", kind], project, env)
        many = instructions([python, str(script), str(5 + sessions), kind], project, env)
        per_session[kind] = (many - few) / sessions
    shutil.rmtree(work, ignore_errors=True)
    return {
        "floor": floor / 1e6,
        "help": help_ / 1e6,
        "run": run / 1e6,
        "session": per_session["nostore"] / 1e6,
        "session-store": per_session["store"] / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="another interpreter with drupe installed, side by side")
    parser.add_argument("--sessions", type=int, default=40, help="sessions measured (default 40)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("instructions.py: valgrind is not installed (apt install valgrind)", file=sys.stderr)
        raise SystemExit(2)
    columns = {"this drupe": measure(sys.executable, args.sessions)}
    if args.python:
        # Named by its environment's folder (".../venv-base/bin/python" -> "venv-base").
        columns[Path(args.python).parent.parent.name or args.python] = measure(
            args.python, args.sessions
        )
    rows = [
        ("import floor", "floor"),
        ("drupe --help", "help"),
        ("drupe run", "run"),
        ("Session create+run+close, no store", "session"),
        ("Session create+run+close, SQLite store", "session-store"),
    ]
    names = list(columns)
    print(f"{'millions of instructions':<42}" + "".join(f"{n[-24:]:>26}" for n in names))
    for title, key in rows:
        cells = []
        for name in names:
            value = columns[name][key]
            if key in ("help", "run"):
                cells.append(f"{value:,.0f} ({value / columns[name]['floor']:.2f}x floor)")
            elif key == "floor":
                cells.append(f"{value:,.0f}")
            else:
                cells.append(f"{value:.2f}")
        print(f"{title:<42}" + "".join(f"{cell:>26}" for cell in cells))


if __name__ == "__main__":
    main()
