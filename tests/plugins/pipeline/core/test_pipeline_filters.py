"""Pipeline filters, table-driven: each filter alone, combined (AND), and their errors."""

from __future__ import annotations

import pytest

from drupe_pipeline.errors import PipelineError
from drupe_pipeline.node import node
from drupe_pipeline.pipeline import Pipeline


def identity(*values):
    return values[0] if values else None


#   raw -> n_a -> a -> n_b (+ params:k) -> b -> n_d -> d -> ns1.sub.e -> e
#                  a -> n_c -------------> c -> n_d
#   x -> ns10.f -> f           ns1.g reads nothing but parameters
PIPELINE = Pipeline(
    [
        node(identity, "raw", "a", name="n_a", tags=["prep"]),
        node(identity, ["a", "params:k"], "b", name="n_b", tags=["prep", "model"]),
        node(identity, "a", "c", name="n_c", tags="model"),
        node(identity, ["b", "c"], "d", name="n_d", tags="report"),
        node(identity, "d", "e", name="e", namespace="ns1.sub"),
        node(identity, "x", "f", name="f", namespace="ns10"),
        node(identity, "parameters", "g", name="g", namespace="ns1"),
    ]
)

CASES = [
    # one filter
    ({"tags": ["prep"]}, {"n_a", "n_b"}),
    ({"tags": ["model", "report"]}, {"n_b", "n_c", "n_d"}),
    ({"tags": "report"}, {"n_d"}),
    ({"from_nodes": ["n_b"]}, {"n_b", "n_d", "ns1.sub.e"}),
    ({"from_nodes": ["n_b", "ns10.f"]}, {"n_b", "n_d", "ns1.sub.e", "ns10.f"}),
    ({"to_nodes": ["n_d"]}, {"n_a", "n_b", "n_c", "n_d"}),
    ({"to_nodes": ["n_b"]}, {"n_a", "n_b"}),
    ({"to_nodes": ["n_a"]}, {"n_a"}),
    ({"node_names": ["n_a", "ns10.f"]}, {"n_a", "ns10.f"}),
    ({"from_inputs": ["a"]}, {"n_b", "n_c", "n_d", "ns1.sub.e"}),
    ({"from_inputs": ["params:k"]}, {"n_b", "n_d", "ns1.sub.e"}),
    ({"from_inputs": ["c", "x"]}, {"n_d", "ns1.sub.e", "ns10.f"}),
    ({"to_outputs": ["c"]}, {"n_a", "n_c"}),
    ({"to_outputs": ["b", "f"]}, {"n_a", "n_b", "ns10.f"}),
    ({"to_outputs": ["e"]}, {"n_a", "n_b", "n_c", "n_d", "ns1.sub.e"}),
    ({"node_namespaces": ["ns1"]}, {"ns1.sub.e", "ns1.g"}),
    ({"node_namespaces": ["ns1.sub"]}, {"ns1.sub.e"}),
    ({"node_namespaces": ["ns10"]}, {"ns10.f"}),
    ({"node_namespaces": ["ns10", "ns1.sub"]}, {"ns10.f", "ns1.sub.e"}),
    # combined with AND
    ({"tags": ["model"], "from_nodes": ["n_b"]}, {"n_b"}),
    ({"from_nodes": ["n_b"], "to_nodes": ["n_d"]}, {"n_b", "n_d"}),
    ({"from_inputs": ["a"], "to_outputs": ["d"]}, {"n_b", "n_c", "n_d"}),
    (
        {"tags": ["prep", "report"], "to_nodes": ["n_d"], "node_names": ["n_a", "n_d"]},
        {"n_a", "n_d"},
    ),
    ({"from_nodes": ["n_a"], "node_namespaces": ["ns1"]}, {"ns1.sub.e"}),
    # no filter (None or empty) selects everything
    ({}, {x.name for x in PIPELINE}),
    ({"tags": [], "node_names": None}, {x.name for x in PIPELINE}),
]


@pytest.mark.parametrize(("filters", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_filter_selects(filters, expected):
    selected = PIPELINE.filter(**filters)
    assert {x.name for x in selected} == expected
    # the result is ordered exactly as a pipeline built from those nodes would be
    assert list(selected.nodes) == list(Pipeline(list(selected.nodes)[::-1]).nodes)


SINGLE_PURPOSE = [
    ("only_nodes_with_tags", "tags"),
    ("from_nodes", "from_nodes"),
    ("to_nodes", "to_nodes"),
    ("only_nodes", "node_names"),
    ("from_inputs", "from_inputs"),
    ("to_outputs", "to_outputs"),
    ("only_nodes_with_namespaces", "node_namespaces"),
]


@pytest.mark.parametrize(
    ("filters", "expected"), [c for c in CASES if len(c[0]) == 1 and next(iter(c[0].values()))]
)
def test_single_purpose_methods_match_filter(filters, expected):
    ((keyword, values),) = filters.items()
    method = dict((k, m) for m, k in SINGLE_PURPOSE)[keyword]
    values = [values] if isinstance(values, str) else values
    assert {x.name for x in getattr(PIPELINE, method)(*values)} == expected


def test_single_purpose_methods_may_return_an_empty_pipeline():
    assert len(PIPELINE.only_nodes_with_tags("nope")) == 0
    assert len(PIPELINE.only_nodes_with_tags("prep") & PIPELINE.only_nodes("n_d")) == 0


def test_direct_input_and_output_selection():
    assert {x.name for x in PIPELINE.only_nodes_with_inputs("a")} == {"n_b", "n_c"}
    assert {x.name for x in PIPELINE.only_nodes_with_outputs("d")} == {"n_d"}


def test_filter_result_is_a_valid_pipeline_with_its_own_free_inputs():
    selected = PIPELINE.filter(from_nodes=["n_d"])
    assert selected.inputs() == {"b", "c"}
    assert selected.outputs() == {"e"}
    assert [[x.name for x in layer] for layer in selected.grouped_nodes] == [["n_d"], ["ns1.sub.e"]]


ERRORS = [
    ({"node_names": ["n_z"]}, "The pipeline has no node named 'n_z'."),
    ({"node_names": ["n_aa"]}, "did you mean 'n_a'"),
    ({"from_nodes": ["e"]}, "For 'e', did you mean 'ns1.sub.e'"),
    ({"to_nodes": ["sub.e", "n_b"]}, "no node named 'sub.e'"),
    ({"tags": ["nope"]}, "The filter tags=['nope'] selects no nodes (the pipeline's tags: model"),
    ({"tags": ["prep"], "node_names": ["n_d"]}, "node_names=['n_d'] leaves nothing of what tags"),
    (
        {"tags": ["model"], "from_nodes": ["n_b"], "to_outputs": ["c"]},
        "to_outputs=['c'] leaves nothing of what tags=['model'], from_nodes=['n_b'] selected",
    ),
    ({"node_namespaces": ["ns"]}, "No node is in namespace 'ns'. Did you mean"),
    ({"node_namespaces": ["sub"]}, "No node is in namespace 'sub'. Did you mean 'ns1.sub'?"),
    ({"from_inputs": ["aa"]}, "The pipeline has no dataset named 'aa'. Did you mean 'a'?"),
    ({"to_outputs": ["raw"]}, "Dataset 'raw' is not produced by any node"),
    ({"node_names": [3]}, "Filter node_names takes names (strings), got 3"),
]


@pytest.mark.parametrize(("filters", "message"), ERRORS, ids=[str(e[0]) for e in ERRORS])
def test_filter_errors_say_what_and_which_filter(filters, message):
    with pytest.raises(PipelineError) as info:
        PIPELINE.filter(**filters)
    assert message in str(info.value)


def test_namespace_filter_on_a_pipeline_without_namespaces():
    plain = PIPELINE.only_nodes("n_a", "n_b")
    with pytest.raises(PipelineError, match="The pipeline has no namespaces"):
        plain.filter(node_namespaces=["ns1"])


def test_filtering_does_not_change_the_original():
    before = list(PIPELINE.nodes)
    PIPELINE.filter(tags=["prep"])
    assert list(PIPELINE.nodes) == before
    assert PIPELINE.filter() is PIPELINE
