"""The scenario expression language: a small, safe subset of Python expression syntax.

Text is parsed with :func:`ast.parse` (parsing only; nothing is evaluated), every node is
checked against a whitelist and every name against the scenario's declared names, and the
tree is then compiled into plain Python closures. Scenario text never reaches ``eval``/``exec``.

Grammar (informally)::

    expr  := literal | name | expr OP expr | not expr | -expr | expr if cond else expr
           | f(args) | (expr)
    OP    := + - * / % ** and or == != < <= > >=
    f     := did(actor, move) | did_ever(actor, move) | times(actor, move) | rel(actor, actor)
           | detected(actor, move) | detected_ever(actor, move)   (covert moves found out)
           | min(a, b, ...) | max(a, b, ...) | abs(x) | clip(x, lo, hi)

Division or modulo by zero yields 0; exponents are clamped to [-64, 64] and overflow saturates,
so every expression evaluates to a finite number or a bool.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 500
MAX_DEPTH = 24
MAX_NODES = 200
MAX_EXPONENT = 64.0
HUGE = 1e300

ACTION_FUNCS = {"did", "did_ever", "times", "detected", "detected_ever"}
NUMERIC_FUNCS = {"min": (2, 8), "max": (2, 8), "abs": (1, 1), "clip": (3, 3)}
ALL_FUNCS = ACTION_FUNCS | {"rel"} | set(NUMERIC_FUNCS)
BUILTIN_NAMES = {"turn"}


class ExprError(ValueError):
    """A problem in an expression; ``col`` is the 0-based offset inside the expression text."""

    def __init__(self, message: str, col: int = 0):
        super().__init__(message)
        self.col = col


@dataclass(frozen=True)
class Names:
    """Everything an expression may refer to."""

    variables: frozenset[str]
    parameters: frozenset[str]
    actors: frozenset[str]
    moves: Mapping[str, frozenset[str]]  # actor -> the moves it may take


@dataclass(frozen=True)
class Expr:
    """A parsed and checked expression. Compile it with :meth:`compile` once per run setup."""

    text: str
    tree: ast.Expression

    def compile(self, env: CompileEnv) -> Callable[[Any], Any]:
        return _Compiler(env).node(self.tree.body)

    def names(self) -> set[str]:
        return {n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name)}

    def depends_on_state(self) -> bool:
        for n in ast.walk(self.tree):
            if (
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Name)
                and (n.func.id in ACTION_FUNCS or n.func.id == "rel")
            ):
                return True
        return False


@dataclass
class CompileEnv:
    """Index maps used to turn names into array slots, plus the run's parameter values."""

    var_index: Mapping[str, int]
    rel_index: Callable[[str, str], int]
    action_index: Callable[[str, str], int]
    params: Mapping[str, Any]


def parse(text: str | int | float | bool, names: Names) -> Expr:
    """Parse and check ``text``; raise :class:`ExprError` on anything not allowed."""
    if isinstance(text, bool | int | float):
        if isinstance(text, float) and not math.isfinite(text):
            raise ExprError("number must be finite")
        text = repr(text)
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ExprError("empty expression")
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth > MAX_DEPTH:
            raise ExprError(f"expression nested deeper than {MAX_DEPTH} levels", i)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        col = max((exc.offset or 1) - 1, 0)
        raise ExprError(f"syntax error in expression: {exc.msg}", col) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExprError("expression could not be parsed") from None
    _Checker(names).check(tree)
    return Expr(text=text, tree=tree)


_ALLOWED_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.Pow)
_ALLOWED_CMPOPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)


class _Checker:
    def __init__(self, names: Names):
        self.names = names
        self.count = 0

    def fail(self, node: ast.AST, message: str) -> ExprError:
        return ExprError(message, getattr(node, "col_offset", 0))

    def check(self, tree: ast.Expression) -> None:
        self.visit(tree.body, 0)

    def visit(self, node: ast.AST, depth: int) -> None:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, f"expression has more than {MAX_NODES} parts")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"expression nested deeper than {MAX_DEPTH} levels")
        d = depth + 1
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, bool | int | float | str):
                raise self.fail(node, f"literal {node.value!r} is not allowed")
            if isinstance(node.value, float) and not math.isfinite(node.value):
                raise self.fail(node, "number must be finite")
            if isinstance(node.value, int) and abs(node.value) > 10**15:
                raise self.fail(node, "integer literal too large")
        elif isinstance(node, ast.Name):
            self.check_name(node)
        elif isinstance(node, ast.BoolOp):
            for v in node.values:
                self.visit(v, d)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.Not | ast.USub | ast.UAdd):
                raise self.fail(node, "operator not allowed")
            self.visit(node.operand, d)
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, _ALLOWED_BINOPS):
                raise self.fail(node, "operator not allowed (use + - * / % **)")
            self.visit(node.left, d)
            self.visit(node.right, d)
            if isinstance(node.op, ast.Pow):
                self.check_pow(node)
        elif isinstance(node, ast.Compare):
            if not all(isinstance(op, _ALLOWED_CMPOPS) for op in node.ops):
                raise self.fail(node, "comparison not allowed (use == != < <= > >=)")
            for v in (node.left, *node.comparators):
                self.visit(v, d)
        elif isinstance(node, ast.IfExp):
            for v in (node.test, node.body, node.orelse):
                self.visit(v, d)
        elif isinstance(node, ast.Call):
            self.check_call(node, d)
        else:
            kind = type(node).__name__
            raise self.fail(node, f"{kind} is not allowed in scenario expressions")

    def check_pow(self, node: ast.BinOp) -> None:
        exp = node.right
        if isinstance(exp, ast.UnaryOp) and isinstance(exp.operand, ast.Constant):
            exp = exp.operand
        if isinstance(exp, ast.Constant) and isinstance(exp.value, int | float):
            if abs(exp.value) > MAX_EXPONENT:
                raise self.fail(node, f"exponent larger than {MAX_EXPONENT:g}")
        elif isinstance(exp, ast.BinOp) and isinstance(exp.op, ast.Pow):
            raise self.fail(node, "chained exponents (a ** b ** c) are not allowed")

    def check_name(self, node: ast.Name) -> None:
        n = self.names
        if node.id in n.variables or node.id in n.parameters or node.id in BUILTIN_NAMES:
            return
        if node.id in ("true", "false"):
            raise self.fail(node, f"unknown name {node.id!r} (write True or False)")
        if node.id in n.actors:
            raise self.fail(node, f"actor {node.id!r} can only appear inside did()/rel()")
        raise self.fail(node, f"unknown name {node.id!r}")

    def check_call(self, node: ast.Call, depth: int) -> None:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only plain function calls are allowed")
        fname = node.func.id
        if fname not in ALL_FUNCS:
            allowed = ", ".join(sorted(ALL_FUNCS))
            raise self.fail(node, f"unknown function {fname!r} (allowed: {allowed})")
        if node.keywords:
            raise self.fail(node, f"{fname}() takes no keyword arguments")
        if fname in ACTION_FUNCS or fname == "rel":
            self.check_actor_call(node, fname)
            return
        lo, hi = NUMERIC_FUNCS[fname]
        if not lo <= len(node.args) <= hi:
            raise self.fail(node, f"{fname}() takes {lo}..{hi} arguments")
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.fail(a, "* arguments are not allowed")
            self.visit(a, depth)

    def check_actor_call(self, node: ast.Call, fname: str) -> None:
        args = node.args
        if len(args) != 2 or not all(isinstance(a, ast.Name) for a in args):
            what = "(actor, actor)" if fname == "rel" else "(actor, move)"
            raise self.fail(node, f"{fname}() takes two plain names {what}")
        first, second = (a.id for a in args)  # type: ignore[attr-defined]
        if first not in self.names.actors:
            raise self.fail(args[0], f"unknown actor {first!r}")
        if fname == "rel":
            if second not in self.names.actors:
                raise self.fail(args[1], f"unknown actor {second!r}")
            if first == second:
                raise self.fail(node, "rel() needs two different actors")
        elif second not in self.names.moves.get(first, frozenset()):
            raise self.fail(args[1], f"actor {first!r} has no move {second!r}")


def _safe_div(a: float, b: float) -> float:
    if not b:
        return 0.0
    try:
        return _clamp(a / b)
    except OverflowError:  # int / tiny float
        return HUGE if (a > 0) == (b > 0) else -HUGE


def _safe_mod(a: float, b: float) -> float:
    return _clamp(a % b) if b else 0.0


def _safe_pow(a: float, b: float) -> float:
    b = max(-MAX_EXPONENT, min(MAX_EXPONENT, float(b)))
    try:
        r = math.pow(a, b)
    except (OverflowError, ValueError, ZeroDivisionError):
        return 0.0 if a == 0 else math.copysign(HUGE, a)
    if isinstance(r, complex) or not math.isfinite(r):
        return HUGE
    return r


def _clamp(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return HUGE if v > 0 else -HUGE
    return v


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: _clamp(a + b),
    ast.Sub: lambda a, b: _clamp(a - b),
    ast.Mult: lambda a, b: _clamp(a * b),
    ast.Div: _safe_div,
    ast.Mod: _safe_mod,
    ast.Pow: _safe_pow,
}
_CMPOPS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
_NUMFUNCS: dict[str, Callable[..., Any]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "clip": lambda x, lo, hi: max(lo, min(hi, x)),
}


class _Const:
    """Marker wrapper so the compiler can fold constant sub-trees."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __call__(self, ctx: Any) -> Any:
        return self.value


class _Compiler:
    """Turns a checked tree into closures over a context with ``x``, ``did``, ``used``, ``turn``."""

    def __init__(self, env: CompileEnv):
        self.env = env

    def node(self, n: ast.AST) -> Callable[[Any], Any]:
        method = getattr(self, "c_" + type(n).__name__)
        return method(n)

    def c_Constant(self, n: ast.Constant) -> Callable[[Any], Any]:
        return _Const(n.value)

    def c_Name(self, n: ast.Name) -> Callable[[Any], Any]:
        env = self.env
        if n.id in env.params:
            return _Const(env.params[n.id])
        if n.id == "turn":
            return lambda ctx: ctx.turn
        i = env.var_index[n.id]
        return lambda ctx: ctx.x[i]

    def c_UnaryOp(self, n: ast.UnaryOp) -> Callable[[Any], Any]:
        f = self.node(n.operand)
        if isinstance(n.op, ast.Not):
            g: Callable[[Any], Any] = lambda ctx: not f(ctx)  # noqa: E731
        elif isinstance(n.op, ast.USub):
            g = lambda ctx: -f(ctx)  # noqa: E731
        else:
            g = f
        return self.fold(g, f)

    def c_BinOp(self, n: ast.BinOp) -> Callable[[Any], Any]:
        a, b = self.node(n.left), self.node(n.right)
        op = _BINOPS[type(n.op)]
        return self.fold(lambda ctx: op(a(ctx), b(ctx)), a, b)

    def c_BoolOp(self, n: ast.BoolOp) -> Callable[[Any], Any]:
        parts = [self.node(v) for v in n.values]
        g: Callable[[Any], Any]
        if len(parts) == 2:  # the common case, without a generator
            a, b = parts
            if isinstance(n.op, ast.And):
                g = lambda ctx: bool(a(ctx) and b(ctx))  # noqa: E731
            else:
                g = lambda ctx: bool(a(ctx) or b(ctx))  # noqa: E731
        elif isinstance(n.op, ast.And):
            g = lambda ctx: all(p(ctx) for p in parts)  # noqa: E731
        else:
            g = lambda ctx: any(p(ctx) for p in parts)  # noqa: E731
        return self.fold(g, *parts)

    def c_Compare(self, n: ast.Compare) -> Callable[[Any], Any]:
        items = [self.node(v) for v in (n.left, *n.comparators)]
        ops = [_CMPOPS[type(o)] for o in n.ops]
        if len(ops) == 1:
            a, b, op = items[0], items[1], ops[0]
            return self.fold(lambda ctx: op(a(ctx), b(ctx)), a, b)

        def chain(ctx: Any) -> bool:
            vals = [f(ctx) for f in items]
            return all(op(vals[i], vals[i + 1]) for i, op in enumerate(ops))

        return self.fold(chain, *items)

    def c_IfExp(self, n: ast.IfExp) -> Callable[[Any], Any]:
        t, a, b = self.node(n.test), self.node(n.body), self.node(n.orelse)
        return self.fold(lambda ctx: a(ctx) if t(ctx) else b(ctx), t, a, b)

    def c_Call(self, n: ast.Call) -> Callable[[Any], Any]:
        fname = n.func.id  # type: ignore[attr-defined]
        if fname in ACTION_FUNCS or fname == "rel":
            first, second = (a.id for a in n.args)  # type: ignore[attr-defined]
            if fname == "rel":
                i = self.env.rel_index(first, second)
                return lambda ctx: ctx.x[i]
            k = self.env.action_index(first, second)
            if fname == "did":
                return lambda ctx: bool(ctx.did[k])
            if fname == "did_ever":
                return lambda ctx: ctx.used[k] > 0
            if fname == "detected":
                return lambda ctx: bool(ctx.found[k])
            if fname == "detected_ever":
                return lambda ctx: ctx.found_ever[k] > 0
            return lambda ctx: ctx.used[k]
        args = [self.node(a) for a in n.args]
        f = _NUMFUNCS[fname]
        return self.fold(lambda ctx: f(*(a(ctx) for a in args)), *args)

    @staticmethod
    def fold(g: Callable[[Any], Any], *parts: Callable[[Any], Any]) -> Callable[[Any], Any]:
        if all(isinstance(p, _Const) for p in parts):
            return _Const(g(None))
        return g


def constant_value(fn: Callable[[Any], Any]) -> Any:
    """The folded value of a compiled expression, or raise ``ValueError`` if it needs state."""
    if isinstance(fn, _Const):
        return fn.value
    raise ValueError("expression depends on the state")


def is_constant(fn: Callable[[Any], Any]) -> bool:
    return isinstance(fn, _Const)
