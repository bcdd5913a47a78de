"""Scenario expressions and interests as sentences a student can read.

``stock < 50 - 25 * tolerance`` becomes "Beta's grain stock is below 42.5
(= 50 − 25 × Alpha's tolerance [0.3])": names come from
:class:`~summitsim.viz.labels.Labels`, and every part that depends only on parameters is
worked out with the parameter values given (the defaults unless others are passed). The
expression was checked when the scenario was loaded; here it is only parsed and read, never
evaluated as code.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import Any

from ..scenario.schema import Interest, Scenario
from .labels import Labels

_CMP = {
    ast.Gt: "is above",
    ast.Lt: "is below",
    ast.GtE: "is at least",
    ast.LtE: "is at most",
    ast.Eq: "equals",
    ast.NotEq: "is not",
}
_BIN = {ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "÷", ast.Mod: "mod", ast.Pow: "^"}
_FUNC_WORDS = {"min": "the smaller of", "max": "the larger of", "abs": "the size of"}


def number(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | float):
        f = float(v)
        return f"{f:.4g}" if math.isfinite(f) else str(f)
    return str(v)


class _Reader:
    def __init__(self, spec: Scenario, labels: Labels, params: Mapping[str, Any]):
        self.spec = spec
        self.labels = labels
        self.params = params

    # values of parameter-only parts ---------------------------------------------------------
    def value(self, n: ast.AST) -> Any:
        """The value of a part that needs no state, else raise LookupError."""
        if isinstance(n, ast.Constant):
            return n.value
        if isinstance(n, ast.Name):
            if n.id in self.params:
                return self.params[n.id]
            if n.id in ("True", "False"):
                return n.id == "True"
            raise LookupError(n.id)
        if isinstance(n, ast.UnaryOp):
            v = self.value(n.operand)
            return (not v) if isinstance(n.op, ast.Not) else -v if isinstance(n.op, ast.USub) else v
        if isinstance(n, ast.BinOp):
            a, b = self.value(n.left), self.value(n.right)
            op = type(n.op)
            if op is ast.Add:
                return a + b
            if op is ast.Sub:
                return a - b
            if op is ast.Mult:
                return a * b
            if op is ast.Div:
                return a / b if b else 0.0
            if op is ast.Mod:
                return a % b if b else 0.0
            return float(a) ** max(-64.0, min(64.0, float(b)))
        if isinstance(n, ast.IfExp):
            return self.value(n.body) if self.value(n.test) else self.value(n.orelse)
        if isinstance(n, ast.Compare) and len(n.ops) == 1:
            a, b = self.value(n.left), self.value(n.comparators[0])
            return {
                ast.Gt: a > b,
                ast.Lt: a < b,
                ast.GtE: a >= b,
                ast.LtE: a <= b,
                ast.Eq: a == b,
                ast.NotEq: a != b,
            }[type(n.ops[0])]
        if isinstance(n, ast.BoolOp):
            vals = [self.value(v) for v in n.values]
            return all(vals) if isinstance(n.op, ast.And) else any(vals)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            args = [self.value(a) for a in n.args]
            f = n.func.id
            if f == "min":
                return min(args)
            if f == "max":
                return max(args)
            if f == "abs":
                return abs(args[0])
            if f == "clip":
                return max(args[1], min(args[2], args[0]))
        raise LookupError("state")

    def uses_params(self, n: ast.AST) -> list[str]:
        return [m.id for m in ast.walk(n) if isinstance(m, ast.Name) and m.id in self.params]

    # words ----------------------------------------------------------------------------------
    def text(self, n: ast.AST, top: bool = True) -> str:
        try:
            v = self.value(n)
        except (LookupError, TypeError, ValueError, ZeroDivisionError, OverflowError):
            return self.words(n)
        used = self.uses_params(n)
        if isinstance(n, ast.Name) and n.id in self.params:
            return f"{number(v)} ({self.labels.name('parameter', n.id)})"
        if used and isinstance(v, bool):
            return f"{self.formula(n)} ({'true' if v else 'false'} here)"
        if used:
            return f"{number(v)} (= {self.formula(n)})" if top else number(v)
        return number(v)

    def formula(self, n: ast.AST) -> str:
        """A parameter-only part spelled out, each parameter with its value in brackets:
        ``75 − 25 × Alpha's tolerance [0.3]``."""
        return self._formula(n)

    def _formula(self, n: ast.AST) -> str:
        if isinstance(n, ast.Constant):
            return number(n.value)
        if isinstance(n, ast.Name):
            if n.id in self.params:
                return f"{self.labels.name('parameter', n.id)} [{number(self.params[n.id])}]"
            return n.id
        if isinstance(n, ast.BinOp):
            return f"{self._formula(n.left)} {_BIN[type(n.op)]} {self._formula(n.right)}"
        if isinstance(n, ast.UnaryOp):
            inner = self._formula(n.operand)
            return f"not {inner}" if isinstance(n.op, ast.Not) else f"−{inner}"
        if isinstance(n, ast.IfExp):
            return (
                f"{self._formula(n.body)} if {self._formula(n.test)}, "
                f"else {self._formula(n.orelse)}"
            )
        if isinstance(n, ast.Compare) and len(n.ops) == 1:
            return (
                f"{self._formula(n.left)} {_CMP[type(n.ops[0])]} {self._formula(n.comparators[0])}"
            )
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            args = ", ".join(self._formula(a) for a in n.args)
            return f"{_FUNC_WORDS.get(n.func.id, n.func.id)} {args}"
        if isinstance(n, ast.BoolOp):
            joiner = " and " if isinstance(n.op, ast.And) else " or "
            return joiner.join(self._formula(v) for v in n.values)
        return "…"

    def words(self, n: ast.AST) -> str:
        L = self.labels
        if isinstance(n, ast.Name):
            if n.id == "turn":
                return "the turn number"
            if n.id in self.spec.variables:
                return L.name("variable", n.id)
            return L.name("parameter", n.id)
        if isinstance(n, ast.Constant):
            return "every turn" if n.value is True else number(n.value)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            f = n.func.id
            if f in ("did", "did_ever", "times", "rel"):
                a, b = (getattr(x, "id", "?") for x in n.args)
                if f == "rel":
                    return f"the {L.name('relation', f'rel:{a}:{b}')} score"
                move = f"“{L.move(b)}”"
                who = L.actor(a)
                if f == "did":
                    return f"{who} takes {move}"
                if f == "did_ever":
                    return f"{who} has taken {move}"
                return f"the number of times {who} has taken {move}"
            args = [self.text(x, top=False) for x in n.args]
            if f == "clip":
                return f"{args[0]} kept between {args[1]} and {args[2]}"
            return f"{_FUNC_WORDS.get(f, f)} {' and '.join(args)}"
        if isinstance(n, ast.Compare):
            parts = [self.text(n.left, top=True)]
            for op, right in zip(n.ops, n.comparators, strict=True):
                parts.append(f"{_CMP[type(op)]} {self.text(right, top=True)}")
            return " ".join(parts)
        if isinstance(n, ast.BoolOp):
            joiner = ", and " if isinstance(n.op, ast.And) else ", or "
            return joiner.join(self.text(v) for v in n.values)
        if isinstance(n, ast.UnaryOp):
            if isinstance(n.op, ast.Not):
                return f"not ({self.text(n.operand)})"
            return f"−{self.text(n.operand, top=False)}"
        if isinstance(n, ast.BinOp):
            return (
                f"{self.text(n.left, top=False)} {_BIN[type(n.op)]} {self.text(n.right, top=False)}"
            )
        if isinstance(n, ast.IfExp):
            return f"{self.text(n.body)} if {self.text(n.test)}, otherwise {self.text(n.orelse)}"
        return "…"


def _parse(expr: Any) -> ast.AST:
    text = expr if isinstance(expr, str) else repr(expr)
    return ast.parse(text.strip(), mode="eval").body


def defaults(spec: Scenario) -> dict[str, Any]:
    return {k: p.default for k, p in spec.parameters.items()}


def condition(
    expr: Any, spec: Scenario, labels: Labels, params: Mapping[str, Any] | None = None
) -> str:
    """A condition (a red line's trigger or warning, an event's ``when``) as words."""
    reader = _Reader(spec, labels, defaults(spec) if params is None else params)
    node = _parse(expr)
    if isinstance(node, ast.Constant) and node.value is True:
        return "every turn"
    return reader.text(node)


def amount(
    expr: Any, spec: Scenario, labels: Labels, params: Mapping[str, Any] | None = None
) -> str:
    """A number that may depend on parameters (a weight, a threshold, a credibility)."""
    return _Reader(spec, labels, defaults(spec) if params is None else params).text(_parse(expr))


def interest(
    it: Interest, spec: Scenario, labels: Labels, params: Mapping[str, Any] | None = None
) -> str:
    """``a full granary: wants Beta's grain stock (tonnes) to stay above 67.5
    (= 75 − 25 × Alpha's tolerance [0.3]); weight 8``."""
    if it.variable is not None:
        target = labels.with_unit("variable", it.variable)
    else:
        assert it.relation is not None
        a, b = it.relation
        target = f"the {labels.name('relation', f'rel:{a}:{b}')} score"
    reader_params = defaults(spec) if params is None else params
    how = {
        "raise": f"wants {target} higher",
        "lower": f"wants {target} lower",
        "above": f"wants {target} to stay above "
        f"{amount(it.threshold, spec, labels, reader_params)}",
        "below": f"wants {target} to stay below "
        f"{amount(it.threshold, spec, labels, reader_params)}",
        "near": f"wants {target} close to {amount(it.target, spec, labels, reader_params)}",
    }[it.kind]
    weight = amount(it.weight, spec, labels, reader_params)
    return f"{it.description}: {how}; weight {weight}"


def credibility(
    expr: Any, spec: Scenario, labels: Labels, params: Mapping[str, Any] | None = None
) -> str:
    """A red line's credibility as a percentage, with how it is worked out if it depends on
    parameters: ``80% (Alpha's credibility)``."""
    reader = _Reader(spec, labels, defaults(spec) if params is None else params)
    node = _parse(expr)
    try:
        v = float(reader.value(node))
    except (LookupError, TypeError, ValueError):
        return reader.text(node)
    used = reader.uses_params(node)
    if isinstance(node, ast.Name) and used:
        return f"{v:.0%} ({labels.name('parameter', node.id)})"
    if used:
        return f"{v:.0%} (= {reader.formula(node)})"
    return f"{v:.0%}"
