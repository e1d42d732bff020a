"""Kedro 1.x parity of nodes and pipelines, as tables of (input, expected answer).

The expected answers are Kedro's documented behaviour: namespaces prefix
datasets, node names and single parameters (not the whole ``parameters``,
not what ``inputs``/``outputs``/``parameters`` list); ``name@format`` is one
dataset for the pipeline; node names and tags use letters, digits, ``-``,
``_`` and ``.``; a node reads or writes something; pipelines compare nodes by
function, inputs, outputs and name. A project moved from Kedro must compute
the same thing on drupe, so each row is a case a migrated project relies on.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from drupe_pipeline.catalog import DataCatalog
from drupe_pipeline.errors import PipelineError
from drupe_pipeline.modular import pipeline
from drupe_pipeline.node import Node, node
from drupe_pipeline.pipeline import Pipeline
from drupe_pipeline.runners import MissingInputsError, SequentialRunner


def scale(data, factor):
    return data * factor


def scale_all(data, params):
    return data * params["factor"]


def identity(x):
    return x


def combine(a, b):
    return [a, b]


def names(p: Pipeline) -> list[str]:
    return [n.name for n in p.nodes]


# -- namespaces ------------------------------------------------------------------------


def one_node(inputs):
    return Pipeline([node(scale, inputs, "out", name="scale")])


@pytest.mark.parametrize(
    ("namespace", "parameters", "node_inputs", "expected_inputs"),
    [
        # a namespace prefixes a single parameter like a dataset
        ("ns", None, ["data", "params:factor"], ("ns.data", "params:ns.factor")),
        ("ns", None, ["data", "params:model.factor"], ("ns.data", "params:ns.model.factor")),
        # listed parameters stay as they are, written with or without "params:"
        ("ns", "factor", ["data", "params:factor"], ("ns.data", "params:factor")),
        ("ns", "params:factor", ["data", "params:factor"], ("ns.data", "params:factor")),
        ("ns", ["factor"], ["data", "params:factor"], ("ns.data", "params:factor")),
        # ... or are renamed as given, either form on either side
        ("ns", {"factor": "shared.f"}, ["data", "params:factor"], ("ns.data", "params:shared.f")),
        (
            "ns",
            {"params:factor": "params:f2"},
            ["data", "params:factor"],
            ("ns.data", "params:f2"),
        ),
        # the whole-parameters input is never prefixed
        ("ns", None, ["data", "parameters"], ("ns.data", "parameters")),
        # a dotted namespace prefixes the same way
        ("a.b", None, ["data", "params:factor"], ("a.b.data", "params:a.b.factor")),
        # no namespace: only the mappings apply
        (None, None, ["data", "params:factor"], ("data", "params:factor")),
    ],
)
def test_namespace_rules_for_parameters(namespace, parameters, node_inputs, expected_inputs):
    func = scale_all if "parameters" in node_inputs else scale
    source = Pipeline([node(func, node_inputs, "out", name="scale")])
    result = pipeline(source, namespace=namespace, parameters=parameters)
    (only,) = result.nodes
    assert only.inputs == expected_inputs


def test_two_instances_of_one_modular_pipeline_read_their_own_parameters():
    template = one_node(["data", "params:factor"])
    both = pipeline(template, namespace="small", inputs="data") + pipeline(
        template, namespace="large", inputs="data"
    )
    assert both.inputs() == {"data", "params:small.factor", "params:large.factor"}
    catalog = DataCatalog(parameters={"small": {"factor": 2}, "large": {"factor": 10}})
    catalog.add("data", _memory(3))
    outputs = SequentialRunner().run(both, catalog)
    assert outputs == {"small.out": 6, "large.out": 30}


@pytest.mark.parametrize(
    "build",
    [
        lambda p: pipeline(pipeline(p, namespace="b"), namespace="a"),
        lambda p: pipeline(p, namespace="a.b"),
        lambda p: Pipeline(Pipeline(p, namespace="b"), namespace="a"),  # Kedro 1.x spelling
    ],
    ids=["nested", "dotted", "Pipeline-constructor"],
)
def test_nested_and_dotted_namespaces_compose_the_same_way(build):
    result = build(one_node(["data", "params:factor"]))
    (only,) = result.nodes
    assert only.name == "a.b.scale"
    assert only.namespace == "a.b"
    assert only.inputs == ("a.b.data", "params:a.b.factor")
    assert only.outputs == ("a.b.out",)


# -- transcoding -----------------------------------------------------------------------

TRANSCODED = Pipeline(
    [
        node(identity, "raw", "df@pandas", name="make"),
        node(identity, "df@spark", "wide", name="widen"),
        node(identity, "df@pandas", "tall", name="lengthen"),
    ]
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("order", ["make", "lengthen", "widen"]),
        ("inputs", {"raw"}),
        ("outputs", {"wide", "tall"}),
        ("from_inputs df", ["lengthen", "widen"]),
        ("from_inputs df@spark", ["lengthen", "widen"]),
        ("to_outputs df", ["make"]),
        ("to_outputs wide", ["make", "widen"]),
        ("only_nodes_with_inputs df", ["lengthen", "widen"]),
    ],
)
def test_transcoded_names_are_one_dataset_for_the_pipeline(question, expected):
    if question == "order":
        assert names(TRANSCODED) == expected
    elif question == "inputs":
        assert TRANSCODED.inputs() == expected
    elif question == "outputs":
        assert TRANSCODED.outputs() == expected
    else:
        method, dataset = question.split()
        assert names(getattr(TRANSCODED, method)(dataset)) == expected


def test_the_widen_node_depends_on_the_node_writing_another_format():
    deps = {n.name: {d.name for d in ds} for n, ds in TRANSCODED.node_dependencies.items()}
    assert deps == {"make": set(), "widen": {"make"}, "lengthen": {"make"}}


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        ({"df": "shared_df"}, {"shared_df@pandas"}),
        ("df", {"df@pandas"}),
        (None, {"ns.df@pandas"}),
    ],
)
def test_modular_outputs_map_the_dataset_and_keep_each_format(outputs, expected):
    source = Pipeline([node(identity, "raw", "df@pandas", name="make")])
    result = pipeline(source, namespace="ns", inputs="raw", outputs=outputs)
    assert result.all_outputs() == expected


def test_modular_inputs_map_every_format_of_a_free_dataset():
    source = Pipeline(
        [node(identity, "df@pandas", "a", name="one"), node(identity, "df@spark", "b", name="two")]
    )
    result = pipeline(source, namespace="ns", inputs={"df": "source"})
    assert result.inputs() == {"source@pandas", "source@spark"}


@pytest.mark.parametrize(
    "nodes",
    [
        [node(identity, "raw", "df@pandas", name="a"), node(identity, "df", "b", name="b")],
        [node(identity, "df", "x", name="a"), node(identity, "df@spark", "y", name="b")],
    ],
)
def test_a_dataset_used_with_and_without_its_format_is_an_error_naming_it(nodes):
    with pytest.raises(PipelineError, match="'df' are used transcoded"):
        Pipeline(nodes)


def test_two_nodes_writing_two_formats_of_one_dataset_is_an_error():
    with pytest.raises(PipelineError, match="Dataset 'df' is an output of both node"):
        Pipeline(
            [node(identity, "a", "df@pandas", name="x"), node(identity, "b", "df@spark", name="y")]
        )


def test_a_node_reading_and_writing_one_dataset_in_two_formats_is_an_error():
    with pytest.raises(PipelineError, match="'df' as both input and output"):
        node(identity, "df@spark", "df@pandas", name="convert")


def test_the_catalog_resolves_each_format_to_its_own_entry(tmp_path: Path):
    path = str(tmp_path / "df.json")
    catalog = DataCatalog.from_config(
        {
            "df@json": {"type": "JSONDataset", "filepath": path},
            "df@text": {"type": "TextDataset", "filepath": path},
        }
    )
    flow = Pipeline(
        [
            node(lambda: {"rows": 2}, None, "df@json", name="write"),
            node(str.upper, "df@text", "shout", name="read_as_text"),
        ]
    )
    outputs = SequentialRunner().run(flow, catalog)
    assert outputs["shout"].replace(" ", "").replace("\n", "") == '{"ROWS":2}'


def test_a_transcoded_read_without_its_own_entry_fails_before_any_node_runs():
    flow = Pipeline(
        [node(lambda: 1, None, "df@pandas", name="w"), node(identity, "df@spark", "o", name="r")]
    )
    with pytest.raises(MissingInputsError, match="df@spark have no catalog entry"):
        SequentialRunner().run(flow, DataCatalog())


# -- validation at construction ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("train_model", True),
        ("train-model.v2", True),
        ("modèle_1", True),  # letters of any script
        ("train model", False),
        ("train/model", False),
        ("train:model", False),
        ("a,b", False),
        ("x@y", False),
    ],
)
def test_node_names_accept_letters_digits_dash_underscore_and_dot(name, valid):
    if valid:
        assert node(identity, "a", "b", name=name).name == name
    else:
        with pytest.raises(PipelineError, match="may contain only letters, digits"):
            node(identity, "a", "b", name=name)


@pytest.mark.parametrize(
    ("tags", "valid"),
    [
        ("nightly", True),
        (["model-v2", "stage.1", "é"], True),
        ("two words", False),
        (["ok", "a,b"], False),
        (["ok", ""], False),
        ([3], False),
    ],
)
def test_tags_accept_the_same_characters_as_names(tags, valid):
    if valid:
        assert node(identity, "a", "b", name="n", tags=tags).tags
    else:
        with pytest.raises(PipelineError, match="may contain only letters, digits"):
            node(identity, "a", "b", name="n", tags=tags)


@pytest.mark.parametrize(("inputs", "outputs"), [(None, None), ([], None), (None, []), ({}, [])])
def test_a_node_without_inputs_or_outputs_is_an_error(inputs, outputs):
    with pytest.raises(PipelineError, match="has neither inputs nor outputs"):
        node(lambda: None, inputs, outputs, name="nothing")


@pytest.mark.parametrize(
    "listed",
    [
        lambda a, b: [a, b],  # two different nodes, one name
        lambda a, b: [a, a],  # the same node twice
        lambda a, b: [Pipeline([a]), a],  # the same node through a pipeline
        lambda a, b: [Pipeline([a]), Pipeline([a])],
    ],
)
def test_a_pipeline_may_not_list_two_nodes_with_one_name(listed):
    first = node(identity, "x", "y", name="same")
    second = node(identity, "p", "q", name="same")
    with pytest.raises(PipelineError, match="'same'"):
        Pipeline(listed(first, second))


# -- node identity in + - & | ---------------------------------------------------------


A = node(identity, "x", "y", name="a", tags="one")
A_TAGGED = node(identity, "x", "y", name="a", tags=["one", "two"])
A_OTHER_FUNC = node(str, "x", "y", name="a")
B = node(identity, "y", "z", name="b")


@pytest.mark.parametrize(
    ("left", "right", "op", "expected"),
    [
        ([A, B], [A_TAGGED], "-", ["b"]),  # tags do not make a different node
        ([A, B], [A_TAGGED], "&", ["a"]),
        ([A], [A_TAGGED], "+", ["a"]),  # equal nodes count once in a union
        ([A], [A_TAGGED], "|", ["a"]),
        ([A, B], [A_OTHER_FUNC], "-", ["a", "b"]),  # another function is another node
        ([A, B], [A_OTHER_FUNC], "&", []),
        ([A, B], [B], "-", ["a"]),
    ],
)
def test_operators_compare_nodes_by_function_inputs_outputs_and_name(left, right, op, expected):
    result = {
        "+": lambda x, y: x + y,
        "|": lambda x, y: x | y,
        "-": lambda x, y: x - y,
        "&": lambda x, y: x & y,
    }[op](Pipeline(left), Pipeline(right))
    assert names(result) == expected


def test_a_union_of_two_different_nodes_with_one_name_is_an_error():
    with pytest.raises(PipelineError, match="Two different nodes are named 'a'"):
        Pipeline([A]) + Pipeline([A_OTHER_FUNC])


def test_equal_nodes_hash_equal_and_survive_pickling():
    assert A == A_TAGGED and hash(A) == hash(A_TAGGED)
    assert A != A_OTHER_FUNC
    assert pickle.loads(pickle.dumps(A)) == A
    # the cached hash never travels: string hashes differ between processes
    assert "_hash" not in pickle.loads(pickle.dumps(A)).__dict__


# -- Node(...) as Kedro users call it ----------------------------------------------------


def test_node_class_called_with_keywords_builds_the_same_node_as_node():
    made = Node(
        func=scale, inputs=["data", "params:f"], outputs="out", name="s", tags="t", namespace="ns"
    )
    assert made == node(scale, ["data", "params:f"], "out", name="s", namespace="ns")
    assert made.name == "ns.s"
    assert made.tags == {"t"}
    assert made.run({"data": 2, "params:f": 3}) == {"out": 6}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"inputs": "data", "outputs": "out"}, "cannot take 1 positional input"),
        ({"inputs": ["data", "f"], "outputs": "out", "name": "bad name"}, "may contain only"),
        ({"inputs": ["data", "f"], "outputs": "out", "tags": "a b"}, "may contain only"),
        ({"inputs": 5, "outputs": "out"}, "inputs must be None, a dataset name"),
        ({"inputs": None, "outputs": None}, "neither inputs nor outputs"),
    ],
)
def test_node_class_validates_exactly_like_node(kwargs, message):
    for build in (Node, node):
        with pytest.raises(PipelineError, match=message):
            build(scale, **kwargs)


def test_a_string_where_a_list_is_expected_is_one_name_never_its_characters():
    made = Node(identity, inputs="data", outputs="out", tags="nightly")
    assert made.inputs == ("data",)
    assert made.tags == {"nightly"}


def _memory(value):
    from drupe_pipeline.datasets import MemoryDataset

    return MemoryDataset(value)
