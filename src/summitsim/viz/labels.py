"""Display names: the one place that turns the ids of a scenario into words people read.

Every view (dashboard pages, the static report, the classroom) asks :class:`Labels`::

    labels = Labels.from_spec(spec)              # or Labels.for_result(result)
    labels.name("variable", "grain_shipped")     # "Grain shipped" (or its label:)
    labels.unit("variable", "grain_shipped")     # "thousand tonnes"
    labels.slot("rel:alpha:beta")                # "Alpha–Beta relation"
    labels.name("column", "crossed_no_blockade") # a sweep column, in words

A name is the scenario's ``label:`` if it has one, else the actor's or move's ``name``, else
one made from the id ("alpha_credibility" -> "Alpha credibility"), so files without labels
still read as words. Kinds: ``actor``, ``move``, ``variable``, ``relation`` (a ``rel:a:b``
slot), ``slot`` (a variable or a relation slot), ``parameter``, ``outcome``, ``red_line``,
``inject``, ``by`` (who decided: ``ai``, ``red_line``, ...), ``option`` (moves joined by
``+``, as in rationales) and ``column`` (any column of a sweep's runs). Deals: ``deal``,
``issue`` (``deal.issue``), ``term`` (``deal.issue.level``; see :meth:`Labels.term`) and
``obligation`` (its description).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..scenario.schema import Scenario

KINDS = (
    "actor",
    "move",
    "variable",
    "relation",
    "slot",
    "parameter",
    "outcome",
    "red_line",
    "inject",
    "by",
    "option",
    "column",
    "deal",
    "issue",
    "term",
    "obligation",
)

# Short generic tokens written in capitals when a name is made from an id. Names of actors
# and places are the scenario's: it gives them with `label:` (the engine knows no actor).
ACRONYMS = frozenset({"ai", "gdp", "icbm"})

# Who made a decision (the ``by`` of an action), in words.
BY_NAMES = {
    "ai": "AI choice",
    "script": "scripted",
    "human": "player",
    "random": "random",
    "red_line": "red-line response",
    "inject": "event",
    "refused": "refused",
    "held": "held",
}

# Escalation scores, in words and colours (a move's score, or a turn's total per actor).
# (upper bound, name, colour); the last band has no upper bound.
ESCALATION_LEVELS: tuple[tuple[float, str, str], ...] = (
    (-1e-9, "calming", "#1a9850"),
    (1e-9, "neutral", "#8c8c8c"),
    (4.0, "low", "#e6ab02"),
    (12.0, "medium", "#f46d43"),
    (28.0, "high", "#d73027"),
    (float("inf"), "severe", "#7f0000"),
)

RELATION_UNIT = "score, −1 to +1"


def humanize(ident: str) -> str:
    """A readable name made from a snake_case id: ``alpha_credibility`` -> ``Alpha
    credibility``, ``gdp_growth`` -> ``GDP growth`` (known acronyms in capitals)."""
    words = [w for w in re.split(r"[_\s]+", str(ident)) if w]
    if not words:
        return str(ident)
    out = [w.upper() if w.lower() in ACRONYMS else w for w in words]
    first = out[0]
    out[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(out)


def escalation_level(score: float) -> tuple[str, str]:
    """``(name, colour)`` of an escalation score: calming, neutral, low, medium, high, severe."""
    for upper, name, colour in ESCALATION_LEVELS:
        if score <= upper:
            return name, colour
    return ESCALATION_LEVELS[-1][1], ESCALATION_LEVELS[-1][2]


def _first_sentence(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    cut = re.split(r"(?<=[.;:(])\s", text, maxsplit=1)[0].rstrip(".;:( ")
    return cut if len(cut) <= limit else cut[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Labels:
    """Names, units and descriptions of a scenario's ids; empty for a result without its
    scenario (then every name is made from the id)."""

    names: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> id -> name
    units: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> id -> unit
    descriptions: dict[str, dict[str, str]] = field(default_factory=dict)
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)  # variables
    responses: dict[str, str] = field(default_factory=dict)  # red line -> its response
    channels: dict[str, str] = field(default_factory=dict)  # move -> channel or first tag
    escalation: dict[str, float] = field(default_factory=dict)  # move -> escalation score

    # ----- building ------------------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: Scenario) -> Labels:
        actors = {k: a.name for k, a in spec.actors.items()}
        rel_names = {}
        for r in spec.relations:
            a, b = r.between
            slot = f"rel:{a}:{b}"
            rel_names[slot] = (
                r.label or f"{actors.get(a, humanize(a))}–{actors.get(b, humanize(b))}"
            )
        deals = _deal_names(spec)
        return cls(
            names={
                "actor": actors,
                "move": {k: m.name for k, m in spec.moves.items()} | deals.pop("move"),
                "variable": {k: v.label for k, v in spec.variables.items() if v.label},
                "relation": rel_names,
                "parameter": {k: p.label for k, p in spec.parameters.items() if p.label},
                "outcome": {k: o.label for k, o in spec.outcomes.items() if o.label},
                "red_line": {k: r.label for k, r in spec.red_lines.items() if r.label},
                "inject": {k: i.name for k, i in spec.injects.items()},
                **{k: deals[k] for k in ("deal", "issue", "term", "obligation")},
            },
            units={
                "issue": deals["unit"],
                "variable": {k: v.unit for k, v in spec.variables.items() if v.unit},
                "parameter": {k: p.unit for k, p in spec.parameters.items() if p.unit},
                "outcome": {k: o.unit for k, o in spec.outcomes.items() if o.unit},
            },
            descriptions={
                "variable": {k: v.description for k, v in spec.variables.items()},
                "relation": {
                    f"rel:{r.between[0]}:{r.between[1]}": r.description for r in spec.relations
                },
                "parameter": {k: p.description for k, p in spec.parameters.items()},
                "outcome": {k: o.description for k, o in spec.outcomes.items()},
                "red_line": {k: " ".join(r.description.split()) for k, r in spec.red_lines.items()},
                "move": {k: m.description for k, m in spec.moves.items()},
                "actor": {k: a.description for k, a in spec.actors.items()},
                "inject": {k: i.description for k, i in spec.injects.items()},
                "deal": {k: d.description for k, d in spec.deals.items()},
            },
            bounds={k: (v.bounds[0], v.bounds[1]) for k, v in spec.variables.items()},
            responses={k: r.response.description for k, r in spec.red_lines.items()},
            channels={
                k: (m.channel or (m.tags[0] if m.tags else "")) for k, m in spec.moves.items()
            },
            escalation={k: float(m.escalation) for k, m in spec.moves.items()},
        )

    @classmethod
    def for_result(cls, result: Mapping[str, Any], spec: Scenario | None = None) -> Labels:
        """Labels for a run result: from ``spec``, else from the bundled scenario the result
        came from (if unchanged), else from the actor names the result carries."""
        spec = spec if spec is not None else scenario_for(result)
        if spec is not None:
            return cls.from_spec(spec)
        actors = {str(k): str(v) for k, v in (result.get("actors") or {}).items()}
        return cls(names={"actor": actors})

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> Labels:
        """Labels for a sweep folder: from its scenario when that file is at hand and
        unchanged (bundled, or the manifest's source path), else made from the ids."""
        spec = scenario_for({"scenario": manifest.get("scenario") or {}}, allow_path=True)
        return cls.from_spec(spec) if spec is not None else cls()

    # ----- asking --------------------------------------------------------------------------
    def name(self, kind: str, ident: Any) -> str:
        """The display name of ``ident`` of ``kind`` (see the module docstring)."""
        if ident is None:
            return "events" if kind == "actor" else ""
        key = str(ident)
        if kind == "slot":
            kind = "relation" if key.startswith("rel:") else "variable"
        if kind == "relation":
            hit = self.names.get("relation", {}).get(key)
            if hit:
                return hit
            parts = key.split(":")
            if len(parts) == 3:
                return f"{self.name('actor', parts[1])}–{self.name('actor', parts[2])}"
            return humanize(key)
        if kind == "by":
            return BY_NAMES.get(key, humanize(key))
        if kind == "option":
            if key in ("", "hold"):
                return "hold"
            return " and ".join(self.name("move", m) for m in key.split("+"))
        if kind == "column":
            return self._column(key)
        if kind == "move" and key == "hold":
            return "Hold"
        hit = self.names.get(kind, {}).get(key)
        return hit if hit else humanize(key)

    def unit(self, kind: str, ident: Any) -> str:
        """The unit of a variable, parameter or outcome ("" if none is declared); relations
        are scores from −1 to +1."""
        key = str(ident)
        if kind == "slot":
            kind = "relation" if key.startswith("rel:") else "variable"
        if kind == "relation":
            return RELATION_UNIT
        if kind == "column":
            kind = "parameter" if key in self.units.get("parameter", {}) else "outcome"
        return self.units.get(kind, {}).get(key, "")

    def description(self, kind: str, ident: Any) -> str:
        key = str(ident)
        if kind == "slot":
            kind = "relation" if key.startswith("rel:") else "variable"
        return self.descriptions.get(kind, {}).get(key, "")

    def with_unit(self, kind: str, ident: Any) -> str:
        """``Name (unit)``, or the name alone when no unit is declared."""
        unit = self.unit(kind, ident)
        return f"{self.name(kind, ident)} ({unit})" if unit else self.name(kind, ident)

    def short(self, kind: str, ident: Any) -> str:
        """The name, or for an id without a label a short form of its description."""
        if kind in self.names and str(ident) in self.names[kind]:
            return self.name(kind, ident)
        desc = self.description(kind, ident)
        return _first_sentence(desc) if desc else self.name(kind, ident)

    def slot(self, slot: str) -> str:
        """A state slot (a variable, or a relation ``rel:a:b``) by name."""
        return self.name("slot", slot)

    def actor(self, ident: Any) -> str:
        return self.name("actor", ident)

    def move(self, ident: Any) -> str:
        return self.name("move", ident)

    def deal(self, ident: Any, fallback: str | None = None) -> str:
        """A deal's name (``fallback``, e.g. the name a result carries, if unknown)."""
        hit = self.names.get("deal", {}).get(str(ident))
        return hit or fallback or humanize(str(ident))

    def issue(self, deal: Any, issue: Any) -> str:
        """An issue of a deal by name."""
        hit = self.names.get("issue", {}).get(f"{deal}.{issue}")
        return hit or humanize(str(issue))

    def term(self, deal: Any, issue: Any, level: Any) -> str:
        """One level of an issue: an option's name, or a range issue's amount with its unit
        ("5 tonnes"); an unknown option's id made into words."""
        key = f"{deal}.{issue}"
        hit = self.names.get("term", {}).get(f"{key}.{level}")
        if hit:
            return hit
        try:
            float(str(level))
        except ValueError:
            return humanize(str(level))
        return f"{level} {self.units.get('issue', {}).get(key, '')}".strip()

    def _column(self, key: str) -> str:
        for prefix, words in (("first_crossed_", "first crossing"), ("crossed_", "crossed")):
            if key.startswith(prefix):
                return f"Red line {words}: {self.name('red_line', key[len(prefix) :])}"
        if key == "peak_escalation":
            return "Peak escalation"
        for kind in ("outcome", "parameter", "variable"):
            if key in self.names.get(kind, {}):
                return self.names[kind][key]
        return humanize(key)

    # ----- kept for callers that read the maps directly ------------------------------------
    @property
    def moves(self) -> dict[str, str]:
        """Move id -> name (with ``hold``)."""
        return {"hold": "Hold", **self.names.get("move", {})}


def _deal_names(spec: Scenario) -> dict[str, dict[str, str]]:
    """The names a scenario's deals add: ``deal``, ``issue`` and ``term`` (option) names,
    range issues' ``unit``, ``obligation`` descriptions and the breaking moves' names."""
    out: dict[str, dict[str, str]] = {
        k: {} for k in ("deal", "issue", "term", "unit", "obligation", "move")
    }
    for did, d in spec.deals.items():
        out["deal"][did] = d.name
        for iid, issue in d.issues.items():
            key = f"{did}.{iid}"
            out["issue"][key] = issue.name
            if issue.unit:
                out["unit"][key] = issue.unit
            obligations = list(issue.obligations)
            for o in issue.options or []:
                out["term"][f"{key}.{o.id}"] = o.name
                obligations += o.obligations
            for ob in obligations:
                out["obligation"][ob.id] = ob.description
                # as the engine names the breaking move (engine/compiled.py, _DealBuilder)
                out["move"][f"break_{ob.id}"] = f"Break the commitment: {ob.description}"
    return out


def scenario_for(result: Mapping[str, Any], *, allow_path: bool = False) -> Scenario | None:
    """The scenario a result (or sweep manifest) came from, if its file is unchanged (same
    sha256): a bundled one by id, or with ``allow_path`` the file named in ``source``."""
    from ..engine.registry import bundled, load_scenario
    from ..scenario import ScenarioError

    sc = result.get("scenario") or {}
    sid = sc.get("id")
    sha = sc.get("sha256")
    refs: list[str] = []
    if isinstance(sid, str) and sid in bundled():
        refs.append(sid)
    source = sc.get("source")
    if allow_path and isinstance(source, str) and source.endswith((".yaml", ".yml")):
        refs.append(source)
    for ref in refs:
        try:
            loaded = load_scenario(ref)
        except (ScenarioError, OSError, ValueError):
            continue
        if loaded.sha256 == sha:
            return loaded.spec
    return None


_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_DAYS = {"day": 1, "week": 7}


def turn_start(start_date: Any, length: Any, turn: int) -> dt.date | None:
    """The day a turn begins (turn 1 on the start date; monthly, quarterly and yearly turns
    on the first of their month); None if the start date or turn length is unknown."""
    try:
        start = dt.date.fromisoformat(str(start_date))
    except ValueError:
        return None
    offset = max(0, turn - 1)
    if length in _DAYS:
        return start + dt.timedelta(days=_DAYS[length] * offset)
    if length in _MONTHS:
        months = start.month - 1 + _MONTHS[length] * offset
        return dt.date(start.year + months // 12, months % 12 + 1, 1)
    return None


def turn_date(result: Mapping[str, Any], turn: int) -> str | None:
    """The calendar date a turn stands for: ``2024-06-19`` for daily and weekly turns,
    ``2024-06`` for longer ones."""
    length = result.get("turn_length")
    d = turn_start(result.get("start_date"), length, turn)
    if d is None:
        return None
    return d.isoformat() if length in _DAYS else f"{d.year:04d}-{d.month:02d}"
