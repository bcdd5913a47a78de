"""The AI policy: expected utility with foresight, chosen by quantal response.

For each allowed move the actor predicts the mean resulting state. It adds the responses it
expects from the red lines it knows of, weighted by its belief that each owner follows through,
and, with foresight 2, the best replies of the other actors. It then picks by a softmax over
expected utility with its rationality as the inverse temperature (``inf``: the best move, ties
broken by declaration order, hold first).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from ..engine import predict as pr
from ..engine.compiled import HOLD, CActor, Compiled, CRedLine
from .base import Anticipated, Decision, Rationale

if TYPE_CHECKING:
    from ..engine.model import Replier, SummitModel


class AIPolicy:
    by = "ai"

    def decide(self, model: SummitModel, actor: CActor) -> Decision:
        alts = [HOLD, *model.allowed[actor.index]]
        eu, plain, anticipated, refused, changes = evaluate(model, actor, alts)
        probs = quantal(eu, actor.beta)
        pick = choose(probs, model.random.random())
        if not model.rationales:  # a sweep keeps outcomes only
            return Decision(action=alts[pick], by=self.by)
        rationale = Rationale(
            actor=actor.index,
            alternatives=alts,
            eu=eu,
            eu_plain=plain,
            probs=probs,
            chosen=alts[pick],
            anticipated=anticipated,
            expected_refusal=refused,
        )
        if pick:
            x = tuple(model.ctx.x)
            chosen, held = changes[pick], changes[0]
            rationale.explain = partial(_explain, model.compiled, actor.index, x, chosen, held)
        return Decision(action=alts[pick], by=self.by, rationale=rationale)

    def consent(self, model: SummitModel, actor: CActor, action: int) -> bool:
        if model.compiled.actions[action].consent == actor.index:
            return model.partner_agrees(action)  # the same rule, cached for the turn
        return would_consent(model, actor, action)


def would_consent(model: SummitModel, partner: CActor, action: int) -> bool:
    a = model.compiled.actions[action]
    x = model.ctx.x
    gain = pr.gain(model.compiled, partner, x, model.delta(action))
    return gain - float(a.partner_cost(model.ctx)) >= 0.0


def evaluate(
    model: SummitModel, actor: CActor, alts: list[int]
) -> tuple[list[float], list[float], list[Anticipated], list[int], list[Predicted]]:
    """Expected utility (with red-line risk) and plain utility of each of ``alts`` (hold
    first, then the allowed moves in order), the red-line responses anticipated, the moves
    expected to be refused, and each alternative's predicted change."""
    if actor.horizon >= 2:
        return _evaluate_foresight(model, actor, alts)
    return _evaluate_myopic(model, actor, alts)


def _evaluate_myopic(
    model: SummitModel, actor: CActor, alts: list[int]
) -> tuple[list[float], list[float], list[Anticipated], list[int], list[Predicted]]:
    """Foresight 1: each move's gain at this turn's state (shared with others' foresight),
    net of cost, plus the red-line risk; a change set is built only when a red line needs one."""
    watched = model.watched(actor.index)
    eu: list[float] = [0.0]
    plain: list[float] = [0.0]
    anticipated: list[Anticipated] = []
    refused: list[int] = []
    all_changes: list[Predicted] = [()]
    agrees = model.partner_agrees
    for alt, value, _, delta, cost in model.reply_values(actor):
        if not agrees(alt):
            refused.append(alt)
            plain.append(-cost)
            eu.append(-cost)
            all_changes.append(())
            continue
        risk = 0.0
        if watched:
            risk = _add_risks(anticipated, red_line_risks(model, actor, alt, delta, None, watched))
        plain.append(value)
        eu.append(value + risk)
        all_changes.append(delta)
    return eu, plain, anticipated, refused, all_changes


def _evaluate_foresight(
    model: SummitModel, actor: CActor, alts: list[int]
) -> tuple[list[float], list[float], list[Anticipated], list[int], list[Predicted]]:
    """Foresight 2: each move's change plus the others' best replies to it, then red-line
    risk on that prediction."""
    c, x = model.compiled, model.ctx.x
    watched = model.watched(actor.index)
    repliers = model.repliers(actor)
    eu: list[float] = []
    plain: list[float] = []
    anticipated: list[Anticipated] = []
    refused: list[int] = []
    all_changes: list[Predicted] = []
    for alt in alts:
        delta: pr.Delta = ()
        cost = 0.0
        if alt != HOLD:
            cost = model.cost(alt)
            if model.partner_agrees(alt):
                delta = model.delta(alt)
            else:
                refused.append(alt)
        own = pr.apply(c, x, {}, delta) if delta else {}
        changes = best_replies(model, actor, own, repliers)
        value = pr.utility_change(actor, x, changes) - cost
        risk = 0.0
        if delta and watched:
            ants = red_line_risks(model, actor, alt, delta, changes, watched)
            risk = _add_risks(anticipated, ants)
        plain.append(value)
        eu.append(value + risk)
        all_changes.append(changes)
    return eu, plain, anticipated, refused, all_changes


def _add_risks(anticipated: list[Anticipated], ants: list[Anticipated]) -> float:
    """Record the anticipated responses; their expected worth (belief x worth), summed."""
    risk = 0.0
    for ant in ants:
        anticipated.append(ant)
        risk += ant.credibility * ant.worth
    return risk


def relevant_slots(actor: CActor, watched: list[CRedLine]) -> frozenset[int]:
    """What ``actor`` cares about: its interests' slots and the slots of the red lines it
    watches. Only other actors' moves that touch these can change its expected utility."""
    relevant = set(actor.slot_terms)
    for rl in watched:
        relevant |= rl.trigger_slots
    return frozenset(relevant)


def best_replies(
    model: SummitModel, actor: CActor, own: pr.Changes, repliers: list[Replier]
) -> pr.Changes:
    """``own`` plus each replier's myopic best reply to the state ``own`` would produce.

    A replier none of whose moves touches a slot ``own`` changes keeps its best reply at this
    turn's state (computed once per turn); the others' moves that do are valued again at the
    predicted state. Replies are added in actor order, each clipped to the slot's bounds."""
    c, x = model.compiled, model.ctx.x
    lo, hi = c.lo, c.hi
    changes = dict(own)
    y: list[float] | None = None
    gain = pr.gain
    for other, touched, best, replies in repliers:
        if own and not touched.isdisjoint(own):
            if y is None:
                y = pr.overlay(x, own)
            best, best_value = (), 0.0
            for _, v, slots, delta, cost in replies:
                if not slots.isdisjoint(own):
                    v = gain(c, other, y, delta) - cost
                if v > best_value:
                    best, best_value = delta, v
        for slot, d in best:  # pr.apply, in place: this is the hottest loop of a run
            v = changes.get(slot, x[slot]) + d
            changes[slot] = lo[slot] if v < lo[slot] else hi[slot] if v > hi[slot] else v
    return changes


Predicted = pr.Changes | pr.Delta  # a change set, or a delta not yet applied


def _as_changes(c: Compiled, x: Sequence[float], p: Predicted) -> pr.Changes:
    return p if isinstance(p, dict) else pr.apply(c, x, {}, p)


def _explain(
    c: Compiled, actor: int, x: Sequence[float], chosen: Predicted, held: Predicted
) -> list[tuple[str, float]]:
    changes = (_as_changes(c, x, chosen), _as_changes(c, x, held))
    return deciding_terms(c.actors[actor], x, *changes)


def watched_red_lines(model: SummitModel, actor: CActor) -> list[CRedLine]:
    """Red lines the actor knows of, owned by others, that could still be crossed."""
    return [
        rl
        for rl in model.compiled.red_lines
        if rl.owner != actor.index
        and model.knows(actor.index, rl.index)
        and not (rl.once and model.fired_rl[rl.index])
    ]


def red_line_risks(
    model: SummitModel,
    actor: CActor,
    alt: int,
    delta: pr.Delta,
    changes: pr.Changes | None,
    watched: list[CRedLine],
) -> list[Anticipated]:
    """The red lines taking ``alt`` would cross, and what each response would be worth.
    ``changes`` is the predicted change set (None: just ``delta`` applied)."""
    c, x = model.compiled, model.ctx.x
    out = []
    touched = c.actions[alt].slots if changes is None else changes.keys()
    for rl in watched:
        if alt not in rl.trigger_actions and rl.trigger_slots.isdisjoint(touched):
            continue  # nothing the trigger reads differs from holding
        if changes is None:
            changes = pr.apply(c, x, {}, delta)
        if not model.would_trigger(rl, alt, changes):
            continue
        response = model.response_delta(rl)
        after = pr.apply(c, x, changes, response)
        worth = pr.utility_change(actor, x, after) - pr.utility_change(actor, x, changes)
        out.append(Anticipated(alt, rl.index, model.belief(actor.index, rl.index), worth))
    return out


def quantal(eu: list[float], beta: float) -> list[float]:
    top = max(eu)
    if math.isinf(beta):
        best = eu.index(top)
        return [1.0 if k == best else 0.0 for k in range(len(eu))]
    exp = math.exp
    weights = [exp(beta * (v - top)) for v in eu]
    total = sum(weights)
    return [w / total for w in weights]


def choose(probs: list[float], u: float) -> int:
    acc = 0.0
    for k, p in enumerate(probs):
        acc += p
        if u < acc:
            return k
    return max(range(len(probs)), key=lambda k: probs[k])


def deciding_terms(
    actor: CActor, x: Sequence[float], chosen: pr.Changes, hold: pr.Changes
) -> list[tuple[str, float]]:
    """The interest terms the choice gains most on, compared with holding."""
    mine = dict(_by_term(actor, x, chosen))
    held = dict(_by_term(actor, x, hold))
    diffs = {d: mine.get(d, 0.0) - held.get(d, 0.0) for d in sorted(set(mine) | set(held))}
    ranked = sorted(diffs.items(), key=lambda kv: -kv[1])
    gains = [(d, v) for d, v in ranked if v > 1e-9]
    return gains[:3] if gains else ranked[:1]


def _by_term(actor: CActor, x: Sequence[float], changes: pr.Changes) -> list[tuple[str, float]]:
    return [(t.description, v) for t, v in pr.term_breakdown(actor, x, changes)]
