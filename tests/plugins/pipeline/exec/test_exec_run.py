"""``execute_run`` in sessions: selection, missing inputs, free outputs,
``only_missing_outputs``, service sessions and runs without a project."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import drupe
import drupe_pipeline
from drupe.testing import StaticConfig
from drupe_pipeline import MissingInputsError, PipelineError


def _session(root: Path, **kwargs: Any) -> drupe.Session:
    return drupe.Session.create(project_path=root, save_on_close=False, **kwargs)


class NodesRun:
    def __init__(self) -> None:
        self.names: list[str] = []

    @drupe.hookimpl(optionalhook=True)
    def before_node_run(self, node: Any) -> None:
        self.names.append(node.name)


def test_free_outputs_are_returned_and_catalog_outputs_are_not(exec_project: Path) -> None:
    with _session(exec_project) as session:
        result = session.run(pipeline_names=["failing"], node_names=["save_first", "side"])
    assert result == {"side": 6}, "saved_first has a catalog entry, so it is not returned"
    assert (exec_project / "data" / "saved_first.json").is_file()


def test_selection_filters_apply_and_combine(exec_project: Path) -> None:
    with _session(exec_project, runtime_params={"start": 5}) as session:
        assert session.run(tags=["left"]) == {"a": 10}
    with _session(exec_project) as session, pytest.raises(PipelineError, match="selects no nodes"):
        session.run(tags=["nope"])


def test_a_missing_input_fails_before_any_node_runs_listing_every_name(
    make_project: Callable[..., Path],
) -> None:
    recorder = NodesRun()
    root = make_project(
        "exec_missing",
        files={
            "src/exec_missing/pipeline_registry.py": """
                from drupe_pipeline import Pipeline, node


                def register_pipelines():
                    return {"__default__": Pipeline([
                        node(max, ["params:start", "orders"], "a", name="first"),
                        node(max, ["a", "customers"], "b", name="second"),
                    ])}
            """,
            "conf/base/parameters.yml": "start: 1\n",
        },
    )
    with (
        _session(root, plugins=[recorder]) as session,
        pytest.raises(MissingInputsError, match="no dataset provides: customers, orders"),
    ):
        session.run()
    assert recorder.names == []


def test_only_missing_outputs_skips_nodes_whose_persisted_outputs_exist(
    make_project: Callable[..., Path],
) -> None:
    root = make_project(
        "exec_missing_outputs",
        files={
            "src/exec_missing_outputs/pipeline_registry.py": """
                from drupe_pipeline import Pipeline, node


                def inc(x):
                    return x + 1


                def register_pipelines():
                    return {"__default__": Pipeline([
                        node(inc, "params:start", "one", name="make_one"),
                        node(inc, "one", "two", name="make_two"),
                        node(inc, "two", "three", name="make_three"),
                        node(inc, "params:start", "memory_only", name="in_memory"),
                    ])}
            """,
            "conf/base/parameters.yml": "start: 0\n",
            "conf/base/catalog.yml": """
                "{name}":
                  type: JSONDataset
                  filepath: data/{name}.json
                memory_only:
                  type: MemoryDataset
            """,
        },
    )

    def ran(**kwargs: Any) -> list[str]:
        recorder = NodesRun()
        with _session(root, plugins=[recorder]) as session:
            session.run(**kwargs)
        return recorder.names

    assert ran() == ["in_memory", "make_one", "make_two", "make_three"]
    assert ran(only_missing_outputs=True) == ["in_memory"], "memory outputs never count as done"
    (root / "data" / "two.json").unlink()
    assert ran(only_missing_outputs=True) == ["in_memory", "make_two", "make_three"]
    assert (root / "data" / "three.json").read_text().strip() == "3"


def test_service_session_loads_pipelines_once_and_isolates_concurrent_runs(
    make_project: Callable[..., Path],
) -> None:
    root = make_project(
        "exec_service",
        files={
            "src/exec_service/pipeline_registry.py": """
                from drupe_pipeline import Pipeline, node

                LOADS = []


                def scale(x, factor):
                    return x * factor


                def register_pipelines():
                    LOADS.append(1)
                    return {"__default__": Pipeline([
                        node(scale, ["params:x", "params:factor"], "y", name="scale"),
                    ])}
            """,
            "conf/base/parameters.yml": "x: 1\nfactor: 10\n",
        },
    )
    session = drupe.ServiceSession.create(project_path=root)
    try:
        import exec_service.pipeline_registry as registry  # type: ignore[import-not-found]

        assert len(registry.LOADS) == 1, "loaded at create"
        results: dict[int, Any] = {}

        def run(x: int) -> None:
            results[x] = session.run(runtime_params={"x": x}, runner="thread")

        threads = [threading.Thread(target=run, args=(x,)) for x in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert results == {x: {"y": x * 10} for x in range(12)}
        assert len(registry.LOADS) == 1, "never reloaded by a run"
    finally:
        session.close()


def test_without_a_project_the_run_says_package_name_not_found(tmp_path: Path) -> None:
    import drupe_project

    drupe_project.clear_configured_project()
    with (
        drupe.Session.create(
            project_path=tmp_path,
            save_on_close=False,
            entry_points=False,
            plugins=[drupe_project.ProjectPlugin, drupe_pipeline.PipelinePlugin, StaticConfig()],
        ) as session,
        pytest.raises(drupe.ProjectError, match="Package name not found"),
    ):
        session.run()
