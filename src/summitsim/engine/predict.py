"""Sparse state arithmetic shared by the AI, the adjudicator and the rationale.

A *change set* maps a state slot to its new (clipped) value; slots not in it are unchanged.
Utility differences are computed only over the slots a change set touches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .compiled import CAction, CActor, Compiled, CTerm

Delta = tuple[tuple[int, float], ...]
Changes = dict[int, float]


def expected_delta(action: CAction, ctx: Any) -> Delta:
    """The mean change an action makes (delayed effects included)."""
    if action.constant_delta is not None:
        return action.constant_delta
    out: dict[int, float] = {}
    for e in action.effects:
        out[e.slot] = out.get(e.slot, 0.0) + e.mean(ctx)
    return tuple(out.items())


def effects_delta(effects: Sequence[Any], ctx: Any) -> Delta:
    out: dict[int, float] = {}
    for e in effects:
        out[e.slot] = out.get(e.slot, 0.0) + e.mean(ctx)
    return tuple(out.items())


def apply(c: Compiled, x: Sequence[float], changes: Changes, delta: Delta) -> Changes:
    """A new change set: ``delta`` added on top of ``x`` as already changed by ``changes``."""
    out = dict(changes)
    lo, hi = c.lo, c.hi
    for slot, d in delta:
        v = out.get(slot, x[slot]) + d
        out[slot] = lo[slot] if v < lo[slot] else hi[slot] if v > hi[slot] else v
    return out


def utility_change(actor: CActor, x: Sequence[float], changes: Changes) -> float:
    """U(x with changes) - U(x), summed over the touched slots only."""
    terms = actor.slot_terms
    total = 0.0
    for slot, new in changes.items():
        t = terms.get(slot)
        if t is not None:
            w, f = t
            total += w * (new - x[slot]) if f is None else f(new) - f(x[slot])
    return total


def gain(c: Compiled, actor: CActor, x: Sequence[float], delta: Delta) -> float:
    """``utility_change(actor, x, apply(c, x, {}, delta))`` without building the change set.
    Assumes each slot appears once in ``delta`` (true of every delta built here)."""
    terms, lo, hi = actor.slot_terms, c.lo, c.hi
    total = 0.0
    for slot, d in delta:
        t = terms.get(slot)
        if t is None:
            continue
        old = x[slot]
        new = old + d
        new = lo[slot] if new < lo[slot] else hi[slot] if new > hi[slot] else new
        w, f = t
        total += w * (new - old) if f is None else f(new) - f(old)
    return total


def term_breakdown(
    actor: CActor, x: Sequence[float], changes: Changes
) -> list[tuple[CTerm, float]]:
    out = []
    for t in actor.terms:
        if t.slot in changes:
            out.append((t, t.value(changes[t.slot]) - t.value(x[t.slot])))
    return out


def overlay(x: Sequence[float], changes: Changes) -> list[float]:
    y = list(x)
    for slot, v in changes.items():
        y[slot] = v
    return y
