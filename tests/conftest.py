"""Shared by every test of drupe.

drupe's own tests use the same opt-in pytest plugin that plugin authors use,
and every test starts with no configured project and leaves the process as
it found it: the configured project (the one piece of process state the
design allows), ``sys.path``, ``PYTHONPATH`` and modules imported from the
test's temporary folder.

Nothing is written into the user's home: `pytest_configure` points drupe's
cache (``DRUPE_CACHE_DIR``) and IPython's and Jupyter's folders at one
temporary folder per test process (each pytest-xdist worker has its own),
removed when the process ends. Subprocesses inherit the variables.

``-n auto`` starts one pytest-xdist worker more than there are cores: many
tests spend seconds waiting (on a server's timeout, a sleeping node, a
signal's effect), and the extra worker runs other tests meanwhile.

Slow tests start first: a test marked ``@pytest.mark.slow(seconds=N)`` (about
N seconds on a 2-core machine) runs before the unmarked ones, the slowest
first. pytest-xdist hands each worker a slice of the collection and lets idle
workers steal from busy ones, so the run ends on short tests and the workers
finish together, instead of one worker starting a 20-second test last.

``drupe_in_process`` runs the real ``drupe`` command in the test's process
(click's runner), for tests that check what a command selected, listed or
recorded rather than what a process does: it spares the fresh interpreter
that would import the project's libraries (pandas...) again for each command.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import drupe_project

pytest_plugins = ["drupe.testing"]

#: Where tools would write under the user's home, and the folder name each gets instead.
HOME_WRITERS = {
    "DRUPE_CACHE_DIR": "drupe-cache",
    "IPYTHONDIR": "ipython",
    "JUPYTER_CONFIG_DIR": "jupyter-config",
    "JUPYTER_DATA_DIR": "jupyter-data",
    "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
    "MPLCONFIGDIR": "matplotlib",
    "XDG_CACHE_HOME": "cache",  # pip, and any tool that follows the XDG convention
    "PIP_CACHE_DIR": "pip-cache",
    # pip runs `rustc --version` for its user agent; rustup's proxy then writes its settings.
    "RUSTUP_HOME": "rustup",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow(seconds): takes about `seconds` on a 2-core machine; started first, slowest first",
    )
    folder = Path(tempfile.mkdtemp(prefix="drupe-tests-"))
    config.stash[_scratch_key] = folder
    for variable, name in HOME_WRITERS.items():
        os.environ[variable] = str(folder / name)


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_scratch_key, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


_scratch_key = pytest.StashKey[Path]()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: the cores plus one (``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides)."""
    chosen = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "").strip()
    if chosen.isdigit():
        return int(chosen)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every worker's first tests are its share of the slow ones, slowest first.

    pytest-xdist (``--dist worksteal``) gives worker k the k-th contiguous
    slice of this order and lets idle workers take the *end* of a busy
    worker's queue. So each slice starts with the slow tests dealt to it
    (each next slow test to the slice with the fewest seconds so far) and
    ends with ordinary tests in their collected order: all workers start a
    long test at once, and what is left to steal at the end is short.
    """
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    slow = sorted((i for i in items if _expected_seconds(i)), key=_expected_seconds, reverse=True)
    others = [i for i in items if not _expected_seconds(i)]
    dealt: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for item in slow:
        min(dealt, key=lambda share: sum(map(_expected_seconds, share))).append(item)
    ordered: list[pytest.Item] = []
    left = len(items)
    for index, share in enumerate(dealt):
        size = max(left // (workers - index), len(share))  # the slice worksteal sends
        fill = size - len(share)
        ordered += share + others[:fill]
        del others[:fill]
        left -= size
    items[:] = ordered + others


def _expected_seconds(item: pytest.Item) -> float:
    marker = item.get_closest_marker("slow")
    if marker is None:
        return 0.0
    return float(marker.kwargs.get("seconds", marker.args[0] if marker.args else 1.0))


@pytest.fixture(autouse=True)
def isolated_process_state(tmp_path: Path) -> Iterator[None]:
    saved_path = list(sys.path)
    saved_pythonpath = os.environ.get("PYTHONPATH")
    drupe_project.clear_configured_project()
    yield
    drupe_project.clear_configured_project()
    sys.path[:] = saved_path
    if saved_pythonpath is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = saved_pythonpath
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None) or ""
        if location.startswith(str(tmp_path)):
            del sys.modules[name]


@pytest.fixture
def drupe_in_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[Callable[..., tuple[Result, list[str]]]]:
    """``drupe_in_process(cwd, *args)``: the ``drupe`` command's result and its log lines.

    The real command in this process (click's runner): for tests of what a
    flag selects or refuses, where a fresh interpreter would spend most of its
    second importing the project's libraries (pandas for spaceflights). Tests
    of exit codes, signals and a process's own output run ``drupe`` for real.
    The root logger's level, which the command sets from its flags, is put back
    after, and the project's modules are forgotten after each command, as a
    new process would not have them.
    """
    from drupe.cli.main import cli as drupe_command

    monkeypatch.delenv("DRUPE_ENV", raising=False)
    root_level = logging.getLogger().level

    def invoke(cwd: Path, *args: str) -> tuple[Result, list[str]]:
        monkeypatch.chdir(cwd)
        caplog.clear()
        try:
            result = CliRunner().invoke(drupe_command, list(args), prog_name="drupe")
        finally:
            for name, module in list(sys.modules.items()):
                if (getattr(module, "__file__", None) or "").startswith(str(cwd)):
                    del sys.modules[name]
        return result, [record.getMessage() for record in caplog.records]

    yield invoke
    logging.getLogger().setLevel(root_level)
