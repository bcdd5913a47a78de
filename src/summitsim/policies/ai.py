"""The AI policy: expected utility with foresight, chosen by quantal response.

For each allowed move the actor predicts the mean resulting state. It adds the responses it
expects from the red lines it knows of, weighted by its belief that each owner follows through,
and, with foresight 2, the best replies of the other actors. It then picks by a softmax over
expected utility with its rationality as the inverse temperature (``inf``: the best move, ties
broken by declaration order, hold first).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..engine import predict as pr
from ..engine.compiled import HOLD, CActor
from .base import Anticipated, Decision, Rationale

if TYPE_CHECKING:
    from ..engine.model import SummitModel


class AIPolicy:
    by = "ai"

    def decide(self, model: SummitModel, actor: CActor) -> Decision:
        alts = [HOLD, *model.allowed[actor.index]]
        eu, plain, anticipated, refused, changes = evaluate(model, actor, alts)
        probs = quantal(eu, actor.beta)
        pick = choose(probs, model.random.random())
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
        rationale.terms = deciding_terms(model, actor, alts, eu, changes, pick)
        return Decision(action=alts[pick], by=self.by, rationale=rationale)

    def consent(self, model: SummitModel, actor: CActor, action: int) -> bool:
        return would_consent(model, actor, action)


def would_consent(model: SummitModel, partner: CActor, action: int) -> bool:
    a = model.compiled.actions[action]
    x = model.ctx.x
    gain = pr.utility_change(partner, x, pr.apply(model.compiled, x, {}, model.delta(action)))
    return gain - float(a.partner_cost(model.ctx)) >= 0.0


def evaluate(
    model: SummitModel, actor: CActor, alts: list[int]
) -> tuple[list[float], list[float], list[Anticipated], list[int], list[pr.Changes]]:
    c, x = model.compiled, model.ctx.x
    eu: list[float] = []
    plain: list[float] = []
    anticipated: list[Anticipated] = []
    refused: list[int] = []
    all_changes: list[pr.Changes] = []
    for alt in alts:
        own: pr.Changes = {}
        cost = 0.0
        if alt != HOLD:
            a = c.actions[alt]
            cost = float(a.cost(model.ctx))
            if a.consent is not None and not would_consent(model, c.actors[a.consent], alt):
                refused.append(alt)
            else:
                own = pr.apply(c, x, {}, model.delta(alt))
        changes = own
        if actor.foresight >= 2:
            changes = best_replies(model, actor, own)
        value = pr.utility_change(actor, x, changes) - cost
        risk = 0.0
        if own:
            for ant in red_line_risks(model, actor, alt, changes):
                anticipated.append(ant)
                risk += ant.credibility * ant.worth
        plain.append(value)
        eu.append(value + risk)
        all_changes.append(changes)
    return eu, plain, anticipated, refused, all_changes


def best_replies(model: SummitModel, actor: CActor, own: pr.Changes) -> pr.Changes:
    """``own`` plus each other actor's myopic best reply to the state it would produce."""
    c, x = model.compiled, model.ctx.x
    y = pr.overlay(x, own) if own else x
    changes = own
    for other in c.actors:
        if other.index == actor.index:
            continue
        best, best_value = HOLD, 0.0
        for alt in model.allowed[other.index]:
            d = pr.apply(c, y, {}, model.delta(alt))
            v = pr.utility_change(other, y, d) - model.cost(alt)
            if v > best_value:
                best, best_value = alt, v
        if best != HOLD:
            changes = pr.apply(c, x, changes, model.delta(best))
    return changes


def red_line_risks(
    model: SummitModel, actor: CActor, alt: int, changes: pr.Changes
) -> list[Anticipated]:
    c, x = model.compiled, model.ctx.x
    out = []
    for rl in c.red_lines:
        if rl.owner == actor.index or not model.knows(actor.index, rl.index):
            continue
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
    weights = [math.exp(beta * (v - top)) for v in eu]
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
    model: SummitModel,
    actor: CActor,
    alts: list[int],
    eu: list[float],
    changes: list[pr.Changes],
    pick: int,
) -> list[tuple[str, float]]:
    """The interest terms the choice gains most on, compared with holding."""
    if pick == 0:
        return []
    x = model.ctx.x
    mine = dict(_by_term(actor, x, changes[pick]))
    held = dict(_by_term(actor, x, changes[0]))
    diffs = {d: mine.get(d, 0.0) - held.get(d, 0.0) for d in sorted(set(mine) | set(held))}
    ranked = sorted(diffs.items(), key=lambda kv: -kv[1])
    gains = [(d, v) for d, v in ranked if v > 1e-9]
    return gains[:3] if gains else ranked[:1]


def _by_term(actor: CActor, x: list[float], changes: pr.Changes) -> list[tuple[str, float]]:
    return [(t.description, v) for t, v in pr.term_breakdown(actor, x, changes)]
