"""The checks a record's entries make over runs: their schema, how their names are checked
against a scenario, how they are compiled and evaluated on one run, and how they read.

A check is a mapping with a ``kind``; every kind lives in one place here, a :class:`Kind`
in :data:`KINDS`:

============  ============================================================================
kind          holds in a run when
============  ============================================================================
move          ``actor`` takes ``move`` (at least ``at_least`` times) in the check's turns
never         ``actor`` never takes ``move`` / ``red_line`` is never crossed / ``expr`` is
              never true, in the check's turns
red_line      ``red_line`` is crossed in the check's turns (``crossed: false``: is not)
level         a ``variable`` or ``relation`` is ``above`` or ``below`` a level at the end of
              ``at_turn`` (default: the last turn)
direction     a ``variable`` or ``relation`` ends the check's turns higher (``up``) or lower
              (``down``) than it started them, by more than ``by_at_least`` (default 0)
expr          an expression in the scenario language holds at the end of ``at_turn``
              (default: the last turn), or in ``any``/``all`` of the check's turns
deal          ``deal`` is signed in the check's turns (on the given ``terms``, if any);
              ``signed: false``: is not. With ``obligation``: that obligation is broken
              in the check's turns (``broken: true``), or was taken on and is still kept
              at the end of them (``broken: false``)
detected      a covert move of ``actor`` (``move``, or any of its covert moves) is
              detected in the check's turns (``detected: false``: none is)
============  ============================================================================

The check's turns are ``within: [a, b]``, ``by_turn: n`` (turns 1 to n) or ``at_turn: n``;
without them, the whole run. "At the end of turn t" is the state after that turn's moves,
events and red-line responses (turn 0 is the start).

**Extension point.** A new kind is added by calling :func:`register` with a :class:`Kind`:
its pydantic model (with ``kind: Literal[...]``), its name check against the scenario, its
compiler to a function of a :class:`Trace`, and its description. A name put in
:data:`RESERVED` is refused with a message saying it is not available yet.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..scenario import expr as ex
from ..scenario.schema import Scenario
from ..scenario.validate import names_of

Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$", description="a snake_case name")]
Turn = Annotated[int, Field(ge=1, le=240)]
Loc = tuple[str | int, ...]
Err = Callable[[Loc, str], None]  # report a problem at a location inside the check


# ----- what a check reads from one run --------------------------------------------------------
class Trace:
    """One run, as the checks read it: the state at the end of each turn (index 0 = the
    start), and per turn the moves done (action indices, red-line responses included), the
    red lines crossed and the covert moves detected; and the deals signed, as (turn, deal
    index, package)."""

    __slots__ = ("_ctx", "crossed", "done", "found", "n_actions", "signed", "states", "turns")

    def __init__(self, result: Any):
        rec = result.rec
        self.states: list[tuple[float, ...]] = rec.states
        self.turns = len(self.states) - 1
        self.n_actions = len(result.compiled.actions)
        self.done: list[list[int]] = [[] for _ in range(self.turns + 1)]
        for r in rec.actions:
            if r.status == "done" and r.action >= 0:
                self.done[r.turn].append(r.action)
        self.crossed: list[list[int]] = [[] for _ in range(self.turns + 1)]
        for rl in rec.red_lines:
            if not rl.warning:
                self.crossed[rl.turn].append(rl.red_line)
        self.found: list[list[int]] = [[] for _ in range(self.turns + 1)]
        for r in getattr(rec, "covert", ()):
            if r.detected is not None and r.detected <= self.turns:
                self.found[r.detected].append(r.action)
        self.signed: list[tuple[int, int, tuple[int, ...]]] = [
            (n.turn, n.deal, tuple(n.package))
            for n in getattr(rec, "negotiations", ())
            if n.outcome == "signed" and n.package is not None
        ]
        self._ctx: list[Any] | None = None

    def ctx(self, turn: int) -> Any:
        """What an expression sees at the end of ``turn`` (as the engine's context then)."""
        if self._ctx is None:
            n = self.n_actions
            used, ever = [0] * n, [0] * n
            out: list[Any] = [None]
            for t in range(1, self.turns + 1):
                did, found = [0] * n, [0] * n
                for k in self.done[t]:
                    did[k] = 1
                    used[k] += 1
                for k in self.found[t]:
                    found[k] = 1
                    ever[k] += 1
                out.append(_Ctx(list(self.states[t]), did, list(used), t, found, list(ever)))
            self._ctx = out
        return self._ctx[turn]


class _Ctx:
    __slots__ = ("did", "found", "found_ever", "turn", "used", "x")

    def __init__(self, x: Any, did: Any, used: Any, turn: int, found: Any, found_ever: Any):
        self.x, self.did, self.used, self.turn = x, did, used, turn
        self.found, self.found_ever = found, found_ever


Evaluator = Callable[[Trace], bool]


# ----- the scenario, as checks see it -----------------------------------------------------------
@dataclass(frozen=True)
class Env:
    """Name -> index maps of a compiled scenario (one parameter point), for compiling checks."""

    slots: dict[str, int]  # variables and "rel:a:b" (both orders)
    actions: dict[tuple[str, str], int]
    red_lines: dict[str, int]
    compile_env: ex.CompileEnv
    names: ex.Names
    deals: dict[str, Any] = field(default_factory=dict)  # id -> CDeal
    obligations: dict[str, Any] = field(default_factory=dict)  # id -> CObligation

    @classmethod
    def of(cls, compiled: Any) -> Env:
        slots: dict[str, int] = {}
        for i, s in enumerate(compiled.slots):
            slots[s] = i
            if s.startswith("rel:"):
                _, a, b = s.split(":")
                slots[f"rel:{b}:{a}"] = i
        actions = {(compiled.actors[a.actor].id, a.move): a.index for a in compiled.actions}
        red_lines = {rl.id: rl.index for rl in compiled.red_lines}
        env = ex.CompileEnv(
            var_index={s: i for i, s in enumerate(compiled.slots[: compiled.n_vars])},
            rel_index=lambda a, b: slots[f"rel:{a}:{b}"],
            action_index=lambda a, m: actions[(a, m)],
            params=compiled.params,
        )
        return cls(
            slots,
            actions,
            red_lines,
            env,
            names_of(compiled.spec),
            {d.id: d for d in getattr(compiled, "deals", ())},
            {o.id: o for o in getattr(compiled, "obligations", ())},
        )


# ----- the check models -------------------------------------------------------------------------
class _Check(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def timing(self) -> dict[str, Any]:
        return {k: getattr(self, k, None) for k in ("by_turn", "within", "at_turn")}


class _Timed(_Check):
    """A check over some turns: ``within: [a, b]``, ``by_turn: n`` or ``at_turn: n``."""

    by_turn: Turn | None = Field(None, description="turns 1 to n")
    within: tuple[Turn, Turn] | None = Field(None, description="turns a to b")
    at_turn: Turn | None = Field(None, description="that turn only")

    @model_validator(mode="after")
    def _one_timing(self) -> _Timed:
        given = [k for k, v in self.timing().items() if v is not None]
        if len(given) > 1:
            raise ValueError(f"give one of by_turn, within, at_turn (got {', '.join(given)})")
        if self.within is not None and self.within[0] > self.within[1]:
            raise ValueError(f"within: [{self.within[0]}, {self.within[1]}] ends before it starts")
        return self


class MoveCheck(_Timed):
    kind: Literal["move"]
    actor: Ident
    move: Ident
    at_least: int = Field(1, ge=1, le=240, description="how many times")


class NeverCheck(_Timed):
    kind: Literal["never"]
    actor: Ident | None = None
    move: Ident | None = None
    red_line: Ident | None = None
    expr: str | None = None

    @model_validator(mode="after")
    def _one_thing(self) -> NeverCheck:
        things = [
            k
            for k, v in (
                ("actor and move", self.actor is not None or self.move is not None),
                ("red_line", self.red_line is not None),
                ("expr", self.expr is not None),
            )
            if v
        ]
        if len(things) != 1:
            raise ValueError("say what never happens: actor and move, red_line, or expr")
        if things[0] == "actor and move" and (self.actor is None or self.move is None):
            raise ValueError("a move that never happens needs both actor and move")
        return self


class RedLineCheck(_Timed):
    kind: Literal["red_line"]
    red_line: Ident
    crossed: bool = True


class _OnSlot(_Check):
    variable: Ident | None = None
    relation: tuple[Ident, Ident] | None = None

    @model_validator(mode="after")
    def _one_slot(self) -> _OnSlot:
        if (self.variable is None) == (self.relation is None):
            raise ValueError("give either variable or relation")
        return self

    @property
    def slot(self) -> str:
        if self.variable is not None:
            return self.variable
        assert self.relation is not None
        return f"rel:{self.relation[0]}:{self.relation[1]}"


class LevelCheck(_OnSlot):
    kind: Literal["level"]
    above: float | None = Field(None, allow_inf_nan=False)
    below: float | None = Field(None, allow_inf_nan=False)
    at_turn: Turn | None = Field(None, description="default: the last turn")

    @model_validator(mode="after")
    def _one_side(self) -> LevelCheck:
        if (self.above is None) == (self.below is None):
            raise ValueError("give either above or below")
        return self


class DirectionCheck(_OnSlot):
    kind: Literal["direction"]
    direction: Literal["up", "down"]
    within: tuple[Turn, Turn] | None = Field(None, description="default: the whole run")
    by_at_least: float = Field(0.0, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> DirectionCheck:
        if self.within is not None and self.within[0] > self.within[1]:
            raise ValueError(f"within: [{self.within[0]}, {self.within[1]}] ends before it starts")
        return self


class ExprCheck(_Timed):
    kind: Literal["expr"]
    expr: str
    holds: Literal["any", "all"] = Field("any", description="with within or by_turn")


class TermRange(_Check):
    """Levels of a range issue from ``at_least`` to ``at_most`` (either may be left out)."""

    at_least: float | None = Field(None, allow_inf_nan=False)
    at_most: float | None = Field(None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _some_bound(self) -> TermRange:
        if self.at_least is None and self.at_most is None:
            raise ValueError("give at_least, at_most or both")
        lo, hi = self.at_least, self.at_most
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"at_least {lo:g} is above at_most {hi:g}")
        return self


Level = Annotated[str | float, Field(description="an option's id, or a range issue's amount")]
Term = Level | list[Level] | TermRange


class DealCheck(_Timed):
    kind: Literal["deal"]
    deal: Ident
    signed: bool = Field(True, description="false: the deal is not signed (on these terms)")
    terms: dict[Ident, Term] | None = Field(
        None, description="per issue: a level, a list of levels (any of them), or a range"
    )
    obligation: Ident | None = Field(None, description="an obligation the deal creates")
    broken: bool | None = Field(None, description="with obligation: broken, or kept")

    @model_validator(mode="after")
    def _what(self) -> DealCheck:
        if self.obligation is None:
            if self.broken is not None:
                raise ValueError("broken goes with obligation: say which obligation")
            return self
        if self.broken is None:
            raise ValueError("with obligation, say broken: true (broken) or false (kept)")
        if self.terms is not None:
            raise ValueError("give terms or obligation, not both")
        if not self.signed:
            raise ValueError(
                "signed: false with an obligation: an unsigned deal's obligation is never "
                "taken on, so it can be neither kept nor broken"
            )
        return self


class DetectedCheck(_Timed):
    kind: Literal["detected"]
    actor: Ident
    move: Ident | None = Field(None, description="default: any covert move of the actor")
    detected: bool = True


# ----- the kinds --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kind:
    """Everything about one kind of check."""

    model: type[_Check]
    validate: Callable[[Any, Scenario, Err], None]  # names against the scenario
    window: Callable[[Any, int], tuple[int, int]]  # the turns it looks at, given the run's
    compile: Callable[[Any, Env, tuple[int, int]], Evaluator]
    describe: Callable[[Any, Any, tuple[int, int]], str]  # (check, Labels, window) -> words


KINDS: dict[str, Kind] = {}
RESERVED: dict[str, str] = {}  # kind -> why it is not available yet


def register(name: str, kind: Kind) -> None:
    """Add a kind of check (the extension point for new kinds)."""
    KINDS[name] = kind
    RESERVED.pop(name, None)


def _window_timed(c: Any, turns: int) -> tuple[int, int]:
    if c.within is not None:
        return (c.within[0], c.within[1])
    if c.by_turn is not None:
        return (1, c.by_turn)
    if c.at_turn is not None:
        return (c.at_turn, c.at_turn)
    return (1, turns)


def _window_at(c: Any, turns: int) -> tuple[int, int]:
    t = c.at_turn if c.at_turn is not None else turns
    return (t, t)


def _window_expr(c: ExprCheck, turns: int) -> tuple[int, int]:
    if c.within is None and c.by_turn is None and c.at_turn is None:
        return (turns, turns)
    return _window_timed(c, turns)


def _window_direction(c: DirectionCheck, turns: int) -> tuple[int, int]:
    return (c.within[0], c.within[1]) if c.within is not None else (1, turns)


# names ------------------------------------------------------------------------------------------
def _move_names(actor: str, move: str, spec: Scenario, err: Err) -> None:
    if actor not in spec.actors:
        err(("actor",), f"unknown actor {actor!r} (actors: {', '.join(spec.actors)})")
        return
    if move not in spec.moves:
        err(("move",), f"unknown move {move!r}")
    elif actor not in spec.moves[move].actors:
        err(("move",), f"{actor!r} cannot take move {move!r}")


def _red_line_name(name: str, spec: Scenario, err: Err) -> None:
    if name not in spec.red_lines:
        known = ", ".join(spec.red_lines) or "(none)"
        err(("red_line",), f"unknown red line {name!r} (red lines: {known})")


def _expr_names(text: str, spec: Scenario, err: Err) -> None:
    try:
        ex.parse(text, names_of(spec))
    except ex.ExprError as e:
        err(("expr",), f"expr: {e}")


def _slot_names(c: _OnSlot, spec: Scenario, err: Err) -> None:
    if c.variable is not None:
        if c.variable not in spec.variables:
            known = ", ".join(spec.variables)
            err(("variable",), f"unknown variable {c.variable!r} (variables: {known})")
        return
    assert c.relation is not None
    pair = frozenset(c.relation)
    if not any(frozenset(r.between) == pair for r in spec.relations):
        err(("relation",), f"no relation declared between {c.relation[0]} and {c.relation[1]}")


def _never_names(c: NeverCheck, spec: Scenario, err: Err) -> None:
    if c.red_line is not None:
        _red_line_name(c.red_line, spec, err)
    elif c.expr is not None:
        _expr_names(c.expr, spec, err)
    else:
        assert c.actor is not None and c.move is not None
        _move_names(c.actor, c.move, spec, err)


def _spec_levels(issue: Any) -> list[tuple[str, float | None]]:
    """An issue's levels as (id, amount), as the engine compiles them."""
    if issue.options is not None:
        return [(o.id, None) for o in issue.options]
    lo, hi = issue.range
    out = []
    for j in range(issue.steps):
        v = round(lo + (hi - lo) * j / (issue.steps - 1), 9)
        out.append((f"{v:g}", v))
    return out


def _term_levels(levels: list[tuple[str, float | None]], term: Any) -> tuple[set[int], str]:
    """The indices of the levels ``term`` names, or a problem ("" if none)."""
    ranged = bool(levels) and levels[0][1] is not None
    ids = ", ".join(i for i, _ in levels)
    if isinstance(term, TermRange):
        if not ranged:
            return set(), f"at_least/at_most need a range issue; its options are {ids}"
        lo = -math.inf if term.at_least is None else term.at_least - 1e-9
        hi = math.inf if term.at_most is None else term.at_most + 1e-9
        hit = {k for k, (_, v) in enumerate(levels) if v is not None and lo <= v <= hi}
        return hit, "" if hit else f"no level lies in that range (levels: {ids})"
    out: set[int] = set()
    for one in term if isinstance(term, list) else [term]:
        k = _level_index(levels, one, ranged)
        if k is None:
            kind = "level" if ranged else "option"
            return set(), f"{one!r} is not one of its {kind}s ({ids})"
        out.add(k)
    if not out:
        return set(), "an empty list of levels never holds"
    return out, ""


def _level_index(levels: list[tuple[str, float | None]], one: Any, ranged: bool) -> int | None:
    for k, (lid, v) in enumerate(levels):
        if isinstance(one, str) and one == lid:
            return k
        if ranged and not isinstance(one, str) and v is not None and abs(float(one) - v) < 1e-9:
            return k
    return None


def _deal_names(c: DealCheck, spec: Scenario, err: Err) -> None:
    deal = spec.deals.get(c.deal)
    if deal is None:
        known = ", ".join(spec.deals) or "(none)"
        err(("deal",), f"unknown deal {c.deal!r} (deals: {known})")
        return
    for iid, term in (c.terms or {}).items():
        issue = deal.issues.get(iid)
        if issue is None:
            err(("terms", iid), f"deal {c.deal!r} has no issue {iid!r} "
                f"(issues: {', '.join(deal.issues)})")  # fmt: skip
            continue
        _, problem = _term_levels(_spec_levels(issue), term)
        if problem:
            err(("terms", iid), f"issue {iid!r}: {problem}")
    if c.obligation is not None:
        mine = [ob.id for issue in deal.issues.values() for ob in issue.obligations]
        mine += [
            ob.id
            for issue in deal.issues.values()
            for o in issue.options or []
            for ob in o.obligations
        ]
        if c.obligation not in mine:
            known = ", ".join(mine) or "(none)"
            err(("obligation",), f"deal {c.deal!r} creates no obligation {c.obligation!r} "
                f"(its obligations: {known})")  # fmt: skip


def _covert_moves(actor: str, spec: Scenario) -> list[str]:
    return [k for k, m in spec.moves.items() if m.covert and actor in m.actors]


def _detected_names(c: DetectedCheck, spec: Scenario, err: Err) -> None:
    if c.move is None:
        if c.actor not in spec.actors:
            err(("actor",), f"unknown actor {c.actor!r} (actors: {', '.join(spec.actors)})")
        elif not _covert_moves(c.actor, spec):
            err(("actor",), f"{c.actor!r} has no covert move: nothing of it is ever detected")
        return
    before: list[str] = []

    def note(loc: Loc, msg: str) -> None:
        before.append(msg)
        err(loc, msg)

    _move_names(c.actor, c.move, spec, note)
    if not before and not spec.moves[c.move].covert:
        covert = ", ".join(_covert_moves(c.actor, spec)) or "(none)"
        err(("move",), f"move {c.move!r} is not covert: it is seen when taken, never "
            f"detected (covert moves of {c.actor!r}: {covert})")  # fmt: skip


# compiling --------------------------------------------------------------------------------------
def _taken(env: Env, actor: str, move: str, w: tuple[int, int], at_least: int) -> Evaluator:
    k = env.actions[(actor, move)]
    a, b = w

    def count(tr: Trace) -> bool:
        n = 0
        for t in range(a, min(b, tr.turns) + 1):
            n += tr.done[t].count(k)
        return n >= at_least

    return count


def _crossed(env: Env, red_line: str, w: tuple[int, int]) -> Evaluator:
    k = env.red_lines[red_line]
    a, b = w
    return lambda tr: any(k in tr.crossed[t] for t in range(a, min(b, tr.turns) + 1))


def _expr_fn(env: Env, text: str) -> Callable[[Any], Any]:
    return ex.parse(text, env.names).compile(env.compile_env)


def _compile_move(c: MoveCheck, env: Env, w: tuple[int, int]) -> Evaluator:
    return _taken(env, c.actor, c.move, w, c.at_least)


def _compile_never(c: NeverCheck, env: Env, w: tuple[int, int]) -> Evaluator:
    if c.red_line is not None:
        happens = _crossed(env, c.red_line, w)
    elif c.expr is not None:
        fn, (a, b) = _expr_fn(env, c.expr), w

        def happens(tr: Trace) -> bool:
            return any(bool(fn(tr.ctx(t))) for t in range(a, min(b, tr.turns) + 1))
    else:
        assert c.actor is not None and c.move is not None
        happens = _taken(env, c.actor, c.move, w, 1)
    return lambda tr: not happens(tr)


def _compile_red_line(c: RedLineCheck, env: Env, w: tuple[int, int]) -> Evaluator:
    crossed = _crossed(env, c.red_line, w)
    return crossed if c.crossed else (lambda tr: not crossed(tr))


def _compile_level(c: LevelCheck, env: Env, w: tuple[int, int]) -> Evaluator:
    i, t = env.slots[c.slot], w[0]
    if c.above is not None:
        level = c.above
        return lambda tr: tr.states[t][i] > level
    level = float(c.below)  # type: ignore[arg-type]
    return lambda tr: tr.states[t][i] < level


def _compile_direction(c: DirectionCheck, env: Env, w: tuple[int, int]) -> Evaluator:
    i, (a, b), by = env.slots[c.slot], w, c.by_at_least
    if c.direction == "up":
        return lambda tr: tr.states[b][i] - tr.states[a - 1][i] > by
    return lambda tr: tr.states[a - 1][i] - tr.states[b][i] > by


def _compile_expr(c: ExprCheck, env: Env, w: tuple[int, int]) -> Evaluator:
    fn, (a, b) = _expr_fn(env, c.expr), w
    if a == b:
        return lambda tr: bool(fn(tr.ctx(a)))
    agg = all if c.holds == "all" else any
    return lambda tr: agg(bool(fn(tr.ctx(t))) for t in range(a, b + 1))


def _compile_deal(c: DealCheck, env: Env, w: tuple[int, int]) -> Evaluator:
    deal, (a, b) = env.deals[c.deal], w
    if c.obligation is not None:
        ob = env.obligations[c.obligation]
        issue = deal.issues[ob.issue]
        carry = {k for k, lv in enumerate(issue.levels) if ob.index in lv.obligations}

        def taken_on(tr: Trace) -> bool:
            return any(d == deal.index and t <= b and p[ob.issue] in carry for t, d, p in tr.signed)

        if c.broken:
            return lambda tr: any(ob.action in tr.done[t] for t in range(a, min(b, tr.turns) + 1))
        return lambda tr: (
            taken_on(tr)
            and not any(ob.action in tr.done[t] for t in range(1, min(b, tr.turns) + 1))
        )
    allowed = [
        (i, _term_levels([(lv.id, lv.value) for lv in issue.levels], (c.terms or {})[issue.id])[0])
        for i, issue in enumerate(deal.issues)
        if issue.id in (c.terms or {})
    ]

    def signed(tr: Trace) -> bool:
        return any(
            d == deal.index and a <= t <= b and all(p[i] in ok for i, ok in allowed)
            for t, d, p in tr.signed
        )

    return signed if c.signed else (lambda tr: not signed(tr))


def _compile_detected(c: DetectedCheck, env: Env, w: tuple[int, int]) -> Evaluator:
    if c.move is not None:
        ks = {env.actions[(c.actor, c.move)]}
    else:
        ks = {k for (actor, _), k in env.actions.items() if actor == c.actor}
    a, b = w

    def found(tr: Trace) -> bool:
        return any(k in ks for t in range(a, min(b, tr.turns) + 1) for k in tr.found[t])

    return found if c.detected else (lambda tr: not found(tr))


# words ------------------------------------------------------------------------------------------
def _turns(w: tuple[int, int]) -> str:
    a, b = w
    if a == b:
        return f"turn {a}"
    if a == 1:
        return f"by turn {b}"
    return f"turns {a}–{b}"


def _num(x: float) -> str:
    return f"{x:g}"


def _describe_move(c: MoveCheck, labels: Any, w: tuple[int, int]) -> str:
    times = f", at least {c.at_least} times" if c.at_least > 1 else ""
    return f"{labels.name('actor', c.actor)}: {labels.name('move', c.move)} ({_turns(w)}{times})"


def _describe_never(c: NeverCheck, labels: Any, w: tuple[int, int]) -> str:
    if c.red_line is not None:
        what = f"red line {labels.name('red_line', c.red_line)} crossed"
    elif c.expr is not None:
        what = f"`{c.expr}`"
    else:
        what = f"{labels.name('actor', c.actor)}: {labels.name('move', c.move)}"
    return f"never {what} ({_turns(w)})"


def _describe_red_line(c: RedLineCheck, labels: Any, w: tuple[int, int]) -> str:
    verb = "crossed" if c.crossed else "not crossed"
    return f"red line {labels.name('red_line', c.red_line)} {verb} ({_turns(w)})"


def _describe_level(c: LevelCheck, labels: Any, w: tuple[int, int]) -> str:
    side = f"above {_num(c.above)}" if c.above is not None else f"below {_num(c.below or 0.0)}"
    return f"{labels.name('slot', c.slot)} {side} at the end of turn {w[0]}"


def _describe_direction(c: DirectionCheck, labels: Any, w: tuple[int, int]) -> str:
    by = f" by more than {_num(c.by_at_least)}" if c.by_at_least else ""
    return f"{labels.name('slot', c.slot)}: {c.direction}{by} over turns {w[0]}–{w[1]}"


def _describe_expr(c: ExprCheck, labels: Any, w: tuple[int, int]) -> str:
    if w[0] == w[1]:
        return f"`{c.expr}` at the end of turn {w[0]}"
    return f"`{c.expr}` in {c.holds} of turns {w[0]}–{w[1]}"


register(
    "move",
    Kind(
        MoveCheck,
        lambda c, spec, err: _move_names(c.actor, c.move, spec, err),
        _window_timed,
        _compile_move,
        _describe_move,
    ),
)
register("never", Kind(NeverCheck, _never_names, _window_timed, _compile_never, _describe_never))
register(
    "red_line",
    Kind(
        RedLineCheck,
        lambda c, spec, err: _red_line_name(c.red_line, spec, err),
        _window_timed,
        _compile_red_line,
        _describe_red_line,
    ),
)
register("level", Kind(LevelCheck, _slot_names, _window_at, _compile_level, _describe_level))
register(
    "direction",
    Kind(DirectionCheck, _slot_names, _window_direction, _compile_direction, _describe_direction),
)
register(
    "expr",
    Kind(
        ExprCheck,
        lambda c, spec, err: _expr_names(c.expr, spec, err),
        _window_expr,
        _compile_expr,
        _describe_expr,
    ),
)


def _term_words(term: Any) -> str:
    if isinstance(term, TermRange):
        lo = f"at least {_num(term.at_least)}" if term.at_least is not None else ""
        hi = f"at most {_num(term.at_most)}" if term.at_most is not None else ""
        return " and ".join(x for x in (lo, hi) if x)
    if isinstance(term, list):
        return " or ".join(_term_words(t) for t in term)
    return term if isinstance(term, str) else _num(term)


def _describe_deal(c: DealCheck, labels: Any, w: tuple[int, int]) -> str:
    deal = labels.name("deal", c.deal) if labels is not None else c.deal
    if c.obligation is not None:
        if c.broken:
            return f"{deal}: obligation {c.obligation} broken ({_turns(w)})"
        return f"{deal}: obligation {c.obligation} taken on and kept to the end of turn {w[1]}"
    terms = ""
    if c.terms:
        terms = " on " + ", ".join(f"{k} {_term_words(v)}" for k, v in c.terms.items())
    verb = "signed" if c.signed else "not signed"
    return f"{deal} {verb}{terms} ({_turns(w)})"


def _describe_detected(c: DetectedCheck, labels: Any, w: tuple[int, int]) -> str:
    what = labels.name("move", c.move) if c.move is not None else "a covert move"
    verb = "detected" if c.detected else "not detected"
    return f"{labels.name('actor', c.actor)}: {what} {verb} ({_turns(w)})"


register("deal", Kind(DealCheck, _deal_names, _window_timed, _compile_deal, _describe_deal))
register(
    "detected",
    Kind(DetectedCheck, _detected_names, _window_timed, _compile_detected, _describe_detected),
)


def kind_of(check: Any) -> Kind:
    return KINDS[check.kind]
