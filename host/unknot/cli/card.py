"""`unknot routines card`: printable routine cards (library: unknot.routine.card)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("card")
@click.argument("routine", required=False)
@click.option("--all", "all_", is_flag=True, help="A card of every routine, into the folder -o.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="card.pdf, card.png or card.svg (the suffix picks the format); "
                   "with --all, a folder.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "png", "svg"]), default="pdf",
              show_default=True, help="With --all: the format of the cards.")
def card(routine: str | None, all_: bool, output: Path, fmt: str) -> None:
    """Draw a printable A4 card of ROUTINE (an id or a path): its exercises in order with
    position, time, sides and repetitions, the cue legend and the safety advice."""
    from unknot.routine.card import CardError, make_all, make_one

    if all_ == (routine is not None):
        raise click.UsageError("give one ROUTINE, or --all")
    try:
        written = make_all(output, "." + fmt) if all_ else [make_one(str(routine), output)]
    except CardError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"Wrote {path}")
