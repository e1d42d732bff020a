"""Runs of one service session never see each other's configuration, and the env is recorded.

Real stack: a temp copy of examples/hello (under its own package name, so
each test imports its own modules) driven through `drupe.ServiceSession`.
"""

from __future__ import annotations

import copy
import pickle
import shutil
import threading
import uuid
from pathlib import Path

import pytest

import drupe
from drupe_config import ReadOnlyDict, ReadOnlyList, thaw

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def hello_copy(tmp_path: Path, *, settings: str = "", hooks: str = "") -> tuple[Path, str]:
    """examples/hello copied under a unique package name, with extra settings and hooks."""
    package = f"hello_{uuid.uuid4().hex[:10]}"
    root = tmp_path / "hello"
    shutil.copytree(
        EXAMPLES / "hello", root, ignore=shutil.ignore_patterns("__pycache__", ".drupe")
    )
    (root / "src" / "hello").rename(root / "src" / package)
    for path in [root / "pyproject.toml", *(root / "src" / package).glob("*.py")]:
        text = path.read_text()
        text = text.replace("from hello.", f"from {package}.")
        text = text.replace('package_name = "hello"', f'package_name = "{package}"')
        path.write_text(text)
    params = root / "conf" / "base" / "parameters.yml"
    params.write_text(params.read_text() + "opts:\n  items: [a, b]\n  depth: 1\n")
    if settings:
        (root / "src" / package / "settings.py").write_text(settings.replace("PKG", package))
    if hooks:
        (root / "src" / package / "run_hooks.py").write_text(hooks)
    return root, package


def test_a_run_cannot_change_the_parameters_other_runs_read(tmp_path: Path) -> None:
    root, _ = hello_copy(tmp_path)
    with drupe.ServiceSession.create(project_path=root) as session:
        run = session.load_context(runtime_params={"greeting": "yo"})
        items = run.params["opts"]["items"]
        with pytest.raises(TypeError, match="read-only"):
            items.append("leak")  # type: ignore[attr-defined]
        with pytest.raises(TypeError):
            run.params["opts"]["depth"] = 2  # type: ignore[index]
        with pytest.raises(TypeError):
            run.params["greeting"] = "changed"  # type: ignore[index]
        for key in ("parameters", "catalog", "credentials", "globals", "logging"):
            with pytest.raises(TypeError):
                run.config_loader[key]["new"] = 1
        base = session.load_context()
        assert base.params["opts"] == {"items": ["a", "b"], "depth": 1}
        assert base.params["greeting"] == "Hello" and run.params["greeting"] == "yo"


def test_views_compare_copy_and_pickle_as_the_plain_values() -> None:
    data = {"a": {"b": [1, {"c": 2}]}, "n": None}
    view = ReadOnlyDict(data)
    assert view == data and data == view and view["a"]["b"] == [1, {"c": 2}]
    assert isinstance(view["a"]["b"], ReadOnlyList) and view["a"]["b"][1] == {"c": 2}
    private = copy.deepcopy(view)
    assert type(private) is dict and type(private["a"]["b"]) is list
    private["a"]["b"].append(3)
    assert data["a"]["b"] == [1, {"c": 2}]
    assert thaw(view["a"]) == {"b": [1, {"c": 2}]} and type(thaw(view["a"])) is dict
    assert pickle.loads(pickle.dumps(view)) == data
    assert copy.copy(view) is view
    assert (view | {"n": 1})["n"] == 1 and view["n"] is None


def test_nodes_get_private_mutable_copies_of_their_parameters(tmp_path: Path) -> None:
    from drupe_pipeline import DataCatalog

    root, _ = hello_copy(tmp_path)
    with drupe.ServiceSession.create(project_path=root) as session:
        params = session.load_context().params
        catalog = DataCatalog(parameters=params)
        opts = catalog.load("params:opts")
        assert type(opts) is dict and type(opts["items"]) is list
        opts["items"].append("mine")
        assert catalog.load("params:opts")["items"] == ["a", "b"]
        assert session.load_context().params["opts"]["items"] == ["a", "b"]


def test_the_env_used_is_on_the_session_and_the_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = hello_copy(tmp_path)
    (root / "conf" / "prod").mkdir()
    (root / "conf" / "prod" / "parameters.yml").write_text("name: production\n")
    monkeypatch.delenv("DRUPE_ENV", raising=False)
    with drupe.ServiceSession.create(project_path=root) as session:
        assert session.env == "local" and session.load_context().env == "local"
        assert session.load_context().config_loader.env == "local"
    monkeypatch.setenv("DRUPE_ENV", "prod")
    with drupe.ServiceSession.create(project_path=root) as session:
        context = session.load_context()
        assert (session.env, context.env, context.config_loader.env) == ("prod", "prod", "prod")
        assert context.params["name"] == "production"
    with drupe.Session.create(project_path=root, save_on_close=False, env="local") as one:
        assert one.env == "local" and one.load_context().params["name"] == "drupe"


def test_settings_default_run_env_is_the_recorded_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = 'CONFIG_LOADER_ARGS = {"default_run_env": "dev"}\n'
    root, _ = hello_copy(tmp_path, settings=settings)
    (root / "conf" / "dev").mkdir()
    (root / "conf" / "dev" / "parameters.yml").write_text("name: developer\n")
    monkeypatch.delenv("DRUPE_ENV", raising=False)
    with drupe.Session.create(project_path=root, save_on_close=False) as session:
        assert session.env == "dev"
        context = session.load_context()
        assert context.env == "dev" and context.params["name"] == "developer"
    monkeypatch.setenv("DRUPE_ENV", "local")  # DRUPE_ENV wins over the settings default
    with drupe.Session.create(project_path=root, save_on_close=False) as session:
        assert session.env == "local" and session.load_context().params["name"] == "drupe"


HOOKS = """
import drupe

class TamperingHooks:
    def __init__(self):
        self.refused = 0
        self.changed = 0

    @drupe.hookimpl
    def after_context_created(self, context):
        for attempt in (
            lambda: context.params.__setitem__("name", "tampered"),
            lambda: context.params["opts"]["items"].append("tampered"),
        ):
            try:
                attempt()
            except TypeError:
                self.refused += 1
            else:
                self.changed += 1

tampering = TamperingHooks()
"""


def test_sixteen_threads_of_runs_see_only_their_own_parameters(tmp_path: Path) -> None:
    settings = "from PKG.run_hooks import tampering\nHOOKS = (tampering,)\n"
    root, package = hello_copy(tmp_path, settings=settings, hooks=HOOKS)
    threads, runs = 16, 100
    wrong: list[str] = []
    errors: list[BaseException] = []
    with drupe.ServiceSession.create(project_path=root) as session:

        def worker(index: int) -> None:
            try:
                for number in range(runs):
                    name = f"t{index}r{number}"
                    times = (index + number) % 4
                    out = session.run(runtime_params={"name": name, "times": times})
                    expected = f"HELLO, {name.upper()}" + "!" * times
                    if out.get("stats") != {"characters": len(expected), "words": 2}:
                        wrong.append(f"{name}: {out}")
                    context = session.load_context(runtime_params={"name": name})
                    if context.params["name"] != name or context.params["opts"] != {
                        "items": ["a", "b"],
                        "depth": 1,
                    }:
                        wrong.append(f"{name}: context {dict(context.params)}")
            except BaseException as exc:  # reported below, with the thread's name
                errors.append(exc)

        pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        hooks = __import__(f"{package}.run_hooks", fromlist=["tampering"]).tampering
    assert errors == []
    assert wrong == []
    assert hooks.changed == 0
    assert hooks.refused == 2 * 2 * threads * runs  # two attempts, two contexts per loop
