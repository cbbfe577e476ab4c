"""`unknot doctor`: check the history database; with --repair, back it up and rebuild it
from what is still readable (unknot.history.repair)."""

from __future__ import annotations

import sys

import click

from unknot.text import plural


@click.command()
@click.option("--repair", is_flag=True, help="Back up a damaged database, then rebuild it.")
def doctor(repair: bool) -> None:
    """Check the history database (integrity, pending updates); --repair fixes a damaged one."""
    from unknot.history.connect import db_path
    from unknot.history.repair import check
    from unknot.history.repair import repair as run_repair

    path = db_path(create_home=False)
    found = check(path)
    if not found.exists:
        click.echo(f"No history database yet at {path} (it is made by the first sync).")
        return
    if found.ok:
        pending = f"; updates pending: {', '.join(found.pending)}" if found.pending else ""
        click.echo(f"{path}: OK{pending}.")
        return
    click.echo(f"{path}: damaged: {'; '.join(found.problems[:3])}", err=True)
    if not repair:
        click.echo("Run `unknot doctor --repair` to back it up and rebuild it.", err=True)
        sys.exit(1)
    done = run_repair(path)
    kept = ", ".join(f"{n} {t}" for t, n in done.kept.items())
    click.echo(f"Backup of the damaged file: {done.backup}")
    click.echo(f"Rebuilt {path}: kept {kept}.")
    lost = sum(done.unreadable.values())
    if lost:
        click.echo(f"Skipped {plural(lost, 'unreadable row id')} on damaged pages.")
    after = check(path)
    if not after.ok:
        raise click.ClickException(f"the rebuilt database is still damaged: {after.problems[0]}")
