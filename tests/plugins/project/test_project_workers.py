"""Worker processes rebuild the project and its hooks under every start method.

The kernel carries a `drupe.WorkerSpec` across; the project plugin's
``setup_worker`` hook makes the project importable in the worker.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

import drupe
import drupe_project

OTHERS = ("config", "pipeline", "store", "serve")

PROJECT_FILES = {
    "src/worker_demo/settings.py": """
        from worker_demo.hooks import WorkerHooks

        HOOKS = (WorkerHooks,)
    """,
    "src/worker_demo/hooks.py": """
        import os
        from pathlib import Path

        import drupe


        class WorkerHooks:
            @drupe.hookimpl
            def before_run(self, run):
                marker = Path(run.runtime_params["markers"]) / f"{os.getpid()}-{run.run_id}"
                marker.write_text("fired", encoding="utf-8")
    """,
    "src/worker_demo/tasks.py": """
        import os

        import drupe
        import drupe_project


        def work(spec, markers, index):
            manager = drupe.worker_plugin_manager(spec)
            assert manager is drupe.worker_plugin_manager(spec)  # built once per process
            run = drupe.RunRequest(
                run_id=f"task{index}", session_id="worker", runtime_params={"markers": markers}
            )
            manager.hook.before_run(session=None, run=run)
            configured = drupe_project.configured_project()
            return {
                "pid": os.getpid(),
                "configured": configured.package_name if configured else None,
                "root": str(configured.root) if configured else None,
                "settings_hooks": [
                    i.name for i in manager.plugin_infos() if i.source == "settings"
                ],
                "enabled": sorted(i.name for i in manager.plugin_infos() if i.enabled),
            }
    """,
}


@pytest.fixture
def worker_session(make_project, session_factory):
    root = make_project("worker_demo", files=PROJECT_FILES)
    session = session_factory.session(root, save_on_close=False, disable_plugins=OTHERS)
    return root, session


def test_the_worker_spec_describes_the_session_and_pickles(worker_session) -> None:
    root, session = worker_session

    spec = session.worker_spec()

    assert spec.project is not None and spec.project.package_name == "worker_demo"
    assert spec.project.root == root.resolve()
    assert set(OTHERS) <= set(spec.disabled_plugins)
    assert spec.entry_points is True
    assert pickle.loads(pickle.dumps(spec)) == spec


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_workers_import_project_code_and_fire_project_hooks(
    worker_session, tmp_path: Path, method: str
) -> None:
    if method not in multiprocessing.get_all_start_methods():
        pytest.fail(f"start method {method} is not available on this platform")
    root, session = worker_session
    spec = session.worker_spec()
    from worker_demo.tasks import work  # pickled by reference: workers must import it

    markers = tmp_path / f"markers-{method}"
    markers.mkdir()
    source = str((root / "src").resolve())
    # A worker must not depend on inheriting the parent's sys.path or PYTHONPATH:
    # forkserver's server may predate the bootstrap. Hide both while workers start.
    saved_path, saved_env = list(sys.path), os.environ.get("PYTHONPATH")
    sys.path[:] = [p for p in sys.path if p != source]
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (saved_env or "").split(os.pathsep) if p and p != source
    )
    try:
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(
            max_workers=2,
            mp_context=context,
            initializer=drupe.init_worker,
            initargs=(spec,),
        ) as pool:
            results = list(pool.map(work, [spec] * 4, [str(markers)] * 4, range(4)))
    finally:
        sys.path[:] = saved_path
        if saved_env is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved_env

    assert {r["pid"] for r in results}.isdisjoint({os.getpid()})
    for result in results:
        assert result["configured"] == "worker_demo"
        assert result["root"] == str(root.resolve())
        assert result["settings_hooks"] == ["worker_demo.hooks.WorkerHooks"]
        assert set(result["enabled"]).isdisjoint(OTHERS)
        assert {"project", "settings"} <= set(result["enabled"])
    fired = sorted(p.name.split("-", 1)[1] for p in markers.iterdir())
    assert fired == ["task0", "task1", "task2", "task3"]
    assert {p.read_text(encoding="utf-8") for p in markers.iterdir()} == {"fired"}


def test_setup_worker_in_packaged_mode_configures_by_name(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "packaged_worker").mkdir(parents=True)
    (site / "packaged_worker" / "__init__.py").write_text("", encoding="utf-8")
    sys.path.insert(0, str(site))  # installed, as a packaged project is
    spec = drupe.WorkerSpec(
        session_id="packaged", project=drupe.Project(package_name="packaged_worker")
    )

    drupe_project.ProjectPlugin().setup_worker(spec=spec, plugin_manager=None)  # type: ignore[arg-type]

    project = drupe_project.configured_project()
    assert project is not None and project.package_name == "packaged_worker"
    assert project.root is None
