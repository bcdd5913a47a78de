"""Signals: moves that change what others believe, and the record of what was said and done.

Beliefs about a red line are Beta distributions per observer (a prior of ``belief_strength``
observations at the red line's credibility, then one observation per test: answered or
not). A signal adds observations, weighted by how costly it is and by the sender's record:

    weight = strength x reliability(sender) x (CHEAP + cost + stake)

``CHEAP`` (a quarter) is what words alone count for: cheap talk moves beliefs a little, a
signal that costs its sender (a cost now, or reputation staked on it) moves them more
(Spence 1973; Fearon 1994 on audience costs). ``reliability`` is the share of the sender's
word kept so far, (kept + 1) / (kept + broken + 2). ``reaffirm``, ``threaten`` and
``declare`` (which also makes a private red line public) add the weight to the "answered"
side; ``blur`` adds it to the other side; ``withdraw`` retires the red line. A red line the
owner has vouched for that is then crossed and not answered is a bluff called: it counts as
broken word, and the stake is lost (every observer adds ``stake`` to the "not answered" side
of each of the owner's red lines). ``promise`` (to take a move within some turns) and
``reassure`` (not to take it for some turns) are kept or broken by what the sender does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .compiled import CObligation, Compiled, CSignal

if TYPE_CHECKING:
    from .model import SummitModel

CHEAP = 0.25  # what words alone count for, in observations, from a fully reliable sender


@dataclass
class Said:
    """One signal and what became of it: ``said`` (a red-line signal not yet tested),
    ``kept``, ``broken`` (a bluff called, or a promise not kept) or ``pending``."""

    turn: int
    actor: int
    action: int
    kind: str
    red_line: int | None
    move: int | None
    status: str
    resolved: int | None = None
    until: int | None = None  # promise/reassure: the last turn it covers


class SignalBook:
    """The model's record of signals, the senders' records and the withdrawn red lines."""

    def __init__(self, c: Compiled):
        self.c = c
        self.said: list[Said] = []
        self.kept = [0] * len(c.actors)
        self.broken = [0] * len(c.actors)
        self.withdrawn = [False] * len(c.red_lines)
        self.vouched = [False] * len(c.red_lines)  # its owner signalled it since the last test

    def reliability(self, actor: int) -> float:
        return (self.kept[actor] + 1.0) / (self.kept[actor] + self.broken[actor] + 2.0)

    def weight(self, sig: CSignal, sender: int, cost: float) -> float:
        return sig.strength * self.reliability(sender) * (CHEAP + max(0.0, cost) + sig.stake)

    # ----- sending ---------------------------------------------------------------------
    def send(self, m: SummitModel, sender: int, action: int, cost: float) -> None:
        a = self.c.actions[action]
        sig = a.signal
        assert sig is not None
        turn = m.ctx.turn
        if sig.red_line is not None:
            self._about_red_line(m, sender, sig, sig.red_line, self.weight(sig, sender, cost))
            entry = Said(turn, sender, action, sig.kind, sig.red_line, None, "said")
        else:
            entry = Said(
                turn, sender, action, sig.kind, None, sig.move, "pending",
                until=turn + sig.within,
            )  # fmt: skip
        self.said.append(entry)

    def _about_red_line(self, m: SummitModel, sender: int, sig: CSignal, rl: int, w: float) -> None:
        if sig.kind == "withdraw":
            self.withdrawn[rl] = True
            return
        if sig.kind == "declare":
            m.revealed[rl] = True
        for obs in range(len(self.c.actors)):
            if obs == sender:
                continue
            if sig.kind == "blur":
                m.beta_[obs][rl] += w
            else:
                m.alpha[obs][rl] += w
        self.vouched[rl] = sig.kind != "blur"

    # ----- tests of the word given -----------------------------------------------------
    def tested(self, m: SummitModel, rl: int, responded: bool) -> None:
        """A red line was crossed: if its owner had vouched for it, its word is tested."""
        owner = self.c.red_lines[rl].owner
        if not self.vouched[rl]:
            return
        self.vouched[rl] = False
        for entry in self.said:
            if entry.red_line == rl and entry.status == "said":
                entry.status = "kept" if responded else "broken"
                entry.resolved = m.ctx.turn
        if responded:
            self.kept[owner] += 1
            return
        self.broken[owner] += 1
        stake = max((s.stake for s in self._signals_on(rl) if s is not None), default=0.0)
        for line in self.c.red_lines:
            if line.owner != owner:
                continue
            for obs in range(len(self.c.actors)):
                if obs != owner:
                    m.beta_[obs][line.index] += stake

    def _signals_on(self, rl: int) -> list[CSignal | None]:
        return [self.c.actions[e.action].signal for e in self.said if e.red_line == rl]

    def end_turn(self, m: SummitModel) -> None:
        """Promises kept or broken by what the senders did this turn, or by time running out."""
        turn = m.ctx.turn
        for e in self.said:
            if e.status != "pending" or e.move is None or e.until is None:
                continue
            took = bool(m.ctx.did[e.move]) and turn > e.turn
            if e.kind == "promise" and took:
                self._settle(e, True, turn)
            elif e.kind == "reassure" and took:
                self._settle(e, False, turn)
            elif turn >= e.until:
                self._settle(e, e.kind == "reassure", turn)

    # ----- commitments made in deals ------------------------------------------------------
    def committed(self, m: SummitModel, ob: CObligation, turn: int) -> None:
        """An obligation taken on in a signed deal: ``in_force`` until it is broken."""
        self.said.append(Said(turn, ob.by, ob.action, "commitment", None, None, "in_force"))

    def commitment_broken(self, m: SummitModel, ob: CObligation) -> None:
        for e in self.said:
            if e.kind == "commitment" and e.action == ob.action and e.status == "in_force":
                self._settle(e, False, m.ctx.turn)

    def _settle(self, e: Said, kept: bool, turn: int) -> None:
        e.status, e.resolved = ("kept" if kept else "broken"), turn
        if kept:
            self.kept[e.actor] += 1
        else:
            self.broken[e.actor] += 1
