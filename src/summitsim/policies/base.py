"""What every policy shares: the decision it returns and the rationale behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..engine.compiled import HOLD, Compiled
from ..engine.observation import Option, option_label

if TYPE_CHECKING:
    from ..engine.observation import Observation


@dataclass(frozen=True, slots=True)
class Anticipated:
    """A red line an actor expected one of its alternatives to cross."""

    alternative: Option
    red_line: int
    credibility: float  # the actor's belief that the owner follows through
    worth: float  # utility of the expected response to the actor (usually negative)
    chance: float = 1.0  # that the option crosses it (a covert move: that it is detected)

    @property
    def risk(self) -> float:
        return self.chance * self.credibility * self.worth


@dataclass(slots=True)
class Rationale:
    """Why an actor chose what it chose. Numbers are kept; words are built on demand."""

    actor: int
    alternatives: list[Option]  # the options (sets of action indices), hold () first
    eu: list[float]  # expected utility, red lines included
    eu_plain: list[float]  # expected utility ignoring red lines
    probs: list[float]
    chosen: Option
    anticipated: list[Anticipated] = field(default_factory=list)
    expected_refusal: list[int] = field(default_factory=list)
    note: str = ""
    # what it expected each other actor to do: (actor index, option, probability), most
    # likely first for each actor
    expected: list[tuple[int, Option, float]] = field(default_factory=list)
    concept: str = ""  # e.g. "logit QRE", "level-2"
    explain: Callable[[], list[tuple[str, float]]] | None = None  # computes `terms` on demand
    _terms: list[tuple[str, float]] | None = None

    @property
    def terms(self) -> list[tuple[str, float]]:
        """The deciding interest terms: what the choice gains most on, compared with holding."""
        if self._terms is None:
            self._terms = self.explain() if self.explain is not None else []
        return self._terms

    def held_back(self) -> tuple[Option, Anticipated] | None:
        """The alternative that red lines talked the actor out of, if any."""
        best_plain = max(range(len(self.alternatives)), key=lambda k: self.eu_plain[k])
        alt = self.alternatives[best_plain]
        if alt == self.chosen:
            return None
        deterrents = [a for a in self.anticipated if a.alternative == alt]
        if not deterrents:
            return None
        return alt, min(deterrents, key=lambda a: a.risk)


@dataclass(slots=True)
class Decision:
    option: Option  # the moves taken this turn; () to hold
    by: str  # ai | script | human | random
    rationale: Rationale | None = None
    justification: str = ""  # a human player's own words
    best: bool | None = None  # an AI's choice: was it its best option? (None: not an AI)

    @property
    def action(self) -> int:
        """The first move taken (HOLD for none)."""
        return self.option[0] if self.option else HOLD


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    """What a policy is, in the spirit of Axelrod's classifiers."""

    stochastic: bool  # draws from the observation's random source
    uses_private_information: bool  # reads more than the observation (e.g. others' minds)
    picklable: bool = True
    description: str = ""


class Policy(Protocol):
    """Decides for one actor from its observation alone, and answers requests for consent."""

    by: str
    info: PolicyInfo

    def decide(self, obs: Observation) -> Decision: ...

    def consent(self, obs: Observation, action: int) -> bool: ...


def hold_decision(by: str) -> Decision:
    return Decision(option=(), by=by)


def describe_action(c: Compiled, index: int | Option) -> str:
    """A move's (or a set of moves') name as it reads mid-sentence ("ask the UN for aid")."""
    if isinstance(index, tuple):
        if not index:
            return "hold"
        return " and ".join(describe_action(c, k) for k in index)
    if index == HOLD:
        return "hold"
    name = c.actions[index].name
    return name if name[1:2].isupper() else name[:1].lower() + name[1:]


def as_dict(c: Compiled, r: Rationale) -> dict[str, Any]:
    """The JSON form of a rationale."""
    return {
        "alternatives": [
            {
                "move": option_label(c, a),
                "expected_utility": round(r.eu[k], 6),
                "without_red_lines": round(r.eu_plain[k], 6),
                "probability": round(r.probs[k], 6),
            }
            for k, a in enumerate(r.alternatives)
        ],
        "chosen": option_label(c, r.chosen),
        "concept": r.concept,
        "expected_of_others": [
            {"actor": c.actors[j].id, "move": option_label(c, o), "probability": round(p, 6)}
            for j, o, p in r.expected
        ],
        "deciding_terms": [{"interest": d, "value": round(v, 6)} for d, v in r.terms],
        "anticipated_red_lines": [
            {
                "red_line": c.red_lines[a.red_line].id,
                "owner": c.actors[c.red_lines[a.red_line].owner].id,
                "if_move": option_label(c, a.alternative),
                "credibility": round(a.credibility, 6),
                "worth": round(a.worth, 6),
            }
            for a in r.anticipated
        ],
        "expected_refusal": [c.action_label(a) for a in r.expected_refusal],
        "sentence": sentence(c, r),
    }


def possessive(name: str) -> str:
    """ "Alpha's", "United States'"."""
    return name + ("'" if name.endswith("s") else "'s")


def sentence(c: Compiled, r: Rationale) -> str:
    """One plain sentence that explains the choice."""
    if r.note:
        return r.note
    return _reason(c, r) + _expectation(c, r) + "."


def _reason(c: Compiled, r: Rationale) -> str:
    name = c.actors[r.actor].name
    held = r.held_back()
    if held is not None:
        alt, a = held
        rl = c.red_lines[a.red_line]
        owner = c.actors[rl.owner].name
        did = "" if not r.chosen else f" chose to {describe_action(c, r.chosen)} and"
        deterred = tuple(k for k in alt if k not in r.chosen) or alt
        return (
            f"{name}{did} held back from the move to {describe_action(c, deterred)}: "
            f"it expected {owner} to "
            f"{rl.response_description} (credibility {a.credibility:.2f}), "
            f"worth {a.worth:+.2f} to it"
        )
    k = r.alternatives.index(r.chosen)
    best = max(range(len(r.eu)), key=lambda j: r.eu[j])
    if r.eu[k] < r.eu[best] - 1e-9:
        better = describe_action(c, r.alternatives[best])
        return (
            f"{name} chose to {describe_action(c, r.chosen)}, although the option to {better} "
            f"looked {'slightly ' if r.eu[best] - r.eu[k] < 0.25 * (max(r.eu) - min(r.eu)) else ''}"
            f"better to it: like a real government, it does not always take the option that "
            f"looks best, and this one had about a {r.probs[k]:.0%} chance"
        )
    if not r.chosen:
        return f"{name} held: no move seemed worth its cost"
    move = describe_action(c, r.chosen)
    risks = [a for a in r.anticipated if a.alternative == r.chosen]
    why = " and ".join(d for d, v in r.terms[:2]) or "the balance of all its interests"
    if risks:
        a = risks[0]
        owner = possessive(c.actors[c.red_lines[a.red_line].owner].name)
        return (
            f"{name} chose to {move} despite {owner} red line: it judged the gain for {why} "
            f"worth the risk that the red line is enforced (a {a.credibility:.0%} chance)"
        )
    return f"{name} chose to {move}, mainly for {why}"


def _expectation(c: Compiled, r: Rationale) -> str:
    """ ", expecting Beta to open its ports (about a 60% chance)": the most likely
    move of the other actor that mattered most to the choice, if one was expected."""
    for j, option, p in r.expected:
        if option and p >= 0.25:
            return (
                f", expecting {c.actors[j].name} to {describe_action(c, option)} "
                f"({'almost certainly' if p >= 0.995 else f'about a {p:.0%} chance'})"
            )
    return ""
