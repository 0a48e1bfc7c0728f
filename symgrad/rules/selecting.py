"""Choosing values elementwise: np.select, np.piecewise and np.nan_to_num.

np.select and np.piecewise are nested ``np.where`` (``masks.Where``) of their choices, made by
the frontend (``frontend/arraycalls.py``): each choice gets the cotangent where it was chosen
and 0 elsewhere, and no gradient flows through a condition. np.select takes the first
condition that holds, np.piecewise the last (numpy writes each in turn). np.nan_to_num is
the identity where x is finite, so its vjp is g there and 0 at NaN and the infinities (its
values there are constants), as torch.nan_to_num's. See ``registry`` for the fields.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symgrad.rules.creation import NpConstant
from symgrad.rules.registry import (
    ALLOCATES,
    Primitive,
    Rule,
    Torch,
    lazy_module,
    primitive,
    register,
)

base = lazy_module("symgrad.rules.base")

register(Primitive("select", binds=(np.select,), params="condlist, choicelist, default=0",
                   arrays=("default",), values=("condlist", "choicelist"),
                   lower="select_call",
                   doc="np.select: nested np.where, the first condition that holds"))
register(Primitive("piecewise", binds=(np.piecewise,), params="x, condlist, funclist",
                   arrays=("x",), lower="piecewise_call",
                   doc="np.piecewise: nested np.where of the functions applied to x, the "
                       "last condition that holds"))


@primitive("nan_to_num", np.nan_to_num,
           params="x, copy=True, nan=0.0, posinf=None, neginf=None",
           arrays=("x",), values=("nan", "posinf", "neginf"),
           node_args=("x", "copy", "nan", "posinf", "neginf"), traits={ALLOCATES},
           torch=Torch(("nan_to_num",), "NanToNumBackward0",
                       {"nan": "nan", "posinf": "posinf", "neginf": "neginf"}))
class NanToNum(Rule):
    """args: (x, nan, posinf, neginf): x with NaN and the infinities replaced (None: the
    largest finite numbers of x's dtype). Its vjp is ``np.where(np.isfinite(x), g, 0)``:
    1 where x is finite, 0 elsewhere (torch's)."""

    shape_like = 0

    def _numpycode(self, printer: Any) -> str:
        nan, posinf, neginf = (base.sval(a) for a in self.args[1:])
        kw = base._kw(nan=(nan, 0.0), posinf=(posinf, None), neginf=(neginf, None))
        return f"np.nan_to_num({base._a(printer, self.args[0])}{kw})"

    def finite_only(self, v: Any) -> Any:
        """v where x is finite, 0 where nan_to_num replaced x by a constant."""
        from symgrad.rules.masks import Where

        return Where(NpConstant(base.static("isfinite"), base.static(()), self.args[0]), v, 0)

    def vjp(self, g: Any) -> list[Any]:
        return [self.finite_only(g)]

    def jvp(self, tangents: list[Any]) -> Any:
        return self.finite_only(tangents[0])

    @classmethod
    def make(cls, x: Any, copy: Any = True, nan: Any = 0.0, posinf: Any = None,
             neginf: Any = None) -> Any:
        values = []
        for v in (nan, posinf, neginf):
            if v is not None:
                try:
                    v = float(v)
                except TypeError:
                    raise ValueError("nan, posinf and neginf must be numbers known now") \
                        from None
            values.append(base.static(v))
        return cls(x, *values)

    @staticmethod
    def out_shape(shape: tuple[int, ...], copy: Any = True, nan: Any = 0.0,
                  posinf: Any = None, neginf: Any = None) -> tuple[int, ...]:
        return shape
