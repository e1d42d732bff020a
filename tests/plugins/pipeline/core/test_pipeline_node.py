"""node(): every input/output shape, parameters, derived names, and definition-time errors."""

from __future__ import annotations

import functools
import pickle

import pytest

from drupe_pipeline.errors import PipelineError
from drupe_pipeline.node import FIELDS, Node, node


def add(a, b):
    return a + b


def split(x):
    return x // 2, x % 2


def stats(values):
    return {"total": sum(values), "count": len(values)}


def constant():
    return 42


def sink(value):
    return "ignored"


def with_defaults(a, b=10, *, scale=1):
    return (a + b) * scale


@pytest.mark.parametrize(
    ("inputs", "outputs", "func", "given", "expected"),
    [
        (None, "out", constant, {}, {"out": 42}),
        ("x", None, sink, {"x": 1}, {}),
        (["x", "y"], "s", add, {"x": 2, "y": 3}, {"s": 5}),
        (("x", "y"), "s", add, {"x": 2, "y": 3}, {"s": 5}),
        ({"b": "y", "a": "x"}, "s", add, {"x": "a", "y": "b"}, {"s": "ab"}),
        ("x", ["half", "rest"], split, {"x": 7}, {"half": 3, "rest": 1}),
        ("v", {"total": "t", "count": "n"}, stats, {"v": [1, 2, 3]}, {"t": 6, "n": 3}),
        ("x", "y", with_defaults, {"x": 1}, {"y": 11}),
        ({"a": "x", "scale": "params:k"}, "y", with_defaults, {"x": 1, "params:k": 2}, {"y": 22}),
        ("parameters", "y", len, {"parameters": {"a": 1, "b": 2}}, {"y": 2}),
        (["x", "x"], "y", add, {"x": 4}, {"y": 8}),
    ],
)
def test_node_binds_inputs_and_maps_outputs(inputs, outputs, func, given, expected):
    assert node(func, inputs, outputs).run(given) == expected


def test_node_records_shape_and_names():
    n = node(add, {"a": "x", "b": "params:model.rate"}, "y", tags=["t1", "t2"])
    assert n.inputs == ("x", "params:model.rate")
    assert n.input_args == ("a", "b")
    assert n.outputs == ("y",)
    assert n.tags == frozenset({"t1", "t2"})
    assert isinstance(n, Node)


def test_derived_name_uses_function_and_datasets_without_commas():
    n = node(add, ["x", "y"], ["s"])
    assert n.name == "add([x;y]) -> [s]"
    assert "," not in n.name  # --nodes splits on commas
    assert node(functools.partial(add, 1), "x", "y").name == "add([x]) -> [y]"
    assert node(lambda: 1, None, "y").name == "<lambda>([]) -> [y]"


def test_namespace_prefixes_the_name_but_not_the_datasets():
    n = node(add, ["x", "params:p"], "y", name="summing", namespace="outer.inner")
    assert n.name == "outer.inner.summing"
    assert n.short_name == "summing"
    assert n.namespace == "outer.inner"
    assert n.inputs == ("x", "params:p")
    assert n.outputs == ("y",)


def test_nodes_are_hashable_values_and_pickle():
    first = node(add, ["x", "y"], "s", name="n", tags="t")
    second = node(add, ["x", "y"], "s", name="n", tags=["t"])
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1
    copy = pickle.loads(pickle.dumps(first))
    assert copy == first
    assert copy.run({"x": 1, "y": 2}) == {"s": 3}
    with pytest.raises(AttributeError):
        first.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del first.inputs  # type: ignore[misc]


def test_a_node_holds_exactly_its_declared_fields():
    # FIELDS drives copies (tagged, renamed) and match patterns: it must name
    # every field a node is built with, and only those.
    n = node(add, {"a": "x", "b": "y"}, {"s": "s"}, name="n", tags="t", namespace="ns")
    hash(n)  # caches the hash on the node: not a field
    assert set(vars(n)) - {"_hash"} == set(FIELDS)
    assert Node.__match_args__ == FIELDS
    tagged = n.tagged("u")
    assert set(vars(tagged)) - {"_hash"} == set(FIELDS)
    assert (tagged.input_args, tagged.output_keys) == (("a", "b"), ("s",))


def test_tagged_adds_tags_and_keeps_the_rest():
    n = node(add, ["x", "y"], "s", name="n", tags="a")
    tagged = n.tagged(["b", "c"])
    assert tagged.tags == {"a", "b", "c"}
    assert (tagged.name, tagged.inputs, tagged.outputs) == (n.name, n.inputs, n.outputs)
    assert n.tagged("a") is n


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: node(add, ["x", "y"], ["s", "s"], name="dup"),
            "'dup' declares output(s) 's' twice",
        ),
        (lambda: node(add, {"a": "x", "b": "y"}, {"k": "s", "j": "s"}, name="dup"), "'s' twice"),
        (
            lambda: node(add, ["x", "y"], "x", name="loop"),
            "'loop' has 'x' as both input and output",
        ),
        (lambda: node(add, ["x", 3], "s", name="bad"), "'bad': input names must be strings, got 3"),
        (lambda: node(add, ["x", "y"], [None], name="bad"), "'bad': output names must be strings"),
        (lambda: node(add, "x", "s", name="short"), "'short': add(a, b) cannot take 1 positional"),
        (lambda: node(add, ["x", "y", "z"], "s", name="long"), "cannot take 3 positional"),
        (
            lambda: node(add, {"a": "x", "c": "y"}, "s", name="kw"),
            "'kw': add(a, b) cannot take keyword",
        ),
        (lambda: node(constant, "x", "y", name="none"), "'none': constant() cannot take"),
        (
            lambda: node(add, {"not valid": "x"}, "s", name="kw"),
            "'not valid' is not a valid argument",
        ),
        (lambda: node(add, 5, "s", name="shape"), "'shape': inputs must be None, a dataset name"),
        (lambda: node(sink, "x", {1: "y"}, name="keys"), "'keys': output key 1 must be a string"),
        (lambda: node(sink, "x", "params:y", name="p"), "parameters are read-only"),
        (lambda: node(sink, "x", "parameters", name="p"), "parameters are read-only"),
        (lambda: node(sink, "params:", "y", name="p"), "'params:' names no parameter"),
        (lambda: node(sink, " x", "y", name="sp"), "surrounding spaces"),
        (lambda: node("sink", "x", "y", name="f"), "the first argument must be a function"),
        (lambda: node(sink, "x", "y", name=""), "name must be a non-empty string"),
        (lambda: node(sink, "x", "y", name="n", namespace="a..b"), "namespace must be a dotted"),
        (lambda: node(sink, "x", "y", name="n", tags=["a,b"]), "tag 'a,b' may contain only"),
        (lambda: node(sink, "x", "y", name="n", namespace="ns", tags=[1]), "'ns.n': tag 1"),
    ],
)
def test_bad_definitions_fail_at_definition_naming_the_node(call, message):
    with pytest.raises(PipelineError) as info:
        call()
    assert message in str(info.value)


def test_signature_check_passes_for_builtins_without_signature():
    # Some builtins cannot be introspected; the node still works when called right.
    n = node(max, ["a", "b"], "m")
    assert n.run({"a": 1, "b": 5}) == {"m": 5}


@pytest.mark.parametrize(
    ("outputs", "returned", "message"),
    [
        (["a", "b"], 1, "declares 2 outputs 'a', 'b' but returned a int"),
        (["a", "b"], (1, 2, 3), "returned 3 values"),
        ({"k": "a", "j": "b"}, [1, 2], "returned a list, not a dict"),
        ({"k": "a", "j": "b"}, {"k": 1}, "missing key(s) 'j'"),
        ({"k": "a"}, {"k": 1, "z": 2}, "unexpected key(s) 'z'"),
    ],
)
def test_return_value_not_matching_outputs_fails_naming_the_node(outputs, returned, message):
    n = node(lambda x: returned, "x", outputs, name="shaper")
    with pytest.raises(PipelineError) as info:
        n.run({"x": 0})
    assert "'shaper'" in str(info.value)
    assert message in str(info.value)


def test_run_without_an_input_names_it():
    with pytest.raises(PipelineError, match="'n' was run without its input\\(s\\) 'y'"):
        node(add, ["x", "y"], "s", name="n").run({"x": 1})


def test_exceptions_from_the_function_propagate_unchanged():
    def boom(x):
        raise ValueError("bad data")

    with pytest.raises(ValueError, match="bad data"):
        node(boom, "x", "y").run({"x": 1})


def _same_node_in_this_process(data: bytes) -> bool:
    received = pickle.loads(data)
    rebuilt = node(len, "a", "b", name="n", tags="t")
    return hash(received) == hash(rebuilt) and received == rebuilt


def test_a_node_sent_to_a_spawned_process_hashes_like_one_built_there():
    # Runners look nodes up in dicts across processes; a hash cached in the
    # parent (string hashes differ per process) must not travel with the node.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    sent = node(len, "a", "b", name="n", tags="t")
    hash(sent)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        assert pool.submit(_same_node_in_this_process, pickle.dumps(sent)).result()
