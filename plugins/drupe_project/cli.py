"""``drupe new``: the command that scaffolds a project."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("name")
@click.option(
    "--directory",
    "-d",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The project's folder (default: ./NAME). It must not exist or be empty.",
)
def new(name: str, directory: Path | None) -> None:
    """Create a project called NAME (also its package name) that `drupe run` runs at once."""
    from drupe_project.scaffold import create_project

    root = create_project(name, directory if directory is not None else Path(name))
    click.echo(f"created project {name} at {root}")
    click.echo(f"next: cd {root} && drupe run")
