"""Record files: what actually happened after a scenario's start, as dated, sourced entries,
each with a check over runs (see :mod:`summitsim.backtest.checks`).

A record is ``records/<scenario-id>.yaml`` (bundled with summitsim, like the scenarios) or
any file given with ``--record``. It is loaded with the scenarios' safe YAML loader and checked
against its scenario; every problem is reported as ``FILE:LINE:COL: message``:

- the schema (unknown keys, missing ones, wrong types, malformed checks);
- names: actors, moves, variables, relations, red lines and expressions the scenario does not
  have (a check over something the scenario lacks is an error, never a silent pass);
- dates: an entry dated before the scenario's start or after its last turn, a check whose turns
  do not include the entry's date, a source dated before the event it reports or in the future.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import UserError
from ..scenario import LoadedScenario, ScenarioError
from ..scenario.validate import field_error
from ..scenario.yamlsafe import Loc, Located, load_yaml_file, load_yaml_text
from . import checks as ck

Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$", description="a snake_case name")]
CONFIDENCE_WORDS = {"high": 0.95, "medium": 0.8, "low": 0.65}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RecordSource(_Strict):
    id: Ident
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    date: str = Field(description="publication date: YYYY-MM-DD (or YYYY-MM, YYYY)")
    url: str | None = None
    notes: str | None = None


class Entry(_Strict):
    id: Ident
    date: str = Field(description="when it happened (or was observed): YYYY-MM-DD")
    summary: str = Field(min_length=1, description="what happened, in a sentence")
    sources: list[Ident] = Field(min_length=1, description="ids of the record's sources")
    confidence: Any = Field(
        description="how sure the record is of `observed`: 0.5 to 1, or high (0.95), medium "
        "(0.8), low (0.65)"
    )
    observed: bool = Field(True, description="whether the check held in reality")
    check: dict[str, Any] = Field(description="a check over runs; see docs/backtest.md")
    notes: str | None = None

    @field_validator("confidence", mode="before")
    @classmethod
    def _confidence(cls, v: Any) -> float:
        if isinstance(v, str) and v in CONFIDENCE_WORDS:
            return CONFIDENCE_WORDS[v]
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0.5 <= v <= 1.0:
            raise ValueError(
                f"{v!r} is not a confidence: a number from 0.5 to 1, or high, medium or low"
            )
        return float(v)


class RecordFile(_Strict):
    scenario: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    title: str = Field(min_length=1)
    summary: str | None = None
    sources: list[RecordSource] = Field(min_length=1)
    entries: list[Entry] = Field(min_length=1)


@dataclass(frozen=True)
class RecordEntry:
    """One entry, checked: its date's turn, its check's turns and its confidence as a number."""

    id: str
    date: dt.date
    turn: int
    summary: str
    sources: tuple[RecordSource, ...]
    confidence: float
    observed: bool
    check: Any  # a checks.*Check model
    window: tuple[int, int]
    notes: str | None = None

    @property
    def kind(self) -> str:
        return str(self.check.kind)

    @property
    def y(self) -> float:
        """The probability, on the record's evidence, that the check held in reality."""
        return self.confidence if self.observed else 1.0 - self.confidence

    def describe(self, labels: Any) -> str:
        return ck.kind_of(self.check).describe(self.check, labels, self.window)


@dataclass(frozen=True)
class LoadedRecord:
    spec: RecordFile
    source: str
    sha256: str
    entries: tuple[RecordEntry, ...]

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.entries]


def parse_day(text: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)) if len(str(text)) == 10 else None
    except ValueError:
        return None


def parse_period(text: Any) -> tuple[dt.date, dt.date] | None:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` as its first and last day."""
    s = str(text)
    try:
        if len(s) == 10:
            d = dt.date.fromisoformat(s)
            return (d, d)
        if len(s) == 7 and s[4] == "-":
            y, m = int(s[:4]), int(s[5:])
            first = dt.date(y, m, 1)
            nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
            return (first, nxt - dt.timedelta(days=1))
        if len(s) == 4 and s.isdigit():
            return (dt.date(int(s), 1, 1), dt.date(int(s), 12, 31))
    except ValueError:
        return None
    return None


def turn_span(spec: Any) -> tuple[dt.date, list[dt.date]]:
    """The scenario's start and the day each turn 1..N+1 begins (N+1: the end of the run)."""
    from ..viz.labels import turn_start

    meta = spec.meta
    start = dt.date.fromisoformat(str(meta.start_date))
    begins = []
    for t in range(1, meta.turns + 2):
        d = turn_start(meta.start_date, meta.turn_length, t)
        assert d is not None
        begins.append(max(d, start))
    return start, begins


def turn_of(day: dt.date, begins: list[dt.date]) -> int:
    """The turn (1..N) whose days include ``day`` (which lies within the run)."""
    turn = 1
    for t, b in enumerate(begins[:-1], start=1):
        if b <= day:
            turn = t
    return turn


class _Checker:
    def __init__(self, located: Located, scenario: LoadedScenario, today: dt.date):
        self.located = located
        self.scenario = scenario
        self.spec = scenario.spec
        self.today = today
        self.problems: list[str] = []

    def err(self, loc: Loc, message: str) -> None:
        self.problems.append(self.located.error(loc, message))

    def run(self, rec: RecordFile) -> list[RecordEntry]:
        sc = self.spec
        if rec.scenario != sc.meta.id:
            self.err(
                ("scenario",),
                f"scenario: this record is for {rec.scenario!r}, not {sc.meta.id!r}",
            )
        sources: dict[str, tuple[int, RecordSource]] = {}
        for i, s in enumerate(rec.sources):
            if s.id in sources:
                self.err(("sources", i, "id"), f"duplicate source id {s.id!r}")
            sources[s.id] = (i, s)
            period = parse_period(s.date)
            if period is None:
                self.err(
                    ("sources", i, "date"),
                    f"sources.{i}.date: {s.date!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)",
                )
            elif period[0] > self.today:
                self.err(("sources", i, "date"), f"sources.{i}.date: {s.date} is in the future")
        start, begins = turn_span(sc)
        end = begins[-1] - dt.timedelta(days=1)
        out: list[RecordEntry] = []
        seen: set[str] = set()
        for j, e in enumerate(rec.entries):
            loc: Loc = ("entries", j)
            if e.id in seen:
                self.err((*loc, "id"), f"duplicate entry id {e.id!r}")
            seen.add(e.id)
            entry = self.entry(j, e, sources, start, end, begins)
            if entry is not None:
                out.append(entry)
        return out

    def entry(
        self,
        j: int,
        e: Entry,
        sources: dict[str, tuple[int, RecordSource]],
        start: dt.date,
        end: dt.date,
        begins: list[dt.date],
    ) -> RecordEntry | None:
        loc: Loc = ("entries", j)
        ok = True
        day = parse_day(e.date)
        turn = 0
        if day is None:
            self.err((*loc, "date"), f"entries.{j}.date: {e.date!r} is not a date (YYYY-MM-DD)")
            ok = False
        elif day < start:
            self.err(
                (*loc, "date"),
                f"entries.{j}.date: {day} is before the scenario's start ({start})",
            )
            ok = False
        elif day > end:
            self.err(
                (*loc, "date"),
                f"entries.{j}.date: {day} is after the scenario's last turn "
                f"(turn {len(begins) - 1} ends {end})",
            )
            ok = False
        else:
            turn = turn_of(day, begins)
        used: list[RecordSource] = []
        for k, sid in enumerate(e.sources):
            hit = sources.get(sid)
            if hit is None:
                self.err((*loc, "sources", k), f"unknown source {sid!r}")
                ok = False
                continue
            s = hit[1]
            used.append(s)
            period = parse_period(s.date)
            if day is not None and period is not None and period[1] < day:
                self.err(
                    (*loc, "sources", k),
                    f"source {sid!r} is dated {s.date}, before the event it reports ({day})",
                )
                ok = False
        check = self.check(j, e.check)
        if check is None or not ok:
            return None
        kind = ck.kind_of(check)
        window = kind.window(check, self.spec.meta.turns)
        a, b = window
        if b > self.spec.meta.turns:
            self.err(
                (*loc, "check"),
                f"entries.{j}.check: turn {b} is after the scenario's last turn "
                f"({self.spec.meta.turns})",
            )
            return None
        if not a <= turn <= b:
            span = f"turn {a}" if a == b else f"turns {a}–{b}"
            self.err(
                (*loc, "date"),
                f"entries.{j}.date: {day} is in turn {turn}, outside the check's {span}",
            )
            return None
        assert day is not None
        return RecordEntry(
            e.id, day, turn, e.summary, tuple(used), e.confidence, e.observed, check, window,
            e.notes,
        )  # fmt: skip

    def check(self, j: int, data: dict[str, Any]) -> Any:
        loc: Loc = ("entries", j, "check")
        where = f"entries.{j}.check"
        name = data.get("kind")
        if name is None:
            self.err(loc, f"{where}.kind: missing required key (kinds: {', '.join(ck.KINDS)})")
            return None
        if name in ck.RESERVED:
            self.err((*loc, "kind"), f"{where}.kind: {name!r} is not available yet: "
                     f"{ck.RESERVED[name]} (kinds: {', '.join(ck.KINDS)})")  # fmt: skip
            return None
        if name not in ck.KINDS:
            self.err(
                (*loc, "kind"),
                f"{where}.kind: unknown kind {name!r} (kinds: {', '.join(ck.KINDS)})",
            )
            return None
        kind = ck.KINDS[name]
        try:
            check = kind.model.model_validate(data)
        except ValidationError as err:
            for e in err.errors():
                sub, msg = field_error(e)
                self.err((*loc, *sub), f"{where}.{msg}" if sub else f"{where}: {msg}")
            return None
        before = len(self.problems)

        def report(sub: Loc, message: str) -> None:
            self.err((*loc, *sub), f"{where}.{'.'.join(map(str, sub))}: {message}")

        kind.validate(check, self.spec, report)
        return check if len(self.problems) == before else None


def validate_located(
    located: Located, sha256: str, scenario: LoadedScenario, today: dt.date | None = None
) -> LoadedRecord:
    if not isinstance(located.data, dict):
        raise ScenarioError([located.error((), "a record file must be a mapping of keys")])
    try:
        rec = RecordFile.model_validate(located.data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc, msg = field_error(e)
            if e["type"] == "extra_forbidden":
                msg += " (check the spelling; docs/backtest.md lists every key)"
            problems.append(located.error(loc, msg))
        raise ScenarioError(problems) from None
    checker = _Checker(located, scenario, today or dt.date.today())
    entries = checker.run(rec)
    if checker.problems:
        raise ScenarioError(checker.problems)
    return LoadedRecord(rec, located.source, sha256, tuple(entries))


def bundled_records() -> dict[str, Path]:
    """Bundled record files by scenario id."""
    from ..engine.registry import data_dir

    folder = data_dir("records")
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


def load_record(ref: str | Path | None, scenario: LoadedScenario) -> LoadedRecord:
    """The record in file ``ref``, or (``None``) the bundled record of ``scenario``; checked
    against ``scenario``. Raises :class:`ScenarioError` (``FILE:LINE:COL`` problems) or
    :class:`UserError` (no such file, no bundled record)."""
    if ref is None:
        path = bundled_records().get(scenario.id)
        if path is None:
            raise UserError(
                f"no record ships for {scenario.id}; write one (see docs/backtest.md) and give "
                "it with --record FILE"
            )
        display = f"records/{path.name}"
    else:
        path = Path(ref)
        display = str(ref)
        if not path.is_file():
            raise UserError(f"{ref}: no such record file")
    located = load_yaml_file(path, display)
    return validate_located(located, hashlib.sha256(path.read_bytes()).hexdigest(), scenario)


def load_record_text(
    text: str, scenario: LoadedScenario, source: str = "<record>", today: dt.date | None = None
) -> LoadedRecord:
    located = load_yaml_text(text, source)
    return validate_located(located, hashlib.sha256(text.encode()).hexdigest(), scenario, today)
