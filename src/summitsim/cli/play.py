"""``summitsim play``: practise alone in the terminal, playing one or more actors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import SeedOpt, SetOpt, TurnsOpt, app, fail, parse_sets, user_errors, write_atomic
from .report import LightOpt


@app.command()
def play(
    scenario: Annotated[
        str | None,
        typer.Argument(help="A bundled scenario id or a path (not needed with --resume)."),
    ] = None,
    as_: Annotated[
        str | None,
        typer.Option("--as", help="The actor id(s) you play, comma-separated: ACTOR[,ACTOR...]."),
    ] = None,
    seed: SeedOpt = 0,
    set_: SetOpt = None,
    turns: TurnsOpt = None,
    save: Annotated[
        Path | None, typer.Option(help="Save the game to this file after every turn.")
    ] = None,
    resume: Annotated[
        Path | None, typer.Option(help="Resume a saved game (and keep saving to it).")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the after-action report (default: next to the save file, "
            "else after-action.html); written at the end and when you quit."
        ),
    ] = None,
    light: LightOpt = False,
) -> None:
    """Play a scenario in the terminal: you take some actors, the AI plays the rest.

    q saves the game (to --save, else to SCENARIO-ACTORS.json here) and writes the
    after-action report of the turns played so far."""
    import json
    import sys

    from rich.console import Console

    from ..classroom.game import new_def
    from ..classroom.report import after_action
    from ..classroom.terminal import TerminalGame, default_save_path, load_save
    from ..engine import registry
    from ..viz.report import write_plotly_beside

    out = Console(highlight=False, emoji=False)
    with user_errors():
        if resume is not None:
            if scenario is not None or as_ is not None or set_:
                fail("error: --resume takes the scenario, actors and settings from the file")
            try:
                data = json.loads(resume.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                fail(f"error: cannot read {resume}: {exc}")
            gdef, closed = load_save(data)
            gdef.compiled()
            save = save or resume
        else:
            if not as_:
                fail("error: say which actor(s) you play with --as ACTOR[,ACTOR...]")
            humans = [a.strip() for a in as_.split(",") if a.strip()]
            gdef = new_def(
                scenario or registry.default_scenario(), humans, parse_sets(set_), seed, turns
            )
            closed = []

    def read(prompt: str) -> str:
        out.print(prompt, end="")
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    game = TerminalGame(gdef, closed, out, read, save)
    c = gdef.compiled()
    names = ", ".join(c.actors[c.actor_index[a]].name for a in gdef.humans)
    out.print(f"[bold]{c.spec.meta.title}[/bold]")
    out.print(f"[dim]You play {names}; the AI plays the others. {gdef.turns} turns.[/dim]")
    if save is not None:
        out.print(f"[dim]The game is saved to {save} after every turn.[/dim]", soft_wrap=True)
    finished = game.play()
    if not finished:
        if not game.closed:
            out.print("No turn was played: nothing to save.")
            raise typer.Exit(0)
        if save is None:
            save = game.save(default_save_path(gdef))
        out.print(f"Saved to {save}; continue with: summitsim play --resume {save}", soft_wrap=True)
    target = report
    if target is None:
        target = save.with_suffix(".html") if save is not None else Path("after-action.html")
    target = target.absolute()  # say exactly where it went
    src = write_plotly_beside(target).name if light else None
    html = after_action(gdef, game.closed, plotly_src=src)
    write_atomic(target, lambda p: p.write_text(html, encoding="utf-8"))
    beside = f" (with {src} beside it)" if src else ""
    if finished:
        out.print(
            f"\n[bold]Game over.[/bold] After-action report: {target}{beside}", soft_wrap=True
        )
    else:
        turns = len(game.closed)
        out.print(
            f"After-action report of the {turns} turn(s) played: {target}{beside}", soft_wrap=True
        )
