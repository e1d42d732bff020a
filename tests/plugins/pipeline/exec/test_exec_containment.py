"""Dataset paths stay inside the project (or where the entry allows), whoever runs the pipeline.

The exec project's ``saved_first`` entry is rewritten per test so that its
path comes from runtime parameters, from the configuration, or names a
place outside the project. Each refusal must happen before any node runs
(nothing read, nothing written), name the entry and the resolved path, and
be the same for every runner, from the Python API and from the CLI.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import drupe
from drupe_pipeline.containment import ContainmentError

STEERED = """
saved_first:
  type: JSONDataset
  filepath: data/${runtime_params:folder, inside}/saved_first.json
"""

RUNNERS = ["sequential", "thread", "parallel"]


def _catalog(root: Path, text: str) -> None:
    (root / "conf" / "base" / "catalog.yml").write_text(text, encoding="utf-8")


def _run(root: Path, runtime_params: Any = None, **kwargs: Any) -> dict[str, Any]:
    with drupe.Session.create(
        project_path=root, save_on_close=False, runtime_params=runtime_params
    ) as session:
        return session.run(pipeline_names=["failing"], node_names=["save_first"], **kwargs)


def _nodes_ran(hook_log: Callable[[], list[dict[str, Any]]]) -> list[str]:
    return [e["node"] for e in hook_log() if e["event"] == "before_node_run"]


@pytest.mark.parametrize("runner", RUNNERS)
def test_runtime_params_cannot_move_a_path_outside_the_project_in_any_runner(
    exec_project: Path,
    tmp_path: Path,
    hook_log: Callable[[], list[dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    runner: str,
) -> None:
    if runner == "parallel" and "fork" in multiprocessing.get_all_start_methods():
        monkeypatch.setenv("DRUPE_MP_CONTEXT", "fork")  # the quickest start: same rule
    _catalog(exec_project, STEERED)
    escape = os.path.relpath(tmp_path / "outside", exec_project / "data")
    with pytest.raises(ContainmentError) as caught:
        _run(exec_project, runner=runner, runtime_params={"folder": escape})
    error = caught.value
    assert error.entry == "saved_first"
    assert error.field == "runtime_params"
    assert error.exit_code == 2
    assert error.path == str((tmp_path / "outside" / "saved_first.json").resolve())
    assert "'saved_first'" in str(error) and error.path in str(error)
    assert _nodes_ran(hook_log) == []  # refused before any node ran
    assert not (tmp_path / "outside").exists()
    # Inside the project, runtime params may choose the folder.
    assert _run(exec_project, runner=runner, runtime_params={"folder": "mine"}) == {}
    assert (exec_project / "data" / "mine" / "saved_first.json").is_file()


def test_a_service_session_refuses_the_same_escape_and_keeps_serving(
    exec_project: Path, tmp_path: Path
) -> None:
    _catalog(exec_project, STEERED)
    session = drupe.ServiceSession.create(project_path=exec_project)
    try:
        with pytest.raises(ContainmentError):
            session.run(
                pipeline_names=["failing"],
                node_names=["save_first"],
                runtime_params={"folder": "../../outside"},
            )
        session.run(pipeline_names=["failing"], node_names=["save_first"])
    finally:
        session.close()
    assert (exec_project / "data" / "inside" / "saved_first.json").is_file()
    assert not (tmp_path / "outside").exists()


def test_a_configured_path_outside_the_project_needs_allowed_roots(
    exec_project: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    _catalog(
        exec_project,
        f"saved_first:\n  type: JSONDataset\n  filepath: {shared}/saved_first.json\n",
    )
    with pytest.raises(ContainmentError) as caught:
        _run(exec_project)
    assert caught.value.field == "catalog"
    assert caught.value.exit_code == 1
    assert "allowed_roots" in str(caught.value)
    assert not shared.exists()
    _catalog(
        exec_project,
        f"saved_first:\n  type: JSONDataset\n  filepath: {shared}/saved_first.json\n"
        f"  allowed_roots: [{shared}]\n",
    )
    _run(exec_project)
    assert (shared / "saved_first.json").is_file()


def test_a_symlink_out_of_the_project_is_followed_and_refused(
    exec_project: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (exec_project / "data").mkdir(exist_ok=True)
    (exec_project / "data" / "link").symlink_to(target, target_is_directory=True)
    _catalog(exec_project, STEERED)
    with pytest.raises(ContainmentError) as caught:
        _run(exec_project, runtime_params={"folder": "link"})
    assert caught.value.path == str(target / "saved_first.json")
    assert list(target.iterdir()) == []


def test_allowed_roots_cannot_be_widened_by_runtime_params(
    exec_project: Path, tmp_path: Path
) -> None:
    _catalog(
        exec_project,
        "saved_first:\n  type: JSONDataset\n"
        "  filepath: ${runtime_params:where, data}/saved_first.json\n"
        "  allowed_roots: ${runtime_params:allow, data}\n",
    )
    outside = tmp_path / "outside"
    with pytest.raises(ContainmentError):
        _run(exec_project, runtime_params={"where": str(outside), "allow": str(outside)})
    assert not outside.exists()


def test_a_pickle_path_built_from_runtime_params_is_refused_even_inside(
    exec_project: Path,
) -> None:
    bait = exec_project / "data" / "uploads" / "saved_first.pkl"
    bait.parent.mkdir(parents=True)
    bait.write_bytes(pickle.dumps(3))
    _catalog(
        exec_project,
        "saved_first:\n  type: PickleDataset\n"
        "  filepath: data/${runtime_params:folder, models}/saved_first.pkl\n",
    )
    with pytest.raises(ContainmentError, match="PickleDataset") as caught:
        with drupe.Session.create(
            project_path=exec_project, save_on_close=False, runtime_params={"folder": "uploads"}
        ) as session:
            session.run(pipeline_names=["failing"], from_nodes=["explode"])
    assert caught.value.field == "runtime_params"
    # The same entry with its configured path works: that path was the operator's choice.
    _run(exec_project)
    assert (exec_project / "data" / "models" / "saved_first.pkl").is_file()


def test_the_cli_prints_one_line_and_exits_2(exec_project: Path, tmp_path: Path) -> None:
    _catalog(exec_project, STEERED)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DRUPE_MP_CONTEXT", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "drupe",
            "run",
            "--pipeline",
            "failing",
            "--nodes",
            "save_first",
            "--params",
            "folder=../../outside",
        ],
        cwd=exec_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "saved_first" in last and str((tmp_path / "outside").resolve()) in last
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "outside").exists()


class PlainLoader(dict):  # type: ignore[type-arg]
    """A config loader of someone else's: a mapping without ``with_runtime_params``."""


def test_a_loader_that_cannot_resolve_without_runtime_params_counts_every_path_as_theirs(
    tmp_path: Path,
) -> None:
    from drupe_pipeline import DataCatalog
    from drupe_pipeline.catalog import parse_for_run

    catalog = {
        "model": {"type": "PickleDataset", "filepath": "data/model.pkl"},
        "report": {"type": "JSONDataset", "filepath": "data/report.json"},
    }
    loader = PlainLoader(catalog=catalog)
    with_params = parse_for_run(loader, catalog, {}, root=tmp_path, runtime_params={"x": 1})
    runs = DataCatalog.from_parsed(with_params)
    with pytest.raises(ContainmentError, match="PickleDataset"):
        runs.get("model")
    assert runs.get("report") is not None  # inside the project: fine whoever built it
    # Without runtime params nothing can come from them.
    plain = DataCatalog.from_parsed(
        parse_for_run(loader, catalog, {}, root=tmp_path, runtime_params={})
    )
    assert plain.get("model") is not None


def test_a_url_runtime_params_changed_must_stay_under_the_entrys_allowed_roots(
    tmp_path: Path,
) -> None:
    from drupe_pipeline import DataCatalog
    from drupe_pipeline.catalog import CatalogConfig

    def parsed(url: str, allowed: str, baseline: Any = None) -> Any:
        entry = {"type": "JSONDataset", "filepath": url, "allowed_roots": [allowed]}
        return CatalogConfig({"report": entry}, root=tmp_path, baseline=baseline)

    # As configured: a URL is its own explicit location; allowed: memory://reports/teams.
    configured = parsed("memory://reports/teams/all.json", "memory://reports/teams")
    assert DataCatalog.from_parsed(configured).get("report") is not None
    # Runtime params moved it: inside the allowed prefix is fine ...
    inside = parsed("memory://reports/teams/a.json", "memory://reports/teams", configured)
    assert DataCatalog.from_parsed(inside).get("report") is not None
    # ... another bucket, or a climb out of the prefix, is not; and allowed_roots
    # count as configured, not as the runtime params would widen them.
    for url, resolved in [
        ("memory://other/a.json", "memory://other/a.json"),
        ("memory://reports/teams/../../other/a.json", "memory://reports/other/a.json"),
    ]:
        steered = parsed(url, "memory://", configured)
        with pytest.raises(ContainmentError) as caught:
            DataCatalog.from_parsed(steered).get("report")
        assert caught.value.field == "runtime_params"
        assert caught.value.path == resolved
