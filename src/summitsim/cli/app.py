"""The Typer application object and the error handling every command shares.

Each command group lives in a file of its own and registers itself on ``app``. Heavy modules
are imported inside the command that needs them, so ``summitsim --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

app = typer.Typer(
    name="summitsim",
    help=(
        "Summit-scenario wargame simulator: sovereign actors with interests and red lines "
        "respond, turn by turn, to policy moves.\n\n"
        "Start with:  summitsim run   (the bundled default scenario; see: summitsim scenarios)"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich would add ~0.2 s to `summitsim --help`
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_INPUT = 2

# Options shared by several commands.
ScenarioArg = Annotated[
    str | None,
    typer.Argument(
        help="A bundled scenario id or a path (default: the bundled default, marked * by "
        "`summitsim scenarios`)."
    ),
]
SeedOpt = Annotated[int, typer.Option(help="Random seed; the same seed gives the same run.")]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="Override a parameter: NAME=VALUE (repeatable).")
]
TurnsOpt = Annotated[
    int | None, typer.Option(min=1, max=240, help="Number of turns (default: the scenario's).")
]


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    """Print one plain line (or several problems) to stderr and exit non-zero."""
    sys.stderr.write(message.rstrip("\n") + "\n")
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """The library's input errors as plain lines on stderr, exit 2: ``FILE:LINE:COL: message``
    per problem in a scenario or layout file, ``error: message`` for any other
    :class:`~summitsim.errors.UserError` (a parameter, a sweep, a game request, a result)."""
    from ..errors import UserError
    from ..scenario import ScenarioError

    try:
        yield
    except ScenarioError as exc:
        fail("\n".join(exc.problems))
    except UserError as exc:
        fail(f"error: {exc}")


def parse_sets(items: list[str] | None) -> dict[str, str]:
    """``NAME=VALUE`` pairs from repeated ``--set`` options."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            fail(f"error: --set expects NAME=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """:func:`summitsim.files.write_atomic`, with a one-line error for a missing folder."""
    from ..files import write_atomic as write_whole

    path = Path(path)
    if not path.parent.is_dir():
        fail(f"error: folder {path.parent} does not exist")
    write_whole(path, write)
