"""`RunSelection` as a value: checked from a mapping, frozen, comparable, picklable."""

from __future__ import annotations

import pickle

import pytest

from drupe.frozen import FrozenInstanceError
from drupe_pipeline.errors import SelectionError
from drupe_pipeline.selection import FIELDS, RunSelection, run_options


def test_from_mapping_normalises_and_to_mapping_keeps_only_what_was_given() -> None:
    selection = RunSelection.from_mapping(
        {"pipeline_name": "ds", "tags": ["a", "a", "b"], "load_versions": {"m": "v1"}}
    )
    assert selection.pipeline_names == ("ds",) and selection.tags == ("a", "b")
    assert selection.to_mapping() == {
        "pipeline_names": ("ds",),
        "tags": ("a", "b"),
        "load_versions": {"m": "v1"},
    }
    assert RunSelection.from_mapping({}) == RunSelection()
    with pytest.raises(SelectionError, match="unknown run selection 'tag'"):
        RunSelection.from_mapping({"tag": "a"})


def test_a_selection_is_a_frozen_value() -> None:
    selection = RunSelection(tags=("a",), runner="thread")
    with pytest.raises(FrozenInstanceError):
        selection.tags = ()  # type: ignore[misc]
    assert selection == RunSelection(tags=("a",), runner="thread")
    assert selection != RunSelection(tags=("b",), runner="thread")
    assert pickle.loads(pickle.dumps(selection)) == selection
    assert RunSelection().load_versions is not RunSelection().load_versions  # no shared default
    with pytest.raises(TypeError, match="no field"):
        RunSelection(tag=("a",))


def test_every_field_has_its_flag_on_drupe_run() -> None:
    flags = {option.name for option in run_options()}
    assert set(FIELDS) <= flags
