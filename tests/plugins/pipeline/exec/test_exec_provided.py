"""What the pipeline plugin answers besides ``execute_run``: a session's pipelines, a
catalog for its context, and the datasets a run saved (for ``drupe run``'s summary)."""

from __future__ import annotations

from pathlib import Path

import pytest

import drupe
import drupe_pipeline.hookspecs


def test_pipelines_and_catalog_are_provided_through_the_plugins_own_hooks(
    exec_project: Path,
) -> None:
    assert hasattr(drupe_pipeline.hookspecs.get_pipelines, "drupe_spec")
    assert hasattr(drupe_pipeline.hookspecs.get_catalog, "drupe_spec")
    with drupe.Session.create(project_path=exec_project, save_on_close=False) as session:
        manager = session.plugin_manager
        pipelines = manager.call("get_pipelines", session=session)
        assert sorted(pipelines) == ["__default__", "adding", "failing"]
        assert {n.name for n in pipelines["adding"].nodes} == {"double_a", "double_b", "add"}
        catalog = manager.call("get_catalog", session=session, context=session.load_context())
        assert catalog.load("params:start") == session.load_context().params["start"]
        assert "saved_first" in catalog.names()


def test_without_the_pipeline_plugin_the_hooks_do_not_exist_and_the_call_says_so(
    exec_project: Path,
) -> None:
    with drupe.Session.create(
        project_path=exec_project, save_on_close=False, disable_plugins=["pipeline"]
    ) as session:
        with pytest.raises(drupe.MissingProviderError) as raised:
            session.plugin_manager.call("get_pipelines", session=session)
        assert raised.value.hook == "get_pipelines"
        assert "get_pipelines" in str(raised.value)
        assert "disabled plugins: pipeline" in str(raised.value)


def test_run_summary_lists_each_persisted_dataset_saved_once(exec_project: Path) -> None:
    runs: list[drupe.RunRequest] = []

    class Watch:
        @drupe.hookimpl
        def before_run(self, run: drupe.RunRequest) -> None:
            runs.append(run)

    with drupe.Session.create(
        project_path=exec_project, save_on_close=False, plugins=[Watch()]
    ) as session:
        session.run(pipeline_names=["failing"], node_names=["save_first", "side"])
        (run,) = runs
        hook = session.plugin_manager.hook
        (summary,) = [s for s in hook.run_summary(session=session, run=run, result={}) if s]
        assert summary == {
            "saved": [
                {
                    "name": "saved_first",
                    "type": "JSONDataset",
                    "path": "data/saved_first.json",
                    "version": None,
                    "file": "data/saved_first.json",
                }
            ]
        }
        # Taken once: a second ask (another caller, a retry) gets nothing stale.
        assert [s for s in hook.run_summary(session=session, run=run, result={}) if s] == []
