"""Deals: negotiated packages, held as a bounded alternating-offers protocol at the start
of a turn, and the standing flows and obligations of the deals signed.

The engine runs the protocol and keeps the record; what each party offers or accepts is
its policy's choice (``policy.bargain(observation, talks) -> Reply``). The protocol:

1. the first party opens with an offer (a package: one level per issue) or walks away;
2. each other party in turn accepts, counters with its own offer, or walks away;
3. a counter becomes the offer on the table, made by the counter-party; the others respond;
4. all others accepting signs the deal; a walk-out ends it; after ``rounds`` offers with no
   agreement it expires.

A signed package applies its levels' effects at once, and their flows (and those of the
obligations it creates) every turn from then on, the signing turn included. Breaking an
obligation is a move of the obligated party (``break_<id>``): it stops that obligation's
flows and counts as broken word in its record.

Valuation (:func:`level_value`, :func:`package_value`) is the prediction service policies
and players read: what a level is worth to an actor now (its effects once, then its flows
each turn to the end of the run, discounted by the actor's ``discount``), and what a whole
package risks by crossing the red lines the actor knows of.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from . import predict as pr
from .compiled import CActor, CDeal, CLevel, Compiled, CRedLine, _slot_term

if TYPE_CHECKING:
    from .model import SummitModel
    from .observation import TurnView

Package = tuple[int, ...]  # one level index per issue
MAX_FLOW_TURNS = 24  # flows are valued over at most this many turns ahead


@dataclass(frozen=True)
class Reply:
    """A party's move in a negotiation: ``accept`` the offer on the table, ``offer`` a
    package (an opening or a counter-offer), or ``walk`` away. ``reason`` is for people."""

    kind: Literal["accept", "offer", "walk"]
    package: Package | None = None
    reason: str = ""


@dataclass(frozen=True)
class Step:
    """One entry of a negotiation's record."""

    round: int
    actor: int
    kind: str  # offer | accept | walk | reject (a counter-offer after the last round)
    package: Package | None
    reason: str = ""


@dataclass(frozen=True)
class Talks:
    """A negotiation as a party sees it when asked to reply: the deal, the round (0-based
    index of the offer on the table, or of the opening), the offer on the table and who
    made it, and the steps so far. ``view`` is the turn's prediction service."""

    deal: CDeal
    turn: int
    round: int
    table: Package | None
    proposer: int | None
    steps: tuple[Step, ...]
    view: TurnView

    @property
    def last_round(self) -> bool:
        """No counter-offer is possible after this one."""
        return self.round >= self.deal.rounds - 1

    def walk_away(self, actor: int) -> float:
        return self.deal.walk_away[self.deal.parties.index(actor)]

    def value(self, actor: int, package: Package, public_only: bool = False) -> float:
        """What ``package`` is worth to ``actor`` (``public_only``: as others can estimate it,
        from its public interests)."""
        return package_value(self.view, self.deal, self.view.compiled.actors[actor], package,
                             public_only)  # fmt: skip


@dataclass
class Negotiation:
    """What happened in one negotiation: ``outcome`` is signed, walked or expired."""

    turn: int
    deal: int
    steps: list[Step] = field(default_factory=list)
    outcome: str = "expired"
    walked_by: int | None = None
    package: Package | None = None
    values: dict[int, float] = field(default_factory=dict)  # signed: each party's surplus


# ----- valuation ---------------------------------------------------------------------------
def public_actor(c: Compiled, actor: CActor) -> CActor:
    """``actor`` with its private interests left out: what others can know of it."""
    cache = c.__dict__.setdefault("_public_actors", {})
    hit = cache.get(actor.index)
    if hit is None:
        terms = tuple(t for t in actor.terms if not t.private)
        by_slot: dict[int, list[Any]] = {}
        for t in terms:
            by_slot.setdefault(t.slot, []).append(t)
        hit = cache[actor.index] = replace(
            actor, terms=terms, slot_terms={s: _slot_term(ts) for s, ts in by_slot.items()}
        )
    return hit


def _cache(view: TurnView, name: str) -> dict[Any, Any]:
    """A per-turn cache kept on the view (derived values only)."""
    out: dict[Any, Any] = view.__dict__.setdefault(name, {})
    return out


def level_delta(view: TurnView, level: CLevel) -> tuple[pr.Delta, pr.Delta]:
    """A level's mean change at signing, and its change per turn (its obligations' flows
    included)."""
    cache = _cache(view, "_level_deltas")
    hit = cache.get(id(level))
    if hit is None:
        hit = cache[id(level)] = _level_delta(view, level)
    return hit


def _level_delta(view: TurnView, level: CLevel) -> tuple[pr.Delta, pr.Delta]:
    now = pr.effects_delta(level.effects, view._ctx)
    per_turn: dict[int, float] = dict(level.flows)
    for k in level.obligations:
        for slot, d in view.compiled.obligations[k].flows:
            per_turn[slot] = per_turn.get(slot, 0.0) + level.scale * d
    return now, tuple(per_turn.items())


def level_value(view: TurnView, actor: CActor, level: CLevel) -> float:
    """What one level is worth to ``actor``: its effects once, then its flows each turn
    from this one to the end of the run (at most ``MAX_FLOW_TURNS``), discounted."""
    c = view.compiled
    now, per_turn = level_delta(view, level)
    changes = pr.apply(c, view.x, {}, now)
    total = pr.utility_change(actor, view.x, changes)
    if per_turn:
        y = pr.overlay(view.x, changes)
        weight = 1.0
        for _ in range(min(MAX_FLOW_TURNS, view.turns_left + 1)):
            step = pr.apply(c, y, {}, per_turn)
            total += weight * pr.utility_change(actor, y, step)
            y = pr.overlay(y, step)
            weight *= actor.discount
    return total


def package_delta(view: TurnView, deal: CDeal, package: Package) -> pr.Delta:
    """The change at signing plus one turn of flows: what red lines are judged on."""
    out: dict[int, float] = {}
    for issue, k in zip(deal.issues, package, strict=True):
        now, per_turn = level_delta(view, issue.levels[k])
        for slot, d in (*now, *per_turn):
            out[slot] = out.get(slot, 0.0) + d
    return tuple(out.items())


def package_risk(view: TurnView, deal: CDeal, actor: CActor, package: Package) -> float:
    """The expected utility of the red-line responses ``package`` would set off (each
    judged on the state the package makes), by the actor's beliefs in the red lines it
    knows of (its own left out)."""
    watched = view.watched(actor.index)
    if not watched:
        return 0.0
    known = {rl.index for rl in watched}
    after, crossed = _triggered(view, deal, package)
    total = 0.0
    for rl in crossed:
        if rl.index in known:
            loss = pr.gain(view.compiled, actor, after, view.response_delta(rl))
            total += view.belief(actor.index, rl.index) * loss
    return total


def _triggered(
    view: TurnView, deal: CDeal, package: Package
) -> tuple[list[float], tuple[CRedLine, ...]]:
    """The state ``package`` makes and the red lines it would cross (cached per turn)."""
    cache = _cache(view, "_package_triggers")
    hit = cache.get((deal.index, package))
    if hit is None:
        changes = pr.apply(view.compiled, view.x, {}, package_delta(view, deal, package))
        crossed = tuple(rl for rl in view.compiled.red_lines if view.would_trigger(rl, (), changes))
        hit = cache[(deal.index, package)] = (pr.overlay(view.x, changes), crossed)
    return hit


def package_value(
    view: TurnView, deal: CDeal, actor: CActor, package: Package, public_only: bool = False
) -> float:
    """What ``package`` is worth to ``actor``: its levels' values added up (issues are
    valued one by one) plus the red-line risk of the whole package."""
    who = public_actor(view.compiled, actor) if public_only else actor
    levels = (issue.levels[k] for issue, k in zip(deal.issues, package, strict=True))
    return sum(level_value(view, who, lv) for lv in levels) + package_risk(view, deal, who, package)


def package_values(
    view: TurnView, deal: CDeal, actor: CActor, public_only: bool = False
) -> dict[Package, float]:
    """:func:`package_value` of every package, each level valued once."""
    who = public_actor(view.compiled, actor) if public_only else actor
    worth = [[level_value(view, who, lv) for lv in issue.levels] for issue in deal.issues]
    risky = bool(view.watched(actor.index))
    out = {}
    for p in deal.packages():
        v = sum(w[k] for w, k in zip(worth, p, strict=True))
        out[p] = v + package_risk(view, deal, who, p) if risky else v
    return out


def breakdown(
    view: TurnView, deal: CDeal, actor: CActor, package: Package
) -> list[tuple[str, str, float]]:
    """Per issue (issue name, level name, worth), then ``("red-line risk", "", worth)``:
    what a player reads beside an offer."""
    out = [
        (issue.name, issue.levels[k].name, level_value(view, actor, issue.levels[k]))
        for issue, k in zip(deal.issues, package, strict=True)
    ]
    out.append(("red-line risk", "", package_risk(view, deal, actor, package)))
    return out


# ----- the engine's book -------------------------------------------------------------------
class DealBook:
    """Negotiations held, deals signed, and the obligations in force (``active[k]`` is the
    scale of obligation ``k``'s flows while it is kept, else 0)."""

    def __init__(self, c: Compiled):
        self.c = c
        self.held = [0] * len(c.deals)
        self.signed: dict[int, tuple[int, Package]] = {}  # deal -> (turn, package)
        self.active = [0.0] * len(c.obligations)
        self.since = [0] * len(c.obligations)  # the turn an obligation was taken on
        self.broken_at: dict[int, int] = {}  # obligation -> turn broken
        self.flows: dict[int, float] = {}  # slot -> standing change per turn (deal terms)
        self.record: list[Negotiation] = []
        self.talked = 0  # the last turn whose negotiations were held

    def due(self, ctx: Any) -> list[CDeal]:
        out = []
        for d in self.c.deals:
            if d.index in self.signed or self.held[d.index] >= d.attempts:
                continue
            if d.at_turn == ctx.turn or (d.when is not None and bool(d.when(ctx))):
                out.append(d)
        return out

    def negotiate(self, m: SummitModel, deal: CDeal, view: TurnView) -> Negotiation:
        self.held[deal.index] += 1
        rec = Negotiation(view.turn, deal.index)
        self.record.append(rec)
        talks = Talks(deal, view.turn, 0, None, None, (), view)
        reply = self._ask(m, deal.parties[0], talks)
        proposer = deal.parties[0]
        for rnd in range(deal.rounds):
            if reply.kind == "walk":
                return self._walked(rec, proposer, rnd, reply)
            assert reply.package is not None
            rec.steps.append(Step(rnd, proposer, "offer", reply.package, reply.reason))
            talks = replace(talks, round=rnd, table=reply.package, proposer=proposer)
            counter = self._responses(m, deal, talks, rec)
            if counter is None:
                if rec.outcome != "walked":
                    self.sign(m, deal, reply.package, rec, view)
                return rec
            proposer, reply = counter
            if rnd + 1 >= deal.rounds:  # no counter-offers after the last round
                rec.steps.append(Step(rnd, proposer, "reject", None, reply.reason))
                break
            talks = replace(talks, steps=tuple(rec.steps))
        rec.outcome = "expired"
        return rec

    def _walked(self, rec: Negotiation, actor: int, rnd: int, reply: Reply) -> Negotiation:
        rec.steps.append(Step(rnd, actor, "walk", None, reply.reason))
        rec.outcome, rec.walked_by = "walked", actor
        return rec

    def _responses(
        self, m: SummitModel, deal: CDeal, talks: Talks, rec: Negotiation
    ) -> tuple[int, Reply] | None:
        """Each other party replies in turn; the first counter-offer is returned (None if
        all accepted, or someone walked: ``rec.outcome`` says which)."""
        assert talks.proposer is not None
        start = deal.parties.index(talks.proposer)
        order = deal.parties[start + 1 :] + deal.parties[:start]
        for party in order:
            reply = self._ask(m, party, replace(talks, steps=tuple(rec.steps)))
            if reply.kind == "walk":
                self._walked(rec, party, talks.round, reply)
                return None
            if reply.kind == "offer":
                return party, reply
            rec.steps.append(Step(talks.round, party, "accept", talks.table, reply.reason))
        return None

    def _ask(self, m: SummitModel, actor: int, talks: Talks) -> Reply:
        policy = m.agents_by_index[actor].policy
        bargain = getattr(policy, "bargain", None)
        if bargain is None:
            return Reply("walk", reason="does not negotiate")
        reply = bargain(m.observe(actor, talks.view), talks)
        return _checked(self.c, actor, talks, reply)

    def sign(
        self, m: SummitModel, deal: CDeal, package: Package, rec: Negotiation, view: TurnView
    ) -> None:
        turn = rec.turn
        rec.outcome, rec.package = "signed", package
        for p, walk in zip(deal.parties, deal.walk_away, strict=True):
            rec.values[p] = package_value(view, deal, self.c.actors[p], package) - walk
        self.signed[deal.index] = (turn, package)
        acc: dict[int, float] = {}
        for issue, k in zip(deal.issues, package, strict=True):
            level = issue.levels[k]
            m._draw(level.effects, acc)
            for slot, d in level.flows:
                self.flows[slot] = self.flows.get(slot, 0.0) + d
            for ob in level.obligations:
                self.active[ob], self.since[ob] = level.scale, turn
                m.signals.committed(m, self.c.obligations[ob], turn)
        m._apply_now(acc)

    # ----- each turn -----------------------------------------------------------------------
    def may_break(self, obligation: int, turn: int) -> bool:
        return self.active[obligation] != 0.0 and turn > self.since[obligation]

    def broken(self, m: SummitModel, obligation: int) -> None:
        self.active[obligation] = 0.0
        self.broken_at[obligation] = m.ctx.turn
        m.signals.commitment_broken(m, self.c.obligations[obligation])

    def add_flows(self, acc: dict[int, float]) -> None:
        for slot, d in self.flows.items():
            acc[slot] = acc.get(slot, 0.0) + d
        for ob, scale in zip(self.c.obligations, self.active, strict=True):
            if scale:
                for slot, d in ob.flows:
                    acc[slot] = acc.get(slot, 0.0) + scale * d

    def break_deltas(self) -> dict[int, pr.Delta]:
        """Per breaking move whose obligation is in force: the flows it stops this turn."""
        return {
            ob.action: tuple((slot, -scale * d) for slot, d in ob.flows)
            for ob, scale in zip(self.c.obligations, self.active, strict=True)
            if scale
        }


def _checked(c: Compiled, actor: int, talks: Talks, reply: Any) -> Reply:
    who = c.actors[actor].name
    if not isinstance(reply, Reply):
        raise ValueError(f"{who}'s policy answered a negotiation with {reply!r}, not a Reply")
    if reply.kind == "accept" and talks.table is None:
        raise ValueError(f"{who}'s policy accepted, but no offer is on the table")
    if reply.kind == "offer" and not is_package(talks.deal, reply.package):
        raise ValueError(f"{who}'s policy offered {reply.package!r}, which is not a package")
    return reply


def is_package(deal: CDeal, package: Any) -> bool:
    return (
        isinstance(package, tuple)
        and len(package) == len(deal.issues)
        and all(
            isinstance(k, int) and 0 <= k < len(i.levels)
            for i, k in zip(deal.issues, package, strict=True)
        )
    )


def package_from_terms(deal: CDeal, terms: Sequence[str] | dict[str, str]) -> Package:
    """A package from level ids (per issue, in order, or by issue id)."""
    if isinstance(terms, dict):
        terms = [terms[i.id] for i in deal.issues]
    out = []
    for issue, tid in zip(deal.issues, terms, strict=True):
        ids = [lv.id for lv in issue.levels]
        if tid not in ids:
            raise ValueError(f"{issue.id}: {tid!r} is not one of {', '.join(ids)}")
        out.append(ids.index(tid))
    return tuple(out)
