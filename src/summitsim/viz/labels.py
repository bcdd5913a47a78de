"""Human-readable names for the ids in a result, taken from its scenario when it is at hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..scenario.schema import Scenario


@dataclass(frozen=True)
class Labels:
    moves: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)  # descriptions
    units: dict[str, str] = field(default_factory=dict)
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    red_lines: dict[str, str] = field(default_factory=dict)  # descriptions
    responses: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)  # descriptions

    @classmethod
    def from_spec(cls, spec: Scenario) -> Labels:
        return cls(
            moves={"hold": "Hold", **{k: m.name for k, m in spec.moves.items()}},
            variables={k: v.description for k, v in spec.variables.items()},
            units={k: v.unit for k, v in spec.variables.items()},
            bounds={k: (v.bounds[0], v.bounds[1]) for k, v in spec.variables.items()},
            red_lines={k: r.description for k, r in spec.red_lines.items()},
            responses={k: r.response.description for k, r in spec.red_lines.items()},
            outcomes={k: o.description for k, o in spec.outcomes.items()},
        )


def scenario_for(result: Mapping[str, Any]) -> Scenario | None:
    """The bundled scenario a result came from, if its file is unchanged (same sha256)."""
    from ..engine.registry import bundled, load_scenario
    from ..scenario import ScenarioError

    sc = result.get("scenario") or {}
    sid = sc.get("id")
    if not isinstance(sid, str) or sid not in bundled():
        return None
    try:
        loaded = load_scenario(sid)
    except ScenarioError:
        return None
    return loaded.spec if loaded.sha256 == sc.get("sha256") else None


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
