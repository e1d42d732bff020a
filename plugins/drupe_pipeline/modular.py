"""`pipeline()`: reuse one pipeline several times under a namespace, with renamed datasets.

A modular pipeline is an ordinary pipeline passed through `pipeline()`. With a
``namespace``, every dataset gets that prefix (``model`` becomes
``candidate.model``) so two copies never write the same dataset, and every
node name gets it too (``candidate.train``). The datasets that connect the
copy to the outside are listed in ``inputs`` and ``outputs``: they keep their
name, or take the one given. Parameters are shared configuration, so they are
never prefixed; ``parameters`` renames them explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from drupe_pipeline.errors import PipelineError, did_you_mean
from drupe_pipeline.node import ALL_PARAMETERS, PARAMS_PREFIX, Node, is_parameter
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
        namespace: dotted prefix for node names and for every dataset not
            mapped through ``inputs``/``outputs`` (parameters excepted).
        inputs: free inputs of ``pipe`` to connect from outside: a name or a
            list of names (kept as they are) or a dict ``{name in pipe: new name}``.
        outputs: datasets written by ``pipe`` to expose, same forms as ``inputs``.
        parameters: parameters to rename, ``{"params:old": "params:new"}``
            (the ``params:`` prefix may be left out). Renaming ``params:a``
            also renames its sub-keys ``params:a.b``.
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

    def rename(name: str) -> str:
        if is_parameter(name):
            return _rename_parameter(name, param_map)
        if name in input_map:
            return input_map[name]
        if name in output_map:
            return output_map[name]
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
            f"pipeline({label}=...): 'parameters' (all of them) cannot be renamed; "
            "rename single parameters such as 'params:learning_rate'."
        )
    return name if name.startswith(PARAMS_PREFIX) else PARAMS_PREFIX + name


def _rename_parameter(name: str, param_map: Mapping[str, str]) -> str:
    if name in param_map:
        return param_map[name]
    for old, new in param_map.items():
        if name.startswith(old + "."):
            return new + name[len(old) :]
    return name


def _validate(
    pipe: Pipeline,
    input_map: Mapping[str, str],
    output_map: Mapping[str, str],
    param_map: Mapping[str, str],
) -> None:
    datasets = {d for d in pipe.datasets() if not is_parameter(d)}
    free_inputs = pipe.inputs()
    all_outputs = pipe.all_outputs()
    for label, mapping in (("inputs", input_map), ("outputs", output_map)):
        for name in mapping:
            if is_parameter(name):
                raise PipelineError(
                    f"pipeline({label}=...) maps parameter {name!r}: "
                    "rename parameters with parameters=... instead."
                )
            if name not in datasets:
                raise PipelineError(
                    f"pipeline({label}=...) maps {name!r}, but no node of the pipeline "
                    f"reads or writes a dataset of that name.{did_you_mean(name, datasets)}"
                )
    for name in input_map:
        if name not in free_inputs:
            raise PipelineError(
                f"pipeline(inputs=...) maps {name!r}, which a node inside the pipeline "
                "writes: inputs must be free inputs; map it with outputs=... instead."
            )
    for name in output_map:
        if name not in all_outputs:
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
