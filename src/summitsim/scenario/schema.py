"""The pydantic schema of a scenario file. Structure and types only; names and expressions
are checked in :mod:`summitsim.scenario.validate`."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$", description="a snake_case name")]
ExprText = Annotated[
    str | float | int | bool,
    Field(description="an expression in the scenario language, or a literal"),
]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Label = Annotated[
    str,
    Field(
        min_length=1,
        max_length=60,
        description="a short display name for charts and tables (default: made from the id)",
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    id: Ident
    title: str
    publisher: str | None = None
    date: str | None = None
    url: str | None = None
    notes: str | None = Field(None, description="which facts the scenario takes from this source")


class Meta(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    title: str
    summary: str
    turn_length: Literal["day", "week", "month", "quarter", "year"] = "month"
    start_date: str = Field(description="ISO date of turn 1, e.g. 2024-06-01")
    turns: int = Field(ge=1, le=240)
    sources: list[Source] = Field(min_length=1)
    belief_strength: Finite = Field(
        4.0, gt=0, description="weight of the prior when observers update red-line credibility"
    )
    dashboard: str | None = Field(None, description="id of a dashboards/*.yaml layout")
    tags: list[Ident] = Field(
        default_factory=list, description="labels for `summitsim scenarios`, e.g. games, history"
    )


class Parameter(_Strict):
    description: str
    label: Label | None = None
    unit: str = Field("", max_length=40, description="e.g. probability, index")
    default: bool | int | Finite | str
    range: tuple[Finite, Finite] | None = None
    choices: list[bool | int | Finite | str] | None = None
    integer: bool = False

    @field_validator("range")
    @classmethod
    def _ordered(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not v[0] < v[1]:
            raise ValueError(f"impossible range [{v[0]}, {v[1]}]: lo must be below hi")
        return v

    @model_validator(mode="after")
    def _check(self) -> Parameter:
        if isinstance(self.default, bool):
            if self.range is not None:
                raise ValueError("a true/false parameter takes no range")
            return self
        if self.range is not None and self.choices is not None:
            raise ValueError("give either range or choices, not both")
        if self.range is None and self.choices is None:
            raise ValueError("a parameter needs a range [lo, hi] or a list of choices")
        if self.range is not None:
            lo, hi = self.range
            if isinstance(self.default, str) or not lo <= self.default <= hi:
                raise ValueError(f"default {self.default!r} is outside range [{lo}, {hi}]")
        if self.choices is not None and self.default not in self.choices:
            raise ValueError(f"default {self.default!r} is not one of the choices")
        return self

    @property
    def kind(self) -> Literal["bool", "int", "float", "choice"]:
        if isinstance(self.default, bool):
            return "bool"
        if self.choices is not None:
            return "choice"
        if self.integer:
            return "int"
        return "float"


class Variable(_Strict):
    initial: Finite
    bounds: tuple[Finite, Finite]
    unit: str = ""
    description: str
    label: Label | None = None

    @field_validator("bounds")
    @classmethod
    def _ordered(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not v[0] < v[1]:
            raise ValueError(f"impossible bounds [{v[0]}, {v[1]}]: lower must be below upper")
        return v

    @model_validator(mode="after")
    def _check(self) -> Variable:
        lo, hi = self.bounds
        if not lo <= self.initial <= hi:
            raise ValueError(f"initial value {self.initial} is outside bounds [{lo}, {hi}]")
        return self


class Relation(_Strict):
    between: tuple[Ident, Ident]
    initial: Finite = Field(ge=-1, le=1)
    description: str = ""
    label: Label | None = None


class Interest(_Strict):
    kind: Literal["raise", "lower", "above", "below", "near"]
    variable: Ident | None = None
    relation: tuple[Ident, Ident] | None = None
    weight: ExprText = Field(description="importance; a number or an expression over parameters")
    threshold: ExprText | None = Field(None, description="for above/below; may use parameters")
    target: ExprText | None = Field(None, description="for near; may use parameters")
    description: str
    private: bool = False

    @model_validator(mode="after")
    def _check(self) -> Interest:
        if (self.variable is None) == (self.relation is None):
            raise ValueError("an interest names exactly one of: variable, relation")
        if self.kind in ("above", "below") and self.threshold is None:
            raise ValueError(f"a '{self.kind}' interest needs a threshold")
        if self.kind == "near" and self.target is None:
            raise ValueError("a 'near' interest needs a target")
        return self


class Profile(_Strict):
    """How an AI actor decides (docs/scenarios.md, "How AI actors decide")."""

    rationality: Finite | Literal["inf"] = Field(
        8.0,
        description=(
            "quantal-response sharpness on a scale-free unit (the gap between the actor's best "
            "and worst option this turn is 1); 'inf' plays the equilibrium with no noise"
        ),
    )
    depth: Literal["equilibrium"] | Annotated[int, Field(ge=0, le=4)] = Field(
        "equilibrium",
        description=(
            "how the actor models the others' simultaneous choices this turn: 'equilibrium' "
            "(logit quantal-response equilibrium) or a level k (0: the others hold; k: the "
            "others play level k-1)"
        ),
    )
    horizon: int | None = Field(
        None, ge=1, le=2, description="turns looked ahead: 1 this turn; 2 adds next turn's replies"
    )
    discount: Finite = Field(0.9, gt=0, le=1, description="weight of the next turn (horizon 2)")
    foresight: int | None = Field(
        None, ge=1, le=2, description="deprecated: read as horizon (foresight 2 = horizon 2)"
    )

    @field_validator("rationality")
    @classmethod
    def _positive(cls, v: float | str) -> float | str:
        if isinstance(v, float) and v <= 0:
            raise ValueError("rationality must be above 0")
        return v

    @model_validator(mode="after")
    def _one_horizon(self) -> Profile:
        if self.foresight is not None and self.horizon is not None:
            raise ValueError("give horizon, not both horizon and the older foresight")
        return self

    @property
    def beta(self) -> float:
        return math.inf if self.rationality == "inf" else float(self.rationality)

    @property
    def turns_ahead(self) -> int:
        """The horizon, with the older ``foresight`` read as the same number."""
        return self.horizon or self.foresight or 1


class Briefing(_Strict):
    public: str
    private: str = ""


class Actor(_Strict):
    name: str
    description: str
    interests: list[Interest] = Field(min_length=1)
    profile: Profile = Profile()
    moves_per_turn: int = Field(
        1, ge=1, le=4, description="how many moves it may take in one turn (one per channel)"
    )
    policy: Literal["ai", "random", "scripted"] = "ai"
    script: dict[int, Ident | list[Ident]] = Field(
        default_factory=dict, description="turn -> move (or moves), for scripted actors"
    )

    briefing: Briefing

    @property
    def script_moves(self) -> dict[int, list[str]]:
        return {t: [m] if isinstance(m, str) else list(m) for t, m in self.script.items()}


class Effect(_Strict):
    variable: Ident | None = None
    relation: tuple[Ident, Ident] | None = None
    delta: ExprText | None = Field(None, description="a fixed change")
    dist: Literal["normal", "uniform", "bernoulli"] | None = None
    mean: ExprText | None = None
    sd: ExprText | None = None
    low: ExprText | None = None
    high: ExprText | None = None
    p: ExprText | None = Field(None, description="bernoulli: chance that `amount` applies")
    amount: ExprText | None = None
    delay: int = Field(0, ge=0, le=120, description="turns before the change lands")

    @model_validator(mode="after")
    def _check(self) -> Effect:
        if (self.variable is None) == (self.relation is None):
            raise ValueError("an effect names exactly one of: variable, relation")
        need = {
            None: ("delta",),
            "normal": ("mean", "sd"),
            "uniform": ("low", "high"),
            "bernoulli": ("p", "amount"),
        }[self.dist]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            kind = self.dist or "fixed"
            raise ValueError(f"a {kind} effect needs: {', '.join(missing)}")
        extra = [
            k
            for k in ("delta", "mean", "sd", "low", "high", "p", "amount")
            if k not in need and getattr(self, k) is not None
        ]
        if extra:
            raise ValueError(f"fields {', '.join(extra)} do not apply to this effect")
        return self


class Signal(_Strict):
    """What a signalling move says. Red-line signals (``declare``, ``reaffirm``, ``threaten``,
    ``blur``, ``withdraw``) name one of the sender's red lines; ``promise`` (to take ``move``
    within ``within`` turns) and ``reassure`` (not to take it for ``within`` turns) name one
    of the sender's moves."""

    kind: Literal["declare", "reaffirm", "threaten", "blur", "withdraw", "promise", "reassure"]
    red_line: Ident | None = None
    move: Ident | None = None
    within: int = Field(3, ge=1, le=60, description="promise/reassure: turns it covers")
    strength: Finite = Field(
        1.0, ge=0, le=10, description="how much a fully reliable sender's word moves beliefs"
    )
    stake: ExprText = Field(
        0,
        description=(
            "reputation staked: if the sender is shown to have bluffed, every observer's belief "
            "in its red lines falls by this many observations"
        ),
    )

    @model_validator(mode="after")
    def _subject(self) -> Signal:
        about_line = self.kind in ("declare", "reaffirm", "threaten", "blur", "withdraw")
        if about_line and (self.red_line is None or self.move is not None):
            raise ValueError(f"a '{self.kind}' signal names a red_line (and no move)")
        if not about_line and (self.move is None or self.red_line is not None):
            raise ValueError(f"a '{self.kind}' signal names a move (and no red_line)")
        return self


class Move(_Strict):
    name: str
    description: str
    by: Ident | list[Ident] = Field(description="the actor (or actors) who may take it")
    when: ExprText = Field(True, description="precondition")
    effects: list[Effect] = Field(default_factory=list)
    cost: ExprText = Field(0, description="utility cost to the mover")
    consent: Ident | None = Field(None, description="a partner who must agree")
    partner_cost: ExprText = Field(0, description="utility cost to the consenting partner")
    max_uses: int | None = Field(None, ge=1)
    cooldown: int = Field(0, ge=0, description="turns to wait before taking it again")
    escalation: Finite = Field(0, description="ladder score, e.g. -2/0/4/12/28/60")
    channel: Ident | None = Field(
        None,
        description="e.g. diplomatic, military, economic: at most one move per channel a turn",
    )
    covert: bool = Field(
        False, description="its effects happen, but others learn of it only when it is detected"
    )
    detection: ExprText = Field(
        0.0,
        description=(
            "covert moves: the chance, each turn from the one it is taken, that it is detected "
            "(may read the state, so other moves can raise it)"
        ),
    )
    on_detection: list[Effect] = Field(
        default_factory=list, description="covert moves: effects when it is detected"
    )
    signal: Signal | None = Field(
        None, description="a move that changes what others believe (see docs/scenarios.md)"
    )
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _covert_fields(self) -> Move:
        if not self.covert and (self.on_detection or self.detection not in (0, 0.0)):
            raise ValueError("detection and on_detection apply to covert moves only")
        return self

    @property
    def actors(self) -> list[str]:
        return [self.by] if isinstance(self.by, str) else list(self.by)


class Response(_Strict):
    moves: list[Ident] = Field(default_factory=list)
    effects: list[Effect] = Field(default_factory=list)
    description: str


class RedLine(_Strict):
    owner: Ident
    description: str
    label: Label | None = None
    trigger: ExprText = Field(description="condition that crosses the red line")
    warning: ExprText | None = Field(None, description="condition that means it is approached")
    response: Response
    credibility: ExprText = Field(description="probability the owner follows through")
    public: bool = True
    once: bool = True


class Inject(_Strict):
    """An exogenous change: an ``event`` (news, reported on the turn it happens) or ``drift``
    (a background tendency, e.g. attrition or fading attention, applied on every turn it is
    due and recorded apart from events: per turn under ``drift`` and once per run in the
    result's summary, not as an event)."""

    name: str
    description: str
    kind: Literal["event", "drift"] = Field(
        "event", description="event: news on the turn it happens; drift: background change"
    )
    at_turn: int | None = Field(None, ge=1)
    when: ExprText | None = None
    probability: ExprText = 1.0
    effects: list[Effect] = Field(min_length=1)
    once: bool = True

    @model_validator(mode="after")
    def _check(self) -> Inject:
        if (self.at_turn is None) == (self.when is None):
            raise ValueError("an inject needs exactly one of: at_turn, when")
        return self


class Outcome(_Strict):
    description: str
    expr: ExprText
    type: Literal["bool", "number"]
    label: Label | None = None
    unit: str = Field("", max_length=40, description="for a number, e.g. index")


class Obligation(_Strict):
    """A commitment an agreed option creates: ``by`` keeps it, and its ``flows`` land each
    turn while it is kept. Breaking it is a move (``break_<id>``) that ``by`` may take on any
    later turn: it stops the flows, costs ``break_cost``, applies ``on_break`` and counts as
    broken word in ``by``'s record (its signals and promises weigh less afterwards)."""

    id: Ident
    by: Ident
    description: str
    flows: list[Effect] = Field(
        default_factory=list, description="fixed changes each turn while it is kept"
    )
    break_cost: ExprText = Field(0, description="utility cost to `by` of breaking it")
    on_break: list[Effect] = Field(default_factory=list, description="effects of breaking it")
    escalation: Finite = Field(0, description="ladder score of the breaking move")


class DealOption(_Strict):
    """One level of an issue, with what it does when agreed."""

    id: Ident
    name: str
    description: str = ""
    effects: list[Effect] = Field(default_factory=list, description="changes at signing")
    flows: list[Effect] = Field(
        default_factory=list, description="fixed changes each turn while the deal stands"
    )
    obligations: list[Obligation] = Field(default_factory=list)


class Issue(_Strict):
    """One term under negotiation: ordered ``options``, or a numeric ``range`` cut into
    ``steps`` levels whose ``effects``, ``flows`` and obligation flows are per unit."""

    name: str
    description: str = ""
    options: list[DealOption] | None = Field(None, min_length=2)
    range: tuple[Finite, Finite] | None = None
    steps: int = Field(5, ge=2, le=21, description="range: how many levels, ends included")
    unit: str = Field("", max_length=40)
    effects: list[Effect] = Field(default_factory=list, description="range: per unit at signing")
    flows: list[Effect] = Field(default_factory=list, description="range: per unit per turn")
    obligations: list[Obligation] = Field(default_factory=list, description="range: flows per unit")

    @model_validator(mode="after")
    def _one_kind(self) -> Issue:
        if (self.options is None) == (self.range is None):
            raise ValueError("an issue has either options or a range")
        if self.options is not None and (self.effects or self.flows or self.obligations):
            raise ValueError("with options, put effects, flows and obligations on each option")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"impossible range [{self.range[0]}, {self.range[1]}]")
        return self


class Deal(_Strict):
    """A negotiated package between ``parties``: a bounded alternating-offers negotiation
    held at the start of a turn (docs/scenarios.md, "Deals")."""

    name: str
    description: str
    parties: list[Ident] = Field(min_length=2, description="the first opens")
    at_turn: int | None = Field(None, ge=1, description="the turn it is negotiated")
    when: ExprText | None = Field(None, description="or: negotiated on turns this holds")
    attempts: int = Field(1, ge=1, le=12, description="how many negotiations may be held")
    rounds: int = Field(6, ge=1, le=30, description="at most this many offers")
    discount: Finite = Field(
        0.9, gt=0, le=1, description="a package agreed one round later is worth this much"
    )
    walk_away: dict[Ident, ExprText] = Field(
        default_factory=dict,
        description="per party: the utility of no deal (default 0, the status quo)",
    )
    issues: dict[Ident, Issue] = Field(min_length=1)

    @model_validator(mode="after")
    def _when(self) -> Deal:
        if (self.at_turn is None) == (self.when is None):
            raise ValueError("a deal needs exactly one of: at_turn, when")
        if len(set(self.parties)) != len(self.parties):
            raise ValueError("a party is named twice")
        return self


class Scenario(_Strict):
    """A whole scenario file."""

    meta: Meta
    parameters: dict[Ident, Parameter] = Field(default_factory=dict)
    variables: dict[Ident, Variable] = Field(min_length=1)
    relations: list[Relation] = Field(default_factory=list)
    actors: dict[Ident, Actor] = Field(min_length=1)
    moves: dict[Ident, Move] = Field(min_length=1)
    red_lines: dict[Ident, RedLine] = Field(default_factory=dict)
    injects: dict[Ident, Inject] = Field(default_factory=dict)
    outcomes: dict[Ident, Outcome] = Field(min_length=1)
    deals: dict[Ident, Deal] = Field(
        default_factory=dict, description="negotiated packages (docs/scenarios.md, Deals)"
    )

    def obligations(self) -> list[Obligation]:
        """Every obligation the deals can create, in the order their ``break_<id>`` moves
        follow the declared moves (deal, issue, then option)."""
        out: list[Obligation] = []
        for deal in self.deals.values():
            for issue in deal.issues.values():
                if issue.options is None:
                    out.extend(issue.obligations)
                else:
                    out.extend(ob for o in issue.options for ob in o.obligations)
        return out


def json_schema() -> dict[str, Any]:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "summitsim scenario"
    return schema
