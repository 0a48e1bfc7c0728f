"""Vector transcendental functions for the numba backend: ``np.exp``, ``np.log``, ``np.sin``,
``np.cos`` and ``np.tanh`` of a float64 array, computed by glibc's vector math library
(libmvec: ``_ZGVeN8v_tanh`` and its kin, 8 lanes under AVX-512 or 4 under AVX2).

numba compiles ``np.tanh(x)`` of an array as a loop calling libm's scalar ``tanh`` once per
element, which LLVM does not vectorize: measured at 1e6 float64 on this project's machine,
numba's tanh took 33 ms where numpy's SIMD loop took 0.9 ms (exp 5.4 vs 1.2 ms, log 4.4 vs
0.6 ms; sin and cos about 10 ms in both). libmvec's functions take 1.2 ms (tanh), 0.6 ms
(exp, log) and 0.7 ms (sin, cos, which numpy does not vectorize in float64). Their values
are within 4 ulp of the scalar ones (glibc's bound; 1 ulp from numpy's measured) and they
return numpy's values for NaN, infinities, signed zeros and subnormals (they hand such
lanes to the scalar code).

``symgrad.compiled`` spells those calls ``_nb_exp(x)`` etc. in the numba text when this
module finds libmvec (``VECTOR_FUNCTIONS`` is then non-empty); anything but a float64 array
of rank 1 or more (a number, a 0-d or integer array) takes numba's own ``np.exp``.
``SYMGRAD_NUMBA_VECMATH=0`` turns it off. Importing this module imports numba.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload

NAMES = ("exp", "log", "sin", "cos", "tanh")


def _libmvec() -> tuple[str, int] | None:
    """(the libmvec symbol prefix, the lane count) for this CPU, with the library loaded
    for numba's JIT; None where there is none (not Linux x86-64, an old glibc, no AVX2)."""
    if os.environ.get("SYMGRAD_NUMBA_VECMATH", "1") == "0" or platform.system() != "Linux" \
            or platform.machine() not in ("x86_64", "AMD64"):
        return None
    features = set(numba.config.CPU_FEATURES.replace("+", " ").replace(",", " ").split()) \
        if numba.config.CPU_FEATURES else _host_features()
    if "avx512f" in features:
        prefix, width = "_ZGVeN8v_", 8
    elif "avx2" in features:
        prefix, width = "_ZGVdN4v_", 4
    else:
        return None
    path = ctypes.util.find_library("mvec") or "libmvec.so.1"
    try:
        lib = ctypes.CDLL(path)
        if not all(hasattr(lib, prefix + name) for name in NAMES):
            return None
        import llvmlite.binding as llvm

        llvm.load_library_permanently(path)
    except OSError:
        return None
    return prefix, width


def _host_features() -> set[str]:
    import llvmlite.binding as llvm

    return {f[1:] for f in llvm.get_host_cpu_features().flatten().split(",")
            if f.startswith("+")}


def _lanes_call(symbol: str, width: int) -> Any:
    """A numba intrinsic ``call(src, dst, i)``: ``dst[i:i+width] = f(src[i:i+width])`` for
    contiguous 1-d float64 arrays, by one call of libmvec's ``symbol``."""
    vector = ir.VectorType(ir.DoubleType(), width)

    @intrinsic
    def call(typingctx, src, dst, i):
        def codegen(context, builder, signature, args):
            fn = cgutils.get_or_insert_function(builder.module,
                                                ir.FunctionType(vector, [vector]), symbol)
            data = [context.make_array(t)(context, builder, a).data
                    for t, a in zip(signature.args[:2], args[:2], strict=True)]
            ptrs = [builder.bitcast(builder.gep(d, [args[2]]), vector.as_pointer())
                    for d in data]
            builder.store(builder.call(fn, [builder.load(ptrs[0], align=8)]), ptrs[1],
                          align=8)
            return context.get_dummy_value()

        return types.void(src, dst, i), codegen

    return call


def _array_function(call: Any, width: int) -> Any:
    """The compiled ``f(x)`` of a float64 array (rank >= 1): whole lanes straight from x,
    the last partial one through a zero-padded buffer (the same lane code for every
    element, wherever it sits)."""

    @numba.njit(error_model="numpy")
    def apply(x):
        flat = np.ascontiguousarray(x).reshape(-1)
        out = np.empty(flat.size)
        n = flat.size
        whole = n - n % width
        for i in range(0, whole, width):
            call(flat, out, i)
        if whole < n:
            buf = np.zeros(width)
            res = np.empty(width)
            buf[:n - whole] = flat[whole:]
            call(buf, res, 0)
            out[whole:] = res[:n - whole]
        return out.reshape(x.shape)

    return apply


def _stub(name: str) -> Any:
    def stub(x: Any) -> Any:
        raise RuntimeError(f"{name} runs only inside numba-compiled code")

    stub.__name__ = stub.__qualname__ = name
    return stub


def _make(name: str, prefix: str, width: int) -> Any:
    stub = _stub(f"_nb_{name}")
    apply = _array_function(_lanes_call(prefix + name, width), width)
    ufunc = getattr(np, name)

    def overload_(x):
        if isinstance(x, types.Array) and x.dtype == types.float64 and x.ndim >= 1:
            return lambda x: apply(x)
        if isinstance(x, (types.Number, types.Boolean, types.Array)):
            return lambda x: ufunc(x)
        return None

    overload_.__doc__ = f"``np.{name}(x)``, by libmvec's vector loop for a float64 array."
    overload(stub)(overload_)
    return stub


_FOUND = _libmvec()
VECTOR_FUNCTIONS: dict[str, Any] = (
    {} if _FOUND is None else {f"_nb_{name}": _make(name, *_FOUND) for name in NAMES})
"""The stubs the numba text calls (``_nb_tanh`` for ``np.tanh``), empty without libmvec."""
