"""Scripted (replay history), random (a baseline) and human-player policies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..engine.compiled import HOLD, CActor
from .ai import would_consent
from .base import Decision, Rationale

if TYPE_CHECKING:
    from ..engine.model import SummitModel


class ScriptedPolicy:
    """Takes the move fixed for each turn (if it is allowed then), otherwise holds."""

    by = "script"

    def __init__(self, script: dict[int, int]):
        self.script = script

    def decide(self, model: SummitModel, actor: CActor) -> Decision:
        want = self.script.get(model.ctx.turn, HOLD)
        ok = want == HOLD or want in model.allowed[actor.index]
        action = want if ok else HOLD
        note = "" if ok else f"{actor.name} could not take its scripted move this turn."
        r = Rationale(
            actor.index, [HOLD, action], [0.0, 0.0], [0.0, 0.0], [0.0, 1.0], action, note=note
        )
        if not note:
            verb = "held" if action == HOLD else "took " + model.compiled.actions[action].name
            r.note = f"{actor.name} {verb.lower()}, as scripted for turn {model.ctx.turn}."
        return Decision(action=action, by=self.by, rationale=r)

    def consent(self, model: SummitModel, actor: CActor, action: int) -> bool:
        return True


class RandomPolicy:
    """Picks uniformly among hold and the allowed moves; consents with probability 1/2."""

    by = "random"

    def decide(self, model: SummitModel, actor: CActor) -> Decision:
        alts = [HOLD, *model.allowed[actor.index]]
        k = int(model.random.random() * len(alts))
        p = 1.0 / len(alts)
        r = Rationale(
            actor.index, alts, [0.0] * len(alts), [0.0] * len(alts), [p] * len(alts), alts[k]
        )
        r.note = f"{actor.name} chose at random among {len(alts)} options."
        return Decision(action=alts[k], by=self.by, rationale=r)

    def consent(self, model: SummitModel, actor: CActor, action: int) -> bool:
        return model.random.random() < 0.5


Chooser = Callable[["SummitModel", CActor, list[int]], tuple[int, str]]


@dataclass
class HumanPolicy:
    """A person decides. ``chooser`` gets the model, the actor and the allowed actions and
    returns ``(action, justification)``; ``moves`` pre-sets choices by turn (for replay)."""

    chooser: Chooser | None = None
    moves: dict[int, tuple[int, str]] = field(default_factory=dict)
    by: str = "human"

    def decide(self, model: SummitModel, actor: CActor) -> Decision:
        options = list(model.allowed[actor.index])
        turn = model.ctx.turn
        if turn in self.moves:
            action, text = self.moves[turn]
        elif self.chooser is not None:
            action, text = self.chooser(model, actor, options)
        else:
            action, text = HOLD, ""
        if action != HOLD and action not in options:
            raise ValueError(f"move {model.compiled.action_label(action)!r} is not allowed now")
        return Decision(action=action, by=self.by, justification=text)

    def consent(self, model: SummitModel, actor: CActor, action: int) -> bool:
        return would_consent(model, actor, action)
