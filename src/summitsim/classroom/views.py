"""What a player reads, the same for the team page and the terminal: the moves on offer
(with escalation, limits, cooldowns and the red lines each would cross), what happened in a
turn and what changed, the calendar, and the advisor's advice.

Each function returns plain data or plain sentences; the web page and the terminal only lay
them out. Every id is shown by its display name (:class:`summitsim.viz.labels.Labels`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine import predict as pr
from ..engine.compiled import Compiled
from ..engine.deals import Talks, breakdown, level_value
from ..engine.observation import Observation, Option
from ..policies.base import Decision, Rationale, describe_action, possessive
from ..viz.labels import Labels, turn_start
from ..viz.negotiation import negotiation_lines, signed_entry

# ------------------------------------------------------------------------------------------
# Names and the calendar
# ------------------------------------------------------------------------------------------


_LABELS: dict[int, tuple[Compiled, Labels]] = {}


def labels(c: Compiled) -> Labels:
    """The display names of ``c``'s scenario (made once per compiled scenario)."""
    hit = _LABELS.get(id(c))
    if hit is None or hit[0] is not c:
        if len(_LABELS) > 32:
            _LABELS.clear()
        hit = _LABELS[id(c)] = (c, Labels.from_spec(c.spec))
    return hit[1]


def variable_name(c: Compiled, slot: str) -> str:
    """A variable's or relation's display name."""
    return labels(c).slot(slot)


def move_name(c: Compiled, move: str) -> str:
    """A move's name; ``a+b`` (a set of moves) as "A and B"; ``hold`` as "Hold"."""
    if move in ("", "hold"):
        return "Hold"
    return labels(c).name("option", move)


def actor_name(c: Compiled, actor: str | None) -> str:
    if actor is None or actor not in c.actor_index:
        return "Event"
    return c.actors[c.actor_index[actor]].name


def unit_of(c: Compiled, slot: str) -> str:
    """A variable's unit ("" for relations, which are scores from −1 to +1)."""
    return "" if slot.startswith("rel:") else labels(c).unit("slot", slot)


def calendar(c: Compiled, turn: int) -> str:
    """The date a turn stands for: "July 2024" for monthly turns, "week of 3 June 2019" for
    weekly ones; "" when the scenario gives no start date."""
    meta = c.spec.meta
    d = turn_start(meta.start_date, meta.turn_length, turn)
    if d is None:
        return ""
    length = meta.turn_length
    if length == "year":
        return str(d.year)
    if length in ("month", "quarter"):
        return f"{d:%B} {d.year}"
    prefix = "week of " if length == "week" else ""
    return f"{prefix}{d.day} {d:%B} {d.year}"


def chance(p: float) -> str:
    """ "about a 72% chance", "about an 80% chance"."""
    pct = f"{p:.0%}"
    article = "an" if pct[:1] == "8" or pct in ("11%", "18%") else "a"
    return f"about {article} {pct} chance"


def turn_title(c: Compiled, turn: int, word: str = "Turn") -> str:
    """ "Turn 3 (August 2024)" (``word="turn"`` for mid-sentence)."""
    when = calendar(c, turn)
    return f"{word} {turn}" + (f" ({when})" if when else "")


# ------------------------------------------------------------------------------------------
# The moves on offer
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MoveChoice:
    """One of an actor's moves as the player sees it this turn.

    ``number`` is stable for the whole game: 0 is hold, then the actor's moves in the
    scenario's order, whether or not they are possible this turn."""

    number: int
    move: str  # the id ("hold" for hold)
    name: str
    description: str
    escalation: float = 0.0
    channel: str | None = None
    needs: str | None = None  # whose consent it needs
    available: bool = True
    reason: str = ""  # why not, when it is not available
    limits: list[str] = field(default_factory=list)  # uses left, cooldown
    red_lines: list[str] = field(default_factory=list)  # the red lines it would cross


def move_menu(model: Any, obs: Observation) -> list[MoveChoice]:
    """Hold and every move of ``obs``'s actor, in a fixed order, each with what the player
    should know before choosing it. ``model`` gives how often and when each was last used."""
    c, actor, turn = obs.compiled, obs.actor, obs.turn
    out = [MoveChoice(0, "hold", "Hold", "Make no move this turn.")]
    legal = set(obs.moves)
    for n, k in enumerate(actor.actions, start=1):
        a = c.actions[k]
        used = int(model.ctx.used[k])
        last = int(model.last_used[k])
        limits = []
        if a.max_uses is not None and used < a.max_uses:
            left = a.max_uses - used
            limits.append(
                "once only"
                if a.max_uses == 1 and left == 1
                else f"{left} of {a.max_uses} uses left"
            )
        if a.covert:
            limits.append("covert: the others see it only if it is detected")
        if a.cooldown:
            s = "s" if a.cooldown > 1 else ""
            limits.append(f"then {a.cooldown} turn{s} before it can be taken again")
        reason = ""
        if k not in legal:
            if a.max_uses is not None and used >= a.max_uses:
                reason = "already used" if a.max_uses == 1 else f"used {used} times, the limit"
            elif a.cooldown and turn - last <= a.cooldown:
                again = last + a.cooldown + 1
                when = calendar(c, again)
                reason = f"cooling down: possible again in turn {again}" + (
                    f" ({when})" if when else ""
                )
            else:
                reason = "not possible now: its conditions are not met"
        out.append(
            MoveChoice(
                number=n,
                move=a.move,
                name=a.name,
                description=a.description.strip(),
                escalation=a.escalation,
                channel=a.channel,
                needs=c.actors[a.consent].name if a.consent is not None else None,
                available=k in legal,
                reason=reason,
                limits=limits,
                red_lines=crossings(obs, (k,)) if k in legal else [],
            )
        )
    return out


def crossings(obs: Observation, option: Option) -> list[str]:
    """The red lines ``obs``'s actor knows of that ``option`` would cross (the others
    holding), each as a sentence: whose, what it guards, the response and how likely the
    actor believes it."""
    view, c, me = obs.view, obs.compiled, obs.actor
    delta: dict[int, float] = {}
    for k in option:
        for slot, d in view.delta(k):
            delta[slot] = delta.get(slot, 0.0) + d
    changes = pr.apply(c, view.x, {}, tuple(delta.items()))
    out = []
    for rl in view.watched(me.index):
        if view.would_trigger(rl, option, changes):
            owner = c.actors[rl.owner].name
            p = view.belief(me.index, rl.index)
            name = labels(c).name("red_line", rl.id)
            out.append(
                f"crosses {possessive(owner)} red line “{name}”: {owner} would "
                f"{rl.response_description} (you think {chance(p)})"
            )
    return out


def capacity_note(c: Compiled, obs: Observation) -> str:
    """For an actor that may take several moves a turn: how many, and the channel rule."""
    n = obs.actor.capacity
    if n <= 1:
        return ""
    channels = sorted({ch for k in obs.actor.actions if (ch := c.actions[k].channel)})
    rule = f", at most one per channel ({', '.join(channels)})" if channels else ""
    return f"You may take up to {n} moves this turn{rule}; none is to hold."


def option_for(c: Compiled, obs: Observation, moves: list[str]) -> Option:
    """The legal option a player's chosen moves make; ValueError with a plain reason if
    they make none."""
    if not moves or moves == ["hold"]:
        return ()
    by_id = {c.actions[k].move: k for k in obs.actor.actions}
    ks = []
    for m in moves:
        if m not in by_id:
            raise ValueError(f"{obs.actor.name} has no such move")
        ks.append(by_id[m])
    option = tuple(sorted(set(ks)))
    if option in obs.options:
        return option
    bad = [k for k in option if k not in obs.moves]
    if bad:
        raise ValueError(f"{c.actions[bad[0]].name} is not possible this turn")
    if len(option) > obs.actor.capacity:
        n = obs.actor.capacity
        raise ValueError("one move a turn" if n == 1 else f"at most {n} moves a turn")
    seen: dict[str, int] = {}
    for k in option:
        ch = c.actions[k].channel
        if ch is not None and ch in seen:
            first = c.actions[seen[ch]].name
            raise ValueError(
                f"{first} and {c.actions[k].name} are both {ch} moves: at most one move per channel"
            )
        if ch is not None:
            seen[ch] = k
    raise ValueError("that set of moves is not possible this turn")


# ------------------------------------------------------------------------------------------
# What happened in a turn
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One line of a turn's story. ``kind``: deal (a negotiation), move, held, refused,
    event, red_line, approached, detected; ``why``: the rationale or the team's
    justification (for a deal: its offers and replies), if shown."""

    kind: str
    text: str
    why: str = ""
    actor: str | None = None
    who: str = ""  # the actor's name the text begins with, if any


@dataclass(frozen=True)
class Change:
    slot: str
    name: str
    before: float
    after: float
    unit: str

    def text(self) -> str:
        unit = f" {self.unit}" if self.unit and not self.slot.startswith("rel:") else ""
        fmt = "{:.2f}" if self.slot.startswith("rel:") else "{:.3g}"
        return f"{self.name}: {fmt.format(self.before)} → {fmt.format(self.after)}{unit}"


def changes(c: Compiled, result: Mapping[str, Any], turn: int) -> list[Change]:
    """What moved in ``turn``, biggest first (relative to each quantity's range)."""
    if turn < 1 or turn >= len(result["turns"]):
        return []
    before = result["turns"][turn - 1]["state"]
    after = result["turns"][turn]["state"]
    out = []
    for k, slot in enumerate(c.slots):
        if slot not in before or slot not in after:
            continue
        a, b = float(before[slot]), float(after[slot])
        span = c.hi[k] - c.lo[k] or 1.0
        if abs(b - a) / span < 0.005:
            continue
        out.append(
            (abs(b - a) / span, Change(slot, variable_name(c, slot), a, b, unit_of(c, slot)))
        )
    out.sort(key=lambda t: -t[0])
    return [ch for _, ch in out]


def turn_story(
    c: Compiled, result: Mapping[str, Any], turn: int, *, rationales: bool = False
) -> list[Line]:
    """What everyone did in ``turn``: its negotiations first (each with its offers and
    replies, and the reasons ``result`` holds), then the moves (several moves of one actor
    on one line), red lines crossed or approached (as ``result`` shows them: redact it for
    a team first), events and the instructor's changes. ``rationales``: add the AI's reason
    to each line (the instructor's view); otherwise only a team's own justification is
    kept."""
    t = result["turns"][turn]
    lines = [deal_line(c, result, turn, neg) for neg in t.get("negotiations", [])]
    by_actor: dict[str, list[Mapping[str, Any]]] = {}
    for a in t["actions"]:
        if a.get("by") == "inject":
            continue
        by_actor.setdefault(str(a.get("actor")), []).append(a)
    for actor, acts in by_actor.items():
        who = actor_name(c, actor)
        r = acts[0].get("rationale") or {}
        why = r.get("sentence", "") if rationales else r.get("justification", "")
        done = [a for a in acts if a.get("move") != "hold" and a.get("status") != "refused"]
        refused = [a for a in acts if a.get("status") == "refused"]
        how = {"red_line": " (answering a red line)", "human": "", "ai": ""}
        tag = how.get(str(acts[0].get("by")), "")
        if done:
            names = " and ".join(
                move_name(c, str(a["move"])) + (" (covert)" if a.get("covert") else "")
                for a in done
            )
            esc = sum(float(a.get("escalation") or 0.0) for a in done)
            extra = f" (escalation {esc:+g})" if esc else ""
            lines.append(Line("move", f"{who}{tag}: {names}{extra}", why, actor, who))
        for a in refused:
            name = move_name(c, str(a["move"]))
            text = f"{who}: {name}, refused by the partner"
            lines.append(Line("refused", text, why, actor, who))
        if not done and not refused:
            lines.append(Line("held", f"{who} held", why, actor, who))
    for rl in t.get("red_lines", []):
        if rl.get("red_line") not in {x.id for x in c.red_lines}:
            continue
        crl = next(x for x in c.red_lines if x.id == rl["red_line"])
        owner = actor_name(c, rl.get("owner"))
        if rl.get("status") == "approached":
            lines.append(
                Line("approached", f"{possessive(owner)} red line approached: {crl.description}")
            )
            continue
        by = ", ".join(actor_name(c, b) for b in rl.get("crossed_by") or [])
        follow = (
            f"{owner} followed through: {crl.response_description}."
            if rl.get("responded")
            else f"{owner} did not follow through."
        )
        lines.append(
            Line(
                "red_line",
                f"{possessive(owner)} red line crossed{' by ' + by if by else ''}: "
                f"{crl.description}. {follow}",
            )
        )
    for d in t.get("detected", []):
        who = actor_name(c, d.get("actor"))
        lines.append(
            Line(
                "detected",
                f"Detected: {possessive(who)} covert move, {move_name(c, str(d['move']))}"
                f" (taken in turn {d.get('turn_taken')})",
            )
        )
    for e in t.get("injects", []):
        if e.get("inject") == "adjustment":
            slot = str(e.get("variable"))
            unit = unit_of(c, slot)
            lines.append(
                Line(
                    "event",
                    f"Instructor's change: {variable_name(c, slot)} {float(e['delta']):+g}"
                    + (f" {unit}" if unit else ""),
                )
            )
        else:
            lines.append(Line("event", f"Event: {e.get('name', '')}"))
    return lines


def deal_line(c: Compiled, result: Mapping[str, Any], turn: int, neg: Mapping[str, Any]) -> Line:
    """A negotiation as one line of a turn's story: its heading and outcome, then (as
    ``why``) its offers and replies, with the reasons ``result`` still holds."""
    heading, *steps, end = negotiation_lines(neg, labels(c), signed_entry(result, neg, turn))
    return Line("deal", f"{heading} — {end}", "; ".join(steps))


def escalation_of(result: Mapping[str, Any], turn: int) -> float:
    return float(sum((result["turns"][turn].get("escalation") or {}).values()))


# ------------------------------------------------------------------------------------------
# The advisor
# ------------------------------------------------------------------------------------------
def advice_text(c: Compiled, d: Decision) -> str:
    """The AI's choice for a player, worded as advice: "The advisor suggests ..., because
    ..."."""
    r = d.rationale
    move = describe_action(c, d.option)
    if r is None or r.note:
        return f"The advisor suggests you {move}."
    return _suggest(c, r) + _expecting(c, r)


def _suggest(c: Compiled, r: Rationale) -> str:
    move = describe_action(c, r.chosen)
    held = r.held_back()
    if held is not None:
        alt, a = held
        rl = c.red_lines[a.red_line]
        owner = c.actors[rl.owner].name
        deterred = tuple(k for k in alt if k not in r.chosen) or alt
        return (
            f"The advisor suggests you {move} rather than {describe_action(c, deterred)}, "
            f"because {owner} would be likely to {rl.response_description} (you think "
            f"{chance(a.credibility)}), which would hurt you more than the move gains."
        )
    k = r.alternatives.index(r.chosen)
    best = max(range(len(r.eu)), key=lambda j: r.eu[j])
    if r.eu[k] < r.eu[best] - 1e-9:
        better = describe_action(c, r.alternatives[best])
        close = r.eu[best] - r.eu[k] < 0.25 * (max(r.eu) - min(r.eu))
        return (
            f"The advisor suggests you {move}, though the option to {better} looks "
            f"{'slightly ' if close else ''}better on paper: a judgement call."
        )
    if not r.chosen:
        return "The advisor suggests you hold, because no move seems worth its cost now."
    why = " and ".join(t for t, _ in r.terms[:2]) or "the balance of all your interests"
    risks = [a for a in r.anticipated if a.alternative == r.chosen]
    if risks:
        a = risks[0]
        owner = possessive(c.actors[c.red_lines[a.red_line].owner].name)
        return (
            f"The advisor suggests you {move} despite {owner} red line, because the gain for "
            f"{why} is worth the risk that it is enforced ({chance(a.credibility)})."
        )
    return f"The advisor suggests you {move}, mainly for {why}."


def _expecting(c: Compiled, r: Rationale) -> str:
    for j, option, p in r.expected:
        if option and p >= 0.25:
            return f" It expects {c.actors[j].name} to {describe_action(c, option)} ({chance(p)})."
    return ""


# ------------------------------------------------------------------------------------------
# Negotiations
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OfferWorth:
    """What the offer on the table is worth to the party that must reply: per issue the
    term and its worth, the red-line risk of the whole package, the total, and the value
    of walking away (all in the party's own utility)."""

    terms: list[tuple[str, str, float]]  # issue name, level name, worth
    risk: float
    walk_away: float

    @property
    def total(self) -> float:
        return sum(w for _, _, w in self.terms) + self.risk

    def verdict(self) -> str:
        gain = self.total - self.walk_away
        word = "better" if gain > 1e-9 else "worse" if gain < -1e-9 else "no better"
        return (
            f"In all {self.total:+.2f} to you, against {self.walk_away:+.2f} if you walk "
            f"away: {word} than no deal ({gain:+.2f})."
        )


def offer_worth(talks: Talks, actor: int) -> OfferWorth | None:
    """The offer on the table as ``actor`` reads it (None before the opening offer)."""
    if talks.table is None:
        return None
    rows = breakdown(talks.view, talks.deal, talks.view.compiled.actors[actor], talks.table)
    *terms, (_, _, risk) = rows
    return OfferWorth(terms, risk, talks.walk_away(actor))


@dataclass(frozen=True)
class IssueChoice:
    """One issue of a counter-offer: its levels (id, name, worth to the player) and the
    level on the table (or the first, before any offer)."""

    id: str
    name: str
    levels: list[tuple[str, str, float]]
    current: str


def counter_menu(talks: Talks, actor: int) -> list[IssueChoice]:
    """Per issue, the levels a counter-offer may choose, each with its worth to ``actor``
    (valued alone: the red-line risk of a whole package is shown once it is offered)."""
    view, me = talks.view, talks.view.compiled.actors[actor]
    out = []
    for k, issue in enumerate(talks.deal.issues):
        levels = [(lv.id, lv.name, level_value(view, me, lv)) for lv in issue.levels]
        on_table = issue.levels[talks.table[k]].id if talks.table else levels[0][0]
        out.append(IssueChoice(issue.id, issue.name, levels, on_table))
    return out


def talks_heading(c: Compiled, talks: Talks, actor: int) -> str:
    """ "The split, with Party B: round 2 of 6" and what is asked of the player."""
    others = [c.actors[p].name for p in talks.deal.parties if p != actor]
    rnd = f"round {talks.round + 1} of {talks.deal.rounds}"
    last = " (the last: a counter-offer now ends the talks without a deal)"
    return f"{talks.deal.name}, with {' and '.join(others)}: {rnd}" + (
        last if talks.table is not None and talks.last_round else ""
    )


def talks_so_far(model: Any, talks: Talks) -> dict[str, Any]:
    """The negotiation ``talks`` is part of, as the run result words it (outcome
    ``open``): for :mod:`summitsim.viz.negotiation`."""
    from ..engine.deals import Negotiation

    neg = Negotiation(talks.turn, talks.deal.index, list(talks.steps), outcome="open")
    out: dict[str, Any] = model.result().negotiation_dict(neg)
    return out
