"""A negotiation in words, from its entry in a run result (``turns[t]["negotiations"]``,
:meth:`summitsim.engine.result.RunResult.negotiation_dict`): the terms of a package, each
offer and reply, and how the talks ended. Plain sentences; the terminal, the classroom
pages and the after-action report lay them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine.compiled import CDeal, Compiled


def deal_of(c: Compiled, deal_id: str) -> CDeal:
    return next(d for d in c.deals if d.id == deal_id)


def _name(c: Compiled, actor: str) -> str:
    i = c.actor_index.get(actor)
    return c.actors[i].name if i is not None else actor


def terms_text(c: Compiled, deal_id: str, terms: Mapping[str, str]) -> str:
    """ "Ports opened to A: two ports; Fishing rights for B: full fishing"."""
    deal = deal_of(c, deal_id)
    parts = []
    for issue in deal.issues:
        level = next((lv for lv in issue.levels if lv.id == terms.get(issue.id)), None)
        parts.append(f"{issue.name}: {level.name if level else terms.get(issue.id, '?')}")
    return "; ".join(parts)


def step_text(c: Compiled, deal_id: str, step: Mapping[str, Any], first: bool = False) -> str:
    """One offer or reply (``first``: the opening offer): "Party A opens with A's part of
    the pot: 6", "Party B accepts", "Party B walks away", "Party A rejects the last
    offer"."""
    who = _name(c, str(step["actor"]))
    kind = step["kind"]
    if kind == "offer":
        verb = "opens with" if first else "counters with"
        return f"{who} {verb} {terms_text(c, deal_id, step['terms'])}"
    if kind == "accept":
        return f"{who} accepts"
    if kind == "walk":
        return f"{who} walks away"
    return f"{who} rejects the last offer"


def outcome_text(c: Compiled, neg: Mapping[str, Any]) -> str:
    """How the talks ended: "Signed: ...", "Party B walked away: no deal", "No agreement
    after the last round", or "Still under way"."""
    out = neg["outcome"]
    if out == "signed":
        return f"Signed: {terms_text(c, neg['deal'], neg['terms'])}"
    if out == "walked":
        return f"{_name(c, str(neg['walked_by']))} walked away: no deal"
    if out == "open":
        return "Still under way"
    return "No agreement after the last round: no deal"


def negotiation_lines(c: Compiled, neg: Mapping[str, Any], *, reasons: bool = False) -> list[str]:
    """Each step of a negotiation as a sentence (``reasons``: with the reason given, where
    there is one), then its outcome."""
    lines = []
    for k, st in enumerate(neg["steps"]):
        text = step_text(c, neg["deal"], st, first=k == 0)
        if reasons and st.get("reason"):
            text += f" ({st['reason']})"
        lines.append(text)
    lines.append(outcome_text(c, neg))
    return lines


def headline(c: Compiled, neg: Mapping[str, Any]) -> str:
    """ "Talks on The split (Party A, Party B): signed: A's part of the pot: 6"."""
    parties = ", ".join(_name(c, p) for p in neg["parties"])
    return f"Talks on {neg['name']} ({parties}): {outcome_text(c, neg)}"
