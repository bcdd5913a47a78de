"""``summitsim validate | scenarios | schema``: working with scenario files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from .app import EXIT_INPUT, app, fail


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario files (or bundled ids) to check.")],
) -> None:
    """Check scenario files: YAML, schema, names, expressions and bounds."""
    from ..engine.compiled import ParamError, compile_scenario
    from ..engine.registry import load_scenario
    from ..scenario import ScenarioError

    problems: list[str] = []
    for f in files:
        try:
            loaded = load_scenario(f)
            compile_scenario(loaded)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        except ParamError as exc:
            problems.append(f"{f}: {exc}")
            continue
        typer.echo(f"{f}: ok ({loaded.id}, {contents(loaded.spec)})")
        for aid, actor in loaded.spec.actors.items():
            if actor.profile.foresight is not None:
                n = actor.profile.foresight
                typer.echo(
                    f"{f}: note: actors.{aid}.profile.foresight {n} is read as horizon {n} "
                    "(depth: equilibrium); write `horizon:` instead"
                )
    if problems:
        fail("\n".join(problems), EXIT_INPUT)


@app.command()
def scenarios(
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", help="Only scenarios with this tag (repeat: all of them)."),
    ] = None,
) -> None:
    """List the bundled scenarios (* marks the default), grouped by their first tag, with
    their tags; --tag keeps those that carry every tag given."""
    from ..engine.registry import bundled, default_scenario, load_scenario
    from ..scenario import ScenarioError

    found = bundled()
    if not found:
        fail("no bundled scenarios found in the package data", 1)
    default = default_scenario()
    width = max(18, *(len(sid) for sid in found))
    groups: dict[str, list[str]] = {}  # first tag ("" for none) -> lines, in name order
    for sid in found:
        try:
            s = load_scenario(sid).spec
        except ScenarioError as exc:
            if not tag:
                groups.setdefault("", []).append(f"  {sid:<{width}} (invalid: {exc.problems[0]})")
            continue
        if tag and not set(tag) <= set(s.meta.tags):
            continue
        mark = "*" if sid == default else " "
        turns = f"{s.meta.turns} {PER_TURN[s.meta.turn_length]} turn{'s' * (s.meta.turns != 1)}"
        deals = f", {_count(len(s.deals), 'deal')}" if s.deals else ""
        line = f"{mark} {sid:<{width}} {s.meta.title} ({turns}, {len(s.actors)} actors{deals})"
        if len(s.meta.tags) > 1:
            line += f" [{', '.join(s.meta.tags)}]"
        groups.setdefault(s.meta.tags[0] if s.meta.tags else "", []).append(line)
    if not groups:
        fail(f"no bundled scenario has the tag(s): {', '.join(tag or [])}", EXIT_INPUT)
    blocks = [
        "\n".join(([tag] if tag else []) + groups[tag])
        for tag in sorted(groups)  # untagged ("") first
    ]
    typer.echo("\n\n".join(blocks))


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def contents(spec: Any) -> str:
    """What a scenario holds, counted: actors, moves, red lines, deals (with their
    obligations), injects."""
    parts = [_count(len(spec.actors), "actor"), _count(len(spec.moves), "move")]
    if spec.red_lines:
        parts.append(_count(len(spec.red_lines), "red line"))
    if spec.deals:
        n_ob = sum(
            len(i.obligations) + sum(len(o.obligations) for o in i.options or [])
            for d in spec.deals.values()
            for i in d.issues.values()
        )
        obligations = f" ({_count(n_ob, 'obligation')})" if n_ob else ""
        parts.append(_count(len(spec.deals), "deal") + obligations)
    if spec.injects:
        parts.append(_count(len(spec.injects), "inject"))
    return ", ".join(parts)


PER_TURN = {
    "day": "daily",
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
    "year": "yearly",
}


@app.command()
def schema(
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write to a file.")] = None,
) -> None:
    """Print the JSON Schema of a scenario file (for editor completion)."""
    from ..scenario.schema import json_schema

    text = json.dumps(json_schema(), indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
