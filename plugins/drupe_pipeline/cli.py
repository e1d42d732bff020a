"""``drupe pipelines``: the project's registered pipelines and their sizes."""

from __future__ import annotations

import json
from typing import Any

import click

import drupe
from drupe.cli import CliState, pass_state


@click.command("pipelines")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@pass_state
def pipelines_command(state: CliState, /, as_json: bool) -> None:
    """List the project's registered pipelines with their node counts."""
    from drupe_pipeline.hooks import PipelinePlugin

    with state.create_session(drupe.Session, save_on_close=False) as session:
        registry = PipelinePlugin.of(session).registry(session)
        project = session.project
        rows: list[dict[str, Any]] = []
        for name in registry.names():
            pipeline = registry.get([name])
            rows.append(
                {
                    "name": name,
                    "nodes": len(pipeline),
                    "tags": sorted(pipeline.tags()),
                    "namespaces": sorted(pipeline.namespaces()),
                }
            )
    if as_json:
        package = project.package_name if project is not None else None
        click.echo(json.dumps({"project": package, "pipelines": rows}, indent=2))
        return
    width = max((len(row["name"]) for row in rows), default=8)
    for row in rows:
        nodes = f"{row['nodes']} node" + ("" if row["nodes"] == 1 else "s")
        click.echo(f"{row['name']:<{width}}  {nodes}")
