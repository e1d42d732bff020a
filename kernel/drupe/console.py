"""The ``drupe`` program (console script, ``python -m drupe``), started without wasted GC work.

Starting the CLI builds tens of thousands of objects that live as long as
the process (modules, classes, click commands, the plugin manager) and
almost no garbage. CPython's cyclic collector walks them again and again
while they are built, and once more when the interpreter exits. So, when
drupe *is* the program:

1. `main` turns the collector off before it imports the CLI;
2. `startup_done` -- called once the CLI's plugin manager is built, which
   every command needs before it does its own work (a run's nodes, a
   server's requests) -- freezes what exists (`gc.freeze`: collections skip
   it from then on) and turns the collector back on, so project code and
   long commands run with the collector as usual;
3. `main` freezes again on the way out, so the collection at exit skips
   everything.

``benchmarks/instructions.py``: ``drupe run`` on examples/hello went from
462M to 422M instructions (the import floor is 329M), and used about 15%
less CPU: the collector's walk chases pointers, which costs more than its
instruction count says.

Only for the process's entry point: frozen objects are never collected, so
code that calls the CLI inside a longer-lived process calls
`drupe.cli.main.main`, which leaves the collector alone.
"""

from __future__ import annotations

import gc

#: Whether this process's collector is off because `main` is still starting up.
_starting = False


def main(argv: list[str] | None = None) -> None:
    """Run the ``drupe`` command line as this process's program."""
    global _starting
    if gc.isenabled():
        gc.disable()
        _starting = True
    try:
        from drupe.cli.main import main as run_cli

        run_cli(argv)
    finally:
        startup_done()
        gc.freeze()


def startup_done() -> None:
    """Start-up is over: freeze what it built and turn the collector back on (once)."""
    global _starting
    if _starting:
        _starting = False
        gc.freeze()
        gc.enable()


__all__ = ["main", "startup_done"]
