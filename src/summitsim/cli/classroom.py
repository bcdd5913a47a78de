"""``summitsim classroom new | serve | export | import | recode``: games for a class."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import app, fail, parse_sets, user_errors, write_atomic

classroom_app = typer.Typer(
    help="Classroom games: teams play actors in a browser, the AI plays the rest.",
    no_args_is_help=True,
)
app.add_typer(classroom_app, name="classroom")

CLASS_TURNS = 8  # the lesson plan's (docs/classroom.md)
CLASS_DEADLINE = 6.0  # minutes a turn


@classroom_app.command()
def new(
    scenario: Annotated[str, typer.Argument(help="A bundled scenario id or a path.")],
    teams: Annotated[
        str, typer.Option(help="The actor ids played by teams, comma-separated: ACTOR,ACTOR,...")
    ],
    db: Annotated[Path, typer.Option(help="The game file to create (SQLite).")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a parameter: NAME=VALUE (repeatable)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    turns: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=240,
            help=f"Number of turns (default: {CLASS_TURNS}, as in the lesson plan, or the "
            "scenario's if it has fewer).",
        ),
    ] = None,
    deadline: Annotated[
        float,
        typer.Option(min=0, max=600, help="Minutes per turn shown as a countdown (0: none)."),
    ] = CLASS_DEADLINE,
) -> None:
    """Create a game and print a join code for each team and the instructor's code.

    The defaults follow the 90-minute lesson plan of docs/classroom.md: 8 turns of about 6
    minutes each."""
    from ..classroom.game import new_def
    from ..classroom.store import create

    humans = [a.strip() for a in teams.split(",") if a.strip()]
    with user_errors():
        gdef = new_def(scenario, humans, parse_sets(set_), seed, turns)
        if turns is None:
            gdef.turns = min(gdef.turns, CLASS_TURNS)
        codes, instructor = create(db, gdef, deadline)
    c = gdef.compiled()
    clock = f"{deadline:g} minutes a turn" if deadline > 0 else "no countdown"
    typer.echo(
        f"Game created: {db} ({c.spec.meta.id}, {gdef.turns} turns, {clock}, seed {gdef.seed})"
    )
    typer.echo("Join codes (shown once; only their hashes are stored):")
    for actor, code in codes.items():
        name = c.actors[c.actor_index[actor]].name
        typer.echo(f"  team {actor:<16} {code}   ({name})")
    typer.echo(f"  instructor            {instructor}")
    typer.echo(f"Start the server with: summitsim classroom serve {db}")


@classroom_app.command()
def serve(
    db: Annotated[Path, typer.Argument(help="The game file.")],
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 opens it to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 8050,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not log each request.")] = False,
    session_hours: Annotated[
        float | None,
        typer.Option(
            min=0.1, max=72, help="Hours a sign-in lasts, then the code is asked again [3]."
        ),
    ] = None,
) -> None:
    """Serve the game to the teams and the instructor (Ctrl-C stops; the game is kept)."""
    from ..classroom.server import serve as run_server
    from ..web import exposure_warning

    warning = exposure_warning(host, "the classroom server")
    if warning:
        typer.echo(warning, err=True)
    with user_errors():
        try:
            run_server(str(db), host, port, quiet, session_hours)
        except OSError as exc:
            fail(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}")


@classroom_app.command("export")
def export_(
    db: Annotated[Path, typer.Argument(help="The game file.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="The JSON file to write.")],
) -> None:
    """Export a game record as versioned JSON (lossless; import it with `import`)."""
    import json

    from ..classroom.store import GameStore

    with user_errors():
        data = GameStore(db).export()
    text = json.dumps(data, indent=2, sort_keys=True)
    write_atomic(out, lambda p: p.write_text(text + "\n", encoding="utf-8"))
    typer.echo(f"Exported {len(data['log'])} log entries to {out}")


@classroom_app.command("import")
def import_(
    src: Annotated[Path, typer.Argument(help="A JSON export.")],
    db: Annotated[Path, typer.Option(help="The game file to create (SQLite).")],
) -> None:
    """Create a game file from a JSON export (codes and everything played are kept)."""
    import json

    from ..classroom.store import import_game

    try:
        data = json.loads(src.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"error: cannot read {src}: {exc}")
    with user_errors():
        import_game(data, db)
    typer.echo(f"Imported {src} into {db}")


@classroom_app.command()
def recode(
    db: Annotated[Path, typer.Argument(help="The game file.")],
    who: Annotated[str, typer.Argument(help="A team's actor id, or 'instructor'.")],
) -> None:
    """Issue a new code for a team (or the instructor), ending its sessions."""
    from ..classroom.store import GameStore

    with user_errors():
        store = GameStore(db)
        if who == "instructor":
            code = store.new_code_for("instructor", None)
        elif who in store.gdef.humans:
            code = store.new_code_for("team", who)
        else:
            fail(f"error: {who!r} is neither a team of this game nor 'instructor'")
    typer.echo(f"New code for {who}: {code}")
