"""``--async`` (``runner.async_io``): a node's inputs load, and its outputs save, concurrently.

A barrier of two parties proves it without timing: the two datasets wait for
each other inside ``load``/``save``, which only completes when both run at
the same time (one after the other, the first wait breaks the barrier).
"""

from __future__ import annotations

import threading

import pytest

from drupe_pipeline.catalog import DataCatalog
from drupe_pipeline.datasets import AbstractDataset, DatasetError
from drupe_pipeline.errors import NodeError
from drupe_pipeline.node import node
from drupe_pipeline.pipeline import Pipeline
from drupe_pipeline.runners import SequentialRunner, ThreadRunner


class Rendezvous(AbstractDataset):
    """Loads ``value`` / stores saves, each only once the barrier's other party arrives."""

    def __init__(self, barrier: threading.Barrier, value: object = None) -> None:
        self.barrier = barrier
        self.value = value

    def _load(self) -> object:
        self.barrier.wait()
        return self.value

    def _save(self, data: object) -> None:
        self.barrier.wait()
        self.value = data

    def _describe(self) -> dict[str, object]:
        return {}


def add(a, b):
    return a + b


def split(x):
    return x, -x


def flow_and_catalog(timeout: float) -> tuple[Pipeline, DataCatalog, dict[str, Rendezvous]]:
    loading, saving = threading.Barrier(2, timeout=timeout), threading.Barrier(2, timeout=timeout)
    datasets = {
        "a": Rendezvous(loading, 2),
        "b": Rendezvous(loading, 3),
        "plus": Rendezvous(saving),
        "minus": Rendezvous(saving),
    }
    flow = Pipeline(
        [
            node(add, ["a", "b"], "sum", name="add"),
            node(split, "sum", ["plus", "minus"], name="split"),
        ]
    )
    return flow, DataCatalog(datasets), datasets


@pytest.mark.parametrize("runner", [SequentialRunner, ThreadRunner])
def test_async_io_loads_and_saves_a_nodes_datasets_concurrently(runner):
    flow, catalog, datasets = flow_and_catalog(timeout=30)
    runner().with_async_io().run(flow, catalog)
    assert (datasets["plus"].value, datasets["minus"].value) == (5, -5)


def test_without_async_io_datasets_load_one_after_the_other():
    flow, catalog, _ = flow_and_catalog(timeout=0.2)
    with pytest.raises(NodeError) as info:
        SequentialRunner().run(flow, catalog)
    assert isinstance(info.value.__cause__, DatasetError)
    assert "BrokenBarrierError" in str(info.value)
