"""Check that data read from a JSON file is a summitsim run result the figures can draw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import UserError
from ..scenario.validate import field_error


class ResultFormatError(UserError):
    """The file is missing, not JSON, or not a run result; the message is one plain line."""


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Action(_Open):
    actor: str | None
    move: str
    by: str
    status: str = "done"
    escalation: float = 0.0
    rationale: dict[str, Any] = Field(default_factory=dict)


class _RedLine(_Open):
    owner: str
    red_line: str
    status: str = "crossed"
    crossed_by: list[str] = Field(default_factory=list)
    responded: bool | None = None


class _Step(_Open):
    round: int = Field(0, ge=0)
    actor: str
    kind: str
    terms: dict[str, str] | None = None
    reason: str = ""


class _Negotiation(_Open):
    deal: str
    name: str = ""
    parties: list[str] = Field(default_factory=list)
    outcome: str
    walked_by: str | None = None
    terms: dict[str, str] | None = None
    surplus: dict[str, float] = Field(default_factory=dict)
    steps: list[_Step] = Field(default_factory=list)


class _Obligation(_Open):
    obligation: str
    by: str
    description: str = ""
    broken_turn: int | None = None


class _Deal(_Open):
    deal: str
    turn: int
    terms: dict[str, str]
    obligations: list[_Obligation] = Field(default_factory=list)


class _Said(_Open):
    turn: int
    actor: str
    kind: str
    status: str
    move: str = ""
    resolved_turn: int | None = None
    deal: str | None = None


class _Turn(_Open):
    turn: int = Field(ge=0)
    state: dict[str, float]
    actions: list[_Action]
    red_lines: list[_RedLine]
    injects: list[dict[str, Any]] = Field(default_factory=list)
    outcomes: dict[str, Any] = Field(default_factory=dict)
    escalation: dict[str, float] | None = None
    negotiations: list[_Negotiation] = Field(default_factory=list)  # optional: since deals


class _Scenario(_Open):
    id: str
    sha256: str


class _Result(_Open):
    summitsim_version: str
    scenario: _Scenario
    seed: int | None
    params: dict[str, Any]
    turns: list[_Turn] = Field(min_length=1)
    outcomes: dict[str, Any]
    actors: dict[str, str] = Field(default_factory=dict)
    said_vs_did: list[_Said] = Field(default_factory=list)  # optional: older files lack it
    deals: list[_Deal] = Field(default_factory=list)  # optional: older files lack it

    @model_validator(mode="after")
    def _consistent(self) -> _Result:
        keys = list(self.turns[0].state)
        for i, t in enumerate(self.turns):
            if t.turn != i:
                raise ValueError(f"turns.{i}: turn number {t.turn}, expected {i}")
            if list(t.state) != keys:
                raise ValueError(f"turns.{i}.state: slots differ from turn 0")
        return self


def check_result(data: Any, source: str = "<result>") -> dict[str, Any]:
    """Return ``data`` if it is a run result; raise :class:`ResultFormatError` otherwise."""
    if not isinstance(data, dict):
        raise ResultFormatError(f"{source}: not a summitsim result (expected a JSON object)")
    try:
        _Result.model_validate(data)
    except ValidationError as err:
        _, problem = field_error(err.errors()[0])
        more = f" (and {err.error_count() - 1} more problems)" if err.error_count() > 1 else ""
        raise ResultFormatError(f"{source}: not a summitsim result: {problem}{more}") from None
    return data


def read_result(path: Path) -> dict[str, Any]:
    """Read and check a result JSON file (as written by ``summitsim run --json``)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ResultFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ResultFormatError(f"{path}: is a folder, not a result file") from None
    except OSError as exc:
        raise ResultFormatError(f"{path}: cannot read file: {exc.strerror}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ResultFormatError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ResultFormatError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        ) from None
    except RecursionError:
        raise ResultFormatError(f"{path}: JSON nested too deeply") from None
    return check_result(data, str(path))
