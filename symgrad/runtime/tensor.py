"""``Tensor``: an ndarray with PyTorch's autograd semantics -- the class and its recording.

Every differentiable op computes its value with numpy and, when grad mode is on and an
operand requires grad, records one graph node named like PyTorch's (``MulBackward0``) with
``_record``.  The node's backward is the vjp ``runtime.vjps.eager_vjp`` prints from the
registry's rule (``codegen.vjp_module``), compiled once per (op, static parameters) and kept
in the disk cache; nothing here knows a derivative.

This module holds the class's core (storage, autograd state, conversions).  Each family of
operations lives in its own module, which imports this one and adds its methods to the
class with :func:`install_methods`: ``arithmetic`` (operators, elementwise functions,
matmul), ``reductions``, ``shape`` (views, reshapes, indexing, cat/stack), ``inplace``
(``add_``, ``x[i] = v``, ...), ``numpy_protocol``, and ``derived`` (the registry entries'
methods no family writes out).  Their node names, rule keys and numpy forwards come from the
registry's entries, through ``primitives``.  Importing ``symgrad.runtime`` imports them all,
so a Tensor is complete before any of it can be used.
"""

from __future__ import annotations

import builtins
import warnings
import weakref

import numpy as np

from symgrad.runtime import dtypes as _dt
from symgrad.runtime.dtypes import DEFAULT, NP2DT, Size
from symgrad.runtime.engine import (
    AccumulateGrad,
    add_tensor_hook,
    backward,
    install_tensor,
    node_class,
)
from symgrad.runtime.grad_mode import _Mode
from symgrad.runtime.messages import NONLEAF_GRAD_WARNING, RG_LEAF_MSG
from symgrad.runtime.promotion import infer_array
from symgrad.runtime.saved_hooks import HOOKS, pack_saved, read_names

_pyfloat = builtins.float
_pyint = builtins.int
_pybool = builtins.bool
_ndarray = np.ndarray
_new_obj = object.__new__

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
        if HOOKS:
            _pack_record(node, operands, out)
    node._vers = tuple(vers)
    return out


def _pack_record(node, operands, out):
    """Under ``saved_tensors_hooks``: pack what the node's vjp reads."""
    from symgrad.runtime.engine import resolve_vjp

    vjp = node._vjp if node._vjp is not None else resolve_vjp(node._key)
    named = {f"x{i}": a for i, a in enumerate(operands) if type(a) is Tensor}
    named["out"] = out
    pack_saved(node, [(n, named[n]) for n in read_names(node, vjp, list(named))])


def _wants_grad(*operands):
    if not _Mode.enabled:
        return False
    for a in operands:
        if type(a) is Tensor and a._requires_grad:
            return True
    return False



_WARNED_FLOAT: list = []  # float() of a Tensor requiring grad has warned (once, as torch)


def _named(t, name):
    """Rename the node that made ``t`` (same rule, PyTorch's name for the op as a whole)."""
    fn = t._grad_fn
    if fn is not None:
        new = _new_obj(node_class(name))
        for s in ("next_functions", "_key", "_vjp", "_saved", "_tensors", "_vers", "_meta", "_saves",
                  "_packed", "_unpack"):
            setattr(new, s, getattr(fn, s))
        t._grad_fn = new
    return t


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



def _flatten_tensors(data):
    if type(data) is Tensor:
        return data._data
    if isinstance(data, (list, tuple)):
        return [_flatten_tensors(d) for d in data]
    return data


def _from_data(data, dtype=None):
    """A new Tensor holding a copy of ``data`` (nested lists, scalars, arrays, tensors), with
    ``torch.tensor``'s dtype rules; it does not require grad."""
    if type(data) is Tensor:
        return _wrap(np.array(data._data, dtype=None if dtype is None else _dt.to_np(dtype), copy=True))
    if isinstance(data, (list, tuple)):
        data = _flatten_tensors(data)
    return _wrap(infer_array(data, None if dtype is None else _dt.to_np(dtype)))


# ---------------------------------------------------------------------------------------------
# the Tensor


class Tensor:
    """An n-dimensional array with PyTorch's autograd: ``requires_grad``, ``grad``, ``grad_fn``,
    ``backward``.  Values live in a numpy array (``.numpy()`` shares it).  The operations
    (``+``, ``exp``, ``sum``, ``view``, ``add_``, ...) are added by the family modules named
    in this module's docstring."""

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
    _is_param = False  # an nn.Parameter (symgrad.nn.module.Parameter: same class, this flag)

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
        if self._grad_fn is None:
            return add_tensor_hook(self._grad_accumulator(), 0, hook)
        return add_tensor_hook(self._grad_fn, self._output_nr, hook)

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
        if self._requires_grad and _Mode.enabled and not _WARNED_FLOAT:
            # torch's TORCH_WARN_ONCE: once per process, for float() only (not item/int/bool)
            _WARNED_FLOAT.append(True)
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to "
                          "unexpected behavior.\nConsider using tensor.detach() first.",
                          UserWarning, stacklevel=2)
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
        text = format_tensor(
            self._data,
            dtype_name=self._data.dtype.name,
            default_dtype_name=DEFAULT[0]._name,
            suffixes=suffixes,
        )
        return "Parameter containing:\n" + text if self._is_param else text

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
            elif isinstance(a, np.dtype):  # (the engine casts gradients with numpy dtypes)
                dtype = NP2DT[a]
            else:
                check_device(a)
        check_device(kwargs.get("device"))
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



_DEVICE_TYPES = ("cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, "
                 "lazy, vulkan, mps, meta, hpu, mtia, privateuseone").split(", ")
NO_CUDA_MSG = "Torch not compiled with CUDA enabled"


class device:
    """``torch.device("cpu")``: prints ``device(type='cpu')``, formats as ``cpu``. Other device
    types can be named (``torch.device("cuda")``), but no tensor can live there."""

    __slots__ = ("type", "index")

    def __new__(cls, type="cpu", index=None):
        if isinstance(type, device):
            return type
        spec = str(type)
        name, _, idx = spec.partition(":")
        if name not in _DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start "
                               f"of device string: {spec}")
        if idx:
            if index is not None or not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{spec}'")
            index = _pyint(idx)
        if name == "cpu" and index is None:
            return _CPU
        self = object.__new__(cls)
        object.__setattr__(self, "type", name)
        object.__setattr__(self, "index", index)
        return self

    def __setattr__(self, name, value):
        raise AttributeError(f"attribute '{name}' of 'torch.device' objects is not writable")

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


_CPU = object.__new__(device)
object.__setattr__(_CPU, "type", "cpu")
object.__setattr__(_CPU, "index", None)


def check_device(spec):
    """Refuse a device other than the CPU as torch without CUDA does (an AssertionError)."""
    if spec is None:
        return
    d = device(spec) if not isinstance(spec, (_pyint, np.integer)) else device("cuda", spec)
    if d.type == "cuda":
        raise AssertionError(NO_CUDA_MSG)
    if d.type != "cpu":
        raise RuntimeError(f"symgrad tensors live on the CPU only, not on '{d}'")


def install_methods(family: type) -> None:
    """Give ``Tensor`` every attribute defined in the class body ``family`` (a family module's
    methods, properties and aliases), as if they were written in ``Tensor`` itself (their
    ``__qualname__`` too, which Python's argument errors print)."""
    prefix = family.__qualname__ + "."
    for name, value in vars(family).items():
        if name in _CLASS_INTERNALS or (name == "__hash__" and value is None):
            continue  # (Python sets __hash__ = None in a body defining __eq__: Tensor keeps its own)
        qualname = getattr(value, "__qualname__", None)
        if isinstance(qualname, str) and qualname.startswith(prefix):
            value.__qualname__ = "Tensor." + qualname[len(prefix):]
        setattr(Tensor, name, value)


_CLASS_INTERNALS = frozenset(vars(type("_Empty", (), {})))

install_tensor(Tensor, _wrap, _from_data)
