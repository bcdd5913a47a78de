"""A game in which people play some actors: its record, the replay that rebuilds its state,
and what a player may see and do.

A game is its scenario, parameters, seed and the list of closed turns (each with the
people's moves, their replies in negotiations and the instructor's events). The state is
never stored: it follows by replaying those inputs, which also gives undo and the
after-action report for free. The open turn's negotiations follow the same way, as far as
the replies given so far take them (:func:`open_talks`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import random
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.compiled import HOLD, CDeal, Compiled
from ..engine.deals import Reply, Talks, package_from_terms
from ..engine.model import SummitModel
from ..engine.observation import Observation, Option
from ..engine.registry import get_compiled, load_scenario
from ..errors import UserError
from ..policies.ai import AIPolicy, would_consent
from ..policies.base import Decision, PolicyInfo, Rationale, sentence
from ..policies.negotiate import Negotiator
from ..text import has_unsafe

if TYPE_CHECKING:
    from ..scenario import LoadedScenario

MAX_TEXT = 500  # characters in a written justification
MISSING_MODES = ("ai", "hold")
REPLY_KINDS = ("accept", "offer", "walk")


class GameError(UserError):
    """A request the rules of the game do not allow (shown to the player as one line)."""


# --------------------------------------------------------------------------------------
# What the people decided
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Move:
    """One person's (or a missing team's stand-in's) decision for one turn.

    ``move`` is a move id, or ``"hold"``; ``by`` is ``human`` for a submitted move, ``ai``
    when the AI played a missing team, ``hold`` when a missing team held."""

    actor: str
    move: str
    justification: str = ""
    by: str = "human"

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "move": self.move,
            "justification": self.justification,
            "by": self.by,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Move:
        return cls(str(d["actor"]), str(d["move"]), str(d.get("justification", "")), str(d["by"]))


@dataclass(frozen=True)
class Answer:
    """A team's reply in a negotiation, as stored: to deal ``deal``, its ``seq``-th reply in
    that negotiation (0-based), of ``kind`` accept, offer (``terms``: a level id per issue)
    or walk. ``by`` is ``human``, or ``deadline`` when the instructor's deadline passed
    before the team replied."""

    deal: str
    actor: str
    seq: int
    kind: str
    terms: tuple[str, ...] = ()
    by: str = "human"

    def to_dict(self) -> dict[str, Any]:
        return {
            "deal": self.deal,
            "actor": self.actor,
            "seq": self.seq,
            "kind": self.kind,
            "terms": list(self.terms),
            "by": self.by,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Answer:
        kind = str(d["kind"])
        if kind not in REPLY_KINDS:
            raise ValueError(f"unknown reply kind {kind!r}")
        terms = tuple(str(t) for t in d.get("terms") or ())
        return cls(str(d["deal"]), str(d["actor"]), int(d["seq"]), kind, terms, str(d["by"]))

    def reply(self, deal: CDeal) -> Reply:
        """The engine's reply this stands for."""
        why = "the deadline passed with no reply" if self.by == "deadline" else ""
        if self.kind == "offer":
            return Reply("offer", package_from_terms(deal, self.terms), why)
        return Reply("accept" if self.kind == "accept" else "walk", reason=why)


@dataclass
class ClosedTurn:
    turn: int
    moves: dict[str, Move]  # actor id -> move, one per human actor
    events: list[dict[str, Any]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)  # the teams' negotiation replies
    missing: str = "ai"  # how a reply still due at the close was made: the AI's, or walk


def option_of(c: Compiled, actor: str, move: str) -> Option:
    """The option a stored move names: ``hold``, a move id, or move ids joined by ``+``."""
    if move == "hold":
        return ()
    return tuple(sorted(action_index(c, actor, m) for m in move.split("+")))


def action_index(c: Compiled, actor: str, move: str) -> int:
    """The action index of ``move`` for ``actor`` (``hold`` is HOLD); GameError if none."""
    if move == "hold":
        return HOLD
    i = c.actor_index.get(actor)
    if i is None:
        raise GameError(f"unknown actor {actor!r}")
    for k in c.actors[i].actions:
        if c.actions[k].move == move:
            return k
    raise GameError(f"{c.actors[i].name} has no move {move!r}")


def clean_text(text: Any, limit: int = MAX_TEXT) -> str:
    """A justification as it will be stored: a string of printable text within the limit."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise GameError("the justification must be text")
    text = text.replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise GameError(f"the justification is too long ({len(text)} characters; at most {limit})")
    if has_unsafe(text):
        raise GameError(
            "the justification contains characters that are not allowed "
            "(control, bidirectional-override or invalid characters)"
        )
    return text


# --------------------------------------------------------------------------------------
# Policies used when replaying a game
# --------------------------------------------------------------------------------------
class ReplayPolicy:
    """Plays a human actor from its stored moves; for a turn a team missed, the AI's move or
    hold, as stored. With ``advise`` it also records, at each turn, what the AI would have
    chosen in the player's place, drawing from its own random generator so the run's random
    stream is untouched."""

    by = "human"
    info = PolicyInfo(stochastic=False, uses_private_information=False, description="a team")

    def __init__(
        self,
        moves: Mapping[int, Move],
        advise: dict[int, Decision] | None = None,
        advice_seed: int = 0,
        bargainer: Callable[[Observation, Talks], Reply] | None = None,
    ):
        self.moves = moves
        self.advice = advise
        self.advice_seed = advice_seed
        self.bargainer = bargainer
        self._ai = AIPolicy()

    def decide(self, obs: Observation) -> Decision:
        turn, actor = obs.turn, obs.actor
        m = self.moves.get(turn)
        if m is not None and m.by == "ai":
            # the AI played for the team: what it would have chosen is what it chose
            d = self._ai.decide(obs)
            if self.advice is not None:
                self.advice[turn] = dataclasses.replace(d)
            if d.rationale is not None:
                why = sentence(obs.compiled, d.rationale)
                note = f"(The team did not submit; the AI played.) {why}"
                d = dataclasses.replace(d, rationale=dataclasses.replace(d.rationale, note=note))
            return d
        if self.advice is not None:
            self.advice[turn] = advise(obs, self.advice_seed)
        if m is None or m.by == "hold":
            note = f"{actor.name} held: the team did not submit a move this turn."
            return _held("hold" if m is not None else "human", obs, note)
        option = option_of(obs.compiled, actor.id, m.move)
        if option not in obs.options:
            names = " and ".join(obs.compiled.actions[k].name for k in option)
            note = f"{actor.name} held: {names} was no longer possible."
            return _held("human", obs, note, m.justification)
        return Decision(option=option, by="human", justification=m.justification)

    def consent(self, obs: Observation, action: int) -> bool:
        return would_consent(obs.view, obs.actor, action)

    def bargain(self, obs: Observation, talks: Talks) -> Reply:
        """The team's stored replies (:class:`StoredAnswers`); without them, the AI's."""
        if self.bargainer is not None:
            return self.bargainer(obs, talks)
        return Negotiator().bargain(obs, talks)


def _held(by: str, obs: Observation, note: str, justification: str = "") -> Decision:
    r = Rationale(obs.actor.index, [()], [0.0], [0.0], [1.0], (), note=note)
    return Decision(option=(), by=by, rationale=r, justification=justification)


def advise(obs: Observation, seed: int = 0) -> Decision:
    """What the AI would choose in ``obs``'s place. It draws from a generator of its own, so
    the run is not perturbed."""
    own = random.Random(f"advice:{seed}:{obs.turn}:{obs.actor.id}")
    return AIPolicy().decide(dataclasses.replace(obs, rng=own))


def allowed_next(model: SummitModel, actor: int) -> list[int]:
    """The moves ``actor`` may take on the next turn (from its observation; the state is not
    touched)."""
    return list(model.observe(actor).moves)


# --------------------------------------------------------------------------------------
# The game definition and its replay
# --------------------------------------------------------------------------------------
@dataclass
class GameDef:
    scenario: str  # a bundled id or a path
    sha256: str
    params: dict[str, Any]
    seed: int
    turns: int
    humans: list[str]  # actor ids played by people
    text: str = ""  # the scenario file as it was when the game began

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "sha256": self.sha256,
            "params": dict(self.params),
            "seed": self.seed,
            "turns": self.turns,
            "humans": list(self.humans),
            "scenario_text": self.text,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GameDef:
        return cls(
            str(d["scenario"]),
            str(d["sha256"]),
            dict(d["params"]),
            int(d["seed"]),
            int(d["turns"]),
            [str(a) for a in d["humans"]],
            str(d.get("scenario_text", "")),
        )

    def loaded(self) -> LoadedScenario:
        """The scenario exactly as it was when the game began: the file if unchanged, else
        the copy kept in the game record."""
        from ..scenario import ScenarioError

        try:
            loaded = load_scenario(self.scenario)
            if loaded.sha256 == self.sha256:
                return loaded
        except ScenarioError:
            pass
        if self.text and hashlib.sha256(self.text.encode("utf-8")).hexdigest() == self.sha256:
            return _from_text(self.text, self.scenario)
        raise GameError(
            f"the scenario {self.scenario} has changed since the game was created and the "
            "game record has no copy of the original"
        )

    def compiled(self) -> Compiled:
        return get_compiled(self.loaded(), self.params)


@functools.lru_cache(maxsize=16)
def _from_text(text: str, ref: str) -> LoadedScenario:
    from ..scenario.validate import load_text

    return load_text(text, f"{ref} (as kept in the game record)")


def scenario_text(ref: str) -> str:
    """The text of a bundled scenario (by id) or a scenario file."""
    from ..engine.registry import bundled

    path = bundled().get(ref) or Path(ref)
    return path.read_bytes().decode("utf-8")


def new_def(
    scenario: str,
    humans: list[str],
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
    turns: int | None = None,
) -> GameDef:
    """Check a new game's settings and fix them (parameters as the scenario types them)."""
    loaded = load_scenario(scenario)
    c = get_compiled(loaded, dict(params or {}))
    if not humans:
        raise GameError("a game needs at least one actor played by people")
    for a in humans:
        if a not in c.actor_index:
            ids = ", ".join(x.id for x in c.actors)
            raise GameError(f"unknown actor {a!r} (actors: {ids})")
    if len(set(humans)) != len(humans):
        raise GameError("each actor can be played by one team only")
    n = c.turns if turns is None else int(turns)
    if not 1 <= n <= 240:
        raise GameError("turns must be between 1 and 240")
    given = {k: c.params[k] for k in (params or {})}
    text = scenario_text(scenario)
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != loaded.sha256:
        text = ""  # changed on disk meanwhile: keep no copy rather than a wrong one
    return GameDef(scenario, loaded.sha256, given, int(seed), n, list(humans), text)


def replay(
    gdef: GameDef,
    closed: list[ClosedTurn],
    advice: dict[str, dict[int, Decision]] | None = None,
    open_answers: Iterable[Answer] = (),
) -> SummitModel:
    """The model after the closed turns, rebuilt from the game's inputs (``open_answers``:
    the teams' negotiation replies so far in the open turn, for :func:`open_talks`)."""
    c = gdef.compiled()
    by_actor: dict[str, dict[int, Move]] = {a: {} for a in gdef.humans}
    answers: dict[str, list[tuple[int, Answer]]] = {a: [] for a in gdef.humans}
    events: list[Mapping[str, Any]] = []
    for ct in closed:
        for actor, m in ct.moves.items():
            by_actor.setdefault(actor, {})[ct.turn] = m
        answers_of(answers, ct.turn, ct.answers)
        events.extend({**e, "turn": ct.turn} for e in ct.events)
    answers_of(answers, len(closed) + 1, open_answers)
    missing = {ct.turn: ct.missing for ct in closed}
    policies = {}
    for a in gdef.humans:
        adv = None
        if advice is not None:
            adv = advice.setdefault(a, {})
        talks = StoredAnswers(answers[a], missing)
        policies[a] = ReplayPolicy(by_actor[a], adv, gdef.seed, talks)
    model = SummitModel(
        c, seed=gdef.seed, turns=gdef.turns, policies=policies, collect=False, events=events
    )
    for _ in closed:
        if not model.running:
            raise GameError("the game record has more turns than the game")
        model.step()
    return model


def answers_of(
    into: dict[str, list[tuple[int, Answer]]], turn: int, answers: Iterable[Answer]
) -> None:
    for ans in answers:
        into.setdefault(ans.actor, []).append((turn, ans))


# --------------------------------------------------------------------------------------
# Negotiations
# --------------------------------------------------------------------------------------
class NeedsReply(Exception):
    """A team's reply is due in a negotiation of the open turn: ``obs`` and ``talks`` are
    what it replies to; ``seq`` is which of its replies in that negotiation it is."""

    def __init__(self, obs: Observation, talks: Talks, seq: int):
        super().__init__(f"{obs.actor.name}'s reply is due in {talks.deal.name}")
        self.obs, self.talks, self.seq = obs, talks, seq

    @property
    def actor(self) -> str:
        return self.obs.actor.id

    @property
    def talks_parties(self) -> list[str]:
        c = self.obs.compiled
        return [c.actors[p].id for p in self.talks.deal.parties]


Ask = Callable[[Observation, Talks, int], Answer]


class StoredAnswers:
    """A team's side of its negotiations in a replay (a ``bargainer``): its stored answers.
    Where none is stored: on a closed turn, as the turn was closed (``missing``: the AI
    replies for the team, or it walks away); on the open turn, ``ask`` (the terminal asks
    the player), else :class:`NeedsReply` (the web page asks the team)."""

    def __init__(
        self,
        answers: Iterable[tuple[int, Answer]],
        missing: Mapping[int, str],
        ask: Ask | None = None,
    ):
        self.answers = {(t, a.deal, a.seq): a for t, a in answers}
        self.missing = missing
        self.ask = ask
        self._asked: dict[tuple[int, int], int] = {}  # (turn, deal) -> replies asked for

    def __call__(self, obs: Observation, talks: Talks) -> Reply:
        key = (talks.turn, talks.deal.index)
        seq = self._asked[key] = self._asked.get(key, -1) + 1
        hit = self.answers.get((talks.turn, talks.deal.id, seq))
        if hit is None and talks.turn not in self.missing:
            if self.ask is None:
                raise NeedsReply(obs, talks, seq)
            hit = self.answers[(talks.turn, talks.deal.id, seq)] = self.ask(obs, talks, seq)
        if hit is not None:
            return hit.reply(talks.deal)
        if self.missing[talks.turn] == "ai":
            r = Negotiator().bargain(obs, talks)
            return dataclasses.replace(r, reason=f"(no reply: the AI answered) {r.reason}")
        return Reply("walk", reason="no reply before the turn closed")

    def of_turn(self, turn: int) -> list[Answer]:
        """The answers given in ``turn``, in the order they were given."""
        return [a for (t, _, _), a in self.answers.items() if t == turn]


@dataclass
class OpenTalks:
    """The open turn's negotiations as far as the teams' replies so far take them:
    ``negotiations`` in the order held (as the run result words them; the last unfinished
    while a reply is ``due``), and whose reply is ``due``, if anyone's."""

    turn: int
    negotiations: list[dict[str, Any]] = field(default_factory=list)
    due: NeedsReply | None = None
    # the model after the open turn's talks, once they are over (None while a reply is due)
    model: SummitModel | None = field(default=None, repr=False, compare=False)

    def party_to(self, actor: str) -> list[dict[str, Any]]:
        return [n for n in self.negotiations if actor in n["parties"]]


def open_talks(gdef: GameDef, closed: list[ClosedTurn], answers: Iterable[Answer]) -> OpenTalks:
    """The open turn's negotiations: the closed turns replayed, then the open turn's talks
    held with the replies given so far, the AI answering at once, until a team's reply is
    due (nobody moves)."""
    turn = len(closed) + 1
    if not gdef.compiled().deals or turn > gdef.turns:
        return OpenTalks(turn)
    model = replay(gdef, closed, open_answers=answers)
    due = None
    try:
        model.negotiate()  # the talks at the start of the open turn, and nothing else
    except NeedsReply as exc:
        due = exc
    result = model.result()
    held = [result.negotiation_dict(n) for n in model.deals.record if n.turn == turn]
    if due is not None and held:
        held[-1]["outcome"] = "open"
    return OpenTalks(turn, held, due, model if due is None else None)


# --------------------------------------------------------------------------------------
# What a player may see
# --------------------------------------------------------------------------------------
def briefing(model: SummitModel, actor_id: str) -> dict[str, Any]:
    """Everything ``actor_id``'s team may read: its own full briefing, interests and red
    lines; other actors' public briefings and interests; the red lines of others that are
    public or have been revealed. Nothing private of another actor."""
    c = model.compiled
    spec = c.spec
    me = spec.actors[actor_id]
    mine = c.actor_index[actor_id]
    others = []
    for aid, a in spec.actors.items():
        if aid == actor_id:
            continue
        others.append(
            {
                "id": aid,
                "name": a.name,
                "description": a.description,
                "briefing": a.briefing.public,
                "interests": [i.description for i in a.interests if not i.private],
            }
        )
    own_lines, known_lines = [], []
    for k in model.observe(mine).red_lines:
        entry = {
            "id": k.id,
            "owner": c.actors[k.owner].name,
            "description": k.description,
            "response": k.response,
            "public": spec.red_lines[k.id].public,
        }
        if k.own:
            own_lines.append({**entry, "credibility": round(k.belief, 3)})
        else:
            known_lines.append({**entry, "belief": round(k.belief, 3)})
    return {
        "actor": actor_id,
        "name": me.name,
        "description": me.description,
        "public": me.briefing.public,
        "private": me.briefing.private,
        "interests": [{"description": i.description, "private": i.private} for i in me.interests],
        "red_lines": own_lines,
        "known_red_lines": known_lines,
        "others": others,
    }


def options(model: SummitModel, actor_id: str) -> list[dict[str, Any]]:
    """The moves ``actor_id`` may take on the next turn (hold first), with descriptions."""
    obs = model.observe(model.compiled.actor_index[actor_id])
    out: list[dict[str, Any]] = [
        {"move": "hold", "name": "Hold", "description": "Make no move this turn."}
    ]
    out.extend(obs.move_info(k) for k in obs.moves)
    return out


def public_state(model: SummitModel) -> list[dict[str, Any]]:
    """The state every team sees: each variable and relation with its value and meaning."""
    c = model.compiled
    spec = c.spec
    out = []
    for k, name in enumerate(c.slots):
        v = model.ctx.x[k]
        if k < c.n_vars:
            var = spec.variables[name]
            out.append(
                {
                    "name": name,
                    "value": v,
                    "unit": var.unit,
                    "description": var.description.strip(),
                    "bounds": list(var.bounds),
                }
            )
        else:
            _, a, b = name.split(":")
            out.append(
                {
                    "name": name,
                    "value": v,
                    "unit": "relation",
                    "description": f"relation between {spec.actors[a].name} and "
                    f"{spec.actors[b].name}",
                    "bounds": [-1.0, 1.0],
                }
            )
    return out


def hidden_red_lines(model: SummitModel, viewer: str) -> set[str]:
    """The red lines ``viewer`` does not know of: others' private ones not yet revealed."""
    known = {k.id for k in model.observe(model.compiled.actor_index[viewer]).red_lines}
    return {rl.id for rl in model.compiled.red_lines} - known


def redact_talks(neg: Mapping[str, Any], mine: Collection[str]) -> dict[str, Any] | None:
    """A negotiation as a team sees it: one its actor took part in, with the reasons and
    the surplus of its own side only; one between others only once signed, and then only
    its terms."""
    if any(p in mine for p in neg["parties"]):
        steps = [
            {**st, "reason": st.get("reason", "") if st["actor"] in mine else ""}
            for st in neg["steps"]
        ]
        surplus = {a: v for a, v in (neg.get("surplus") or {}).items() if a in mine}
        return {**neg, "steps": steps, "surplus": surplus}
    if neg["outcome"] == "signed":
        return {**neg, "steps": [], "surplus": {}}
    return None


def redact(
    result: dict[str, Any],
    viewer: str | Collection[str] | None,
    hidden: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A run result as a team may see it: moves and what happened, without the AI's
    rationales, other teams' justifications, other actors' covert moves not yet detected,
    others' negotiations (:func:`redact_talks`), or any trace of the ``hidden`` red lines
    (see :func:`hidden_red_lines`). The instructor (``viewer=None``) sees all; ``viewer``
    may be several actors (one person playing them all, in the terminal)."""
    if viewer is None:
        return result
    mine = {viewer} if isinstance(viewer, str) else set(viewer)
    out = dict(result)
    turns = []
    for t in result["turns"]:
        t2 = dict(t)
        acts = []
        escalation = dict(t.get("escalation") or {})
        for a in t["actions"]:
            if a.get("covert") and a.get("actor") not in mine and a.get("detected_turn") is None:
                # a covert move of another actor, not (yet) detected: no trace of it
                if a["actor"] in escalation:
                    escalation[a["actor"]] -= a.get("escalation", 0.0)
                continue
            a2 = dict(a)
            r = a.get("rationale") or {}
            if a.get("actor") in mine:
                keep = {"sentence": r.get("justification") or r.get("sentence", "")}
                if "justification" in r:
                    keep["justification"] = r["justification"]
            elif a.get("by") in ("inject", "red_line"):
                keep = {"sentence": r.get("sentence", "")}
            else:
                keep = {"sentence": ""}
            a2["rationale"] = keep
            acts.append(a2)
        t2["actions"] = acts
        if "escalation" in t:
            t2["escalation"] = escalation
        t2["red_lines"] = [r for r in t["red_lines"] if r["red_line"] not in hidden]
        if "negotiations" in t:
            seen = (redact_talks(n, mine) for n in t["negotiations"])
            t2["negotiations"] = [n for n in seen if n is not None]
        turns.append(t2)
    out["turns"] = turns
    if "summary" in result:
        summary = dict(result["summary"])
        first = summary.get("first_crossed")
        if isinstance(first, dict):
            summary["first_crossed"] = {k: v for k, v in first.items() if k not in hidden}
        out["summary"] = summary
    return out
