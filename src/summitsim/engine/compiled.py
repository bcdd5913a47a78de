"""Compile a validated scenario, with its parameter values, into flat index-based structures.

Everything on the per-turn path works on these: a list of floats for the state (variables
first, then one slot per relation), integer indices for actors and actions, and closures for
expressions. No YAML, pydantic or file access happens after this step.
"""

from __future__ import annotations

import ast
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import UserError
from ..scenario import expr as ex
from ..scenario.schema import Effect, Interest, Scenario
from ..scenario.validate import LoadedScenario, names_of

Fn = Callable[[Any], Any]
HOLD = -1  # the action index of "hold": do nothing this turn


class ParamError(UserError):
    """A parameter override that the scenario does not allow."""


@dataclass(frozen=True)
class CEffect:
    slot: int
    dist: str  # fixed | normal | uniform | bernoulli
    a: Fn  # delta, mean, low or p
    b: Fn | None  # sd, high or amount
    delay: int

    def mean(self, ctx: Any) -> float:
        if self.dist == "fixed" or self.dist == "normal":
            return float(self.a(ctx))
        assert self.b is not None
        if self.dist == "uniform":
            return 0.5 * (float(self.a(ctx)) + float(self.b(ctx)))
        return float(self.a(ctx)) * float(self.b(ctx))

    def draw(self, ctx: Any, rnd: Any) -> float:
        if self.dist == "fixed":
            return float(self.a(ctx))
        assert self.b is not None
        if self.dist == "normal":
            return rnd.gauss(float(self.a(ctx)), max(0.0, float(self.b(ctx))))
        if self.dist == "uniform":
            return rnd.uniform(float(self.a(ctx)), float(self.b(ctx)))
        return float(self.b(ctx)) if rnd.random() < float(self.a(ctx)) else 0.0


@dataclass(frozen=True)
class CSignal:
    """What a signalling move says (see :class:`summitsim.scenario.schema.Signal`)."""

    kind: str
    red_line: int | None
    move: int | None  # the sender's action index (promise, reassure)
    within: int
    strength: float
    stake: float


@dataclass(frozen=True)
class CAction:
    """One move as one actor may take it."""

    index: int
    actor: int
    move: str
    name: str
    description: str
    when: Fn
    cost: Fn
    partner_cost: Fn
    effects: tuple[CEffect, ...]
    consent: int | None
    max_uses: int | None
    cooldown: int
    escalation: float
    tags: tuple[str, ...]
    channel: str | None
    constant_delta: tuple[tuple[int, float], ...] | None  # expected delta, if state-free
    slots: frozenset[int]  # the state slots its effects touch
    free: bool = False  # always allowed: no precondition, use limit or cooldown
    constant_cost: float | None = None  # the cost, if it depends only on parameters
    covert: bool = False
    detection: Fn | None = None  # covert: the chance per turn of being detected
    on_detection: tuple[CEffect, ...] = ()
    signal: CSignal | None = None
    obligation: int | None = None  # a breaking move: the obligation it breaks


@dataclass(frozen=True)
class CTerm:
    """One interest term: f(x[slot]) scaled to the slot's range."""

    slot: int
    kind: str
    weight: float  # already divided by the slot's range
    ref: float  # threshold or target
    description: str
    private: bool

    def value(self, v: float) -> float:
        k = self.kind
        if k == "raise":
            return self.weight * v
        if k == "lower":
            return -self.weight * v
        if k == "above":
            return -self.weight * (self.ref - v) if v < self.ref else 0.0
        if k == "below":
            return -self.weight * (v - self.ref) if v > self.ref else 0.0
        return -self.weight * abs(v - self.ref)


@dataclass(frozen=True)
class CActor:
    index: int
    id: str
    name: str
    terms: tuple[CTerm, ...]
    # slot -> (w, None) if its terms are all raise/lower (utility w * value), else (0, f) with
    # f the summed term values: one lookup per slot in every utility sum
    slot_terms: Mapping[int, tuple[float, Callable[[float], float] | None]]
    actions: tuple[int, ...]
    beta: float  # scale-free rationality (inf: no noise)
    depth: int | None  # None: equilibrium (logit QRE); k: level-k
    horizon: int  # 1: this turn; 2: adds next turn's replies
    discount: float
    capacity: int  # moves per turn
    policy: str
    script: Mapping[int, tuple[int, ...]]  # turn -> action indices


@dataclass(frozen=True)
class CRedLine:
    index: int
    id: str
    owner: int
    description: str
    trigger: Fn
    warning: Fn | None
    response_actions: tuple[int, ...]
    response_effects: tuple[CEffect, ...]
    response_description: str
    credibility: float
    public: bool
    once: bool
    trigger_actions: tuple[int, ...]  # actions named in the trigger's did()/times()
    trigger_slots: frozenset[int]  # state slots the trigger reads


@dataclass(frozen=True)
class CInject:
    index: int
    id: str
    name: str
    at_turn: int | None
    when: Fn | None
    probability: Fn
    effects: tuple[CEffect, ...]
    once: bool
    drift: bool = False  # background drift: recorded apart from events


@dataclass(frozen=True)
class CObligation:
    """A commitment a deal creates (see :class:`summitsim.scenario.schema.Obligation`);
    ``flows`` are per unit of the agreed level on a range issue."""

    index: int
    id: str
    deal: int
    issue: int
    by: int
    description: str
    flows: tuple[tuple[int, float], ...]
    action: int  # the breaking move


@dataclass(frozen=True)
class CLevel:
    """One level of an issue: at signing ``effects``; each turn ``flows``; ``obligations``
    (indices); ``scale`` multiplies obligation flows (a range issue's amount, else 1)."""

    id: str
    name: str
    description: str
    value: float | None  # a range issue's amount
    effects: tuple[CEffect, ...]
    flows: tuple[tuple[int, float], ...]
    obligations: tuple[int, ...]
    scale: float = 1.0


@dataclass(frozen=True)
class CIssue:
    id: str
    name: str
    description: str
    unit: str
    levels: tuple[CLevel, ...]


@dataclass(frozen=True)
class CDeal:
    index: int
    id: str
    name: str
    description: str
    parties: tuple[int, ...]
    at_turn: int | None
    when: Fn | None
    attempts: int
    rounds: int
    discount: float
    walk_away: tuple[float, ...]  # per party, in its utility
    issues: tuple[CIssue, ...]

    def packages(self) -> list[tuple[int, ...]]:
        """Every package: one level index per issue."""
        return list(itertools.product(*(range(len(i.levels)) for i in self.issues)))

    def describe(self, package: Sequence[int]) -> dict[str, str]:
        return {i.id: i.levels[k].id for i, k in zip(self.issues, package, strict=True)}


@dataclass(frozen=True)
class COutcome:
    id: str
    description: str
    fn: Fn
    is_bool: bool


@dataclass
class Compiled:
    """A scenario bound to parameter values, ready to run many times."""

    loaded: LoadedScenario
    params: dict[str, Any]
    slots: list[str]
    n_vars: int
    lo: list[float]
    hi: list[float]
    x0: list[float]
    actors: list[CActor]
    actions: list[CAction]
    red_lines: list[CRedLine]
    injects: list[CInject]
    outcomes: list[COutcome]
    turns: int
    belief_strength: float
    actor_index: dict[str, int] = field(default_factory=dict)
    stakes: list[float] = field(default_factory=list)  # per actor: see actor_stakes()
    deals: list[CDeal] = field(default_factory=list)
    obligations: list[CObligation] = field(default_factory=list)

    @property
    def spec(self) -> Scenario:
        return self.loaded.spec

    @property
    def has_signals(self) -> bool:
        return any(a.signal is not None for a in self.actions)

    def action_label(self, index: int) -> str:
        return "hold" if index == HOLD else self.actions[index].move

    def __reduce__(self) -> tuple[Any, ...]:
        # Compiled expressions are closures: pickle the recipe and recompile on load.
        return (_recompile, (self.loaded, self.params))


def _recompile(loaded: LoadedScenario, params: dict[str, Any]) -> Compiled:
    from .registry import get_compiled

    return get_compiled(loaded, params)


def coerce_params(spec: Scenario, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults plus checked overrides. Strings (from the CLI) are converted to the right type."""
    values = {name: p.default for name, p in spec.parameters.items()}
    for name, raw in overrides.items():
        if name not in spec.parameters:
            known = ", ".join(spec.parameters) or "(none)"
            raise ParamError(f"unknown parameter {name!r} (known: {known})")
        values[name] = _coerce_one(name, spec.parameters[name], raw)
    return values


def _coerce_one(name: str, p: Any, raw: Any) -> Any:
    kind = p.kind
    value: Any
    try:
        if kind == "bool":
            value = _to_bool(raw)
        elif kind == "choice":
            value = _to_choice(raw, p.choices)
        elif kind == "int":
            value = int(raw) if not isinstance(raw, float) or raw.is_integer() else None
            if value is None:
                raise ValueError
        else:
            value = float(raw)
    except (TypeError, ValueError):
        raise ParamError(f"parameter {name!r}: {raw!r} is not a valid {kind}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ParamError(f"parameter {name!r}: value must be finite")
    if p.range is not None and not p.range[0] <= value <= p.range[1]:
        raise ParamError(
            f"parameter {name!r}: {value} is outside range [{p.range[0]}, {p.range[1]}]"
        )
    return value


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise ValueError


def _to_choice(raw: Any, choices: list[Any]) -> Any:
    for c in choices:
        if raw == c or str(raw) == str(c):
            return c
    raise ValueError


def slot_names(spec: Scenario) -> list[str]:
    """The state's slots in order: the variables, then ``rel:A:B`` per relation."""
    return [*spec.variables, *(f"rel:{r.between[0]}:{r.between[1]}" for r in spec.relations)]


class _Builder:
    def __init__(self, loaded: LoadedScenario, params: dict[str, Any]):
        spec = loaded.spec
        self.spec = spec
        self.names = names_of(spec)
        self.actor_ids = list(spec.actors)
        self.slots = slot_names(spec)
        self.rel_slot = {
            frozenset(rel.between): len(spec.variables) + k for k, rel in enumerate(spec.relations)
        }
        self.action_of: dict[tuple[str, str], int] = {}
        for mid, move in spec.moves.items():
            for a in move.actors:
                self.action_of[(a, mid)] = len(self.action_of)
        for ob in spec.obligations():  # the generated moves that break them, in that order
            self.action_of[(ob.by, f"break_{ob.id}")] = len(self.action_of)
        self.env = ex.CompileEnv(
            var_index={v: i for i, v in enumerate(spec.variables)},
            rel_index=lambda a, b: self.rel_slot[frozenset((a, b))],
            action_index=lambda a, m: self.action_of[(a, m)],
            params=params,
        )

    def fn(self, text: Any) -> Fn:
        return ex.parse(text, self.names).compile(self.env)

    def const(self, text: Any, what: str) -> float:
        f = self.fn(text)
        try:
            return float(ex.constant_value(f))
        except ValueError:
            raise ParamError(f"{what} must depend only on parameters") from None

    def slot_of(self, variable: str | None, relation: tuple[str, str] | None) -> int:
        if variable is not None:
            return self.slots.index(variable)
        assert relation is not None
        return self.rel_slot[frozenset(relation)]

    def effect(self, e: Effect) -> CEffect:
        slot = self.slot_of(e.variable, e.relation)
        dist = e.dist or "fixed"
        a_text, b_text = {
            "fixed": (e.delta, None),
            "normal": (e.mean, e.sd),
            "uniform": (e.low, e.high),
            "bernoulli": (e.p, e.amount),
        }[dist]
        b = self.fn(b_text) if b_text is not None else None
        return CEffect(slot, dist, self.fn(a_text), b, e.delay)

    def term(self, it: Interest, lo: list[float], hi: list[float]) -> CTerm:
        slot = self.slot_of(it.variable, it.relation)
        span = hi[slot] - lo[slot]
        weight = self.const(it.weight, f"interest {it.description!r}: weight")
        if weight < 0:
            raise ParamError(f"interest {it.description!r}: weight {weight} is negative")
        ref_text = it.threshold if it.threshold is not None else it.target
        ref = self.const(ref_text, "interest threshold") if ref_text is not None else 0.0
        return CTerm(slot, it.kind, weight / span, ref, it.description, it.private)


def _constant_delta(effects: tuple[CEffect, ...]) -> tuple[tuple[int, float], ...] | None:
    out: dict[int, float] = {}
    for e in effects:
        parts = [e.a] + ([e.b] if e.b is not None else [])
        if not all(ex.is_constant(p) for p in parts):
            return None
        out[e.slot] = out.get(e.slot, 0.0) + e.mean(None)
    return tuple(out.items())


def compile_scenario(
    loaded: LoadedScenario, overrides: Mapping[str, Any] | None = None
) -> Compiled:
    spec = loaded.spec
    params = coerce_params(spec, overrides or {})
    b = _Builder(loaded, params)
    lo = [v.bounds[0] for v in spec.variables.values()] + [-1.0] * len(spec.relations)
    hi = [v.bounds[1] for v in spec.variables.values()] + [1.0] * len(spec.relations)
    x0 = [v.initial for v in spec.variables.values()] + [r.initial for r in spec.relations]
    actions = _actions(b)
    deals, obligations = _deals(b, actions)
    actors = _actors(b, actions, lo, hi)
    c = Compiled(
        loaded=loaded,
        params=params,
        slots=b.slots,
        n_vars=len(spec.variables),
        lo=lo,
        hi=hi,
        x0=x0,
        actors=actors,
        actions=actions,
        red_lines=_red_lines(b),
        injects=_injects(b),
        outcomes=[
            COutcome(oid, o.description, b.fn(o.expr), o.type == "bool")
            for oid, o in spec.outcomes.items()
        ],
        turns=spec.meta.turns,
        belief_strength=spec.meta.belief_strength,
        actor_index={a: i for i, a in enumerate(b.actor_ids)},
        deals=deals,
        obligations=obligations,
    )
    c.stakes = [actor_stakes(c, a) for a in actors]
    return c


def actor_stakes(c: Compiled, actor: CActor) -> float:
    """What one move is typically worth to ``actor``: the median, over its own moves, of the
    size of the utility change each would make on its own at the start (net of its cost;
    moves worth nothing left out). Failing that, the same over every move in the scenario;
    failing that, 1. The AI's rationality is measured in these units."""
    from . import predict as pr

    n = len(c.actions)
    ctx = _Start(list(c.x0), n)

    def worth(k: int) -> float:
        a = c.actions[k]
        return abs(pr.gain(c, actor, c.x0, pr.expected_delta(a, ctx)) - float(a.cost(ctx)))

    for moves in (actor.actions, range(n)):
        values = sorted(v for v in (worth(k) for k in moves) if v > 1e-12)
        if values:
            mid = len(values) // 2
            return values[mid] if len(values) % 2 else 0.5 * (values[mid - 1] + values[mid])
    return 1.0


class _Start:
    """The expression context at the start of a run (turn 1, nothing done yet)."""

    __slots__ = ("did", "found", "found_ever", "turn", "used", "x")

    def __init__(self, x: list[float], n: int):
        self.x, self.turn = x, 1
        self.did = self.used = self.found = self.found_ever = [0] * n


def _actions(b: _Builder) -> list[CAction]:
    out = []
    for (aid, mid), index in b.action_of.items():
        m = b.spec.moves.get(mid)
        if m is None:  # a deal's break_<id> move: built with the deals (_DealBuilder)
            continue
        effects = tuple(b.effect(e) for e in m.effects)
        when, cost = b.fn(m.when), b.fn(m.cost)
        out.append(
            CAction(
                index=index,
                actor=b.actor_ids.index(aid),
                move=mid,
                name=m.name,
                description=m.description,
                when=when,
                cost=cost,
                partner_cost=b.fn(m.partner_cost),
                effects=effects,
                consent=b.actor_ids.index(m.consent) if m.consent else None,
                max_uses=m.max_uses,
                cooldown=m.cooldown,
                escalation=m.escalation,
                tags=tuple(m.tags),
                channel=m.channel,
                constant_delta=_constant_delta(effects),
                slots=frozenset(e.slot for e in effects),
                free=_always(when) and m.max_uses is None and not m.cooldown,
                constant_cost=float(ex.constant_value(cost)) if ex.is_constant(cost) else None,
                covert=m.covert,
                detection=b.fn(m.detection) if m.covert else None,
                on_detection=tuple(b.effect(e) for e in m.on_detection),
                signal=_signal(b, aid, m.signal) if m.signal is not None else None,
            )
        )
    return out


def _signal(b: _Builder, sender: str, sig: Any) -> CSignal:
    return CSignal(
        kind=sig.kind,
        red_line=list(b.spec.red_lines).index(sig.red_line) if sig.red_line else None,
        move=b.action_of[(sender, sig.move)] if sig.move else None,
        within=sig.within,
        strength=float(sig.strength),
        stake=max(0.0, b.const(sig.stake, f"signal stake of {sender}")),
    )


def _always(when: Fn) -> bool:
    return ex.is_constant(when) and bool(ex.constant_value(when))


def _actors(b: _Builder, actions: list[CAction], lo: list[float], hi: list[float]) -> list[CActor]:
    out = []
    for i, (aid, a) in enumerate(b.spec.actors.items()):
        terms = tuple(b.term(it, lo, hi) for it in a.interests)
        by_slot: dict[int, list[CTerm]] = {}
        for t in terms:
            by_slot.setdefault(t.slot, []).append(t)
        out.append(
            CActor(
                index=i,
                id=aid,
                name=a.name,
                terms=terms,
                slot_terms={s: _slot_term(ts) for s, ts in by_slot.items()},
                actions=tuple(x.index for x in actions if x.actor == i),
                beta=a.profile.beta,
                depth=None if a.profile.depth == "equilibrium" else int(a.profile.depth),
                horizon=a.profile.turns_ahead,
                discount=a.profile.discount,
                capacity=a.moves_per_turn,
                policy=a.policy,
                script={
                    t: tuple(b.action_of[(aid, m)] for m in ms) for t, ms in a.script_moves.items()
                },
            )
        )
    return out


def _slot_term(terms: list[CTerm]) -> tuple[float, Callable[[float], float] | None]:
    if all(t.kind in ("raise", "lower") for t in terms):
        return sum(t.weight if t.kind == "raise" else -t.weight for t in terms), None
    return 0.0, _summed(tuple(terms))


def _summed(terms: tuple[CTerm, ...]) -> Callable[[float], float]:
    fs = tuple(_fast(t) for t in terms)
    if len(fs) == 1:
        return fs[0]
    if len(fs) == 2:
        f0, f1 = fs
        return lambda v: f0(v) + f1(v)
    return lambda v: sum(f(v) for f in fs)


def _fast(t: CTerm) -> Callable[[float], float]:
    """``t.value`` as a closure specialised to its kind (the hot path of every utility sum).
    Closures do not pickle: models refer to actors by index, and compiled scenarios pickle
    as their recipe."""
    w, ref = t.weight, t.ref
    if t.kind == "above":
        return lambda v: w * (v - ref) if v < ref else 0.0
    if t.kind == "below":
        return lambda v: w * (ref - v) if v > ref else 0.0
    if t.kind == "near":
        return lambda v: -w * abs(v - ref)
    return t.value


def _red_lines(b: _Builder) -> list[CRedLine]:
    out = []
    for k, (rid, rl) in enumerate(b.spec.red_lines.items()):
        trigger_expr = ex.parse(rl.trigger, b.names)
        cred = b.const(rl.credibility, f"red line {rid!r}: credibility")
        refs = _refs(b, trigger_expr)
        out.append(
            CRedLine(
                index=k,
                id=rid,
                owner=b.actor_ids.index(rl.owner),
                description=rl.description,
                trigger=trigger_expr.compile(b.env),
                warning=b.fn(rl.warning) if rl.warning is not None else None,
                response_actions=tuple(b.action_of[(rl.owner, m)] for m in rl.response.moves),
                response_effects=tuple(b.effect(e) for e in rl.response.effects),
                response_description=rl.response.description,
                credibility=min(1.0, max(0.0, cred)),
                public=rl.public,
                once=rl.once,
                trigger_actions=refs[0],
                trigger_slots=frozenset(refs[1]),
            )
        )
    return out


def _refs(b: _Builder, e: ex.Expr) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The actions and state slots an expression refers to, in order of appearance."""
    actions: list[int] = []
    slots: list[int] = []
    for node in ast.walk(e.tree):
        if isinstance(node, ast.Name) and node.id in b.spec.variables:
            slots.append(b.slots.index(node.id))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [a.id for a in node.args if isinstance(a, ast.Name)]
            if node.func.id == "rel":
                slots.append(b.rel_slot[frozenset(args)])
            elif node.func.id in ex.ACTION_FUNCS:
                actions.append(b.action_of[(args[0], args[1])])
    return tuple(dict.fromkeys(actions)), tuple(dict.fromkeys(slots))


def _injects(b: _Builder) -> list[CInject]:
    return [
        CInject(
            index=k,
            id=iid,
            name=inj.name,
            at_turn=inj.at_turn,
            when=b.fn(inj.when) if inj.when is not None else None,
            probability=b.fn(inj.probability),
            effects=tuple(b.effect(e) for e in inj.effects),
            once=inj.once,
            drift=inj.kind == "drift",
        )
        for k, (iid, inj) in enumerate(b.spec.injects.items())
    ]


# ----- deals ---------------------------------------------------------------------------
def _never(ctx: Any) -> bool:
    return False


def _scaled(e: CEffect, k: float) -> CEffect:
    """``e`` with its amount multiplied by ``k`` (a range issue's level)."""
    if e.dist in ("fixed", "normal"):
        a = e.a
        return CEffect(e.slot, e.dist, lambda ctx: k * float(a(ctx)), e.b, e.delay)
    b = e.b
    assert b is not None
    if e.dist == "uniform":
        a = e.a
        return CEffect(
            e.slot, e.dist, lambda ctx: k * float(a(ctx)), lambda ctx: k * float(b(ctx)), e.delay
        )
    return CEffect(e.slot, e.dist, e.a, lambda ctx: k * float(b(ctx)), e.delay)


class _DealBuilder:
    """Compiles deals; appends one breaking move per obligation to ``actions``."""

    def __init__(self, b: _Builder, actions: list[CAction]):
        self.b, self.actions = b, actions
        self.obligations: list[CObligation] = []

    def flows(self, effects: Sequence[Effect], scale: float = 1.0) -> tuple[tuple[int, float], ...]:
        out: dict[int, float] = {}
        for e in effects:
            slot = self.b.slot_of(e.variable, e.relation)
            out[slot] = out.get(slot, 0.0) + scale * self.b.const(e.delta, "a flow")
        return tuple(out.items())

    def obligation(self, ob: Any, deal: int, issue: int) -> int:
        b = self.b
        index, action = len(self.obligations), len(self.actions)
        assert b.action_of[(ob.by, f"break_{ob.id}")] == action, "obligations out of order"
        effects = tuple(b.effect(e) for e in ob.on_break)
        cost = b.fn(ob.break_cost)
        self.actions.append(
            CAction(
                index=action,
                actor=b.actor_ids.index(ob.by),
                move=f"break_{ob.id}",
                name=f"Break the commitment: {ob.description}",
                description=f"Stop keeping what was agreed ({ob.description}).",
                when=_never,
                cost=cost,
                partner_cost=b.fn(0),
                effects=effects,
                consent=None,
                max_uses=1,
                cooldown=0,
                escalation=ob.escalation,
                tags=("deal",),
                channel=None,
                constant_delta=_constant_delta(effects),
                slots=frozenset(e.slot for e in effects),
                constant_cost=float(ex.constant_value(cost)) if ex.is_constant(cost) else None,
                obligation=index,
            )
        )
        self.obligations.append(
            CObligation(
                index,
                ob.id,
                deal,
                issue,
                b.actor_ids.index(ob.by),
                ob.description,
                self.flows(ob.flows),
                action,
            )
        )
        return index

    def issue(self, iid: str, issue: Any, deal: int, k: int) -> CIssue:
        b = self.b
        if issue.options is not None:
            levels = tuple(
                CLevel(
                    o.id,
                    o.name,
                    o.description,
                    None,
                    tuple(b.effect(e) for e in o.effects),
                    self.flows(o.flows),
                    tuple(self.obligation(ob, deal, k) for ob in o.obligations),
                )
                for o in issue.options
            )
            return CIssue(iid, issue.name, issue.description, issue.unit, levels)
        lo, hi = issue.range
        obs = tuple(self.obligation(ob, deal, k) for ob in issue.obligations)
        effects = tuple(b.effect(e) for e in issue.effects)
        out = []
        for j in range(issue.steps):
            v = lo + (hi - lo) * j / (issue.steps - 1)
            v = round(v, 9)
            out.append(
                CLevel(
                    f"{v:g}",
                    f"{v:g} {issue.unit}".strip(),
                    "",
                    v,
                    tuple(_scaled(e, v) for e in effects),
                    self.flows(issue.flows, v),
                    obs if v != 0 else (),
                    v,
                )
            )
        return CIssue(iid, issue.name, issue.description, issue.unit, tuple(out))


def _deals(b: _Builder, actions: list[CAction]) -> tuple[list[CDeal], list[CObligation]]:
    db = _DealBuilder(b, actions)
    out = []
    for k, (did, d) in enumerate(b.spec.deals.items()):
        issues = tuple(db.issue(iid, i, k, j) for j, (iid, i) in enumerate(d.issues.items()))
        walk = tuple(
            b.const(d.walk_away.get(p, 0), f"deal {did!r}: walk_away of {p}") for p in d.parties
        )
        out.append(
            CDeal(
                k,
                did,
                d.name,
                d.description,
                tuple(b.actor_ids.index(p) for p in d.parties),
                d.at_turn,
                b.fn(d.when) if d.when is not None else None,
                d.attempts,
                d.rounds,
                d.discount,
                walk,
                issues,
            )
        )
    return out, db.obligations
