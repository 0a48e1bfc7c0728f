"""Small numpy functions that generated modules inline when they use them.

Each function here is copied verbatim (via ``inspect.getsource``) into a generated module
that calls it, so each must be self-contained: numpy (as ``np``) is its only dependency.

The eager Tensor's backward calls them too, and under ``create_graph=True`` it calls them with
Tensors, whose every operation must be recorded.  So they use only operators and numpy
functions a Tensor takes (its ``__array_function__``: np.sum, np.reshape, np.moveaxis,
np.where, ...), never ``np.asarray`` of an argument or writes into one; where numpy's own
spelling is better for ndarrays, ``_is_tensor`` picks the recorded one.
"""

import numpy as np


def _is_tensor(x):
    """True for symgrad's Tensor: an array with its own numpy protocol (not an ndarray)."""
    return hasattr(x, "__array_function__") and not isinstance(x, np.ndarray)


def _as_array(x):
    """``np.asarray(x)``, except that a Tensor stays itself (its operations are recorded)."""
    return x if _is_tensor(x) else np.asarray(x)


def _sum_to(g, like):
    """Sum a broadcast gradient back to the shape of ``like`` (numpy's broadcasting, undone)."""
    return _sum_to_shape(g, np.shape(like))


def _sum_to_shape(g, shape):
    """Sum a broadcast gradient back to ``shape`` (and broadcast a smaller one up to it)."""
    g = _as_array(g)
    if g.shape == shape:
        return g
    if g.ndim > len(shape):
        g = np.sum(g, axis=tuple(range(g.ndim - len(shape))))
    offset = len(shape) - g.ndim
    axes = tuple(i for i in range(g.ndim) if shape[i + offset] == 1 and g.shape[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    if g.shape != shape:
        g = np.broadcast_to(g, shape)
        g = g if _is_tensor(g) else np.array(g)  # (a broadcast ndarray is read-only)
    return g


def _broadcast_to(g, shape):
    """``np.broadcast_to``, skipped when g already has the shape (the usual case)."""
    return g if np.shape(g) == shape else np.broadcast_to(g, shape)


def _cumsum_grad(g, x, axis):
    """Gradient of ``np.cumsum(x, axis)``: each input reaches every later output."""
    flat = axis is None or np.ndim(x) == 0  # (numpy's cumsum of a number is 1-d, any axis)
    if _is_tensor(g):
        # a Tensor has no cumsum: the sums over later positions are a product with a lower
        # triangle of ones (n*n numbers for n positions), differentiable as a matmul
        h = np.reshape(g, -1) if flat else np.moveaxis(g, axis, -1)
        n = np.shape(h)[-1]
        h = h @ np.tril(np.ones((n, n), dtype=np.result_type(g)))
        return np.reshape(h, np.shape(x)) if flat else np.moveaxis(h, -1, axis)
    if flat:
        return np.flip(np.cumsum(np.flip(np.ravel(g)))).reshape(np.shape(x))
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def _linspace_grad(g, start, stop, num, endpoint, axis, end):
    """Gradient of ``np.linspace(start, stop, num, endpoint, axis=axis)`` with respect to
    ``start`` (end False) or ``stop`` (end True): each sample is start*(1 - t) + stop*t."""
    t = np.linspace(0.0, 1.0, num, endpoint=endpoint)
    g = np.moveaxis(_as_array(g), axis, 0)
    t = t.reshape((-1,) + (1,) * (g.ndim - 1))
    return _sum_to(np.sum(g * (t if end else 1 - t), axis=0), stop if end else start)


def _matmul_grad_a(g, a, b):
    """Gradient of ``a @ b`` with respect to ``a``."""
    if np.ndim(a) == 2 and np.ndim(b) == 2:
        return g @ b.T
    a, b = _as_array(a), _as_array(b)
    if b.ndim == 1:
        return np.expand_dims(g, -1) * b if a.ndim > 1 else g * b
    if a.ndim == 1:
        return _sum_to(g[..., None, :] @ np.swapaxes(b, -1, -2), a[None, :])[0]
    return _sum_to(g @ np.swapaxes(b, -1, -2), a)


def _matmul_grad_b(g, a, b):
    """Gradient of ``a @ b`` with respect to ``b``."""
    if np.ndim(a) == 2 and np.ndim(b) in (1, 2):
        return a.T @ g
    a, b = _as_array(a), _as_array(b)
    if a.ndim == 1:  # g[..., m] for b[..., n, m]
        return a[:, None] * g[..., None, :] if b.ndim > 1 else g * a
    if b.ndim == 1:
        return _sum_to(np.swapaxes(a, -1, -2) @ g[..., None], b[:, None])[:, 0]
    return _sum_to(np.swapaxes(a, -1, -2) @ g, b)


def _dot_grad_a(g, a, b):
    """Gradient of ``np.dot(a, b)`` with respect to ``a``."""
    a, b = _as_array(a), _as_array(b)
    if a.ndim == 0 or b.ndim == 0:
        return _sum_to(g * b, a)
    if b.ndim == 1:
        return np.expand_dims(g, -1) * b
    g2 = _as_array(g).reshape(a.shape[:-1] + (-1,))
    return g2 @ np.moveaxis(b, -2, -1).reshape(-1, b.shape[-2])


def _dot_grad_b(g, a, b):
    """Gradient of ``np.dot(a, b)`` with respect to ``b``."""
    a, b = _as_array(a), _as_array(b)
    if a.ndim == 0 or b.ndim == 0:
        return _sum_to(g * a, b)
    a2 = a.reshape(-1, a.shape[-1])
    if b.ndim == 1:
        return a2.T @ np.reshape(g, -1)
    g2 = _as_array(g).reshape(a2.shape[0], -1)
    gb = a2.T @ g2  # (k, prod(b.shape without axis -2))
    rest = b.shape[:-2] + b.shape[-1:]
    return np.moveaxis(gb.reshape((b.shape[-2],) + rest), 0, -2)


def _inner_grad_a(g, a, b):
    """Gradient of ``np.inner(a, b)`` with respect to ``a``."""
    a, b = _as_array(a), _as_array(b)
    if a.ndim == 0 or b.ndim == 0:
        return _sum_to(g * b, a)
    g = _as_array(g).reshape(a.shape[:-1] + (-1,))
    return g @ b.reshape(-1, b.shape[-1])


def _inner_grad_b(g, a, b):
    """Gradient of ``np.inner(a, b)`` with respect to ``b``."""
    a, b = _as_array(a), _as_array(b)
    if a.ndim == 0 or b.ndim == 0:
        return _sum_to(g * a, b)
    g = _as_array(g).reshape(-1, int(np.prod(b.shape[:-1], dtype=int)))
    return (g.T @ a.reshape(-1, a.shape[-1])).reshape(b.shape)


def _outer_grad_a(g, a, b):
    """Gradient of ``np.outer(a, b)`` with respect to ``a``."""
    return (g @ np.reshape(b, -1)).reshape(np.shape(a))


def _outer_grad_b(g, a, b):
    """Gradient of ``np.outer(a, b)`` with respect to ``b``."""
    return (np.reshape(a, -1) @ g).reshape(np.shape(b))


def _getitem_grad(g, x, index):
    """Gradient of ``x[index]``: zeros shaped like x with g added where x was read."""
    if isinstance(x, (tuple, list, dict)):
        out = _tuple_zeros(x)
        if isinstance(x, dict):
            index = list(x).index(index)  # a dict's gradient: one item per key, in order
        out[index] = out[index] + g
        return out
    if _is_tensor(g):  # the zeros are a Tensor too, so that np.add.at is recorded
        out = np.zeros_like(g, dtype=np.result_type(g, x), shape=np.shape(x))
    else:
        out = np.zeros(np.shape(x), dtype=np.result_type(g, x))
    np.add.at(out, index, g)
    return out


def _list_item_grad(g, xs, i):
    """Gradient of ``xs[i]`` for a list built in a loop: zeros shaped like ``np.stack(xs)``
    (a list's cotangent), with g in row i."""
    out = _list_zeros(xs, np.result_type(g, float))
    out[i] = g
    return out


def _list_zeros(xs, dtype=float):
    """The zero cotangent of a list built in a loop: zeros shaped like ``np.stack(xs)``; an
    object array of each item's zeros when the items' shapes differ."""
    if len({np.shape(x) for x in xs}) <= 1:
        return np.zeros(np.shape(xs), dtype=dtype)
    out = np.empty(len(xs), dtype=object)
    for i, x in enumerate(xs):
        out[i] = np.zeros(np.shape(x), dtype=dtype)
    return out


def _zeros_like(x):
    """Zeros shaped like x, or like each array a tuple, list or dict x holds."""
    return _tuple_zeros(x) if isinstance(x, (tuple, list, dict)) else np.zeros(np.shape(x))


def _tuple_zeros(x):
    """The zero gradient of a tuple or list (``W, b = params``): an object array holding one
    zero gradient per item (itself such an array for a nested tuple), so gradients add up
    item by item with ``+``; of a dict (``params["W"]``), the same in the order of its keys."""
    out = np.empty(len(x), dtype=object)
    for i, item in enumerate(x.values() if isinstance(x, dict) else x):
        out[i] = _tuple_zeros(item) if isinstance(item, (tuple, list, dict)) else \
            np.zeros(np.shape(item))
    return out


def _prod_others(x, axis):
    """For each element of x, the product of the other elements along ``axis`` (None: all):
    the gradient of np.prod, without dividing by x (which fails where x is 0)."""
    x = _as_array(x)
    if x.ndim == 0:  # a number (numpy accepts axis 0 and -1 for it): no other elements
        return np.ones_like(x)
    axes = tuple(range(x.ndim)) if axis is None else \
        tuple(a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    y = moved.reshape(moved.shape[:moved.ndim - len(axes)] + (-1,))
    if _is_tensor(y):
        # a Tensor has no cumprod: each product of the others is a product with 1 in place of
        # the element itself (n*n numbers for n elements), differentiable as np.prod
        n = np.shape(y)[-1]
        others = np.prod(np.where(np.eye(n, dtype=bool), 1, np.expand_dims(y, -2)), axis=-1)
    else:
        ones = np.ones(y.shape[:-1] + (1,), dtype=y.dtype)
        left = np.cumprod(np.concatenate([ones, y[..., :-1]], axis=-1), axis=-1)
        right = np.cumprod(np.concatenate([ones, y[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = left * right
    others = others.reshape(moved.shape)
    return np.moveaxis(others, tuple(range(x.ndim - len(axes), x.ndim)), axes)


def _is_items(g):
    """Whether g is a gradient per item of a list or tuple (a list, or an object array)."""
    return isinstance(g, (list, tuple)) or (isinstance(g, np.ndarray) and g.dtype == object)


def _written_grad(g, index):
    """Gradient of v in ``x[index] = v``: ``g[index]``, except that a position the index
    repeats (integer arrays) gets it only where it was written last (numpy keeps that write).
    Of a gradient per item (a list parameter's: ``grad_Ws[i] = ...`` read back), the item."""
    if _is_items(g):
        return g[index]
    out = g[index]
    positions = np.arange(np.size(g)).reshape(np.shape(g))[index]  # which element each is
    flat = np.ravel(positions)
    if len(np.unique(flat)) == len(flat):
        return out
    _, first_from_end = np.unique(flat[::-1], return_index=True)
    keep = np.zeros(len(flat), dtype=bool)
    keep[len(flat) - 1 - first_from_end] = True
    if _is_tensor(out):  # no writes into a Tensor: select through the mask (recorded)
        return np.where(keep.reshape(np.shape(positions)), out, 0)
    out = np.array(out, copy=True).reshape(-1)
    out[~keep] = 0
    return out.reshape(np.shape(positions))


def _set_item(x, index, value):
    """``x[index] = value`` on a copy: the caller's array is never written."""
    out = np.array(x, copy=True)
    out[index] = value
    return out


def _zero_at(g, index):
    """Gradient of the array a ``y[index] = ...`` overwrote: g with zeros at the index (of a
    gradient per item, an object array with that item's zeros)."""
    if _is_items(g):
        out = np.empty(len(g), dtype=object)
        for i, item in enumerate(g):
            out[i] = item
        out[index] = _zeros_like(out[index])
        return out
    if _is_tensor(g):  # no writes into a Tensor: select through a mask (recorded)
        keep = np.ones(np.shape(g), dtype=bool)
        keep[index] = False
        return np.where(keep, g, 0)
    out = np.array(g, dtype=float, copy=True)
    out[index] = 0
    return out


def _pow_slope(b, e):
    """d(b**e)/db = e*b**(e - 1), and 0 where e == 0: b**0 is 1 for every b (torch's rule).
    (b**(e - 1) is never taken at e == 0, where 0.0**-1 is inf, or raises for a float; the
    exponent is chosen with where: torch and the array API have no arithmetic on bools.)"""
    if isinstance(e, (int, float)):
        return e * b ** (e - 1 if e != 0 else e)
    return e * b ** np.where(e != 0, e - 1, e)


def _pow_log_slope(power, b):
    """d(b**e)/de = b**e*log(b) for ``power`` = b**e, and 0 where b == 0 and b**e is
    finite: 0.0**e is 0 for every e > 0 (torch's rule)."""
    return power * np.log(np.where(b == 0, 1, b))


def _erf(x):
    """math.erf of a number (a Python float, as math gives), or of each element of an array."""
    import math

    return math.erf(x) if np.ndim(x) == 0 else np.vectorize(math.erf, otypes=[float])(x)


def _erfc(x):
    """math.erfc of a number, or of each element of an array."""
    import math

    return math.erfc(x) if np.ndim(x) == 0 else np.vectorize(math.erfc, otypes=[float])(x)


def _lgamma(x):
    """math.lgamma of a number, or of each element of an array."""
    import math

    return math.lgamma(x) if np.ndim(x) == 0 else np.vectorize(math.lgamma, otypes=[float])(x)


def _gamma(x):
    """math.gamma of a number, or of each element of an array."""
    import math

    return math.gamma(x) if np.ndim(x) == 0 else np.vectorize(math.gamma, otypes=[float])(x)


def _digamma(x):
    """The digamma function (the slope of lgamma) without scipy: below 1/2 the reflection
    psi(x) = psi(1 - x) - pi/tan(pi*x); then the recurrence psi(y) = psi(y + 1) - 1/y up to
    y >= 10 and the asymptotic series there (error under 1e-15). Operators and np.where
    only, so a Tensor's operations are recorded."""
    x = x * 1.0
    reflect = x < 0.5
    y = np.where(reflect, 1 - x, x)
    total = y * 0.0
    for _ in range(10):
        small = y < 10
        total = total - np.where(small, 1 / y, 0.0)
        y = np.where(small, y + 1, y)
    z = 1 / (y * y)
    series = z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z * (1 / 240 - z * (
        1 / 132 - z * (691 / 32760 - z / 12))))))
    psi = total + np.log(y) - 0.5 / y - series
    # tan has period 1 in pi*x, and x - floor(x + 1/2) is exact; 1/4 where not reflected
    # keeps the unused branch finite (its slope would be 0*inf through np.where)
    near = np.where(reflect, x - np.floor(x + 0.5), 0.25)
    out = np.where(reflect, psi - np.pi / np.tan(np.pi * near), psi)
    return out[()] if type(out) is np.ndarray else out  # (a number for a number)


def _polygamma(n, x):
    """The n-th derivative of the digamma function (n a non-negative integer) without scipy:
    for n >= 1 the recurrence psi_n(y) = psi_n(y + 1) + (-1)**(n + 1)*n!/y**(n + 1) up to
    y >= n + 10 and the asymptotic series there; n = 1 below 1/2 by the reflection
    psi_1(x) = pi**2/sin(pi*x)**2 - psi_1(1 - x)."""
    import math

    if n == 0:
        return _digamma(x)
    x = x * 1.0
    reflect = (x < 0.5) if n == 1 else (x < -np.inf)
    y = np.where(reflect, 1 - x, x)
    top = n + 10
    low = float(np.min(y)) if np.size(y) else top
    sign = (-1) ** (n + 1)
    total = y * 0.0
    for _ in range(max(0, int(np.ceil(top - low)))):
        small = y < top
        total = total + np.where(small, sign * math.factorial(n) / y ** (n + 1), 0.0)
        y = np.where(small, y + 1, y)
    bernoulli = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
    series = math.factorial(n - 1) / y ** n + math.factorial(n) / (2 * y ** (n + 1))
    for k, b in enumerate(bernoulli, start=1):
        series = series + b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) / \
            y ** (2 * k + n)
    psi = total + sign * series
    if n == 1:
        near = np.where(reflect, x - np.floor(x + 0.5), 0.5)  # (as in _digamma)
        psi = np.where(reflect, (np.pi / np.sin(np.pi * near)) ** 2 - psi, psi)
    return psi[()] if type(psi) is np.ndarray else psi  # (a number for a number)


def _nonzero_or_1(a):
    """``a`` with its zeros replaced by 1: a divisor whose zeros meet a zero numerator."""
    return np.where(a == 0, 1, a)


def _prod_others_grad(g, x, axis):
    """Gradient of ``_prod_others(x, axis)`` against cotangent g: element j gets the sum over
    i != j of g_i times the product of the elements other than i and j (np.prod's second
    derivative), by running products from both ends: no division, so zeros are exact."""
    x = np.asarray(x)
    g = np.broadcast_to(g, x.shape)
    if x.ndim == 0:
        return np.zeros_like(x * g)
    axes = tuple(range(x.ndim)) if axis is None else \
        tuple(a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
    last = tuple(range(x.ndim - len(axes), x.ndim))
    moved_x = np.moveaxis(x, axes, last)
    shape = moved_x.shape
    y = moved_x.reshape(shape[:x.ndim - len(axes)] + (-1,))
    u = np.moveaxis(g, axes, last).reshape(y.shape)
    n = y.shape[-1]
    ones = np.ones(y.shape[:-1] + (1,), dtype=np.result_type(y, u))
    left = np.cumprod(np.concatenate([ones, y[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, y[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    before = np.zeros_like(left)  # sum over i < j of u_i times the x_k, k < j, k != i
    after = np.zeros_like(left)  # sum over i > j of u_i times the x_k, k > j, k != i
    for j in range(1, n):
        before[..., j] = before[..., j - 1] * y[..., j - 1] + u[..., j - 1] * left[..., j - 1]
        k = n - 1 - j
        after[..., k] = after[..., k + 1] * y[..., k + 1] + u[..., k + 1] * right[..., k + 1]
    out = (before * right + left * after).reshape(shape)
    return np.moveaxis(out, last, axes)


# the vjps of rules/moving.py


def _diagonal_grad(g, x, offset, axis1, axis2):
    """Gradient of ``np.diagonal(x, offset, axis1, axis2)``: zeros shaped like x with g
    (broadcast to the diagonal's shape: a trace's g) on that diagonal."""
    shape = np.shape(x)
    a1, a2 = axis1 % len(shape), axis2 % len(shape)
    rest = tuple(d for i, d in enumerate(shape) if i not in (a1, a2))
    n, m = shape[a1], shape[a2]
    k = np.arange(max(0, min(n + min(offset, 0), m - max(offset, 0))))
    g = _broadcast_to(g, rest + (len(k),))
    moved = np.broadcast_to(np.zeros((), dtype=np.result_type(x)), rest + (n, m))
    out = _getitem_grad(g, moved, (Ellipsis, k - min(offset, 0), k + max(offset, 0)))
    return np.moveaxis(out, (-2, -1), (a1, a2))


def _diag_grad(g, x, k):
    """Gradient of ``np.diag(x, k)``: the diagonal of g for a 1-d x, else g on the diagonal of
    zeros shaped like x (which np.diag(g, k) would make square)."""
    return np.diagonal(g, k) if np.ndim(x) == 1 else _diagonal_grad(g, x, k, 0, 1)


def _diff_grad(g, n, axis):
    """Gradient of ``np.diff(x, n, axis)``: minus the difference of g padded with a zero at
    both ends, n times."""
    shape = list(np.shape(g))
    shape[axis] = n
    zeros = np.zeros(shape, dtype=np.result_type(g))
    return (-1) ** n * np.diff(np.concatenate([zeros, g, zeros], axis=axis), n, axis)


def _repeat_grad(g, x, repeats, axis):
    """Gradient of ``np.repeat(x, repeats, axis)``: each element's copies summed."""
    if axis is None:
        flat = np.reshape(x, -1)
        return np.reshape(_repeat_grad(g, flat, repeats, 0), np.shape(x))
    axis = axis % np.ndim(x)
    source = np.repeat(np.arange(np.shape(x)[axis]), repeats)  # the element each copy is
    return _getitem_grad(g, x, (slice(None),) * axis + (source,))


def _tile_grad(g, x, reps):
    """Gradient of ``np.tile(x, reps)``: the copies summed, axis by axis."""
    shape = np.shape(x)
    reps = tuple(reps) if isinstance(reps, (tuple, list)) else (reps,)
    d = max(len(shape), len(reps))
    shape_d, reps_d = (1,) * (d - len(shape)) + shape, (1,) * (d - len(reps)) + reps
    split = tuple(v for r, s in zip(reps_d, shape_d, strict=True) for v in (r, s))
    return np.reshape(np.sum(np.reshape(g, split), axis=tuple(range(0, 2 * d, 2))), shape)


def _as_columns(v, b):
    """``v`` as a stack of column matrices where ``np.linalg.solve(A, b)`` read b as a vector
    (numpy 2: b is 1-d), else ``v`` itself."""
    return v[..., None] if len(np.shape(b)) == 1 else v


def _from_columns(v, b):
    """``_as_columns(v, b)`` undone: the column of each matrix where b is 1-d."""
    return v[..., 0] if len(np.shape(b)) == 1 else v


def _kron_shapes(a, b):
    """The shapes of a and b with ones prepended to the same length, as np.kron pads them."""
    sa, sb = np.shape(a), np.shape(b)
    n = max(len(sa), len(sb))
    return (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)


def _kron_grad_a(g, a, b):
    """Gradient of ``np.kron(a, b)`` with respect to ``a``: g's blocks, each against b."""
    sa, sb = _kron_shapes(a, b)
    blocks = np.reshape(g, tuple(d for pair in zip(sa, sb, strict=True) for d in pair))
    tiled = np.reshape(b, tuple(d for s in sb for d in (1, s)))
    return np.reshape(np.sum(blocks * tiled, axis=tuple(range(1, 2 * len(sa), 2))), np.shape(a))


def _kron_grad_b(g, a, b):
    """Gradient of ``np.kron(a, b)`` with respect to ``b``: g's blocks weighted by a."""
    sa, sb = _kron_shapes(a, b)
    blocks = np.reshape(g, tuple(d for pair in zip(sa, sb, strict=True) for d in pair))
    spread = np.reshape(a, tuple(d for s in sa for d in (s, 1)))
    return np.reshape(np.sum(blocks * spread, axis=tuple(range(0, 2 * len(sa), 2))), np.shape(b))


def _cross3(a, b, axisa=-1, axisb=-1, axisc=-1):
    """``np.cross`` of 3-vectors, as np.cross's gradient needs: np.cross of 2-vectors
    (deprecated in numpy 2) gives numbers, and its gradient is not supported."""
    if np.shape(a)[axisa] != 3 or np.shape(b)[axisb] != 3:
        raise ValueError("the gradient of np.cross is supported for 3-vectors only (numpy 2 "
                         "deprecates 2-vectors: append a zero third component)")
    return np.cross(a, b, axisa=axisa, axisb=axisb, axisc=axisc)


def _cofactor(a):
    """The cofactor matrix of each matrix of a stack: the gradient of ``np.linalg.det``,
    ``det(a) * inv(a)^T`` where a is invertible, and finite where it is singular. Computed
    through an SVD, a = u diag(s) vh: ``det(u) det(vh) u diag(prod of the other s) vh``,
    which needs no division. (On Tensors, under create_graph: the recorded det * inv^T.)"""
    if _is_tensor(a):
        return np.linalg.det(a)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2)
    a = np.asarray(a)
    u, s, vh = np.linalg.svd(a)
    ones = np.ones(s.shape[:-1] + (1,), dtype=s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * ((u * (before * after)[..., None, :]) @ vh)
# the vjps of rules/ordering.py and rules/splitting.py


def _take_along_axis_grad(g, x, indices, axis):
    """Gradient of ``np.take_along_axis(x, indices, axis)`` (np.sort's through its argsort):
    zeros shaped like x with g added where x was read (twice read: added twice)."""
    if axis is None:  # positions in the flattened x
        return np.reshape(_getitem_grad(g, np.reshape(x, -1), (indices,)), np.shape(x))
    shape = np.shape(x)
    axis = axis % len(shape)
    index = tuple(indices if i == axis else
                  np.arange(n).reshape((1,) * i + (n,) + (1,) * (len(shape) - i - 1))
                  for i, n in enumerate(shape))
    return _getitem_grad(g, x, index)


def _split_grad(g, x, split, sections, axis, i):
    """Gradient of part i of ``split(x, sections, axis)`` (np.split, np.array_split; np.hsplit
    and friends with axis None): zeros shaped like x with g where the part was."""
    positions = np.arange(np.size(x)).reshape(np.shape(x))  # which element of x each is
    part = split(positions, sections)[i] if axis is None else split(positions, sections, axis)[i]
    flat = _getitem_grad(np.reshape(g, -1), np.reshape(x, -1), (np.reshape(part, -1),))
    return np.reshape(flat, np.shape(x))


# the vjps of rules/padding.py


def _cumprod_grad(g, x, axis):
    """Gradient of ``np.cumprod(x, axis)``: element k gets the sum over i >= k of g_i times
    the product of x_j, j <= i, j != k. That is L_k * S_k with L_k = x_0 ... x_{k-1} and
    S_k = g_k + x_{k+1} * S_{k+1}: no division, so exact where x has zeros."""
    shape = np.shape(x)
    if axis is None or len(shape) == 0:  # (numpy's cumprod of a number is 1-d, any axis)
        return np.reshape(_cumprod_grad(np.reshape(g, -1), np.reshape(x, -1), 0), shape)
    y, u = np.moveaxis(x, axis, -1), np.moveaxis(g, axis, -1)
    n = np.shape(y)[-1]
    if n == 0:
        return x * 0 + g * 0
    left = [1]
    for k in range(1, n):
        left.append(left[-1] * y[..., k - 1])
    later = [u[..., n - 1]]
    for k in range(n - 2, -1, -1):
        later.append(u[..., k] + y[..., k + 1] * later[-1])
    out = np.stack([lk * sk for lk, sk in zip(left, later[::-1], strict=True)], axis=-1)
    return np.moveaxis(out, -1, axis)


def _pad_grad(g, x, pad_width, mode):
    """Gradient of ``np.pad(x, pad_width, mode)``: each element of x gets g summed over
    every place the pad put it (mode 'constant': its padding is a constant, no gradient)."""
    positions = np.arange(np.size(x)).reshape(np.shape(x))  # which element of x each is
    if mode == "constant":
        padded = np.reshape(np.pad(positions, pad_width, constant_values=-1), -1)
        keep = padded >= 0
        g, padded = np.reshape(g, -1)[keep], padded[keep]
    else:
        padded = np.reshape(np.pad(positions, pad_width, mode=mode), -1)
    flat = _getitem_grad(np.reshape(g, -1), np.reshape(x, -1), (padded,))
    return np.reshape(flat, np.shape(x))


def _gradient_grad(g, f, spacing, axis):
    """Gradient of ``np.gradient(f, spacing, axis=axis)`` (edge_order=1): the stencil
    transposed. Axis None is every axis: then g of a 1-d f is one array, else one per axis
    (a list, or stacked as numpy stacks np.gradient's list)."""
    ndim = np.ndim(f)
    if axis is None:
        if ndim == 1:
            return _gradient_grad(g, f, spacing, 0)
        return sum(_gradient_grad(g[k], f, spacing, k) for k in range(ndim))
    u = np.moveaxis(_broadcast_to(g, np.shape(f)), axis, -1)
    zeros = u[..., :2] * 0
    inner = u[..., 1:-1] / (2 * spacing)  # out_i = (f_{i+1} - f_{i-1}) / 2h inside
    out = np.concatenate([zeros, inner], axis=-1) - np.concatenate([inner, zeros], axis=-1)
    first, last = u[..., :1] / spacing, u[..., -1:] / spacing  # one-sided at the ends
    rest = u[..., 2:] * 0
    out = out + np.concatenate([-first, first, rest], axis=-1) \
        + np.concatenate([rest, -last, last], axis=-1)
    return np.moveaxis(out, -1, axis)


def _cotangents(result, backward, *inputs):
    """A custom vjp's result, checked: one cotangent per argument, each shaped like it
    (None: a zero one, as jax.custom_vjp and torch.autograd.Function take it)."""
    name = getattr(backward, "__name__", "the custom vjp")
    if not isinstance(result, (tuple, list)) or len(result) != len(inputs):
        raise ValueError(f"{name} must return a tuple of {len(inputs)} cotangent(s), one "
                         f"per argument, not {type(result).__name__}")
    result = [np.zeros(np.shape(x), np.result_type(x, 1.0)) if ct is None else ct
              for ct, x in zip(result, inputs, strict=True)]
    for i, (ct, x) in enumerate(zip(result, inputs, strict=True)):
        if np.shape(ct) != np.shape(x):
            raise ValueError(f"{name}: cotangent {i} has shape {np.shape(ct)}, but its "
                             f"argument has shape {np.shape(x)}")
    return tuple(result)
def _cast_like(g, x):
    """The gradient through a cast (``x.astype(np.float32)``): g in x's own dtype, as torch
    returns a float64 tensor's gradient through ``x.float()`` in float64."""
    dtype = np.result_type(x)
    if _is_tensor(g) or np.result_type(g) == dtype or dtype.kind not in "fc":
        return g
    return np.asarray(g).astype(dtype)
