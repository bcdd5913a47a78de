"""What one actor may know at one turn, and the read-only prediction service policies use.

The engine builds one :class:`TurnView` per turn (the state every actor sees, the legal
options of every actor, and the engine's own predictions: a move's mean effect, its cost,
whether a red line would be crossed and what its response would change). Each actor gets an
:class:`Observation`: the view seen through its eyes (its options, the red lines it knows of
and its beliefs in them, its own history, and the seeded random source it may draw from).

Policies see only observations. Nothing in them changes the model: states are tuples, maps
are read-only, and the view's caches hold derived values only.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from types import MappingProxyType
from typing import Any

from . import predict as pr
from .compiled import HOLD, CActor, Compiled, CRedLine

Option = tuple[int, ...]  # the action indices taken together in one turn; () is hold
HOLD_OPTION: Option = ()


def option_label(c: Compiled, option: Option) -> str:
    """``hold``, a move id, or move ids joined by ``+``."""
    return "+".join(c.actions[k].move for k in option) if option else "hold"


def legal_options(c: Compiled, actor: CActor, allowed: Sequence[int]) -> tuple[Option, ...]:
    """Hold, then every set of up to ``actor.capacity`` allowed moves with at most one move
    per channel (moves without a channel are each their own), in declaration order."""
    out: list[Option] = [HOLD_OPTION]
    for size in range(1, min(actor.capacity, len(allowed)) + 1):
        for combo in combinations(allowed, size):
            channels = [c.actions[k].channel for k in combo if c.actions[k].channel is not None]
            if len(channels) == len(set(channels)):
                out.append(combo)
    return tuple(out)


_OPTIONS: dict[int, tuple[CActor, dict[tuple[int, ...], tuple[Option, ...]]]] = {}


def _options(c: Compiled, actor: CActor, allowed: tuple[int, ...]) -> tuple[Option, ...]:
    """``legal_options``, kept per actor and set of allowed moves (they recur turn after
    turn, and run after run)."""
    hit = _OPTIONS.get(id(actor))
    if hit is None or hit[0] is not actor:
        if len(_OPTIONS) > 1024:  # actors of scenarios compiled long ago
            _OPTIONS.clear()
        hit = _OPTIONS[id(actor)] = (actor, {})
    known = hit[1]
    options = known.get(allowed)
    if options is None:
        if len(known) > 4096:
            known.clear()
        options = known[allowed] = legal_options(c, actor, allowed)
    return options


@dataclass(frozen=True, slots=True)
class KnownRedLine:
    """A red line as one actor knows it."""

    index: int
    id: str
    owner: int
    description: str
    response: str
    belief: float  # the actor's belief that the owner follows through (its own: the truth)
    own: bool


class _DidSet:
    """``did`` for a hypothetical turn in which the actions in ``taken`` happen."""

    __slots__ = ("taken",)

    def __init__(self, taken: Iterable[int]):
        self.taken = taken if isinstance(taken, frozenset) else frozenset(taken)

    def __getitem__(self, i: int) -> int:
        return 1 if i in self.taken else 0


class _UsedPlus:
    __slots__ = ("base", "taken")

    def __init__(self, base: Sequence[int], taken: Iterable[int]):
        self.base = base
        self.taken = taken if isinstance(taken, frozenset) else frozenset(taken)

    def __getitem__(self, i: int) -> int:
        return self.base[i] + (1 if i in self.taken else 0)


_NONE: frozenset[int] = frozenset()


class _Hypo:
    __slots__ = ("did", "found", "found_ever", "turn", "used", "x")

    def __init__(self, x: list[float], did: Any, used: Any, turn: int, found: Any, found_ever: Any):
        self.x, self.did, self.used, self.turn = x, did, used, turn
        self.found, self.found_ever = found, found_ever


class TurnView:
    """This turn as every actor sees it, with the engine's predictions (cached per turn).

    Built by the model at the start of a turn; valid for that turn only."""

    def __init__(
        self,
        compiled: Compiled,
        ctx: Any,
        allowed: Sequence[Sequence[int]],
        revealed: Sequence[bool],
        fired_rl: Sequence[bool],
        counts: Sequence[Sequence[tuple[float, float]]],
        withdrawn: Sequence[bool] | None = None,
        reliability: Sequence[float] | None = None,
        turns_left: int = 0,
        extra: Mapping[int, pr.Delta] | None = None,
    ):
        self.compiled = compiled
        self.turn: int = ctx.turn
        self.x: tuple[float, ...] = tuple(ctx.x)
        self._found_ever = tuple(ctx.found_ever)
        self._ctx = _Hypo(
            list(self.x), ctx.did, tuple(ctx.used), ctx.turn, ctx.found, self._found_ever
        )
        self.allowed: tuple[tuple[int, ...], ...] = tuple(tuple(a) for a in allowed)
        self.options: tuple[tuple[Option, ...], ...] = tuple(
            _options(compiled, actor, self.allowed[actor.index]) for actor in compiled.actors
        )
        self.revealed = tuple(revealed)
        self.fired_rl = tuple(fired_rl)
        self.withdrawn = tuple(withdrawn or (False,) * len(fired_rl))
        # per observer and red line: the Beta distribution's (answered, not answered) counts
        self.counts = tuple(tuple(row) for row in counts)
        self.beliefs = tuple(
            tuple(a / (a + b) if a + b > 0 else 0.0 for a, b in row) for row in counts
        )
        self.reliability = tuple(reliability or (0.5,) * len(compiled.actors))
        self.turns_left = turns_left
        # breaking moves: the flows they stop this turn (seeded into the delta cache)
        self._delta: dict[int, pr.Delta] = {}
        for k, d in (extra or {}).items():
            self._delta[k] = _merged(pr.expected_delta(compiled.actions[k], self._ctx), d)
        self._cost: dict[int, float] = {}
        self._baseline: dict[int, bool] = {}
        self._responses: dict[int, pr.Delta] = {}
        self._watched: dict[int, tuple[CRedLine, ...]] = {}
        self._known: dict[int, tuple[KnownRedLine, ...]] = {}
        self._state: Mapping[str, float] | None = None

    @property
    def state(self) -> Mapping[str, float]:
        """Each slot's value by name (read-only; one mapping shared by every observer)."""
        if self._state is None:
            c = self.compiled
            self._state = MappingProxyType(dict(zip(c.slots, self.x, strict=True)))
        return self._state

    # ----- moves -----------------------------------------------------------------------
    def delta(self, action: int) -> pr.Delta:
        """The mean change a move makes (delayed effects included)."""
        d = self._delta.get(action)
        if d is None:
            d = self._delta[action] = pr.expected_delta(self.compiled.actions[action], self._ctx)
        return d

    def cost(self, action: int) -> float:
        v = self._cost.get(action)
        if v is None:
            a = self.compiled.actions[action]
            v = a.constant_cost
            if v is None:
                v = float(a.cost(self._ctx))
            self._cost[action] = v
        return v

    def partner_cost(self, action: int) -> float:
        return float(self.compiled.actions[action].partner_cost(self._ctx))

    def gain(self, actor: CActor, delta: pr.Delta) -> float:
        """The utility change ``delta`` (applied to this turn's state) brings ``actor``."""
        return pr.gain(self.compiled, actor, self.x, delta)

    # ----- red lines ---------------------------------------------------------------------
    def knows(self, observer: int, red_line: int) -> bool:
        return self.revealed[red_line] or self.compiled.red_lines[red_line].owner == observer

    def belief(self, observer: int, red_line: int) -> float:
        return self.beliefs[observer][red_line]

    def watched(self, observer: int) -> tuple[CRedLine, ...]:
        """Red lines ``observer`` knows of, owned by others, that could still be crossed."""
        hit = self._watched.get(observer)
        if hit is None:
            hit = self._watched[observer] = tuple(
                rl
                for rl in self.compiled.red_lines
                if rl.owner != observer
                and self.knows(observer, rl.index)
                and not (rl.once and self.fired_rl[rl.index])
                and not self.withdrawn[rl.index]
            )
        return hit

    def would_trigger(
        self, rl: CRedLine, taken: Sequence[int], changes: pr.Changes, found: Sequence[int] = ()
    ) -> bool:
        """Would the moves ``taken`` (with predicted state ``changes``, and the covert ones
        among them in ``found`` detected) cross ``rl`` when holding would not?"""
        if (rl.once and self.fired_rl[rl.index]) or self.withdrawn[rl.index]:
            return False
        base = self._baseline.get(rl.index)
        if base is None:
            none = _DidSet(())
            hold = _Hypo(list(self.x), none, self._ctx.used, self.turn, none, self._found_ever)
            base = self._baseline[rl.index] = bool(rl.trigger(hold))
        if base:
            return False
        did = frozenset(taken)
        seen = frozenset(found) if found else _NONE
        hypo = _Hypo(
            pr.overlay(self.x, changes),
            _DidSet(did),
            _UsedPlus(self._ctx.used, did),
            self.turn,
            _DidSet(seen),
            _UsedPlus(self._found_ever, seen),
        )
        return bool(rl.trigger(hypo))

    def signal_weight(self, action: int) -> float:
        """How many observations a signalling move adds to its observers' beliefs."""
        from .signals import CHEAP

        a = self.compiled.actions[action]
        sig = a.signal
        if sig is None:
            return 0.0
        rel = self.reliability[a.actor]
        return sig.strength * rel * (CHEAP + max(0.0, self.cost(action)) + sig.stake)

    def detection(self, action: int) -> float:
        """The chance that a covert move taken now is detected this turn (0 for others)."""
        a = self.compiled.actions[action]
        if a.detection is None:
            return 0.0
        return min(1.0, max(0.0, float(a.detection(self._ctx))))

    def response_delta(self, rl: CRedLine) -> pr.Delta:
        """The expected change a red line's response makes."""
        hit = self._responses.get(rl.index)
        if hit is None:
            out: dict[int, float] = {}
            for k in rl.response_actions:
                for slot, d in self.delta(k):
                    out[slot] = out.get(slot, 0.0) + d
            for slot, d in pr.effects_delta(rl.response_effects, self._ctx):
                out[slot] = out.get(slot, 0.0) + d
            hit = self._responses[rl.index] = tuple(out.items())
        return hit

    def known_red_lines(self, observer: int) -> tuple[KnownRedLine, ...]:
        hit = self._known.get(observer)
        if hit is None:
            hit = self._known[observer] = self._known_red_lines(observer)
        return hit

    def _known_red_lines(self, observer: int) -> tuple[KnownRedLine, ...]:
        c = self.compiled
        out = []
        for rl in c.red_lines:
            own = rl.owner == observer
            if not own and not self.knows(observer, rl.index):
                continue
            belief = rl.credibility if own else self.belief(observer, rl.index)
            out.append(
                KnownRedLine(
                    rl.index,
                    rl.id,
                    rl.owner,
                    rl.description,
                    rl.response_description,
                    belief,
                    own,
                )
            )
        return tuple(out)


def _merged(a: pr.Delta, b: pr.Delta) -> pr.Delta:
    out = dict(a)
    for slot, d in b:
        out[slot] = out.get(slot, 0.0) + d
    return tuple(out.items())


@dataclass(frozen=True)
class Observation:
    """What one actor may know at one turn.

    ``state`` maps each variable and relation slot (``rel:A:B``) to its value; ``moves`` are
    the legal moves and ``options`` the legal sets of moves (hold first); ``red_lines`` the
    red lines the actor knows of, with its beliefs; ``history`` its own past moves as
    ``(turn, move ids)``; ``seen`` everyone's moves last turn as ``(actor id, move id,
    status)``; ``rng`` the run's seeded generator (the only randomness a policy may use);
    ``view`` the turn's prediction service (shared by all actors, read-only)."""

    turn: int
    actor: CActor
    state: Mapping[str, float]
    moves: tuple[int, ...]
    options: tuple[Option, ...]
    red_lines: tuple[KnownRedLine, ...]
    history: tuple[tuple[int, tuple[str, ...]], ...]
    seen: tuple[tuple[str, str, str], ...]
    rng: random.Random
    view: TurnView

    @property
    def compiled(self) -> Compiled:
        return self.view.compiled

    def label(self, option: Option) -> str:
        return option_label(self.view.compiled, option)

    def move_info(self, action: int) -> dict[str, Any]:
        """A legal move as a player reads it: id, name, description, cost, escalation."""
        a = self.view.compiled.actions[action]
        info: dict[str, Any] = {
            "move": a.move,
            "name": a.name,
            "description": a.description.strip(),
            "escalation": a.escalation,
            "cost": self.view.cost(action),
            "channel": a.channel,
        }
        if a.consent is not None:
            info["needs"] = self.view.compiled.actors[a.consent].name
        return info


def make_observation(
    view: TurnView,
    actor: CActor,
    history: tuple[tuple[int, tuple[str, ...]], ...],
    seen: tuple[tuple[str, str, str], ...],
    rng: random.Random,
) -> Observation:
    return Observation(
        turn=view.turn,
        actor=actor,
        state=view.state,
        moves=view.allowed[actor.index],
        options=view.options[actor.index],
        red_lines=view.known_red_lines(actor.index),
        history=history,
        seen=seen,
        rng=rng,
        view=view,
    )


__all__ = [
    "HOLD",
    "HOLD_OPTION",
    "KnownRedLine",
    "Observation",
    "Option",
    "TurnView",
    "legal_options",
    "make_observation",
    "option_label",
]
