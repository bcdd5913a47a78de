"""The Mesa model: one run of a compiled scenario, turn by turn.

Each turn: actors observe -> decide simultaneously on the same state -> the adjudicator
resolves the moves (consent, random and delayed effects, bounds) -> injects fire -> red lines
are checked and answered with their credibility -> outcomes are recorded.

The class can be built the way ``mesa.batch_run`` builds models: keyword parameters and a
seed, then ``step()`` until ``running`` is false.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mesa

from ..policies import AIPolicy, RandomPolicy, ScriptedPolicy
from ..policies.ai import relevant_slots, watched_red_lines, would_consent
from . import predict as pr
from .compiled import HOLD, CActor, CEffect, CInject, Compiled, CRedLine
from .records import ActionRecord, Recorder, RedLineRecord
from .registry import get_compiled
from .result import RunResult

Reply = tuple[int, float, frozenset[int], pr.Delta, float]
Replier = tuple[CActor, frozenset[int], pr.Delta, list[Reply]]


class Ctx:
    """What expressions see: the state, this turn's actions, move counts and the turn."""

    __slots__ = ("did", "turn", "used", "x")

    def __init__(self, x: list[float], did: Any, used: Any, turn: int):
        self.x = x
        self.did = did
        self.used = used
        self.turn = turn


class _OneHot:
    __slots__ = ("k",)

    def __init__(self, k: int):
        self.k = k

    def __getitem__(self, i: int) -> int:
        return 1 if i == self.k else 0


class _PlusOne:
    __slots__ = ("base", "k")

    def __init__(self, base: list[int], k: int):
        self.base = base
        self.k = k

    def __getitem__(self, i: int) -> int:
        return self.base[i] + (1 if i == self.k else 0)


class ActorAgent(mesa.Agent):
    """An actor; its policy decides for it."""

    def __init__(self, model: SummitModel, actor: CActor, policy: Any):
        super().__init__(model)
        self.index = actor.index  # by index: compiled parts hold closures and do not pickle
        self.policy = policy

    @property
    def actor(self) -> CActor:
        return self.model.compiled.actors[self.index]

    def decide(self) -> Any:
        return self.policy.decide(self.model, self.actor)


class SummitModel(mesa.Model):
    """One seeded run of a scenario.

    ``scenario`` is a bundled id, a path, a loaded scenario or a compiled one; other keyword
    arguments are scenario parameters. ``policies`` maps actor ids to policy objects (the
    default comes from each actor's declared policy). ``collect`` attaches a Mesa
    ``DataCollector`` of the outcomes (what ``mesa.batch_run`` reads). ``events`` are
    instructor interventions: ``{"turn": t, "inject": id}`` fires a declared inject at turn
    ``t``; ``{"turn": t, "variable": name, "delta": x}`` changes a variable (both in the
    injects step of that turn). ``rationales=False`` keeps no AI rationales (the same moves,
    drawn from the same random numbers; a sweep, which keeps outcomes only, runs faster).
    """

    def __init__(
        self,
        scenario: Any,
        seed: int | None = None,
        turns: int | None = None,
        policies: Mapping[str, Any] | None = None,
        collect: bool = True,
        events: list[Mapping[str, Any]] | None = None,
        rationales: bool = True,
        **params: Any,
    ):
        super().__init__(rng=seed)  # `seed` is deprecated in mesa 3.5; an int rng seeds both
        self.seed_value = seed
        self.rationales = rationales
        c = get_compiled(scenario, params)
        self.compiled: Compiled = c
        self.max_turns = c.turns if turns is None else int(turns)
        n_actions = len(c.actions)
        self.ctx = Ctx(list(c.x0), [0] * n_actions, [0] * n_actions, 0)
        self.last_used = [-(10**9)] * n_actions
        self.pending: list[tuple[int, int, float]] = []
        self.fired_rl = [False] * len(c.red_lines)
        self.fired_inj = [False] * len(c.injects)
        self.revealed = [rl.public for rl in c.red_lines]
        self.warned = [False] * len(c.red_lines)  # approached now (recorded when it starts)
        k = c.belief_strength
        self.alpha = [[rl.credibility * k for rl in c.red_lines] for _ in c.actors]
        self.beta_ = [[(1.0 - rl.credibility) * k for rl in c.red_lines] for _ in c.actors]
        self.allowed: list[list[int]] = [[] for _ in c.actors]
        self._delta: dict[int, pr.Delta] = {}
        self._cost: dict[int, float] = {}
        self._baseline: dict[int, bool] = {}
        self._replies: dict[int, list[Reply]] = {}
        self._best_reply: dict[int, tuple[frozenset[int], pr.Delta]] = {}
        self._agrees: dict[int, bool] = {}
        self._responses: dict[int, pr.Delta] = {}
        self._repliers: dict[int, list[Replier]] = {}
        self._watched: dict[int, tuple[list[CRedLine], frozenset[int]]] = {}  # until a crossing
        self.agents_by_index = [
            ActorAgent(self, a, _policy_for(a, (policies or {}).get(a.id))) for a in c.actors
        ]
        self.events = _check_events(c, events or [])
        self.recorder = Recorder(c, seed)
        self.recorder.record_turn(self.ctx)
        # Collected after each step, as Mesa models usually do: batch_run reads row steps-1.
        self.datacollector = _collector(c) if collect else None
        self.running = self.max_turns > 0

    # Derived from the state, cleared at every turn ("_watched" only when a red line is
    # crossed) and never pickled (some hold compiled closures).
    _TURN_CACHES = (
        "_delta", "_cost", "_baseline", "_replies", "_best_reply", "_agrees", "_responses",
        "_repliers",
    )  # fmt: skip
    _CACHES = (*_TURN_CACHES, "_watched")

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in self._CACHES:
            state[name] = {}
        return state

    # ----- views used by policies -------------------------------------------------------
    def delta(self, action: int) -> pr.Delta:
        d = self._delta.get(action)
        if d is None:
            d = self._delta[action] = pr.expected_delta(self.compiled.actions[action], self.ctx)
        return d

    def cost(self, action: int) -> float:
        v = self._cost.get(action)
        if v is None:
            a = self.compiled.actions[action]
            v = a.constant_cost
            if v is None:
                v = float(a.cost(self.ctx))
            self._cost[action] = v
        return v

    def reply_values(self, actor: CActor) -> list[Reply]:
        """(action, gain net of cost at this turn's state, slots, delta, cost) per allowed
        action of ``actor``: what foresight needs to find its best reply."""
        vals = self._replies.get(actor.index)
        if vals is None:
            c, x = self.compiled, self.ctx.x
            vals = []
            for k in self.allowed[actor.index]:
                d, cost = self.delta(k), self.cost(k)
                vals.append((k, pr.gain(c, actor, x, d) - cost, c.actions[k].slots, d, cost))
            self._replies[actor.index] = vals
        return vals

    def base_best_reply(self, actor: CActor) -> tuple[frozenset[int], pr.Delta]:
        """The slots any of ``actor``'s moves touch, and its myopic best reply (as a delta; empty
        for hold) at this turn's state. Valid for any prediction that leaves those slots alone."""
        hit = self._best_reply.get(actor.index)
        if hit is None:
            best: pr.Delta = ()
            best_value = 0.0
            touched: frozenset[int] = frozenset()
            for _, v, slots, delta, _ in self.reply_values(actor):
                touched |= slots
                if v > best_value:
                    best, best_value = delta, v
            hit = self._best_reply[actor.index] = (touched, best)
        return hit

    def watched(self, observer: int) -> list[CRedLine]:
        """Red lines ``observer`` knows of, owned by others, that could still be crossed
        (kept until a red line is crossed: only a crossing reveals or uses one up)."""
        return self._watching(observer)[0]

    def _watching(self, observer: int) -> tuple[list[CRedLine], frozenset[int]]:
        hit = self._watched.get(observer)
        if hit is None:
            actor = self.compiled.actors[observer]
            watched = watched_red_lines(self, actor)
            hit = self._watched[observer] = (watched, relevant_slots(actor, watched))
        return hit

    def repliers(self, actor: CActor) -> list[Replier]:
        """Other actors with an allowed move that touches what ``actor`` cares about (its
        interests, the red lines it watches), each as (actor, slots its moves touch, its
        myopic best reply, its reply values). The replies of the rest cannot change
        ``actor``'s expected utility. Cached for the turn."""
        hit = self._repliers.get(actor.index)
        if hit is None:
            relevant = self._watching(actor.index)[1]
            hit = []
            for other in self.compiled.actors:
                if other.index == actor.index:
                    continue
                touched, best = self.base_best_reply(other)
                if not touched.isdisjoint(relevant):
                    hit.append((other, touched, best, self.reply_values(other)))
            self._repliers[actor.index] = hit
        return hit

    def partner_agrees(self, action: int) -> bool:
        """Would the partner (judging as an AI would) consent? True for moves needing none."""
        ok = self._agrees.get(action)
        if ok is None:
            partner = self.compiled.actions[action].consent
            ok = partner is None or would_consent(self, self.compiled.actors[partner], action)
            self._agrees[action] = ok
        return ok

    def knows(self, observer: int, red_line: int) -> bool:
        return self.revealed[red_line] or self.compiled.red_lines[red_line].owner == observer

    def belief(self, observer: int, red_line: int) -> float:
        a, b = self.alpha[observer][red_line], self.beta_[observer][red_line]
        return a / (a + b) if a + b > 0 else 0.0

    def would_trigger(self, rl: CRedLine, action: int, changes: pr.Changes) -> bool:
        """Would taking ``action`` (with state ``changes``) cross ``rl`` when holding would not?
        (Callers skip red lines whose trigger reads nothing the move changes.)"""
        if rl.once and self.fired_rl[rl.index]:
            return False
        base = self._baseline.get(rl.index)
        if base is None:
            base = self._baseline[rl.index] = bool(rl.trigger(self.ctx))
        if base:
            return False
        ctx = self.ctx
        hypo = Ctx(
            pr.overlay(ctx.x, changes), _OneHot(action), _PlusOne(ctx.used, action), ctx.turn
        )
        return bool(rl.trigger(hypo))

    def response_delta(self, rl: CRedLine) -> pr.Delta:
        """The expected change a red line's response makes (cached for the turn)."""
        hit = self._responses.get(rl.index)
        if hit is None:
            hit = self._responses[rl.index] = self._response_delta(rl)
        return hit

    def _response_delta(self, rl: CRedLine) -> pr.Delta:
        out: dict[int, float] = {}
        for k in rl.response_actions:
            for slot, d in self.delta(k):
                out[slot] = out.get(slot, 0.0) + d
        for slot, d in pr.effects_delta(rl.response_effects, self.ctx):
            out[slot] = out.get(slot, 0.0) + d
        return tuple(out.items())

    # ----- the turn -------------------------------------------------------------------------
    def step(self) -> None:
        self.ctx.turn += 1
        self._begin_turn()
        decisions = [agent.decide() for agent in self.agents_by_index]
        self._resolve(decisions)
        self._injects()
        self._red_lines()
        self.recorder.record_turn(self.ctx)
        if self.datacollector is not None:
            self.datacollector.collect(self)
        if self.ctx.turn >= self.max_turns:
            self.running = False

    def _begin_turn(self) -> None:
        ctx, c = self.ctx, self.compiled
        ctx.did = [0] * len(c.actions)
        for name in self._TURN_CACHES:
            getattr(self, name).clear()
        t, actions, may = ctx.turn, c.actions, self._may
        for actor in c.actors:
            self.allowed[actor.index] = [k for k in actor.actions if actions[k].free or may(k, t)]

    def _may(self, k: int, turn: int) -> bool:
        a = self.compiled.actions[k]
        if a.max_uses is not None and self.ctx.used[k] >= a.max_uses:
            return False
        if a.cooldown and turn - self.last_used[k] <= a.cooldown:
            return False
        return bool(a.when(self.ctx))

    def _resolve(self, decisions: list[Any]) -> None:
        c, ctx = self.compiled, self.ctx
        acc: dict[int, float] = {}
        taken: list[int] = []
        for actor, d in zip(c.actors, decisions, strict=True):
            status = "done"
            if d.action != HOLD:
                a = c.actions[d.action]
                if a.consent is not None:
                    partner = self.agents_by_index[a.consent]
                    if not partner.policy.consent(self, partner.actor, d.action):
                        status = "refused"
                if status == "done":
                    self._draw(a.effects, acc)
                    taken.append(d.action)
            self.recorder.actions.append(ActionRecord(ctx.turn, actor.index, d, status))
        self._land(acc)
        for k in taken:
            self._mark(k)

    def _draw(self, effects: tuple[CEffect, ...], acc: dict[int, float]) -> None:
        ctx, rnd = self.ctx, self.random
        for e in effects:
            amount = e.draw(ctx, rnd)
            if e.delay:
                self.pending.append((ctx.turn + e.delay, e.slot, amount))
            else:
                acc[e.slot] = acc.get(e.slot, 0.0) + amount

    def _land(self, acc: dict[int, float]) -> None:
        """Add due delayed effects to ``acc`` and apply it to the state, within bounds."""
        t = self.ctx.turn
        if self.pending:
            keep = []
            for due, slot, amount in self.pending:
                if due <= t:
                    acc[slot] = acc.get(slot, 0.0) + amount
                else:
                    keep.append((due, slot, amount))
            self.pending = keep
        self._apply_now(acc)

    def _mark(self, k: int) -> None:
        self.ctx.did[k] = 1
        self.ctx.used[k] += 1
        self.last_used[k] = self.ctx.turn

    def _injects(self) -> None:
        ctx = self.ctx
        forced = [e for e in self.events if e["turn"] == ctx.turn] if self.events else []
        by_hand = {e["inject"] for e in forced if "inject" in e}
        for inj in self.compiled.injects:
            if inj.id in by_hand or self._inject_due(inj):
                self._fire(inj)
        for e in forced:
            if "variable" in e:
                slot = self.compiled.slots.index(e["variable"])
                self._apply_now({slot: float(e["delta"])})
                self.recorder.adjustments.append((ctx.turn, slot, float(e["delta"])))

    def _inject_due(self, inj: CInject) -> bool:
        """Does a declared inject fire now, by its turn or condition and its probability?"""
        if inj.once and self.fired_inj[inj.index]:
            return False
        ctx = self.ctx
        due = inj.at_turn == ctx.turn if inj.at_turn is not None else False
        if not due and inj.when is not None:
            due = bool(inj.when(ctx))
        if not due:
            return False
        p = float(inj.probability(ctx))
        return p >= 1.0 or self.random.random() < p

    def _fire(self, inj: CInject) -> None:
        self.fired_inj[inj.index] = True
        acc: dict[int, float] = {}
        self._draw(inj.effects, acc)
        self._apply_now(acc)
        self.recorder.injects.append((self.ctx.turn, inj.index))

    def _apply_now(self, acc: dict[int, float]) -> None:
        x, lo, hi = self.ctx.x, self.compiled.lo, self.compiled.hi
        for slot, d in acc.items():
            v = x[slot] + d
            x[slot] = lo[slot] if v < lo[slot] else hi[slot] if v > hi[slot] else v

    def _red_lines(self) -> None:
        ctx = self.ctx
        for rl in self.compiled.red_lines:
            if rl.once and self.fired_rl[rl.index]:
                continue
            if rl.trigger(ctx):
                self._cross(rl)
                continue
            near = rl.warning is not None and bool(rl.warning(ctx))
            if near and not self.warned[rl.index]:
                self.recorder.red_lines.append(RedLineRecord(ctx.turn, rl.index, (), False, True))
            self.warned[rl.index] = near

    def _cross(self, rl: CRedLine) -> None:
        c, ctx = self.compiled, self.ctx
        responded = self.random.random() < rl.credibility
        self.fired_rl[rl.index] = True
        self.revealed[rl.index] = True
        self._watched.clear()
        acc: dict[int, float] = {}
        if responded:
            for k in rl.response_actions:
                self._draw(c.actions[k].effects, acc)
                self._mark(k)
                self.recorder.actions.append(ActionRecord.response(ctx.turn, rl, k))
            self._draw(rl.response_effects, acc)
            self._apply_now(acc)
        for obs in range(len(c.actors)):
            if responded:
                self.alpha[obs][rl.index] += 1.0
            else:
                self.beta_[obs][rl.index] += 1.0
        crossed_by = self.recorder.culprits(rl, ctx.turn)
        self.recorder.red_lines.append(RedLineRecord(ctx.turn, rl.index, crossed_by, responded))

    def result(self) -> Any:
        return RunResult(self.recorder)


def _check_events(c: Compiled, events: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    injects = {i.id for i in c.injects}
    out = []
    for e in events:
        turn = int(e["turn"])
        if "inject" in e:
            if e["inject"] not in injects:
                raise ValueError(f"unknown inject {e['inject']!r}")
            out.append({"turn": turn, "inject": str(e["inject"])})
        elif "variable" in e:
            if e["variable"] not in c.slots[: c.n_vars]:
                raise ValueError(f"unknown variable {e['variable']!r}")
            out.append({"turn": turn, "variable": str(e["variable"]), "delta": float(e["delta"])})
        else:
            raise ValueError("an event needs 'inject' or 'variable'")
    return out


def _policy_for(actor: CActor, given: Any) -> Any:
    if given is not None:
        return given
    if actor.policy == "scripted":
        return ScriptedPolicy({t: ks[0] if ks else -1 for t, ks in actor.script.items()})
    if actor.policy == "random":
        return RandomPolicy()
    return AIPolicy()


def _collector(c: Compiled) -> Any:
    reporters = {
        o.id: (lambda m, f=o.fn, b=o.is_bool: bool(f(m.ctx)) if b else float(f(m.ctx)))
        for o in c.outcomes
    }
    return mesa.DataCollector(model_reporters=reporters)
