"""PyTorch's words: the error messages and warnings symgrad's Tensor raises, spelled as torch
spells them, so that code (and tests) written against torch read the same text.

Only strings and the small functions that fill them in live here; nothing imports a Tensor.
"""

from __future__ import annotations

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
FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)
NO_GRAD_MSG = "element {} of tensors does not require grad and does not have a grad_fn"
SCALAR_MSG = "grad can be implicitly created only for scalar outputs"

# torch's legacy tensor type names (``torch.FloatTensor``) and short dtype names (``Float``)
_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}
_TYPE_SHORT = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "bool": "Bool",
               "float16": "Half", "int16": "Short", "int8": "Char", "uint8": "Byte"}


def _long_name(npd):
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int"}.get(npd.name, npd.name)


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


def version_error(version, expected, shape, dtype_name, which):
    """PyTorch's error for a saved value that an in-place operation changed before backward."""
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [torch.{_TYPE_NAMES.get(dtype_name, 'Tensor')} [{', '.join(map(str, shape))}]]"
        f"{which} is at version {version}; expected version {expected} instead. Hint: enable "
        "anomaly detection to find the operation that failed to compute its gradient, "
        "with torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )


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


def _index_error(e, parts, shape):
    import re  # (lazily: only an indexing error needs it)

    msg = str(e)
    m = re.match(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", msg)
    if m:
        return f"index {m.group(1)} is out of bounds for dimension {m.group(2)} with size {m.group(3)}"
    if "too many indices" in msg:
        return f"too many indices for tensor of dimension {len(shape)}"
    return msg


def _matmul_error(ad, bd):
    """PyTorch's error for operands of ``matmul`` whose shapes do not fit."""
    if ad.ndim <= 2 and bd.ndim <= 2:
        if ad.ndim == 1 and bd.ndim == 1:
            n, m = ad.shape[0], bd.shape[0]
            return RuntimeError(
                f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same "
                f"number of elements, but got {n} and {m} elements respectively"
            )
        if bd.ndim == 1:
            return RuntimeError(
                f"size mismatch, got input ({ad.shape[0]}), mat ({ad.shape[0]}x{ad.shape[1]}), "
                f"vec ({bd.shape[0]})"
            )
        sa = ad.shape if ad.ndim == 2 else (1, ad.shape[0])
        return RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({sa[0]}x{sa[1]} and {bd.shape[0]}x{bd.shape[1]})"
        )
    return RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                        f"{list(bd.shape)} but got: {list(ad.shape)}.")
