"""``summitsim play``: one person plays one or more actors in the terminal, the AI the rest.

The first turn shows the player's briefing and the state of the world; every turn, all the
actor's moves under numbers that stay fixed for the game (those not possible now greyed,
with the reason) and, on request, the AI advisor's suggestion; in a negotiation, the offer
on the table with each term's worth to the player, who accepts, counters or walks away.
After the turn, what everyone did and what changed. With ``--save`` the game is saved (as
its inputs) after every turn; quitting saves it in any case (:func:`default_save_path`).
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

from ..engine.deals import Talks
from ..engine.model import SummitModel
from ..engine.observation import Observation, Option, option_label
from ..policies.base import Decision
from ..viz.negotiation import negotiation_lines
from .game import (
    MAX_TEXT,
    Answer,
    ClosedTurn,
    GameDef,
    GameError,
    Move,
    ReplayPolicy,
    StoredAnswers,
    advise,
    briefing,
    clean_text,
    hidden_red_lines,
    public_state,
    redact,
    redact_talks,
)
from .views import (
    MoveChoice,
    advice_text,
    calendar,
    capacity_note,
    chance,
    changes,
    counter_menu,
    escalation_of,
    labels,
    move_menu,
    offer_worth,
    option_for,
    talks_heading,
    talks_so_far,
    turn_story,
    turn_title,
    unit_of,
    variable_name,
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
            {
                "turn": ct.turn,
                "moves": [m.to_dict() for m in ct.moves.values()],
                "answers": [a.to_dict() for a in ct.answers],
            }
            for ct in closed
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
            answers = [Answer.from_dict(a) for a in t.get("answers", [])]
            closed.append(ClosedTurn(k, moves, answers=answers))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, GameError):
            raise
        raise GameError(f"the save file is damaged: {exc!r}") from None
    return gdef, closed


class TerminalPolicy(ReplayPolicy):
    """Replays stored turns, then asks the player."""

    moves: dict[int, Move]  # filled in as the player decides

    def __init__(
        self,
        moves: dict[int, Move],
        ask: Callable[[Observation], Move],
        talks: StoredAnswers | None = None,
    ):
        super().__init__(moves, bargainer=talks)
        self.ask = ask
        self.talks = talks

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
        answers: dict[str, list[tuple[int, Answer]]] = {a: [] for a in gdef.humans}
        for ct in closed:
            for ans in ct.answers:
                answers.setdefault(ans.actor, []).append((ct.turn, ans))
        missing = {ct.turn: "ai" for ct in closed}  # a save from before negotiations
        self.policies = {
            a: TerminalPolicy({}, self.ask, StoredAnswers(answers[a], missing, self.ask_talks))
            for a in gdef.humans
        }
        for ct in closed:
            for a, m in ct.moves.items():
                self.policies[a].moves[ct.turn] = m
        self.shown_briefing: set[str] = set()
        self.shown_world = False
        self.model: SummitModel | None = None  # set while playing

    # ----- input -----------------------------------------------------------------------
    def prompt(self, text: str) -> str:
        try:
            return self.read(text).strip()
        except EOFError:
            raise Quit() from None

    def introduce(self, model: SummitModel, actor: str) -> None:
        """The briefing and the world, before the player's first choice."""
        if actor not in self.shown_briefing:
            self.show_briefing(model, actor)
            self.shown_briefing.add(actor)
        if not self.shown_world:
            self.show_state(model)  # once; after each turn, only what changed
            self.shown_world = True

    def ask(self, obs: Observation) -> Move:
        model, actor = self.model, obs.actor
        assert model is not None, "ask() is called only while playing"
        c = model.compiled
        self.introduce(model, actor.id)
        menu = move_menu(model, obs)
        self.show_options(obs, menu)
        top = len(menu) - 1
        several = actor.capacity > 1
        how = (
            f" (up to {actor.capacity} moves: their numbers with spaces between)" if several else ""
        )
        while True:
            raw = self.prompt(
                f"{actor.name}, your move [0-{top}]{how}, a = advisor, b = briefing, "
                "s = state, q = save and quit: "
            ).lower()
            if raw == "q":
                raise Quit()
            if raw == "a":
                self.show_advice(obs, menu)
                continue
            if raw == "b":
                self.show_briefing(model, actor.id)
                continue
            if raw == "s":
                self.show_state(model)
                continue
            try:
                option = self.parse_choice(raw, obs, menu)
                break
            except ValueError as exc:
                self.out.print(f"[red]{escape(str(exc))}[/red]")
        while True:
            text = self.prompt(f"Why? (optional, up to {MAX_TEXT} characters; Enter to skip): ")
            try:
                text = clean_text(text)
                break
            except GameError as exc:
                self.out.print(f"[red]{escape(str(exc))}[/red]")
        return Move(actor.id, option_label(c, option), text, "human")

    def ask_talks(self, obs: Observation, talks: Talks, seq: int) -> Answer:
        """The player's reply in a negotiation: accept the offer on the table, counter
        (a level per issue), or walk away."""
        model, actor = self.model, obs.actor
        assert model is not None, "ask_talks() is called only while playing"
        self.introduce(model, actor.id)
        self.show_talks(model, obs, talks)
        deal = talks.deal.id
        table = talks.table is not None
        keys = "a = accept, c = counter-offer" if table else "o = make an offer"
        while True:
            raw = self.prompt(
                f"{actor.name}, your reply ({keys}, w = walk away, q = save and quit): "
            ).lower()
            if raw == "q":
                raise Quit()
            if raw == "w":
                return Answer(deal, actor.id, seq, "walk")
            if raw == "a" and table:
                return Answer(deal, actor.id, seq, "accept")
            if raw == ("c" if table else "o"):
                return Answer(deal, actor.id, seq, "offer", self.choose_terms(talks, actor.index))
            self.out.print(f"[red]Please type {escape(keys)} or w.[/red]")

    def choose_terms(self, talks: Talks, actor: int) -> tuple[str, ...]:
        """A level per issue, by number (Enter keeps the one on the table)."""
        terms = []
        for issue in counter_menu(talks, actor):
            self.out.print(f"[bold]{escape(issue.name)}[/bold]")
            for k, (lid, name, worth) in enumerate(issue.levels):
                mark = " [dim](on the table)[/dim]" if lid == issue.current and talks.table else ""
                self.out.print(f"  [bold]{k:>2}[/bold]  {escape(name)}: worth {worth:+.2f}{mark}")
            top = len(issue.levels) - 1
            ids = [lid for lid, _, _ in issue.levels]
            keep = ids.index(issue.current) if issue.current in ids else 0
            while True:
                raw = self.prompt(f"{issue.name} [0-{top}, Enter keeps {keep}]: ")
                if not raw:
                    terms.append(issue.current)
                    break
                if raw.isdigit() and int(raw) <= top:
                    terms.append(issue.levels[int(raw)][0])
                    break
                self.out.print(f"[red]Please type a number from 0 to {top}.[/red]")
        return tuple(terms)

    def show_talks(self, model: SummitModel, obs: Observation, talks: Talks) -> None:
        c = model.compiled
        lines = [escape(talks.deal.description.strip())] if talks.deal.description else []
        so_far = redact_talks(talks_so_far(model, talks), self.gdef.humans)
        if so_far is not None:
            lines += [f"  • {escape(t)}" for t in negotiation_lines(so_far, labels(c))[1:-1]]
        worth = offer_worth(talks, obs.actor.index)
        if worth is None:
            lines.append("No offer yet: you open the talks.")
        else:
            lines.append("\n[bold]The offer on the table, and its worth to you[/bold]")
            for issue, term, w in worth.terms:
                lines.append(f"  {escape(issue)}: {escape(term)}  [bold]{w:+.2f}[/bold]")
            lines.append(f"  red-line risk  [bold]{worth.risk:+.2f}[/bold]")
            lines.append(escape(worth.verdict()))
        title = f"Negotiation: {escape(talks_heading(c, talks, obs.actor.index))}"
        self.out.print(Panel("\n".join(lines), title=title, title_align="left"))

    @staticmethod
    def parse_choice(raw: str, obs: Observation, menu: list[MoveChoice]) -> Option:
        """The option the numbers typed make; ValueError with what to type instead."""
        top = len(menu) - 1
        parts = raw.replace(",", " ").replace("+", " ").split()
        if not parts or not all(p.isdigit() for p in parts):
            return _bad(f"Please type a number from 0 to {top}.")
        numbers = sorted({int(p) for p in parts})
        if any(n > top for n in numbers):
            return _bad(f"Please type a number from 0 to {top}.")
        if numbers == [0]:
            return ()
        if 0 in numbers:
            return _bad("0 is to hold: type it alone.")
        if len(numbers) > 1 and obs.actor.capacity < 2:
            return _bad("One move a turn: type one number.")
        for n in numbers:
            if not menu[n].available:
                return _bad(f"Move {n} is not available: {menu[n].reason}.")
        moves = [menu[n].move for n in numbers]
        return option_for(obs.compiled, obs, moves)

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
                    f"[dim]({pub}; you would follow through: {chance(r['credibility'])})[/dim]"
                )
        if b["known_red_lines"]:
            lines.append("\n[bold]Others' red lines you know of[/bold]")
            for r in b["known_red_lines"]:
                lines.append(
                    f"  • {escape(r['owner'])}: {escape(r['description'])} — it would "
                    f"{escape(r['response'])} [dim](you think {chance(r['belief'])})[/dim]"
                )
        title = f"Briefing: {escape(b['name'])}"
        self.out.print(Panel("\n".join(lines), title=title, title_align="left"))

    def show_state(self, model: SummitModel) -> None:
        c = model.compiled
        done = model.ctx.turn - 1  # called during a turn: the state is the one before it
        title = "The world now" if done < 1 else f"The world after turn {done}"
        table = Table(title=title, title_justify="left")
        table.add_column("quantity")
        table.add_column("value", justify="right")
        table.add_column("meaning")
        for row in public_state(model):
            slot = row["name"]
            unit = unit_of(c, slot)
            rel = slot.startswith("rel:")
            value = f"{row['value']:.2f}" if rel else f"{row['value']:.3g}"
            meaning = textwrap.shorten(row["description"].split(". ")[0], 80, placeholder="…")
            table.add_row(
                escape(variable_name(c, slot)),
                value + (f" {escape(unit)}" if unit else ""),
                escape(meaning),
            )
        self.out.print(table)

    def show_options(self, obs: Observation, menu: list[MoveChoice]) -> None:
        c = obs.compiled
        model = self.model
        assert model is not None
        when = calendar(c, obs.turn)
        title = f"Turn {obs.turn} of {model.max_turns}" + (f" ({when})" if when else "")
        self.out.print(
            f"\n[bold cyan]{escape(title)}: {escape(obs.actor.name)}'s moves[/bold cyan]"
        )
        note = capacity_note(c, obs)
        if note:
            self.out.print(f"[dim]{escape(note)}[/dim]")
        for m in menu:
            if m.move == "hold":
                self.out.print(f"  [bold]{m.number:>2}[/bold]  Hold — make no move this turn.")
                continue
            meta = [f"escalation {m.escalation:+g}"]
            if m.channel and obs.actor.capacity > 1:
                meta.append(f"{m.channel} channel")
            if m.needs:
                meta.append(f"needs the consent of {m.needs}")
            if m.available:
                meta.extend(m.limits)
                self.out.print(
                    f"  [bold]{m.number:>2}[/bold]  {escape(m.name)} "
                    f"[dim]({escape('; '.join(meta))})[/dim]\n"
                    f"      {escape(m.description)}"
                )
                for r in m.red_lines:
                    self.out.print(f"      [bold red]⚠ Red line: {escape(r)}[/bold red]")
            else:
                self.out.print(
                    f"  [dim]{m.number:>2}  {escape(m.name)} — not available: "
                    f"{escape(m.reason)}[/dim]"
                )

    def show_advice(self, obs: Observation, menu: list[MoveChoice]) -> None:
        d = advise(obs, self.gdef.seed)
        c = obs.compiled
        number = {m.move: m.number for m in menu}
        picks = [str(number[c.actions[k].move]) for k in d.option] or ["0"]
        self.out.print(
            Panel(
                f"{escape(advice_text(c, d))}\n[dim](To follow it, type {' '.join(picks)}.)[/dim]",
                title="Advisor",
                title_align="left",
            )
        )

    def show_turn(self, model: SummitModel, turn: int) -> None:
        c = model.compiled
        result = model.result().to_dict()
        # a private red line nobody here knows of stays hidden until it is crossed
        hidden = set.intersection(*(hidden_red_lines(model, a) for a in self.gdef.humans))
        result = redact(result, self.gdef.humans, hidden)
        self.out.print(f"\n[bold]What happened in {escape(turn_title(c, turn, 'turn'))}[/bold]")
        for ln in turn_story(c, result, turn):
            text = ln.text
            if ln.actor in self.gdef.humans and ln.who and text.startswith(ln.who):
                text = f"{ln.who} (you){text[len(ln.who) :]}"
            style = {
                "held": "dim",
                "refused": "yellow",
                "event": "magenta",
                "red_line": "bold red",
                "approached": "yellow",
                "deal": "cyan",
            }.get(ln.kind, "")
            line = escape(text)
            self.out.print(f"  [{style}]{line}[/{style}]" if style else f"  {line}")
            if ln.kind == "deal" and ln.why:
                self.out.print(f"    [dim]{escape(ln.why)}[/dim]")
        moved = changes(c, result, turn)
        parts = [x.text() for x in moved[:8]]
        if len(moved) > 8:
            parts.append(f"and {len(moved) - 8} smaller changes (s shows them all)")
        self.out.print(
            "  [dim]What changed: "
            + escape("; ".join(parts) or "nothing measurable")
            + f"; escalation this turn {escalation_of(result, turn):g}[/dim]"
        )

    def save(self, path: Path | None = None) -> Path | None:
        path = path or self.save_path
        if path is None:
            return None
        from ..files import write_atomic

        text = json.dumps(save_dict(self.gdef, self.closed), indent=2)
        write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))
        return path

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
            answers = [
                ans
                for p in self.policies.values()
                if p.talks is not None
                for ans in p.talks.of_turn(turn)
            ]
            self.closed.append(ClosedTurn(turn, moves, answers=answers))
            self.save()
            self.show_turn(model, turn)
        return True


def _bad(message: str) -> Option:
    raise ValueError(message)


def default_save_path(gdef: GameDef, folder: Path | None = None) -> Path:
    """Where a game is saved when the player gave no ``--save``: ``SCENARIO-ACTORS.json`` in
    the current folder (``-2``, ``-3`` ... added rather than overwrite another file)."""
    folder = folder or Path.cwd()
    stem = Path(gdef.scenario).stem
    base = f"{stem}-{'-'.join(gdef.humans)}".replace("_", "-")
    path = folder / f"{base}.json"
    k = 2
    while path.exists():
        path = folder / f"{base}-{k}.json"
        k += 1
    return path
