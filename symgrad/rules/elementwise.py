"""Elementwise primitives as SymPy forms: the derivative of each comes from ``sympy.diff``.

Nobody writes ``d tanh = 1 - tanh**2`` here. Each registry entry says which SymPy
expression a numpy function computes; the source transform and the eager Tensor both
differentiate that form.
SymPy is imported lazily: this module is cheap to import.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from symgrad.rules.registry import _BY_NAME as _registered
from symgrad.rules.registry import LINEAR, Primitive, Torch, register

_ARGS = ("a", "b", "c")


def _sigmoid(x: Any) -> Any:
    """The logistic function without overflow: exp of a negative number only."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _relu(x: Any) -> Any:
    return np.maximum(x, x.dtype.type(0))


def _reciprocal(x: Any) -> Any:
    return np.divide(1, x)


def elementwise(name: str, arity: int, form: Callable[..., Any], *binds: Any,
                torch: tuple[str | tuple[str, ...], str] | Torch | None = None,
                aliases: tuple[str, ...] = (), methods: tuple[str, ...] = (),
                nondiff_args: tuple[int, ...] = (), eager: Callable[..., Any] | None = None,
                traits: frozenset[str] = frozenset(), operator: str | None = None,
                params: str | None = None, synonyms: dict[str, str] | None = None) -> Primitive:
    """Register an elementwise primitive: ``form(sympy, *args)`` is what numpy computes.

    ``torch`` is (Tensor method name or names, grad_fn name), or a ``Torch`` with overloads;
    ``operator`` the Python operator the function is (``"+"``)."""
    binds = tuple(b for b in binds if b is not None)
    spec = torch if isinstance(torch, Torch) else None
    if torch is not None and spec is None:
        names, node = torch
        spec = Torch(names if isinstance(names, tuple) else (names,), node)
    names = _ARGS[:arity] if params is None else tuple(
        p.split("=")[0].strip() for p in params.split(","))
    return register(Primitive(name, binds=binds, methods=methods,
                              params=", ".join(names) if params is None else params,
                              arrays=names, nondiff_args=nondiff_args, form=form,
                              traits=traits, torch=spec, eager=eager, operator=operator,
                              synonyms=synonyms or {}), *aliases)


def _numpy2(name: str) -> Any:
    """A spelling numpy 2 added (np.pow, np.asin): None on numpy 1."""
    return getattr(np, name, None)


_m = math
elementwise("add", 2, lambda sp, a, b: a + b, np.add, torch=("add", "AddBackward0"),
            traits=frozenset({LINEAR}), operator="+")
# (overloads: "tensor" is the op with a Tensor second operand, "reflected" a number first)
elementwise("subtract", 2, lambda sp, a, b: a - b, np.subtract,
            torch=Torch(("sub", "subtract"), "SubBackward0", {}, {"reflected": "RsubBackward1"}),
            traits=frozenset({LINEAR}), operator="-")
elementwise("multiply", 2, lambda sp, a, b: a * b, np.multiply,
            torch=(("mul", "multiply"), "MulBackward0"), operator="*")
elementwise("divide", 2, lambda sp, a, b: a / b, np.divide, np.true_divide,
            torch=(("div", "divide", "true_divide"), "DivBackward0"), aliases=("true_divide",),
            operator="/")
elementwise("negative", 1, lambda sp, a: -a, np.negative,
            torch=(("neg", "negative"), "NegBackward0"), traits=frozenset({LINEAR}))
elementwise("positive", 1, lambda sp, a: a, np.positive, traits=frozenset({LINEAR}))
elementwise("power", 2, lambda sp, a, b: a**b, np.power, _numpy2('pow'), _m.pow,
            torch=Torch(("pow",), "PowBackward0", {},
                        {"tensor": "PowBackward1", "reflected": "PowBackward2"}), aliases=("pow",),
            operator="**")
elementwise("square", 1, lambda sp, a: a**2, np.square, torch=("square", "PowBackward0"))
elementwise("reciprocal", 1, lambda sp, a: 1 / a, np.reciprocal,
            torch=("reciprocal", "ReciprocalBackward0"), eager=_reciprocal)
elementwise("exp", 1, lambda sp, a: sp.exp(a), np.exp, _m.exp, torch=("exp", "ExpBackward0"))
elementwise("expm1", 1, lambda sp, a: _cfunc("expm1")(a), np.expm1, _m.expm1,
            torch=("expm1", "Expm1Backward0"))
elementwise("log", 1, lambda sp, a: sp.log(a), np.log, torch=("log", "LogBackward0"))
# math.log(x, base): np.log's second argument is out=, so math's log is an entry of its own
elementwise("math_log", 2, lambda sp, a, base: sp.log(a) if base is None else
            sp.log(a) / sp.log(base), _m.log, params="x, base=None")
elementwise("log1p", 1, lambda sp, a: _cfunc("log1p")(a), np.log1p, _m.log1p,
            torch=("log1p", "Log1PBackward0"))
elementwise("log2", 1, lambda sp, a: sp.log(a) / sp.log(2), np.log2, _m.log2,
            torch=("log2", "Log2Backward0"))
elementwise("log10", 1, lambda sp, a: sp.log(a) / sp.log(10), np.log10, _m.log10,
            torch=("log10", "Log10Backward0"))
elementwise("sqrt", 1, lambda sp, a: sp.sqrt(a), np.sqrt, _m.sqrt,
            torch=("sqrt", "SqrtBackward0"))
# not a**(1/3), which numpy makes nan for a < 0
elementwise("cbrt", 1, lambda sp, a: _cbrt_function(sp)(a), np.cbrt)
elementwise("sin", 1, lambda sp, a: sp.sin(a), np.sin, _m.sin, torch=("sin", "SinBackward0"))
elementwise("cos", 1, lambda sp, a: sp.cos(a), np.cos, _m.cos, torch=("cos", "CosBackward0"))
elementwise("tan", 1, lambda sp, a: sp.tan(a), np.tan, _m.tan, torch=("tan", "TanBackward0"))
elementwise("arcsin", 1, lambda sp, a: sp.asin(a), np.arcsin, _numpy2('asin'), _m.asin,
            torch=(("asin", "arcsin"), "AsinBackward0"), aliases=("asin",))
elementwise("arccos", 1, lambda sp, a: sp.acos(a), np.arccos, _numpy2('acos'), _m.acos,
            torch=(("acos", "arccos"), "AcosBackward0"), aliases=("acos",))
elementwise("arctan", 1, lambda sp, a: sp.atan(a), np.arctan, _numpy2('atan'), _m.atan,
            torch=(("atan", "arctan"), "AtanBackward0"), aliases=("atan",))
elementwise("arctan2", 2, lambda sp, a, b: sp.atan2(a, b), np.arctan2, _numpy2('atan2'), _m.atan2,
            torch=(("atan2", "arctan2"), "Atan2Backward0"), aliases=("atan2",))
elementwise("sinh", 1, lambda sp, a: sp.sinh(a), np.sinh, _m.sinh,
            torch=("sinh", "SinhBackward0"))
elementwise("cosh", 1, lambda sp, a: sp.cosh(a), np.cosh, _m.cosh,
            torch=("cosh", "CoshBackward0"))
elementwise("arcsinh", 1, lambda sp, a: sp.asinh(a), np.arcsinh, _numpy2('asinh'), _m.asinh,
            torch=(("asinh", "arcsinh"), "AsinhBackward0"), aliases=("asinh",))
elementwise("arccosh", 1, lambda sp, a: sp.acosh(a), np.arccosh, _numpy2('acosh'), _m.acosh,
            torch=(("acosh", "arccosh"), "AcoshBackward0"), aliases=("acosh",))
elementwise("tanh", 1, lambda sp, a: sp.tanh(a), np.tanh, _m.tanh,
            torch=("tanh", "TanhBackward0"))
# numpy has no erf: math's, printed as helpers (the Tensor's forward is math's per element)
elementwise("erf", 1, lambda sp, a: _erf_functions(sp)[0](a), _m.erf,
            torch=("erf", "ErfBackward0"), eager=lambda x: _per_element(math.erf, x))
elementwise("erfc", 1, lambda sp, a: _erf_functions(sp)[1](a), _m.erfc,
            torch=("erfc", "ErfcBackward0"), eager=lambda x: _per_element(math.erfc, x))
elementwise("arctanh", 1, lambda sp, a: sp.atanh(a), np.arctanh, _numpy2('atanh'), _m.atanh,
            torch=(("atanh", "arctanh"), "AtanhBackward0"), aliases=("atanh",))
elementwise("exp2", 1, lambda sp, a: _np_function("Exp2")(a), np.exp2,
            torch=("exp2", "Exp2Backward0"))
# slopes exp(a - logaddexp(a, b)): never above 1, so no overflow where exp(a) would
elementwise("logaddexp", 2, lambda sp, a, b: _np_function("LogAddExp")(a, b), np.logaddexp,
            torch=("logaddexp", "LogaddexpBackward0"))
elementwise("logaddexp2", 2, lambda sp, a, b: _np_function("LogAddExp2")(a, b), np.logaddexp2,
            torch=("logaddexp2", "Logaddexp2Backward0"))
elementwise("hypot", 2, lambda sp, a, b: _np_function("Hypot")(a, b), np.hypot, _m.hypot,
            torch=("hypot", "HypotBackward0"))
# slope (cos(pi*a) - sinc(a))/a, 0 at a = 0 (as torch's)
elementwise("sinc", 1, lambda sp, a: _np_function("Sinc")(a), np.sinc,
            torch=("sinc", "SincBackward0"))
elementwise("deg2rad", 1, lambda sp, a: a * sp.pi / 180, np.deg2rad, np.radians, _m.radians,
            torch=("deg2rad", "Deg2RadBackward0"), aliases=("radians",),
            traits=frozenset({LINEAR}))
elementwise("rad2deg", 1, lambda sp, a: a * 180 / sp.pi, np.rad2deg, np.degrees, _m.degrees,
            torch=("rad2deg", "Rad2DegBackward0"), aliases=("degrees",),
            traits=frozenset({LINEAR}))
elementwise("abs", 1, lambda sp, a: sp.Abs(a), np.abs, np.absolute, np.fabs, _m.fabs, abs,
            torch=(("abs", "absolute"), "AbsBackward0"), aliases=("absolute", "fabs"))
elementwise("sign", 1, lambda sp, a: sp.sign(a), np.sign, torch=("sign", "SignBackward0"))
elementwise("maximum", 2, lambda sp, a, b: _masks().Maximum(a, b), np.maximum,
            torch=("maximum", "MaximumBackward0"))
elementwise("minimum", 2, lambda sp, a, b: _masks().Minimum(a, b), np.minimum,
            torch=("minimum", "MinimumBackward0"))
# NaN ignored: the other side is the value, and gets the gradient; a tie gives it to a
elementwise("fmax", 2, lambda sp, a, b: _masks().Fmax(a, b), np.fmax,
            torch=("fmax", "FmaxBackward0"))
elementwise("fmin", 2, lambda sp, a, b: _masks().Fmin(a, b), np.fmin,
            torch=("fmin", "FminBackward0"))
# C's remainder (the sign of a): d/db = -trunc(a/b), as torch's
elementwise("fmod", 2, lambda sp, a, b: _np_function("Fmod")(a, b), np.fmod, _m.fmod,
            torch=Torch(("fmod",), "FmodBackward0", {}, {"tensor": "FmodBackward1"}))
# |a| with b's sign: d/da = out/a (0 at a = 0, as torch's), d/db = 0
elementwise("copysign", 2, lambda sp, a, b: _np_function("Copysign")(a, b), np.copysign,
            _m.copysign, torch=Torch(("copysign",), "CopysignBackward1", {},
                                     {"tensor": "CopysignBackward0"}))
# a step: no slope in x1; x2 is the value where x1 == 0 (torch's heaviside has no backward)
elementwise("heaviside", 2, lambda sp, a, b: _np_function("NpHeaviside")(a, b), np.heaviside,
            params="x1, x2")
# on real input (symgrad's arrays are real): real and conj are the identity, imag zeros,
# angle 0 or pi (piecewise constant: slope 0, as torch's)
elementwise("real", 1, lambda sp, a: a, np.real, params="val", traits=frozenset({LINEAR}))
elementwise("conjugate", 1, lambda sp, a: _np_function("Conj")(a), np.conjugate, methods=("conj", "conjugate"),
            params="x", traits=frozenset({LINEAR}), aliases=("conj",))
elementwise("imag", 1, lambda sp, a: _np_function("Imag")(a), np.imag, params="val")
elementwise("angle", 1, lambda sp, a: _np_function("Angle")(a), np.angle, params="z",
            torch=("angle", "AngleBackward0"))
# a bound of None is no bound (np.clip(x, None, 1.0))
elementwise("clip", 3, lambda sp, a, lo, hi: _clip_functions(sp)[0](
    a, -sp.oo if lo is None else lo, sp.oo if hi is None else hi), np.clip,
            methods=("clip",), params="a, a_min=None, a_max=None",
            synonyms={"min": "a_min", "max": "a_max"},  # numpy 2's keywords, x.clip's
            torch=Torch(("clamp", "clip"), "ClampBackward1", {}, {"tensor": "ClampBackward0"}))
elementwise("where", 3, lambda sp, c, a, b: _masks().Where(c, a, b), np.where,
            nondiff_args=(0,), torch=("where", "WhereBackward0"))
# the tanh form's derivative stays finite where exp(-a) overflows
elementwise("sigmoid", 1, lambda sp, a: (1 + sp.tanh(a / 2)) / 2,
            torch=("sigmoid", "SigmoidBackward0"), eager=_sigmoid)
elementwise("relu", 1, lambda sp, a: _masks().Where(_masks().IsGreater(a, 0), a, 0),
            torch=("relu", "ReluBackward0"), eager=_relu)
del _m

# derived views, for readers not yet on the registry
_ENTRIES = {e.name: e for e in _registered.values() if e.form is not None}
ELEMENTWISE_NAMES: frozenset[str] = frozenset(_ENTRIES)
# numpy spellings that mean the same primitive
ALIASES: dict[str, str] = {
    **{alias: e.name for alias, e in _registered.items() if e.form is not None and
       alias != e.name},
    "amax": "max", "amin": "min",
}
# arguments that carry no gradient (where's condition)
NON_DIFFERENTIABLE_ARGS: dict[str, tuple[int, ...]] = {
    e.name: e.nondiff_args for e in _ENTRIES.values() if e.nondiff_args}


def arity(name: str) -> int:
    return _registered[name].arity


def sympy_form(name: str, *args: Any) -> Any:
    """The SymPy expression numpy's ``name`` computes on ``args``."""
    import sympy
    from sympy.core.parameters import distribute, global_parameters

    form = _registered[name].form
    if not global_parameters.evaluate or global_parameters.distribute:
        return form(sympy, *args)
    with distribute(True):  # see exact.evaluated
        return form(sympy, *args)  # (any family's elementwise entry)


def _masks() -> Any:
    from symgrad.rules import masks

    return masks


def as_numbers(expr: Any) -> Any:
    """A gradient's sums of masks as numbers (see ``masks.as_numbers``)."""
    return _masks().as_numbers(expr)


def _cfunc(name: str) -> Any:
    from sympy.codegen import cfunctions

    return getattr(cfunctions, name)


_CLIP: tuple = ()


def _clip_functions(sp: Any) -> tuple:
    """SymPy functions for clip and its slopes, made once: the slope is 1 on the closed
    interval ``lo <= a <= hi`` (as torch.clamp's), where Min/Max would give 1/2 at a bound."""
    global _CLIP
    if _CLIP:
        return _CLIP

    def bound(printer: Any, value: Any) -> str | None:
        return None if value in (sp.oo, -sp.oo) else printer._print(value)

    class Clip(sp.Function):
        @classmethod
        def eval(cls, a: Any, lo: Any, hi: Any) -> Any:
            if all(v.is_number for v in (a, lo, hi)):
                return sp.Min(sp.Max(a, lo), hi)
            return None

        def fdiff(self, argindex: int = 1) -> Any:
            a, lo, hi = self.args
            return (ClipSlope(a, lo, hi), ClipBelow(a, lo), ClipBelow(hi, a))[argindex - 1]

        def _numpycode(self, printer: Any) -> str:
            a, lo, hi = self.args
            return (f"np.clip({printer._print(a)}, {bound(printer, lo)}, "
                    f"{bound(printer, hi)})")

    class ClipSlope(sp.Function):  # 1 where lo <= a <= hi
        bool_array = True  # printed as a comparison

        def fdiff(self, argindex: int = 1) -> Any:
            return sp.Integer(0)

        def _numpycode(self, printer: Any) -> str:
            a, lo, hi = self.args
            tests = [f"({b} <= {printer._print(a)})" for b in [bound(printer, lo)] if b] + \
                [f"({printer._print(a)} <= {b})" for b in [bound(printer, hi)] if b]
            if not tests:
                return f"np.ones_like({printer._print(a)})"
            return tests[0] if len(tests) == 1 else f"({' & '.join(tests)})"

    class ClipBelow(sp.Function):  # 1 where a < b
        bool_array = True  # printed as a comparison

        def fdiff(self, argindex: int = 1) -> Any:
            return sp.Integer(0)

        def _numpycode(self, printer: Any) -> str:
            a, b = self.args
            if sp.oo in (a, b) or -sp.oo in (a, b):
                return "False"
            return f"({printer._print(a)} < {printer._print(b)})"

    _CLIP = (Clip, ClipSlope, ClipBelow)
    return _CLIP


_CBRT: list = []


def _cbrt_function(sp: Any) -> Any:
    """np.cbrt as a function of its own: real for a < 0, with the slope 1/(3*cbrt(a)**2)."""
    if _CBRT:
        return _CBRT[0]

    class Cbrt(sp.Function):
        @classmethod
        def eval(cls, a: Any) -> Any:
            if a.is_Number and a >= 0:
                return sp.cbrt(a)
            return None

        def fdiff(self, argindex: int = 1) -> Any:
            return 1 / (3 * self**2)

        def _numpycode(self, printer: Any) -> str:
            return f"np.cbrt({printer._print(self.args[0])})"

    _CBRT.append(Cbrt)
    return Cbrt


_ABS: list = []


def abs_function(sp: Any) -> Any:
    """``|a|`` for differentiation, with torch's slope ``sign(a)`` (0 at 0).

    SymPy's own slope of ``Abs`` of an expression it cannot prove real (``abs(log(u))``) is
    the complex form ``(re(a)*re(a)' + im(a)*im(a)')/|a|``: unreadable, and nan at a = 0.
    """
    if not _ABS:
        class RealAbs(sp.Function):
            def fdiff(self, argindex: int = 1) -> Any:
                return sp.sign(self.args[0])

        _ABS.append(RealAbs)
    return _ABS[0]


_ROOT: list = []


def root_function(sp: Any) -> Any:
    """``b**q`` with a fractional q, for differentiation when SymPy's product rule would merge
    its powers: ``1/sqrt(t) * 1/(2*sqrt(t))`` is ``1/(2*t)`` to SymPy, finite where t < 0 and
    numpy's chain rule (and torch's) gives nan. Root(b, q) keeps each factor a root."""
    if not _ROOT:
        class Root(sp.Function):
            def fdiff(self, argindex: int = 1) -> Any:
                b, q = self.args
                return q * (Root(b, q - 1) if q != 1 else sp.Integer(1))

            def _numpycode(self, printer: Any) -> str:
                b, q = self.args
                if q == sp.S.Half:
                    return f"np.sqrt({printer._print(b)})"
                if q == -sp.S.Half:
                    return f"(1/np.sqrt({printer._print(b)}))"
                # q = 3/2 prints as (3/2): b**3/2 would be (b**3)/2
                return f"({printer.parenthesize(b, 1000)}**{printer.parenthesize(q, 1000)})"

        _ROOT.append(Root)
    return _ROOT[0]


_POWER: list = []


def power_functions(sp: Any) -> tuple:
    """``b**e`` with a symbolic exponent, for differentiation: (Power, its two slopes).

    SymPy's slopes ``e*b**(e - 1)`` and ``b**e*log(b)`` are nan at b = 0 where the true
    slopes are finite: ``x**k`` with k = 0 is 1 for every x (slope 0, and ``0.0**-1`` raises
    for a Python float), and ``0.0**y`` is 0 for every y > 0 (slope 0). These print as helpers
    that give torch's values there.
    """
    if _POWER:
        return tuple(_POWER)

    class Power(sp.Function):
        def fdiff(self, argindex: int = 1) -> Any:
            b, e = self.args
            return PowSlope(b, e) if argindex == 1 else PowLogSlope(self, b)

    masks = _masks()

    class PowSlope(sp.Function):  # d(b**e)/db
        def fdiff(self, argindex: int = 1) -> Any:
            # of e*b**(e - 1), and 0 where e == 0 (torch's where in pow's backward):
            # for the Hessian of b**e
            b, e = self.args
            if argindex == 1:
                slope = e * PowSlope(b, e - 1)
            else:
                slope = b**(e - 1) + e * PowLogSlope(b**(e - 1), b)
            return masks.Where(masks.IsEqual(e, 0), 0, slope)

        def _numpycode(self, printer: Any) -> str:
            printer.use_helper("_pow_slope")
            return f"_pow_slope({', '.join(printer._print(a) for a in self.args)})"

    class PowLogSlope(sp.Function):  # d(b**e)/de, args (b**e, b)
        def fdiff(self, argindex: int = 1) -> Any:
            # of power*log(b), and 0 where b == 0 (where the helper gives 0)
            power, b = self.args
            slope = sp.log(b) if argindex == 1 else power / b
            return masks.Where(masks.IsEqual(b, 0), 0, slope)

        def _numpycode(self, printer: Any) -> str:
            printer.use_helper("_pow_log_slope")
            return f"_pow_log_slope({', '.join(printer._print(a) for a in self.args)})"

    _POWER.extend([Power, PowSlope, PowLogSlope])
    return tuple(_POWER)


_FUNCTIONS: dict[str, Any] = {}


def _np_function(name: str) -> Any:
    """The SymPy function (made once) that prints as the numpy function of the same job."""
    if not _FUNCTIONS:
        _FUNCTIONS.update(_numpy_functions())
    return _FUNCTIONS[name]


def _numpy_functions() -> dict[str, Any]:
    """numpy functions SymPy has no spelling for, each with its slopes (``fdiff``): chosen
    to be numpy's numbers (finite where numpy's are) and torch's at non-smooth points."""
    import sympy as sp

    masks = _masks()

    class NpFunction(sp.Function):
        """``numpy(*args)``; numbers fold through ``value`` (a float function)."""

        numpy = ""
        value: Callable[..., float] | None = None
        is_real = True

        @classmethod
        def eval(cls, *args: Any) -> Any:
            if cls.value is not None and all(a.is_Number for a in args):
                with np.errstate(all="ignore"):
                    return sp.Float(float(cls.value(*[float(a) for a in args])))
            return None

        def _numpycode(self, printer: Any) -> str:
            return f"{self.numpy}({', '.join(printer.doprint_expr(a) for a in self.args)})"

    class Exp2(NpFunction):
        numpy, value = "np.exp2", np.exp2

        def fdiff(self, argindex: int = 1) -> Any:
            return sp.log(2) * self

    class LogAddExp(NpFunction):  # d/da = exp(a)/(exp(a) + exp(b)) = exp(a - out)
        numpy, value = "np.logaddexp", np.logaddexp

        def fdiff(self, argindex: int = 1) -> Any:
            return sp.exp(self.args[argindex - 1] - self)

    class LogAddExp2(NpFunction):
        numpy, value = "np.logaddexp2", np.logaddexp2

        def fdiff(self, argindex: int = 1) -> Any:
            return Exp2(self.args[argindex - 1] - self)

    class Hypot(NpFunction):  # nan at (0, 0), as torch's grad*x/out
        numpy, value = "np.hypot", np.hypot

        def fdiff(self, argindex: int = 1) -> Any:
            return self.args[argindex - 1] / self

    class Sinc(NpFunction):
        numpy, value = "np.sinc", np.sinc

        def fdiff(self, argindex: int = 1) -> Any:
            a = self.args[0]
            return masks.Where(masks.IsEqual(a, 0), 0, (sp.cos(sp.pi * a) - self) / a)

    class Trunc(NpFunction):  # a step: no slope
        numpy, value = "np.trunc", np.trunc

        def fdiff(self, argindex: int = 1) -> Any:
            return sp.S.Zero

    class Fmod(NpFunction):
        numpy, value = "np.fmod", np.fmod

        def fdiff(self, argindex: int = 1) -> Any:
            a, b = self.args
            return sp.S.One if argindex == 1 else -Trunc(a / b)

    class Copysign(NpFunction):
        numpy, value = "np.copysign", np.copysign

        def fdiff(self, argindex: int = 1) -> Any:
            a = self.args[0]
            return masks.Where(masks.IsEqual(a, 0), 0, self / a) if argindex == 1 else sp.S.Zero

    class NpHeaviside(NpFunction):  # (not "Heaviside": SymPy prints that name its own way)
        numpy, value = "np.heaviside", np.heaviside

        def fdiff(self, argindex: int = 1) -> Any:
            return sp.S.Zero if argindex == 1 else masks.IsEqual(self.args[0], 0)

    class Conj(NpFunction):  # a copy of real input (a write to it is not a write to a)
        numpy, value = "np.conj", np.conj

        def fdiff(self, argindex: int = 1) -> Any:
            return sp.S.One

    class Imag(NpFunction):  # zeros on real input
        numpy, value = "np.imag", np.imag

        def fdiff(self, argindex: int = 1) -> Any:
            return sp.S.Zero

    class Angle(NpFunction):  # 0 or pi on real input
        numpy, value = "np.angle", np.angle

        def fdiff(self, argindex: int = 1) -> Any:
            return sp.S.Zero

    return {c.__name__: c for c in (Exp2, LogAddExp, LogAddExp2, Hypot, Sinc, Trunc, Fmod,
                                    Copysign, NpHeaviside, Conj, Imag, Angle, NpFunction)}


def _per_element(f: Callable[[float], float], x: Any) -> Any:
    """A math function on each element of an array, in the array's float dtype."""
    x = np.asarray(x)
    out = np.vectorize(f, otypes=[np.float64])(x)
    return out.astype(x.dtype, copy=False) if x.dtype.kind == "f" else out


_ERF: list = []


def _erf_functions(sp: Any) -> tuple:
    """SymPy's erf and erfc (their slopes SymPy's), printed as the helpers ``_erf``/``_erfc``."""
    if not _ERF:
        def printed(base: Any, helper: str) -> Any:
            def _numpycode(self: Any, printer: Any) -> str:
                printer.use_helper(helper)
                return f"{helper}({printer.doprint_expr(self.args[0])})"

            return type(base.__name__.capitalize(), (base,), {"_numpycode": _numpycode})

        _ERF.extend([printed(sp.erf, "_erf"), printed(sp.erfc, "_erfc")])
    return tuple(_ERF)
