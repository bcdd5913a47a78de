"""Scripted (replay history), random (a baseline) and human-player policies."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..engine.compiled import HOLD
from ..engine.observation import Option
from .ai import would_consent
from .base import Decision, PolicyInfo, Rationale
from .negotiate import Negotiator

if TYPE_CHECKING:
    from ..engine.deals import Reply, Talks
    from ..engine.observation import Observation


def _as_option(moves: int | Sequence[int]) -> Option:
    if isinstance(moves, int):
        return () if moves == HOLD else (moves,)
    return tuple(sorted(k for k in moves if k != HOLD))


class ScriptedPolicy:
    """Takes the move (or moves) fixed for each turn if they are allowed then, else holds.
    ``script`` maps a turn to an action index or a sequence of them."""

    by = "script"
    info = PolicyInfo(stochastic=False, uses_private_information=False, description="a script")

    def __init__(self, script: Mapping[int, int | Sequence[int]], negotiate: bool = True):
        self.script = {t: _as_option(m) for t, m in script.items()}
        self.negotiator = Negotiator() if negotiate else None

    def decide(self, obs: Observation) -> Decision:
        want = self.script.get(obs.turn, ())
        ok = want in obs.options
        option = want if ok else ()
        name = obs.actor.name
        note = f"{name} could not take its scripted move this turn."
        if ok:
            c = obs.compiled
            verb = (
                "held" if not option else "took " + " and ".join(c.actions[k].name for k in option)
            )
            note = f"{name} {verb.lower()}, as scripted for turn {obs.turn}."
        r = Rationale(
            obs.actor.index, [(), option], [0.0, 0.0], [0.0, 0.0], [0.0, 1.0], option, note=note
        )
        return Decision(option=option, by=self.by, rationale=r)

    def consent(self, obs: Observation, action: int) -> bool:
        return True

    def bargain(self, obs: Observation, talks: Talks) -> Reply:
        """Scripts fix moves, not deals: a scripted actor negotiates as the AI does (or,
        made with ``negotiate=False``, walks away from every negotiation)."""
        if self.negotiator is None:
            from ..engine.deals import Reply

            return Reply("walk", reason="does not negotiate")
        return self.negotiator.bargain(obs, talks)


class RandomPolicy:
    """Picks uniformly among its legal options (hold included); consents with probability
    1/2."""

    by = "random"
    info = PolicyInfo(stochastic=True, uses_private_information=False, description="uniform")

    def decide(self, obs: Observation) -> Decision:
        alts = list(obs.options)
        k = int(obs.rng.random() * len(alts))
        p = 1.0 / len(alts)
        zeros = [0.0] * len(alts)
        r = Rationale(obs.actor.index, alts, zeros, list(zeros), [p] * len(alts), alts[k])
        r.note = f"{obs.actor.name} chose at random among {len(alts)} options."
        return Decision(option=alts[k], by=self.by, rationale=r)

    def consent(self, obs: Observation, action: int) -> bool:
        return obs.rng.random() < 0.5

    def bargain(self, obs: Observation, talks: Talks) -> Reply:
        """Accepts, walks away or offers a uniformly drawn package, each a third of the time
        (opening: offers or walks, a half each)."""
        from ..engine.deals import Reply

        u = obs.rng.random()
        if talks.table is not None and u < 1 / 3:
            return Reply("accept", reason="at random")
        if u >= (2 / 3 if talks.table is not None else 1 / 2):
            return Reply("walk", reason="at random")
        packages = talks.deal.packages()
        return Reply("offer", packages[int(obs.rng.random() * len(packages))], "at random")


Chooser = Callable[["Observation"], tuple[int | Sequence[int], str]]
Bargainer = Callable[["Observation", "Talks"], "Reply"]


@dataclass
class HumanPolicy:
    """A person decides. ``chooser`` gets the observation and returns ``(moves,
    justification)`` (an action index, HOLD, or a sequence of action indices); ``moves``
    pre-sets choices by turn (for replay). ``bargainer`` answers negotiations (given the
    observation and the talks, returns a ``Reply``); without one, the AI negotiator
    answers for the player."""

    chooser: Chooser | None = None
    moves: dict[int, tuple[int | Sequence[int], str]] = field(default_factory=dict)
    bargainer: Bargainer | None = None
    negotiator: Negotiator = field(default_factory=Negotiator, repr=False)
    by: str = "human"
    info = PolicyInfo(stochastic=False, uses_private_information=False, description="a person")

    def decide(self, obs: Observation) -> Decision:
        if obs.turn in self.moves:
            moves, text = self.moves[obs.turn]
        elif self.chooser is not None:
            moves, text = self.chooser(obs)
        else:
            moves, text = HOLD, ""
        option = _as_option(moves)
        if option not in obs.options:
            raise ValueError(f"move {obs.label(option)!r} is not allowed now")
        return Decision(option=option, by=self.by, justification=text)

    def consent(self, obs: Observation, action: int) -> bool:
        return would_consent(obs.view, obs.actor, action)

    def bargain(self, obs: Observation, talks: Talks) -> Reply:
        if self.bargainer is not None:
            return self.bargainer(obs, talks)
        return self.negotiator.bargain(obs, talks)
