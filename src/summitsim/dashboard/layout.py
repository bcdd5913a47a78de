"""Dashboard and report layouts: ``dashboards/*.yaml`` files, validated by pydantic.

A layout says which panels the Run, Compare and report pages show, in which order, with which
variables and titles. Problems are reported as ``FILE:LINE:COL: message``, like scenario files.
This module is light (pydantic and YAML only), so the report can use it without Dash.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..scenario.validate import _pydantic_problems
from ..scenario.yamlsafe import Located, ScenarioError, load_yaml_file

RunKind = Literal["timeline", "escalation", "actions", "relations", "outcomes", "turn_log"]
CompareKind = Literal[
    "bands", "outcome_frequency", "difference", "outcome_distribution", "first_crossed"
]
Slot = Annotated[
    str, Field(pattern=r"^([a-z][a-z0-9_]{0,47}|rel:[a-z][a-z0-9_]{0,47}:[a-z][a-z0-9_]{0,47})$")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunPanel(_Strict):
    kind: RunKind
    title: str | None = Field(None, max_length=200, description="shown above the panel")
    variables: list[Slot] = Field(
        default_factory=list,
        description="timeline only: variables (or relations as rel:a:b); empty means all",
    )
    height: int = Field(420, ge=150, le=2000, description="pixels")

    @model_validator(mode="after")
    def _check(self) -> RunPanel:
        if self.variables and self.kind != "timeline":
            raise ValueError(f"'variables' applies to timeline panels only, not {self.kind}")
        return self


class ComparePanel(_Strict):
    kind: CompareKind
    title: str | None = Field(None, max_length=200)
    variables: list[Slot] = Field(
        default_factory=list, description="bands only: one chart per variable; empty means all"
    )
    height: int = Field(380, ge=150, le=2000)

    @model_validator(mode="after")
    def _check(self) -> ComparePanel:
        if self.variables and self.kind != "bands":
            raise ValueError(f"'variables' applies to bands panels only, not {self.kind}")
        return self


class RunPage(_Strict):
    panels: list[RunPanel] = Field(min_length=1)


class ComparePage(_Strict):
    seeds: int = Field(50, ge=1, le=1000, description="default seeds per setting")
    max_seeds: int = Field(500, ge=1, le=5000, description="the most seeds a user may ask for")
    settings: int = Field(2, ge=2, le=6, description="settings shown at first")
    panels: list[ComparePanel] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> ComparePage:
        if self.seeds > self.max_seeds:
            raise ValueError(f"seeds {self.seeds} is above max_seeds {self.max_seeds}")
        return self


class Layout(_Strict):
    """A whole ``dashboards/*.yaml`` file."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    title: str | None = Field(None, max_length=200, description="page title; default: scenario's")
    description: str = ""
    run: RunPage
    compare: ComparePage
    report: RunPage | None = Field(None, description="report panels; default: the run panels")

    @property
    def report_panels(self) -> list[RunPanel]:
        return list((self.report or self.run).panels)


@dataclass(frozen=True)
class LoadedLayout:
    layout: Layout
    located: Located

    @property
    def source(self) -> str:
        return self.located.source

    def check(self, slots: list[str] | set[str]) -> LoadedLayout:
        """Every variable a panel names must exist in the scenario (``slots``)."""
        known = set(slots)
        problems = []
        for page in ("run", "compare", "report"):
            section = getattr(self.layout, page)
            if section is None:
                continue
            for i, panel in enumerate(section.panels):
                for j, v in enumerate(panel.variables):
                    if v not in known:
                        names = ", ".join(s for s in slots if not s.startswith("rel:"))
                        problems.append(
                            self.located.error(
                                (page, "panels", i, "variables", j),
                                f"{page}.panels.{i}.variables: unknown variable {v!r} "
                                f"(this scenario has: {names})",
                            )
                        )
        if problems:
            raise ScenarioError(problems)
        return self


def layouts_dir() -> Path:
    from ..engine.registry import data_dir

    return data_dir("dashboards")


def bundled_layouts() -> dict[str, Path]:
    return {p.stem: p for p in sorted(layouts_dir().glob("*.yaml"))}


def load_layout_file(path: Path, display: str | None = None) -> LoadedLayout:
    located = load_yaml_file(path, display)
    if not isinstance(located.data, dict):
        raise ScenarioError([located.error((), "a layout file must be a mapping of keys")])
    try:
        layout = Layout.model_validate(located.data)
    except ValidationError as err:
        problems = [
            p.replace("`summitsim schema` lists every key", "docs/dashboard.md lists every key")
            for p in _pydantic_problems(err, located)
        ]
        raise ScenarioError(problems) from None
    return LoadedLayout(layout=layout, located=located)


def load_layout(ref: str | Path | None) -> LoadedLayout:
    """A bundled layout id (``default``) or a path to a layout file; None means ``default``."""
    text = "default" if ref is None else str(ref)
    found = bundled_layouts().get(text)
    if found is not None:
        return load_layout_file(found, f"dashboards/{found.name}")
    path = Path(text)
    if not path.is_file():
        ids = ", ".join(bundled_layouts()) or "(none)"
        raise ScenarioError([f"{text}: no such layout file or bundled layout id (bundled: {ids})"])
    return load_layout_file(path, text)


def layout_for(spec_dashboard: str | None, override: str | Path | None = None) -> LoadedLayout:
    """The layout to use: an explicit one, else the one the scenario names, else ``default``."""
    return load_layout(override if override is not None else spec_dashboard)
