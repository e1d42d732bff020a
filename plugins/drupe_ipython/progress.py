"""Progress of a ``%run_drupe`` run: a widget when ``ipywidgets`` is there, lines otherwise.

`RunProgress` is a plugin passed to the run's session: it listens to the
pipeline plugin's node hooks (declared ``optionalhook``, so it registers
even when no plugin declares them) and draws on a `ProgressView`.
Runners that run nodes in other processes call those hooks there, so the
view then only shows the start and the end of the run.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

import drupe


class ProgressView:
    """Text progress: one line per node finished (``[2/5] clean_companies``)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdout

    def start(self, total: int) -> None:
        self.stream.write(f"drupe: running {total} node{'s' if total != 1 else ''}\n")

    def update(self, done: int, total: int, running: list[str], finished: str | None) -> None:
        if finished is not None:
            self.stream.write(f"[{done}/{total}] {finished}\n")

    def finish(self, done: int, ok: bool, failed: str | None) -> None:
        if not ok:
            self.stream.write(f"drupe: stopped at node {failed or '?'} after {done} done\n")
        self.stream.flush()


class WidgetView(ProgressView):
    """An ``ipywidgets`` progress bar with the running nodes under it."""

    def __init__(self) -> None:
        super().__init__()
        import ipywidgets

        self.bar = ipywidgets.IntProgress(value=0, min=0, max=1, description="drupe")
        self.label = ipywidgets.Label(value="starting")
        self.box = ipywidgets.VBox([self.bar, self.label])

    def start(self, total: int) -> None:
        from IPython.display import display

        self.bar.max = max(total, 1)
        display(self.box)  # type: ignore[no-untyped-call]

    def update(self, done: int, total: int, running: list[str], finished: str | None) -> None:
        self.bar.max = max(total, done, 1)
        self.bar.value = done
        self.label.value = f"{done}/{total} done; running: {', '.join(running) or '-'}"

    def finish(self, done: int, ok: bool, failed: str | None) -> None:
        self.bar.max = max(done, 1) if ok else self.bar.max
        self.bar.value = done
        self.bar.bar_style = "success" if ok else "danger"
        self.label.value = f"{done} nodes done" if ok else f"failed in node {failed or '?'}"


def best_view() -> ProgressView:
    """A `WidgetView` when ``ipywidgets`` imports, else text lines."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return ProgressView()
    return WidgetView()


class RunProgress:
    """Counts the nodes of one run and tells its view."""

    def __init__(self, view: ProgressView, total: int) -> None:
        self.view = view
        self.total = total
        self.done = 0
        self.failed: str | None = None
        self._running: list[str] = []
        self._lock = threading.Lock()

    @drupe.hookimpl
    def before_run(self) -> None:
        self.view.start(self.total)

    @drupe.hookimpl(optionalhook=True)
    def before_node_run(self, node: Any) -> None:
        with self._lock:
            self._running.append(node.name)
            self.view.update(self.done, self.total, list(self._running), None)

    @drupe.hookimpl(optionalhook=True)
    def after_node_run(self, node: Any) -> None:
        with self._lock:
            self.done += 1
            if node.name in self._running:
                self._running.remove(node.name)
            self.view.update(self.done, self.total, list(self._running), node.name)

    @drupe.hookimpl(optionalhook=True)
    def on_node_error(self, node: Any) -> None:
        with self._lock:
            self.failed = node.name

    @drupe.hookimpl
    def after_run(self) -> None:
        self.view.finish(self.done, True, None)

    @drupe.hookimpl
    def on_run_error(self) -> None:
        self.view.finish(self.done, False, self.failed)
