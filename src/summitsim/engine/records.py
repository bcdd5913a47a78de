"""What a run records as it goes: states, actions, red-line events, injects and outcomes."""

from __future__ import annotations

from typing import Any

from .compiled import HOLD, Compiled, CRedLine


class ActionRecord:
    __slots__ = (
        "action",
        "actor",
        "best",
        "by",
        "covert",
        "detected",
        "justification",
        "rationale",
        "red_line",
        "status",
        "turn",
    )

    def __init__(self, turn: int, actor: int, decision: Any, action: int | tuple[()], status: str):
        """One move of ``decision`` (``()``: the decision to hold)."""
        self.turn = turn
        self.actor = actor
        self.action: int = HOLD if action == () else int(action)  # type: ignore[arg-type]
        self.by: str = decision.by
        self.rationale = decision.rationale
        self.justification: str = decision.justification
        self.status = status
        self.red_line: int | None = None
        self.best: bool | None = decision.best  # an AI's choice: its best option?
        self.covert = False  # a covert move (set by the model)
        self.detected: int | None = None  # a covert move: the turn it was detected

    def visible_to(self, observer: int) -> bool:
        """Whether ``observer`` knows of this move now (covert moves of others: once found)."""
        return not self.covert or self.detected is not None or self.actor == observer

    @classmethod
    def response(cls, turn: int, rl: CRedLine, action: int) -> ActionRecord:
        rec = cls.__new__(cls)
        rec.turn, rec.actor, rec.action = turn, rl.owner, action
        rec.by, rec.rationale, rec.justification = "red_line", None, ""
        rec.status, rec.red_line, rec.best = "done", rl.index, None
        rec.covert, rec.detected = False, None
        return rec


class RedLineRecord:
    __slots__ = ("crossed_by", "red_line", "responded", "turn", "warning")

    def __init__(
        self,
        turn: int,
        red_line: int,
        crossed_by: tuple[str, ...],
        responded: bool,
        warning: bool = False,
    ):
        self.turn = turn
        self.red_line = red_line
        self.crossed_by = crossed_by
        self.responded = responded
        self.warning = warning


class Recorder:
    def __init__(self, compiled: Compiled, seed: int | None):
        self.compiled = compiled
        self.seed = seed
        self.states: list[tuple[float, ...]] = []
        self.outcomes: list[tuple[Any, ...]] = []
        self.actions: list[ActionRecord] = []
        self.red_lines: list[RedLineRecord] = []
        self.injects: list[tuple[int, int]] = []  # turn, inject: events
        self.drift: list[tuple[int, int]] = []  # turn, inject: background drift
        self.adjustments: list[tuple[int, int, float]] = []  # turn, slot, delta (by hand)
        self.covert: list[ActionRecord] = []  # covert moves taken, in order
        self.signals: list[Any] = []  # what was said (engine.signals.Said), in order
        self.negotiations: list[Any] = []  # engine.deals.Negotiation, in order

    def record_turn(self, ctx: Any) -> None:
        self.states.append(tuple(ctx.x))
        self.outcomes.append(
            tuple(
                bool(o.fn(ctx)) if o.is_bool else float(o.fn(ctx)) for o in self.compiled.outcomes
            )
        )

    def this_turn(self, turn: int) -> list[ActionRecord]:
        out = []
        for rec in reversed(self.actions):
            if rec.turn != turn:
                break
            out.append(rec)
        out.reverse()
        return out

    def culprits(self, rl: CRedLine, turn: int) -> tuple[str, ...]:
        """Who crossed a red line this turn: the actors whose moves its trigger names, or else
        the actors (and injects) whose moves changed what the trigger reads."""
        c = self.compiled
        recs = [r for r in self.this_turn(turn) if r.status == "done" and r.by != "red_line"]
        named = [c.actors[r.actor].id for r in recs if r.action in rl.trigger_actions]
        if named:
            return tuple(dict.fromkeys(named))
        slots = set(rl.trigger_slots)
        touched = [
            c.actors[r.actor].id
            for r in recs
            if r.action >= 0 and slots.intersection(e.slot for e in c.actions[r.action].effects)
        ]
        touched += [
            "inject:" + c.injects[k].id
            for t, k in (*self.injects, *self.drift)
            if t == turn and slots.intersection(e.slot for e in c.injects[k].effects)
        ]
        return tuple(dict.fromkeys(touched))
