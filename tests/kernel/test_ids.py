"""Session and run ids sort by creation time and never collide."""

from __future__ import annotations

import multiprocessing
import threading

from drupe import new_id


def _ids(count: int) -> list[str]:
    return [new_id() for _ in range(count)]


def test_ids_made_one_after_another_sort_in_creation_order() -> None:
    ids = _ids(5000)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_are_unique_across_threads() -> None:
    results: list[list[str]] = []
    lock = threading.Lock()

    def worker() -> None:
        made = _ids(2000)
        with lock:
            results.append(made)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for chunk in results for i in chunk]
    assert len(set(every)) == 16000


def test_ids_are_unique_across_processes() -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        chunks = pool.map(_ids, [3000] * 4)
    every = [i for chunk in chunks for i in chunk]
    assert len(set(every)) == 12000
