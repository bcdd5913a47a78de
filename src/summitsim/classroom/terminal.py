"""``summitsim play``: one person plays one or more actors in the terminal, the AI the rest.

Each turn shows the player's briefing, the state, and the moves they may take; on request,
what the AI advisor would choose and why. After the turn, a summary of what everyone did
and what changed. The game is saved (as its inputs) after every turn.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from ..engine.compiled import CActor
from ..engine.model import SummitModel
from ..engine.observation import Observation, Option
from ..policies.base import Decision, sentence
from .game import (
    MAX_TEXT,
    ClosedTurn,
    GameDef,
    GameError,
    Move,
    ReplayPolicy,
    advise,
    briefing,
    clean_text,
    public_state,
)

SAVE_FORMAT = "summitsim-play-save"
SAVE_VERSION = 1


class Quit(Exception):
    """The player asked to stop (or the input ended); the game so far is saved."""


def save_dict(gdef: GameDef, closed: list[ClosedTurn]) -> dict[str, Any]:
    return {
        "format": SAVE_FORMAT,
        "version": SAVE_VERSION,
        "game": gdef.to_dict(),
        "turns": [
            {"turn": ct.turn, "moves": [m.to_dict() for m in ct.moves.values()]} for ct in closed
        ],
    }


def load_save(data: Any) -> tuple[GameDef, list[ClosedTurn]]:
    if not isinstance(data, dict) or data.get("format") != SAVE_FORMAT:
        raise GameError("not a summitsim play save file")
    if data.get("version") != SAVE_VERSION:
        raise GameError(f"unsupported save version {data.get('version')!r}")
    try:
        gdef = GameDef.from_dict(data["game"])
        closed = []
        for k, t in enumerate(data["turns"], start=1):
            if int(t["turn"]) != k:
                raise GameError("the save file's turns are out of order")
            moves = {str(m["actor"]): Move.from_dict(m) for m in t["moves"]}
            closed.append(ClosedTurn(k, moves))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, GameError):
            raise
        raise GameError(f"the save file is damaged: {exc!r}") from None
    return gdef, closed


class TerminalPolicy(ReplayPolicy):
    """Replays stored turns, then asks the player."""

    moves: dict[int, Move]  # filled in as the player decides

    def __init__(self, moves: dict[int, Move], ask: Callable[[Observation], Move]):
        super().__init__(moves)
        self.ask = ask

    def decide(self, obs: Observation) -> Decision:
        if obs.turn not in self.moves:
            self.moves[obs.turn] = self.ask(obs)
        return super().decide(obs)


class TerminalGame:
    def __init__(
        self,
        gdef: GameDef,
        closed: list[ClosedTurn],
        console: Console,
        read: Callable[[str], str],
        save: Path | None = None,
    ):
        self.gdef = gdef
        self.closed = closed
        self.out = console
        self.read = read
        self.save_path = save
        self.policies = {a: TerminalPolicy({}, self.ask) for a in gdef.humans}
        for ct in closed:
            for a, m in ct.moves.items():
                self.policies[a].moves[ct.turn] = m
        self.shown_briefing: set[str] = set()
        self.model: SummitModel | None = None  # set while playing

    # ----- input -----------------------------------------------------------------------
    def prompt(self, text: str) -> str:
        try:
            return self.read(text).strip()
        except EOFError:
            raise Quit() from None

    def ask(self, obs: Observation) -> Move:
        model, actor = self.model, obs.actor
        assert model is not None, "ask() is called only while playing"
        c = model.compiled
        if actor.id not in self.shown_briefing:
            self.show_briefing(model, actor.id)
            self.shown_briefing.add(actor.id)
        self.show_state(model)
        options = list(obs.options)
        self.show_options(model, actor, options)
        while True:
            raw = self.prompt(
                f"{actor.name}, your move [0-{len(options) - 1}], "
                "a = advisor, b = briefing, s = state, q = save and quit: "
            ).lower()
            if raw == "q":
                raise Quit()
            if raw == "a":
                self.show_advice(obs)
                continue
            if raw == "b":
                self.show_briefing(model, actor.id)
                continue
            if raw == "s":
                self.show_state(model)
                continue
            if raw.isdigit() and int(raw) < len(options):
                k = options[int(raw)]
                break
            self.out.print(f"[red]Please type a number from 0 to {len(options) - 1}.[/red]")
        while True:
            text = self.prompt(f"Why? (optional, up to {MAX_TEXT} characters; Enter to skip): ")
            try:
                text = clean_text(text)
                break
            except GameError as exc:
                self.out.print(f"[red]{escape(str(exc))}[/red]")
        move = "+".join(c.actions[a].move for a in k) or "hold"
        return Move(actor.id, move, text, "human")

    # ----- output ----------------------------------------------------------------------
    def show_briefing(self, model: SummitModel, actor_id: str) -> None:
        b = briefing(model, actor_id)
        lines = [escape(b["public"].strip())]
        if b["private"].strip():
            lines.append("\n[bold]For your eyes only:[/bold] " + escape(b["private"].strip()))
        lines.append("\n[bold]Your interests[/bold]")
        for i in b["interests"]:
            tag = " [dim](private)[/dim]" if i["private"] else ""
            lines.append(f"  • {escape(i['description'])}{tag}")
        if b["red_lines"]:
            lines.append("\n[bold]Your red lines[/bold]")
            for r in b["red_lines"]:
                pub = "declared" if r["public"] else "private"
                lines.append(
                    f"  • {escape(r['description'])} — you would {escape(r['response'])} "
                    f"[dim]({pub}, credibility {r['credibility']:.2f})[/dim]"
                )
        if b["known_red_lines"]:
            lines.append("\n[bold]Others' red lines you know of[/bold]")
            for r in b["known_red_lines"]:
                lines.append(
                    f"  • {escape(r['owner'])}: {escape(r['description'])} — it would "
                    f"{escape(r['response'])} [dim](you think {r['belief']:.0%} likely)[/dim]"
                )
        title = f"Briefing: {escape(b['name'])}"
        self.out.print(Panel("\n".join(lines), title=title, title_align="left"))

    def show_state(self, model: SummitModel) -> None:
        done = model.ctx.turn - 1  # called during a turn: the state is the one before it
        title = "The world now" if done < 1 else f"The world after turn {done}"
        table = Table(title=title, title_justify="left")
        table.add_column("quantity")
        table.add_column("value", justify="right")
        table.add_column("meaning")
        for row in public_state(model):
            meaning = textwrap.shorten(row["description"].split(". ")[0], 80, placeholder="…")
            table.add_row(escape(row["name"]), f"{row['value']:.2f}", escape(meaning))
        self.out.print(table)

    def show_options(self, model: SummitModel, actor: CActor, options: list[Option]) -> None:
        c = model.compiled
        turn = model.ctx.turn
        self.out.print(f"\n[bold cyan]Turn {turn} of {model.max_turns}: your moves[/bold cyan]")
        for n, option in enumerate(options):
            if not option:
                self.out.print(f"  [bold]{n}[/bold]  Hold — make no move this turn.")
                continue
            if len(option) > 1:
                names = " + ".join(escape(c.actions[k].name) for k in option)
                self.out.print(f"  [bold]{n}[/bold]  {names} [dim](together)[/dim]")
                continue
            a = c.actions[option[0]]
            needs = (
                f" (needs the consent of {c.actors[a.consent].name})"
                if a.consent is not None
                else ""
            )
            self.out.print(
                f"  [bold]{n}[/bold]  {escape(a.name)} [dim]({escape(a.move)}, escalation "
                f"{a.escalation:g}){escape(needs)}[/dim]\n      {escape(a.description.strip())}"
            )

    def show_advice(self, obs: Observation) -> None:
        d = advise(obs, self.gdef.seed)
        c = obs.compiled
        move = " and ".join(c.actions[k].name for k in d.option) or "hold"
        why = sentence(c, d.rationale) if d.rationale is not None else ""
        self.out.print(
            Panel(
                f"The AI would choose: [bold]{escape(move)}[/bold]\n{escape(why)}",
                title="Advisor",
                title_align="left",
            )
        )

    def show_turn(self, model: SummitModel, turn: int) -> None:
        from ..cli.narrate import print_changes, print_red_line

        result = model.result()
        c = model.compiled
        self.out.print(f"\n[bold]What happened in turn {turn}[/bold]")
        for rec in result.rec.actions:
            if rec.turn != turn or rec.by == "red_line":
                continue
            name = c.actors[rec.actor].name
            mine = c.actors[rec.actor].id in self.gdef.humans
            who = f"{name} (you)" if mine else name
            if rec.action < 0:
                self.out.print(f"  [dim]{escape(who):<22} held[/dim]")
            else:
                move = c.actions[rec.action].name
                refused = (
                    " [yellow](refused by the partner)[/yellow]" if rec.status == "refused" else ""
                )
                self.out.print(f"  {escape(who):<22} [bold]{escape(move)}[/bold]{refused}")
        for t, k in result.rec.injects:
            if t == turn:
                self.out.print(f"  [magenta]Event: {escape(c.injects[k].name)}[/magenta]")
        players = [c.actor_index[a] for a in self.gdef.humans]
        for r in result.rec.red_lines:
            # a private red line nobody here knows of stays hidden until it is crossed
            if r.turn == turn and any(model.knows(p, r.red_line) for p in players):
                print_red_line(result, r)
        print_changes(result, turn)

    def save(self) -> None:
        if self.save_path is None:
            return
        from ..cli.app import write_atomic

        text = json.dumps(save_dict(self.gdef, self.closed), indent=2)
        write_atomic(self.save_path, lambda p: p.write_text(text, encoding="utf-8"))

    # ----- the game ----------------------------------------------------------------------
    def play(self) -> bool:
        """Play to the end (True) or until the player quits (False). Saves after each turn."""
        c = self.gdef.compiled()
        model = SummitModel(
            c,
            seed=self.gdef.seed,
            turns=self.gdef.turns,
            policies=self.policies,
            collect=False,
        )
        self.model = model
        for _ in self.closed:
            model.step()
        if self.closed:
            self.out.print(f"[dim]Resumed after turn {len(self.closed)}.[/dim]")
        while model.running:
            turn = model.ctx.turn + 1
            try:
                model.step()
            except Quit:
                self.out.print("\n[bold]Stopped.[/bold]")
                return False
            moves = {a: self.policies[a].moves[turn] for a in self.gdef.humans}
            self.closed.append(ClosedTurn(turn, moves))
            self.save()
            self.show_turn(model, turn)
        return True
