"""`pipeline()`: reuse one pipeline several times under a namespace, with renamed datasets.

A modular pipeline is an ordinary pipeline passed through `pipeline()`. With a
``namespace``, every dataset gets that prefix (``model`` becomes
``candidate.model``) so two copies never write the same dataset, every node
name gets it (``candidate.train``), and so does every single parameter
(``params:factor`` becomes ``params:candidate.factor``), so two copies read
their own parameters — Kedro 1.x's rules, which a migrated project relies on.

What keeps its name: the datasets listed in ``inputs`` and ``outputs`` (they
connect the copy to the outside; a dict renames them), the parameters listed
in ``parameters`` (shared configuration; a dict renames them), and the
whole-parameters input ``parameters``. A transcoded name follows its
dataset: mapping ``df`` maps ``df@pandas`` and ``df@spark`` alike, each keeping
its ``@format``. Nesting composes: namespace ``b`` inside namespace ``a`` is
the same as ``namespace="a.b"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from drupe_pipeline.errors import PipelineError, did_you_mean
from drupe_pipeline.node import (
    ALL_PARAMETERS,
    PARAMS_PREFIX,
    TRANSCODING_SEPARATOR,
    Node,
    is_parameter,
    strip_transcoding,
    transcode_split,
)
from drupe_pipeline.pipeline import Pipeline

Names = str | Iterable[str] | Mapping[str, str] | None


def pipeline(
    pipe: Pipeline | Iterable[Node | Pipeline],
    *,
    namespace: str | None = None,
    inputs: Names = None,
    outputs: Names = None,
    parameters: Names = None,
    tags: str | Iterable[str] | None = None,
) -> Pipeline:
    """A copy of ``pipe`` with datasets, parameters and node names remapped.

    Args:
        pipe: a pipeline (or a list of nodes and pipelines).
        namespace: dotted prefix for node names, for every dataset not mapped
            through ``inputs``/``outputs`` and for every single parameter not
            mapped through ``parameters``.
        inputs: free inputs of ``pipe`` to connect from outside: a name or a
            list of names (kept as they are) or a dict ``{name in pipe: new name}``.
        outputs: datasets written by ``pipe`` to expose, same forms as ``inputs``.
        parameters: parameters kept out of the namespace: a name or list of
            names (kept as they are) or a dict renaming them,
            ``{"params:old": "params:new"}``; the ``params:`` prefix may be
            left out on either side. Mapping ``params:a`` also maps its sub-keys
            ``params:a.b`` (a drupe addition; Kedro maps exact names only).
        tags: tags added to every node.

    Raises:
        PipelineError: a mapped name is not in ``pipe`` (or not a free input
            / not an output / not a parameter, as its argument requires).
    """
    if not isinstance(pipe, Pipeline):
        pipe = Pipeline(pipe)
    if namespace is not None and (
        not isinstance(namespace, str) or not all(part for part in namespace.split("."))
    ):
        raise PipelineError(
            f"pipeline(namespace={namespace!r}): a namespace is a dotted name like 'a.b'."
        )
    input_map = _as_mapping(inputs, "inputs")
    output_map = _as_mapping(outputs, "outputs")
    param_map = {
        _as_param(key, "parameters"): _as_param(value, "parameters")
        for key, value in _as_mapping(parameters, "parameters").items()
    }
    _validate(pipe, input_map, output_map, param_map)
    dataset_map = {**input_map, **output_map}

    def rename(name: str) -> str:
        if name == ALL_PARAMETERS:
            return name
        if is_parameter(name):
            mapped = _mapped_parameter(name, param_map)
            if mapped is not None:
                return mapped
            return f"{PARAMS_PREFIX}{namespace}.{name[len(PARAMS_PREFIX) :]}" if namespace else name
        if name in dataset_map:
            return dataset_map[name]
        base, form = transcode_split(name)
        if form and base in dataset_map:
            return dataset_map[base] + TRANSCODING_SEPARATOR + form
        return f"{namespace}.{name}" if namespace else name

    return Pipeline([n.renamed(rename, namespace=namespace) for n in pipe.nodes], tags=tags)


def _as_mapping(value: Names, label: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        value = [value]
    items = value.items() if isinstance(value, Mapping) else ((v, v) for v in value)
    mapping = {}
    for key, new in items:
        if not isinstance(key, str) or not isinstance(new, str) or not key or not new:
            raise PipelineError(
                f"pipeline({label}=...): names must be non-empty strings, got {key!r}: {new!r}."
            )
        mapping[key] = new
    return mapping


def _as_param(name: str, label: str) -> str:
    if name == ALL_PARAMETERS:
        raise PipelineError(
            f"pipeline({label}=...): 'parameters' (all of them) is never namespaced or "
            "renamed; list single parameters such as 'params:learning_rate'."
        )
    return name if name.startswith(PARAMS_PREFIX) else PARAMS_PREFIX + name


def _mapped_parameter(name: str, param_map: Mapping[str, str]) -> str | None:
    if name in param_map:
        return param_map[name]
    for old, new in param_map.items():
        if name.startswith(old + "."):
            return new + name[len(old) :]
    return None


def _validate(
    pipe: Pipeline,
    input_map: Mapping[str, str],
    output_map: Mapping[str, str],
    param_map: Mapping[str, str],
) -> None:
    datasets = {strip_transcoding(d) for d in pipe.datasets() if not is_parameter(d)}
    free_inputs = {strip_transcoding(d) for d in pipe.inputs()}
    all_outputs = {strip_transcoding(d) for d in pipe.all_outputs()}
    for label, mapping in (("inputs", input_map), ("outputs", output_map)):
        for name in mapping:
            if is_parameter(name):
                raise PipelineError(
                    f"pipeline({label}=...) maps parameter {name!r}: "
                    "list parameters with parameters=... instead."
                )
            if strip_transcoding(name) not in datasets:
                raise PipelineError(
                    f"pipeline({label}=...) maps {name!r}, but no node of the pipeline "
                    f"reads or writes a dataset of that name.{did_you_mean(name, datasets)}"
                )
    for name in input_map:
        if strip_transcoding(name) not in free_inputs:
            raise PipelineError(
                f"pipeline(inputs=...) maps {name!r}, which a node inside the pipeline "
                "writes: inputs must be free inputs; map it with outputs=... instead."
            )
    for name in output_map:
        if strip_transcoding(name) not in all_outputs:
            raise PipelineError(
                f"pipeline(outputs=...) maps {name!r}, which no node of the pipeline writes "
                "(it is a free input): map it with inputs=... instead."
            )
    params = {d for d in pipe.all_inputs() if d.startswith(PARAMS_PREFIX)}
    for name in param_map:
        if not any(p == name or p.startswith(name + ".") for p in params):
            raise PipelineError(
                f"pipeline(parameters=...) maps {name!r}, but no node of the pipeline "
                f"reads that parameter.{did_you_mean(name, params)}"
            )
