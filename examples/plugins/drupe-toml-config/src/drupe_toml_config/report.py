"""An executor of your own, with its own ``drupe run`` flag: ``--show-params``.

``drupe run --show-params`` runs no pipeline: it returns the parameters the
run would see (after ``--params`` and ``--env``), so a user can check their
configuration. Without the flag this plugin passes, and the bundled pipeline
plugin executes as usual. It shows the three hooks an executor uses:

* ``run_options``: the flag. Its value reaches ``run.selection["show_params"]``
  only when the user gives it;
* ``validate_selection``: answer for the selections that are yours (return
  ``None`` for the others, so the pipeline plugin checks those);
* ``execute_run``: run what the selection asks (return ``None`` to pass).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import drupe


class ParamsReport:
    """An executor that answers only runs asking for ``show_params``."""

    @drupe.hookimpl
    def run_options(self) -> list[Any]:
        import click  # only when drupe run builds its flags

        return [
            click.Option(
                ["--show-params"],
                is_flag=True,
                help="Run nothing; return the parameters the run would see (drupe-toml-config).",
            )
        ]

    @drupe.hookimpl
    def validate_selection(self, selection: Mapping[str, Any]) -> Mapping[str, Any] | None:
        if "show_params" not in selection:
            return None  # not ours: the pipeline plugin checks it
        others = sorted(set(selection) - {"show_params"})
        if others:
            raise drupe.UsageError(
                f"--show-params runs nothing, so {others[0]!r} means nothing with it: drop it",
                field=others[0],
            )
        return {"show_params": bool(selection["show_params"])}

    @drupe.hookimpl
    def execute_run(self, context: drupe.Context, run: drupe.RunRequest) -> dict[str, Any] | None:
        if not run.selection.get("show_params"):
            return None
        return {"parameters": dict(context.params)}
