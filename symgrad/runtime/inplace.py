"""The Tensor's in-place operations: ``add_`` and friends, ``x += y``, ``x[i] = v``, the
random fills.  An in-place op records like its out-of-place twin, then writes the result into
the tensor's memory and bumps its version counter, so that a backward that saved the old
value raises PyTorch's error instead of computing a wrong gradient.
"""

from __future__ import annotations

import numpy as np

from symgrad.runtime.arithmetic import _binary
from symgrad.runtime.creation import _RNG
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.messages import _TYPE_SHORT, LEAF_INPLACE_MSG, VIEW_LEAF_INPLACE_MSG
from symgrad.runtime.primitives import OPS
from symgrad.runtime.saved_hooks import HOOKS
from symgrad.runtime.shape import _index_key, _index_parts
from symgrad.runtime.tensor import Tensor, _box, _named, _new_obj, _record, _wrap, install_methods

_ADD, _MUL = OPS["add"], OPS["multiply"]


def _check_inplace(t, setitem=False):
    if _Mode.enabled:
        if t._grad_fn is None and t._requires_grad:
            # ``x[i] = v`` is ``x[i].copy_(v)`` in PyTorch: a view of the leaf is written
            raise RuntimeError(VIEW_LEAF_INPLACE_MSG if setitem else LEAF_INPLACE_MSG)
        b = t._base
        if b is not None and b._grad_fn is None and b._requires_grad:
            raise RuntimeError(VIEW_LEAF_INPLACE_MSG)


def _valued(record, value):
    """``record()`` (``x * 0 + value``, whose gradients are zero_/fill_/copy_'s), holding exactly
    ``value``: torch's zero_, fill_ and copy_ overwrite NaN, inf and -0 in x."""
    v = value._data if type(value) is Tensor else np.asarray(value)
    with np.errstate(all="ignore"):
        res = record()
        res._data = np.broadcast_to(v, res._data.shape).astype(res._data.dtype)
    return res


def _bump(t):
    b = t._ver
    if b is not None:
        b[0] += 1


def _snapshot(t):
    """A Tensor standing for ``t`` before an in-place write (graph position, shape, dtype)."""
    s = _new_obj(Tensor)
    s._data = t._data
    s._requires_grad = t._requires_grad
    s._grad_fn = t._grad_fn
    s._output_nr = t._output_nr
    s._accum = t._grad_accumulator() if (t._requires_grad and t._grad_fn is None) else None
    return s


def _source(t):
    """What an in-place op on ``t`` computes from: ``t`` itself, or, under
    ``saved_tensors_hooks``, a copy of its value at t's place in the graph, so that what the
    pack hook receives (and may keep as it is) is the value before the write, as torch's
    ``original_self`` is."""
    if not HOOKS:
        return t
    s = _snapshot(t)
    s._data = t._data.copy()
    return s


def _recheck(node, t):
    """Under saved-tensor hooks, a value the in-place op on ``t`` packed from ``t`` itself
    as another operand (``y.mul_(y)``) is overwritten by the op: its version stays checked,
    so backward raises torch's in-place error instead of reading the new value."""
    if node is not None and node._packed:
        node._recheck = frozenset(n for n, (_, o) in node._packed.items() if o is t)


def _keep_old_value(node, t):
    """``node`` computed t's new value from t (its operand 0) and saved it: keep a copy of
    t's value before the write (PyTorch saves the original self of an in-place op), and stop
    watching t's version for it, since the write about to happen is the op itself."""
    if node is None or not node._saves:
        return
    arrays, out = node._saved
    if not arrays or arrays[0] is not t._data:
        return
    # self only: an ``other`` that is t too (x.mul_(x)) stays watched, so its backward raises
    # the version error, as torch's does
    node._saved = ((arrays[0].copy(),) + arrays[1:], out)
    node._vers = tuple(v for v in node._vers if v[3] != "x0")


def _setitem_value(view, idx, value):
    """The new value of a whole view after ``view[idx] = value`` (out of place)."""
    c = view.clone()
    c[idx] = value
    return c


def _record_copy_slices(t, old, idx, vt):
    """``t[idx] = vt`` happened in place: make t's grad_fn a CopySlices node, whose backward is
    the rule table's ``setitem`` (the old t gets g zeroed at idx, the value g[idx])."""
    key, vjp = _index_key("setitem", idx)
    operands = (old, vt if vt is not None else np.zeros((), t._data.dtype))
    tmp = _wrap(t._data)
    _record(tmp, OPS["setitem"].node, key, operands, saves=False, vjp=vjp)
    node = tmp._grad_fn
    if node is not None:
        if vt is None:
            node._meta = (node._meta[0], None)
        t._grad_fn = node
        t._requires_grad = True
        t._output_nr = 0


def add_at(t, index, value):
    """``np.add.at(t, index, value)`` on a Tensor: value added at index (repeats add up), in
    place, recorded (``IndexPutBackward0``) with the rule table's ``add_at``.  This is what a
    getitem's gradient runs on Tensors (``helpers._getitem_grad``), so it can be
    differentiated again."""
    idx = _index_parts(index)[0]
    v = value if type(value) is Tensor else _wrap(np.asarray(value))

    def added(s):
        res = _wrap(s._data.astype(np.result_type(s._data, v._data)))
        np.add.at(res._data, idx, v._data)
        if _Mode.enabled and (s._requires_grad or v._requires_grad):
            key, vjp = _index_key("add_at", idx)
            _record(res, "IndexPutBackward0", key, (s, v), saves=False, vjp=vjp)
        return res

    t._inplace(added)


class _InplaceMethods:
    # in-place arithmetic (x += 1 records like x.add_(1))
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __setitem__(self, index, value):
        idx, adv, parts = _index_parts(index)
        _check_inplace(self, setitem=True)
        vt = value if type(value) is Tensor else None
        if vt is not None:
            src = vt._data
        else:
            src = value._data if type(value) is Tensor else value
        if _Mode.enabled and (self._requires_grad or (vt is not None and vt._requires_grad)):
            if self._base is not None and self._base._requires_grad:
                return self._inplace_via_base(lambda v: _setitem_value(v, idx, value))
            old = _snapshot(self)
            self._data[idx] = src
            _bump(self)
            _record_copy_slices(self, old, idx, vt)
            return
        self._data[idx] = src
        _bump(self)

    def _inplace_via_base(self, compute):
        """In-place op on a view of a tensor that requires grad: write the new value through the
        base (a CopySlices node on the base), then re-derive this view from the base."""
        base = self._base
        vidx = self._view_index
        if vidx is None:
            raise RuntimeError(
                "symgrad: in-place operations on this kind of view of a tensor that requires grad "
                "are not supported; use an out-of-place operation instead"
            )
        new = compute(_source(self))
        _keep_old_value(new._grad_fn if type(new) is Tensor else None, self)
        base[vidx] = new
        _recheck(new._grad_fn if type(new) is Tensor else None, self)
        fresh = base[vidx]
        self._grad_fn = fresh._grad_fn
        self._requires_grad = fresh._requires_grad
        self._output_nr = 0
        return self

    # -- in-place ops --------------------------------------------------------------------------

    def _inplace(self, result_fn):
        """Run ``result_fn(self)`` out of place, then write its value into self's memory; self
        takes over the result's graph node (as PyTorch does)."""
        _check_inplace(self)
        if self._base is not None and self._base._requires_grad and _Mode.enabled:
            return self._inplace_via_base(result_fn)
        res = result_fn(_source(self))
        if res is NotImplemented:
            raise TypeError("unsupported operand type")
        node = res._grad_fn
        _keep_old_value(node, self)
        d = self._data
        r = res._data
        if r.shape != d.shape:
            raise RuntimeError(
                f"output with shape {list(d.shape)} doesn't match the broadcast shape {list(r.shape)}"
            )
        if r.dtype != d.dtype and np.can_cast(r.dtype, d.dtype) is False and d.dtype.kind != "f":
            raise RuntimeError(
                f"result type {_TYPE_SHORT.get(r.dtype.name, r.dtype.name)} can't be cast to the desired "
                f"output type {_TYPE_SHORT.get(d.dtype.name, d.dtype.name)}"
            )
        np.copyto(d, r, casting="unsafe")
        _bump(self)
        _recheck(node, self)
        if node is not None:
            self._grad_fn = node
            self._requires_grad = True
            self._output_nr = 0
            if node._saves:
                # the node's output is now self's memory; later in-place changes must be caught
                node._saved = (node._saved[0], d)
                box = _box(self)
                node._vers = node._vers[:-1] + ((box, box[0], None, "out"),)
        return self

    def add_(self, other, *, alpha=1):
        return self._inplace(lambda s: s.add(other, alpha=alpha))

    def sub_(self, other, *, alpha=1):
        return self._inplace(lambda s: s.sub(other, alpha=alpha))

    def mul_(self, other):
        return self._inplace(lambda s: s.mul(other))

    def div_(self, other):
        return self._inplace(lambda s: s.div(other))

    def pow_(self, exponent):
        return self._inplace(lambda s: s.pow(exponent))

    def neg_(self):
        return self._inplace(lambda s: s.neg())

    def exp_(self):
        return self._inplace(lambda s: s.exp())

    def clamp_(self, min=None, max=None):
        return self._inplace(lambda s: s.clamp(min, max))

    def zero_(self):
        # the gradient of zero_ is zero: ``x * 0`` under the multiply rule; the value is written
        # separately (x * 0 would keep NaN, inf and the sign of -x)
        return self._inplace(lambda s: _valued(
            lambda: _named(_binary(_MUL, s, 0), "ZeroBackward0"), 0))

    def fill_(self, value):
        return self._inplace(lambda s: _valued(
            lambda: _named(_binary(_ADD, _binary(_MUL, s, 0), value),
                           "FillBackward3" if type(value) is Tensor else "FillBackward2"), value))

    def copy_(self, src):
        return self._inplace(lambda s: _valued(
            lambda: _named(_binary(_ADD, _binary(_MUL, s, 0), src), "CopyBackwards"), src))

    def uniform_(self, a=0.0, b=1.0):
        _check_inplace(self)
        self._data[...] = _RNG[0].uniform(a, b, self._data.shape)
        _bump(self)
        return self

    def normal_(self, mean=0.0, std=1.0):
        _check_inplace(self)
        self._data[...] = _RNG[0].normal(mean, std, self._data.shape)
        _bump(self)
        return self


install_methods(_InplaceMethods)
