"""How a run reports progress: a live line on a terminal, plain log lines otherwise.

The runner tells a `Progress` when a node starts and finishes. `drupe run`
gets `TerminalProgress` when stderr is a terminal (one line, rewritten in
place: nodes done / total and the node running), and `LogProgress`
otherwise, so piped output and CI logs stay one plain line per event
(logger ``drupe_pipeline``).
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import drupe

log = logging.getLogger("drupe_pipeline")


class Progress:
    """Receives progress events; this base class ignores them all."""

    def start(self, total: int) -> None:
        """The run is about to run ``total`` nodes."""

    def node_started(self, node: Any) -> None:
        """``node`` starts."""

    def node_done(self, node: Any) -> None:
        """``node`` finished successfully."""

    def node_skipped(self, node: Any, reason: str) -> None:
        """``node`` will not run (its outputs exist, say)."""

    def finish(self, ok: bool) -> None:
        """The run ended (``ok`` is ``False`` when a node failed)."""


class LogProgress(Progress):
    """One log line (INFO, logger ``drupe_pipeline``) per node started and finished."""

    def __init__(self, logger: logging.Logger = log) -> None:
        self._log = logger
        self._total = 0
        self._done = 0
        self._lock = threading.Lock()

    def start(self, total: int) -> None:
        self._total = total
        self._done = 0

    def node_started(self, node: Any) -> None:
        if self._log.isEnabledFor(logging.INFO):
            self._log.info("running node %s", node.name)

    def node_done(self, node: Any) -> None:
        with self._lock:
            self._done += 1
            done = self._done
        if self._log.isEnabledFor(logging.INFO):
            self._log.info("completed node %s (%d/%d)", node.name, done, self._total)

    def node_skipped(self, node: Any, reason: str) -> None:
        if self._log.isEnabledFor(logging.INFO):
            self._log.info("skipping node %s: %s", node.name, reason)


class TerminalProgress(Progress):
    """A single status line on a terminal: ``[2/5] running: clean_companies``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._total = 0
        self._done = 0
        self._running: list[str] = []
        self._lock = threading.Lock()

    def start(self, total: int) -> None:
        self._total = total
        self._draw()

    def node_started(self, node: Any) -> None:
        with self._lock:
            self._running.append(node.name)
            self._draw()

    def node_done(self, node: Any) -> None:
        with self._lock:
            self._done += 1
            if node.name in self._running:
                self._running.remove(node.name)
            self._draw()

    def node_skipped(self, node: Any, reason: str) -> None:
        with self._lock:
            self._stream.write(f"\r\x1b[Kskipped {node.name}: {reason}\n")
            self._draw()

    def finish(self, ok: bool) -> None:
        with self._lock:
            status = "done" if ok else "failed"
            self._stream.write(f"\r\x1b[K[{self._done}/{self._total}] {status}\n")
            self._stream.flush()

    def _draw(self) -> None:
        current = ", ".join(self._running) if self._running else "-"
        self._stream.write(f"\r\x1b[K[{self._done}/{self._total}] running: {current}")
        self._stream.flush()


def progress_for(session: drupe.AbstractSession | None) -> Progress:
    """The progress reporter for a run of ``session``.

    Under the ``drupe`` command (the session carries CLI metadata): a live
    line when stderr is a terminal, INFO log lines otherwise (the
    ``drupe_pipeline`` logger is raised to INFO when nothing configured it).
    Elsewhere (notebooks, services): log lines, shown as the application's
    logging configuration decides.
    """
    metadata = getattr(session, "metadata", None) or {}
    if "cli" in metadata:
        stream = sys.stderr
        if stream is not None and stream.isatty():
            return TerminalProgress(stream)
        if log.level == logging.NOTSET:
            log.setLevel(logging.INFO)
    return LogProgress()
