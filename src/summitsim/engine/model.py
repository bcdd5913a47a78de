"""The Mesa model: one run of a compiled scenario, turn by turn.

Each turn: actors observe -> decide simultaneously on the same state -> the adjudicator
resolves the moves (consent, random and delayed effects, bounds) -> injects fire -> red lines
are checked and answered with their credibility -> outcomes are recorded.

The class can be built the way ``mesa.batch_run`` builds models: keyword parameters and a
seed, then ``step()`` until ``running`` is false.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Mapping
from typing import Any

import mesa

from .compiled import CActor, CEffect, CInject, Compiled, CRedLine
from .deals import DealBook
from .observation import Observation, Option, TurnView, make_observation, option_label
from .records import ActionRecord, Recorder, RedLineRecord
from .registry import get_compiled
from .result import RunResult
from .signals import SignalBook

# Where the default policies come from (actors' declared ``policy:``), as "module:function".
# The engine defines the observation and the policy protocol; it imports no policy itself.
DEFAULT_POLICIES = "summitsim.policies:default_policies"


class Ctx:
    """What expressions see: the state, this turn's actions, move counts, the turn, and the
    covert moves detected this turn (``found``) and ever (``found_ever``)."""

    __slots__ = ("did", "found", "found_ever", "turn", "used", "x")

    def __init__(
        self,
        x: list[float],
        did: Any,
        used: Any,
        turn: int,
        found: Any = None,
        found_ever: Any = None,
    ):
        self.x = x
        self.did = did
        self.used = used
        self.turn = turn
        self.found = found if found is not None else [0] * len(did)
        self.found_ever = found_ever if found_ever is not None else [0] * len(did)


class ActorAgent(mesa.Agent):
    """An actor; its policy decides for it from its observation."""

    def __init__(self, model: SummitModel, actor: CActor, policy: Any):
        super().__init__(model)
        self.index = actor.index  # by index: compiled parts hold closures and do not pickle
        self.policy = policy

    @property
    def actor(self) -> CActor:
        return self.model.compiled.actors[self.index]

    def decide(self, obs: Observation) -> Any:
        return self.policy.decide(obs)


class SummitModel(mesa.Model):
    """One seeded run of a scenario.

    ``scenario`` is a bundled id, a path, a loaded scenario or a compiled one; other keyword
    arguments are scenario parameters. ``policies`` maps actor ids to policy objects (see
    :class:`summitsim.policies.Policy`); the others get their declared policy from
    ``DEFAULT_POLICIES``. ``collect`` attaches a Mesa ``DataCollector`` of the outcomes
    (what ``mesa.batch_run`` reads). ``events`` are instructor interventions: ``{"turn": t,
    "inject": id}`` fires a declared inject at turn ``t``; ``{"turn": t, "variable": name,
    "delta": x}`` changes a variable (both in the injects step of that turn).
    ``rationales=False`` asks the default AI to keep no rationales (the same moves, drawn
    from the same random numbers; a sweep, which keeps outcomes only, runs faster).
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
        self.history: list[list[tuple[int, tuple[str, ...]]]] = [[] for _ in c.actors]
        self.signals = SignalBook(c)
        self.deals = DealBook(c)
        self.view: TurnView | None = None  # this turn's view, while it is decided
        chosen = _policies(c, policies or {}, rationales)
        self.agents_by_index = [ActorAgent(self, a, chosen[a.index]) for a in c.actors]
        self.events = _check_events(c, events or [])
        self.recorder = Recorder(c, seed)
        self.recorder.signals = self.signals.said  # the same list: the result reads it
        self.recorder.negotiations = self.deals.record
        self.recorder.record_turn(self.ctx)
        # Collected after each step, as Mesa models usually do: batch_run reads row steps-1.
        self.datacollector = _collector(c) if collect else None
        self.running = self.max_turns > 0

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["view"] = None  # derived, and holds compiled closures
        return state

    # ----- what actors may know ---------------------------------------------------------
    def belief(self, observer: int, red_line: int) -> float:
        a, b = self.alpha[observer][red_line], self.beta_[observer][red_line]
        return a / (a + b) if a + b > 0 else 0.0

    def knows(self, observer: int, red_line: int) -> bool:
        return self.revealed[red_line] or self.compiled.red_lines[red_line].owner == observer

    def turn_view(self, ctx: Ctx | None = None) -> TurnView:
        """The view of the turn ``ctx`` describes (default: the current one)."""
        ctx = ctx or self.ctx
        c = self.compiled
        allowed = [self._allowed(a, ctx) for a in c.actors]
        n = len(c.red_lines)
        counts = [
            [(self.alpha[o][r], self.beta_[o][r]) for r in range(n)] for o in range(len(c.actors))
        ]
        sb = self.signals
        return TurnView(
            c, ctx, allowed, self.revealed, self.fired_rl, counts,
            withdrawn=sb.withdrawn,
            reliability=[sb.reliability(a.index) for a in c.actors],
            turns_left=self.max_turns - ctx.turn,
            extra=self.deals.break_deltas() if c.obligations else None,
        )  # fmt: skip

    def observe(
        self, actor: int, view: TurnView | None = None, rng: random.Random | None = None
    ) -> Observation:
        """What ``actor`` may know: during a turn, of that turn; between turns, of the next
        one (the state is not touched). ``rng`` replaces the run's generator (an advisor
        that must not perturb the run draws from its own)."""
        if view is None:
            view = self.view if self.view is not None else self.turn_view(self._next_ctx())
        seen = self._seen(actor, view.turn - 1)
        history = tuple(self.history[actor])
        return make_observation(
            view, self.compiled.actors[actor], history, seen, rng or self.random
        )

    def _seen(self, observer: int, turn: int) -> tuple[tuple[str, str, str], ...]:
        """What ``observer`` saw happen in ``turn``: everyone's moves (covert ones by others
        only once detected) and the covert moves detected then."""
        c = self.compiled
        out = [
            (c.actors[r.actor].id, c.action_label(r.action), r.status)
            for r in self.recorder.this_turn(turn)
            if r.visible_to(observer)
        ]
        out += [
            (c.actors[r.actor].id, c.action_label(r.action), "detected")
            for r in self.recorder.covert
            if r.detected == turn and r.turn != turn
        ]
        return tuple(out)

    def _next_ctx(self) -> Ctx:
        n = len(self.compiled.actions)
        ctx = self.ctx
        return Ctx(list(ctx.x), [0] * n, list(ctx.used), ctx.turn + 1, [0] * n, ctx.found_ever)

    def _allowed(self, actor: CActor, ctx: Ctx) -> list[int]:
        actions, t = self.compiled.actions, ctx.turn
        out = []
        for k in actor.actions:
            a = actions[k]
            if a.free or self._may(a, ctx, t):
                out.append(k)
        return out

    def _may(self, a: Any, ctx: Ctx, turn: int) -> bool:
        if a.obligation is not None:
            return self.deals.may_break(a.obligation, turn)
        if a.max_uses is not None and ctx.used[a.index] >= a.max_uses:
            return False
        if a.cooldown and turn - self.last_used[a.index] <= a.cooldown:
            return False
        return bool(a.when(ctx))

    # ----- the turn -------------------------------------------------------------------------
    def step(self) -> None:
        if self.compiled.deals:
            self.negotiate()
        decisions, view = self._decide()
        self._resolve(decisions, view)
        self.view = None
        self._detect()
        self._injects()
        self._red_lines()
        self.signals.end_turn(self)
        self.recorder.record_turn(self.ctx)
        if self.datacollector is not None:
            self.datacollector.collect(self)
        if self.ctx.turn >= self.max_turns:
            self.running = False

    def negotiate(self) -> None:
        """The deals due next turn are negotiated, before anyone moves; a signed deal's
        effects land at once, so the turn's decisions see them. ``step`` calls it; called
        first (to see the talks alone), it is not repeated by ``step``."""
        ctx = self._next_ctx()
        if self.deals.talked == ctx.turn:
            return
        self.deals.talked = ctx.turn
        for deal in self.deals.due(ctx):
            self.deals.negotiate(self, deal, self.turn_view(ctx))
            ctx = self._next_ctx()

    def _decide(self) -> tuple[list[Any], TurnView]:
        """Everyone's decision for the next turn. If a policy fails or chooses an option that
        is not legal, the model is left as it was (turn, random state) and the error raised."""
        ctx, saved = self.ctx, self.random.getstate()
        ctx.turn += 1
        n = len(self.compiled.actions)
        did, found, ctx.did, ctx.found = ctx.did, ctx.found, [0] * n, [0] * n
        try:
            view = self.view = self.turn_view()
            decisions = [
                agent.decide(self.observe(agent.index, view)) for agent in self.agents_by_index
            ]
            for actor, d in zip(self.compiled.actors, decisions, strict=True):
                self._legal(actor, d.option, view)
        except BaseException:
            ctx.turn -= 1
            ctx.did, ctx.found, self.view = did, found, None
            self.random.setstate(saved)
            raise
        return decisions, view

    def _resolve(self, decisions: list[Any], view: TurnView) -> None:
        c, ctx = self.compiled, self.ctx
        acc: dict[int, float] = {}
        taken: list[int] = []
        for actor, d in zip(c.actors, decisions, strict=True):
            option = d.option
            if not option:
                self.recorder.actions.append(ActionRecord(ctx.turn, actor.index, d, (), "done"))
            for k in option:
                status = "done" if self._consents(k, view) else "refused"
                if status == "done":
                    self._draw(c.actions[k].effects, acc)
                    taken.append(k)
                rec = ActionRecord(ctx.turn, actor.index, d, k, status)
                self.recorder.actions.append(rec)
                if status == "done" and c.actions[k].signal is not None:
                    self.signals.send(self, actor.index, k, view.cost(k))
                if status == "done" and c.actions[k].obligation is not None:
                    self.deals.broken(self, c.actions[k].obligation)
                if c.actions[k].covert:
                    rec.covert = True
                    if status == "done":
                        self.recorder.covert.append(rec)
            labels = tuple(c.actions[k].move for k in option)
            self.history[actor.index].append((ctx.turn, labels))
        self._land(acc)
        for k in taken:
            self._mark(k)

    def _legal(self, actor: CActor, option: Option, view: TurnView) -> Option:
        if option not in view.options[actor.index]:
            known = all(isinstance(k, int) and 0 <= k < len(self.compiled.actions) for k in option)
            label = option_label(self.compiled, option) if known else repr(option)
            raise ValueError(
                f"{actor.name}'s policy chose {label!r}, which is not one of its legal "
                "options this turn"
            )
        return option

    def _consents(self, action: int, view: TurnView) -> bool:
        partner = self.compiled.actions[action].consent
        if partner is None:
            return True
        agent = self.agents_by_index[partner]
        return bool(agent.policy.consent(self.observe(partner, view), action))

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
        if self.deals.flows or any(self.deals.active):
            self.deals.add_flows(acc)
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

    def _detect(self) -> None:
        """Each covert move not yet detected (this turn's included) is found out with its
        detection chance; detection is public and applies the move's ``on_detection``."""
        ctx, c = self.ctx, self.compiled
        for rec in self.recorder.covert:
            if rec.detected is not None:
                continue
            a = c.actions[rec.action]
            assert a.detection is not None
            p = float(a.detection(ctx))
            if p <= 0.0 or (p < 1.0 and self.random.random() >= p):
                continue
            rec.detected = ctx.turn
            ctx.found[rec.action] = 1
            ctx.found_ever[rec.action] += 1
            acc: dict[int, float] = {}
            self._draw(a.on_detection, acc)
            self._apply_now(acc)

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
        fired = self.recorder.drift if inj.drift else self.recorder.injects
        fired.append((self.ctx.turn, inj.index))

    def _apply_now(self, acc: dict[int, float]) -> None:
        x, lo, hi = self.ctx.x, self.compiled.lo, self.compiled.hi
        for slot, d in acc.items():
            v = x[slot] + d
            x[slot] = lo[slot] if v < lo[slot] else hi[slot] if v > hi[slot] else v

    def _red_lines(self) -> None:
        ctx = self.ctx
        for rl in self.compiled.red_lines:
            if (rl.once and self.fired_rl[rl.index]) or self.signals.withdrawn[rl.index]:
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
        self.signals.tested(self, rl.index, responded)
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


def _policies(c: Compiled, given: Mapping[str, Any], rationales: bool) -> list[Any]:
    """One policy per actor: those given by actor id, the declared defaults for the rest."""
    unknown = set(given) - set(c.actor_index)
    if unknown:
        raise ValueError(f"policies for unknown actors: {', '.join(sorted(unknown))}")
    missing = [a for a in c.actors if a.id not in given]
    defaults: dict[int, Any] = {}
    if missing:
        module, name = DEFAULT_POLICIES.split(":")
        factory: Callable[..., dict[int, Any]] = getattr(importlib.import_module(module), name)
        defaults = factory(c, missing, rationales=rationales)
    return [given[a.id] if a.id in given else defaults[a.index] for a in c.actors]


def _collector(c: Compiled) -> Any:
    reporters = {
        o.id: (lambda m, f=o.fn, b=o.is_bool: bool(f(m.ctx)) if b else float(f(m.ctx)))
        for o in c.outcomes
    }
    return mesa.DataCollector(model_reporters=reporters)
