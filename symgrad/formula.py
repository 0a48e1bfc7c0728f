"""``G.formula()``: the gradient as mathematics.

For a straight-line function, every backward and forward statement is substituted back
into the gradients, so each is one SymPy expression over the parameters, read per entry:
for ``out = mean(3 * (x + 2) ** 2)`` the gradient with respect to ``x`` is
``6*(x + 2)/N``, and ``3*(x + 2)/2`` for a 2x2 ``x`` (the seed document's hand derivation).

Shapes: with example arguments (or ``shapes={"x": (2, 2)}``) sizes become numbers and
broadcasting is undone only where the shapes really differ; without them, every array is
taken to have one common shape of ``N`` entries, so sizes are ``N`` and broadcast sums vanish.
A function with a matrix product (``@``, dot, inner, outer) has arrays of different shapes
by construction: it needs shapes or example arguments, and without them is refused.
Array operations with no entrywise meaning (matmul, transpose, indexing) stay as named
operations: ``x @ w``, ``sum(...)``.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from symgrad.errors import SymgradError
from symgrad.rules.base import Static, Structural, static, sval
from symgrad.rules.creation import NpConstant
from symgrad.rules.grads import BroadcastLike, SumTo
from symgrad.rules.linalg import MatMul, ProductGrad, _Product
from symgrad.rules.operators import Assert
from symgrad.rules.reductions import NpSum, Reduction
from symgrad.rules.shape import ShapeAt, Size, Transpose, _Meta

_N = sp.Symbol("N", positive=True, integer=True)


class Formula:
    """The gradients of one function, as SymPy expressions, by parameter name."""

    def __init__(self, name: str, grads: dict[str, Any], shapes: dict[str, tuple] | None,
                 notes: list[str]) -> None:
        self.name = name
        self.grads = grads
        self.shapes = shapes
        self.notes = notes

    def __getitem__(self, name: str) -> Any:
        return self.grads[name]

    def __iter__(self) -> Any:
        return iter(self.grads)

    def __len__(self) -> int:
        return len(self.grads)

    def items(self) -> Any:
        return self.grads.items()

    @property
    def expr(self) -> Any:
        """The one gradient, when there is one ``wrt`` name; else a tuple in ``wrt`` order."""
        values = tuple(self.grads.values())
        return values[0] if len(values) == 1 else values

    def __str__(self) -> str:
        printer = FormulaStrPrinter()
        lines = [f"d{self.name}/d{p} = {printer.doprint(e)}" for p, e in self.grads.items()]
        return "\n".join(lines + [f"  ({n})" for n in self.notes])

    def __repr__(self) -> str:
        return f"<symgrad.Formula of {self.name}:\n{self}>"

    def _sympystr(self, printer: Any) -> str:
        return str(self)

    def _latex(self, printer: Any = None) -> str:
        latex = FormulaLatexPrinter()
        name = latex._deal_with_super_sub(self.name) if len(self.name) == 1 else \
            rf"\operatorname{{{self.name}}}".replace("_", r"\_")
        rows = [rf"\frac{{\partial {name}}}{{\partial {latex.doprint(sp.Symbol(p))}}} &= "
                f"{latex.doprint(e)}" for p, e in self.grads.items()]
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {self._latex()}$"


class FormulaStrPrinter(StrPrinter):
    """Plain text with numpy-like names for the array operations that stay opaque."""

    printmethod = "_symgrad_formula_str"

    def _print_Static(self, expr: Any) -> str:
        return repr(expr.value)

    def _print(self, expr: Any, **kwargs: Any) -> str:
        # by type, not by name: sympy's printers know other classes called MatMul, Transpose
        if isinstance(expr, Structural):
            return _structural(self, expr, latex=False)
        return super()._print(expr, **kwargs)

    def parenthesize(self, item: Any, level: int, strict: bool = False) -> str:
        # a product printed with @ inside a product or power: d*(X @ v), never d*X @ v,
        # which Python reads as (d*X) @ v
        from sympy.printing.precedence import PRECEDENCE

        if isinstance(item, (MatMul, ProductGrad)) and level >= PRECEDENCE["Mul"]:
            return f"({self._print(item)})"
        return super().parenthesize(item, level, strict)


class FormulaLatexPrinter(LatexPrinter):
    printmethod = "_symgrad_formula_latex"

    def _print_Static(self, expr: Any) -> str:
        return rf"\mathtt{{{expr.value!r}}}"

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if isinstance(expr, Structural):
            return _structural(self, expr, latex=True)
        return super()._print(expr, **kwargs)


def _name(expr: Any) -> str:
    """How formula spells a node: its numpy name (the registry entry's: ``sum``, ``reshape``,
    ``stop_gradient``), or a gradient-side node's class name in snake case (``sum_to``)."""
    entry = getattr(type(expr), "primitive", None)
    if entry is not None:
        return entry.name
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(expr).__name__).lower()


def _structural(printer: Any, expr: Any, latex: bool) -> str:
    p = printer._print
    args = expr.args
    name = _name(expr)

    def call(fname: str, items: Any) -> str:
        inner = ", ".join(p(a) for a in items)
        if latex:
            return rf"\operatorname{{{fname}}}\left({inner}\right)".replace("_", r"\_")
        return f"{fname}({inner})"

    def atom(a: Any) -> str:
        text = p(a)
        if isinstance(a, (sp.Symbol, sp.Number)) or not a.args:
            return text
        return rf"\left({text}\right)" if latex else f"({text})"

    if isinstance(expr, NpConstant) and not sval(args[1]):  # np.sqrt(2): sqrt(2)
        return call(sval(args[0]), args[2:])
    if isinstance(expr, Reduction):
        axis = sval(args[1])
        extra = [] if axis is None else [f"axis={axis!r}"]
        inner = ", ".join([p(args[0])] + extra)
        if latex:
            if name == "sum" and axis is None:
                return rf"\sum {atom(args[0])}"
            return rf"\operatorname{{{name}}}\left({inner}\right)"
        return f"{name}({inner})"
    if isinstance(expr, MatMul):
        return (f"{atom(args[0])} {atom(args[1])}" if latex
                else f"{atom(args[0])} @ {atom(args[1])}")
    if isinstance(expr, Transpose) and sval(args[1]) is None:
        return f"{atom(args[0])}^T" if latex else f"{atom(args[0])}.T"
    if isinstance(expr, ProductGrad):
        helper = str(sval(args[0]))
        g, a, b = args[1:]
        if helper == "_matmul_grad_a":
            return (f"{atom(g)} {atom(b)}^T" if latex else f"{atom(g)} @ {atom(b)}.T")
        if helper == "_matmul_grad_b":
            return (f"{atom(a)}^T {atom(g)}" if latex else f"{atom(a)}.T @ {atom(g)}")
        return call(helper.lstrip("_"), args[1:])
    return call(name, [a for a in args if not isinstance(a, Static)] +
                [a for a in args if isinstance(a, Static)])


# ---------------------------------------------------------------- the substitution


def formula(g: Any, *example_args: Any, shapes: dict | None = None,
            seeds: dict[str, Any] | None = None, seed_like: dict[str, str] | None = None
            ) -> Formula:
    """The gradients of ``g`` (a ``symgrad.grad`` function) as SymPy expressions; ``seeds``:
    the output cotangents by seed name (1 by default), ``seed_like``: the parameter each
    seed is shaped like (a number by default), for reading off shapes."""
    adj = g._adjoint
    fn = g.fn
    if getattr(adj.fn.body, "stmts", None) is None or any(
            not hasattr(s, "target") for s in adj.forward):
        raise SymgradError(f"formula() needs a straight-line function; {fn.__name__} has "
                           "control flow", hint="read the generated code: print(G.source)")
    if example_args and shapes is not None:
        raise SymgradError("pass example arguments or shapes=, not both")
    env = None
    if example_args or shapes is not None:
        env = _numeric_env(g, adj, example_args, shapes, seed_like or {})
        for seed, value in (seeds or {}).items():  # (the directions v, shaped as their seed)
            if isinstance(value, sp.Symbol) and seed in env:
                env[value.name] = env[seed]
    else:
        _refuse_products(g, adj)
    defs: dict[Any, Any] = {sp.Symbol(s, real=True): (seeds or {}).get(s, sp.Integer(1))
                            for s in adj.seeds}
    notes: list[str] = []
    for stmt in list(adj.forward) + list(adj.backward):
        if isinstance(stmt.expr, Assert):  # a check, not a value of the formula
            continue
        expr = _resolve_shapes(stmt.expr, env, notes)
        defs[sp.Symbol(stmt.target, real=True)] = expr.xreplace(defs)
    grads = {}
    for name, gname in zip(adj.wrt, adj.grads, strict=True):
        expr = defs.get(sp.Symbol(gname, real=True), sp.Integer(0))
        grads[name] = _simplify(_resolve_shapes(expr, env, notes))
    if env is None:
        notes.insert(0, "per entry; every array has the same shape, with N entries")
    else:
        desc = ", ".join(f"{k}: {v}" for k, v in env["__shapes__"].items())
        notes.insert(0, f"per entry, for shapes {desc}")
    return Formula(fn.__name__, grads, None if env is None else env["__shapes__"],
                   list(dict.fromkeys(notes)))


def _refuse_products(g: Any, adj: Any) -> None:
    """Without shapes, every array is taken to have one shape: a matrix product rules that out
    (its gradient sums over a batch axis that formula would not show)."""
    for stmt in list(adj.forward) + list(adj.backward):
        for node in sp.preorder_traversal(stmt.expr):
            if isinstance(node, _Product):
                name = _name(node).replace("matmul", "@ (matmul)")
                example = ", ".join(f"{p!r}: (...)" for p in g.params)
                raise SymgradError(
                    f"formula() of {g.fn.__name__} needs the arguments' shapes: it has a "
                    f"matrix product ({name}), so its arrays do not all have one shape",
                    hint=f"pass shapes={{{example}}} or example arguments, "
                    f"{g.fn.__name__}.formula({', '.join(g.params)}) (on the command line: "
                    "--shape NAME=D1,D2 for each parameter)")


def _numeric_env(g: Any, adj: Any, example_args: tuple, shapes: dict | None,
                 seed_like: dict[str, str]) -> dict:
    """Values of every parameter and intermediate, for reading off shapes."""
    import inspect

    sig = inspect.signature(g.fn)
    if shapes is not None:
        values = {}
        for name in g.params:
            if name in shapes:
                shape = shapes[name]
                shape = (shape,) if isinstance(shape, int) else tuple(shape)
                values[name] = np.full(shape, 0.5)
            elif sig.parameters[name].default is not inspect.Parameter.empty:
                values[name] = sig.parameters[name].default
            else:
                raise SymgradError(f"formula(shapes=...) has no shape for {name!r}",
                                   hint=f"pass shapes={{{name!r}: (...)}}, () for a scalar")
        unknown = set(shapes) - set(g.params)
        if unknown:
            raise SymgradError(f"{g.fn.__name__} has no parameter {sorted(unknown)[0]!r}",
                               hint=f"parameters: {', '.join(g.params)}")
    else:
        bound = g._bind(example_args, {})
        values = dict(bound.arguments)
    namespace = dict(g._entry[1])
    env: dict[str, Any] = {**namespace, **values}
    from symgrad.printer import NumpyPrinter

    printer = NumpyPrinter()
    env.update({s: np.ones(np.shape(values[seed_like[s]])) if s in seed_like else 1.0
                for s in adj.seeds})
    with np.errstate(all="ignore"):
        for stmt in list(adj.forward) + list(adj.backward):
            if isinstance(stmt.expr, Assert):  # a check (n, m = s), no value to read
                continue
            try:
                env[stmt.target] = eval(printer.statement(stmt.expr), env)  # noqa: S307
            except Exception as exc:  # pragma: no cover - shapes that do not fit
                raise SymgradError(f"{g.fn.__name__} cannot run at these shapes: {exc}") from None
    env["__printer__"] = printer
    env["__shapes__"] = {k: np.shape(v) for k, v in values.items()
                         if isinstance(v, (np.ndarray, float, int))}
    return env


def _shape(expr: Any, env: dict) -> tuple:
    with np.errstate(all="ignore"):
        return np.shape(eval(env["__printer__"].statement(expr), env))  # noqa: S307


def _resolve_shapes(expr: Any, env: dict | None, notes: list[str]) -> Any:
    """Sizes become numbers (or N); broadcast sums and copies become identities where they are."""
    def repl(node: Any) -> Any:
        if isinstance(node, _Meta):
            if env is not None:
                with np.errstate(all="ignore"):
                    value = eval(env["__printer__"].statement(node), env)  # noqa: S307
                if isinstance(value, (int, np.integer)):
                    return sp.Integer(int(value))
                return node
            if isinstance(node, Size):
                return _N
            if isinstance(node, ShapeAt):
                return sp.Symbol(f"n_{sval(node.args[1])}", positive=True, integer=True)
            return node
        if isinstance(node, (SumTo, BroadcastLike)):
            g, like = node.args
            if env is None or isinstance(node, BroadcastLike):
                return g  # per entry, broadcasting a value up does not change it
            g_shape, like_shape = _shape(g, env), _shape(like, env)
            try:
                if np.broadcast_shapes(g_shape, like_shape) == like_shape:
                    return g  # nothing to sum: at most broadcast up, which per entry is g
            except ValueError:  # pragma: no cover - shapes the generated code would reject
                pass
            if like_shape == () and isinstance(node, SumTo):
                return NpSum(g, static(None), static(False))
            notes.append("sum_to(g, x): g summed over the axes broadcasting added to x")
            return node
        return node

    def walk(e: Any) -> Any:
        if not e.args or isinstance(e, Static):
            return e
        args = [walk(a) for a in e.args]
        if any(a is not b for a, b in zip(args, e.args, strict=True)):
            e = e.func(*args)
        return repl(e)

    return walk(expr)


def _simplify(expr: Any) -> Any:
    """The shortest of the expression, its simplification and its factorisation."""
    candidates = []
    if sp.count_ops(expr) < 400:
        for f in (sp.factor, lambda e: e, sp.simplify):
            try:
                candidates.append(f(expr))
            except Exception:  # pragma: no cover - sympy gives up on some expressions
                pass
    else:
        candidates.append(expr)
    return min(candidates, key=sp.count_ops)  # the first of the shortest: factored wins ties


# ---------------------------------------------------------------- the Hessian view


class HessianFormula(Formula):
    """The Hessian of a scalar function times a vector ``v`` (one ``v_x`` per wrt
    parameter), as SymPy expressions per wrt parameter: ``(H v)_w = X.T @ (d*(X @ v_w))``.
    For scalar parameters, ``matrix`` is the Hessian itself (else None)."""

    def __init__(self, name: str, grads: dict[str, Any], shapes: dict[str, tuple] | None,
                 notes: list[str], directions: dict[str, Any], matrix: Any,
                 blocks: dict[tuple[str, str], Any] | None = None,
                 factors: dict[Any, Any] | None = None) -> None:
        super().__init__(name, grads, shapes, notes)
        self.directions = directions  # wrt name -> the symbol v_w
        self.matrix = matrix
        # the Hessian itself for vector parameters, block (w_i, w_j) as an array expression
        # (``X.T @ (d[:, None] * X)``), its elementwise factors named: d -> its expression
        self.blocks = blocks or {}
        self.factors = factors or {}

    def __str__(self) -> str:
        printer = FormulaStrPrinter()
        lines = [f"(H{self.name} v)_{p} = {printer.doprint(e)}" for p, e in self.grads.items()]
        if self.matrix is not None:
            lines.append(f"H{self.name} = {printer.doprint(self.matrix.tolist())}")
        elif self.blocks:
            one = len(self.directions) == 1
            for (wi, wj), block in self.blocks.items():
                lines.append(f"H{self.name}{'' if one else f'[{wi}, {wj}]'} = "
                             f"{printer.doprint(block)}")
            lines += [f"  where {printer.doprint(d)} = {printer.doprint(e)}"
                      for d, e in self.factors.items()]
        return "\n".join(lines + [f"  ({n})" for n in self.notes])

    def __repr__(self) -> str:
        return f"<symgrad.HessianFormula of {self.name}:\n{self}>"

    def _latex(self, printer: Any = None) -> str:
        latex = FormulaLatexPrinter()
        name = latex._deal_with_super_sub(self.name) if len(self.name) == 1 else \
            rf"\operatorname{{{self.name}}}".replace("_", r"\_")
        rows = [rf"\left(\nabla^2 {name}\, v\right)_{{{latex.doprint(sp.Symbol(p))}}} &= "
                f"{latex.doprint(e)}" for p, e in self.grads.items()]
        if self.matrix is not None:
            rows.append(rf"\nabla^2 {name} &= {latex.doprint(self.matrix)}")
        for (wi, wj), block in self.blocks.items():
            which = "" if len(self.directions) == 1 else \
                f"_{{{latex.doprint(sp.Symbol(wi))} {latex.doprint(sp.Symbol(wj))}}}"
            rows.append(rf"\nabla^2{which} {name} &= {latex.doprint(block)}")
        rows += [rf"{latex.doprint(d)} &= {latex.doprint(e)}" for d, e in self.factors.items()]
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


def hessian_formula(g: Any, *example_args: Any, shapes: dict | None = None) -> HessianFormula:
    """The Hessian view of ``g`` (straight-line, scalar output): the formula of its gradient
    differentiated again (``symgrad.grad(G.grad)``), the second seeds kept as symbols
    ``v_w``: each entry is the Hessian-vector product's, linear in the ``v``s."""
    from symgrad.api import grad

    if g.has_aux:
        raise SymgradError("formula(hessian=True) of a function with has_aux is not "
                           "supported yet", hint="decorate the function without has_aux")
    g2 = grad(g.grad)  # f_grad(x, ..., seed) differentiated by g's wrt
    adj2 = g2._adjoint
    directions = {w: sp.Symbol(f"v_{w}", real=True) for w in g.wrt}
    seeds = dict(zip(adj2.seeds, directions.values(), strict=True))
    if example_args:  # f_grad takes the function's arguments and then its seed
        example_args = tuple(example_args) + (1.0,) * (len(g2.params) - len(example_args))
    inner = formula(g2, *example_args, shapes=shapes, seeds=seeds,
                    seed_like=dict(zip(adj2.seeds, g.wrt, strict=True)))
    one = {sp.Symbol(g._generated.seed_param, real=True): sp.Integer(1)}
    hv = {w: _simplify(e.xreplace(one)) for w, e in inner.items()}
    matrix = None
    if inner.shapes is not None and all(inner.shapes.get(w) == () for w in g.wrt):
        matrix = sp.Matrix([[sp.diff(hv[wi], directions[wj]) for wj in g.wrt]
                            for wi in g.wrt])
    shaped = None if inner.shapes is None else {
        k: v for k, v in inner.shapes.items() if k in g.params}
    blocks, factors = {}, {}
    if matrix is None and shaped is not None:
        blocks, factors = matrix_forms(hv, directions, shaped, g)
    notes = [n for n in inner.notes if not n.startswith("per entry")]
    notes = ["per entry; every array has the same shape, with N entries" if shaped is None
             else "per entry, for shapes " + ", ".join(f"{k}: {v}" for k, v in shaped.items())
             ] + notes + [
        f"H v: the Hessian of {g.fn.__name__} times v = ({', '.join(map(str, directions.values()))})"]
    return HessianFormula(g.fn.__name__, hv, shaped, notes, directions, matrix, blocks,
                          factors)


def matrix_forms(hv: dict[str, Any], directions: dict[str, Any], shapes: dict[str, tuple],
                 g: Any) -> tuple[dict[tuple[str, str], Any], dict[Any, Any]]:
    """The Hessian's blocks as array expressions, from the Hessian-vector products: each is
    linear in the ``v``s, so block (i, j) is ``(H v)_i`` with ``v_j`` the identity (the
    other ``v``s zero), read as the textbook writes it: ``X @ v`` becomes ``X``, and a
    vector ``d`` scaling it ``d[:, None] * X``. Empty where a product is not of that form
    (a parameter of two or more axes, say)."""
    from symgrad.adjoint.batched import matrix_form

    if any(len(shapes.get(w, (0, 0))) > 1 for w in directions):
        return {}, {}
    values = {k: np.full(v, 0.5) if v else 0.5 for k, v in shapes.items()}
    values.update({str(v): np.full(shapes[w], 0.5) if shapes[w] else 0.5
                   for w, v in directions.items()})
    env = {**g._entry[1], **values}
    factors: dict[Any, Any] = {}
    blocks = {}
    for wi, e in hv.items():
        for wj, vj in directions.items():
            others = {v for w, v in directions.items() if w != wj}
            block = matrix_form(e, vj, bool(shapes[wj]), env, factors, others)
            if block is None:
                return {}, {}
            blocks[(wi, wj)] = block
    return blocks, {d: expr for expr, d in factors.items()}
