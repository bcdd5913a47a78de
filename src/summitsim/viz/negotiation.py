"""A negotiation in words: the one renderer of deals for every view (the CLI narrative, the
HTML report, the dashboard, the classroom).

Everything here reads the run result's JSON entries, not the engine:

* a negotiation, ``result["turns"][t]["negotiations"][k]`` (``RunResult.negotiation_dict``):
  ``deal``, ``name``, ``parties``, ``outcome`` (signed, walked, expired), ``walked_by``,
  ``terms`` (issue id -> level id), ``surplus`` (party -> gain over walking away) and
  ``steps`` (``round``, ``actor``, ``kind``: offer, accept, walk or reject; ``terms``,
  ``reason``);
* a signed deal, ``result["deals"][k]``: ``deal``, ``turn``, ``terms`` and ``obligations``
  (``obligation``, ``by``, ``description``, ``broken_turn``);
* what was said and done, ``result["said_vs_did"][k]``: signals and, with ``kind``
  ``commitment``, the obligations of signed deals (``status`` in_force or broken, ``deal``).

Names come from :class:`~summitsim.viz.labels.Labels` (actors, deals, issues, options), so a
result read without its scenario still reads as words. Functions return plain strings and
rows; each view escapes them its own way.

    >>> lines = negotiation_lines(neg, labels)        # doctest: +SKIP
    ['The split (Party A, Party B)', 'Round 1: Party A offers A's part of the pot: 9 …', …]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .labels import Labels

Entry = Mapping[str, Any]

NEGOTIATION_COLUMNS = ["turn", "deal", "round", "party", "step", "terms", "reason"]
DEAL_COLUMNS = ["turn signed", "deal", "parties", "terms", "gain over walking away"]
OBLIGATION_COLUMNS = ["deal", "obligation", "bound", "from turn", "what became of it"]
SAID_COLUMNS = ["turn", "actor", "said", "about", "what became of it", "settled at turn"]

_VERBS = {"accept": "accepts", "walk": "walks away", "reject": "rejects the last offer"}

_SAID = {
    "declare": "declared a red line",
    "reaffirm": "reaffirmed a red line",
    "threaten": "threatened",
    "blur": "blurred a red line",
    "withdraw": "withdrew a red line",
    "promise": "promised to",
    "reassure": "promised not to",
    "commitment": "committed, in a deal",
}

_STATUS = {
    "in_force": "in force",
    "said": "said, not yet tested",
    "pending": "pending",
    "kept": "kept",
    "broken": "broken",
}


# ----- pieces ----------------------------------------------------------------------------------
def deal_name(neg: Entry, labels: Labels) -> str:
    """The deal's name: from the scenario, else the name the entry carries, else its id."""
    return labels.deal(neg.get("deal"), neg.get("name"))


def parties_text(neg: Entry, labels: Labels) -> str:
    return ", ".join(labels.actor(p) for p in neg.get("parties") or [])


def terms_text(deal: Any, terms: Mapping[str, Any] | None, labels: Labels) -> str:
    """A package in words: ``Ports opened to A: two ports; Fishing rights for B: full
    fishing`` ("" for no terms)."""
    if not terms:
        return ""
    return "; ".join(
        f"{labels.issue(deal, issue)}: {labels.term(deal, issue, level)}"
        for issue, level in terms.items()
    )


def gains_text(surplus: Mapping[str, Any] | None, labels: Labels) -> str:
    """Each party's gain over walking away, in its own utility: ``Party A +0.5, Party B
    +0.5``."""
    return ", ".join(f"{labels.actor(a)} {float(v):+.3g}" for a, v in (surplus or {}).items())


def step_verb(step: Entry) -> str:
    """What a step did, in words: opens (the first offer), counters, accepts, walks away,
    rejects the last offer."""
    kind = step.get("kind")
    if kind == "offer":
        return "opens with" if int(step.get("round") or 0) == 0 else "counters with"
    return _VERBS.get(str(kind), str(kind))


def step_line(step: Entry, deal: Any, labels: Labels) -> str:
    """One step: ``Round 2: Party B counters with A's part of the pot: 1 — asks +0.9``."""
    who = labels.actor(step.get("actor"))
    text = f"Round {int(step.get('round') or 0) + 1}: {who} {step_verb(step)}"
    if step.get("kind") == "offer":
        text += f" {terms_text(deal, step.get('terms'), labels)}"
    reason = str(step.get("reason") or "")
    return text + (f" — {reason}" if reason else "")


def outcome_line(neg: Entry, labels: Labels, signed: Entry | None = None) -> str:
    """How it ended: the terms signed and each party's gain over walking away; who walked
    away; or that the rounds ran out (outcome ``open``: that the talks are still on).
    ``signed`` (the matching ``result["deals"]`` entry) adds the obligations the deal
    created."""
    outcome = neg.get("outcome")
    if outcome == "signed":
        text = f"Signed: {terms_text(neg.get('deal'), neg.get('terms'), labels)}."
        gains = gains_text(neg.get("surplus"), labels)
        if gains:
            text += f" Gain over walking away: {gains}."
        for ob in (signed or {}).get("obligations") or []:
            text += f" {labels.actor(ob.get('by'))} commits: {ob.get('description')}."
        return text
    if outcome == "walked":
        return f"No deal: {labels.actor(neg.get('walked_by'))} walked away."
    if outcome == "open":  # talks still under way (a classroom game's open turn)
        return "Still under way."
    return "No deal: the rounds ran out with no agreement."


def negotiation_heading(neg: Entry, labels: Labels) -> str:
    """``Negotiation: The split (Party A, Party B)``."""
    return f"Negotiation: {deal_name(neg, labels)} ({parties_text(neg, labels)})"


def negotiation_lines(neg: Entry, labels: Labels, signed: Entry | None = None) -> list[str]:
    """A negotiation in words: its heading, one line per step, and how it ended."""
    deal = neg.get("deal")
    return [
        negotiation_heading(neg, labels),
        *(step_line(s, deal, labels) for s in neg.get("steps") or []),
        outcome_line(neg, labels, signed),
    ]


def negotiation_rows(neg: Entry, labels: Labels, turn: int | None = None) -> list[dict[str, Any]]:
    """One row per step (the :data:`NEGOTIATION_COLUMNS`), then one for the outcome."""
    deal = neg.get("deal")
    name = deal_name(neg, labels)
    rows = [
        {
            "turn": turn,
            "deal": name,
            "round": int(s.get("round") or 0) + 1,
            "party": labels.actor(s.get("actor")),
            "step": step_verb(s),
            "terms": terms_text(deal, s.get("terms"), labels),
            "reason": str(s.get("reason") or ""),
        }
        for s in neg.get("steps") or []
    ]
    rows.append(
        {
            "turn": turn,
            "deal": name,
            "round": None,
            "party": "",
            "step": str(neg.get("outcome") or ""),
            "terms": terms_text(deal, neg.get("terms"), labels),
            "reason": outcome_line(neg, labels),
        }
    )
    return rows


# ----- a whole result --------------------------------------------------------------------------
def negotiations(result: Entry) -> list[tuple[int, Entry]]:
    """Every negotiation of a run, with its turn, in order (none in an older result)."""
    return [
        (int(t.get("turn") or 0), neg)
        for t in result.get("turns") or []
        for neg in t.get("negotiations") or []
    ]


def signed_entry(result: Entry, neg: Entry, turn: int) -> Entry | None:
    """The ``result["deals"]`` entry a signed negotiation made, if any."""
    if neg.get("outcome") != "signed":
        return None
    return next(
        (
            d
            for d in result.get("deals") or []
            if d.get("deal") == neg.get("deal") and d.get("turn") == turn
        ),
        None,
    )


def turn_negotiation_lines(result: Entry, turn: int, labels: Labels) -> list[list[str]]:
    """The negotiations held at the start of ``turn``, each as :func:`negotiation_lines`."""
    return [
        negotiation_lines(neg, labels, signed_entry(result, neg, t))
        for t, neg in negotiations(result)
        if t == turn
    ]


def all_negotiation_rows(result: Entry, labels: Labels, turn: int | None = None) -> list[Any]:
    """:func:`negotiation_rows` of every negotiation (of one ``turn`` if given)."""
    return [
        row
        for t, neg in negotiations(result)
        if turn is None or t == turn
        for row in negotiation_rows(neg, labels, t)
    ]


def _signing(result: Entry, deal: Entry) -> Entry:
    """The negotiation that signed a ``result["deals"]`` entry ({} if it is not there)."""
    for t, neg in negotiations(result):
        if t == deal.get("turn") and neg.get("deal") == deal.get("deal"):
            return neg
    return {}


def deal_rows(result: Entry, labels: Labels) -> list[list[Any]]:
    """One row per deal signed (the :data:`DEAL_COLUMNS`)."""
    rows = []
    for d in result.get("deals") or []:
        neg = _signing(result, d)
        rows.append(
            [
                d.get("turn"),
                labels.deal(d.get("deal"), neg.get("name")),
                ", ".join(labels.actor(p) for p in neg.get("parties") or []),
                terms_text(d.get("deal"), d.get("terms"), labels),
                gains_text(neg.get("surplus"), labels),
            ]
        )
    return rows


def obligation_status(ob: Entry) -> str:
    broken = ob.get("broken_turn")
    return f"broken at turn {broken}" if broken is not None else "kept to the end of the run"


def obligation_rows(result: Entry, labels: Labels) -> list[list[Any]]:
    """One row per obligation of a signed deal (the :data:`OBLIGATION_COLUMNS`): kept, or
    broken at which turn."""
    return [
        [
            labels.deal(d.get("deal"), _signing(result, d).get("name")),
            ob.get("description") or labels.name("obligation", ob.get("obligation")),
            labels.actor(ob.get("by")),
            d.get("turn"),
            obligation_status(ob),
        ]
        for d in result.get("deals") or []
        for ob in d.get("obligations") or []
    ]


def unsigned_lines(result: Entry, labels: Labels) -> list[str]:
    """The negotiations that ended with no deal: ``Turn 1: The split — No deal: Party A
    walked away.``"""
    return [
        f"Turn {t}: {deal_name(neg, labels)} — {outcome_line(neg, labels)}"
        for t, neg in negotiations(result)
        if neg.get("outcome") != "signed"
    ]


# ----- said and did ----------------------------------------------------------------------------
def _about(e: Entry, labels: Labels) -> str:
    if e.get("kind") == "commitment":
        what = labels.name("obligation", e.get("move"))
        deal = e.get("deal")
        return f"{what} ({labels.deal(deal)})" if deal else what
    if e.get("red_line"):
        return labels.name("red_line", e["red_line"])
    if e.get("about_move"):
        until = e.get("until_turn")
        word = "until" if e.get("kind") == "reassure" else "by"
        by = f" ({word} turn {until})" if until is not None else ""
        return f"{labels.name('option', e['about_move'])}{by}"
    return labels.move(e.get("move"))


def said_vs_did_rows(entries: Iterable[Entry], labels: Labels) -> list[list[Any]]:
    """One row per signal or commitment (the :data:`SAID_COLUMNS`)."""
    return [
        [
            e.get("turn"),
            labels.actor(e.get("actor")),
            _SAID.get(str(e.get("kind")), str(e.get("kind"))),
            _about(e, labels),
            _STATUS.get(str(e.get("status")), str(e.get("status"))),
            e.get("resolved_turn"),
        ]
        for e in entries
    ]


def commitment_line(e: Entry, labels: Labels) -> str:
    """A commitment settled: ``Party B broke its commitment in Supply for payment: B sends
    ten goods a turn.``"""
    who = labels.actor(e.get("actor"))
    verb = "broke" if e.get("status") == "broken" else "kept"
    what = labels.name("obligation", e.get("move"))
    deal = f" in {labels.deal(e['deal'])}" if e.get("deal") else ""
    return f"{who} {verb} its commitment{deal}: {what}."


def settled_commitments(entries: Sequence[Entry], turn: int) -> list[Entry]:
    """The commitments settled (broken) at ``turn``."""
    return [e for e in entries if e.get("kind") == "commitment" and e.get("resolved_turn") == turn]


__all__ = [
    "DEAL_COLUMNS",
    "NEGOTIATION_COLUMNS",
    "OBLIGATION_COLUMNS",
    "SAID_COLUMNS",
    "all_negotiation_rows",
    "commitment_line",
    "deal_name",
    "deal_rows",
    "gains_text",
    "negotiation_heading",
    "negotiation_lines",
    "negotiation_rows",
    "negotiations",
    "obligation_rows",
    "obligation_status",
    "outcome_line",
    "said_vs_did_rows",
    "settled_commitments",
    "signed_entry",
    "step_line",
    "terms_text",
    "turn_negotiation_lines",
    "unsigned_lines",
]
