"""PyTorch's dtype rules over numpy dtypes: what ``a op b`` computes in, and what
``torch.tensor(data)`` stores.

Promotion: category beats size (bool < integer < floating); a dimensioned tensor beats a 0-d
one of the same category, and a 0-d tensor beats a Python scalar.  numpy's own promotion
(``np.promote_types``) only decides within a category.
"""

from __future__ import annotations

import builtins

import numpy as np

from symgrad.runtime.dtypes import DEFAULT

_pyint = builtins.int
_pybool = builtins.bool


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


def promote_arrays(ad, bd):
    """Two tensors' arrays cast to the dtype ``a op b`` computes in."""
    if ad.dtype is not bd.dtype and ad.dtype != bd.dtype:
        rd = _promote2(ad.dtype, bd.dtype, ad.ndim > 0, bd.ndim > 0)
        ad = ad.astype(rd, copy=False)
        bd = bd.astype(rd, copy=False)
    return ad, bd


def promote_with_scalar(ad, b):
    """A tensor's array cast for ``a op b`` with a Python scalar ``b`` (only up a category)."""
    if _scalar_cat(b) > _cat(ad.dtype):
        ad = ad.astype(DEFAULT[0]._np if _scalar_cat(b) == 2 else np.int64)
    return ad


def infer_array(data, npd=None):
    """``data`` (nested lists of numbers, a scalar, an array) as the new array
    ``torch.tensor(data)`` holds: ``npd`` if given, else Python floats become the default
    dtype and Python ints int64, while numpy values keep their dtype."""
    if npd is not None:
        return np.array(data, dtype=npd)
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
    return arr
