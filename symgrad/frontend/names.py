"""Names: reading a variable or a global, constants, and the fresh SSA names values are
emitted under."""

from __future__ import annotations

import ast
import difflib
import math
import numbers
import types
from typing import Any

import numpy as np
import sympy as sp

from symgrad.frontend.common import (
    Opaque,
)
from symgrad.frontend.inlining import LocalFunction
from symgrad.frontend.ir import Assign, first_free
from symgrad.frontend.parse import MISSING, resolve_name
from symgrad.rules.base import Structural, static
from symgrad.rules.operators import StopGradient
from symgrad.rules.shape import Ndim, Shape, Size, Transpose


class NameLowering:
    """Names and emission, mixed into ``Lowerer``."""

    def user_fresh(self, base: str) -> str:
        """A variable name the user's code does not use."""
        name = first_free(base, lambda n: n in self.ctx.used_names or n in self.locals, sep="")
        self.ctx.used_names.add(name)
        self.locals.add(name)
        return name

    def emit(self, user_name: str, value: Any, node: ast.AST) -> str:
        if isinstance(value, (tuple, list, dict, LocalFunction)):
            raise self.p.error(node, "a tuple, list or function cannot be used as an array here",
                               "unpack it, index it, or wrap it in np.stack([...])")
        if isinstance(value, str):
            raise self.p.error(node, f"the string {value!r} cannot be used as a value here",
                               "a static string parameter can be compared (`mode == "
                               "\"mean\"`) and passed where numpy takes a string")
        value = sp.sympify(value)
        self.check_list_use(value, node)
        if self.no_grad_depth and value.free_symbols:
            value = StopGradient(value)
        name = self.fresh(user_name)
        self.block.stmts.append(Assign(name, value, self.p.file_lineno(node),
                                       list(self.stmt_lines), user_name))
        self.ctx.defs[name] = value
        if self.is_mask(value):
            self.ctx.mask_names.add(sp.Symbol(name, real=True))
        return name

    def as_symbol(self, value: Any, user_name: str, node: ast.AST) -> Any:
        """A value fit for a join or a loop: a symbol or a constant, emitting it if needed."""
        if isinstance(value, sp.Symbol) or (isinstance(value, sp.Basic) and
                                            not value.free_symbols and not
                                            isinstance(value, Structural)):
            return value
        return sp.Symbol(self.emit(user_name, value, node), real=True)

    def fresh(self, base: str) -> str:
        if base not in self.ctx.versions and base not in self.ctx.constants:
            self.ctx.versions[base] = 0
            return base
        self.ctx.versions.setdefault(base, 0)
        name = first_free(base, lambda n: n in self.ctx.used_names or n in self.ctx.versions)
        self.ctx.versions[name] = 0
        return name

    def name(self, node: ast.Name) -> Any:
        if node.id in self.env:
            return self.env[node.id]
        if node.id in self.loop_vars:
            raise self.p.error(node, f"{node.id!r}, a for loop's variable, is read after its "
                               "loop", "symgrad supports that for a loop variable that has no "
                               "value before the loop and is not inside another loop; "
                               "otherwise copy it into a variable of your own (assigned "
                               "before the loop, last = i inside it)")
        if node.id in self.loop_locals:
            raise self.p.error(node, f"{node.id!r} is assigned only inside a loop",
                               "assign it before the loop so it has a value on every path")
        if node.id in self.branch_locals:
            raise self.p.error(node, f"{node.id!r} is assigned on only some paths of an `if`",
                               "assign it before the `if` or in every branch")
        if node.id in self.locals:
            raise self.p.error(node, f"{node.id!r} is used before it is assigned")
        obj = resolve_name(self.fn, node.id)
        if obj is MISSING:
            raise self.p.error(node, f"name {node.id!r} is not defined",
                               "define it before decorating the function")
        return self.constant(obj, node.id, node)

    def constant(self, obj: Any, name: str, node: ast.AST) -> Any:
        if obj is None:
            return None
        if isinstance(obj, tuple) and all(isinstance(v, (numbers.Number, tuple)) for v in obj):
            return tuple(self.constant(v, name, node) for v in obj)
        if isinstance(obj, bool):
            return sp.true if obj else sp.false
        if isinstance(obj, numbers.Integral):
            return sp.Integer(int(obj))
        if isinstance(obj, numbers.Real) and not math.isfinite(float(obj)):
            # SymPy's nan absorbs a whole product (nan*x is nan, whose derivative is 0):
            # keep it a named value, as numpy would compute with it
            return self.constant(np.array(float(obj)), name, node)
        if isinstance(obj, numbers.Real):
            value = float(obj)
            if value == math.pi:
                return sp.pi
            if value == math.e:
                return sp.E
            num, den = value.as_integer_ratio() if math.isfinite(value) else (0, 0)
            if den and den <= 1024 and abs(num) < 2**53:
                return sp.Rational(num, den)  # 0.5 -> 1/2: exact, and prints as a Python float
            return sp.Float(value)
        if isinstance(obj, np.ndarray):
            if not np.issubdtype(obj.dtype, np.number):
                raise self.p.error(node, f"global array {name!r} must be numeric")
            origin = (getattr(self.fn, "__module__", "") or "",
                      getattr(self.fn, "__qualname__", ""), name)
            for cname, seen in self.ctx.constant_origins.items():
                if seen == origin and self.ctx.constants[cname] is obj:
                    return sp.Symbol(cname, real=True)
            # a name of its own: a helper's global W is not the caller's parameter W
            base = name.replace(".", "_")  # cfg.W -> cfg_W
            taken = lambda n: n in self.ctx.versions or n in self.ctx.constants
            cname = first_free(f"{base}_global", taken, sep="", start=2) if taken(base) else base
            self.ctx.constants[cname] = obj
            self.ctx.constant_origins[cname] = origin
            self.ctx.versions.setdefault(cname, 0)  # and no later local takes it
            return sp.Symbol(cname, real=True)
        return Opaque(obj)

    def static_object(self, node: ast.expr) -> Any:
        """The Python object an expression like ``np.exp`` or ``symgrad.no_grad`` names."""
        if isinstance(node, ast.Name):
            if node.id in self.env:
                return None
            obj = resolve_name(self.fn, node.id)
            return None if obj is MISSING else obj
        if isinstance(node, ast.Attribute):
            base = self.static_object(node.value)
            if base is None:
                return None
            if isinstance(base, types.ModuleType) and not hasattr(base, node.attr):
                close = difflib.get_close_matches(node.attr, dir(base), n=3)
                raise self.p.error(node, f"module {base.__name__!r} has no attribute "
                                   f"{node.attr!r}", f"did you mean {' or '.join(close)}?"
                                   if close else None)
            return getattr(base, node.attr, None)
        return None

    def expr_Name(self, node: ast.Name) -> Any:
        return self.name(node)

    def expr_Constant(self, node: ast.Constant) -> Any:
        if node.value is None:
            return None
        if isinstance(node.value, (bool, int, float)):
            return self.constant(node.value, repr(node.value), node)
        if isinstance(node.value, str):
            return node.value  # compared with a static parameter (expr_Compare), or refused
        raise self.p.error(node, f"constant {node.value!r} is not a number",
                           "only numbers can enter differentiable code")

    def expr_Attribute(self, node: ast.Attribute) -> Any:
        obj = self.static_object(node)
        if obj is not None:
            return self.constant(obj, ast.unparse(node), node)
        if isinstance(self.static_object(node.value), types.ModuleType):
            return None  # np.newaxis: None (a missing attribute was refused above)
        base = self.expr(node.value)
        attr = node.attr
        if isinstance(base, tuple) and attr in getattr(base, "_fields", ()):
            return getattr(base, attr)  # numpy's named results: np.linalg.eigh(A).eigenvalues
        if attr == "T":
            return Transpose(base, static(None))
        if attr == "shape":
            return Shape(base)
        if attr == "size":
            return Size(base)
        if attr == "ndim":
            return Ndim(base)
        if attr in ("data", "real"):
            return StopGradient(base) if attr == "data" else base
        raise self.p.error(node, f"attribute .{attr} is not supported",
                           "supported: .T .shape .size .ndim .data")
