"""``Tensor``: an ndarray with PyTorch's autograd semantics.

Every differentiable op computes its value with numpy and, when grad mode is on and an
operand requires grad, records one graph node named like PyTorch's (``MulBackward0``).  The
node's backward is the vjp that ``symgrad.rules.eager_vjp`` generates from the one rule
table, cached per (op, static parameters); nothing here knows a derivative.
"""

from __future__ import annotations

import builtins
import numbers
import warnings
import weakref

import numpy as np

from symgrad.runtime import dtypes as _dt
from symgrad.runtime.dtypes import DEFAULT, NP2DT, Size
from symgrad.runtime.engine import (
    NO_GRAD_MSG,
    SCALAR_MSG,
    AccumulateGrad,
    node_class,
    run_backward,
)
from symgrad.runtime.grad_mode import _Mode

_pyfloat = builtins.float
_pyint = builtins.int
_pybool = builtins.bool
_ndarray = np.ndarray
_new_obj = object.__new__

LEAF_INPLACE_MSG = "a leaf Variable that requires grad is being used in an in-place operation."
VIEW_LEAF_INPLACE_MSG = "a view of a leaf Variable that requires grad is being used in an in-place operation."
NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If "
    "you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. "
    "See github.com/pytorch/pytorch/pull/30531 for more information."
)
CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using autograd.grad "
    "when creating the graph to avoid this. If you have to use this function, make sure to reset "
    "the .grad fields of your parameters to None after use to break the cycle and avoid the leak."
)
RG_LEAF_MSG = (
    "you can only change requires_grad flags of leaf variables. If you want to use a computed "
    "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
)

# ---------------------------------------------------------------------------------------------
# the rule table, reached lazily

_VJP_CACHE: dict = {}
_EAGER_VJP = []


def _eager_vjp():
    if not _EAGER_VJP:
        from symgrad.rules import eager_vjp, sum_to

        _EAGER_VJP.extend((eager_vjp, sum_to))
    return _EAGER_VJP[0]


def _resolve_vjp(key):
    vjp = _VJP_CACHE.get(key)
    if vjp is None:
        op, static = key
        vjp = _eager_vjp()(op, **dict(static))
        _VJP_CACHE[key] = vjp
    return vjp


def _fit(g, shape):
    """A rule's gradient (possibly broadcast-shaped either way) brought to exactly ``shape``:
    summed down where it was broadcast up (``sum_to``), broadcast up where it was reduced."""
    if type(g) is Tensor:
        return _fit_tensor(g, shape)
    if not hasattr(g, "shape"):  # a constant slope (sign: 0)
        return np.full(shape, g, dtype=np.float64)
    gs = g.shape
    lead = len(gs) - len(shape)
    if lead > 0 or any(gs[i] != 1 and shape[i - lead] == 1 for i in range(len(gs))):
        if not _EAGER_VJP:
            _eager_vjp()
        if lead < 0:  # only the trailing dims of shape are broadcast against g
            g = _EAGER_VJP[1](g, shape[-lead:])
        else:
            g = _EAGER_VJP[1](g, shape)
    if g.shape != shape:
        full = np.empty(shape, g.dtype)
        full[...] = g
        g = full
    return g


def _fit_tensor(g, shape):
    """``_fit`` for Tensors (create_graph): the same summing/broadcasting, recorded."""
    n = len(shape)
    lead = g.ndim - n
    if lead > 0:
        g = g.sum(dim=tuple(range(lead)))
    lead = g.ndim - n  # <= 0 now
    axes = tuple(i for i in range(g.ndim) if g.shape[i] != 1 and shape[i - lead] == 1)
    if axes:
        g = g.sum(dim=axes, keepdim=True)
    if tuple(g.shape) != tuple(shape):
        g = g.expand(shape)
    return g


def _to_grad_tensor(g, like, create_graph):
    """A gradient (array or Tensor) as the Tensor stored in ``.grad``."""
    if type(g) is Tensor:
        return g if create_graph else g.detach()
    return _wrap(np.asarray(g))


def _saved_tensor_args(node):
    """(inputs as Tensors or constants, output as Tensor) for a create_graph vjp call."""
    arrays, out = node._saved
    args = [t if t is not None else a for t, a in zip(node._tensors, arrays, strict=True)]
    out_t = _wrap(out)
    out_t._requires_grad = True
    out_t._grad_fn = node
    args.append(out_t)
    return args


# ---------------------------------------------------------------------------------------------
# recording


def _wrap(arr):
    """A new Tensor around ``arr`` (no copy)."""
    if type(arr) is not _ndarray:
        arr = np.asarray(arr)
    t = _new_obj(Tensor)
    t._data = arr
    return t


def _box(t):
    b = t._ver
    if b is None:
        b = t._ver = [0]
    return b


def _edge(t):
    fn = t._grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        return (t._grad_accumulator(), 0)
    return (None, 0)


def _desc(t, fn, nr):
    """(shape, dtype name, ", which is output 0 of Mul,") for the version-counter error."""
    which = ""
    if fn is not None:
        nm = type(fn).__name__
        base = nm.rstrip("0123456789")
        if base.endswith("Backward"):
            base = base[: -len("Backward")]
        which = f", which is output {nr} of {base},"
    return (t._data.shape, t._data.dtype.name, which)


_OPNODE_CLASSES: dict = {}


def _record(out, name, key, operands, saves=True, vjp=None, out_dtype=None):
    """Make ``out`` (a Tensor) the result of a recorded op when grad mode is on and an operand
    requires grad.  ``operands``: the op's inputs (Tensors or constants), in the rule's order."""
    for a in operands:
        if type(a) is Tensor and a._requires_grad:
            break
    else:
        return out
    cls = _OPNODE_CLASSES.get(name)
    if cls is None:
        cls = _OPNODE_CLASSES[name] = node_class(name)
    node = _new_obj(cls)
    arrays = []
    tensors = []
    metas = []
    edges = []
    vers = []
    odt = out._data.dtype
    for i, a in enumerate(operands):
        if type(a) is Tensor:
            arrays.append(a._data)
            tensors.append(a)
            metas.append((a._data.shape, a._data.dtype))
            edges.append(_edge(a))
            if saves:
                b = _box(a)
                vers.append((b, b[0], (a, a._grad_fn, a._output_nr), f"x{i}"))
        else:
            if type(a) is not _ndarray:
                a = np.asarray(a, dtype=odt if odt.kind in "fc" and not isinstance(a, (_pybool, np.bool_)) else None)
            arrays.append(a)
            tensors.append(None)
            metas.append(None)
            edges.append((None, 0))
    node.next_functions = tuple(edges)
    node._key = key
    node._vjp = vjp
    node._saved = (tuple(arrays), out._data)
    node._tensors = tuple(tensors)
    node._meta = tuple(metas)
    node._saves = saves
    out._grad_fn = node
    out._requires_grad = True
    if saves:
        b = out._ver = [0]
        vers.append((b, 0, None, "out"))
    node._vers = tuple(vers)
    return out


def _wants_grad(*operands):
    if not _Mode.enabled:
        return False
    for a in operands:
        if type(a) is Tensor and a._requires_grad:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# dtype promotion (PyTorch's rules: category beats size; dimensioned tensors beat 0-d ones,
# 0-d tensors beat Python scalars)


def _cat(npd):
    k = npd.kind
    return 2 if k in "fc" else (0 if k == "b" else 1)


def _scalar_cat(s):
    if isinstance(s, (_pybool, np.bool_)):
        return 0
    if isinstance(s, (_pyint, np.integer)):
        return 1
    return 2


def _promote2(ad, bd, a_dim, b_dim):
    if ad == bd:
        return ad
    ca, cb = _cat(ad), _cat(bd)
    if a_dim != b_dim:
        # the dimensioned one wins unless the 0-d one is of a higher category
        if a_dim:
            return bd if cb > ca else ad
        return ad if ca > cb else bd
    if ca != cb:
        return ad if ca > cb else bd
    return np.promote_types(ad, bd)


def _operand(a, like):
    """``a`` (Tensor, Python/numpy scalar, array, list) as (value for numpy, is_tensor)."""
    if type(a) is Tensor:
        return a
    if isinstance(a, (numbers.Number, np.generic)):
        return a.item() if isinstance(a, np.generic) else a
    if isinstance(a, (np.ndarray, list, tuple)):
        return tensor(a)
    return NotImplemented


def _binary_arrays(a, b):
    """The numpy operands for ``a op b`` after PyTorch's type promotion."""
    if type(b) is Tensor:
        ad = a._data
        bd = b._data
        if ad.dtype is not bd.dtype and ad.dtype != bd.dtype:
            rd = _promote2(ad.dtype, bd.dtype, ad.ndim > 0, bd.ndim > 0)
            ad = ad.astype(rd, copy=False)
            bd = bd.astype(rd, copy=False)
        return ad, bd
    ad = a._data
    if _scalar_cat(b) > _cat(ad.dtype):
        ad = ad.astype(DEFAULT[0]._np if _scalar_cat(b) == 2 else np.int64)
    return ad, b


# ---------------------------------------------------------------------------------------------
# names

_TORCH_NAMES = {
    "add": "AddBackward0",
    "subtract": "SubBackward0",
    "multiply": "MulBackward0",
    "divide": "DivBackward0",
    "negative": "NegBackward0",
    "power": "PowBackward0",
    "exp": "ExpBackward0",
    "log": "LogBackward0",
    "log1p": "Log1PBackward0",
    "expm1": "Expm1Backward0",
    "sqrt": "SqrtBackward0",
    "sin": "SinBackward0",
    "cos": "CosBackward0",
    "tan": "TanBackward0",
    "arcsin": "AsinBackward0",
    "arccos": "AcosBackward0",
    "arctan": "AtanBackward0",
    "arctan2": "Atan2Backward0",
    "sinh": "SinhBackward0",
    "cosh": "CoshBackward0",
    "tanh": "TanhBackward0",
    "abs": "AbsBackward0",
    "sign": "SignBackward0",
    "square": "PowBackward0",
    "reciprocal": "ReciprocalBackward0",
    "maximum": "MaximumBackward0",
    "minimum": "MinimumBackward0",
    "clip": "ClampBackward1",
    "where": "WhereBackward0",
    "sigmoid": "SigmoidBackward0",
    "relu": "ReluBackward0",
}
_NO_SAVE = frozenset({"add", "subtract", "negative"})


def _sigmoid_np(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _relu_np(x):
    return np.maximum(x, x.dtype.type(0))


_UNARY_NP = {
    "negative": np.negative,
    "exp": np.exp,
    "log": np.log,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "abs": np.abs,
    "sign": np.sign,
    "square": np.square,
    "reciprocal": lambda x: np.divide(1, x),
    "sigmoid": _sigmoid_np,
    "relu": _relu_np,
}
_FLOAT_ONLY = frozenset(
    "exp log log1p expm1 sqrt sin cos tan arcsin arccos arctan sinh cosh tanh sigmoid reciprocal".split()
)
_BINARY_NP = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": np.divide,
    "power": np.power,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "arctan2": np.arctan2,
}
_WARNS = frozenset({"divide", "power", "arctan2"})
_KEYS = {op: (op, ()) for op in list(_UNARY_NP) + list(_BINARY_NP) + ["where", "clip", "matmul"]}


def _unary(op, x, name=None):
    d = x._data
    if op in _FLOAT_ONLY and d.dtype.kind not in "fc":
        d = d.astype(DEFAULT[0]._np)
    with np.errstate(all="ignore"):
        out = _wrap(_UNARY_NP[op](d))
    if x._requires_grad and _Mode.enabled:
        _record(out, name or _TORCH_NAMES[op], _KEYS[op], (x,), saves=op not in _NO_SAVE)
    return out


def _broadcast_error(a, b):
    sa, sb = a.shape, b.shape
    n = max(len(sa), len(sb))
    sa = (1,) * (n - len(sa)) + tuple(sa)
    sb = (1,) * (n - len(sb)) + tuple(sb)
    for i in range(n - 1, -1, -1):
        if sa[i] != sb[i] and sa[i] != 1 and sb[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({sa[i]}) must match the size of tensor b ({sb[i]}) at "
                f"non-singleton dimension {i}"
            )
    return RuntimeError("shapes cannot be broadcast")


def _binary(op, a, b, name=None, reverse=False):
    """``a op b`` (or ``b op a`` when ``reverse``) for a Tensor ``a``."""
    b = _operand(b, a)
    if b is NotImplemented:
        return NotImplemented
    ad, bd = _binary_arrays(a, b)
    if op == "divide" and ad.dtype.kind not in "fc" and (type(b) is Tensor or _scalar_cat(b) < 2):
        ad = ad.astype(DEFAULT[0]._np)
        if type(bd) is _ndarray:
            bd = bd.astype(DEFAULT[0]._np)
    x, y = (bd, ad) if reverse else (ad, bd)
    try:
        if op in _WARNS:
            with np.errstate(all="ignore"):
                res = _BINARY_NP[op](x, y)
        else:
            res = _BINARY_NP[op](x, y)
    except ValueError:
        raise _broadcast_error(np.asarray(x), np.asarray(y)) from None
    out = _wrap(res)
    if _Mode.enabled and (a._requires_grad or (type(b) is Tensor and b._requires_grad)):
        ops = (b, a) if reverse else (a, b)
        _record(out, name or _TORCH_NAMES[op], _KEYS[op], ops, saves=op not in _NO_SAVE)
    return out


def _norm_dim(dim, ndim):
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    for d in dims:
        if not (lo <= d <= hi):
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {d})")
    if ndim == 0:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(d % ndim for d in dim)
    return dim % ndim


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = tuple(shape[0])
    return tuple(_pyint(s) for s in shape)


def _infer_shape(shape, numel):
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _make_view(out, base):
    """``out`` shares memory with ``base``: share its version counter and remember the base."""
    out._ver = _box(base)
    out._base = base if base._base is None else base._base


def _index_parts(index):
    """The index with Tensors replaced by arrays, and whether it uses advanced indexing."""
    parts = index if type(index) is tuple else (index,)
    out = []
    adv = False
    for p in parts:
        if type(p) is Tensor:
            p = p._data
        if isinstance(p, (list, np.ndarray)):
            p = np.asarray(p)
            if p.dtype == np.float64 and p.size == 0:
                p = p.astype(np.int64)
            adv = True
        elif isinstance(p, np.generic):
            p = p.item()
        out.append(p)
    return (tuple(out) if type(index) is tuple else out[0]), adv, out


def _hashable_index(idx):
    try:
        hash(idx)
        return idx
    except TypeError:
        return None


def _getitem_name(parts, adv):
    if adv:
        return "IndexBackward0"
    for p in reversed(parts):
        if p is Ellipsis:
            continue
        if p is None:
            return "UnsqueezeBackward0"
        if isinstance(p, slice):
            return "SliceBackward0"
        return "SelectBackward0"
    return "AliasBackward0"


class _IndexKey:
    """A hashable stand-in for an index holding arrays (compared by identity)."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


# ---------------------------------------------------------------------------------------------
# the Tensor


class Tensor:
    """An n-dimensional array with PyTorch's autograd: ``requires_grad``, ``grad``, ``grad_fn``,
    ``backward``.  Values live in a numpy array (``.numpy()`` shares it)."""

    __array_priority__ = 1000

    # defaults; instances only store what differs
    _requires_grad = False
    _grad = None
    _grad_fn = None
    _output_nr = 0
    _ver = None
    _base = None
    _accum = None
    _retains_grad = False
    _view_index = None

    def __init__(self, *args, dtype=None, requires_grad=False):
        # torch.Tensor(data) / torch.Tensor(2, 3): float32 by default
        if len(args) == 1 and not isinstance(args[0], (_pyint, np.integer)):
            src = args[0]
            arr = np.array(src._data if type(src) is Tensor else src, dtype=DEFAULT[0]._np)
        else:
            arr = np.zeros(_shape_arg(args), dtype=DEFAULT[0]._np)
        self._data = arr
        if requires_grad:
            self.requires_grad_(True)

    # -- autograd state ------------------------------------------------------------------------

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad=True):
        if self._grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(RG_LEAF_MSG)
            return self
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = _pybool(requires_grad)
        return self

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains_grad and self._grad is None:
            warnings.warn(NONLEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if type(value) is not Tensor:
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of "
                    f"size '{list(self.shape)}'. Please ensure that the gradient and the tensor are "
                    "the same size"
                )
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    def retain_grad(self):
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:
            return
        fn = self._grad_fn
        retain = getattr(fn, "_retain", None)
        if retain is None:
            retain = fn._retain = {}
        retain[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    def _grad_accumulator(self):
        acc = self._accum
        if acc is None:
            acc = self._accum = AccumulateGrad(self)
        return acc

    def detach(self):
        out = _wrap(self._data)
        out._ver = _box(self)
        return out

    def detach_(self):
        if self._base is not None and self._view_index is not None and self._base._requires_grad:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as "
                "True, gradients are views of DDP buckets, and hence detach_() cannot be called on "
                "these gradients. To fix this error, please refer to the Optimizer.zero_grad() "
                "function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        out = _wrap(self._data)
        return out

    @data.setter
    def data(self, value):
        self._data = value._data if type(value) is Tensor else np.asarray(value)

    # -- backward ------------------------------------------------------------------------------

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) (weighted by ``gradient``) into every leaf's ``.grad``."""
        backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        raise NotImplementedError("Tensor.register_hook is not supported by symgrad")

    # -- basic info ----------------------------------------------------------------------------

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        d = _norm_dim(dim, self._data.ndim)
        return self._data.shape[d] if d is not None else 1

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    @property
    def dtype(self):
        return NP2DT[self._data.dtype]

    @property
    def device(self):
        return _CPU

    @property
    def is_cuda(self):
        return False

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_contiguous(self):
        return self._data.flags.c_contiguous

    def contiguous(self):
        if self._data.flags.c_contiguous:
            return self
        return self.clone()

    def element_size(self):
        return self._data.itemsize

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __hash__(self):
        return id(self)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, *, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if _Mode.strict and self._requires_grad:
            raise RuntimeError(
                "symgrad: a derivative rule converted a Tensor that requires grad to a numpy "
                "array, so its backward cannot be differentiated again (create_graph=True); "
                "the rule must use numpy functions and operators only"
            )
        if dtype is not None:
            return self._data.astype(dtype, copy=False)
        return self._data

    def __float__(self):
        return _pyfloat(self.item())

    def __int__(self):
        return _pyint(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return _pyint(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return _pybool(self._data.reshape(()).item())

    def __repr__(self, *, tensor_contents=None):
        from symgrad.runtime.printing import format_tensor

        suffixes = []
        fn = self._grad_fn
        if fn is not None:
            suffixes.append(f"grad_fn=<{type(fn).__name__}>")
        elif self._requires_grad:
            suffixes.append("requires_grad=True")
        return format_tensor(
            self._data,
            dtype_name=self._data.dtype.name,
            default_dtype_name=DEFAULT[0]._name,
            suffixes=suffixes,
        )

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    # -- conversions ---------------------------------------------------------------------------

    def to(self, *args, dtype=None, **kwargs):
        for a in args:
            if type(a) is _dt.dtype:
                dtype = a
            elif type(a) is Tensor:
                dtype = a.dtype
        if dtype is None or NP2DT[self._data.dtype] is dtype:
            return self
        return self._cast(dtype)

    def type(self, dtype=None):
        if dtype is None:
            return "torch." + {
                "float32": "FloatTensor",
                "float64": "DoubleTensor",
                "int64": "LongTensor",
                "int32": "IntTensor",
                "bool": "BoolTensor",
            }.get(self._data.dtype.name, "Tensor")
        return self.to(dtype)

    def _cast(self, d):
        npd = _dt.to_np(d)
        if npd == self._data.dtype:
            return self
        out = _wrap(self._data.astype(npd))
        if self._requires_grad and _Mode.enabled and npd.kind in "fc":
            _record(out, "ToCopyBackward0", ("reshape", (("shape", self._data.shape),)), (self,), saves=False)
        return out

    def float(self):
        return self._cast(_dt.float32)

    def double(self):
        return self._cast(_dt.float64)

    def long(self):
        return self._cast(_dt.int64)

    def int(self):
        return self._cast(_dt.int32)

    def bool(self):
        return self._cast(_dt.bool)

    def half(self):
        return self._cast(_dt.float16)

    def cpu(self):
        return self

    def clone(self):
        out = _wrap(self._data.copy())
        if self._requires_grad and _Mode.enabled:
            _record(out, "CloneBackward0", ("reshape", (("shape", self._data.shape),)), (self,), saves=False)
        return out

    # -- arithmetic ----------------------------------------------------------------------------

    def __add__(self, other):
        return _binary("add", self, other)

    def __radd__(self, other):
        return _binary("add", self, other, reverse=True)

    def __sub__(self, other):
        return _binary("subtract", self, other)

    def __rsub__(self, other):
        return _binary("subtract", self, other, name="RsubBackward1", reverse=True)

    def __mul__(self, other):
        return _binary("multiply", self, other)

    def __rmul__(self, other):
        return _binary("multiply", self, other, reverse=True)

    def __truediv__(self, other):
        return _binary("divide", self, other)

    def __rtruediv__(self, other):
        # torch computes ``s / x`` as ``x.reciprocal() * s``: two nodes
        if type(other) is Tensor:
            return _binary("divide", other, self)
        return _binary("multiply", self.reciprocal(), other, reverse=True)

    def __pow__(self, other):
        if type(other) is Tensor:
            return _binary("power", self, other, name="PowBackward1")
        return _binary("power", self, other)

    def __rpow__(self, other):
        return _binary("power", self, other, name="PowBackward2", reverse=True)

    def __neg__(self):
        return _unary("negative", self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _unary("abs", self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(tensor(other) if type(other) is not Tensor else other, self)

    def __floordiv__(self, other):
        return _nograd_binary(np.floor_divide, self, other)

    def __mod__(self, other):
        return _nograd_binary(np.remainder, self, other)

    # comparisons: results never require grad
    def __eq__(self, other):
        return _nograd_binary(np.equal, self, other)

    def __ne__(self, other):
        return _nograd_binary(np.not_equal, self, other)

    def __lt__(self, other):
        return _nograd_binary(np.less, self, other)

    def __le__(self, other):
        return _nograd_binary(np.less_equal, self, other)

    def __gt__(self, other):
        return _nograd_binary(np.greater, self, other)

    def __ge__(self, other):
        return _nograd_binary(np.greater_equal, self, other)

    def __and__(self, other):
        return _nograd_binary(np.bitwise_and, self, other)

    def __or__(self, other):
        return _nograd_binary(np.bitwise_or, self, other)

    def __xor__(self, other):
        return _nograd_binary(np.bitwise_xor, self, other)

    def __invert__(self):
        return _wrap(np.invert(self._data))

    # in-place arithmetic (x += 1 records like x.add_(1))
    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # -- named elementwise methods ------------------------------------------------------------

    def add(self, other, *, alpha=1):
        return _binary("add", self, other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return _binary("subtract", self, other if alpha == 1 else other * alpha)

    subtract = sub

    def mul(self, other):
        return _binary("multiply", self, other)

    multiply = mul

    def div(self, other):
        return self.__truediv__(other)

    divide = true_divide = div

    def pow(self, exponent):
        return self.__pow__(exponent)

    def neg(self):
        return _unary("negative", self)

    negative = neg

    def exp(self):
        return _unary("exp", self)

    def log(self):
        return _unary("log", self)

    def log1p(self):
        return _unary("log1p", self)

    def expm1(self):
        return _unary("expm1", self)

    def sqrt(self):
        return _unary("sqrt", self)

    def rsqrt(self):
        return _unary("reciprocal", _unary("sqrt", self))

    def sin(self):
        return _unary("sin", self)

    def cos(self):
        return _unary("cos", self)

    def tan(self):
        return _unary("tan", self)

    def asin(self):
        return _unary("arcsin", self)

    def acos(self):
        return _unary("arccos", self)

    def atan(self):
        return _unary("arctan", self)

    arcsin, arccos, arctan = asin, acos, atan

    def sinh(self):
        return _unary("sinh", self)

    def cosh(self):
        return _unary("cosh", self)

    def tanh(self):
        return _unary("tanh", self)

    def sigmoid(self):
        return _unary("sigmoid", self)

    def relu(self):
        return _unary("relu", self)

    def abs(self):
        return _unary("abs", self)

    absolute = abs

    def sign(self):
        return _unary("sign", self)

    def square(self):
        return _unary("square", self)

    def reciprocal(self):
        return _unary("reciprocal", self)

    def maximum(self, other):
        return _binary("maximum", self, other)

    def minimum(self, other):
        return _binary("minimum", self, other)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        d = self._data
        lo = -np.inf if min is None else (min._data if type(min) is Tensor else min)
        hi = np.inf if max is None else (max._data if type(max) is Tensor else max)
        out = _wrap(np.minimum(np.maximum(d, lo) if min is not None else d, hi) if max is not None else np.maximum(d, lo))
        if self._requires_grad and _Mode.enabled:
            _record(out, "ClampBackward1", _KEYS["clip"], (self, lo, hi))
        return out

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    # -- reductions ----------------------------------------------------------------------------

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        d = self._data
        if dtype is not None:
            d = d.astype(_dt.to_np(dtype))
        elif d.dtype.kind in "biu":
            d = d.astype(np.int64)
        if dim is None:
            out = _wrap(np.asarray(np.sum(d)))
            if self._requires_grad and _Mode.enabled:
                _record(out, "SumBackward0", ("sum", (("axis", None), ("keepdims", False))), (self,), saves=False)
            return out
        axis = _norm_dim(dim, d.ndim)
        out = _wrap(np.sum(d, axis=axis, keepdims=keepdim))
        if self._requires_grad and _Mode.enabled:
            _record(out, "SumBackward1", ("sum", (("axis", axis), ("keepdims", _pybool(keepdim)))), (self,), saves=False)
        return out

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        d = self._data
        if dtype is not None:
            d = d.astype(_dt.to_np(dtype))
        if d.dtype.kind not in "fc":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating point "
                f"or complex dtype. Got: {_TYPE_SHORT.get(d.dtype.name, d.dtype.name)}"
            )
        if dim is None:
            out = _wrap(np.asarray(np.add.reduce(d, axis=None) / d.size if d.size else np.mean(d)))
            if self._requires_grad and _Mode.enabled:
                _record(out, "MeanBackward0", ("mean", (("axis", None), ("keepdims", False))), (self,), saves=False)
            return out
        axis = _norm_dim(dim, d.ndim)
        out = _wrap(np.mean(d, axis=axis, keepdims=keepdim))
        if self._requires_grad and _Mode.enabled:
            _record(out, "MeanBackward1", ("mean", (("axis", axis), ("keepdims", _pybool(keepdim)))), (self,), saves=False)
        return out

    def prod(self, dim=None, keepdim=False):
        axis = None if dim is None else _norm_dim(dim, self._data.ndim)
        out = _wrap(np.asarray(np.prod(self._data, axis=axis, keepdims=keepdim and dim is not None)))
        if self._requires_grad and _Mode.enabled:
            _record(out, "ProdBackward0" if dim is None else "ProdBackward1",
                    ("prod", (("axis", axis), ("keepdims", _pybool(keepdim and dim is not None)))), (self,))
        return out

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return self._moment("var", "VarBackward0", dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return self._moment("std", "StdBackward0", dim, unbiased, keepdim, correction)

    def _moment(self, op, name, dim, unbiased, keepdim, correction):
        if isinstance(dim, _pybool):
            dim, unbiased = None, dim
        ddof = correction if correction is not None else (0 if unbiased is False else 1)
        axis = None if dim is None else _norm_dim(dim, self._data.ndim)
        kd = _pybool(keepdim and dim is not None)
        with np.errstate(all="ignore"):
            out = _wrap(np.asarray(getattr(np, op)(self._data, axis=axis, keepdims=kd, ddof=ddof)))
        if self._requires_grad and _Mode.enabled:
            _record(out, name, (op, (("axis", axis), ("keepdims", kd), ("ddof", ddof))), (self,))
        return out

    def _extremum(self, op, dim, keepdim, other_name):
        if dim is None:
            if self._data.size == 0:
                raise RuntimeError(
                    f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                    "Specify the reduction dim with the 'dim' argument."
                )
            out = _wrap(np.asarray(getattr(np, op)(self._data)))
            if self._requires_grad and _Mode.enabled:
                _record(out, f"{op.capitalize()}Backward1", (op, (("axis", None), ("keepdims", False))), (self,))
            return out
        if type(dim) is Tensor:
            return _binary(other_name, self, dim)
        axis = _norm_dim(dim, self._data.ndim)
        arg = np.argmax if op == "max" else np.argmin
        idx = _wrap(np.asarray(arg(self._data, axis=axis, keepdims=keepdim)).astype(np.int64))
        out = _wrap(np.asarray(getattr(np, op)(self._data, axis=axis, keepdims=keepdim)))
        if self._requires_grad and _Mode.enabled:
            _record(out, f"{op.capitalize()}Backward0", (op, (("axis", axis), ("keepdims", _pybool(keepdim)))), (self,))
        return _ReturnTypes(op, out, idx)

    def max(self, dim=None, keepdim=False):
        return self._extremum("max", dim, keepdim, "maximum")

    def min(self, dim=None, keepdim=False):
        return self._extremum("min", dim, keepdim, "minimum")

    def argmax(self, dim=None, keepdim=False):
        if dim is None:
            return _wrap(np.asarray(np.argmax(self._data), dtype=np.int64))
        return _wrap(np.asarray(np.argmax(self._data, axis=_norm_dim(dim, self.ndim), keepdims=keepdim), dtype=np.int64))

    def argmin(self, dim=None, keepdim=False):
        if dim is None:
            return _wrap(np.asarray(np.argmin(self._data), dtype=np.int64))
        return _wrap(np.asarray(np.argmin(self._data, axis=_norm_dim(dim, self.ndim), keepdims=keepdim), dtype=np.int64))

    # -- linear algebra ------------------------------------------------------------------------

    def matmul(self, other):
        return matmul(self, other)

    def mm(self, other):
        if self._data.ndim != 2:
            raise RuntimeError("self must be a matrix")
        if other._data.ndim != 2:
            raise RuntimeError("mat2 must be a matrix")
        return matmul(self, other)

    def mv(self, vec):
        return matmul(self, vec)

    def dot(self, other):
        if self._data.ndim != 1 or other._data.ndim != 1:
            raise RuntimeError(
                f"1D tensors expected, but got {self._data.ndim}D and {other._data.ndim}D tensors"
            )
        return matmul(self, other)

    # -- shape ---------------------------------------------------------------------------------

    def view(self, *shape):
        if len(shape) == 1 and type(shape[0]) is _dt.dtype:
            raise NotImplementedError("view(dtype) is not supported by symgrad")
        d = self._data
        shape = _infer_shape(_shape_arg(shape), d.size)
        if not d.flags.c_contiguous and shape != d.shape:
            try:
                arr = d.view()
                arr.shape = shape
            except AttributeError:
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least one "
                    "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
                ) from None
        else:
            arr = d.reshape(shape)
        out = _wrap(arr)
        _make_view(out, self)
        if self._requires_grad and _Mode.enabled:
            _record(out, "ViewBackward0", ("reshape", (("shape", shape),)), (self,), saves=False)
        return out

    def reshape(self, *shape):
        d = self._data
        shape = _infer_shape(_shape_arg(shape), d.size)
        if d.flags.c_contiguous:
            return self.view(shape)
        out = _wrap(np.reshape(d, shape))
        if self._requires_grad and _Mode.enabled:
            _record(out, "UnsafeViewBackward0", ("reshape", (("shape", shape),)), (self,), saves=False)
        return out

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        nd = self._data.ndim
        if nd == 0:
            return self.reshape(1)
        s = _norm_dim(start_dim, nd)
        e = _norm_dim(end_dim, nd)
        shp = self._data.shape
        if s == e:
            return self
        mid = 1
        for v in shp[s : e + 1]:
            mid *= v
        return self.reshape(shp[:s] + (mid,) + shp[e + 1 :])

    def _transpose(self, axes, name):
        out = _wrap(np.transpose(self._data, axes))
        _make_view(out, self)
        if self._requires_grad and _Mode.enabled:
            _record(out, name, ("transpose", (("axes", axes),)), (self,), saves=False)
        return out

    def t(self):
        nd = self._data.ndim
        if nd > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {nd}D")
        return self._transpose(tuple(range(nd))[::-1], "TBackward0")

    @property
    def T(self):
        nd = self._data.ndim
        return self._transpose(tuple(range(nd))[::-1], "PermuteBackward0")

    @property
    def mT(self):
        nd = self._data.ndim
        axes = tuple(range(nd - 2)) + (nd - 1, nd - 2)
        return self._transpose(axes, "TransposeBackward0")

    def transpose(self, dim0, dim1):
        nd = self._data.ndim
        a = _norm_dim(dim0, nd)
        b = _norm_dim(dim1, nd)
        if nd == 0:
            return self
        axes = list(range(nd))
        axes[a], axes[b] = axes[b], axes[a]
        return self._transpose(tuple(axes), "TransposeBackward0")

    swapaxes = transpose

    def permute(self, *dims):
        dims = _shape_arg(dims)
        nd = self._data.ndim
        if len(dims) != nd:
            raise RuntimeError(
                "permute(sparse_coo): number of dimensions in the tensor input does not match the "
                f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
                f"to len(dims) = {len(dims)}"
            )
        return self._transpose(tuple(d % nd for d in dims), "PermuteBackward0")

    def unsqueeze(self, dim):
        nd = self._data.ndim + 1
        axis = _norm_dim(dim, nd)
        out = _wrap(np.expand_dims(self._data, axis))
        _make_view(out, self)
        if self._requires_grad and _Mode.enabled:
            _record(out, "UnsqueezeBackward0", ("expand_dims", (("axis", axis),)), (self,), saves=False)
        return out

    def squeeze(self, dim=None):
        d = self._data
        if dim is None:
            axis = tuple(i for i, s in enumerate(d.shape) if s == 1)
            name = "SqueezeBackward0"
        else:
            axis = _norm_dim(dim, d.ndim)
            if axis is None:
                return self.view(self.shape)
            axes = axis if type(axis) is tuple else (axis,)
            axis = tuple(a for a in axes if d.shape[a] == 1)
            name = "SqueezeBackward1" if not isinstance(dim, (tuple, list)) else "SqueezeBackward2"
        out = _wrap(np.squeeze(d, axis))
        _make_view(out, self)
        if self._requires_grad and _Mode.enabled:
            _record(out, name, ("squeeze", (("axis", axis),)), (self,), saves=False)
        return out

    def expand(self, *sizes):
        sizes = _shape_arg(sizes)
        d = self._data
        lead = len(sizes) - d.ndim
        shape = tuple(d.shape[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes))
        zeros = np.broadcast_to(np.zeros((), d.dtype), shape)
        try:
            arr = np.broadcast_to(d, shape)
        except ValueError:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[-1]}) must match the existing size "
                f"({d.shape[-1]}) at non-singleton dimension {len(shape) - 1}.  Target sizes: "
                f"{list(sizes)}.  Tensor sizes: {list(d.shape)}"
            ) from None
        out = _wrap(arr)
        _make_view(out, self)
        if self._requires_grad and _Mode.enabled:
            # an expand is ``x + zeros(shape)``: the add rule, its gradient summed back to x's shape
            _record(out, "ExpandBackward0", _KEYS["add"], (self, zeros), saves=False)
        return out

    def expand_as(self, other):
        return self.expand(other.shape)

    # -- indexing ------------------------------------------------------------------------------

    def __getitem__(self, index):
        idx, adv, parts = _index_parts(index)
        try:
            arr = self._data[idx]
        except IndexError as e:
            raise IndexError(_index_error(e, parts, self._data.shape)) from None
        out = _wrap(arr)
        if not adv:
            _make_view(out, self)
            out._view_index = idx
        if self._requires_grad and _Mode.enabled:
            h = _hashable_index(idx)
            key = ("getitem", (("index", h if h is not None else _IndexKey(idx)),))
            vjp = None
            if h is None:
                vjp = _eager_vjp()("getitem", index=idx)
            _record(out, _getitem_name(parts, adv), key, (self,), saves=adv, vjp=vjp)
        return out

    def _scatter(self, shape, index):
        """zeros(shape) with self added at ``index``: the gradient of a getitem, as a Tensor
        whose own gradient (for create_graph) is the getitem again."""
        from symgrad.helpers import _getitem_grad

        out = _wrap(_getitem_grad(self._data, np.zeros(shape, self._data.dtype), index))
        return _record(out, "IndexBackwardBackward0", None, (self,), saves=False,
                       vjp=lambda gg, g, out: (gg[index],))

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
        new = compute(self)
        base[vidx] = new
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
        res = result_fn(self)
        if res is NotImplemented:
            raise TypeError("unsupported operand type")
        node = res._grad_fn
        if node is not None and node._saves:
            # the node keeps the pre-update value of self where it saved self
            arrays, out = node._saved
            if any(a is self._data for a in arrays):
                arrays = tuple(a.copy() if a is self._data else a for a in arrays)
            mybox = self._ver
            node._saved = (arrays, out)
            node._vers = tuple(v for v in node._vers if v[0] is not mybox)
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
        # the gradient of zero_ is zero: ``x * 0`` under the multiply rule
        return self._inplace(lambda s: _named(_binary("multiply", s, 0), "ZeroBackward0"))

    def fill_(self, value):
        return self._inplace(
            lambda s: _named(_binary("add", _binary("multiply", s, 0), value), "FillBackward0")
        )

    def copy_(self, src):
        return self._inplace(lambda s: _binary("add", _binary("multiply", s, 0), src))

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

    # -- numpy protocol (so generated vjp code runs on Tensors for create_graph) --------------

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        impl = _ARRAY_FUNCTIONS.get(func)
        if impl is None:
            if any(type(a) is Tensor and a._requires_grad for a in _flat(args)):
                raise TypeError(f"symgrad.Tensor does not support numpy.{func.__name__} with autograd")
            conv = _unwrap_tree(args)
            kw = _unwrap_tree(kwargs)
            r = func(*conv, **kw)
            return _wrap(r) if isinstance(r, (np.ndarray, np.generic)) else r
        return impl(*args, **kwargs)


_TYPE_SHORT = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "bool": "Bool",
               "float16": "Half", "int16": "Short", "int8": "Char", "uint8": "Byte"}


class _Device:
    type = "cpu"
    index = None

    def __repr__(self):
        return "device(type='cpu')"

    def __eq__(self, other):
        return isinstance(other, _Device) or other == "cpu"

    def __hash__(self):
        return hash("cpu")


_CPU = _Device()


def device(spec="cpu"):
    if str(spec) != "cpu":
        raise RuntimeError("symgrad tensors live on the CPU only")
    return _CPU


class _ReturnTypes(tuple):
    """``torch.return_types.max(values=..., indices=...)``."""

    def __new__(cls, name, values, indices):
        self = super().__new__(cls, (values, indices))
        self._name = name
        return self

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


def _named(t, name):
    """Rename the node that made ``t`` (same rule, PyTorch's name for the op as a whole)."""
    fn = t._grad_fn
    if fn is not None:
        new = _new_obj(node_class(name))
        for s in ("next_functions", "_key", "_vjp", "_saved", "_tensors", "_vers", "_meta", "_saves"):
            setattr(new, s, getattr(fn, s))
        t._grad_fn = new
    return t


def _check_inplace(t, setitem=False):
    if _Mode.enabled:
        if t._grad_fn is None and t._requires_grad:
            # ``x[i] = v`` is ``x[i].copy_(v)`` in PyTorch: a view of the leaf is written
            raise RuntimeError(VIEW_LEAF_INPLACE_MSG if setitem else LEAF_INPLACE_MSG)
        b = t._base
        if b is not None and b._grad_fn is None and b._requires_grad:
            raise RuntimeError(VIEW_LEAF_INPLACE_MSG)


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


def _setitem_value(view, idx, value):
    """The new value of a whole view after ``view[idx] = value`` (out of place)."""
    c = view.clone()
    c[idx] = value
    return c


def _record_copy_slices(t, old, idx, vt):
    """``t[idx] = vt`` happened in place: make t's grad_fn a CopySlices node.

    Gradient for the old t: g with the written region zeroed; for the value: g[idx] summed
    to the value's shape.  Both are the rule table's ``getitem`` (g[idx]) and its vjp.
    """
    shape = t._data.shape
    dt = t._data.dtype
    h = _hashable_index(idx)
    key = ("getitem", (("index", h if h is not None else _IndexKey(idx)),))

    def vjp(g, a, v, out):
        region = _resolve_vjp(key)(g[idx], a, g[idx]) if h is not None else _eager_vjp()("getitem", index=idx)(g[idx], a, g[idx])
        (scattered,) = region
        ga = g - scattered
        gv = None if v is None else g[idx]
        return (ga, gv)

    operands = (old, vt if vt is not None else np.zeros((), dt))
    tmp = _wrap(t._data)
    _record(tmp, "CopySlices", None, operands, saves=False, vjp=vjp)
    node = tmp._grad_fn
    if node is not None:
        # the value's gradient is g[idx], broadcast to idx's region: reduce to the value's shape
        if vt is None:
            node._meta = (node._meta[0], None)
        t._grad_fn = node
        t._requires_grad = True
        t._output_nr = 0
    del shape


def _nograd_binary(fn, a, b):
    b = _operand(b, a)
    if b is NotImplemented:
        return NotImplemented
    ad, bd = _binary_arrays(a, b)
    return _wrap(fn(ad, bd))


def _index_error(e, parts, shape):
    msg = str(e)
    import re

    m = re.match(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", msg)
    if m:
        return f"index {m.group(1)} is out of bounds for dimension {m.group(2)} with size {m.group(3)}"
    if "too many indices" in msg:
        return f"too many indices for tensor of dimension {len(shape)}"
    return msg


# ---------------------------------------------------------------------------------------------
# functions on tensors


def matmul(a, b):
    """Matrix product with PyTorch's node names (MmBackward0, MvBackward0, DotBackward0, ...)."""
    if type(a) is not Tensor:
        a = tensor(a)
    if type(b) is not Tensor:
        b = tensor(b)
    ad, bd = a._data, b._data
    if ad.ndim == 0 or bd.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {ad.ndim}D and {bd.ndim}D"
        )
    if ad.dtype != bd.dtype:
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{ad.dtype.name if False else _long_name(ad.dtype)} != {_long_name(bd.dtype)}"
        )
    try:
        res = np.matmul(ad, bd)
    except ValueError:
        if ad.ndim <= 2 and bd.ndim <= 2:
            if ad.ndim == 1 and bd.ndim == 1:
                n, m = ad.shape[0], bd.shape[0]
                raise RuntimeError(
                    f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
                    f"number of elements, but got {n} and {m} elements respectively"
                ) from None
            if bd.ndim == 1:
                raise RuntimeError(
                    f"size mismatch, got input ({ad.shape[0]}), mat ({ad.shape[0]}x{ad.shape[1]}), "
                    f"vec ({bd.shape[0]})"
                ) from None
            sa = ad.shape if ad.ndim == 2 else (1, ad.shape[0])
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and {bd.shape[0]}x{bd.shape[1]})"
            ) from None
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"{list(bd.shape)} but got: {list(ad.shape)}.") from None
    out = _wrap(res)
    if _Mode.enabled and (a._requires_grad or b._requires_grad):
        na, nb = ad.ndim, bd.ndim
        if na == 2 and nb == 2:
            name = "MmBackward0"
        elif na == 2 and nb == 1:
            name = "MvBackward0"
        elif na == 1 and nb == 1:
            name = "DotBackward0"
        elif na == 1 and nb == 2:
            name = "SqueezeBackward4"
        elif nb == 1 or na == 1:
            name = "ViewBackward0"
        else:
            name = "UnsafeViewBackward0" if na != nb or na > 3 else "BmmBackward0"
        _record(out, name, _KEYS["matmul"], (a, b))
    return out


def _long_name(npd):
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int"}.get(npd.name, npd.name)


def mm(a, b):
    return a.mm(b)


def where(condition, input=None, other=None):
    """``torch.where(cond, x, y)``; ``torch.where(cond)`` gives the indices (a tuple)."""
    if input is None and other is None:
        c = condition._data if type(condition) is Tensor else np.asarray(condition)
        return tuple(_wrap(i.astype(np.int64)) for i in np.nonzero(c))
    c = condition._data if type(condition) is Tensor else np.asarray(condition)
    if c.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {_TYPE_SHORT.get(c.dtype.name, c.dtype.name)}")
    x = input if type(input) is Tensor else None
    y = other if type(other) is Tensor else None
    if x is not None and y is not None:
        xd, yd = _binary_arrays(x, y)
    elif x is not None:
        xd, yd = _binary_arrays(x, other)
    elif y is not None:
        yd, xd = _binary_arrays(y, input)
    else:
        xd, yd = input, other
    out = _wrap(np.where(c, xd, yd))
    if _wants_grad(input, other):
        _record(out, "WhereBackward0", _KEYS["where"], (c, input if x is not None else xd, other if y is not None else yd))
    return out


def _cat_like(op, name, tensors, dim, torch_name):
    tensors = [t if type(t) is Tensor else tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError(f"{torch_name}(): expected a non-empty list of Tensors")
    arrays = [t._data for t in tensors]
    nd = arrays[0].ndim + (1 if op == "stack" else 0)
    axis = _norm_dim(dim, nd)
    rd = arrays[0].dtype
    for a in arrays[1:]:
        rd = _promote2(rd, a.dtype, True, True)
    arrays = [a.astype(rd, copy=False) for a in arrays]
    try:
        res = np.concatenate(arrays, axis=axis) if op == "concatenate" else np.stack(arrays, axis=axis)
    except ValueError as e:
        raise RuntimeError(f"{torch_name}(): {e}") from None
    out = _wrap(res)
    if _wants_grad(*tensors):
        _record(out, name, (op, (("axis", axis),)), tuple(tensors), saves=False)
    return out


def cat(tensors, dim=0):
    return _cat_like("concatenate", "CatBackward0", tensors, dim, "torch.cat")


concat = concatenate = cat


def stack(tensors, dim=0):
    return _cat_like("stack", "StackBackward0", tensors, dim, "stack")


# ---------------------------------------------------------------------------------------------
# creation


class _LazyRng:
    """numpy's default generator, made on first use (importing numpy.random is not free)."""

    def __getitem__(self, i):
        g = self.__dict__.get("g")
        if g is None:
            g = self.g = np.random.default_rng()
        return g

    def __setitem__(self, i, value):
        self.g = value


_RNG = _LazyRng()


def manual_seed(seed):
    """Seed symgrad's random generator (numpy's PCG64, so values differ from PyTorch's)."""
    _RNG[0] = np.random.default_rng(_pyint(seed))
    return _Generator(seed)


class _Generator:
    def __init__(self, seed):
        self._seed = seed

    def initial_seed(self):
        return self._seed


def seed():
    s = _pyint(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def _leafify(t, requires_grad, factory=True):
    if requires_grad:
        if t._data.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def _flatten_tensors(data):
    if type(data) is Tensor:
        return data._data
    if isinstance(data, (list, tuple)):
        return [_flatten_tensors(d) for d in data]
    return data


def _has_float(data):
    if isinstance(data, (list, tuple)):
        return any(_has_float(d) for d in data)
    return isinstance(data, _pyfloat)


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new leaf tensor holding a copy of ``data`` (nested lists, scalars, arrays, tensors)."""
    if type(data) is Tensor:
        arr = np.array(data._data, dtype=None if dtype is None else _dt.to_np(dtype), copy=True)
    else:
        if isinstance(data, (list, tuple)):
            data = _flatten_tensors(data)
        if dtype is not None:
            arr = np.array(data, dtype=_dt.to_np(dtype))
        else:
            arr = np.array(data)
            k = arr.dtype.kind
            if k == "f" and not isinstance(data, (np.ndarray, np.generic)):
                arr = arr.astype(DEFAULT[0]._np, copy=False)
            elif k == "O" or k in "US":
                raise TypeError(f"Could not infer dtype of {type(data).__name__}")
            elif k == "i" and arr.dtype != np.int64 and not isinstance(data, (np.ndarray, np.generic)):
                arr = arr.astype(np.int64)
            elif k == "f" and isinstance(data, np.generic) is False and arr.size == 0:
                arr = arr.astype(DEFAULT[0]._np)
    return _leafify(_wrap(arr), requires_grad)


as_tensor = tensor


def from_numpy(ndarray):
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype not in NP2DT:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{ndarray.dtype.name}. The only supported types "
            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool."
        )
    return _wrap(ndarray)


def _factory_dtype(dtype):
    return DEFAULT[0]._np if dtype is None else _dt.to_np(dtype)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _leafify(_wrap(np.ones(_shape_arg(size), _factory_dtype(dtype))), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    return _leafify(_wrap(np.zeros(_shape_arg(size), _factory_dtype(dtype))), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _leafify(_wrap(np.empty(_shape_arg(size), _factory_dtype(dtype))), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = (_dt.bool if isinstance(fill_value, _pybool) else _dt.int64 if isinstance(fill_value, _pyint)
                 else DEFAULT[0])
    return _leafify(_wrap(np.full(_shape_arg((size,)), fill_value, _dt.to_np(dtype))), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    return _leafify(_wrap(np.eye(n, m, dtype=_factory_dtype(dtype))), requires_grad)


def _like(fn, t, dtype, requires_grad, *extra):
    npd = t._data.dtype if dtype is None else _dt.to_np(dtype)
    return _leafify(_wrap(fn(t._data.shape, *extra, dtype=npd)), requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False):
    return _like(np.ones, input, dtype, requires_grad)


def zeros_like(input, dtype=None, device=None, requires_grad=False):
    return _like(np.zeros, input, dtype, requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False):
    return _like(np.empty, input, dtype, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False):
    npd = input._data.dtype if dtype is None else _dt.to_np(dtype)
    return _leafify(_wrap(np.full(input._data.shape, fill_value, dtype=npd)), requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    npd = _factory_dtype(dtype)
    return _leafify(_wrap(_RNG[0].standard_normal(_shape_arg(size)).astype(npd)), requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    npd = _factory_dtype(dtype)
    return _leafify(_wrap(_RNG[0].random(_shape_arg(size)).astype(npd)), requires_grad)


def randn_like(input, dtype=None, requires_grad=False):
    return randn(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def rand_like(input, dtype=None, requires_grad=False):
    return rand(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad)


def randint(low, high=None, size=None, dtype=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    npd = np.int64 if dtype is None else _dt.to_np(dtype)
    return _leafify(_wrap(_RNG[0].integers(low, high, _shape_arg((size,))).astype(npd)), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if type(v) is Tensor else v for v in (start, end, step)]
    if dtype is None:
        npd = DEFAULT[0]._np if any(isinstance(v, _pyfloat) for v in vals) else np.dtype(np.int64)
    else:
        npd = _dt.to_np(dtype)
    s, e, st = vals
    n = max(0, -(-(e - s) // st)) if not any(isinstance(v, _pyfloat) for v in vals) else max(0, int(np.ceil((e - s) / st)))
    arr = (s + np.arange(n, dtype=np.float64 if npd.kind == "f" else np.int64) * st).astype(npd)
    return _leafify(_wrap(arr), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    return _leafify(_wrap(np.linspace(start, end, steps).astype(_factory_dtype(dtype))), requires_grad)


def is_tensor(obj):
    return type(obj) is Tensor


def numel(t):
    return t.numel()


# ---------------------------------------------------------------------------------------------
# backward entry points


def _grad_seed(outputs, grad_tensors, create_graph):
    seeds = []
    for i, t in enumerate(outputs):
        g = None if grad_tensors is None else grad_tensors[i]
        if g is None:
            if not t._requires_grad:
                raise RuntimeError(NO_GRAD_MSG.format(i))
            if t._data.size != 1:
                raise RuntimeError(SCALAR_MSG)
            arr = np.ones(t._data.shape, t._data.dtype)
            seeds.append(_wrap(arr) if create_graph else arr)
            continue
        if type(g) is not Tensor:
            if isinstance(g, (numbers.Number, np.ndarray)):
                g = tensor(g)
            else:
                raise TypeError(
                    "gradients can be either Tensors or None, but got " + type(g).__name__
                )
        if g._data.shape != t._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {Size(g._data.shape)!r} and "
                f"output[{i}] has a shape of {Size(t._data.shape)!r}."
            )
        if not t._requires_grad:
            raise RuntimeError(NO_GRAD_MSG.format(i))
        if create_graph:
            seeds.append(g if g._data.dtype == t._data.dtype else g.to(t.dtype))
        else:
            gd = g._data
            seeds.append(gd if gd.dtype == t._data.dtype else gd.astype(t._data.dtype))
    return seeds


def _as_tuple(x):
    if x is None:
        return None
    if type(x) is Tensor:
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """``torch.autograd.backward``: accumulate gradients of ``tensors`` into the leaves."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    seeds = _grad_seed(tensors, grad_tensors, create_graph)
    if create_graph:
        warnings.warn(CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
    if inputs is not None:
        inputs = _as_tuple(inputs)
        capture = _capture_map(inputs)
        captured = run_backward(tensors, seeds, retain_graph, create_graph, capture=capture, accumulate=False)
        for i, t in enumerate(inputs):
            g = captured.get(i)
            if g is not None:
                from symgrad.runtime.engine import _accumulate

                _accumulate(t, g, create_graph, _to_grad_tensor)
        return
    run_backward(tensors, seeds, retain_graph, create_graph)


def _capture_map(inputs):
    capture: dict = {}
    for i, t in enumerate(inputs):
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        key = (t._grad_fn, t._output_nr) if t._grad_fn is not None else (t._grad_accumulator(), 0)
        capture.setdefault(key, []).append(i)
    return capture


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """``torch.autograd.grad``: the gradients of ``outputs`` with respect to ``inputs`` (a tuple),
    without touching any ``.grad``.  With ``create_graph=True`` the results are differentiable."""
    outputs = _as_tuple(outputs)
    single = type(inputs) is Tensor
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    for t in outputs:
        if not t._requires_grad:
            raise RuntimeError(NO_GRAD_MSG.format(outputs.index(t)))
    seeds = _grad_seed(outputs, grad_outputs, create_graph)
    capture = _capture_map(inputs)
    captured = run_backward(outputs, seeds, retain_graph, create_graph, capture=capture, accumulate=False)
    result = []
    for i, t in enumerate(inputs):
        g = captured.get(i)
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            result.append(zeros_like(t) if materialize_grads else None)
            continue
        if type(g) is not Tensor:
            g = _wrap(np.array(g, dtype=t._data.dtype))
        elif not create_graph:
            g = g.detach()
        result.append(g)
    del single
    return tuple(result)


# ---------------------------------------------------------------------------------------------
# numpy protocol dispatch


_UFUNC_OPS = {
    np.add: "add",
    np.subtract: "subtract",
    np.multiply: "multiply",
    np.divide: "divide",
    np.power: "power",
    np.maximum: "maximum",
    np.minimum: "minimum",
    np.arctan2: "arctan2",
    np.negative: "negative",
    np.exp: "exp",
    np.log: "log",
    np.log1p: "log1p",
    np.expm1: "expm1",
    np.sqrt: "sqrt",
    np.sin: "sin",
    np.cos: "cos",
    np.tan: "tan",
    np.arcsin: "arcsin",
    np.arccos: "arccos",
    np.arctan: "arctan",
    np.sinh: "sinh",
    np.cosh: "cosh",
    np.tanh: "tanh",
    np.absolute: "abs",
    np.sign: "sign",
    np.square: "square",
    np.reciprocal: "reciprocal",
}


def _flat(obj):
    if isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _flat(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _flat(o)
    else:
        yield obj


def _unwrap_tree(obj):
    if type(obj) is Tensor:
        return obj._data
    if isinstance(obj, list):
        return [_unwrap_tree(o) for o in obj]
    if isinstance(obj, tuple):
        return tuple(_unwrap_tree(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _unwrap_tree(v) for k, v in obj.items()}
    return obj


def _as_operand(x):
    if type(x) is Tensor:
        return x
    if isinstance(x, np.ndarray):
        return _wrap(x)
    return x


def _array_ufunc(ufunc, method, inputs, kwargs):
    op = _UFUNC_OPS.get(ufunc)
    grad_needed = any(type(a) is Tensor and a._requires_grad for a in inputs)
    if method == "__call__" and op is not None and not kwargs:
        if len(inputs) == 1:
            return _unary(op, _as_operand(inputs[0]))
        a, b = inputs
        if type(a) is Tensor:
            return _binary(op, a, _as_operand(b))
        return _binary(op, b, _as_operand(a), reverse=True)
    if method == "__call__" and ufunc is np.matmul and not kwargs:
        return matmul(_as_operand(inputs[0]), _as_operand(inputs[1]))
    if method == "reduce" and ufunc is np.add and grad_needed:
        axis = kwargs.get("axis", 0)
        return inputs[0].sum(dim=axis if axis is not None else None, keepdim=kwargs.get("keepdims", False))
    if grad_needed and ufunc.__name__ not in _NONDIFF_UFUNCS:
        raise TypeError(f"symgrad.Tensor does not support numpy.{ufunc.__name__}.{method} with autograd")
    args = _unwrap_tree(inputs)
    kw = _unwrap_tree(kwargs)
    r = getattr(ufunc, method)(*args, **kw)
    if isinstance(r, tuple):
        return tuple(_wrap(x) for x in r)
    return _wrap(r) if isinstance(r, (np.ndarray, np.generic)) else r


_NONDIFF_UFUNCS = frozenset(
    "greater greater_equal less less_equal equal not_equal logical_and logical_or logical_not "
    "logical_xor isnan isinf isfinite signbit floor ceil rint trunc".split()
)


def _af_sum(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    a = _as_operand(a)
    if type(a) is not Tensor:
        return np.sum(a, axis=axis, keepdims=keepdims)
    return a.sum(dim=axis, keepdim=keepdims) if axis is not None else (
        a.sum() if not keepdims else a.sum().reshape((1,) * a.ndim)
    )


def _af_mean(a, axis=None, dtype=None, out=None, keepdims=False, **kw):
    a = _as_operand(a)
    return a.mean(dim=axis, keepdim=keepdims) if axis is not None else (
        a.mean() if not keepdims else a.mean().reshape((1,) * a.ndim)
    )


def _af_reshape(a, shape=None, order="C", **kw):
    if shape is None:
        shape = kw.get("newshape")
    a = _as_operand(a)
    shape = (shape,) if isinstance(shape, (_pyint, np.integer)) else tuple(shape)
    return a.reshape(shape)


def _af_transpose(a, axes=None):
    a = _as_operand(a)
    if axes is None:
        axes = tuple(range(a.ndim))[::-1]
    return a._transpose(tuple(axes), "PermuteBackward0")


def _af_swapaxes(a, axis1, axis2):
    return _as_operand(a).transpose(axis1, axis2)


def _af_moveaxis(a, source, destination):
    a = _as_operand(a)
    order = [n for n in range(a.ndim) if n != source % a.ndim]
    order.insert(destination % a.ndim, source % a.ndim)
    return a._transpose(tuple(order), "PermuteBackward0")


def _af_broadcast_to(a, shape, subok=False):
    a = _as_operand(a)
    if type(a) is not Tensor:
        return _wrap(np.broadcast_to(a, shape))
    return a.expand(tuple(shape))


def _af_expand_dims(a, axis):
    a = _as_operand(a)
    if isinstance(axis, tuple):
        for ax in sorted(d % (a.ndim + len(axis)) for d in axis):
            a = a.unsqueeze(ax)
        return a
    return a.unsqueeze(axis)


def _af_squeeze(a, axis=None):
    a = _as_operand(a)
    return a.squeeze(axis)


def _af_zeros_like(a, dtype=None, **kw):
    return zeros_like(_as_operand(a), dtype=dtype)


def _af_ones_like(a, dtype=None, **kw):
    return ones_like(_as_operand(a), dtype=dtype)


def _af_full_like(a, fill_value, dtype=None, **kw):
    return full_like(_as_operand(a), fill_value, dtype=dtype)


def _af_where(cond, x=None, y=None):
    if x is None:
        return where(_as_operand(cond))
    return where(_as_operand(cond), _as_operand(x), _as_operand(y))


def _af_clip(a, a_min=None, a_max=None, **kw):
    return _as_operand(a).clamp(a_min, a_max)


def _af_concatenate(arrays, axis=0, **kw):
    return cat([_as_operand(x) for x in arrays], dim=axis)


def _af_stack(arrays, axis=0, **kw):
    return stack([_as_operand(x) for x in arrays], dim=axis)


def _af_max(a, axis=None, keepdims=False, **kw):
    a = _as_operand(a)
    if axis is None:
        r = a.max()
        return r.reshape((1,) * a.ndim) if keepdims else r
    return a.max(axis, keepdims)[0]


def _af_min(a, axis=None, keepdims=False, **kw):
    a = _as_operand(a)
    if axis is None:
        r = a.min()
        return r.reshape((1,) * a.ndim) if keepdims else r
    return a.min(axis, keepdims)[0]


def _af_matmul(a, b):
    return matmul(_as_operand(a), _as_operand(b))


def _af_outer(a, b):
    a, b = _as_operand(a), _as_operand(b)
    return matmul(a.reshape(-1, 1), b.reshape(1, -1))


def _af_dot(a, b):
    a, b = _as_operand(a), _as_operand(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return matmul(a, b)


def _af_shape(a):
    return tuple(_as_operand(a).shape)


def _af_ndim(a):
    return _as_operand(a).ndim


def _af_size(a, axis=None):
    a = _as_operand(a)
    return a.numel() if axis is None else a.shape[axis]


def _af_result_type(*args):
    return np.result_type(*_unwrap_tree(args))


def _af_asarray(a, dtype=None, **kw):
    a = _as_operand(a)
    if type(a) is Tensor and dtype is not None:
        return a._cast(NP2DT[np.dtype(dtype)])
    return a


def _af_prod(a, axis=None, keepdims=False, **kw):
    return _as_operand(a).prod(axis, keepdims)


def _af_var(a, axis=None, ddof=0, keepdims=False, **kw):
    return _as_operand(a).var(axis, correction=ddof, keepdim=keepdims)


def _af_std(a, axis=None, ddof=0, keepdims=False, **kw):
    return _as_operand(a).std(axis, correction=ddof, keepdim=keepdims)


def _af_sum_like(*a, **k):
    raise TypeError("unsupported")


_ARRAY_FUNCTIONS = {
    np.sum: _af_sum,
    np.mean: _af_mean,
    np.reshape: _af_reshape,
    np.transpose: _af_transpose,
    np.swapaxes: _af_swapaxes,
    np.moveaxis: _af_moveaxis,
    np.broadcast_to: _af_broadcast_to,
    np.expand_dims: _af_expand_dims,
    np.squeeze: _af_squeeze,
    np.zeros_like: _af_zeros_like,
    np.ones_like: _af_ones_like,
    np.full_like: _af_full_like,
    np.where: _af_where,
    np.clip: _af_clip,
    np.concatenate: _af_concatenate,
    np.stack: _af_stack,
    np.max: _af_max,
    np.amax: _af_max,
    np.min: _af_min,
    np.amin: _af_min,
    np.outer: _af_outer,
    np.dot: _af_dot,
    np.shape: _af_shape,
    np.ndim: _af_ndim,
    np.size: _af_size,
    np.result_type: _af_result_type,
    np.asarray: _af_asarray,
    np.prod: _af_prod,
    np.var: _af_var,
    np.std: _af_std,
}
