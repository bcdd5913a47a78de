"""A hand-made run result with known values, shared by the viz, report and dashboard tests."""

from __future__ import annotations

from typing import Any


def _action(actor, move, by="ai", status="done", esc=0.0, sentence="because"):
    return {
        "actor": actor,
        "move": move,
        "by": by,
        "status": status,
        "escalation": esc,
        "rationale": {"sentence": sentence},
    }


def tiny_result(**over: Any) -> dict[str, Any]:
    """A hand-made three-turn result with known values."""
    states = [
        {"x": 10.0, "y": 0.0, "rel:a:b": 0.5},
        {"x": 12.0, "y": 5.0, "rel:a:b": 0.25},
        {"x": 15.0, "y": 4.0, "rel:a:b": -0.5},
        {"x": 11.0, "y": 9.0, "rel:a:b": -1.0},
    ]
    turns = []
    for t, s in enumerate(states):
        turns.append(
            {
                "turn": t,
                "state": s,
                "actions": [],
                "red_lines": [],
                "injects": [],
                "outcomes": {"done": t >= 2, "level": s["x"]},
            }
        )
    turns[1]["actions"] = [
        _action("a", "push", esc=4.0, sentence="A pushed <hard> for x."),
        _action("b", "hold", sentence="B held: nothing was worth it."),
        _action(None, "storm", by="inject", sentence="Event: Storm."),
    ]
    turns[1]["injects"] = [{"inject": "storm", "name": "Storm"}]
    turns[2]["actions"] = [
        _action("a", "strike", esc=12.0, sentence="A struck."),
        _action("b", "deal", status="refused", sentence="A refused the deal."),
    ]
    turns[2]["red_lines"] = [
        {
            "owner": "b",
            "red_line": "no_strike",
            "status": "crossed",
            "crossed_by": ["a"],
            "responded": True,
        }
    ]
    turns[3]["actions"] = [
        _action("b", "retaliate", by="red_line", esc=8.0, sentence="B answered."),
        _action("a", "calm", esc=-2.0, sentence="A calmed things."),
    ]
    turns[3]["red_lines"] = [
        {
            "owner": "a",
            "red_line": "watch",
            "status": "approached",
            "crossed_by": [],
            "responded": False,
        }
    ]
    esc = [None, {"a": 4.0, "b": 0.0}, {"a": 12.0, "b": 0.0}, {"a": -2.0, "b": 8.0}]
    for t in range(1, 4):
        turns[t]["escalation"] = esc[t]
    d = {
        "summitsim_version": "0.1.0",
        "format_version": 1,
        "scenario": {"id": "tiny", "sha256": "0" * 64, "title": "Tiny", "source": "tiny.yaml"},
        "seed": 7,
        "params": {"p": 0.5},
        "n_turns": 3,
        "start_date": "2024-06-01",
        "turn_length": "month",
        "actors": {"a": "Alpha", "b": "Beta"},
        "turns": turns,
        "outcomes": {"done": True, "level": 11.0},
        "summary": {"peak_escalation": 12.0, "first_crossed": {"no_strike": 2, "watch": None}},
    }
    d.update(over)
    return d
