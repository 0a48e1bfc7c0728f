"""A generated numpy module, rewritten for the Python array API standard (``xp.tanh``,
``xp.permute_dims``), so that it runs on dask, torch, JAX, CuPy and array-api-strict arrays.

The numpy module stays the one symgrad generates, shows and exports: it reads as numpy and
runs at numpy's speed. This rewrite is made from its text the first time a function is called
with arrays of another library (``GradFunction`` keys it by namespace): every function finds
its namespace from its arguments (``xp = _namespace(x, W)``, array-api-compat's), calls the
standard's spelling of each numpy function, and writes into arrays through ``_at_set`` and
``_at_add`` (a copy on JAX). What the standard lacks (``np.shape``, ``len`` of an array,
``x.copy()``, ``np.add.at``, bool arithmetic of a mask) goes through a helper of
``symgrad.xp_helpers`` copied into the module. The comments quoting the user's source are
kept. ``G.source_for(*args)`` shows the result; ``G.export`` writes it beside numpy's.
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

from symgrad.errors import SymgradError

# numpy's spelling -> the standard's (same name unless given)
_STANDARD = {name: name for name in (
    "exp log sin cos tan sinh cosh tanh sign abs log1p expm1 sqrt maximum minimum where sum "
    "mean prod max min matmul zeros ones zeros_like ones_like full broadcast_to reshape "
    "stack expand_dims squeeze clip floor ceil round square log2 log10 isnan isfinite isinf "
    "logical_and logical_or logical_not arange linspace eye std var argmax argmin sort "
    "argsort all any flip roll tile repeat take take_along_axis float64 float32 float16 int64 "
    "int32 bool nan inf pi e newaxis trunc hypot copysign negative positive multiply divide "
    "subtract add less greater equal not_equal less_equal greater_equal tril triu "
    "broadcast_arrays empty empty_like logaddexp reciprocal remainder floor_divide"
).split()}
_STANDARD.update({
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2",
    "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "concatenate": "concat",
    "power": "pow", "absolute": "abs", "true_divide": "divide", "amax": "max", "amin": "min",
    "cumsum": "cumulative_sum", "mod": "remainder", "fabs": "abs",
})
# numpy's spelling -> the helper of symgrad.xp_helpers that stands for it
_HELPED = {"shape": "_shape", "ndim": "_ndim", "size": "_size", "swapaxes": "_swapaxes",
           "transpose": "_transpose", "heaviside": "_heaviside", "einsum": "_einsum",
           "full_like": "_full_like", "broadcast": "_broadcast",
           "result_type": "_result_type", "asarray": "_asarray", "array": "_array"}
_KEPT = {"ndarray", "integer", "floating", "generic", "dtype", "errstate", "broadcast_shapes"}
_DEPENDS = {"_full_like": {"_namespace", "_asarray"}, "_swapaxes": {"_namespace"},
            "_transpose": {"_namespace"}, "_heaviside": {"_namespace"},
            "_einsum": {"_namespace", "_library"}, "_scatter_add": {"_namespace", "_library", "_at_add", "_scatter_add_by_matmul"},
            "_scatter_add_by_matmul": {"_namespace"},
            "_broadcast_size": {"_shape"}, "_size": {"_shape"},
            "_broadcast": {"_shape", "_Broadcast"}, "_result_type": {"_namespace"},
            "_zeros_shaped": {"_namespace"}, "_float_mask": {"_namespace"}, "_copy": {"_namespace"},
            "_asarray": {"_namespace"}, "_len": set(), "_array": {"_asarray", "_copy"}}


class _Unsupported(Exception):
    pass


def _np_attr(node: Any) -> str | None:
    """``"tanh"`` for ``np.tanh``, ``"add.at"`` for ``np.add.at``; else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id == "np" and parts:
        return ".".join(reversed(parts))
    return None


def _name(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


class _Rewrite(ast.NodeTransformer):
    """numpy spellings -> the standard's, in expressions; records the helpers it calls."""

    def __init__(self, containers: set[str]) -> None:
        self.used: set[str] = set()
        self.uses_xp = 0  # how many xp.<name> it wrote
        self.flat = True  # rewrite x[t] as x[t, ...] (not in helpers: they index shapes)
        self.containers = containers  # names of tuples, lists and dicts: indexed as such
        self.masks: set[str] = set()  # names bound to boolean masks in the function so far

    def is_mask(self, node: ast.expr) -> bool:
        """A boolean array by its form: a comparison, ``~m``, ``m & n``, a mask's name."""
        if isinstance(node, ast.Compare):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.masks
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
            return self.is_mask(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            return self.is_mask(node.left) and self.is_mask(node.right)
        return False

    def _float_mask(self, mask: ast.expr, like: ast.expr | None) -> ast.expr:
        self.used.add("_float_mask")
        like = like if isinstance(like, ast.Name) else None  # (read twice: a name only)
        return ast.Call(ast.Name("_float_mask", ast.Load()),
                        [mask] + ([like] if like is not None else []), [])

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        """A mask in arithmetic (``(x > 0)*g``) as 0 and 1: the standard has no bool
        arithmetic (numpy, torch, JAX and dask have it; array-api-strict refuses it)."""
        left, right = self.is_mask(node.left), self.is_mask(node.right)
        node = self.generic_visit(node)
        if isinstance(node.op, (ast.Mult, ast.Div, ast.Add, ast.Sub)) and left != right:
            if left:
                node.left = self._float_mask(node.left, node.right)
            else:
                node.right = self._float_mask(node.right, node.left)
        return node

    def _flat_index(self, node: ast.Subscript) -> bool:
        """``x[t]`` of an array: the standard wants ``x[t, ...]`` for an array of more axes."""
        index = node.slice
        return self.flat and isinstance(node.value, ast.Name) and \
            node.value.id not in self.containers and \
            not isinstance(index, ast.Tuple) and \
            not (isinstance(index, ast.Constant) and not isinstance(index.value, int)) and \
            isinstance(node.ctx, ast.Load)

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        if _np_attr(node.value) == "s_":  # np.s_[a:b] -> slice(a, b)
            parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            items = [ast.Call(ast.Name("slice", ast.Load()),
                              [p.lower or ast.Constant(None), p.upper or ast.Constant(None),
                               p.step or ast.Constant(None)], [])
                     if isinstance(p, ast.Slice) else p for p in parts]
            return self.visit(items[0] if len(items) == 1 else ast.Tuple(items, ast.Load()))
        if self._flat_index(node):
            node.slice = ast.Tuple([node.slice, ast.Constant(...)], ast.Load())
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> Any:
        name = _np_attr(node.func)
        if name in ("sum", "mean") and node.args and self.is_mask(node.args[0]):
            node = self.generic_visit(node)  # a count of a mask: of its 0s and 1s
            node.args[0] = self._float_mask(node.args[0], None)
            return node
        if isinstance(node.func, ast.Name) and node.func.id == "len" and len(node.args) == 1:
            self.used.add("_len")  # (array-api-strict's arrays have no len)
            node.func = ast.Name("_len", ast.Load())
            return self.generic_visit(node)
        if name == "zeros" and len(node.args) == 1 and not node.keywords and \
                isinstance(node.args[0], ast.Call) and _np_attr(node.args[0].func) == "shape" \
                and len(node.args[0].args) == 1:  # np.zeros(np.shape(W)): W's chunks, device
            self.used.add("_zeros_shaped")
            return ast.Call(ast.Name("_zeros_shaped", ast.Load()),
                            [self.visit(node.args[0].args[0])], [])
        if isinstance(node.func, ast.Attribute) and node.func.attr == "copy" and \
                not node.args and not node.keywords:  # x.copy(): the standard has no method
            self.used.add("_copy")
            return ast.Call(ast.Name("_copy", ast.Load()), [self.visit(node.func.value)], [])
        if name in ("empty", "zeros") and any(k.arg == "dtype" and isinstance(k.value, ast.Name)
                                              and k.value.id == "object" for k in node.keywords):
            return node  # an object array holds a container's gradients: numpy's own
        if name in ("zeros", "ones", "full") and not any(k.arg == "dtype" for k in node.keywords):
            self.uses_xp += 1
            node.keywords.append(ast.keyword("dtype", _name("xp.float64")))
        for k in node.keywords:
            if k.arg == "dtype" and isinstance(k.value, ast.Name) and k.value.id == "float":
                self.uses_xp += 1
                k.value = _name("xp.float64")
        return self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        if isinstance(node.value, ast.Call) and _np_attr(node.value.func) == "broadcast" and \
                node.attr == "size":  # np.broadcast(a, b).size
            self.used.add("_broadcast_size")
            call = node.value
            return ast.Call(ast.Name("_broadcast_size", ast.Load()),
                            [self.visit(a) for a in call.args], [])
        name = _np_attr(node)
        if name is None:
            return self.generic_visit(node)
        if name in _KEPT:
            return node
        if name in _STANDARD:
            self.uses_xp += 1
            return _name(f"xp.{_STANDARD[name]}")
        if name in _HELPED:
            self.used.add(_HELPED[name])
            return ast.Name(_HELPED[name], ast.Load())
        if name.startswith("linalg."):
            self.uses_xp += 1
            return _name(f"xp.{name}")
        raise _Unsupported(f"np.{name}")


def _writes(stmt: ast.stmt, rewrite: _Rewrite) -> ast.stmt | None:
    """``a[i] = v`` -> ``a = _at_set(a, i, v)``, ``a[i] += v`` -> ``a = _at_add(a, i, v)``,
    ``np.add.at(a, i, v)`` -> ``a = _scatter_add(a, i, v)``; None for any other statement."""
    def assign(target: ast.expr, helper: str, index: ast.expr, value: ast.expr) -> ast.stmt:
        rewrite.used.add(helper)
        load = ast.Name(target.id, ast.Load()) if isinstance(target, ast.Name) else target
        return ast.Assign([target], ast.Call(ast.Name(helper, ast.Load()),
                                             [load, index, value], []))

    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], ast.Subscript) and \
            isinstance(stmt.targets[0].value, ast.Name):
        t = stmt.targets[0]
        return assign(ast.Name(t.value.id, ast.Store()), "_at_set", t.slice, stmt.value)
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Subscript) and \
            isinstance(stmt.target.value, ast.Name) and isinstance(stmt.op, ast.Add):
        t = stmt.target
        return assign(ast.Name(t.value.id, ast.Store()), "_at_add", t.slice, stmt.value)
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
            _np_attr(stmt.value.func) == "add.at" and len(stmt.value.args) == 3 and \
            isinstance(stmt.value.args[0], ast.Name):
        a, i, v = stmt.value.args
        return assign(ast.Name(a.id, ast.Store()), "_scatter_add", i, v)
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        # grad_W += g: a new array (JAX's are immutable; the buffer is the gradient's own)
        return ast.Assign([ast.Name(stmt.target.id, ast.Store())],
                          ast.BinOp(ast.Name(stmt.target.id, ast.Load()), stmt.op, stmt.value))
    return None


def _params(fn: ast.FunctionDef) -> list[str]:
    a = fn.args
    return [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs] + \
        ([a.vararg.arg] if a.vararg else [])


def _container_names(tree: ast.Module) -> set[str]:
    """Names the module binds to a tuple, list or dict (``tape = []``, ``hs = list(...)``)."""
    makers = (ast.List, ast.Tuple, ast.Dict, ast.ListComp, ast.DictComp)
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and (isinstance(node.value, makers) or
                                             isinstance(node.value, ast.Call) and
                                             isinstance(node.value.func, ast.Name) and
                                             node.value.func.id in ("list", "tuple", "dict")):
            out |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return out


def to_array_api(source: str, what: str, containers: frozenset[str] = frozenset()) -> str:
    """The array-API form of the generated numpy module ``source`` (``what`` names it in
    errors; ``containers``: the parameters given tuples, lists or dicts); a SymgradError
    names the numpy function that has no array-API spelling."""
    tree = ast.parse(source)
    lines = source.splitlines()
    rewrite = _Rewrite(set(containers) | _container_names(tree))
    edits: list[tuple[int, int, list[str]]] = []  # (first line, last line, new lines), 1-based

    def replace(stmt: ast.stmt, new: ast.stmt) -> None:
        indent = lines[stmt.lineno - 1][:len(lines[stmt.lineno - 1]) -
                                         len(lines[stmt.lineno - 1].lstrip())]
        text = ast.unparse(ast.fix_missing_locations(new))
        edits.append((stmt.lineno, stmt.end_lineno, [indent + t for t in text.splitlines()]))

    def header(stmt: ast.stmt) -> None:
        """A compound statement's first line, rewritten when its expressions change."""
        before = ast.dump(stmt)
        shell = type(stmt)(**{f: getattr(stmt, f) for f in stmt._fields})
        for f in ("body", "orelse"):
            if hasattr(shell, f):
                setattr(shell, f, [ast.Pass()])
        if isinstance(shell, (ast.For, ast.While, ast.If)):
            shell.orelse = []
        for f in ("test", "iter", "target"):
            if hasattr(shell, f):
                setattr(shell, f, rewrite.visit(getattr(shell, f)))
        if ast.dump(shell) != before and stmt.body[0].lineno == stmt.lineno + 1:
            first = ast.unparse(ast.fix_missing_locations(shell)).splitlines()[0]
            old = lines[stmt.lineno - 1]
            indent = old[:len(old) - len(old.lstrip())]
            if old.lstrip().startswith("elif ") and first.startswith("if "):
                first = "el" + first
            edits.append((stmt.lineno, stmt.lineno, [indent + first]))

    def body(stmts: list[ast.stmt]) -> None:
        for s in stmts:
            if isinstance(s, (ast.For, ast.While, ast.If, ast.With)):
                header(s)
                body(s.body)
                body(getattr(s, "orelse", []))
                continue
            if isinstance(s, (ast.FunctionDef, ast.ClassDef)):
                continue
            if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
                continue  # a docstring
            before = ast.dump(s)
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                    isinstance(s.targets[0], ast.Name):
                (rewrite.masks.add if rewrite.is_mask(s.value) else rewrite.masks.discard)(
                    s.targets[0].id)
            new = _writes(s, rewrite)
            new = rewrite.visit(new if new is not None else s)
            if new is not s or ast.dump(new) != before:
                replace(s, new)

    try:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                first = node.body[0]
                doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                at = first.end_lineno if doc else node.body[0].lineno - 1
                indent = " " * (node.col_offset + 4)
                before, rewrite.flat = rewrite.uses_xp, not node.name.startswith("_")
                rewrite.masks = set()
                body(node.body)
                if rewrite.uses_xp > before:  # its namespace, from its arguments
                    edits.append((at + 1, at,
                                  [f"{indent}xp = _namespace({', '.join(_params(node))})"]))
    except _Unsupported as unsupported:
        raise SymgradError(
            f"{what}: the generated code calls {unsupported}, which has no array API "
            "spelling symgrad knows: it runs on numpy arrays only",
            hint="pass numpy arrays (np.asarray(x)), or write the function with functions "
            "of the array API standard") from None
    rewrite.used.add("_namespace")
    while True:  # the helpers the helpers call, to the last
        more = set().union(*(_DEPENDS.get(name, set()) for name in rewrite.used))
        if more <= rewrite.used:
            break
        rewrite.used |= more
    for first, last, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[first - 1:last] = new
    text = "\n".join(lines) + "\n"
    from symgrad import xp_helpers

    helpers = "".join("\n\n" + inspect.getsource(getattr(xp_helpers, h)).rstrip() + "\n"
                      for h in sorted(rewrite.used))
    # after the imports: the namespace line and the helpers standing in for numpy's
    head, sep, rest = text.partition("import numpy as np\n")
    text = head + sep + "import array_api_compat  # the array namespace of the arguments\n" + \
        helpers + "\n" + rest
    ast.parse(text)
    return text
