"""The result of one run: records plus views (DataFrames, JSON, sentences) built on demand."""

from __future__ import annotations

import json
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..policies.base import as_dict, sentence
from .compiled import HOLD
from .records import ActionRecord, Recorder

if TYPE_CHECKING:
    import pandas as pd

FORMAT_VERSION = 1


class RunResult:
    """One seeded play of a scenario.

    ``states`` and ``actions`` are pandas DataFrames, ``outcomes`` the final outcome values,
    ``to_json()`` the documented result format.
    """

    def __init__(self, recorder: Recorder):
        self.rec = recorder
        self.compiled = recorder.compiled

    # ----- plain views -----------------------------------------------------------------
    @property
    def seed(self) -> int | None:
        return self.rec.seed

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.compiled.params)

    @property
    def n_turns(self) -> int:
        return len(self.rec.states) - 1

    @property
    def outcomes(self) -> dict[str, Any]:
        final = self.rec.outcomes[-1]
        return {o.id: v for o, v in zip(self.compiled.outcomes, final, strict=True)}

    def outcome_series(self) -> list[dict[str, Any]]:
        ids = [o.id for o in self.compiled.outcomes]
        return [dict(zip(ids, row, strict=True)) for row in self.rec.outcomes]

    def escalation(self) -> list[list[float]]:
        """Per turn (1..N), the escalation score of each actor's moves that turn."""
        c = self.compiled
        out = [[0.0] * len(c.actors) for _ in range(self.n_turns)]
        for r in self.rec.actions:
            if r.status == "done" and r.action != HOLD:
                out[r.turn - 1][r.actor] += c.actions[r.action].escalation
        return out

    def peak_escalation(self) -> float:
        return max((sum(row) for row in self.escalation()), default=0.0)

    def choice_stats(self) -> dict[str, tuple[int, int]]:
        """Per actor played by the AI: (decisions, decisions that were not its best option)."""
        c = self.compiled
        seen: set[tuple[int, int]] = set()
        out: dict[str, list[int]] = {}
        for r in self.rec.actions:
            if r.best is None or (r.turn, r.actor) in seen:
                continue
            seen.add((r.turn, r.actor))
            counts = out.setdefault(c.actors[r.actor].id, [0, 0])
            counts[0] += 1
            counts[1] += not r.best
        return {a: (n, k) for a, (n, k) in out.items()}

    def said_vs_did(self) -> list[dict[str, Any]]:
        """Every signal sent and what became of it: red-line signals are ``said`` until the
        red line is tested, then ``kept`` (answered) or ``broken`` (a bluff called);
        promises and reassurances are ``pending``, then ``kept`` or ``broken``."""
        c = self.compiled
        out = []
        for e in self.rec.signals:
            entry: dict[str, Any] = {
                "turn": e.turn,
                "actor": c.actors[e.actor].id,
                "move": c.action_label(e.action),
                "kind": e.kind,
                "status": e.status,
                "resolved_turn": e.resolved,
            }
            if e.kind == "commitment":
                ob = next(o for o in c.obligations if o.action == e.action)
                entry["move"] = ob.id
                entry["deal"] = c.deals[ob.deal].id
            if e.red_line is not None:
                entry["red_line"] = c.red_lines[e.red_line].id
            if e.move is not None:
                entry["about_move"] = c.action_label(e.move)
                entry["until_turn"] = e.until
            out.append(entry)
        return out

    def negotiation_dict(self, neg: Any) -> dict[str, Any]:
        """One negotiation: its offers and replies, and how it ended."""
        c = self.compiled
        deal = c.deals[neg.deal]
        return {
            "deal": deal.id,
            "name": deal.name,
            "parties": [c.actors[p].id for p in deal.parties],
            "outcome": neg.outcome,
            "walked_by": c.actors[neg.walked_by].id if neg.walked_by is not None else None,
            "terms": deal.describe(neg.package) if neg.package is not None else None,
            "surplus": {c.actors[p].id: v for p, v in neg.values.items()},
            "steps": [
                {
                    "round": st.round,
                    "actor": c.actors[st.actor].id,
                    "kind": st.kind,
                    "terms": deal.describe(st.package) if st.package is not None else None,
                    "reason": st.reason,
                }
                for st in neg.steps
            ],
        }

    def deals(self) -> list[dict[str, Any]]:
        """Each deal signed: when, on what terms, and what became of its obligations."""
        c = self.compiled
        broken = {e.action: e.resolved for e in self.rec.signals if e.kind == "commitment"}
        out = []
        for neg in self.rec.negotiations:
            if neg.outcome != "signed":
                continue
            deal = c.deals[neg.deal]
            obligations = [
                {
                    "obligation": ob.id,
                    "by": c.actors[ob.by].id,
                    "description": ob.description,
                    "broken_turn": broken.get(ob.action),
                }
                for issue, k in zip(deal.issues, neg.package, strict=True)
                for ob in (c.obligations[j] for j in issue.levels[k].obligations)
            ]
            out.append(
                {
                    "deal": deal.id,
                    "turn": neg.turn,
                    "terms": deal.describe(neg.package),
                    "obligations": obligations,
                }
            )
        return out

    def drift(self) -> list[dict[str, Any]]:
        """The background drift of the run, once per drift inject that applied: its name,
        what it stands for, and on how many turns (first and last) it applied."""
        c = self.compiled
        seen: dict[int, list[int]] = {}
        for t, k in self.rec.drift:
            seen.setdefault(k, []).append(t)
        return [
            {
                "drift": c.injects[k].id,
                "name": c.injects[k].name,
                "description": c.spec.injects[c.injects[k].id].description,
                "turns": len(ts),
                "first_turn": ts[0],
                "last_turn": ts[-1],
            }
            for k, ts in sorted(seen.items())
        ]

    def not_best_share(self) -> float | None:
        """The share of AI decisions that were not the deciding actor's best option (the
        noise its rationality allows); None when no actor was played by the AI."""
        stats = self.choice_stats().values()
        n = sum(n for n, _ in stats)
        return sum(k for _, k in stats) / n if n else None

    def first_crossed(self) -> dict[str, int | None]:
        out: dict[str, int | None] = {rl.id: None for rl in self.compiled.red_lines}
        for r in self.rec.red_lines:
            rid = self.compiled.red_lines[r.red_line].id
            if not r.warning and out[rid] is None:
                out[rid] = r.turn
        return out

    # ----- words -----------------------------------------------------------------------
    def sentence(self, rec: ActionRecord) -> str:
        c = self.compiled
        if rec.by == "red_line" and rec.red_line is not None:
            rl = c.red_lines[rec.red_line]
            owner = c.actors[rl.owner].name
            return f"{owner} answered the crossing of its red line: {rl.description}."
        if rec.status == "refused":
            a = c.actions[rec.action]
            partner = c.actors[a.consent].name if a.consent is not None else "the partner"
            return f"{partner} refused {a.name.lower()}."
        if rec.rationale is not None:
            return sentence(c, rec.rationale)
        if rec.justification:
            return f"{c.actors[rec.actor].name}: {rec.justification}"
        return ""

    def action_dict(self, rec: ActionRecord) -> dict[str, Any]:
        c = self.compiled
        rationale: dict[str, Any] = (
            as_dict(c, rec.rationale)
            if rec.rationale is not None
            else {"sentence": self.sentence(rec)}
        )
        if rec.status == "refused":
            rationale["sentence"] = self.sentence(rec) + " " + rationale.get("sentence", "")
        if rec.justification:
            rationale["justification"] = rec.justification
        out = {
            "actor": c.actors[rec.actor].id,
            "move": c.action_label(rec.action),
            "by": rec.by,
            "status": rec.status,
            "escalation": c.actions[rec.action].escalation if rec.action != HOLD else 0.0,
            "rationale": rationale,
        }
        if rec.covert:
            out["covert"] = True
            out["detected_turn"] = rec.detected
        return out

    # ----- the JSON format -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        c = self.compiled
        turns: list[dict[str, Any]] = []
        for t in range(self.n_turns + 1):
            turns.append(
                {
                    "turn": t,
                    "state": dict(zip(c.slots, self.rec.states[t], strict=True)),
                    "actions": [],
                    "red_lines": [],
                    "injects": [],
                    "outcomes": dict(
                        zip([o.id for o in c.outcomes], self.rec.outcomes[t], strict=True)
                    ),
                }
            )
        for rec in self.rec.actions:
            turns[rec.turn]["actions"].append(self.action_dict(rec))
        for r in self.rec.red_lines:
            rl = c.red_lines[r.red_line]
            turns[r.turn]["red_lines"].append(
                {
                    "owner": c.actors[rl.owner].id,
                    "red_line": rl.id,
                    "status": "approached" if r.warning else "crossed",
                    "crossed_by": list(r.crossed_by),
                    "responded": r.responded,
                }
            )
        for rec in self.rec.covert:
            if rec.detected is not None:
                turns[rec.detected].setdefault("detected", []).append(
                    {
                        "actor": c.actors[rec.actor].id,
                        "move": c.action_label(rec.action),
                        "turn_taken": rec.turn,
                    }
                )
        for t, k in self.rec.injects:
            inj = c.injects[k]
            turns[t]["injects"].append({"inject": inj.id, "name": inj.name})
            turns[t]["actions"].append(
                {
                    "actor": None,
                    "move": inj.id,
                    "by": "inject",
                    "status": "done",
                    "escalation": 0.0,
                    "rationale": {"sentence": f"Event: {inj.name}."},
                }
            )
        for t, k in self.rec.drift:
            turns[t].setdefault("drift", []).append(c.injects[k].id)
        for t, slot, delta in self.rec.adjustments:
            turns[t]["injects"].append(
                {
                    "inject": "adjustment",
                    "variable": c.slots[slot],
                    "delta": delta,
                    "name": f"{c.slots[slot]} {delta:+g}",
                }
            )
        for neg in self.rec.negotiations:
            if neg.turn <= self.n_turns:  # talks held ahead of a turn not yet played: not yet
                turns[neg.turn].setdefault("negotiations", []).append(self.negotiation_dict(neg))
        esc = self.escalation()
        for t in range(1, self.n_turns + 1):
            turns[t]["escalation"] = dict(zip([a.id for a in c.actors], esc[t - 1], strict=True))
        meta = c.spec.meta
        return {
            "summitsim_version": __version__,
            "format_version": FORMAT_VERSION,
            "scenario": {
                "id": meta.id,
                "sha256": c.loaded.sha256,
                "title": meta.title,
                "source": c.loaded.source,
            },
            "seed": self.seed,
            "params": self.params,
            "n_turns": self.n_turns,
            "start_date": meta.start_date,
            "turn_length": meta.turn_length,
            "actors": {a.id: a.name for a in c.actors},
            "turns": turns,
            "outcomes": self.outcomes,
            "said_vs_did": self.said_vs_did(),
            "deals": self.deals(),
            "drift": self.drift(),
            "summary": {
                "peak_escalation": self.peak_escalation(),
                "first_crossed": self.first_crossed(),
                "not_best_share": self.not_best_share(),
                "not_best_by_actor": {
                    a: {"decisions": n, "not_best": k} for a, (n, k) in self.choice_stats().items()
                },
            },
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False, allow_nan=False)

    # ----- DataFrames ------------------------------------------------------------------
    @cached_property
    def states(self) -> pd.DataFrame:
        import pandas as pd

        df = pd.DataFrame(self.rec.states, columns=self.compiled.slots)
        df.index.name = "turn"
        return df

    @cached_property
    def actions(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for rec in self.rec.actions:
            d = self.action_dict(rec)
            rows.append(
                {
                    "turn": rec.turn,
                    "actor": d["actor"],
                    "move": d["move"],
                    "by": d["by"],
                    "status": d["status"],
                    "escalation": d["escalation"],
                    "rationale": d["rationale"]["sentence"],
                }
            )
        return pd.DataFrame(
            rows, columns=["turn", "actor", "move", "by", "status", "escalation", "rationale"]
        )

    @cached_property
    def red_lines(self) -> pd.DataFrame:
        import pandas as pd

        c = self.compiled
        rows = [
            {
                "turn": r.turn,
                "red_line": c.red_lines[r.red_line].id,
                "owner": c.actors[c.red_lines[r.red_line].owner].id,
                "status": "approached" if r.warning else "crossed",
                "crossed_by": ",".join(r.crossed_by),
                "responded": r.responded,
            }
            for r in self.rec.red_lines
        ]
        return pd.DataFrame(
            rows, columns=["turn", "red_line", "owner", "status", "crossed_by", "responded"]
        )
