"""Inverses and factorizations of square matrices: np.linalg.inv, solve, det, cholesky, pinv,
matrix_power.

Every entry works on stacks of matrices ``(..., n, n)``: the transpose inside a vjp is
``np.swapaxes(x, -1, -2)`` (``_mT``), never ``.T``. Each vjp is built from differentiable
nodes (MatMul, Swapaxes, Tril and these entries' own nodes), so a generated gradient can be
differentiated again (the Tensor's double backward, Hessians).

Singular points: where numpy's forward raises ``LinAlgError`` (inv, solve of an exactly
singular matrix) the gradient does too; det's gradient is finite there (see ``Det``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.rules.linalg import MatMul
from symgrad.rules.moving import Swapaxes, Tril
from symgrad.rules.registry import (
    ALLOCATES,
    COSTLY,
    LINEAR,
    VIEW,
    Rule,
    Torch,
    lazy_module,
    primitive,
)
from symgrad.rules.shape import ExpandDims

base = lazy_module("symgrad.rules.base")
grads = lazy_module("symgrad.rules.grads")
reductions = lazy_module("symgrad.rules.reductions")

Dims = tuple[int, ...]


def _mT(x: Any) -> Any:
    """The transpose of a stack of matrices: ``np.swapaxes(x, -1, -2)``."""
    return Swapaxes(x, base.static(-1), base.static(-2))


def _square(a: Dims, what: str) -> None:
    if len(a) < 2:
        raise ValueError(f"{what}: {len(a)}-dimensional array given. Array must be at least "
                         "two-dimensional")
    if a[-1] != a[-2]:
        raise ValueError(f"{what}: last 2 dimensions of the array must be square")


@primitive("inv", np.linalg.inv, params="a", traits={ALLOCATES, COSTLY},
           torch=Torch(("inverse",), "LinalgInvExBackward0"))
class Inv(Rule):
    """args: (A,): the inverse of each matrix of a stack ``(..., n, n)``.

    Its vjp is ``-Ainv^T @ g @ Ainv^T``, reading the forward's value of ``Ainv``."""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        return f"np.linalg.inv({base._a(printer, self.args[0])})"

    def vjp(self, g: Any) -> list[Any]:
        t = _mT(self)
        return [-MatMul(MatMul(t, g), t)]

    def jvp(self, tangents: list[Any]) -> Any:
        return -MatMul(MatMul(self, tangents[0]), self)  # d inv(A) = -inv(A) dA inv(A)

    @staticmethod
    def out_shape(a: Dims) -> Dims:
        _square(a, "inv")
        return a


class AsColumns(Rule):
    """args: (v, b): ``v[..., None]`` where np.linalg.solve read ``b`` as a vector (b 1-d,
    numpy 2's rule), else v: the solve's right-hand side as a stack of column matrices."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    reads_shape_of = 1

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_as_columns", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [FromColumns(g, self.args[1])]


class FromColumns(Rule):
    """args: (v, b): ``AsColumns`` undone (``v[..., 0]`` where b is 1-d)."""

    traits = frozenset({LINEAR})  # linear in g: forward mode applies it to tangents

    reads_shape_of = 1

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_from_columns", self.args)

    def vjp(self, g: Any) -> list[Any]:
        return [AsColumns(g, self.args[1])]


@primitive("solve", np.linalg.solve, params="a, b", arrays=("a", "b"),
           traits={ALLOCATES, COSTLY}, torch=Torch((), "LinalgSolveExBackward0"))
class Solve(Rule):
    """args: (A, b): x with ``A @ x == b``, for A ``(..., n, n)`` and b a vector ``(n,)`` or
    a stack of matrices ``(..., n, k)`` (numpy 2: b is a vector exactly when it is 1-d), the
    batch dimensions broadcast.

    Its vjp: ``grad_b = solve(A^T, g)`` and ``grad_A = -grad_b @ x^T`` (an outer product for
    a vector b), each summed back over broadcast batch dimensions. Since the rank of b is
    known only at run time, g, x and grad_b go through ``_as_columns`` (a vector b's as a
    column ``v[..., None]``) and back."""

    n_diff = 2

    def _numpycode(self, printer: Any) -> str:
        a, b = (base._a(printer, x) for x in self.args)
        return f"np.linalg.solve({a}, {b})"

    def vjp(self, g: Any) -> list[Any]:
        a, b = self.args
        grad_b = Solve(_mT(a), AsColumns(g, b))
        return [grads.SumTo(-MatMul(grad_b, _mT(AsColumns(self, b))), a),
                grads.SumTo(FromColumns(grad_b, b), b)]

    def jvp(self, tangents: list[Any]) -> Any:
        # A dx = db - dA x
        a, b = self.args
        ta, tb = tangents
        rhs = (AsColumns(tb, b) if tb != 0 else 0) - \
            (MatMul(ta, AsColumns(self, b)) if ta != 0 else 0)
        return FromColumns(Solve(a, rhs), b)

    @staticmethod
    def out_shape(a: Dims, b: Dims) -> Dims:
        _square(a, "solve")
        if len(b) == 1:
            if b[0] != a[-1]:
                raise ValueError("solve: b does not match a's size")
            return tuple(a[:-1])
        if b[-2] != a[-1]:
            raise ValueError("solve: b does not match a's size")
        return tuple(np.broadcast_shapes(a[:-2], b[:-2])) + (a[-1], b[-1])


@primitive("det", np.linalg.det, params="a", traits={COSTLY},
           torch=Torch(("det",), "LinalgDetBackward0"))
class Det(Rule):
    """args: (A,): the determinant of each matrix of a stack ``(..., n, n)``.

    Its vjp is ``g * cofactor(A)`` (Jacobi's formula: the cofactor matrix is
    ``det * inv(A)^T``), the cofactors computed through an SVD (``Cofactor``), so the gradient
    is right at a singular A too: the derivative of the polynomial det, where torch's
    answer depends on its singularity test (for ``[[1, 2], [2, 4]]`` torch 2.13 returns 0,
    the cofactors are ``[[4, -2], [-2, 1]]``)."""

    def _numpycode(self, printer: Any) -> str:
        return f"np.linalg.det({base._a(printer, self.args[0])})"

    def vjp(self, g: Any) -> list[Any]:
        return [ExpandDims(g, base.static((-2, -1))) * Cofactor(self.args[0])]

    def jvp(self, tangents: list[Any]) -> Any:
        from symgrad.rules.reductions import NpSum

        return NpSum(Cofactor(self.args[0]) * tangents[0], base.static((-2, -1)),
                     base.static(False))  # d det = <cofactor(A), dA>

    @staticmethod
    def out_shape(a: Dims) -> Dims:
        _square(a, "det")
        return a[:-2]


class Cofactor(Rule):
    """args: (A,): the cofactor matrix of each matrix of a stack, ``det(A) * inv(A)^T``
    where A is invertible (``_cofactor``, through an SVD: finite at a singular A).

    Its vjp (det's second derivative) is ``det * (sum(u * inv^T) inv^T - inv^T u^T inv^T)``:
    it needs inv(A), so at an exactly singular A it raises numpy's LinAlgError."""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        return base.helper_call(printer, "_cofactor", self.args)

    def vjp(self, g: Any) -> list[Any]:
        a = self.args[0]
        t = _mT(Inv(a))
        det = ExpandDims(Det(a), base.static((-2, -1)))
        both = reductions.NpSum(g * t, base.static((-2, -1)), base.static(True))
        return [det * (both * t - MatMul(MatMul(t, _mT(g)), t))]


@primitive("cholesky", np.linalg.cholesky, params="a, /, *, upper=False",
           traits={ALLOCATES, COSTLY}, torch=Torch((), "LinalgCholeskyExBackward0"))
class Cholesky(Rule):
    """args: (A, upper): the Cholesky factor of each symmetric positive-definite matrix of a
    stack: L lower-triangular with ``L @ L^T == A`` (``upper=True``: U = L^T).

    numpy reads only A's lower triangle; the gradient is torch's, symmetric:
    ``S = L^-T phi(L^T gL) L^-1`` with phi the lower triangle with its diagonal halved, and
    ``grad_A = (S + S^T) / 2``, so it is the gradient of a function of the symmetric A (it
    differs from the one-sided derivative numpy's lower-triangle read would give; tests
    compare it with finite differences of a symmetrized input)."""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        upper = base.sval(self.args[1])
        kw = ", upper=True" if upper else ""
        return f"np.linalg.cholesky({base._a(printer, self.args[0])}{kw})"

    def vjp(self, g: Any) -> list[Any]:
        upper = base.sval(self.args[1])
        low, g_low = (_mT(self), _mT(g)) if upper else (self, g)
        m = MatMul(_mT(low), g_low)
        phi = (Tril(m, base.static(0)) + Tril(m, base.static(-1))) / 2
        inv = Inv(low)
        s = MatMul(MatMul(_mT(inv), phi), inv)
        return [(s + _mT(s)) / 2]

    def jvp(self, tangents: list[Any]) -> Any:
        # dL = L phi(L^-1 dA L^-T), phi the lower triangle with its diagonal halved
        upper = base.sval(self.args[1])
        low = _mT(self) if upper else self
        inv = Inv(low)
        m = MatMul(MatMul(inv, tangents[0]), _mT(inv))
        dlow = MatMul(low, (Tril(m, base.static(0)) + Tril(m, base.static(-1))) / 2)
        return _mT(dlow) if upper else dlow

    @classmethod
    def make(cls, a: Any, upper: Any = False) -> Any:
        return cls(a, base.static(bool(upper)))

    @staticmethod
    def out_shape(a: Dims, upper: bool = False) -> Dims:
        _square(a, "cholesky")
        return a


@primitive("pinv", np.linalg.pinv, params="a, rcond=None, hermitian=False, *, rtol=None",
           node_args=("a",), traits={ALLOCATES, COSTLY},
           torch=Torch(("pinverse",), "LinalgPinvBackward0"))
class Pinv(Rule):
    """args: (A,): the Moore-Penrose pseudo-inverse P of each matrix of a stack ``(..., m, n)``.

    Its vjp is the derivative of P along perturbations that keep A's rank (Golub and
    Pereyra's formula, as torch's):
    ``-P^T g P^T + (I - A P) g^T P P^T + P^T P g^T (I - P A)``, the identities multiplied out.
    For a full-rank A every perturbation keeps the rank, so it is the gradient. Where A is
    rank-deficient P jumps under perturbations that raise the rank (numpy's rcond cutoff
    decides which singular values count): the value is then torch's, the derivative of the
    constant-rank branch, which finite differences do not see."""

    def _numpycode(self, printer: Any) -> str:
        return f"np.linalg.pinv({base._a(printer, self.args[0])})"

    def vjp(self, g: Any) -> list[Any]:
        a, p = self.args[0], self
        pt, gt = _mT(p), _mT(g)
        ppt, ptp = MatMul(p, pt), MatMul(pt, p)
        gt_ppt = MatMul(gt, ppt)
        ptp_gt = MatMul(ptp, gt)
        return [-MatMul(MatMul(pt, g), pt)
                + gt_ppt - MatMul(MatMul(a, p), gt_ppt)
                + ptp_gt - MatMul(ptp_gt, MatMul(p, a))]

    @staticmethod
    def out_shape(a: Dims) -> Dims:
        if len(a) < 2:
            raise ValueError("pinv: array must be at least two-dimensional")
        return a[:-2] + (a[-1], a[-2])


def _power(x: Any, k: int) -> Any:
    """x to the k-th matrix power as a node (None for k = 0, the identity)."""
    if k == 0:
        return None
    return x if k == 1 else MatrixPower(x, base.static(k))


def _power_vjp(b: Any, m: int, g: Any) -> Any:
    """The cotangent of b in ``matrix_power(b, m)``, m >= 1: the sum over k of
    ``(b^T)^k @ g @ (b^T)^(m-1-k)``."""
    bt = _mT(b)
    total = 0
    for k in range(m):
        term, left, right = g, _power(bt, k), _power(bt, m - 1 - k)
        if left is not None:
            term = MatMul(left, term)
        if right is not None:
            term = MatMul(term, right)
        total = total + term
    return total


@primitive("matrix_power", np.linalg.matrix_power, params="a, n", traits={VIEW, COSTLY},
           torch=Torch(("matrix_power",), "MmBackward0", {"n": "n"},
                       {"batched": "UnsafeViewBackward0", "n=1": "CloneBackward0",
                        "n=-1": "LinalgInvExBackward0"}))
class MatrixPower(Rule):
    """args: (A, n): A to the integer power n (known at decoration time) for each matrix
    of a stack; n = 0 is the identity (no gradient), n < 0 a power of inv(A). VIEW: numpy
    returns A itself for n = 1.

    Its vjp is the sum over k < |n| of ``(B^T)^k @ g @ (B^T)^(|n|-1-k)`` with B = A (n > 0),
    carried through inv's vjp for n < 0: |n| terms of matrix products."""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        return f"np.linalg.matrix_power({base._a(printer, self.args[0])}, " \
               f"{base.sval(self.args[1])!r})"

    def vjp(self, g: Any) -> list[Any]:
        a, n = self.args[0], base.sval(self.args[1])
        if n == 0:
            return [None]
        if n > 0:
            return [_power_vjp(a, n, g)]
        b = Inv(a)
        t = _mT(b)
        return [-MatMul(MatMul(t, _power_vjp(b, -n, g)), t)]

    @classmethod
    def make(cls, a: Any, n: Any) -> Any:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise ValueError(f"np.linalg.matrix_power(a, {n!r}): the exponent must be an "
                             "integer known when the function is decorated")
        return cls(a, base.static(int(n)))

    @staticmethod
    def out_shape(a: Dims, n: int) -> Dims:
        _square(a, "matrix_power")
        return a
