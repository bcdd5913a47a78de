"""Printing a run for people: turn by turn, then the outcome table."""

from __future__ import annotations

from functools import cache
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..engine.compiled import HOLD
from ..engine.result import RunResult
from ..policies.base import describe_action, possessive
from ..viz import negotiation as N
from ..viz.labels import Labels, turn_start


@cache
def console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def turn_label(start: str, length: str, turn: int) -> str:
    """ "Jun 2024" for monthly turns; "turn 3" when the date cannot be worked out."""
    d = turn_start(start, length, turn)
    if d is None:
        return f"turn {turn}"
    if length in ("month", "quarter"):
        return d.strftime("%b %Y")
    return str(d.year) if length == "year" else d.isoformat()


def print_run(result: RunResult, quiet: bool = False) -> None:
    out = console()
    c = result.compiled
    meta = c.spec.meta
    if not quiet:
        changed = {k: v for k, v in result.params.items() if c.spec.parameters[k].default != v}
        params = ", ".join(f"{k}={v}" for k, v in changed.items()) or "defaults"
        out.print(f"[bold]{escape(meta.title)}[/bold]")
        out.print(f"[dim]{meta.id} · seed {result.seed} · {result.n_turns} turns · {params}[/dim]")
        for line in drift_lines(result):
            out.print(f"[dim]{escape(line)}[/dim]")
        for t in range(1, result.n_turns + 1):
            print_turn(result, t)
        out.print()
    out.print(outcome_table(result))
    noise = noise_line(result)
    if noise:
        out.print(f"[dim]{noise}[/dim]")


def drift_lines(result: RunResult) -> list[str]:
    """The background drift, said once for the whole run rather than as an event each turn."""
    drift = result.drift()
    if not drift:
        return []
    n = result.n_turns
    out = ["Background drift (not events):"]
    for d in drift:
        when = "every turn" if d["turns"] == n else f"on {d['turns']} of {n} turns"
        out.append(f"  {d['name']} ({when}): {d['description']}")
    return out


def noise_line(result: RunResult) -> str:
    """How often the AI chose something other than an actor's best option in this run."""
    share = result.not_best_share()
    if share is None:
        return ""
    c = result.compiled
    parts = [
        f"{c.actors[c.actor_index[a]].name} {k}/{n}"
        for a, (n, k) in result.choice_stats().items()
        if k
    ]
    detail = f" ({', '.join(parts)})" if parts else ""
    return f"AI choices that were not the actor's best option: {share:.0%}{detail}."


def print_turn(result: RunResult, t: int) -> None:
    out = console()
    c = result.compiled
    meta = c.spec.meta
    out.print(
        f"\n[bold cyan]Turn {t} · {turn_label(meta.start_date, meta.turn_length, t)}[/bold cyan]"
    )
    for lines in negotiation_blocks(result, t):
        head, *rest = lines
        out.print(f"  [bold]{escape(head)}[/bold]")
        for line in rest[:-1]:
            out.print(f"    [dim]{escape(line)}[/dim]")
        out.print(f"    {escape(rest[-1])}")
    explained: set[int] = set()
    for rec in result.rec.actions:
        if rec.turn != t:
            continue
        actor = escape(c.actors[rec.actor].name)
        if rec.by == "red_line":
            continue
        move = escape(describe_action(c, rec.action))
        if rec.action == HOLD:
            text = f"  [dim]{actor:<15} holds[/dim]"
        elif rec.status == "refused":
            text = f"  {actor:<15} [yellow]proposed to {move} (refused)[/yellow]"
        else:
            esc = c.actions[rec.action].escalation
            secret = ", covert" if rec.covert else ""
            text = (
                f"  {actor:<15} [bold]{move}[/bold] [dim](escalation {esc:g}, {rec.by}"
                f"{secret})[/dim]"
            )
        out.print(text)
        why = "" if rec.actor in explained else result.sentence(rec)
        if why and (rec.action != HOLD or "held back" in why):
            out.print(f"  [dim]{'':<15} ↳ {escape(why)}[/dim]")
            explained.add(rec.actor)
    for turn, k in result.rec.injects:
        if turn == t:
            out.print(f"  [magenta]Event: {escape(c.injects[k].name)}[/magenta]")
    for rec in result.rec.covert:
        if rec.detected == t:
            who, what = c.actors[rec.actor].name, describe_action(c, rec.action)
            line = f"Detected: {who}'s covert move to {what} (turn {rec.turn})"
            out.print(f"  [red]{escape(line)}[/red]")
    for r in result.rec.red_lines:
        if r.turn == t:
            print_red_line(result, r)
    for line in word_tested(result, t):
        out.print(f"  [yellow]{escape(line)}[/yellow]")
    print_changes(result, t)


def labels_of(result: RunResult) -> Labels:
    """The display names of a result's scenario (made once per result)."""
    hit = result.__dict__.get("_labels")
    if hit is None:
        hit = result.__dict__["_labels"] = Labels.from_spec(result.compiled.spec)
    return hit


def negotiation_blocks(result: RunResult, t: int) -> list[list[str]]:
    """The negotiations held at the start of turn ``t``, in words (viz/negotiation.py): a
    heading, a line per offer or reply, and how it ended."""
    negs = [n for n in result.rec.negotiations if n.turn == t]
    if not negs:
        return []
    labels = labels_of(result)
    deals = result.deals()
    out = []
    for n in negs:
        neg = result.negotiation_dict(n)
        signed = next((d for d in deals if d["deal"] == neg["deal"] and d["turn"] == t), None)
        out.append(N.negotiation_lines(neg, labels, signed))
    return out


def word_tested(result: RunResult, t: int) -> list[str]:
    """Signals whose word was tested this turn: bluffs called, promises kept or broken,
    commitments of a deal broken."""
    c = result.compiled
    out: list[str] = []
    if not any(e.resolved == t for e in result.rec.signals):
        return out
    entries = result.said_vs_did()
    for e, entry in zip(result.rec.signals, entries, strict=True):
        if e.resolved != t:
            continue
        who = c.actors[e.actor].name
        if e.kind == "commitment":
            out.append(N.commitment_line(entry, labels_of(result)))
        elif e.red_line is not None:
            rl = c.red_lines[e.red_line].description
            out.append(
                f"{who}'s word on its red line ({rl}) was "
                + ("kept." if e.status == "kept" else "a bluff, and it was called.")
            )
        else:
            what = describe_action(c, e.move if e.move is not None else -1)
            verb = "to" if e.kind == "promise" else "not to"
            out.append(f"{who}'s promise {verb} {what} was {e.status}.")
    return out


def print_red_line(result: RunResult, r: Any) -> None:
    c = result.compiled
    rl = c.red_lines[r.red_line]
    owner = c.actors[rl.owner].name
    if r.warning:
        text = f"⚠ {possessive(owner)} red line approached: {rl.description}"
        console().print(f"  [yellow]{escape(text)}[/yellow]")
        return
    who = ", ".join(
        c.actors[c.actor_index[a]].name if a in c.actor_index else a for a in r.crossed_by
    )
    by = f" by {who}" if who else ""
    follow = (
        f"{owner} follows through: {rl.response_description}."
        if r.responded
        else f"{owner} does not follow through."
    )
    text = f"✖ {possessive(owner)} red line crossed{by}: {rl.description}. {follow}"
    console().print(f"  [bold red]{escape(text)}[/bold red]")


def print_changes(result: RunResult, t: int) -> None:
    c = result.compiled
    before, after = result.rec.states[t - 1], result.rec.states[t]
    parts = []
    for k in range(c.n_vars):
        if abs(after[k] - before[k]) >= 0.5:
            parts.append(f"{c.slots[k]} {before[k]:.0f}→{after[k]:.0f}")
    escalation = sum(result.escalation()[t - 1])
    parts.append(f"escalation this turn {escalation:g}")
    console().print("  [dim]What changed: " + ", ".join(parts) + "[/dim]")


def outcome_table(result: RunResult) -> Table:
    c = result.compiled
    table = Table(title="Outcomes", title_justify="left")
    table.add_column("outcome")
    table.add_column("value", justify="right")
    table.add_column("meaning")
    for o in c.outcomes:
        v = result.outcomes[o.id]
        shown = ("yes" if v else "no") if o.is_bool else f"{v:.2f}"
        table.add_row(o.id, shown, o.description)
    return table
