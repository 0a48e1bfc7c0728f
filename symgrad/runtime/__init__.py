"""symgrad's runtime: a PyTorch-compatible Tensor whose backward comes from the rule table.

``tensor`` holds the class; each family module (arithmetic, reductions, shape, inplace,
numpy_protocol) adds its methods to it when imported, which this package does for all, and
``derived`` adds those of the registry's entries that no family writes out.
"""

# the families of Tensor methods (importing each installs its methods)
from symgrad.runtime import (  # noqa: F401
    arithmetic,
    derived,
    inplace,
    linalg,
    numpy_protocol,
    ordering,  # sort, argsort, topk, gather
    reductions,
    shape,
    special,  # torch.special's names (symgrad.special.expit)
    torch_methods,
)
from symgrad.runtime.arithmetic import matmul, mm, where
from symgrad.runtime.creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    manual_seed,
    normal,
    numel,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    seed,
    tensor,
    zeros,
    zeros_like,
)
from symgrad.runtime.dtypes import (
    Size,
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from symgrad.runtime.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from symgrad.runtime.ops import *  # noqa: F403
from symgrad.runtime.ops import __all__ as _ops_all
from symgrad.runtime.ordering import argsort, gather, msort, sort, topk
from symgrad.runtime.shape import cat, concat, stack
from symgrad.runtime.tensor import Tensor, device

__all__ = [
    "Tensor", "Size", "dtype", "tensor", "as_tensor", "from_numpy", "ones", "zeros", "empty", "full",
    "eye", "ones_like", "zeros_like", "empty_like", "full_like", "rand", "randn", "rand_like",
    "randn_like", "randint", "normal", "arange", "linspace", "manual_seed", "seed", "is_tensor", "numel",
    "device", "matmul", "mm", "where", "cat", "concat", "stack", "linalg",
    "sort", "argsort", "msort", "topk", "gather",
    "float16", "half", "float32", "float", "float64", "double", "complex64", "cfloat",
    "complex128", "cdouble", "uint8", "int8", "int16", "short", "int32", "int", "int64", "long",
    "bool", "get_default_dtype", "set_default_dtype",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "special",
    *_ops_all,
]

# ``symgrad.autograd`` (torch.autograd's namespace) is importing symgrad.runtime's sibling; load
# it here so ``import symgrad as torch; torch.autograd.grad(...)`` works without another import.
import symgrad.autograd  # noqa: E402,F401
