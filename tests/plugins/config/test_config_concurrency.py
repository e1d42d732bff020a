"""Runs in many threads, and generated trees: values are right or errors are DrupeErrors."""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path
from typing import Any

from config_testkit import loader, write_conf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import drupe


def test_sixteen_threads_with_different_runtime_params_never_mix(tmp_path: Path) -> None:
    conf = write_conf(
        tmp_path / "conf",
        {
            "base/parameters.yml": """\
                model: {lr: 0.1, depth: 3}
                scale: ${model.lr}
                label: "run-${runtime_params:name, none}"
            """,
            "base/catalog.yml": "out: {path: 'data/${runtime_params:name, none}.csv'}\n",
        },
    )
    base = loader(conf)
    assert base["parameters"]["scale"] == 0.1
    wrong: list[str] = []
    barrier = threading.Barrier(16)

    def work(index: int) -> None:
        barrier.wait()
        for round_ in range(200):
            value = index * 1000 + round_
            config = base.with_runtime_params({"model.lr": value, "name": f"t{value}"})
            params = config["parameters"]
            expected = {
                "model": {"lr": value, "depth": 3},
                "scale": value,
                "label": f"run-t{value}",
                "name": f"t{value}",
            }
            if params != expected:
                wrong.append(f"{params} != {expected}")
            if config["catalog"] != {"out": {"path": f"data/t{value}.csv"}}:
                wrong.append(f"catalog {config['catalog']}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert base["parameters"]["scale"] == 0.1  # the base loader is untouched


NAMES = st.sampled_from(["a", "b", "c"])
SCALARS = st.one_of(
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text("xyz 1.e-", max_size=4),
    st.booleans(),
    st.none(),
)
REFERENCE_PATHS = st.lists(st.sampled_from(["a", "b", "c", "0", "1"]), min_size=1, max_size=3)
INTERPOLATIONS = st.builds(
    lambda prefix, path, default: (
        prefix
        + ("${" + ".".join(path) + "}" if default is None else "${globals:" + path[0] + ", 1}")
    ),
    st.sampled_from(["", "", "x-"]),
    REFERENCE_PATHS,
    st.one_of(st.none(), st.just(1)),
)
LEAVES = st.one_of(SCALARS, INTERPOLATIONS)
TREES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(NAMES, children, max_size=3)
    ),
    max_leaves=12,
)
PARAMETERS = st.dictionaries(NAMES, TREES, min_size=1, max_size=3)
RUNTIME = st.dictionaries(
    st.lists(NAMES, min_size=1, max_size=3).map(".".join),
    st.one_of(SCALARS, st.lists(st.integers(0, 3), max_size=2)),
    max_size=3,
)


def _nest(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return out


def _merge(base: Any, extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _outcome(function: Any) -> Any:
    try:
        return ("value", function())
    except drupe.DrupeError:
        return ("error", None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parameters=PARAMETERS, runs=st.lists(RUNTIME, min_size=1, max_size=3))
def test_generated_trees_and_runtime_params_match_a_tree_written_with_them(
    parameters: dict[str, Any], runs: list[dict[str, Any]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        files = {
            f"split/base/parameters_{key}.json": json.dumps({key: value})
            for key, value in parameters.items()
        }
        files["split/base/globals.yml"] = "a: 1e-3\n"
        base = loader(write_conf(root, files) / "split")
        _outcome(lambda: base["parameters"])  # resolve the base first, as a service session does
        for number, params in enumerate(runs):
            merged = _merge(parameters, _nest(params))
            oracle = write_conf(
                root / f"oracle{number}",
                {"base/parameters.json": json.dumps(merged), "base/globals.yml": "a: 1e-3\n"},
            )
            derived = _outcome(lambda params=params: base.with_runtime_params(params)["parameters"])
            expected = _outcome(lambda oracle=oracle: loader(oracle)["parameters"])
            assert derived == expected
