"""Nodes: plain functions at module level, so any runner can send them to a worker."""

from __future__ import annotations

import hashlib

BRANCHES = 4


def make_chunks(size: int) -> list[list[int]]:
    """Split the work into one chunk of ``size`` numbers per branch."""
    return [list(range(start * size, (start + 1) * size)) for start in range(BRANCHES)]


def digest(numbers: list[int], rounds: int) -> str:
    """CPU-bound work: hash the chunk ``rounds`` times."""
    value = ",".join(map(str, numbers)).encode()
    for _ in range(rounds):
        value = hashlib.sha256(value).digest()
    return value.hex()


def combine(*digests: str) -> dict[str, object]:
    """The report saved to data/report.json (versioned: one file per run)."""
    fingerprint = hashlib.sha256("".join(digests).encode()).hexdigest()
    return {"chunks": len(digests), "fingerprint": fingerprint}
