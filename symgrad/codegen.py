"""SymPy adjoints -> the text of a standalone numpy module (numpy is its only import, and
scipy.special where the user's function called it)."""

from __future__ import annotations

import ast
import json
import re
import textwrap
from typing import Any

import numpy as np
import sympy as sp

from symgrad.adjoint.memory import allocates
from symgrad.adjoint.program import Adjoint, BIf, MemoryPlan, Stmt, Tape, backward_reads
from symgrad.adjoint.tangent import TangentProgram
from symgrad.cse import cse, xreplaced
from symgrad.errors import SymgradError
from symgrad.frontend.common import UNBOUND
from symgrad.frontend.ir import Assign, If, Loop, Names, defines, reads, walk
from symgrad.generated import Generated, Scanned, VjpModule, check_module, scan
from symgrad.helper_sources import helper_closure, helper_sources
from symgrad.printer import NumpyPrinter
from symgrad.rules import masks, vjp_rule
from symgrad.rules.base import free_symbols
from symgrad.rules.indexing import SetItem, format_index_part
from symgrad.rules.operators import StopGradient

INDENT = "    "


def generate(adj: Adjoint, specialised: str = "") -> Generated:
    """The module of ``adj``; ``specialised`` says for which arguments (the header's)."""
    fn = adj.fn
    printer = _Remembering(NumpyPrinter(is_scalar=adj.is_scalar, arrays=adj.arrays))
    names = Names(adj.names)
    names.add("np")
    seed_param = names.fresh("seed")
    temp_names = _temp_names(names)
    # a parameter not differentiated may be a bool array (a mask passed in)
    bools = _mask_names(adj.forward, {p.name for p in fn.params} - set(adj.wrt))

    params = ", ".join(
        p.name + (f"={p.default}" if p.has_default else "") for p in fn.params
    )
    seed_default = "1.0" if len(adj.seeds) == 1 else "(" + ", ".join(["1.0"] * len(adj.seeds)) + ")"
    grad_params = f"{params}, {seed_param}={seed_default}" if params else \
        f"{seed_param}={seed_default}"

    forward = [Stmt(s.target, s.expr, []) for s in adj.forward if isinstance(s, Assign)]
    returns = fn.returns
    value = f"({', '.join(returns)},)" if fn.returns_tuple and len(returns) == 1 else \
        ", ".join(returns)

    seed_stmt = ", ".join(adj.seeds) + f" = {seed_param}"
    grads = ", ".join(adj.grads)
    backward_needed = _needed(adj.backward, forward, extra=set()) if fn.straight_line else []

    wrt = ", ".join(adj.wrt)
    out_doc = "outputs" if len(adj.seeds) > 1 else \
        "first output (the others are aux)" if len(returns) > 1 else "output"
    docs = [f"The primal {fn.name}, as symgrad understood it.",
            f"Gradient of {fn.name} with respect to {wrt}; `{seed_param}` is the "
            f"cotangent of the {out_doc}.",
            f"({fn.name}(...), {fn.name}_grad(...)) in one pass."]
    both = f"{value if len(returns) == 1 else '(' + value + ')'}, " \
        f"{grads if len(adj.grads) == 1 else '(' + grads + ')'}"
    if fn.straight_line and adj.arrays:
        printer.numpy_names = _numpy_names(adj, forward, printer)
    if fn.straight_line:
        both_cse = _cse([s.expr for s in forward + adj.backward], temp_names())
        renamed: dict = {}  # (the gradient and value_and_grad rename the same temporaries)
        funcs = [
            _function(fn.name, params, forward, [], value, printer, temp_names, docs[0],
                      bools=bools),
            _function(f"{fn.name}_grad", grad_params, backward_needed, adj.backward,
                      grads, printer, temp_names, docs[1], seed_stmt, adj.seeds, adj.inlined,
                      bools, _cse_of_part(both_cse, forward, backward_needed), renamed),
            _function(f"{fn.name}_value_and_grad", grad_params, forward, adj.backward, both,
                      printer, temp_names, docs[2], seed_stmt, adj.seeds, adj.inlined, bools,
                      both_cse, renamed),
        ]
    else:
        emit = _Structured(adj, printer, temp_names, names, bools)
        funcs = [
            emit.function(fn.name, params, False, False, value, docs[0]),
            emit.function(f"{fn.name}_grad", grad_params, True, True, grads, docs[1],
                          seed_stmt),
            emit.function(f"{fn.name}_value_and_grad", grad_params, False, True, both,
                          docs[2], seed_stmt, values=returns),
        ]
    text = _module_text(fn, printer, funcs, "Gradient code", specialised)
    constants = json.dumps([[name, *fn.constant_origins.get(name, ("", "", name))]
                            for name in fn.constants])
    return Generated(text, fn.name, f"{fn.name}_grad", f"{fn.name}_value_and_grad", seed_param,
                     constants)


class _Remembering:
    """A printer that prints each distinct statement once: the primal, the gradient and
    value_and_grad print the same forward and backward statements (on a long function,
    printing them three times was a tenth of the transformation)."""

    def __init__(self, printer: NumpyPrinter) -> None:
        self._printer = printer
        self._texts: dict[Any, str] = {}

    def statement(self, expr: Any) -> str:
        # (a temporary's name means another value in another function: what is known of
        # the ones it reads is part of the key)
        temps = self._printer.numpy_temps
        if temps and isinstance(expr, sp.Basic):
            temps = temps.intersection(x.name for x in free_symbols(expr))
        key = (expr, temps) if temps else expr
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = self._printer.statement(expr)
        return text

    def __getattr__(self, name: str) -> Any:
        return getattr(self._printer, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:  # (what is known of the names: the printer's)
            setattr(self._printer, name, value)


def _module_text(fn: Any, printer: NumpyPrinter, funcs: list[str], what: str,
                 specialised: str = "") -> str:
    """A standalone module: numpy, the global arrays the code reads, the helpers it calls,
    then ``funcs``; checked to parse and to name only what it defines."""
    header = [
        f'"""{what} for `{fn.name}`{specialised}, generated by symgrad from {fn.filename}."""',
        "",
        "import numpy as np",
        *[f"import {m}" for m in sorted(printer.imports)],
        "",
    ]
    for name, value_ in fn.constants.items():
        array = np.asarray(value_)
        literal = re.sub(r"\b(nan|inf)\b", r"np.\1", repr(array.tolist()))
        dtype = "" if np.array(array.tolist()).dtype == array.dtype else \
            f", dtype=np.{array.dtype.name}"
        header.append(f"{name} = np.array({literal}{dtype})")
    text = "\n".join(header) + "\n"
    used = helper_closure(printer.helpers)
    sources = helper_sources()
    for h in used:
        text += "\n" + sources[h] + "\n"
    for source in printer.sources.values():  # custom rules' functions, as the user wrote them
        text += "\n\n" + source.rstrip() + "\n\n"
    text += "\n"
    first_line = text.count("\n") + 1  # where funcs start: parsed once, with the module
    text += "\n\n".join(funcs)
    scanned = scan(text)
    _check_no_shadowing(fn, [s for s in scanned if s.stmt.lineno >= first_line], set(used))
    check_module(text, fn.name, fn.filename, fn.firstlineno, scanned=scanned)
    return text


def _check_no_shadowing(fn: Any, funcs: list[Scanned], helper_names: set[str]) -> None:
    """A parameter or variable of the user's named like a helper that the same generated
    function calls (say ``_sum_to``) would hide the helper there: refused, naming it."""
    for func in funcs:
        clash = sorted((func.args | func.stored) & func.called & helper_names)
        if clash:
            raise SymgradError(
                f"the name {clash[0]!r} in {fn.name} is also the name of a helper function "
                "that symgrad's generated code calls, which it would hide",
                filename=fn.filename, lineno=fn.firstlineno,
                hint=f"rename {clash[0]!r} (say, to {clash[0].lstrip('_') + '_'!r})")


def _tangent_emitter(tp: TangentProgram) -> tuple[NumpyPrinter, Names, _Structured]:
    """The printer, names and statement emitter of a forward-mode program's module."""
    printer = NumpyPrinter(is_scalar=tp.is_scalar)
    names = Names(tp.names)
    names.add("np")
    adj = Adjoint(tp.fn, tp.wrt, tp.program, [], [], [], tp.names, tp.inlined, tp.is_scalar,
                  tp.plan)
    bools = _mask_names(tp.program, {p.name for p in tp.fn.params} - set(tp.wrt))
    return printer, names, _Structured(adj, printer, _temp_names(names), names, bools)


def generate_jvp(tp: TangentProgram, suffix: str = "jvp", doc: str = "",
                 tangent_only: bool = False) -> tuple[str, str]:
    """The module text of a forward-mode program and its function's name (``f_jvp``):
    ``f_jvp(x, ..., dx, ...)`` returns the outputs and their tangents, as ``jax.jvp``
    (``tangent_only``: the first output's tangent alone)."""
    fn = tp.fn
    printer, names, emit = _tangent_emitter(tp)
    required = [p.name for p in fn.params if not p.has_default]
    optional = [f"{p.name}={p.default}" for p in fn.params if p.has_default]
    tangents = list(tp.tangent_params)
    params = ", ".join(required + tangents + optional) if not optional else \
        ", ".join(required + optional + ["*"] + tangents)

    def group(items: list[str]) -> str:
        if fn.returns_tuple:
            return f"({', '.join(items)},)" if len(items) == 1 else f"({', '.join(items)})"
        return items[0]

    name = names.fresh(f"{fn.name}_{suffix}")
    wrt = ", ".join(tp.wrt)
    doc = doc or (f"{fn.name} and its tangent along ({', '.join(tangents)}), the tangents "
                  f"of {wrt}: forward mode, no tape.")
    if tangent_only:
        returns = tp.tangents[0]
    else:
        aux = f", {group(tp.aux) if len(tp.aux) > 1 else tp.aux[0]}" if tp.aux else ""
        outputs = tp.outputs[0] if tp.aux else group(tp.outputs)
        tangents_out = tp.tangents[0] if tp.aux else group(tp.tangents)
        returns = f"{outputs}, {tangents_out}{aux}"
    func = emit.function(name, params, False, False, returns, doc)
    return _module_text(fn, printer, [func], "Forward-mode (jvp) code"), name


def generate_hessian(tp: TangentProgram, doc: str) -> tuple[str, str]:
    """The module text of a batched forward-over-reverse program (``f_hessian(x, ...)``,
    its directions made inside) and its function's name."""
    fn = tp.fn
    printer, names, emit = _tangent_emitter(tp)
    params = [p.name if not p.has_default else f"{p.name}={p.default}" for p in fn.params]
    name = names.fresh(f"{fn.name}_hessian")
    rows = ", ".join(tp.tangents) + ("," if len(tp.tangents) == 1 and fn.returns_tuple else "")
    func = emit.function(name, ", ".join(params), False, False, rows, doc)
    return _module_text(fn, printer, [func], "Hessian code"), name


def vjp_module(op: str, static: dict[str, Any]) -> VjpModule:
    """The eager Tensor's backward of ``op``: the rule table's cotangents, printed as the
    gradient statements of a generated module are (shared subexpressions, masks as numbers,
    the helpers it calls copied in), as a module defining ``vjp(g, x0, ..., out)``."""
    rule = vjp_rule(op, static)
    label = f"{op}({', '.join(f'{k}={v!r}' for k, v in static.items())})"
    printer = NumpyPrinter()
    names = Names(rule.params)
    names.add("np")
    stmts, returns = [], []
    for x, expr in zip(rule.inputs, rule.grads, strict=True):
        if expr is None:
            returns.append("None")
            continue
        returns.append(names.fresh(f"grad_{x}"))
        stmts.append(Stmt(returns[-1], expr, []))
    value = f"({', '.join(returns)}{',' if len(returns) == 1 else ''})"
    doc = f"The cotangents of {', '.join(rule.inputs)} from g, the output's."
    func = _function("vjp", ", ".join(rule.params), [], stmts, value, printer,
                     _temp_names(names), doc)
    text = f'"""The eager backward of `{label}`, generated by symgrad from its rule."""\n\n' \
        "import numpy as np\n" + "".join(f"import {m}\n" for m in sorted(printer.imports))
    sources = helper_sources()
    for h in helper_closure(printer.helpers):
        text += "\n\n" + sources[h]
    text += "\n\n" + func
    check_module(text, f"the derivative of {label}")
    return VjpModule(text, label, json.dumps([sorted(r) for r in rule.reads]))


def _temp_names(names: Names) -> Any:
    """A maker of cse's temporaries, ``t0``, ``t1``, ...: none is a name the module uses."""
    def gen() -> Any:
        return (sp.Symbol(name, real=True) for name in names.numbered("t"))

    return gen


def _needed(backward: list[Stmt], forward: list[Stmt], extra: set[str]) -> list[Stmt]:
    """The forward statements the backward statements read, in order."""
    need = set(extra) | {s.target for s in forward if _kept(s)}
    for s in backward:
        need |= {x.name for x in free_symbols(s.expr)}
    out = []
    for s in reversed(forward):
        if s.target in need:
            out.append(s)
            need |= {x.name for x in free_symbols(s.expr)}
    return list(reversed(out))


def _cse_of_part(both: tuple, forward: list[Stmt], needed: list[Stmt]) -> tuple | None:
    """The gradient's cse, read off value_and_grad's (``both``, of forward + backward), or
    None where it may differ.

    The gradient computes only the ``needed`` forward statements; where every forward
    statement it leaves out was left whole by cse (no temporary in it), none of their
    subexpressions was counted as shared, and cse of the rest gives the same temporaries.
    """
    replacements, reduced = both
    keep = {id(s) for s in needed}
    temps = {t for t, _ in replacements}
    dropped = [i for i, s in enumerate(forward) if id(s) not in keep]
    if any(reduced[i] != forward[i].expr or free_symbols(reduced[i]) & temps for i in dropped):
        return None
    skip = set(dropped)
    return replacements, [e for i, e in enumerate(reduced) if i not in skip]


def _cse(exprs: list[Any], symbols: Any) -> tuple[list, list]:
    """``sympy.cse``, except that an expression it would rebuild without some of its symbols
    is kept out of it, as written: rebuilding re-evaluates, and ``s - u - (-u - s)`` loses u,
    and with it u's broadcast (a primal of value_and_grad summed over the wrong shape)."""
    replacements, reduced = cse(exprs, symbols)
    defs, leaves_of = dict(replacements), {}

    def leaves(expr: Any) -> set:
        out: set = set()
        for x in free_symbols(expr):
            if x in defs:
                if x not in leaves_of:
                    leaves_of[x] = leaves(defs[x])
                out |= leaves_of[x]
            else:
                out.add(x)
        return out

    kept = {i: sp.Dummy() for i, (e, r) in enumerate(zip(exprs, reduced, strict=True))
            if not free_symbols(e) <= leaves(r)}
    if not kept:
        return replacements, reduced
    replacements, reduced = cse([kept.get(i, e) for i, e in enumerate(exprs)], symbols)
    return replacements, [exprs[i] if i in kept else e for i, e in enumerate(reduced)]


def _function(name: str, params: str, forward: list[Stmt], backward: list[Stmt], returns: str,
              printer: NumpyPrinter, temp_names: Any, doc: str, seed_stmt: str | None = None,
              seeds: list[str] | None = None, inlined: dict | None = None,
              bools: frozenset = frozenset(), cse: tuple | None = None,
              renamed: dict | None = None) -> str:
    """``renamed``: `_name_temps`'s memo, shared by the functions of one module."""
    stmts = forward + backward
    exprs = [s.expr for s in stmts]
    if backward:
        replacements, reduced = cse or _cse(exprs, temp_names())
        replacements, reduced = _name_temps(replacements, reduced, stmts, params, inlined or {},
                                            renamed)
    else:
        replacements, reduced = [], exprs
    replacements, reduced = _masks_as_numbers(replacements, reduced, bools)
    _know_temps(printer, replacements)
    placed = _place_temps(replacements, reduced)
    lines = [f"def {name}({params}):", f'{INDENT}"""{doc}"""']
    seed_names = set(seeds or [])
    read = {x.name for e in [*reduced, *(e for _, e in replacements)] for x in free_symbols(e)}
    seeds_used = seed_stmt is not None and bool(seed_names & read)
    for i, (s, expr) in enumerate(zip(stmts, reduced, strict=True)):
        if i == len(forward) and seeds_used:
            lines.append(f"{INDENT}{seed_stmt}")
        for c in dict.fromkeys(c.strip() for c in s.comment if c.strip()):
            if f"{INDENT}# {c}" not in lines[-3:]:  # two values of one source line
                lines.append(f"{INDENT}# {c}")
        for t, texpr in placed.get(i, []):
            lines.append(f"{INDENT}{_text(t)} = {printer.statement(texpr)}")
        lines.append(f"{INDENT}{_assignment(s.target, expr, printer)}")
    if len(stmts) == len(forward) and seeds_used:
        lines.append(f"{INDENT}{seed_stmt}")
    lines.append(f"{INDENT}return {returns}")
    return "\n".join(lines) + "\n"


def _text(temp: Any) -> str:
    """``str(temp)``: a symbol's name (``str`` makes a StrPrinter at each call)."""
    return temp.name if type(temp) is sp.Symbol else str(temp)


def _assignment(target: str, expr: Any, printer: NumpyPrinter) -> str:
    """``target = expr``, or the statement itself (an ``assert``) where expr is one."""
    if getattr(expr, "is_statement", False):
        return printer.statement(expr)
    return f"{target} = {printer.statement(expr)}"


def _numpy_names(adj: Adjoint, forward: list[Stmt], printer: NumpyPrinter) -> frozenset:
    """The names of a straight-line rank-specialised module bound to numpy values for sure
    (``NumpyPrinter.is_numpy``): its array arguments, its constants (np.array literals) and
    each value every assignment of which computes one, given the others (the largest such
    set: a name assigned twice must be one both times). Never a seed: the cotangent
    argument may be a Python float."""
    defs: dict[str, list] = {}
    for s in forward + adj.backward:
        defs.setdefault(s.target, []).append(None if s.augment or s.index else s.expr)
    outside = {p.name for p in adj.fn.params} | set(adj.seeds) | set(adj.fn.constants)
    names = set(adj.arrays) | set(adj.fn.constants) | (defs.keys() - outside)
    changed = True
    while changed:
        printer.numpy_names = frozenset(names)
        changed = False
        for target, exprs in defs.items():
            if target in names and not all(e is not None and printer.is_numpy(e) for e in exprs):
                names.discard(target)
                changed = True
    return frozenset(names)


def _know_temps(printer: NumpyPrinter, replacements: list) -> None:
    """The cse temporaries (in order) that name numpy values, for ``is_numpy``."""
    printer.know_temps(replacements)


def _kept(s: Any) -> bool:
    """A statement every function keeps, read or not: an ``assert``."""
    return getattr(s.expr, "is_statement", False)


def _name_temps(replacements: list, reduced: list, stmts: list[Stmt], params: str,
                inlined: dict, memo: dict | None = None) -> tuple[list, list]:
    """A shared subexpression that is a value the user named (``y = x + 2``) gets that name.
    ``memo``: the expressions renamed, by expression and the renames it reads (the gradient
    and value_and_grad rename the same ones; renaming re-evaluates each node)."""
    taken = {s.target for s in stmts} | set(re.findall(r"\w+", params))
    taken |= {x.name for e in [*reduced, *(e for _, e in replacements)] for x in free_symbols(e)}
    rename = {}
    for t, texpr in replacements:
        user = inlined.get(texpr)
        if user is not None and user not in taken:
            taken.add(user)
            rename[t] = sp.Symbol(user, real=True)
    if not rename:
        return replacements, reduced
    renamed = rename.keys()
    memo = {} if memo is None else memo
    nodes = dict(rename)

    def apply(e: Any) -> Any:  # (xreplace walks the whole expression, even to change nothing)
        read = free_symbols(e) & renamed
        if not read:
            return e
        key = (e, frozenset((t, rename[t]) for t in read))
        out = memo.get(key)
        if out is None:
            out = memo[key] = xreplaced(e, nodes)
        return out

    return [(rename.get(t, t), apply(e)) for t, e in replacements], [apply(e) for e in reduced]


def _mask_names(forward: list[Any], inputs: set[str]) -> frozenset:
    """The values of ``forward`` numpy may compute as bool arrays: masks, names of them,
    and the ``inputs`` (which may be passed as bool arrays)."""
    names = {sp.Symbol(p, real=True) for p in inputs}
    for s in walk(forward):
        if isinstance(s, Assign) and masks.bool_valued(s.expr, frozenset(names)):
            names.add(sp.Symbol(s.target, real=True))
    return frozenset(names)


def _masks_as_numbers(replacements: list, reduced: list, bools: frozenset) -> tuple[list, list]:
    """The printed expressions, after cse, with every mask used as a number counted as one
    (``masks.as_numbers``): numpy refuses ``-m`` and ``m1 - m2`` and computes ``m1 + m2`` as
    their or. After cse, since cse can pull a mask out into a temp (``t0 = x > 0``) and
    leave ``-t0*y`` behind; a temp is a mask where what it names is one."""
    names = set(bools)
    fixed = []
    for t, texpr in replacements:
        fixed.append((t, masks.as_numbers(texpr, frozenset(names))))
        if masks.bool_valued(texpr, frozenset(names)):
            names.add(t)
    return fixed, [masks.as_numbers(e, frozenset(names)) for e in reduced]


def _place_temps(replacements: list[tuple[Any, Any]], reduced: list[Any]) -> dict[int, list]:
    """Put each common subexpression right before the first statement that needs it."""
    first: dict[Any, int] = {}
    for i, e in enumerate(reduced):
        for x in free_symbols(e):
            first.setdefault(x, i)
    for t, texpr in reversed(replacements):
        if t not in first:
            continue
        for x in free_symbols(texpr):
            first[x] = min(first.get(x, first[t]), first[t])
    placed: dict[int, list] = {}
    for t, texpr in replacements:
        if t in first:
            placed.setdefault(first[t], []).append((t, texpr))
    return placed


class _Structured:
    """Module text for a function with branches and loops: the structure is kept.

    The forward pass records on a list (the tape) what each loop iteration's backward reads;
    the backward pass walks the same branches and the iterations in reverse. Each straight
    run of statements gets its own common-subexpression elimination.
    """

    def __init__(self, adj: Adjoint, printer: NumpyPrinter, temp_names: Any,
                 names: Names, bools: frozenset) -> None:
        self.adj = adj
        self.names = names  # every name the module uses (fresh names are added)
        self.printer = printer
        self.temp_names = temp_names
        self.temps = temp_names()
        self.rename = _phi_names(adj.forward)
        self.join_rename = dict(self.rename)
        self.plan = adj.plan
        for a in walk(adj.forward):
            if isinstance(a, Assign) and a.target in self.plan.in_place:
                base = a.expr.args[0].name  # the new version is the array itself
                self.rename[a.target] = self.rename.get(base, base)
        self.bools = bools | {sp.Symbol(self.n(b.name), real=True) for b in bools}

    # -------------------------------------------------------------- helpers

    def r(self, expr: Any, versions: bool = True) -> Any:
        """The expression with branch values named after the join they flow into, and (unless
        ``versions`` is false) the versions of an array written in place named after it."""
        rename = self.rename if versions else self.join_rename
        if not rename or not expr.free_symbols:
            return expr
        return expr.xreplace({sp.Symbol(a, real=True): sp.Symbol(b, real=True)
                              for a, b in rename.items()
                              if sp.Symbol(a, real=True) in expr.free_symbols})

    def n(self, name: str) -> str:
        return self.rename.get(name, name)

    def taped(self, tape: Tape) -> list[str]:
        """The printed names a loop tapes (joined names print once)."""
        return list(dict.fromkeys(self.n(n) for n in tape.taped))

    def text(self, expr: Any) -> str:
        return self.printer.statement(self.r(expr))

    def cond(self, expr: Any) -> str:
        expr = self.r(expr)
        if isinstance(expr, StopGradient):
            expr = expr.args[0]
        return self.printer.statement(expr)

    def run(self, stmts: list[Stmt], ind: str) -> list[str]:
        """A straight run of assignments, sharing subexpressions among themselves."""
        if not stmts:
            return []
        # versions of an array written in place share its name only after cse: before, h[t]
        # read ahead of a write and h[t] read after it are different values
        exprs = [self.r(s.expr, versions=False) for s in stmts]
        # a fresh array that is then accumulated into (grad += ...) must stay its own array:
        # keep allocations out of cse, which would share two equal np.zeros(...) between names
        fresh = {i: sp.Dummy() for i, e in enumerate(exprs) if allocates(e)}
        replacements, reduced = _cse([fresh.get(i, e) for i, e in enumerate(exprs)],
                                     self.temps)
        reduced = [exprs[i] if i in fresh else e for i, e in enumerate(reduced)]
        replacements, reduced = _name_temps(replacements, reduced,
                                            [Stmt(self.n(s.target), e) for s, e in
                                             zip(stmts, exprs, strict=True)], "",
                                            self.adj.inlined)
        replacements = [(t, self.r(e)) for t, e in replacements]
        reduced = [self.r(e) for e in reduced]
        replacements, reduced = _masks_as_numbers(replacements, reduced, self.bools)
        _know_temps(self.printer, replacements)
        placed = _place_temps(replacements, reduced)
        lines: list[str] = []
        for i, (s, expr) in enumerate(zip(stmts, reduced, strict=True)):
            for c in dict.fromkeys(c.strip() for c in s.comment if c.strip()):
                if f"{ind}# {c}" not in lines[-3:]:
                    lines.append(f"{ind}# {c}")
            for t, texpr in placed.get(i, []):
                lines.append(f"{ind}{_text(t)} = {self.printer.statement(texpr)}")
            lines.extend(self.assignment(s, expr, ind))
        return lines

    def assignment(self, s: Stmt, expr: Any, ind: str) -> list[str]:
        target = ", ".join(self.n(t) for t in s.target.split(", "))
        if isinstance(expr, SetItem) and s.target in self.plan.in_place:
            # written in place (the adjoint proved no one reads the overwritten version)
            return [f"{ind}{target}[{expr.index_text(self.printer)}] = "
                    f"{self.printer.statement(expr.args[1])}"]
        if isinstance(expr, SetItem):  # a copy, then the write: the input stays intact
            x = self.printer.doprint_atom(expr.args[0])
            return [f"{ind}{target} = {x}.copy()",
                    f"{ind}{target}[{expr.index_text(self.printer)}] = "
                    f"{self.printer.statement(expr.args[1])}"]
        if s.augment or s.index:
            index = ""
            if s.index:
                parts = ", ".join(format_index_part(self.printer, self.r(p)) for p in s.index)
                index = f"[{parts}]"
            op = "+=" if s.augment else "="
            return [f"{ind}{target}{index} {op} {self.printer.statement(expr)}"]
        if expr == sp.Symbol(target, real=True):
            return []
        if s.target in self.plan.snapshots:  # a row of an array written in place: a copy
            return [f"{ind}{target} = {self.printer.doprint_atom(expr)}.copy()"]
        return [f"{ind}{_assignment(target, expr, self.printer)}"]

    # -------------------------------------------------------------- forward

    def forward(self, stmts: list[Any], ind: str, taping: bool, keep: set[str] | None) -> list[str]:
        lines: list[str] = []
        run: list[Stmt] = []
        for s in stmts:
            if isinstance(s, Assign):
                if keep is None or s.target in keep:
                    run.append(Stmt(s.target, s.expr, []))
                continue
            lines += self.run(run, ind)
            run = []
            if isinstance(s, If):
                lines += self.forward_if(s, ind, taping)
            else:
                lines += self.forward_loop(s, ind, taping)
        return lines + self.run(run, ind)

    def forward_if(self, s: If, ind: str, taping: bool) -> list[str]:
        inner = ind + INDENT
        sides = []
        for block, side in ((s.then, "then"), (s.orelse, "orelse")):
            body = self.forward(block.stmts, inner, taping, None)
            body += self.run([Stmt(p.target, getattr(p, side)) for p in s.phis], inner)
            sides.append(body)
        lines = [f"{ind}if {self.cond(s.cond)}:"] + _or_pass(sides[0], inner)
        if sides[1]:
            lines += [f"{ind}else:"] + sides[1]
        return lines

    def forward_loop(self, s: Loop, ind: str, taping: bool) -> list[str]:
        inner = ind + INDENT
        tape = self.plan.tape(s)
        record = taping and bool(tape.name)
        copies = self.plan.copies
        bound = [c for c in s.carried if c.init != UNBOUND]  # (UNBOUND: assigned in the body)
        lines = self.run([Stmt(c.entry, c.init) for c in bound if c.entry not in copies], ind)
        lines += [f"{ind}{self.n(c.entry)} = {self.printer.doprint_atom(self.r(c.init))}.copy()"
                  f"  # written in place below" for c in bound if c.entry in copies]
        if record:
            lines.append(f"{ind}{tape.name} = {'[]' if tape.taped else '0'}")
            always = {self.n(n) for n in _always_defined(s, self.plan)}
            sometimes = [n for n in self.taped(tape) if n not in always]
            lines += [f"{ind}{n} = None  # set in a branch" for n in sometimes]
        if s.kind == "for":
            bounds = ", ".join(self.text(b) for b in s.bounds)
            lines.append(f"{ind}for {s.var} in range({bounds}):")
        else:
            lines.append(f"{ind}while {self.cond(s.cond)}:")
        body = self.forward(s.body.stmts, inner, taping, None)
        if record:
            names = self.taped(tape)
            if not names:
                body.append(f"{inner}{tape.name} += 1")
            else:
                item = names[0] if len(names) == 1 else f"({', '.join(names)})"
                body.append(f"{inner}{tape.name}.append({item})")
        moves = [(self.n(c.entry), self.text(c.exit)) for c in s.carried]
        moves = [(entry, exit_) for entry, exit_ in moves if entry != exit_]
        if moves:
            body.append(f"{inner}{', '.join(m[0] for m in moves)} = "
                        f"{', '.join(m[1] for m in moves)}")
        if s.stop is not None:
            body += [f"{inner}if {self.cond(s.stop)}:", f"{inner}{INDENT}break"]
        return lines + _or_pass(body, inner)

    # -------------------------------------------------------------- backward

    def backward(self, items: list[Any], ind: str) -> list[str]:
        lines: list[str] = []
        run: list[Stmt] = []
        for item in items:
            if isinstance(item, Stmt):
                run.append(item)
                continue
            lines += self.run(run, ind)
            run = []
            inner = ind + INDENT
            lines.extend(f"{ind}# {c.strip()}" for c in item.comment if c.strip())
            if isinstance(item, BIf):
                lines.append(f"{ind}if {self.cond(item.cond)}:")
                lines += _or_pass(self.backward(item.then, inner), inner)
                other = self.backward(item.orelse, inner)
                if other:
                    lines += [f"{ind}else:"] + other
            else:
                names = self.taped(item.tape)
                if not names:
                    count = item.tape.name or ", ".join(self.text(b) for b in item.loop.bounds)
                    lines.append(f"{ind}for _ in range({count}):")
                else:
                    lines.append(f"{ind}for {', '.join(names)} in reversed({item.tape.name}):")
                lines += _or_pass(self.backward(item.body, inner), inner)
        return lines + self.run(run, ind)

    # -------------------------------------------------------------- functions

    def function(self, name: str, params: str, prune: bool, grad: bool, returns: str,
                 doc: str, seed_stmt: str | None = None, values: list[str] = ()) -> str:
        """``values``: the primal outputs among ``returns`` (value_and_grad returns both)."""
        adj = self.adj
        self.temps = self.temp_names()  # t0, t1, ... afresh in each function
        keep = _needed_structured(adj.forward, adj.backward) if prune else None
        lines = [f"def {name}({params}):", f'{INDENT}"""{doc}"""']
        lines += self.forward(adj.forward, INDENT, grad, keep)
        saved: dict[str, str] = {}
        if grad:
            back = self.backward(adj.backward, INDENT)
            # a backward loop binds the taped names to each iteration's values: an output the
            # backward rebinds is kept under a name of its own first
            rebound = _bound_names(back)
            for v in dict.fromkeys(self.n(v) for v in values):
                if v in rebound:
                    saved[v] = self.names.fresh("value")
                    lines.append(f"{INDENT}{saved[v]} = {v}  # the backward rebinds {v}")
            if seed_stmt and any(re.search(rf"\b{re.escape(sd)}\b", line) for line in back
                                 for sd in adj.seeds):
                lines.append(f"{INDENT}{seed_stmt}")
            lines += back
        lines.append(f"{INDENT}return {self._rename_text(returns, saved)}")
        return "\n".join(lines) + "\n"

    def _rename_text(self, text: str, saved: dict[str, str]) -> str:
        def name(m: re.Match) -> str:
            printed = self.n(m.group(0))
            return saved.get(printed, printed)
        return re.sub(r"\w+", name, text)


def _bound_names(lines: list[str]) -> set[str]:
    """The names a block of generated statements binds (loop targets included)."""
    tree = ast.parse(textwrap.dedent("\n".join(lines)))
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


def _or_pass(lines: list[str], ind: str) -> list[str]:
    """A block needs a statement: comments alone (or nothing) get ``pass``."""
    if any(not line.lstrip().startswith("#") for line in lines):
        return lines
    return lines + [f"{ind}pass"]


def _phi_names(stmts: list[Any]) -> dict[str, str]:
    """One name for a join and the branch values flowing into it (``y`` on both paths).

    Printing-only: the analysis keeps single assignment. Safe because a value computed in a
    branch is read only in that branch, and the join's value is the branch value that ran.
    """
    rename: dict[str, str] = {}
    for s in walk(stmts):
        if not isinstance(s, If):
            continue
        for phi in s.phis:
            local = []
            for side in ("then", "orelse"):
                v = getattr(phi, side)
                defined = {n for x in getattr(s, side).stmts for n in defines(x)}
                if isinstance(v, sp.Symbol) and v.name in defined and v.name not in rename:
                    local.append(v.name)
            if not local or phi.target in rename:
                continue
            name = min(local, key=lambda n: (len(n), n))
            for n in [*local, phi.target]:
                if n != name:
                    rename[n] = name
    for a in list(rename):  # chains: an inner join's value flows on into an outer join
        b = rename[a]
        seen = {a}
        while b in rename and b not in seen:
            seen.add(b)
            b = rename[b]
        rename[a] = b
    return rename


def _always_defined(loop: Loop, plan: MemoryPlan) -> set[str]:
    """Names a loop body assigns on every path (a value set in one branch may be missing)."""
    def block(stmts: list[Any]) -> set[str]:
        out: set[str] = set()
        for s in stmts:
            if isinstance(s, Assign):
                out.add(s.target)
            elif isinstance(s, If):
                out |= {p.target for p in s.phis}
                out |= block(s.then.stmts) & block(s.orelse.stmts)
            elif isinstance(s, Loop):
                out |= {c.entry for c in s.carried} | set(plan.loop_names(s))
        return out

    rename = _phi_names(loop.body.stmts)
    names = block(loop.body.stmts) | {c.entry for c in loop.carried} | \
        ({loop.var} if loop.var else set())
    return names | {a for a, b in rename.items() if b in names}


def _needed_structured(forward: list[Any], backward: list[Any]) -> set[str]:
    """Top-level assignments the gradient needs; everything inside branches and loops stays."""
    need = set(backward_reads(backward))
    keep: set[str] = set()
    for s in reversed(forward):
        if isinstance(s, Assign):
            if s.target in need or _kept(s):
                keep.add(s.target)
                need |= {x.name for x in s.expr.free_symbols}
        else:
            need |= {x.name for x in reads(s)}
            keep |= set(defines(s))
    return keep
