"""Pipeline: order, structure, operators, validation errors and immutability."""

from __future__ import annotations

import itertools
import pickle

import pytest

from drupe_pipeline.errors import PipelineError
from drupe_pipeline.node import node
from drupe_pipeline.pipeline import Pipeline


def identity(*values):
    return values[0] if values else None


def n(name, inputs, outputs, **kwargs):
    return node(identity, inputs, outputs, name=name, **kwargs)


DIAMOND = [
    n("top", "raw", "a"),
    n("left", "a", "b"),
    n("right", ["a", "params:k"], "c"),
    n("bottom", ["b", "c"], "d"),
]


def names(pipeline):
    return [x.name for x in pipeline.nodes]


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_order_is_topological_and_independent_of_listing_order(order):
    pipeline = Pipeline([DIAMOND[i] for i in order])
    assert names(pipeline) == ["top", "left", "right", "bottom"]
    assert [[x.name for x in layer] for layer in pipeline.grouped_nodes] == [
        ["top"],
        ["left", "right"],
        ["bottom"],
    ]


def test_ties_are_broken_by_name_and_layers_follow_the_deepest_dependency():
    pipeline = Pipeline(
        [n("z", "x", "y"), n("m", "y", "w"), n("b", "w", "v"), n("a", "x", "u"), n("c", "u", "t")]
    )
    assert names(pipeline) == ["a", "z", "c", "m", "b"]
    assert [[x.name for x in layer] for layer in pipeline.grouped_nodes] == [
        ["a", "z"],
        ["c", "m"],
        ["b"],
    ]


def test_datasets_inputs_outputs_and_dependencies():
    pipeline = Pipeline(DIAMOND)
    assert pipeline.inputs() == {"raw", "params:k"}
    assert pipeline.outputs() == {"d"}
    assert pipeline.all_inputs() == {"raw", "a", "b", "c", "params:k"}
    assert pipeline.all_outputs() == {"a", "b", "c", "d"}
    assert pipeline.datasets() == {"raw", "a", "b", "c", "d", "params:k"}
    deps = {k.name: {v.name for v in vs} for k, vs in pipeline.node_dependencies.items()}
    assert deps == {"top": set(), "left": {"top"}, "right": {"top"}, "bottom": {"left", "right"}}


def test_pipelines_nest_and_take_tags():
    inner = Pipeline(DIAMOND[:2])
    outer = Pipeline([inner, DIAMOND[2]], tags=["outer"])
    assert names(outer) == ["top", "left", "right"]
    assert all("outer" in x.tags for x in outer)
    assert all("t" in x.tags for x in Pipeline(DIAMOND).tag("t"))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (lambda p, q: p + q, ["top", "left", "right", "bottom"]),
        (lambda p, q: p | q, ["top", "left", "right", "bottom"]),
        (lambda p, q: p & q, ["left"]),
        (lambda p, q: p - q, ["top"]),
        (lambda p, q: q - p, ["right", "bottom"]),
        (lambda p, q: sum([p, q]), ["top", "left", "right", "bottom"]),
        (lambda p, q: (p + q) - (p & q), ["top", "right", "bottom"]),
    ],
)
def test_operators(expression, expected):
    p = Pipeline(DIAMOND[:2])  # top, left
    q = Pipeline(DIAMOND[1:])  # left, right, bottom (left is in both)
    assert names(expression(p, q)) == expected


def test_operators_reject_non_pipelines():
    with pytest.raises(TypeError):
        Pipeline(DIAMOND) + [DIAMOND[0]]  # noqa: RUF005


def test_equality_is_by_nodes():
    assert Pipeline(DIAMOND) == Pipeline(list(reversed(DIAMOND)))
    assert Pipeline(DIAMOND) != Pipeline(DIAMOND[:3])
    assert len({Pipeline(DIAMOND), Pipeline(DIAMOND[::-1])}) == 1


def test_duplicate_node_names_fail_naming_the_nodes():
    with pytest.raises(PipelineError) as info:
        Pipeline([n("same", "a", "b"), n("same", "c", "d")])
    message = str(info.value)
    assert "Two different nodes are named 'same'" in message
    assert "identity(a) -> b" in message
    assert "identity(c) -> d" in message


def test_duplicate_outputs_fail_naming_dataset_and_nodes():
    with pytest.raises(PipelineError, match="'b' is an output of both node 'one' and node 'two'"):
        Pipeline([n("one", "a", "b"), n("two", "c", "b")])


def test_combining_pipelines_is_validated_too():
    with pytest.raises(PipelineError, match="output of both"):
        Pipeline(DIAMOND) + Pipeline([n("other", "z", "d")])


def test_cycles_fail_naming_the_nodes_in_the_cycle():
    with pytest.raises(PipelineError) as info:
        Pipeline(
            [
                n("start", "raw", "a"),
                n("one", ["a", "c"], "b"),
                n("two", "b", "c2"),
                n("three", "c2", "c"),
                n("after", "c", "z"),
            ]
        )
    message = str(info.value)
    assert message.startswith("The pipeline has a cycle:")
    for name in ("'one'", "'two'", "'three'"):
        assert name in message
    assert "'start'" not in message and "'after'" not in message
    assert "-[b]->" in message and "-[c2]->" in message and "-[c]->" in message


def test_self_loop_through_two_outputs_is_a_cycle():
    with pytest.raises(PipelineError, match="cycle"):
        Pipeline([n("x", "a", "b"), n("y", "b", "a")])


def test_same_node_listed_twice_fails_but_plus_merges_it():
    # Kedro 1.x: Pipeline([...]) rejects a node listed twice; `+` is a union.
    with pytest.raises(PipelineError, match="lists node\\(s\\) 'top' more than once"):
        Pipeline([DIAMOND[0], DIAMOND[0], Pipeline([DIAMOND[0]])])
    assert names(Pipeline([DIAMOND[0]]) + Pipeline([DIAMOND[0]])) == ["top"]


@pytest.mark.parametrize("bad", [DIAMOND[0], "top", [DIAMOND[0], "x"], 3])
def test_pipeline_rejects_things_that_are_not_nodes(bad):
    with pytest.raises(PipelineError):
        Pipeline(bad)


def test_pipeline_is_immutable_and_pickles():
    pipeline = Pipeline(DIAMOND)
    with pytest.raises(AttributeError):
        pipeline._nodes = ()  # type: ignore[misc]
    nodes = pipeline.nodes
    assert isinstance(nodes, tuple)
    pipeline.node_dependencies.clear()
    assert len(pipeline.node_dependencies) == 4
    pipeline.inputs().add("x")
    assert "x" not in pipeline.inputs()
    assert pickle.loads(pickle.dumps(pipeline)) == pipeline


def test_len_iter_contains_and_describe():
    pipeline = Pipeline(DIAMOND)
    assert len(pipeline) == 4
    assert list(pipeline) == list(pipeline.nodes)
    assert DIAMOND[0] in pipeline
    text = pipeline.describe()
    assert "Inputs: params:k, raw" in text
    assert text.index("top") < text.index("left") < text.index("bottom")
    assert "Outputs: d" in text
    assert repr(pipeline) == "Pipeline([top, left, right, bottom])"
