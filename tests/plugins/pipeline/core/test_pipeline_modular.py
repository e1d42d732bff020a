"""pipeline(): reusing a pipeline under namespaces with renamed inputs, outputs and parameters."""

from __future__ import annotations

import pytest

from drupe_pipeline.errors import PipelineError
from drupe_pipeline.modular import pipeline
from drupe_pipeline.node import node
from drupe_pipeline.pipeline import Pipeline


def train(data, rate):
    return data * rate


def fit(data, rate):
    return {"model": data * rate}


def score(model, data):
    return model + data


TEMPLATE = Pipeline(
    [
        node(train, ["data", "params:model.rate"], "model", name="train", tags="fit"),
        node(score, ["model", "holdout"], "score", name="score"),
    ]
)


def by_name(p):
    return {x.name: x for x in p.nodes}


def test_namespace_prefixes_node_names_unmapped_datasets_and_parameters():
    copy = pipeline(TEMPLATE, namespace="candidate")
    nodes = by_name(copy)
    assert set(nodes) == {"candidate.train", "candidate.score"}
    assert nodes["candidate.train"].inputs == ("candidate.data", "params:candidate.model.rate")
    assert nodes["candidate.train"].outputs == ("candidate.model",)
    assert nodes["candidate.score"].inputs == ("candidate.model", "candidate.holdout")
    assert nodes["candidate.train"].namespace == "candidate"
    assert nodes["candidate.train"].tags == {"fit"}
    assert copy.inputs() == {"candidate.data", "candidate.holdout", "params:candidate.model.rate"}
    assert copy.outputs() == {"candidate.score"}


def test_mapped_inputs_and_outputs_keep_or_take_the_given_names():
    copy = pipeline(
        TEMPLATE,
        namespace="candidate",
        inputs={"data": "features", "holdout": "holdout"},
        outputs={"score": "candidate_score"},
    )
    assert copy.inputs() == {"features", "holdout", "params:candidate.model.rate"}
    assert copy.outputs() == {"candidate_score"}
    assert by_name(copy)["candidate.train"].outputs == ("candidate.model",)


def test_inputs_and_outputs_given_as_names_or_sets_stay_unchanged():
    copy = pipeline(TEMPLATE, namespace="a", inputs={"data", "holdout"}, outputs="score")
    assert copy.inputs() == {"data", "holdout", "params:a.model.rate"}
    assert copy.outputs() == {"score"}


def test_two_namespaced_copies_combine_without_clashing():
    both = pipeline(TEMPLATE, namespace="a", inputs="data") + pipeline(
        TEMPLATE, namespace="b", inputs="data", parameters={"params:model": "params:other"}
    )
    assert len(both) == 4
    assert both.inputs() == {
        "data",
        "a.holdout",
        "b.holdout",
        "params:a.model.rate",
        "params:other.rate",
    }
    assert {x.name for x in both.only_nodes_with_namespaces("b")} == {"b.train", "b.score"}


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"params:model.rate": "params:fast_rate"}, "params:fast_rate"),
        ({"model.rate": "fast_rate"}, "params:fast_rate"),
        ({"params:model": "params:alt"}, "params:alt.rate"),
    ],
)
def test_parameters_are_renamed_exactly_or_by_dotted_prefix(parameters, expected):
    copy = pipeline(TEMPLATE, parameters=parameters)
    assert by_name(copy)["train"].inputs == ("data", expected)


def test_renamed_nodes_run_with_the_same_binding():
    copy = pipeline(TEMPLATE, namespace="x", inputs={"data": "d"})
    trained = by_name(copy)["x.train"].run({"d": 2, "params:x.model.rate": 3})
    assert trained == {"x.model": 6}


def test_keyword_and_dict_output_shapes_survive_renaming():
    original = Pipeline([node(fit, {"rate": "params:r", "data": "d"}, {"model": "m"}, name="t")])
    copy = pipeline(original, namespace="ns")
    renamed = by_name(copy)["ns.t"]
    assert renamed.input_args == ("rate", "data")
    assert renamed.run({"params:ns.r": 2, "ns.d": 5}) == {"ns.m": 10}


def test_nested_namespaces_stack():
    inner = pipeline(TEMPLATE, namespace="inner", inputs="data")
    outer = pipeline(inner, namespace="outer")
    assert {x.name for x in outer} == {"outer.inner.train", "outer.inner.score"}
    assert by_name(outer)["outer.inner.train"].namespace == "outer.inner"
    assert outer.inputs() == {"outer.data", "outer.inner.holdout", "params:outer.inner.model.rate"}
    assert len(outer.only_nodes_with_namespaces("outer")) == 2
    assert len(outer.only_nodes_with_namespaces("outer.inner")) == 2


def test_derived_node_names_follow_renamed_datasets():
    plain = Pipeline([node(score, ["m", "h"], "s")])
    copy = pipeline(plain, namespace="ns")
    assert [x.name for x in copy] == ["ns.score([ns.m;ns.h]) -> [ns.s]"]


def test_without_namespace_only_mappings_apply_and_tags_are_added():
    copy = pipeline(TEMPLATE, inputs={"data": "raw"}, tags=["extra"])
    assert copy.inputs() == {"raw", "holdout", "params:model.rate"}
    assert {x.name for x in copy} == {"train", "score"}
    assert all("extra" in x.tags for x in copy)


def test_a_list_of_nodes_is_accepted():
    copy = pipeline(list(TEMPLATE.nodes), namespace="n")
    assert len(copy) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inputs": "nope"}, "pipeline(inputs=...) maps 'nope', but no node"),
        ({"inputs": "dat"}, "Did you mean 'data'?"),
        ({"outputs": {"scor": "x"}}, "pipeline(outputs=...) maps 'scor'"),
        ({"inputs": "model"}, "'model', which a node inside the pipeline writes"),
        ({"outputs": "data"}, "'data', which no node of the pipeline writes"),
        ({"inputs": "params:model.rate"}, "list parameters with parameters=... instead"),
        ({"parameters": {"params:unknown": "params:x"}}, "maps 'params:unknown', but no node"),
        ({"parameters": {"parameters": "params:x"}}, "'parameters' (all of them) is never"),
        ({"inputs": {"data": 3}}, "names must be non-empty strings"),
        ({"namespace": "a..b"}, "a namespace is a dotted name"),
    ],
)
def test_mapping_errors_name_what_is_wrong(kwargs, message):
    with pytest.raises(PipelineError) as info:
        pipeline(TEMPLATE, **kwargs)
    assert message in str(info.value)


def test_renaming_into_a_clash_is_caught_by_node_and_pipeline_validation():
    with pytest.raises(PipelineError, match="'score' has 'score' as both input and output"):
        pipeline(TEMPLATE, inputs={"holdout": "score"})
    chain = Pipeline(
        [node(score, ["a", "b"], "c", name="one"), node(train, ["c", "e"], "d", name="two")]
    )
    with pytest.raises(PipelineError, match="cycle: "):
        pipeline(chain, inputs={"b": "d"})
