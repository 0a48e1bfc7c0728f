"""np.linalg's norms and decompositions: norm (every ord), slogdet, eigh, eigvalsh, svd, qr,
lstsq.

**Norms.** ``Norm`` prints ``np.linalg.norm`` as written; its vjp is the hand-written
gradient of the case ord and axis name (``x / norm`` for the 2-norm, ``np.sign(x)`` for
ord=1, a mask of the attaining elements for ord=inf, ``U @ Vh`` for the nuclear norm), made
of differentiable nodes. With axis=None and a numeric ord numpy decides vector or matrix by
x's rank at run time; so does the vjp (``ByRank``: ``np.ndim(x) == 1``). Non-smooth points
follow torch (``linalg.vector_norm`` / ``matrix_norm``): the 2-norm at 0 has gradient 0;
ord=1 at a zero element has slope sign(0) = 0; ord=+-inf (and the matrix ords 1, inf, 2,
which are maxima) share the gradient equally among tied maxima; ord=0 (a count) has none;
a p-norm with p < 1 has slope 0 at a zero element.

**Decompositions.** A decomposition with several outputs is one node computed once
(``Decomposition``: ``eigh = np.linalg.eigh(A)``, NONDIFF) and one ``Output`` node per
output (``eigh.eigenvalues``), whose gradient flows to the matrix itself: the vjp of a
decomposition is linear in its outputs' cotangents, so each output carries its own share,
written with the other outputs (read from the same computed decomposition) and matrix
products. Every vjp is made of differentiable nodes, so Hessians work.

Degeneracy, as torch: eigenvector (and singular vector) gradients divide by differences of
eigenvalues (squared singular values), so at a repeated one they are inf or nan; the
gradients of eigenvalues and singular values alone stay finite. Eigenvectors and singular
vectors are defined up to sign: only losses invariant under it have a gradient to speak of.
``np.linalg.eigh`` reads one triangle (UPLO='L': the lower): its gradient is that of the
function numpy computes, on that triangle (the symmetric gradient S of torch folded onto it,
``tril(S) + tril(S, -1)``). ``svd(full_matrices=True)`` ignores the gradient of the columns
of U (rows of Vh) beyond min(m, n), as torch does: they are any basis of a complement.
``qr`` is the reduced one (m >= n). ``lstsq`` differentiates x (and the singular values s)
for a full-rank a, through the pseudo-inverse (torch's ``pinv`` backward).
"""

from __future__ import annotations

import collections
import math
from typing import Any

import numpy as np

from symgrad.rules.registry import (
    COSTLY,
    LINEAR,
    NONDIFF,
    Primitive,
    Rule,
    Torch,
    lazy_module,
    primitive,
    register,
)

base = lazy_module("symgrad.rules.base")
sp = lazy_module("sympy")
masks = lazy_module("symgrad.rules.masks")
red = lazy_module("symgrad.rules.reductions")
shp = lazy_module("symgrad.rules.shape")
mov = lazy_module("symgrad.rules.moving")
lin = lazy_module("symgrad.rules.linalg")
ops = lazy_module("symgrad.rules.operators")
grads = lazy_module("symgrad.rules.grads")
joining = lazy_module("symgrad.rules.joining")
creation = lazy_module("symgrad.rules.creation")
contractions = lazy_module("symgrad.rules.contractions")

Dims = tuple[int, ...]
INF = math.inf
_MATRIX_ORDS = (None, "fro", "nuc", 1, -1, 2, -2, INF, -INF)


# ------------------------------------------------------------------------ small pieces


def _inv_t(a: Any) -> Any:
    """``inv(a).mT``, the gradient of log|det a| (np.linalg.inv's own entry, transposed)."""
    from symgrad.rules.inverses import Inv

    return _t(Inv(a))


def _t(x: Any) -> Any:
    """The matrix transpose of a batch (the last two axes)."""
    return mov.Swapaxes(x, base.static(-1), base.static(-2))


def _mm(a: Any, b: Any) -> Any:
    return lin.MatMul(a, b)


def _expand(x: Any, axis: Any) -> Any:
    return shp.ExpandDims(x, base.static(axis))


def _ord_text(p: Any) -> str:
    if isinstance(p, float) and math.isinf(p):
        return "np.inf" if p > 0 else "-np.inf"
    return repr(p)


class ByRank(Rule):
    """args: (x, a, b): ``a if np.ndim(x) == 1 else b``, both computable for either rank;
    how a gradient reads numpy's choice of a vector or a matrix norm at run time."""

    shape_like = 0
    vjp_exact = False
    traits = frozenset({LINEAR})  # in (a, b): its tangent picks between theirs

    def diff_args(self) -> tuple:
        return self.args[1:]

    def _numpycode(self, printer: Any) -> str:
        x, a, b = (base._a(printer, e) for e in self.args)
        return f"({a} if np.ndim({x}) == 1 else {b})"

    def vjp(self, u: Any) -> list[Any]:
        x = self.args[0]
        return [ByRank(x, u, sp.S.Zero), ByRank(x, sp.S.Zero, u)]


# ------------------------------------------------------------------------ norm


def _vector_grad(x: Any, g: Any, n: Any, p: Any, axis: Any) -> Any:
    """The gradient of the vector p-norm n of x along axis (None: all), g and n broadcast
    against x (None for ord=0: a count has none)."""
    s = sp.sign(x)
    if p is None or p == 2:
        return g * x / red.NonzeroOr1(n)  # torch: 0 where the norm is 0
    if p == 0:
        return None
    if p == 1:
        return g * s
    a = sp.Abs(x)
    if math.isinf(p):  # torch: tied extrema share the gradient
        mask = ops.EqMask(a, n)
        return g * s * mask / red.NpSum(mask, base.static(axis), base.static(True))
    q = sp.Float(p) if not float(p).is_integer() else sp.Integer(int(p))
    if p < 1:  # torch: slope 0 at a zero element (|x|**(p - 1) is inf there)
        return masks.Where(masks.IsEqual(x, 0), 0, g * s * a ** (q - 1) * n ** (1 - q))
    return g * s * a ** (q - 1) / red.NonzeroOr1(n) ** (q - 1)


def _matrix_grad(x: Any, g: Any, n: Any, p: Any, rows: int, cols: int) -> Any:
    """The gradient of the matrix norm n of x over the axes (rows, cols), g and n broadcast
    against x (keepdims' shape, or numbers)."""
    if p is None or p == "fro":
        return g * x / red.NonzeroOr1(n)
    if p in (1, -1, INF, -INF):  # max (min) over columns of the sums over rows of |x|
        summed, over = (rows, cols) if abs(p) == 1 else (cols, rows)
        sums = red.NpSum(sp.Abs(x), base.static(summed), base.static(True))
        extreme = (red.NpMax if p > 0 else red.NpMin)(sums, base.static(over), base.static(True))
        mask = ops.EqMask(sums, extreme)
        return g * sp.sign(x) * mask / red.NpSum(mask, base.static(over), base.static(True))
    moved = (rows, cols) not in ((-2, -1),)
    if moved:
        x = mov.Moveaxis(x, base.static((rows, cols)), base.static((-2, -1)))
        g = mov.Moveaxis(g, base.static((rows, cols)), base.static((-2, -1)))
    u, s, vh = svd_outputs(x)
    if p == "nuc":
        grad = g * _mm(u, vh)
    else:  # the largest (smallest) singular value: tied ones share the gradient
        mask = ops.EqMask(s, (red.NpMax if p > 0 else red.NpMin)(
            s, base.static(-1), base.static(True)))
        share = mask / red.NpSum(mask, base.static(-1), base.static(True))
        grad = g * _mm(u * _expand(share, -2), vh)
    return mov.Moveaxis(grad, base.static((-2, -1)), base.static((rows, cols))) if moved \
        else grad


@primitive("norm", np.linalg.norm, params="x, ord=None, axis=None, keepdims=False",
           arrays=("x",), lower="norm_call", traits={COSTLY},
           torch=Torch(("norm",), "LinalgVectorNormBackward0"))
class Norm(Rule):
    """args: (x, ord, axis, keepdims): ``np.linalg.norm`` as written. ord None, 2, 1, inf,
    -inf, 0 or any number p for vectors (axis an int, or None for a 1-d x; ord None with
    axis None is the 2-norm of every element); None/'fro', 'nuc', 2, -2, 1, -1, inf, -inf for
    matrices (axis a pair, or None for a 2-d x). The gradient follows torch at non-smooth
    points (see the module docstring)."""

    node_args = ("x", "ord", "axis", "keepdims")  # (each gradient is x times a factor)

    @property
    def needs_full_g(self) -> bool:
        return base.sval(self.args[2]) is not None

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        if base.sval(self.args[2]) is None and not base.sval(self.args[3]):
            return base.SCALAR
        return fresh

    @classmethod
    def make(cls, x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
        axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
        if isinstance(axis, tuple) and len(axis) == 1:
            axis = axis[0]
        if isinstance(ord, bool) or not (ord is None or ord in ("fro", "nuc") or
                                         isinstance(ord, (int, float))):
            raise ValueError(f"Invalid norm order {ord!r}")
        if isinstance(ord, float) and ord.is_integer():
            ord = int(ord)
        if isinstance(axis, tuple):
            if len(axis) != 2:
                raise ValueError("Improper number of dimensions to norm.")
            if ord not in _MATRIX_ORDS:
                raise ValueError(f"Invalid norm order {ord!r} for matrices.")
        elif axis is not None and ord in ("fro", "nuc"):
            raise ValueError(f"Invalid norm order {ord!r} for vectors")
        return cls(x, base.static(ord), base.static(axis), base.static(bool(keepdims)))

    def _numpycode(self, printer: Any) -> str:
        p, axis, keepdims = (base.sval(a) for a in self.args[1:])
        text = "" if p is None else f", {_ord_text(p)}"
        text += base._kw(axis=(axis, None), keepdims=(keepdims, False))
        return f"np.linalg.norm({base._a(printer, self.args[0])}{text})"

    def vjp(self, g: Any) -> list[Any]:
        x = self.args[0]
        p, axis, keepdims = (base.sval(a) for a in self.args[1:])
        if isinstance(axis, tuple):
            if keepdims:
                gk, nk = g, self
            else:
                gk, nk = _expand(g, axis), _expand(self, axis)
            return [_matrix_grad(x, gk, nk, p, *axis)]
        gk, nk = red.expand_reduced(g, axis, keepdims), red.expand_reduced(self, axis, keepdims)
        if axis is not None or p is None:
            return [_vector_grad(x, gk, nk, p, axis)]
        if p in ("fro", "nuc"):  # a 2-d x
            return [_matrix_grad(x, gk, nk, p, -2, -1)]
        if p not in _MATRIX_ORDS:  # numpy refuses this ord for a 2-d x: a 1-d one
            return [_vector_grad(x, gk, nk, p, None)]
        x2 = joining.AtLeast2d(x)  # (a 1-d x makes a one-row matrix: computable, unused)
        vector = _vector_grad(x, gk, nk, p, None)
        matrix = grads.SumTo(_matrix_grad(x2, gk, nk, p, -2, -1), x)
        return [ByRank(x, vector if vector is not None else sp.S.Zero, matrix)]

    def jvp(self, tangents: list[Any]) -> Any:
        # each output entry is a function of its slice, and the vjp is g times that
        # function's slope: the tangent is the slope's inner product with t over the slice
        from symgrad.rules.creation import OnesLike

        slope = self.vjp(OnesLike(self))[0]
        if slope is None:
            return 0  # ord=0 counts: no derivative
        return red.NpSum(slope * tangents[0], self.args[2], self.args[3])

    @staticmethod
    def out_shape(shape: Dims, ord: Any = None, axis: Any = None,
                  keepdims: bool = False) -> Dims:
        zeros = np.broadcast_to(np.zeros(()), shape)
        return tuple(np.shape(np.linalg.norm(zeros, ord, axis, keepdims)))


# ------------------------------------------------------------------------ decompositions


class Decomposition(Rule):
    """args: (a, ...statics): a decomposition computed once (numpy's result, a named tuple
    of arrays); no gradient flows through it: its ``Output`` nodes carry it."""

    traits = frozenset({NONDIFF})
    spelling = ""
    kw: tuple[tuple[str, Any], ...] = ()  # (numpy keyword, default) of the static args

    def _numpycode(self, printer: Any) -> str:
        arrays = [a for a in self.args if not isinstance(a, base.Static)]
        statics = [base.sval(a) for a in self.args if isinstance(a, base.Static)]
        text = ", ".join(base._a(printer, a) for a in arrays)
        text += base._kw(**{k: (v, d) for (k, d), v in zip(self.kw, statics, strict=True)})
        return f"np.linalg.{self.spelling}({text})"


class EighOf(Decomposition):
    """args: (a, UPLO)"""

    spelling = "eigh"
    kw = (("UPLO", "L"),)


class SvdOf(Decomposition):
    """args: (a, full_matrices)"""

    spelling = "svd"
    kw = (("full_matrices", True),)


class QrOf(Decomposition):
    """args: (a,): the reduced QR decomposition."""

    spelling = "qr"


class SlogdetOf(Decomposition):
    """args: (a,)"""

    spelling = "slogdet"


class LstsqOf(Decomposition):
    """args: (a, b, rcond)"""

    spelling = "lstsq"
    kw = (("rcond", None),)


_FIELDS = {EighOf: ("eigenvalues", "eigenvectors"), SvdOf: ("U", "S", "Vh"),
           QrOf: ("Q", "R"), SlogdetOf: ("sign", "logabsdet"),
           LstsqOf: ("0", "1", "2", "3")}
# numpy's result types: their fields are what user code may read
EighResult = collections.namedtuple("EighResult", _FIELDS[EighOf])
SVDResult = collections.namedtuple("SVDResult", _FIELDS[SvdOf])
QRResult = collections.namedtuple("QRResult", _FIELDS[QrOf])
SlogdetResult = collections.namedtuple("SlogdetResult", _FIELDS[SlogdetOf])


class Output(Rule):
    """args: (d, a, ..., which): output ``which`` of the decomposition d of the arrays a, ...
    (d as computed once in the primal); gradient flows to the arrays, not to d."""

    n_diff = None
    n_arrays = 1  # the arrays after d
    # the outputs whose vjp takes a cotangent that only broadcasts (slogdet's, a number)
    broadcastable: tuple[int, ...] = ()

    @property
    def needs_full_g(self) -> bool:
        return self.which not in self.broadcastable
    fields: tuple[str, ...] = ()  # numpy's names of the outputs ("0": printed d[0])

    def diff_args(self) -> tuple:
        return self.args[1:1 + self.n_arrays]

    @property
    def which(self) -> int:
        return base.sval(self.args[-1])

    def _numpycode(self, printer: Any) -> str:
        field = self.fields[self.which]
        d = base._p(printer, self.args[0])
        return f"{d}[{field}]" if field.isdigit() else f"{d}.{field}"

    def sibling(self, which: int) -> Any:
        return type(self)(*self.args[:-1], base.static(which))


def _sym_fold(s: Any, uplo: str) -> Any:
    """A symmetric gradient S folded onto the triangle eigh reads: tril(S) + tril(S, -1)."""
    tri = mov.Tril if uplo == "L" else mov.Triu
    k = -1 if uplo == "L" else 1
    return tri(s, base.static(0)) + tri(s, base.static(k))


def _gaps(w: Any, square: bool = False) -> Any:
    """E[..., i, j] = w[j] - w[i] (of w**2, ``square``), 1 on the diagonal."""
    if square:
        w = w ** 2
    n = shp.ShapeAt(w, base.static(-1))
    eye = creation.NpConstant(base.static("eye"), base.static(()), n)
    return _expand(w, -2) - _expand(w, -1) + eye


def _skew(m: Any) -> Any:
    return m - _t(m)


class EighOutput(Output):
    """args: (d, a, UPLO, which): w (0) or v (1) of ``np.linalg.eigh(a, UPLO)``.

    g_w gives V diag(g_w) V^T; g_v gives V (skew(V^T g_v) / 2E) V^T, E[i, j] = w[j] - w[i]
    (inf/nan at a repeated eigenvalue, as torch); both folded onto the triangle read."""

    fields = _FIELDS[EighOf]

    def vjp(self, g: Any) -> list[Any]:
        uplo = base.sval(self.args[2])
        w, v = self.sibling(0), self.sibling(1)
        if self.which == 0:
            inner = _expand(g, -2) * v
            return [_sym_fold(_mm(inner, _t(v)), uplo)]
        core = _skew(_mm(_t(v), g)) / (2 * _gaps(w))
        return [_sym_fold(_mm(_mm(v, core), _t(v)), uplo)]


def eigh_outputs(a: Any, uplo: str = "L") -> tuple[Any, Any]:
    d = EighOf(a, base.static(uplo))
    return EighOutput(d, a, base.static(uplo), base.static(0)), \
        EighOutput(d, a, base.static(uplo), base.static(1))


def _narrow(x: Any, k: Any, axis: int) -> Any:
    """x[..., :, :k] (axis -1) or x[..., :k, :] (axis -2)."""
    idx = indexing().GetItem
    cut = indexing().SliceOf(base.static(None), k, base.static(None))
    parts = [base.static(Ellipsis), cut] if axis == -1 else \
        [base.static(Ellipsis), cut, base.static(slice(None))]
    return idx(x, *parts)


def indexing() -> Any:
    return __import__("symgrad.rules.indexing", fromlist=["GetItem"])


class SvdOutput(Output):
    """args: (d, a, full_matrices, which): U (0), S (1) or Vh (2) of ``np.linalg.svd``.

    torch's svd_backward, one output at a time: g_S gives U diag(g_S) Vh; g_U gives
    U (skew(U^T g_U) S / E) Vh + (I - U U^T) g_U S^-1 Vh; g_Vh gives
    U (S skew(Vh g_Vh^T) / E) Vh + U S^-1 g_Vh (I - Vh^T Vh), E[i, j] = S[j]**2 - S[i]**2
    (inf/nan at a repeated singular value). full_matrices=True: only the first min(m, n)
    columns of U (rows of Vh) carry gradient, as torch."""

    fields = _FIELDS[SvdOf]

    def vjp(self, g: Any) -> list[Any]:
        u, s, vh = self.sibling(0), self.sibling(1), self.sibling(2)
        full = base.sval(self.args[2])
        k = shp.ShapeAt(s, base.static(-1))
        if full:
            u, vh = _narrow(u, k, -1), _narrow(vh, k, -2)
        if self.which == 1:
            return [_mm(u * _expand(g, -2), vh)]
        if self.which == 0:
            if full:
                g = _narrow(g, k, -1)
            core = _skew(_mm(_t(u), g)) * _expand(s, -2) / _gaps(s, True)
            scaled = g / _expand(s, -2)
            return [_mm(_mm(u, core) + scaled - _mm(u, _mm(_t(u), scaled)), vh)]
        if full:
            g = _narrow(g, k, -2)
        core = _expand(s, -1) * _skew(_mm(vh, _t(g))) / _gaps(s, True)
        scaled = g / _expand(s, -1)
        return [_mm(u, _mm(core, vh) + scaled - _mm(_mm(scaled, _t(vh)), vh))]


def svd_outputs(a: Any, full_matrices: bool = False) -> tuple[Any, Any, Any]:
    d = SvdOf(a, base.static(full_matrices))
    return tuple(SvdOutput(d, a, base.static(full_matrices), base.static(i)) for i in range(3))


class EigvalsOf(Rule):
    """args: (a, UPLO): ``np.linalg.eigvalsh(a, UPLO)``; its vjp is eigh's for the
    eigenvalues (the backward pass computes the eigenvectors, once)."""

    def _numpycode(self, printer: Any) -> str:
        uplo = base.sval(self.args[1])
        return f"np.linalg.eigvalsh({base._a(printer, self.args[0])}" \
            f"{'' if uplo == 'L' else f', {uplo!r}'})"

    def vjp(self, g: Any) -> list[Any]:
        return eigh_outputs(self.args[0], base.sval(self.args[1]))[0].vjp(g)


class SingularValues(Rule):
    """args: (a,): ``np.linalg.svd(a, compute_uv=False)``; its vjp is U diag(g) Vh (the
    backward pass computes U and Vh, once)."""

    def _numpycode(self, printer: Any) -> str:
        return f"np.linalg.svd({base._a(printer, self.args[0])}, compute_uv=False)"

    def vjp(self, g: Any) -> list[Any]:
        return svd_outputs(self.args[0], False)[1].vjp(g)


def _copyltu(m: Any) -> Any:
    """triu(M) mirrored: the symmetric matrix with M's upper triangle."""
    upper = mov.Triu(m, base.static(0))
    return upper + _t(mov.Triu(m, base.static(1)))


class QrOutput(Output):
    """args: (d, a, which): Q (0) or R (1) of the reduced ``np.linalg.qr(a)`` (m >= n).

    torch's linalg_qr_backward: gA = (g_Q + Q copyltu(M)) R^-T with M = R g_R^T - g_Q^T Q,
    one cotangent at a time."""

    fields = _FIELDS[QrOf]

    def vjp(self, g: Any) -> list[Any]:
        q, r = self.sibling(0), self.sibling(1)
        if self.which == 1:
            return [_mm(_mm(q, _copyltu(_mm(g, _t(r)))), _inv_t(r))]
        return [_mm(g - _mm(q, _copyltu(_mm(_t(q), g))), _inv_t(r))]


class SlogdetOutput(Output):
    """args: (d, a, which): sign (0, piecewise constant) or log|det a| (1) of
    ``np.linalg.slogdet``; d log|det a| = tr(a^-1 da), so its gradient is g inv(a)^T."""

    fields = _FIELDS[SlogdetOf]
    broadcastable = (1,)

    def vjp(self, g: Any) -> list[Any]:
        if self.which == 0:
            return [None]
        return [_expand(g, (-2, -1)) * _inv_t(self.args[1])]


class LstsqOutput(Output):
    """args: (d, a, b, rcond, which): x (0), residuals (1), rank (2), s (3) of
    ``np.linalg.lstsq(a, b, rcond)``. x = pinv(a) b for a full-rank a: its gradient is
    torch's (pinv's backward), each pinv product written as a lstsq of its own:
    g_b = pinv(a)^T g, g_a = -z x^T + r (pinv(a) z)^T + pinv(a)^T x (g - pinv(a) a g)^T with
    z = pinv(a)^T g and r = b - a x. The residuals (m > n) give g_b = 2 r g and
    g_a = -2 (r g) x^T; s is the singular values of a."""

    fields = _FIELDS[LstsqOf]

    n_arrays = 2

    def vjp(self, g: Any) -> list[Any]:
        a, b, rcond = self.args[1], self.args[2], self.args[3]

        def solve(m: Any, rhs: Any) -> Any:
            return lstsq_x(m, rhs, rcond)

        def outer(p: Any, q: Any) -> Any:  # p q^T of vectors, or of matrices (columns summed)
            return contractions.TensordotGrad(base.static("a"), p, q, base.static(1))

        x = self.sibling(0)
        r = b - _mm(a, x)
        if self.which == 0:
            z = solve(_t(a), g)
            rest = g - solve(a, _mm(a, g))
            return [-outer(z, x) + outer(r, solve(a, z)) + outer(solve(_t(a), x), rest), z]
        if self.which == 1:
            return [-2 * outer(r * g, x), 2 * r * g]
        if self.which == 3:
            u, s, vh = svd_outputs(a)
            return [_mm(u * _expand(g, -2), vh), None]
        return [None, None]


def lstsq_x(a: Any, b: Any, rcond: Any) -> Any:
    return LstsqOutput(LstsqOf(a, b, rcond), a, b, rcond, base.static(0))


# ------------------------------------------------------------------------ entries

_LOWER = "decomposition_call"  # frontend/calls.py: the outputs as a tuple of nodes


def _square(shape: Dims, what: str) -> None:
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{what}: last 2 dimensions of the array must be square")


def _slogdet(a: Any) -> tuple:
    d = SlogdetOf(a)
    return SlogdetResult(*[SlogdetOutput(d, a, base.static(i)) for i in range(2)])


def _eigh(a: Any, UPLO: str = "L") -> tuple:
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return EighResult(*eigh_outputs(a, UPLO))


def _eigvalsh(a: Any, UPLO: str = "L") -> Any:
    _eigh(a, UPLO)  # (checks UPLO)
    return EigvalsOf(a, base.static(UPLO))


def _svd(a: Any, full_matrices: bool = True, compute_uv: bool = True,
         hermitian: bool = False) -> Any:
    if hermitian:
        raise ValueError("hermitian=True is not supported (use np.linalg.eigh)")
    if not compute_uv:
        return SingularValues(a)
    return SVDResult(*svd_outputs(a, bool(full_matrices)))


def _qr(a: Any, mode: str = "reduced") -> tuple:
    if mode != "reduced":
        raise ValueError(f"mode={mode!r} is not supported (only the reduced QR)")
    d = QrOf(a)
    return QRResult(*[QrOutput(d, a, base.static(i)) for i in range(2)])


def _lstsq(a: Any, b: Any, rcond: Any = None) -> tuple:
    rc = base.static(rcond)
    d = LstsqOf(a, b, rc)
    return tuple(LstsqOutput(d, a, b, rc, base.static(i)) for i in range(4))


# entry name -> the builder of its outputs from numpy's named arguments (what the frontend's
# decomposition_call returns: a named tuple of Output nodes, or one node)
OUTPUTS = {"slogdet": _slogdet, "eigh": _eigh, "eigvalsh": _eigvalsh, "svd": _svd, "qr": _qr,
           "lstsq": _lstsq}


def _entry(name: str, fn: Any, params: str, shape: Any, doc: str,
           arrays: tuple[str, ...] = ("a",)) -> None:
    register(Primitive(name, binds=(fn,), params=params, arrays=arrays, lower=_LOWER,
                       traits={COSTLY}, shape=shape, doc=doc))


def _slogdet_shape(a: Dims) -> Dims:
    _square(a, "slogdet")
    return a[:-2]


def _eigh_shape(a: Dims, UPLO: str = "L") -> Dims:
    _square(a, "eigh")
    return a[:-1]


# (no torch spelling yet: the Tensor records one output per node)
_entry("slogdet", np.linalg.slogdet, "a", _slogdet_shape,
       "sign, logabsdet = np.linalg.slogdet(a); the sign has no gradient")
_entry("eigh", np.linalg.eigh, "a, UPLO='L'", _eigh_shape,
       "w, v = np.linalg.eigh(a, UPLO): eigenvalues (ascending) and eigenvectors")
_entry("eigvalsh", np.linalg.eigvalsh, "a, UPLO='L'", _eigh_shape,
       "np.linalg.eigvalsh(a, UPLO): eigh's eigenvalues (the backward computes the vectors)")
_entry("svd", np.linalg.svd, "a, full_matrices=True, compute_uv=True, hermitian=False",
       lambda a, **_: a[:-2] + (min(a[-2:]),),
       "U, S, Vh = np.linalg.svd(a, full_matrices), or S alone (compute_uv=False)")
_entry("qr", np.linalg.qr, "a, mode='reduced'", lambda a, mode="reduced": a,
       "Q, R = np.linalg.qr(a): the reduced decomposition, differentiable for m >= n")
_entry("lstsq", np.linalg.lstsq, "a, b, rcond=None", lambda a, b, rcond=None: a[-1:] + b[1:],
       "x, residuals, rank, s = np.linalg.lstsq(a, b, rcond) (a 2-d): x and s differentiable "
       "for a full-rank a, the residuals where m > n", arrays=("a", "b"))
