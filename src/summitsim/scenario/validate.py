"""Load a scenario file: safe YAML, pydantic schema, then semantic checks of every name and
expression. All problems are reported as ``FILE:LINE:COL: message``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import expr as ex
from .schema import Effect, Scenario
from .yamlsafe import Loc, Located, ScenarioError, load_yaml_file, load_yaml_text


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario plus where it came from."""

    spec: Scenario
    source: str
    sha256: str

    @property
    def id(self) -> str:
        return self.spec.meta.id


def field_error(e: Any) -> tuple[Loc, str]:
    """One pydantic error as (its location, union tags left out; a plain message), the way
    every input file's errors are worded: ``path.to.key: message``."""
    loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and "[" in p))
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "missing":
        msg = "missing required key"
    elif e["type"] == "extra_forbidden":
        msg = "unknown key"
    return loc, f"{'.'.join(str(p) for p in loc) or '(top level)'}: {msg}"


def _pydantic_problems(err: ValidationError, located: Located) -> list[str]:
    problems = []
    for e in err.errors():
        loc, msg = field_error(e)
        if e["type"] == "extra_forbidden":
            msg += " (check the spelling; `summitsim schema` lists every key)"
        problems.append(located.error(loc, msg))
    return problems


def names_of(spec: Scenario) -> ex.Names:
    moves: dict[str, set[str]] = {a: set() for a in spec.actors}
    for mid, move in spec.moves.items():
        for a in move.actors:
            moves.setdefault(a, set()).add(mid)
    for ob in spec.obligations():  # breaking a deal's commitment is a move of its keeper
        moves.setdefault(ob.by, set()).add(f"break_{ob.id}")
    return ex.Names(
        variables=frozenset(spec.variables),
        parameters=frozenset(spec.parameters),
        actors=frozenset(spec.actors),
        moves={a: frozenset(m) for a, m in moves.items()},
    )


class _Semantic:
    """Checks that every name refers to something declared and every expression parses."""

    def __init__(self, spec: Scenario, located: Located):
        self.spec = spec
        self.located = located
        self.names = names_of(spec)
        self.problems: list[str] = []

    def err(self, loc: Loc, message: str) -> None:
        self.problems.append(self.located.error(loc, message))

    def expr(self, loc: Loc, text: Any) -> None:
        try:
            ex.parse(text, self.names)
        except ex.ExprError as e:
            self.err(loc, f"{'.'.join(map(str, loc))}: {e}")

    def const_expr(self, loc: Loc, text: Any) -> None:
        """An expression that may use parameters only (fixed for a whole run)."""
        try:
            parsed = ex.parse(text, self.names)
        except ex.ExprError as e:
            self.err(loc, f"{'.'.join(map(str, loc))}: {e}")
            return
        stateful = (parsed.names() - set(self.spec.parameters)) | (
            {"did/rel"} if parsed.depends_on_state() else set()
        )
        if stateful:
            self.err(
                loc, f"{'.'.join(map(str, loc))}: may use parameters only, not {sorted(stateful)}"
            )

    def actor(self, loc: Loc, name: str, what: str = "actor") -> bool:
        if name not in self.spec.actors:
            self.err(loc, f"unknown {what} {name!r} (actors: {', '.join(self.spec.actors)})")
            return False
        return True

    def pair(self, loc: Loc, pair: tuple[str, str]) -> None:
        if all(self.actor((*loc, i), a) for i, a in enumerate(pair)) and pair[0] == pair[1]:
            self.err(loc, "a relation needs two different actors")

    def run(self) -> list[str]:
        s = self.spec
        for name in s.parameters:
            if name in s.variables:
                self.err(("parameters", name), f"duplicate id {name!r}: also a variable")
            if name in ex.BUILTIN_NAMES or name in ex.ALL_FUNCS:
                self.err(("parameters", name), f"{name!r} is a reserved word")
        for name in s.variables:
            if name in ex.BUILTIN_NAMES or name in ex.ALL_FUNCS:
                self.err(("variables", name), f"{name!r} is a reserved word")
        for aid in s.actors:
            if aid in s.variables or aid in s.parameters:
                self.err(("actors", aid), f"duplicate id {aid!r}: also a variable or parameter")
        self.relations()
        self.actors()
        self.moves()
        self.red_lines()
        self.injects()
        self.deals()
        for oid, out in s.outcomes.items():
            self.expr(("outcomes", oid, "expr"), out.expr)
        return self.problems

    def relations(self) -> None:
        seen: set[frozenset[str]] = set()
        for i, rel in enumerate(self.spec.relations):
            self.pair(("relations", i, "between"), rel.between)
            key = frozenset(rel.between)
            if key in seen:
                self.err(("relations", i), f"duplicate relation {rel.between[0]}-{rel.between[1]}")
            seen.add(key)

    def has_relation(self, pair: tuple[str, str]) -> bool:
        return any(frozenset(r.between) == frozenset(pair) for r in self.spec.relations)

    def actors(self) -> None:
        for aid, actor in self.spec.actors.items():
            for j, it in enumerate(actor.interests):
                loc: Loc = ("actors", aid, "interests", j)
                if it.variable is not None and it.variable not in self.spec.variables:
                    self.err((*loc, "variable"), f"unknown variable {it.variable!r}")
                if it.relation is not None and not self.has_relation(it.relation):
                    self.err((*loc, "relation"), f"no relation declared between {it.relation}")
                for key in ("weight", "threshold", "target"):
                    if getattr(it, key) is not None:
                        self.const_expr((*loc, key), getattr(it, key))
            if actor.policy == "scripted" and not actor.script:
                self.err(("actors", aid, "script"), "a scripted actor needs a script")
            for turn, mids in actor.script_moves.items():
                for mid in mids:
                    if mid not in self.names.moves.get(aid, ()):
                        self.err(("actors", aid, "script", turn), f"{aid!r} has no move {mid!r}")
                if len(mids) > actor.moves_per_turn:
                    self.err(
                        ("actors", aid, "script", turn),
                        f"{len(mids)} moves in one turn, but moves_per_turn is "
                        f"{actor.moves_per_turn}",
                    )

    def effects(self, loc: Loc, effects: list[Effect]) -> None:
        for k, eff in enumerate(effects):
            eloc: Loc = (*loc, k)
            if eff.variable is not None and eff.variable not in self.spec.variables:
                self.err((*eloc, "variable"), f"unknown variable {eff.variable!r}")
            if eff.relation is not None:
                self.pair((*eloc, "relation"), eff.relation)
                if not self.has_relation(eff.relation):
                    self.err((*eloc, "relation"), f"no relation declared between {eff.relation}")
            for key in ("delta", "mean", "sd", "low", "high", "p", "amount"):
                value = getattr(eff, key)
                if value is not None:
                    self.expr((*eloc, key), value)

    def moves(self) -> None:
        for mid, move in self.spec.moves.items():
            loc: Loc = ("moves", mid)
            if mid == "hold":
                self.err(loc, "'hold' is reserved: every actor may always hold")
            for a in move.actors:
                self.actor((*loc, "by"), a)
            has_partner = move.consent is not None and self.actor((*loc, "consent"), move.consent)
            if has_partner and move.consent in move.actors:
                self.err((*loc, "consent"), "an actor cannot consent to its own move")
            self.expr((*loc, "when"), move.when)
            self.expr((*loc, "cost"), move.cost)
            self.expr((*loc, "partner_cost"), move.partner_cost)
            self.effects((*loc, "effects"), move.effects)
            if move.covert:
                self.expr((*loc, "detection"), move.detection)
                self.effects((*loc, "on_detection"), move.on_detection)
            if move.signal is not None:
                self.signal((*loc, "signal"), move.actors, move.signal)

    def signal(self, loc: Loc, senders: list[str], sig: Any) -> None:
        self.const_expr((*loc, "stake"), sig.stake)
        if sig.red_line is not None:
            rl = self.spec.red_lines.get(sig.red_line)
            if rl is None:
                self.err((*loc, "red_line"), f"unknown red line {sig.red_line!r}")
            elif senders != [rl.owner]:
                self.err(
                    (*loc, "red_line"),
                    f"only its owner ({rl.owner}) can signal red line {sig.red_line!r}; "
                    "give the move `by: " + rl.owner + "`",
                )
        if sig.move is not None:
            for a in senders:
                if sig.move not in self.names.moves.get(a, ()):
                    self.err((*loc, "move"), f"{a!r} has no move {sig.move!r}")

    def red_lines(self) -> None:
        for rid, rl in self.spec.red_lines.items():
            loc: Loc = ("red_lines", rid)
            if self.actor((*loc, "owner"), rl.owner, "owner"):
                for k, mid in enumerate(rl.response.moves):
                    if mid not in self.names.moves.get(rl.owner, ()):
                        self.err(
                            (*loc, "response", "moves", k), f"{rl.owner!r} has no move {mid!r}"
                        )
            self.expr((*loc, "trigger"), rl.trigger)
            self.const_expr((*loc, "credibility"), rl.credibility)
            if rl.warning is not None:
                self.expr((*loc, "warning"), rl.warning)
            self.effects((*loc, "response", "effects"), rl.response.effects)

    def injects(self) -> None:
        for iid, inj in self.spec.injects.items():
            loc: Loc = ("injects", iid)
            if inj.at_turn is not None and inj.at_turn > self.spec.meta.turns:
                self.err((*loc, "at_turn"), f"turn {inj.at_turn} is after the last turn")
            if inj.when is not None:
                self.expr((*loc, "when"), inj.when)
            self.expr((*loc, "probability"), inj.probability)
            self.effects((*loc, "effects"), inj.effects)

    def deals(self) -> None:
        seen: set[str] = set()
        for did, deal in self.spec.deals.items():
            loc: Loc = ("deals", did)
            for k, party in enumerate(deal.parties):
                self.actor((*loc, "parties", k), party, "party")
            if deal.at_turn is not None and deal.at_turn > self.spec.meta.turns:
                self.err((*loc, "at_turn"), f"turn {deal.at_turn} is after the last turn")
            if deal.when is not None:
                self.expr((*loc, "when"), deal.when)
            for party, value in deal.walk_away.items():
                if party not in deal.parties:
                    self.err((*loc, "walk_away", party), f"{party!r} is not a party to the deal")
                self.const_expr((*loc, "walk_away", party), value)
            size = 1
            for iid, issue in deal.issues.items():
                size *= len(issue.options) if issue.options is not None else issue.steps
                self.issue((*loc, "issues", iid), deal, issue, seen)
            if size > MAX_PACKAGES:
                self.err(
                    (*loc, "issues"), f"{size} packages; at most {MAX_PACKAGES} (fewer levels)"
                )

    def issue(self, loc: Loc, deal: Any, issue: Any, seen: set[str]) -> None:
        parts: list[tuple[Loc, Any]] = [(loc, issue)]
        if issue.options is not None:
            parts = [((*loc, "options", k), o) for k, o in enumerate(issue.options)]
            ids = [o.id for o in issue.options]
            if len(set(ids)) != len(ids):
                self.err((*loc, "options"), "two options share an id")
        for ploc, part in parts:
            self.effects((*ploc, "effects"), part.effects)
            self.flows((*ploc, "flows"), part.flows)
            for k, ob in enumerate(part.obligations):
                oloc: Loc = (*ploc, "obligations", k)
                if ob.by not in deal.parties:
                    self.err((*oloc, "by"), f"{ob.by!r} is not a party to the deal")
                if ob.id in seen or f"break_{ob.id}" in self.spec.moves:
                    self.err((*oloc, "id"), f"obligation id {ob.id!r} is used twice")
                seen.add(ob.id)
                self.flows((*oloc, "flows"), ob.flows)
                self.effects((*oloc, "on_break"), ob.on_break)
                self.expr((*oloc, "break_cost"), ob.break_cost)

    def flows(self, loc: Loc, effects: list[Effect]) -> None:
        self.effects(loc, effects)
        for k, eff in enumerate(effects):
            if eff.dist is not None or eff.delay:
                self.err((*loc, k), "a flow is a fixed delta each turn (no dist, no delay)")
            elif eff.delta is not None:
                self.const_expr((*loc, k, "delta"), eff.delta)


MAX_PACKAGES = 4096


def validate_located(located: Located, sha256: str) -> LoadedScenario:
    if not isinstance(located.data, dict):
        raise ScenarioError([located.error((), "a scenario file must be a mapping of keys")])
    try:
        spec = Scenario.model_validate(located.data)
    except ValidationError as err:
        raise ScenarioError(_pydantic_problems(err, located)) from None
    problems = _Semantic(spec, located).run()
    if problems:
        raise ScenarioError(problems)
    return LoadedScenario(spec=spec, source=located.source, sha256=sha256)


def load_path(path: Path, display: str | None = None) -> LoadedScenario:
    located = load_yaml_file(path, display)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return validate_located(located, digest)


def load_text(text: str, source: str = "<text>") -> LoadedScenario:
    located = load_yaml_text(text, source)
    return validate_located(located, hashlib.sha256(text.encode()).hexdigest())
