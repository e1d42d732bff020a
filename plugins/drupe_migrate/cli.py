"""``drupe migrate``: commands that rewrite a project from another framework into drupe."""

from __future__ import annotations

from pathlib import Path

import click


@click.group("migrate")
def migrate() -> None:
    """Rewrite a project written for another framework so that drupe runs it."""


@migrate.command("kedro")
@click.argument(
    "path",
    required=False,
    default=".",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
)
@click.option("--dry-run", is_flag=True, help="Show the changes as a diff; write nothing.")
@click.option(
    "--force", is_flag=True, help="Migrate even when the git work tree has uncommitted changes."
)
def kedro(path: Path, dry_run: bool, force: bool) -> None:
    """Rewrite the Kedro project at PATH (default: here) in place into a drupe project.

    Changes pyproject.toml ([tool.kedro] -> [tool.drupe], Kedro dependencies),
    `from kedro...` imports in the package and tests, settings.py,
    __main__.py, KedroSession in tests and the catalog types drupe bundles.
    Whatever it cannot convert is listed at the end. Files outside PATH are
    never touched.
    """
    from drupe_migrate.gitstate import uncommitted_files
    from drupe_migrate.kedro import NotAKedroProject, plan_migration

    root = path.resolve()
    try:
        plan = plan_migration(root)
    except NotAKedroProject as exc:
        raise click.UsageError(str(exc)) from None
    if dry_run:
        click.echo(plan.diff(), nl=False)
    else:
        dirty = uncommitted_files(root)
        if dirty and not force:
            shown = ", ".join(dirty[:5]) + (f" and {len(dirty) - 5} more" if len(dirty) > 5 else "")
            raise click.ClickException(
                f"{root} has uncommitted changes ({shown}): commit or stash them first, so that "
                "`git diff` shows what the migration did and `git checkout .` undoes it; "
                "or pass --force"
            )
        if dirty is None:
            click.echo(f"note: {root} is not a git work tree; nothing records the old files")
        plan.apply()
    verb = "would change" if dry_run else "changed"
    click.echo(f"{verb} {len(plan.changes)} file(s):")
    for change in plan.changes:
        click.echo(f"  {change.path.relative_to(root).as_posix()}  ({change.why})")
    if plan.removed:
        click.echo(f"{'would remove' if dry_run else 'removed'} (Kedro only):")
        for note in plan.removed:
            click.echo(f"  {note.render(root)}")
    if plan.todo:
        click.echo(f"could not convert ({len(plan.todo)}), do these by hand:")
        for note in plan.todo:
            click.echo(f"  {note.render(root)}")
    if dry_run:
        click.echo("dry run: nothing was written")
    else:
        click.echo("next: drupe run (and see docs/migrating-from-kedro.md)")
