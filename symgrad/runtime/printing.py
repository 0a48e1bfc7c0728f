"""Format numpy arrays exactly the way PyTorch 2.x prints tensors.

This is a numpy re-implementation of the rules in ``torch/_tensor_str.py`` (strided, dense,
CPU tensors only), so that ``repr(symgrad_tensor)`` is character-for-character what
``repr(torch_tensor)`` would be.  The rules, in short:

* Floating tensors pick one of three modes from the *non-zero finite* values (of the
  summarised data, when summarising):

  - *int mode* (every such value is an integer): ``1.``, ``-50.``, ``nan``, ``inf``;
  - *fixed mode*: ``precision`` (4) digits after the point, ``4.5000``;
  - *scientific mode* when ``max/min > 1000`` or ``max > 1e8`` or ``min < 1e-4``
    (absolute values, computed in float64): ``1.0000e-08``.  It wins over int mode.

  Every element is right-aligned to the widest formatted non-zero finite value (at least 1).
* Integer and bool tensors print ``str(value)`` right-aligned: ``tensor([ True, False])``.
* One-dimensional rows wrap so that ``floor((linewidth - indent) / (width + 2))`` elements
  fit on a line; nested dimensions are separated by ``dim - 1`` newlines.
* More than ``threshold`` (1000) elements: each dimension longer than ``2 * edgeitems`` shows
  its first and last ``edgeitems`` entries around ``...``.
* Suffixes: ``size=(...)`` for empty tensors that are not 1-d, ``dtype=torch.X`` for a
  non-default dtype (int64 and bool count as default unless the tensor is empty), then the
  caller's suffixes (``requires_grad=True``, ``grad_fn=<AddBackward0>``); a suffix goes on a
  new line, indented, when it would make the last line longer than ``linewidth``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "PrintOptions",
    "PRINT_OPTS",
    "format_tensor",
    "get_printoptions",
    "printoptions",
    "set_printoptions",
]


@dataclasses.dataclass
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Same semantics as ``torch.set_printoptions`` (``sci_mode`` is always overwritten)."""
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80
        elif profile == "short":
            PRINT_OPTS.precision = 2
            PRINT_OPTS.threshold = 1000
            PRINT_OPTS.edgeitems = 2
            PRINT_OPTS.linewidth = 80
        elif profile == "full":
            PRINT_OPTS.precision = 4
            PRINT_OPTS.threshold = math.inf
            PRINT_OPTS.edgeitems = 3
            PRINT_OPTS.linewidth = 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# torch dtype name -> numpy dtype used to hold the values (None: keep the array's dtype).
_FLOAT_DTYPES: dict[str, Any] = {
    "float16": np.float16,
    "half": np.float16,
    "bfloat16": None,  # numpy has no bfloat16: values are assumed already rounded
    "float32": np.float32,
    "float": np.float32,
    "float64": np.float64,
    "double": np.float64,
}
_COMPLEX_DTYPES: dict[str, Any] = {
    "complex32": np.complex64,
    "chalf": np.complex64,
    "complex64": np.complex64,
    "cfloat": np.complex64,
    "complex128": np.complex128,
    "cdouble": np.complex128,
}
_OTHER_DTYPES: dict[str, Any] = {
    "bool": np.bool_,
    "uint8": np.uint8,
    "int8": np.int8,
    "int16": np.int16,
    "short": np.int16,
    "int32": np.int32,
    "int": np.int32,
    "int64": np.int64,
    "long": np.int64,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
}
# torch's canonical spelling of the aliases, used in the ``dtype=`` suffix
_CANONICAL = {
    "half": "float16",
    "float": "float32",
    "double": "float64",
    "chalf": "complex32",
    "cfloat": "complex64",
    "cdouble": "complex128",
    "short": "int16",
    "int": "int32",
    "long": "int64",
}
_DEFAULT_COMPLEX = {"float64": "complex128", "float32": "complex64", "float16": "complex32"}


def _canonical(name: str) -> str:
    name = name[len("torch.") :] if name.startswith("torch.") else name
    return _CANONICAL.get(name, name)


class _Formatter:
    """Mirror of ``torch._tensor_str._Formatter``; ``values`` is the (summarised) data."""

    def __init__(self, values: np.ndarray, floating: bool, opts: PrintOptions) -> None:
        self.floating_dtype = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        self.precision = opts.precision
        flat = values.reshape(-1)

        if not floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            return  # no valid number: int mode, width 1

        absolute = np.abs(nonzero_finite).astype(np.float64)
        nz_min = float(absolute.min())
        nz_max = float(absolute.max())
        if np.any(nonzero_finite != np.ceil(nonzero_finite)):
            self.int_mode = False

        if opts.sci_mode is None:
            self.sci_mode = nz_max / nz_min > 1000.0 or nz_max > 1.0e8 or nz_min < 1.0e-4
        else:
            self.sci_mode = opts.sci_mode

        py_values = nonzero_finite.tolist()
        prec = self.precision
        if self.sci_mode:
            widths = [len(f"{v:.{prec}e}") for v in py_values]
        elif self.int_mode:
            # a decimal point is appended to mark the tensor as floating
            widths = [len(f"{v:.0f}") + 1 for v in py_values]
        else:
            widths = [len(f"{v:.{prec}f}") for v in py_values]
        self.max_width = max(self.max_width, max(widths))

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        if self.floating_dtype:
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{self.precision}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{self.precision}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _complex_str(real: float, imag: float, f1: _Formatter, f2: _Formatter) -> str:
    real_str = f1.format(real)
    imag_str = (f2.format(imag) + "j").lstrip()
    # handles negative numbers, +0.0, -0.0
    if imag_str[0] in "+-":
        return real_str + imag_str
    return real_str + "+" + imag_str


class _Printer:
    def __init__(
        self,
        opts: PrintOptions,
        formatter1: _Formatter,
        formatter2: _Formatter | None,
    ) -> None:
        self.opts = opts
        self.f1 = formatter1
        self.f2 = formatter2

    def value(self, val: Any) -> str:
        if self.f2 is not None:
            return _complex_str(val.real, val.imag, self.f1, self.f2)
        return self.f1.format(val)

    def scalar(self, a: np.ndarray) -> str:
        return self.value(a.item())

    def vector(self, a: np.ndarray, indent: int, summarize: bool) -> str:
        opts = self.opts
        element_length = self.f1.width() + 2
        if self.f2 is not None:
            element_length += self.f2.width() + 1
        elements_per_line = max(1, math.floor((opts.linewidth - indent) / element_length))

        edge = opts.edgeitems
        if summarize and not edge:
            data = ["..."]
        elif summarize and a.shape[0] > 2 * edge:
            data = (
                [self.value(v) for v in a[:edge].tolist()]
                + [" ..."]
                + [self.value(v) for v in a[-edge:].tolist()]
            )
        else:
            data = [self.value(v) for v in a.tolist()]

        lines = [
            ", ".join(data[i : i + elements_per_line])
            for i in range(0, len(data), elements_per_line)
        ]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"

    def tensor(self, a: np.ndarray, indent: int, summarize: bool) -> str:
        dim = a.ndim
        if dim == 0:
            return self.scalar(a)
        if dim == 1:
            return self.vector(a, indent, summarize)
        edge = self.opts.edgeitems
        n = a.shape[0]
        if summarize and n > 2 * edge:
            slices = (
                [self.tensor(a[i], indent + 1, summarize) for i in range(edge)]
                + ["..."]
                + [self.tensor(a[i], indent + 1, summarize) for i in range(n - edge, n)]
            )
        else:
            slices = [self.tensor(a[i], indent + 1, summarize) for i in range(n)]
        return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized_values(a: np.ndarray, edge: int) -> np.ndarray:
    """The elements ``torch._tensor_str.get_summarized_data`` keeps, flattened."""
    if a.ndim == 0:
        return a.reshape(-1)
    if a.ndim == 1:
        if a.shape[0] > 2 * edge:
            return np.concatenate((a[:edge], a[-edge:] if edge else a))
        return a
    if not edge:
        return a.reshape(-1)[:0]
    n = a.shape[0]
    rows = list(range(edge)) + list(range(n - edge, n)) if n > 2 * edge else range(n)
    parts = [_summarized_values(a[i], edge) for i in rows]
    return np.concatenate(parts) if parts else a.reshape(-1)[:0]


def _tensor_str(
    a: np.ndarray, indent: int, floating: bool, complex_: bool, opts: PrintOptions
) -> str:
    summarize = a.size > opts.threshold
    src = _summarized_values(a, opts.edgeitems) if summarize else a
    if complex_:
        f1 = _Formatter(np.ascontiguousarray(src.real), True, opts)
        f2: _Formatter | None = _Formatter(np.ascontiguousarray(src.imag), True, opts)
    else:
        f1 = _Formatter(src, floating, opts)
        f2 = None
    return _Printer(opts, f1, f2).tensor(a, indent, summarize)


def _add_suffixes(tensor_str: str, suffixes: Sequence[str], indent: int, linewidth: int) -> str:
    parts = [tensor_str]
    # (torch measures the last line as its length + 2; kept for identical wrapping)
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def format_tensor(
    data: np.ndarray,
    *,
    dtype_name: str,
    default_dtype_name: str = "float32",
    suffixes: Sequence[str] = (),
    prefix: str = "tensor(",
    options: PrintOptions | None = None,
) -> str:
    """Return what ``repr(torch_tensor)`` (== ``str``) prints for a CPU tensor holding ``data``.

    ``dtype_name`` is the torch dtype name ("float32", "int64", "bool", ...);
    ``default_dtype_name`` is ``torch.get_default_dtype()``'s name; ``suffixes`` are the
    trailing items such as ``"requires_grad=True"`` or ``"grad_fn=<AddBackward0>"``.
    ``options`` defaults to the module-wide :data:`PRINT_OPTS` (see :func:`set_printoptions`).
    """
    opts = PRINT_OPTS if options is None else options
    dtype = _canonical(dtype_name)
    default = _canonical(default_dtype_name)

    floating = dtype in _FLOAT_DTYPES
    complex_ = dtype in _COMPLEX_DTYPES
    np_dtype = (_FLOAT_DTYPES | _COMPLEX_DTYPES | _OTHER_DTYPES).get(dtype)
    a = np.asarray(data)
    if np_dtype is not None and a.dtype != np_dtype:
        a = a.astype(np_dtype)

    indent = len(prefix)
    all_suffixes: list[str] = []
    if a.size == 0:
        # Explicitly print the shape if it is not (0,), to match NumPy behaviour
        if a.ndim != 1:
            all_suffixes.append("size=" + str(tuple(int(s) for s in a.shape)))
        # nothing to infer an int64 dtype from, so it must be shown explicitly
        if dtype != default:
            all_suffixes.append("dtype=torch." + dtype)
        tensor_str = "[]"
    else:
        if not opts.edgeitems:
            all_suffixes.append("size=" + str(tuple(int(s) for s in a.shape)))
        has_default_dtype = dtype in (default, _DEFAULT_COMPLEX.get(default), "int64", "bool")
        if not has_default_dtype:
            all_suffixes.append("dtype=torch." + dtype)
        tensor_str = _tensor_str(a, indent, floating, complex_, opts)
    all_suffixes.extend(suffixes)
    return _add_suffixes(prefix + tensor_str, all_suffixes, indent, opts.linewidth)
