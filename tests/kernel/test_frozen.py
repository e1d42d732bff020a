"""drupe's value objects (`drupe.frozen.Frozen`) behave as the attrs classes they replaced."""

from __future__ import annotations

import copy
import pickle
import weakref
from pathlib import Path
from types import MappingProxyType

import pytest

from drupe import Context, Project, RunRequest, SessionSpec
from drupe.frozen import Frozen, FrozenInstanceError


class Point(Frozen):
    """A value object of one's own: slots, ``_fields`` and an ``__init__``."""

    _fields = ("x", "y")
    __slots__ = _fields

    def __init__(self, x: int, y: int = 0) -> None:
        self._set(x=x, y=y)


def _context(**changes: object) -> Context:
    values: dict[str, object] = {
        "session_id": "s1",
        "project": Project("hello", root=Path("/p")),
        "env": "local",
        "conf_source": None,
        "runtime_params": {"a": 1},
        "config_loader": {"parameters": {"x": 1}},
    }
    values.update(changes)
    return Context(**values)  # type: ignore[arg-type]


def test_fields_cannot_be_set_or_deleted() -> None:
    project = Project("hello")
    with pytest.raises(FrozenInstanceError, match="cannot set 'root'; use evolve"):
        project.root = Path("/elsewhere")  # type: ignore[misc]
    with pytest.raises(AttributeError):  # what code written for attrs catches
        del project.package_name  # type: ignore[misc]
    with pytest.raises(AttributeError, match=r"cannot set 'extra'$"):  # not a field: no hint
        project.extra = 1  # type: ignore[attr-defined]
    assert project.root is None and project.package_name == "hello"


def test_init_converts_and_defaults_as_before() -> None:
    project = Project("hello", metadata={"k": "v"})
    assert project.project_name == "hello"  # defaults to the package
    with pytest.raises(TypeError):
        project.metadata["k"] = "w"  # type: ignore[index]
    request = RunRequest(run_id="r", session_id="s", selection={"tags": ["a", "b"]})
    assert request.selection == {"tags": ("a", "b")} and dict(request.runtime_params) == {}
    with pytest.raises(TypeError):
        RunRequest("r", "s")  # type: ignore[misc]  # keywords only


def test_equality_and_hash_follow_the_fields_and_the_class() -> None:
    assert Project("a", root=Path("/p")) == Project("a", root=Path("/p"))
    assert Project("a") != Project("b")
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert len({Point(1), Point(1), Point(2)}) == 2
    assert Point(1, 2) != (1, 2)
    assert _context() == _context()
    assert _context() != _context(run_id="r2")

    class OtherPoint(Point):
        __slots__ = ()

    assert OtherPoint(1) != Point(1)


def test_repr_shows_the_fields_but_not_the_loader_or_settings() -> None:
    assert repr(Project("hello")) == (
        "Project(package_name='hello', root=None, project_name='hello', source_dir=None, "
        "metadata=mappingproxy({}))"
    )
    shown = repr(_context(settings="SECRET-SETTINGS"))
    assert shown.startswith("Context(session_id='s1', project=Project(")
    assert "run_id=None" in shown
    assert "config_loader" not in shown and "SECRET-SETTINGS" not in shown


def test_copy_deepcopy_and_pickle_rebuild_equal_values() -> None:
    request = RunRequest(run_id="r", session_id="s", selection={"tags": ("a",)})
    assert copy.copy(request) is request  # immutable: the value itself
    assert copy.deepcopy(_context()) == _context()
    project = Project("hello", root=Path("/p"), metadata={"k": "v"})
    assert pickle.loads(pickle.dumps(project)) == project
    assert pickle.loads(pickle.dumps(request)).selection == {"tags": ("a",)}
    with pytest.raises(TypeError):  # read-only again after the round trip
        pickle.loads(pickle.dumps(project)).metadata["k"] = "w"  # type: ignore[index]
    assert pickle.loads(pickle.dumps(Point(1, 2))) == Point(1, 2)


def test_read_only_fields_stay_read_only_through_pickle_and_deepcopy() -> None:
    # A field __init__ does not convert (here the config loader) keeps its
    # read-only view, nested views included.
    loader = MappingProxyType({"parameters": MappingProxyType({"x": 1})})
    context = _context(config_loader=loader)
    for again in (pickle.loads(pickle.dumps(context)), copy.deepcopy(context)):
        assert again == context
        assert isinstance(again.config_loader, MappingProxyType)
        assert isinstance(again.config_loader["parameters"], MappingProxyType)
        with pytest.raises(TypeError):
            again.config_loader["parameters"]["x"] = 2  # type: ignore[index]


def test_weak_references_and_match_patterns_work_as_with_attrs() -> None:
    project = Project("hello", root=Path("/p"))
    assert weakref.ref(project)() is project
    match project:
        case Project(name, root):
            assert (name, root) == ("hello", Path("/p"))
        case _:  # pragma: no cover - the match above must succeed
            pytest.fail("Project did not match positionally")


def test_a_subclass_must_list_its_slots_as_fields() -> None:
    with pytest.raises(TypeError, match="slot\\(s\\) y that _fields does not list"):

        class Forgetful(Frozen):
            _fields = ("x",)
            __slots__ = ("x", "y")

    class WithPrivateSlot(Frozen):  # a private slot (a cache) may stay out of _fields
        _fields = ("x",)
        __slots__ = ("_cache", "x")

    assert repr(Point(1)) == "Point(x=1, y=0)"


def test_evolve_builds_a_checked_copy() -> None:
    context = _context()
    changed = context.evolve(env="prod", runtime_params={"b": 2})
    assert (changed.env, dict(changed.runtime_params)) == ("prod", {"b": 2})
    assert (context.env, dict(context.runtime_params)) == ("local", {"a": 1})
    with pytest.raises(TypeError):
        changed.runtime_params["c"] = 3  # type: ignore[index]  # converted again
    assert context.__replace__(run_id="r9").run_id == "r9"  # copy.replace on 3.13
    with pytest.raises(TypeError, match="has no field"):
        context.evolve(envv="prod")


def test_the_session_spec_stays_a_mutable_draft() -> None:
    spec = SessionSpec("session", "s1", Path("/p"))
    spec.env = "prod"
    spec.runtime_params["x"] = 1
    assert spec == SessionSpec("session", "s1", Path("/p"), env="prod", runtime_params={"x": 1})
    assert SessionSpec("session", "s1", Path("/p")).metadata is not spec.metadata
    assert repr(spec).startswith("SessionSpec(kind='session', session_id='s1',")
    with pytest.raises(TypeError):
        hash(spec)
