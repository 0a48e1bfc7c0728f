"""``sympy.diff`` with numpy's numbers: finite slopes where numpy's are, NaN where they are.

Below the pipeline, beside ``symgrad.simplify``: the adjoint's sweep and the eager vjp table
both differentiate through it.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.core.function import ArgumentIndexError
from sympy.core.parameters import global_parameters

from symgrad.frontend import renaming
from symgrad.rules import elementwise as ew
from symgrad.rules import masks
from symgrad.rules.base import free_symbols


def derivative(expr: Any, var: Any) -> Any:
    """``sympy.diff(expr, var)``, with the slopes of symbolic powers finite where they are:
    ``d x**k/dx`` at k = 0 and ``d 0**y/dy`` (see ``elementwise.power_functions``), and of
    ``abs`` of any expression ``sign(a)*a'`` (see ``elementwise.abs_function``)."""
    if expr.has(sp.Abs):
        real_abs = ew.abs_function(sp)
        return derivative(expr.replace(sp.Abs, real_abs), var).replace(real_abs, sp.Abs)
    if not any(p.is_Pow and not p.exp.is_Number for p in sp.preorder_traversal(expr)):
        return _keeping_roots(expr, var, chain_rule(expr, var))
    power = ew.power_functions(sp)[0]
    wrapped = expr.replace(lambda e: e.is_Pow and not e.exp.is_Number,
                           lambda e: power(*e.args))
    return chain_rule(wrapped, var).replace(lambda e: isinstance(e, power),
                                         lambda e: e.args[0]**e.args[1])


def derivatives(expr: Any, variables: list[Any],
                slopes: dict[Any, Any] | None = None) -> list[Any]:
    """``[derivative(expr, v) for v in variables]``, with what does not depend on ``v``
    done once: whether ``expr`` has an abs, a symbolic power or a root, and each function's
    own slope (``tanh(u)``'s ``1 - tanh(u)**2``), which every variable under it needs
    (kept in ``slopes``, which may be shared by many expressions)."""
    if expr.has(sp.Abs) or any(p.is_Pow and not p.exp.is_Number
                               for p in sp.preorder_traversal(expr)):
        return [derivative(expr, v) for v in variables]
    roots = any(p.exp.is_Rational and not p.exp.is_Integer for p in expr.atoms(sp.Pow))
    slopes = {} if slopes is None else slopes
    out = []
    for v in variables:
        slope = chain_rule(expr, v, slopes)
        out.append(_keeping_roots(expr, v, slope) if roots else slope)
    return out


def scaled_derivatives(g: Any, expr: Any, variables: list[Any],
                       slopes: dict[Any, Any] | None = None) -> list[tuple[Any, Any]]:
    """``(d, g * d)`` for each ``d`` of ``derivatives(expr, variables, slopes)`` (``g * 0``
    is 0): the chain rule's terms for a cotangent ``g``.

    A long function differentiates a few shapes many times over (``g * tanh(a + b)`` by
    ``a`` and ``b`` for a hundred ``g, a, b``), and SymPy's evaluation of each product is
    as dear as the slope: both are computed once per shape and renamed for the others
    (``renaming.value_of``: SymPy's expressions only, the variables symbols)."""
    def compute() -> tuple:
        ds = derivatives(expr, variables, slopes)
        return (*ds, *(sp.Integer(0) if d == 0 else g * d for d in ds))

    args = (g, expr, *variables)
    shaped = renaming.shape_of(
        (scaled_derivatives, global_parameters.distribute, global_parameters.evaluate),
        args) if all(type(v) is sp.Symbol for v in variables) else None
    out = compute() if shaped is None else renaming.value_of(shaped, args, compute)
    return list(zip(out[:len(variables)], out[len(variables):], strict=True))


def _fractional_bases(expr: Any, var: Any) -> set:
    return {p.base for p in expr.atoms(sp.Pow)
            if p.exp.is_Rational and not p.exp.is_Integer and p.base.has(var)}


def _keeping_roots(expr: Any, var: Any, slope: Any) -> Any:
    """``slope``, unless SymPy merged a root of a base that can be negative into an integer
    power of it (``d log(sqrt(t))`` as ``1/(2*t)``): then again with the roots kept apart
    (``elementwise.root_function``), nan where numpy's chain rule is nan."""
    lost = _fractional_bases(expr, var) - _fractional_bases(slope, var)
    lost = {b for b in lost if not b.is_nonnegative and slope.has(b)}
    if not lost:
        return slope
    root = ew.root_function(sp)
    kept = expr.replace(lambda e: e.is_Pow and e.base in lost and e.exp.is_Rational and
                        not e.exp.is_Integer, lambda e: root(e.base, e.exp))
    return chain_rule(kept, var)


def chain_rule(expr: Any, var: Any, slopes: dict[Any, Any] | None = None) -> Any:
    """``sympy.diff(expr, var)`` for a symbol ``var``, in the same terms, faster.

    SymPy builds (and evaluates) a ``Derivative`` object at every node, and differentiates
    each factor of a product once per factor (the general Leibniz rule); on the adjoint of a
    long function that was a quarter of the transformation. Here sums, products, powers and
    functions (through their ``fdiff``) are differentiated as SymPy's own
    ``_eval_derivative`` does, once per distinct subexpression; any other node (one with a
    derivative rule of its own) goes to ``sympy.diff``. ``slopes`` keeps each function's
    ``fdiff`` for the next variable (see ``derivatives``).
    """
    memo: dict[Any, Any] = {}
    slopes = {} if slopes is None else slopes

    def fdiff(e: Any, i: int) -> Any:
        key = (e, i)
        if key not in slopes:
            # (SymPy's tanh.fdiff builds tanh(u) again, evaluating it: the same node as e)
            slopes[key] = sp.S.One - e**2 if type(e) is sp.tanh else e.fdiff(i)
        return slopes[key]

    def d(e: Any) -> Any:
        if e == var:
            return sp.Integer(1)
        if not e.args or var not in free_symbols(e):
            return sp.Integer(0)
        if e in memo:
            return memo[e]
        kind = type(e)
        if isinstance(e, sp.Add) and kind._eval_derivative is sp.Add._eval_derivative:
            out = sp.Add(*[d(a) for a in e.args])
        elif isinstance(e, sp.Mul) and \
                kind._eval_derivative_n_times is sp.Mul._eval_derivative_n_times:
            args = list(e.args)
            terms = []
            for i, a in enumerate(args):
                da = d(a)
                if da != 0:
                    terms.append(sp.Mul(*args[:i], da, *args[i + 1:]))
            out = sp.Add(*terms)
        elif isinstance(e, sp.Pow) and kind._eval_derivative is sp.Pow._eval_derivative:
            # exp * base**(exp - 1) * dbase, not SymPy's e * exp * dbase / base: that
            # cancels what dbase shares with a product base (d sqrt(w*x)/dw as
            # sqrt(w*x)/(2*w), nan at w = 0 where numpy's x/(2*sqrt(w*x)) is inf)
            dexp = d(e.exp)
            out = d(e.base) * e.exp * e.base ** (e.exp - 1)
            if dexp != 0:
                out = out + e * sp.log(e.base) * dexp
        elif kind is sp.sign:  # numpy's slope, 0: SymPy's is 2*DiracDelta(u)*du (which
            out = sp.Integer(0)  # clean drops), or a Derivative left unevaluated where it
            # cannot tell u is real (sign(y - a/x): x may be 0), which no code can compute
        elif isinstance(e, sp.Function) and \
                kind._eval_derivative is sp.Function._eval_derivative and \
                kind._eval_derivative_n_times is sp.Basic._eval_derivative_n_times:
            try:
                out = sp.Add(*[fdiff(e, i) * da for i, da in
                               enumerate((d(a) for a in e.args), 1) if da != 0])
            except ArgumentIndexError:  # no rule for this argument: SymPy's Derivative
                out = sp.diff(e, var)
        else:
            out = sp.diff(e, var)
        memo[e] = out
        return out

    return d(expr)


def may_be_infinite(slope: Any) -> bool:
    """Whether a slope can be inf or NaN at a finite point: a division, a fractional power,
    a logarithm."""
    root = ew.root_function(sp)
    return any(e.is_Pow and not (e.exp.is_Integer and e.exp >= 0) or isinstance(e, sp.log)
               or isinstance(e, root) and e.args[1] < 0 for e in sp.preorder_traversal(slope))


def select_by_masks(expr: Any, primal: Any) -> Any:
    """``_select_by_mask`` on each term of ``expr`` and of its where's branches (a masked
    cotangent, ``where(c, m*y, 0)``, is selected inside)."""
    if isinstance(expr, masks.Where):
        c, a, b = expr.args
        return masks.Where(c, select_by_masks(a, primal), select_by_masks(b, primal))
    terms = sp.Add.make_args(expr)
    selected = [_select_by_mask(t, primal) for t in terms]
    if all(new is old for new, old in zip(selected, terms, strict=True)):
        return expr  # (no mask: the sum as it is, not built again)
    return sp.Add(*selected)


def _select_by_mask(term: Any, primal: Any) -> Any:
    """``m*y`` as ``where(m, y, 0)`` where y can be inf or NaN and m is a slope's mask (of
    clip, maximum, ...: not in ``primal``): 0 where the mask is off, as torch's backward of
    clamp and maximum selects, where the product would be NaN. A mask the user multiplies
    by (``m*x``) stays a factor, as torch multiplies by it too."""
    factors = sp.Mul.make_args(term)
    bools = [f for f in factors if masks.bool_valued(f) and not primal.has(f)]
    if not bools:
        return term
    rest = sp.Mul(*[f for f in factors if f not in bools])
    if not may_be_infinite(rest):
        return term
    cond = bools[0] if len(bools) == 1 else masks.BitAnd(*bools)
    return masks.Where(cond, rest, 0)
