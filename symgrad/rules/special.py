"""Special functions: math.lgamma and math.gamma, and scipy.special when the user calls it.

SciPy is optional. Its functions are bound by path (``lazy_binds``: ``scipy.special.expit``):
the registry finds them once the user's module has imported scipy.special, and never imports
it itself; a generated module calls ``scipy.special.<name>`` (and imports scipy.special) only
when the function it differentiates did. math.lgamma and math.gamma print as helpers
(``_lgamma``, math's per element) and their slope, the digamma function, as the inlined
``_digamma`` (recurrence and asymptotic series, numpy only): the module of a function that
uses no scipy runs without scipy, whatever was installed when it was generated.

The elementwise entries are SymPy functions with their slopes (``fdiff``), so the derivative
is ``sympy.diff``'s. The slopes reuse the primal where it is stable: expit's is
``expit*(1 - expit)``, erfinv's ``sqrt(pi)/2*exp(erfinv**2)``. Non-smooth points follow
torch: ``xlogy(x, y)`` is 0 where x == 0; its slope in x is log(y) (x*log(y) is smooth in x
for y > 0), and 0 where x == 0 and y <= 0 (torch's mask); its slope in y is ``x/y`` (nan at
x == y == 0, as torch's). xlog1py likewise with 1 + y. logsumexp, softmax and
log_softmax are structural (their axis), with stable vjps: ``b*exp(a - lse)``,
``s*(g - sum(g*s))``, ``g - exp(ls)*sum(g)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from symgrad.rules.elementwise import _per_element
from symgrad.rules.grads import SumTo
from symgrad.rules.reductions import NpSum, expand_reduced
from symgrad.rules.registry import COSTLY, Primitive, Rule, Torch, lazy_module, register
from symgrad.rules.shape import normalize_axes

base = lazy_module("symgrad.rules.base")
masks = lazy_module("symgrad.rules.masks")
sp = lazy_module("sympy")

_SCIPY = "scipy.special"


# ---------------------------------------------------------------- the numpy forwards
# (the Tensor's: it runs without scipy)


def _lgamma_number(v: float) -> float:
    """math.lgamma, inf at its poles (0, -1, -2, ...) as torch.lgamma, where math raises."""
    return math.inf if v <= 0 and v == int(v) else math.lgamma(v)


def _logit(p: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(p / (1 - p))


def _xlogy(x: Any, y: Any) -> Any:
    """x*log(y), 0 where x == 0 (and y is not nan), as scipy's and torch's."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y))


def _logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
               return_sign: bool = False) -> Any:
    """scipy.special.logsumexp in numpy: the largest value taken out first."""
    a = np.asarray(a)
    a = a if a.dtype.kind in "fc" else a.astype(float)
    if b is not None:
        a, b = np.broadcast_arrays(a, b)
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    with np.errstate(divide="ignore"):
        e = np.exp(a - top) if b is None else b * np.exp(a - top)
        out = np.log(np.sum(e, axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _softmax(x: Any, axis: Any = None) -> Any:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x: Any, axis: Any = None) -> Any:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# ---------------------------------------------------------------- the SymPy functions

_FUNCTIONS: dict[str, Any] = {}


def _f(name: str) -> Any:
    if not _FUNCTIONS:
        _FUNCTIONS.update(_sympy_functions())
    return _FUNCTIONS[name]


def _sympy_functions() -> dict[str, Any]:
    """The SymPy functions the entries' forms are made of, with their slopes."""
    import sympy

    sqrt_pi = sympy.sqrt(sympy.pi)

    class Special(sympy.Function):
        """``scipy.special.<scipy>(*args)`` or the helper ``helper(*args)``; numbers fold
        through ``value``."""

        scipy = ""
        helper = ""
        is_real = True

        @staticmethod
        def value(*args: float) -> float:
            raise NotImplementedError

        @classmethod
        def eval(cls, *args: Any) -> Any:
            if all(a.is_Number for a in args):
                try:
                    with np.errstate(all="ignore"):
                        return sympy.Float(float(cls.value(*[float(a) for a in args])))
                except (ValueError, OverflowError, NotImplementedError, ImportError):
                    return None
            return None

        def _symgrad_formula_str(self, printer: Any) -> str:  # G.formula(): digamma(x)
            name = self.scipy or self.helper.lstrip("_")
            return f"{name}({', '.join(printer._print(a) for a in self.args)})"

        def _symgrad_formula_latex(self, printer: Any) -> str:
            name = self.scipy or self.helper.lstrip("_")
            inner = ", ".join(printer._print(a) for a in self.args)
            return rf"\operatorname{{{name}}}\left({inner}\right)"

        def _numpycode(self, printer: Any) -> str:
            args = ", ".join(printer.doprint_expr(a) for a in self.args)
            if self.helper:
                printer.use_helper(self.helper)
                return f"{self.helper}({args})"
            printer.use_import(_SCIPY)
            return f"scipy.special.{self.scipy}({args})"

    def scipy_value(name: str) -> Callable[..., float]:
        def value(*args: float) -> float:
            import scipy.special

            return getattr(scipy.special, name)(*args)

        return staticmethod(value)

    def special(name: str, slopes: Callable[..., tuple], *, scipy: str = "",
                helper: str = "", value: Callable[..., float] | None = None) -> type:
        def fdiff(self: Any, argindex: int = 1) -> Any:
            return slopes(self, *self.args)[argindex - 1]

        return type(name, (Special,), {
            "scipy": scipy, "helper": helper, "fdiff": fdiff,
            "value": staticmethod(value) if value is not None else scipy_value(scipy)})

    # numpy-only helpers (math.lgamma's and math.gamma's, and their slopes)
    def digamma_value(x: float) -> float:
        from symgrad.helpers import _digamma

        return _digamma(x)

    def polygamma_value(n: float, x: float) -> float:
        from symgrad.helpers import _polygamma

        if n != int(n) or n < 0:
            raise ValueError(n)
        return _polygamma(int(n), x)

    hpolygamma = special("HPolygamma", lambda s, n, x: (sympy.S.Zero, hpolygamma(n + 1, x)),
                         helper="_polygamma", value=polygamma_value)
    hdigamma = special("HDigamma", lambda s, x: (hpolygamma(1, x),), helper="_digamma",
                       value=digamma_value)
    lgamma = special("MathLgamma", lambda s, x: (hdigamma(x),), helper="_lgamma",
                     value=math.lgamma)
    gamma = special("MathGamma", lambda s, x: (s * hdigamma(x),), helper="_gamma",
                    value=math.gamma)

    # scipy.special
    polygamma = special("ScPolygamma", lambda s, n, x: (sympy.S.Zero, polygamma(n + 1, x)),
                        scipy="polygamma")
    digamma = special("ScDigamma", lambda s, x: (polygamma(1, x),), scipy="digamma")
    gammaln = special("ScGammaln", lambda s, x: (digamma(x),), scipy="gammaln")
    sgamma = special("ScGamma", lambda s, x: (s * digamma(x),), scipy="gamma")
    erf = special("ScErf", lambda s, x: (2 / sqrt_pi * sympy.exp(-x**2),), scipy="erf")
    erfc = special("ScErfc", lambda s, x: (-2 / sqrt_pi * sympy.exp(-x**2),), scipy="erfc")
    erfinv = special("ScErfinv", lambda s, x: (sqrt_pi / 2 * sympy.exp(s**2),), scipy="erfinv")
    erfcinv = special("ScErfcinv", lambda s, x: (-sqrt_pi / 2 * sympy.exp(s**2),),
                      scipy="erfcinv")
    expit = special("ScExpit", lambda s, x: (s * (1 - s),), scipy="expit")
    logit = special("ScLogit", lambda s, x: (1 / (x * (1 - x)),), scipy="logit")
    # torch's xlogy slopes: log(y) in x (x*log(y) is smooth in x where y > 0), 0 where
    # x == 0 and y <= 0 (where xlogy is 0 and log(y) is not finite); x/y in y
    def where_zero(x: Any, y: Any, edge: Any, value: Any) -> Any:
        return masks.Where(masks.BitAnd(masks.IsEqual(x, 0), masks.IsLessEqual(y, edge)), 0,
                           value)

    xlogy = special("ScXlogy", lambda s, x, y: (
        where_zero(x, y, 0, sympy.log(y)), x / y), scipy="xlogy")
    xlog1py = special("ScXlog1py", lambda s, x, y: (
        where_zero(x, y, -1, sympy.log(1 + y)), x / (1 + y)), scipy="xlog1py")
    return {c.__name__: c for c in (hpolygamma, hdigamma, lgamma, gamma, polygamma, digamma,
                                    gammaln, sgamma, erf, erfc, erfinv, erfcinv, expit, logit,
                                    xlogy, xlog1py)}


# ---------------------------------------------------------------- elementwise entries


def _entry(name: str, function: str, *paths: str, params: str = "x",
           torch: Torch | None = None, eager: Callable[..., Any] | None = None,
           nondiff_args: tuple[int, ...] = (), binds: tuple[Any, ...] = (),
           aliases: tuple[str, ...] = ()) -> Primitive:
    names = tuple(p.strip() for p in params.split(","))
    return register(Primitive(
        name, binds=binds, lazy_binds=tuple(f"{_SCIPY}.{p}" for p in paths), params=params,
        arrays=names, nondiff_args=nondiff_args, form=lambda sp_, *a: _f(function)(*a),
        torch=torch, eager=eager), *aliases)


# math's: numpy-only code (the slope is the inlined _digamma)
_entry("lgamma", "MathLgamma", binds=(math.lgamma,), torch=Torch(("lgamma",), "LgammaBackward0"),
       eager=lambda x: _per_element(_lgamma_number, x))
_entry("gamma", "MathGamma", binds=(math.gamma,), eager=lambda x: _per_element(math.gamma, x))

# scipy.special's
_entry("special_erf", "ScErf", "erf")
_entry("special_erfc", "ScErfc", "erfc")
_entry("erfinv", "ScErfinv", "erfinv", params="y")
_entry("erfcinv", "ScErfcinv", "erfcinv", params="y")
_entry("expit", "ScExpit", "expit")
_entry("logit", "ScLogit", "logit", torch=Torch(("logit",), "LogitBackward0"), eager=_logit)
_entry("gammaln", "ScGammaln", "gammaln")
_entry("digamma", "ScDigamma", "digamma", "psi", params="z", aliases=("psi",))
_entry("polygamma", "ScPolygamma", "polygamma", params="n, x", nondiff_args=(0,))
_entry("special_gamma", "ScGamma", "gamma", params="z")
_entry("xlogy", "ScXlogy", "xlogy", params="x, y",
       torch=Torch(("xlogy",), "XlogyBackward2", {}, {"tensor": "XlogyBackward0"}),
       eager=_xlogy)
_entry("xlog1py", "ScXlog1py", "xlog1py", params="x, y")


# ---------------------------------------------------------------- structural entries


class Logsumexp(Rule):
    """scipy.special.logsumexp(a, axis, keepdims): args (a, axis, keepdims)."""

    traits = frozenset({COSTLY})
    node_args = ("a", "axis", "b", "keepdims", "return_sign")
    n_diff = 1

    @property
    def statics(self) -> tuple[Any, bool]:
        axis, keepdims = self.args[-2:]
        return base.sval(axis), bool(base.sval(keepdims))

    @property
    def needs_full_g(self) -> bool:
        return self.statics[0] is not None

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        axis, keepdims = self.statics
        return base.SCALAR if axis is None and not keepdims else fresh

    def _numpycode(self, printer: Any) -> str:
        axis, keepdims = self.statics
        printer.use_import(_SCIPY)
        b = "" if self.n_diff == 1 else f", b={base._a(printer, self.args[1])}"
        kw = base._kw(axis=(axis, None)) + b + base._kw(keepdims=(keepdims, False))
        return f"scipy.special.logsumexp({base._a(printer, self.args[0])}{kw})"

    def weights(self) -> Any:
        """exp(a - logsumexp), each element's share (never above 1/b: no overflow)."""
        axis, keepdims = self.statics
        return sp.exp(self.args[0] - expand_reduced(self, axis, keepdims))

    def vjp(self, g: Any) -> list[Any]:
        axis, keepdims = self.statics
        return [expand_reduced(g, axis, keepdims) * self.weights()]

    def jvp(self, tangents: list[Any]) -> Any:
        axis, keepdims = self.statics
        return NpSum(tangents[0] * self.weights(), base.static(axis), base.static(keepdims))

    @classmethod
    def make(cls, a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
             return_sign: bool = False) -> Any:
        if return_sign:
            raise ValueError("return_sign=True is not supported (the sign has no gradient; "
                             "differentiate logsumexp with positive weights b)")
        axis = tuple(axis) if isinstance(axis, list) else axis
        statics = (base.static(axis), base.static(bool(keepdims)))
        return cls(a, *statics) if b is None else WeightedLogsumexp(a, b, *statics)


class WeightedLogsumexp(Logsumexp):
    """logsumexp with weights b: args (a, b, axis, keepdims)."""

    n_diff = 2

    def vjp(self, g: Any) -> list[Any]:
        axis, keepdims = self.statics
        back = expand_reduced(g, axis, keepdims) * self.weights()
        a, b = self.args[:2]
        return [SumTo(back * b, a), SumTo(back, b)]  # (a and b broadcast together)

    def jvp(self, tangents: list[Any]) -> Any:
        axis, keepdims = self.statics
        b = self.args[1]
        ta, tb = tangents
        return NpSum(((b * ta if ta != 0 else 0) + (tb if tb != 0 else 0)) * self.weights(),
                     base.static(axis), base.static(keepdims))


def _logsumexp_shape(*shapes: tuple[int, ...], axis: Any = None, keepdims: bool = False,
                     return_sign: bool = False) -> tuple[int, ...]:
    shape = np.broadcast_shapes(*[s for s in shapes if s is not None])
    axes = normalize_axes(axis, len(shape))
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


register(Primitive("logsumexp", lazy_binds=(f"{_SCIPY}.logsumexp",),
                   params="a, axis=None, b=None, keepdims=False, return_sign=False",
                   arrays=("a", "b"), rule=Logsumexp, traits=frozenset({COSTLY}),
                   eager=_logsumexp, shape=_logsumexp_shape,
                   torch=Torch(("logsumexp",), "LogsumexpBackward0",
                               {"dim": "axis", "keepdim": "keepdims"}),
                   doc=(Logsumexp.__doc__ or "").strip()))


class Softmax(Rule):
    """scipy.special.softmax(x, axis): args (x, axis); axis None is over every element."""

    shape_like = 0
    traits = frozenset({COSTLY})
    scipy = "softmax"
    node_args = ("x", "axis")

    def _numpycode(self, printer: Any) -> str:
        printer.use_import(_SCIPY)
        axis = base.sval(self.args[1])
        return f"scipy.special.{self.scipy}({base._a(printer, self.args[0])}" \
            f"{base._kw(axis=(axis, None))})"

    def vjp(self, g: Any) -> list[Any]:
        axis = self.args[1]
        return [self * (g - NpSum(g * self, axis, base.static(True)))]

    def jvp(self, tangents: list[Any]) -> Any:
        t = tangents[0]
        return self * (t - NpSum(t * self, self.args[1], base.static(True)))

    @staticmethod
    def out_shape(shape: tuple[int, ...], axis: Any = None) -> tuple[int, ...]:
        normalize_axes(axis, len(shape))
        return shape


class LogSoftmax(Softmax):
    """scipy.special.log_softmax(x, axis): args (x, axis)."""

    scipy = "log_softmax"

    def vjp(self, g: Any) -> list[Any]:
        return [g - sp.exp(self) * NpSum(g, self.args[1], base.static(True))]

    def jvp(self, tangents: list[Any]) -> Any:
        t = tangents[0]
        return t - NpSum(sp.exp(self) * t, self.args[1], base.static(True))


register(Primitive("softmax", lazy_binds=(f"{_SCIPY}.softmax",), params="x, axis=None",
                   arrays=("x",), rule=Softmax, eager=_softmax,
                   torch=Torch(("softmax",), "SoftmaxBackward0", {"dim": "axis"}),
                   doc=(Softmax.__doc__ or "").strip()))
register(Primitive("log_softmax", lazy_binds=(f"{_SCIPY}.log_softmax",), params="x, axis=None",
                   arrays=("x",), rule=LogSoftmax, eager=_log_softmax,
                   torch=Torch(("log_softmax",), "LogSoftmaxBackward0", {"dim": "axis"}),
                   doc=(LogSoftmax.__doc__ or "").strip()))
