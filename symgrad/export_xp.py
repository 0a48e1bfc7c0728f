"""The part of an exported module that runs on arrays of other libraries (torch, JAX, dask,
CuPy): the array-API form of the generated functions, their names suffixed ``_xp``, and the
public functions dispatching on the arguments' library.

numpy stays the exported module's only top-level import: array-api-compat is imported the
first time a function is called with another library's arrays, and a clear ImportError says
so when it is not installed. On numpy arrays the numpy functions run, as before.
"""

from __future__ import annotations

import ast
import io
import tokenize
from typing import Any

from symgrad.errors import SymgradError

_HEADER = '''

# ---------------------------------------------------------------- other array libraries
# On torch tensors, JAX, dask or CuPy arrays, the functions below (suffixed _xp) run in
# their array API form, in the caller's library: a dask array in, a dask array out, nothing
# computed. array-api-compat (pip install array-api-compat) finds each call's namespace.

_XP_xp = None  # the caller's namespace: where numbers alone make arrays
array_api_compat = None  # imported on the first call with another library's arrays


'''

_DISPATCH = '''

def _is_other_array(values):
    """Whether ``values`` hold an array of a library other than numpy."""
    for v in values:
        if isinstance(v, (tuple, list)):
            if _is_other_array(v):
                return True
        elif isinstance(v, dict):
            if _is_other_array(tuple(v.values())):
                return True
        elif not isinstance(v, (np.ndarray, np.generic, bool, int, float, complex)) and \\
                v is not None and (hasattr(type(v), "__array_namespace__") or
                                   type(v).__module__.split(".")[0] in
                                   ("torch", "jax", "jaxlib", "dask", "cupy")):
            return True
    return False


def _on_any_library(numpy_form, xp_form):
    """``numpy_form`` on numpy arrays and numbers, ``xp_form`` on another library's."""
    def call(*args, **kwargs):
        if not _is_other_array(args + tuple(kwargs.values())):
            return numpy_form(*args, **kwargs)
        global array_api_compat, _XP_xp
        try:
            import array_api_compat
        except ImportError:
            raise ImportError("this module runs on torch, JAX, dask and CuPy arrays through "
                              "array-api-compat: pip install array-api-compat") from None
        _XP_xp = _namespace_xp(*args, *kwargs.values())  # a float seed's library
        return xp_form(*args, **kwargs)

    call.__name__, call.__doc__ = numpy_form.__name__, numpy_form.__doc__
    return call


{assignments}
'''


def _renamed(source: str, names: set[str], suffix: str) -> str:
    """``source`` with every name in ``names`` (not an attribute) given ``suffix``; the
    comments and layout kept (tokens edited in place)."""
    lines = source.splitlines(True)
    edits: list[tuple[int, int, int]] = []  # (line, column, end column)
    previous = None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.string in names and \
                not (previous is not None and previous.string == "."):
            edits.append((tok.start[0], tok.start[1], tok.end[1]))
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            previous = tok
    for row, start, end in reversed(edits):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + line[start:end] + suffix + line[end:]
    return "".join(lines)


def array_api_part(g: Any, containers: frozenset[str]) -> str:
    """The exported module's other-libraries part, or "" when the generated code calls a
    numpy function the array API has no spelling for (the module is then numpy's alone)."""
    from symgrad.namespaces import to_array_api

    try:
        source = to_array_api(g._generated.source, g.fn.__name__, containers)
    except SymgradError:
        return ""
    tree = ast.parse(source)
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    body = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    start = body[0].lineno - 1 - len(body[0].decorator_list)
    text = "".join(source.splitlines(True)[start:])
    text = _renamed(text, defined | {"_XP"}, "_xp")
    gen = g._generated
    public = [gen.primal_name, gen.grad_name, gen.value_and_grad_name]
    assignments = "\n".join(f"{name} = _on_any_library({name}, {name}_xp)" for name in public)
    return _HEADER + text.rstrip("\n") + "\n" + _DISPATCH.format(assignments=assignments)
