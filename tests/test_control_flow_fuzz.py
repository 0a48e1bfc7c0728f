"""Random control-flow programs, generated as source text, checked against central differences.

Hypothesis draws a small module: a main function ``f(x, y, n)`` (two float arrays of 2-4
elements and an int ``n`` in 0..3) and up to two helpers it calls. The bodies mix
straight-line numpy arithmetic, if/elif/else and conditional expressions, ``for`` loops over
``range(k)`` / ``range(n)`` / ``range(len(x))`` / elements / ``enumerate`` / ``zip``, counter
``while`` loops, break/continue, tuple swaps, several loop-carried variables, nested loops,
``np.zeros`` buffers written with ``buf[i] = ...`` / ``buf[i] += ...``, writes into a copy
of a parameter (or into the parameter itself, before anything can alias it), containers,
nested defs and closures, and helper calls with a loop or a branch inside.

Each program is written to its own ``.py`` file, imported, decorated with ``symgrad.grad``
and checked for every ``n`` in 0..3: value equal to plain numpy, gradient equal to float64
central differences, caller's arrays untouched.

FD-stability: every value is squashed (tanh/sin) when it is stored, so magnitudes stay
small. Conditions on ints (``n``, loop counters) are exact; every float comparison is
rendered twice, once plainly and once as a call that records its margin, and a run whose
smallest margin is below ``MARGIN`` is discarded (``assume``) rather than checked.

``SYMGRAD_FUZZ_EXAMPLES`` (default 60) sets the number of programs: e.g. 2000 for a hunt.
Bugs the fuzzer found are pinned, shrunk by hand, at the end of this file.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import os
import re
import sys
import tempfile
import types

import numpy as np
import pytest
from gradutil import check_grads
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

import symgrad

EXAMPLES = int(os.environ.get("SYMGRAD_FUZZ_EXAMPLES", "60"))
MARGIN = 1e-3
N_VALUES = (0, 1, 2, 3)
_MODULE_DIR = tempfile.mkdtemp(prefix="symgrad_fuzz_")
_COUNTER = itertools.count()


# ======================================================================== source building


@dataclasses.dataclass(frozen=True)
class E:
    """An expression rendered twice: plain, and instrumented (float comparisons record margins)."""

    p: str
    i: str

    @staticmethod
    def lit(text: str) -> E:
        return E(text, text)


def fmt(template: str, *parts: E) -> E:
    return E(template.format(*(e.p for e in parts)), template.format(*(e.i for e in parts)))


@dataclasses.dataclass
class Scope:
    arrays: list[str]  # float arrays shaped like x, freely rebound (may alias a parameter)
    scalars: list[str]  # float scalars
    buffers: list[str]  # fresh arrays shaped like x: subscript-written, read, never aliased
    ints: list[str]  # int names: n, loop counters
    index: list[str]  # int names known to be valid indices of x-shaped arrays
    index_from1: list[str]  # ... whose predecessor (i - 1) is valid too
    loop: str | None = None  # innermost loop kind: "for" / "while" (break/continue allowed)
    counter: str | None = None  # the innermost while loop's counter
    depth: int = 0
    readonly: tuple[str, ...] = ()  # names a nested def reads from its enclosing function
    closures: list[tuple[str, int]] = dataclasses.field(default_factory=list)  # (name, arity)

    def child(self, **changes) -> Scope:
        new = dataclasses.replace(self, **changes)
        for field in ("arrays", "scalars", "buffers", "ints", "index", "index_from1",
                      "closures"):
            setattr(new, field, list(getattr(new, field)))
        return new


class Builder:
    """Draws statements into (indent, plain, instrumented) lines."""

    def __init__(self, draw, helpers: list[tuple[str, int]], prefix: str) -> None:
        self.draw = draw
        self.helpers = helpers  # (name, number of array arguments); the int comes last
        self.prefix = prefix
        self.names = itertools.count()
        self.lines: list[tuple[int, str, str]] = []
        # scalars that may be views (loop elements, x[i]): `v += ...` on them is refused, as
        # symgrad cannot tell a 0-d element from a row view (test_in_place_write_to_a_view)
        self.views: set[str] = set()

    # ---------------------------------------------------------------- small helpers

    def fresh(self, stem: str) -> str:
        return f"{stem}{self.prefix}{next(self.names)}"

    def choice(self, options):
        return self.draw(st.sampled_from(options))

    def const(self, lo=-1.0, hi=1.0, zero=True) -> E:
        values = [round(float(v), 2) for v in np.linspace(lo, hi, 9)]
        if not zero:
            values = [v for v in values if v != 0.0]
        return E.lit(repr(self.choice(values)))

    def emit(self, indent: int, line: E | str) -> None:
        if isinstance(line, str):
            line = E.lit(line)
        self.lines.append((indent, line.p, line.i))

    # ---------------------------------------------------------------- expressions

    def arr_leaf(self, sc: Scope) -> E:
        return E.lit(self.choice(sc.arrays + sc.buffers))

    def arr(self, sc: Scope, depth: int) -> E:
        """An x-shaped float array of modest magnitude."""
        if depth <= 0:
            return self.arr_leaf(sc)
        kind = self.choice(["leaf", "add", "sub", "mul", "div", "sin", "tanh", "exp",
                            "square", "scale", "scalar_mul", "ifexp", "call", "closure",
                            "index_sum"])
        d = depth - 1
        if kind == "leaf":
            return self.arr_leaf(sc)
        if kind in ("add", "sub", "mul"):
            op = {"add": "+", "sub": "-", "mul": "*"}[kind]
            a, b = self.arr(sc, d), self.arr(sc, d)
            return fmt("({} " + op + " {})", a, b)
        if kind == "div":
            return fmt("{} / (1.0 + ({}) ** 2)", self.arr(sc, d), self.arr(sc, d))
        if kind in ("sin", "tanh"):
            return fmt(f"np.{kind}({{}})", self.arr(sc, d))
        if kind == "exp":
            inner = self.choice(["np.exp(np.tanh({}))", "np.exp(-({}) ** 2)",
                                 "np.exp(0.5 * np.sin({}))"])
            return fmt(inner, self.arr(sc, d))
        if kind == "square":
            return fmt("({}) ** 2", self.arr(sc, d))
        if kind == "scale":
            # 0.0 * a simplifies to 0 and must keep a's shape (test_cancellation_keeps_shape)
            return fmt("{} * {}", self.const(-2.0, 2.0), self.arr(sc, d))
        if kind == "scalar_mul":
            return fmt("{} * {}", self.scalar(sc, d), self.arr(sc, d))
        if kind == "ifexp":
            return fmt("({} if {} else {})", self.arr(sc, d), self.cond(sc), self.arr(sc, d))
        if kind == "call" and self.helpers:
            name, arity = self.choice(self.helpers)
            args = [self.arr(sc, d) for _ in range(arity)]
            k = self.choice(sc.ints + ["0", "1", "2"])
            return E(f"{name}({', '.join(a.p for a in args)}, {k})",
                     f"{name}({', '.join(a.i for a in args)}, {k})")
        if kind == "closure" and sc.closures:
            name, arity = self.choice(sc.closures)
            args = [self.arr(sc, d) for _ in range(arity)]
            return E(f"{name}({', '.join(a.p for a in args)})",
                     f"{name}({', '.join(a.i for a in args)})")
        if kind == "index_sum" and sc.ints:
            k = self.choice(sc.ints)
            return fmt("({} * (" + k + " + 1) * 0.25)", self.arr(sc, d))
        return self.arr_leaf(sc)

    def scalar_leaf(self, sc: Scope) -> E:
        options = ["sum", "mean", "lit_index", "const"]
        if sc.scalars:
            options += ["var", "var"]
        if sc.index:
            options += ["index", "index"]
        if sc.index_from1:
            options += ["prev"]
        kind = self.choice(options)
        if kind == "var":
            return E.lit(self.choice(sc.scalars))
        if kind == "sum":
            return E.lit(f"np.sum({self.arr_leaf(sc).p})")
        if kind == "mean":
            return E.lit(f"np.mean({self.arr_leaf(sc).p})")
        if kind == "lit_index":
            return E.lit(f"{self.arr_leaf(sc).p}[{self.choice(['0', '1', '-1'])}]")
        if kind == "index":
            return E.lit(f"{self.arr_leaf(sc).p}[{self.choice(sc.index)}]")
        if kind == "prev":
            return E.lit(f"{self.arr_leaf(sc).p}[{self.choice(sc.index_from1)} - 1]")
        return self.const()

    def scalar(self, sc: Scope, depth: int) -> E:
        """A float scalar of modest magnitude."""
        if depth <= 0:
            return self.scalar_leaf(sc)
        d = depth - 1
        kind = self.choice(["leaf", "add", "mul", "sin", "tanh", "square", "div", "sum_of",
                            "int_mul", "ifexp"])
        if kind == "add":
            return fmt("({} " + self.choice(["+", "-"]) + " {})", self.scalar(sc, d),
                       self.scalar(sc, d))
        if kind == "mul":
            return fmt("{} * {}", self.scalar(sc, d), self.scalar(sc, d))
        if kind in ("sin", "tanh"):
            return fmt(f"np.{kind}({{}})", self.scalar(sc, d))
        if kind == "square":
            return fmt("({}) ** 2", self.scalar(sc, d))
        if kind == "div":
            return fmt("{} / (1.0 + ({}) ** 2)", self.scalar(sc, d), self.scalar(sc, d))
        if kind == "sum_of":
            return fmt(self.choice(["np.sum({})", "np.mean({})"]), self.arr(sc, d))
        if kind == "int_mul" and sc.ints:
            return fmt("(" + self.choice(sc.ints) + " + 1) * {}", self.scalar(sc, d))
        if kind == "ifexp":
            return fmt("({} if {} else {})", self.scalar(sc, d), self.cond(sc),
                       self.scalar(sc, d))
        return self.scalar_leaf(sc)

    def int_cond(self, sc: Scope) -> E:
        k = self.choice(["0", "1", "2"])
        m = sc.ints[0]  # n, or a helper's k
        options = [f"{m} > {k}", f"{m} == {k}", f"{m} != {k}", f"{m} <= {k}"]
        for i in sc.ints[1:]:
            options += [f"{i} == {k}", f"{i} % 2 == 0", f"{i} < {m}", f"{i} >= {k}",
                        f"{i} + {m} > {k}"]
        return E.lit(self.choice(options))

    def float_cond(self, sc: Scope) -> E:
        lhs = self.scalar(sc, self.choice([0, 1]))
        c = self.const(-1.0, 1.0)
        op = self.choice([">", "<"])
        name = "_gt" if op == ">" else "_lt"
        return E(f"{lhs.p} {op} {c.p}", f"{name}({lhs.i}, {c.i})")

    def cond(self, sc: Scope) -> E:
        kind = self.choice(["int", "int", "float", "float", "and", "not"])
        if kind == "int":
            return self.int_cond(sc)
        if kind == "float":
            return self.float_cond(sc)
        if kind == "and":
            a, b = self.int_cond(sc), self.float_cond(sc)
            if self.draw(st.booleans()):
                a, b = b, a
            return fmt("({} " + self.choice(["and", "or"]) + " {})", a, b)
        return fmt("not ({})", self.cond(sc) if sc.depth < 3 else self.int_cond(sc))

    # ---------------------------------------------------------------- statements

    def squash(self, e: E) -> E:
        return fmt(self.choice(["np.tanh({})", "np.sin({})", "0.5 * np.tanh({})"]), e)

    def block(self, sc: Scope, indent: int, count: int) -> Scope:
        """``count`` statements (at least one line is emitted); returns the scope after."""
        start = len(self.lines)
        for _ in range(count):
            sc = self.statement(sc, indent)
        if len(self.lines) == start and count:
            self.emit(indent, "pass")
        return sc

    def statement(self, sc: Scope, indent: int) -> Scope:
        options = ["assign_arr", "assign_arr", "assign_scalar", "assign_scalar", "ifexp"]
        if len([a for a in sc.arrays if a not in sc.readonly]) >= 2:
            options += ["swap"]
        if sc.buffers:
            options += ["buf_lit"]
        if sc.buffers and sc.index:
            options += ["buf_index", "buf_index", "buf_aug"]
        if sc.depth < 2:
            options += ["if", "if", "container"]
            options += ["for_k", "for_n", "for_len", "for_len", "while", "for_elem"]
        if sc.loop is not None:
            options += ["break", "continue"]
        if sc.depth == 0:
            options += ["def"]
        kind = self.choice(options)
        return getattr(self, "st_" + kind)(sc, indent)

    def new_name(self, sc: Scope) -> bool:
        """Bind a new name, or rebind an old one (mostly, inside loops and branches)."""
        return self.choice([True, False] if sc.depth == 0 else [True, False, False, False])

    def st_assign_arr(self, sc: Scope, indent: int) -> Scope:
        writable = [a for a in sc.arrays if a not in sc.readonly]
        new = self.new_name(sc) or not writable
        target = self.fresh("a") if new else self.choice(writable)
        value = self.arr(sc, self.choice([1, 2]))
        form = self.choice(["plain", "carry"] if not new else ["plain"])
        if form == "carry":
            rhs = fmt("0.5 * " + target + " + 0.5 * np.sin({})", value)
        else:
            rhs = self.squash(value)
        self.emit(indent, fmt(target + " = {}", rhs))
        if new:
            sc.arrays.append(target)
        return sc

    def st_assign_scalar(self, sc: Scope, indent: int) -> Scope:
        new = self.new_name(sc) or not sc.scalars
        target = self.fresh("s") if new else self.choice(sc.scalars)
        value = self.scalar(sc, self.choice([1, 2]))
        forms = ["plain"] if new else ["plain", "acc"] if target in self.views else \
            ["plain", "acc", "aug"]
        form = self.choice(forms)
        if form == "acc":
            self.emit(indent, fmt(target + " = " + target + " + 0.3 * np.tanh({})", value))
        elif form == "aug":
            op = self.choice(["+=", "-=", "*="])
            self.emit(indent, fmt(target + f" {op} " + ("0.3 * np.tanh({})" if op != "*=" else
                                                         "(1.0 + 0.3 * np.tanh({}))"), value))
        else:
            value = self.squash(value)
            self.emit(indent, fmt(target + " = {}", value))
            if re.fullmatch(r"\w+\[[^\]]*\]", value.p):
                self.views.add(target)
        if new:
            sc.scalars.append(target)
        return sc

    def st_ifexp(self, sc: Scope, indent: int) -> Scope:
        target = self.fresh("a")
        self.emit(indent, fmt(target + " = {} if {} else {}", self.squash(self.arr(sc, 1)),
                              self.cond(sc), self.squash(self.arr(sc, 1))))
        sc.arrays.append(target)
        return sc

    def st_swap(self, sc: Scope, indent: int) -> Scope:
        a, b = self.draw(st.permutations([a for a in sc.arrays if a not in sc.readonly]))[:2]
        rhs = self.choice([f"{b}, {a}", f"{b}, np.tanh({a} * {b})",
                           f"{b}, 0.5 * {a} + np.sin({b})"])
        self.emit(indent, f"{a}, {b} = {rhs}")
        return sc

    def st_buf_lit(self, sc: Scope, indent: int) -> Scope:
        buf = self.choice(sc.buffers)
        k = self.choice(["0", "1", "-1"])
        op = self.choice(["=", "+=", "*="])
        value = self.scalar(sc, 1)
        rhs = fmt("np.tanh({})", value) if op != "*=" else fmt("(1.0 + 0.3 * np.sin({}))", value)
        self.emit(indent, fmt(f"{buf}[{k}] {op} {{}}", rhs))
        return sc

    def st_buf_index(self, sc: Scope, indent: int) -> Scope:
        buf = self.choice(sc.buffers)
        i = self.choice(sc.index)
        value = self.scalar(sc, self.choice([1, 2]))
        if i in sc.index_from1 and self.draw(st.booleans()):
            self.emit(indent, fmt(f"{buf}[{i}] = 0.5 * {buf}[{i} - 1] + np.tanh({{}})", value))
        else:
            self.emit(indent, fmt(f"{buf}[{i}] = np.tanh({{}})", value))
        return sc

    def st_buf_aug(self, sc: Scope, indent: int) -> Scope:
        buf = self.choice(sc.buffers)
        i = self.choice(sc.index)
        op = self.choice(["+=", "-=", "*="])
        value = self.scalar(sc, self.choice([1, 2]))
        rhs = "(1.0 + 0.3 * np.tanh({}))" if op == "*=" else "0.5 * np.tanh({})"
        self.emit(indent, fmt(f"{buf}[{i}] {op} {rhs}", value))
        return sc

    def _branches(self, sc: Scope, indent: int, n_branches: int, has_else: bool) -> Scope:
        inner = sc.child(depth=sc.depth + 1)
        results = []
        for b in range(n_branches):
            head = "if" if b == 0 else "elif"
            if b == n_branches - 1 and has_else:
                self.emit(indent, "else:")
            else:
                self.emit(indent, fmt(head + " {}:", self.cond(sc)))
            results.append(self.block(inner.child(), indent + 1, self.choice([1, 2])))
        if not has_else:
            return sc
        for field in ("arrays", "scalars"):  # names every branch binds exist afterwards
            common = set.intersection(*(set(getattr(r, field)) for r in results))
            getattr(sc, field).extend(sorted(common - set(getattr(sc, field))))
        return sc

    def st_if(self, sc: Scope, indent: int) -> Scope:
        shape = self.choice([(1, False), (2, True), (3, True), (2, False)])
        return self._branches(sc, indent, *shape)

    def _loop_body(self, sc: Scope, indent: int, **changes) -> None:
        inner = sc.child(depth=sc.depth + 1, loop="for", **changes)
        self.block(inner, indent + 1, self.choice([1, 2, 3]))

    def iterable(self, sc: Scope) -> str:
        """An array to loop over; not a buffer: loop bodies write into buffers, and a loop
        over an array its body writes into is rejected (test_iterating_over_written_array)."""
        return self.choice(sc.arrays)

    def st_for_k(self, sc: Scope, indent: int) -> Scope:
        i = self.fresh("i")
        self.emit(indent, f"for {i} in range({self.choice(['0', '1', '2', '3'])}):")
        self._loop_body(sc, indent, ints=sc.ints + [i])
        return sc

    def st_for_n(self, sc: Scope, indent: int) -> Scope:
        i = self.fresh("i")
        m = sc.ints[0]
        rng = self.choice([f"range({m})", f"range({m}, 3)", f"range(1, {m} + 1)"])
        self.emit(indent, f"for {i} in {rng}:")
        self._loop_body(sc, indent, ints=sc.ints + [i])
        return sc

    def st_for_len(self, sc: Scope, indent: int) -> Scope:
        i = self.fresh("i")
        kind = self.choice(["len", "len1", "rev", "enumerate"])
        from1 = list(sc.index_from1)
        if kind == "len":
            self.emit(indent, f"for {i} in range(len({sc.arrays[0]})):")
        elif kind == "len1":
            self.emit(indent, f"for {i} in range(1, len({self.choice(sc.arrays)})):")
            from1.append(i)
        elif kind == "rev":
            self.emit(indent, f"for {i} in range(len({sc.arrays[0]}) - 1, -1, -1):")
        else:
            v = self.fresh("v")
            self.emit(indent, f"for {i}, {v} in enumerate({self.iterable(sc)}):")
            self.views.add(v)
            self._loop_body(sc, indent, ints=sc.ints + [i], index=sc.index + [i],
                            index_from1=from1, scalars=sc.scalars + [v])
            return sc
        self._loop_body(sc, indent, ints=sc.ints + [i], index=sc.index + [i],
                        index_from1=from1)
        return sc

    def st_for_elem(self, sc: Scope, indent: int) -> Scope:
        v, w = self.fresh("v"), self.fresh("w")
        if self.draw(st.booleans()):
            self.emit(indent, f"for {v} in {self.iterable(sc)}:")
            self.views.add(v)
            self._loop_body(sc, indent, scalars=sc.scalars + [v])
        else:
            a, b = self.iterable(sc), self.iterable(sc)
            self.emit(indent, f"for {v}, {w} in zip({a}, {b}):  # noqa: B905")
            self.views |= {v, w}
            self._loop_body(sc, indent, scalars=sc.scalars + [v, w])
        return sc

    def st_while(self, sc: Scope, indent: int) -> Scope:
        j = self.fresh("j")
        m = sc.ints[0]
        bound = self.choice([m, m, "2", f"len({sc.arrays[0]})", f"{m} + 1"])
        self.emit(indent, f"{j} = 0")
        self.emit(indent, f"while {j} < {bound}:")
        changes = dict(ints=sc.ints + [j])
        if bound.startswith("len("):
            changes["index"] = sc.index + [j]
        inner = sc.child(depth=sc.depth + 1, loop="while", counter=j, **changes)
        self.block(inner, indent + 1, self.choice([1, 2, 3]))
        self.emit(indent + 1, f"{j} = {j} + 1")
        return sc

    def st_break(self, sc: Scope, indent: int) -> Scope:
        self.emit(indent, fmt("if {}:", self.cond(sc)))
        if sc.loop == "while" and self.draw(st.booleans()):
            # continue in a counter loop steps the counter first
            self.emit(indent + 1, f"{sc.counter} = {sc.counter} + 1")
            self.emit(indent + 1, "continue")
        else:
            self.emit(indent + 1, "break")
        return sc

    def st_continue(self, sc: Scope, indent: int) -> Scope:
        if sc.loop == "while":
            return self.st_break(sc, indent)
        self.emit(indent, fmt("if {}:", self.cond(sc)))
        self.emit(indent + 1, "continue")
        return sc

    def st_container(self, sc: Scope, indent: int) -> Scope:
        c = self.fresh("c")
        t = self.fresh("a")
        a, b = self.arr(sc, 1), self.arr(sc, 1)
        kind = self.choice(["tuple", "list", "dict", "unpack"])
        if kind == "tuple":
            self.emit(indent, fmt(c + " = ({}, {})", a, b))
            self.emit(indent, f"{t} = np.tanh({c}[0] * {c}[-1] + {c}[1])")
        elif kind == "list":
            self.emit(indent, fmt(c + " = [{}, {}]", a, b))
            self.emit(indent, f"{t} = np.sin({c}[1]) * {c}[0]")
        elif kind == "dict":
            self.emit(indent, fmt(c + ' = {{"p": {}, "q": {}}}', a, b))
            self.emit(indent, f'{t} = np.tanh({c}["p"] - {c}["q"] ** 2)')
        else:
            u = self.fresh("a")
            self.emit(indent, fmt(f"{t}, {u} = np.tanh({{}}), np.sin({{}})", a, b))
            sc.arrays.append(u)
        sc.arrays.append(t)
        return sc

    def st_def(self, sc: Scope, indent: int) -> Scope:
        """A nested def; it may close over the enclosing function's arrays (late binding)."""
        g = self.fresh("g")
        arity = self.choice([1, 2])
        params = [f"p{g}{k}" for k in range(arity)]
        self.emit(indent, f"def {g}({', '.join(params)}):")
        outer = [a for a in sc.arrays if self.draw(st.booleans())]
        inner = Scope(arrays=params + outer, scalars=[], buffers=[], ints=["n"], index=[],
                      index_from1=[], depth=2, readonly=tuple(outer))
        body = self.block(inner, indent + 1, self.choice([0, 1]))
        ret = self.arr(body, self.choice([1, 2]))
        self.emit(indent + 1, fmt("return {}", self.squash(ret)))
        sc.closures.append((g, arity))
        return sc


def _helper(draw, name: str, arity: int, helpers) -> list[tuple[int, str, str]]:
    """``def name(v0, .., k)`` with a loop or a branch inside (maybe an early return)."""
    b = Builder(draw, helpers, prefix=name)
    params = [f"v{k}" for k in range(arity)]
    b.emit(0, f"def {name}({', '.join(params)}, k):")
    sc = Scope(arrays=list(params), scalars=[], buffers=[], ints=["k"], index=[],
               index_from1=[], depth=1)
    kind = draw(st.sampled_from(["loop", "branch", "early"]))
    if kind == "loop":
        i = b.fresh("i")
        b.emit(1, f"for {i} in range({draw(st.sampled_from(['k', '2', 'len(v0)']))}):")
        b.block(sc.child(depth=2, loop="for", ints=sc.ints + [i]), 2, draw(st.integers(1, 2)))
    elif kind == "branch":
        b.emit(1, fmt("if {}:", b.cond(sc)))
        b.block(sc.child(depth=2), 2, 1)
        b.emit(1, "else:")
        b.block(sc.child(depth=2), 2, 1)
    else:
        b.emit(1, fmt("if {}:", b.cond(sc)))
        b.emit(2, fmt("return {}", b.squash(b.arr(sc, 1))))
        sc = b.block(sc, 1, 1)
    b.emit(1, fmt("return {}", b.squash(b.arr(sc, draw(st.integers(0, 2))))))
    return b.lines


@dataclasses.dataclass(frozen=True)
class Program:
    plain: str
    instrumented: str
    size: int
    seed: int

    def __repr__(self) -> str:
        return f"Program(seed={self.seed}, source=\n{self.plain})"


def _render(lines, instrumented: bool) -> str:
    return "\n".join("    " * ind + (i if instrumented else p) for ind, p, i in lines)


@st.composite
def programs(draw) -> Program:
    size = draw(st.integers(2, 4))
    helpers: list[tuple[str, int]] = []
    lines: list[tuple[int, str, str]] = []
    for h in range(draw(st.integers(0, 2))):
        name, arity = f"_h{h}", draw(st.integers(1, 2))
        lines += _helper(draw, name, arity, list(helpers)) + [(0, "", ""), (0, "", "")]
        helpers.append((name, arity))
    b = Builder(draw, helpers, prefix="")
    b.emit(0, "def f(x, y, n):")
    sc = Scope(arrays=["x", "y"], scalars=[], buffers=[], ints=["n"], index=[],
               index_from1=[])
    start = draw(st.sampled_from(["none", "zeros", "copy", "both", "param_write"]))
    if start in ("zeros", "both"):
        b.emit(1, draw(st.sampled_from(["buf = np.zeros(len(x))", "buf = np.zeros_like(y)",
                                        "buf = np.ones(len(x)) * 0.5"])))
        sc.buffers.append("buf")
    if start in ("copy", "both"):
        b.emit(1, draw(st.sampled_from(["xc = x.copy()", "xc = y.copy()",
                                        "xc = x * 1.0"])))
        sc.buffers.append("xc")
    if start == "param_write":  # into the caller's array, before anything aliases it
        b.emit(1, "for i in range(1, len(x)):")
        b.emit(2, draw(st.sampled_from(["x[i] = 0.5 * x[i - 1] + np.sin(x[i])",
                                        "x[i] += np.tanh(y[i] * x[i - 1])",
                                        "x[i] *= 1.0 + 0.3 * np.tanh(x[i - 1])"])))
        b.emit(1, "x[0] = np.tanh(x[0] + y[-1])")
    sc = b.block(sc, 1, size)
    terms = [f"{b.const(0.25, 2.0).p} * {a}" for a in sc.arrays + sc.buffers]
    terms += [f"{b.const(0.25, 2.0).p} * {s}" for s in sc.scalars]
    if draw(st.booleans()):
        terms[0] = f"np.sin({terms[0]})"
    b.emit(1, f"return np.sum({' + '.join(terms)})")
    lines += b.lines
    seed = draw(st.integers(0, 2**32 - 1))
    return Program(_render(lines, False) + "\n", _render(lines, True) + "\n", size, seed)


# ======================================================================== running


_HEADER = "import numpy as np\n\n\n"


def load(source: str, name: str | None = None) -> types.ModuleType:
    """Write ``source`` (numpy imported) to a fresh file and import it as a new module."""
    name = name or f"symgrad_fuzz_{os.getpid()}_{next(_COUNTER)}"
    path = os.path.join(_MODULE_DIR, name + ".py")
    with open(path, "w") as f:
        f.write(_HEADER + source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _copy(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _margin(source: str, args) -> float:
    """The smallest |lhs - rhs| over the float comparisons a plain run evaluates."""
    margins = [np.inf]

    def gt(a, b):
        margins.append(abs(float(a) - float(b)))
        return a > b

    def lt(a, b):
        margins.append(abs(float(a) - float(b)))
        return a < b

    namespace = {"np": np, "_gt": gt, "_lt": lt}
    exec(compile(source, "<instrumented>", "exec"), namespace)
    namespace["f"](*_copy(args))
    return min(margins)


def check(G, fn, args) -> None:
    """Value equals plain numpy, gradient equals central differences, inputs untouched."""
    before = _copy(args)
    expected = fn(*_copy(args))
    got = G(*args)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg="value")
    referee = types.SimpleNamespace(grad=G.grad, wrt=G.wrt, params=G.params,
                                    fn=lambda *a: fn(*_copy(a)))
    check_grads(referee, *args, rtol=1e-5, atol=1e-6)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b, err_msg="symgrad wrote into a caller's array")


def _inputs(seed: int):
    rng = np.random.default_rng(seed)
    length = int(rng.integers(2, 5))
    return rng.uniform(-1.5, 1.5, length), rng.uniform(-1.5, 1.5, length)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
@given(programs())
def test_random_program_matches_finite_differences(program):
    note(program.plain)
    x, y = _inputs(program.seed)
    runs = []
    for n in N_VALUES:
        args = (x, y, n)
        try:
            margin = _margin(program.instrumented, args)
        except (ZeroDivisionError, FloatingPointError):
            continue
        if margin > MARGIN:
            runs.append(args)
    assume(runs)
    module = load(program.plain)
    G = symgrad.grad(module.f, wrt=("x", "y"))
    note(G.source)
    for args in runs:
        note(f"args = {args!r}")
        check(G, module.f, args)


# ======================================================================== regressions, shrunk
#
# Found by the random test above, shrunk by hand, fixed; kept as regression tests. Each
# comment says what the generated code used to get wrong.

X = np.array([-0.69063986, -1.37707943, -1.45041709, 0.93981072])
Y = np.array([1.23826673, 0.31990733, 0.68848968, 0.13087497])


def loop_in_branch(x, y, flag):
    if flag:
        for _ in range(2):
            y = y + np.sin(x)
    return np.sum(y * x)


def while_in_branch(x, y, flag):
    if flag:
        i = 0
        while i < 2:
            y = y + np.sin(x)
            i = i + 1
    return np.sum(y * x)


def loop_in_branch_in_loop(x, y, flag):
    for k in range(2):
        if k == 1:
            for _ in range(2):
                y = y + np.sin(x)
        y = y * x
    return np.sum(y * x)


# Was: loop inside an if: the backward loop rebinds the carried variable (y_1) to its first-
# iteration value, and the contribution after the if (grad_out * y_1 for x in y * x) reads it
# after that instead of the loop's final value: d/dx is wrong
@pytest.mark.parametrize("fn", [loop_in_branch, while_in_branch, loop_in_branch_in_loop],
                         ids=lambda fn: fn.__name__)
@pytest.mark.parametrize("flag", [True, False])
def test_loop_in_branch(fn, flag):
    G = symgrad.grad(fn, wrt=("x", "y"))
    check_grads(G, X, Y, flag)


def cancel_then_broadcast(x, y):
    z = x - x
    return np.sum(z + y[0])


def cancel_then_index(x):
    z = np.sin(x - x)
    return z[0] + np.sum(x ** 2)


# Was: x - x simplifies to the scalar 0, so the result loses x's shape: np.sum(x - x + y[0]) is
# y[0] instead of len(x) * y[0] (value and d/dy wrong)
def test_cancellation_drops_shape():
    G = symgrad.grad(cancel_then_broadcast, wrt="y")
    np.testing.assert_allclose(G(X, Y), cancel_then_broadcast(X, Y))
    check_grads(G, X, Y)


# Was: x - x simplifies to the scalar 0: the generated code indexes it, 0[0], TypeError
def test_cancellation_then_index():
    G = symgrad.grad(cancel_then_index)
    check_grads(G, X)


def iterate_over_written_buffer(x):
    buf = x.copy()
    for v in buf:
        buf[-1] = buf[-1] + v
    return np.sum(buf)


def enumerate_over_written_buffer(x):
    buf = np.ones(len(x))
    for i, v in enumerate(buf):
        buf[i] = v * x[i]
        if i + 1 < len(x):
            buf[i + 1] = 2.0 * v
    return np.sum(buf)


# Was: a for loop over an array its body writes into: numpy's iterator sees the writes (v is
# read live), symgrad iterated over the array as it was before the loop: value and gradient
# were silently wrong. Now rejected at decoration.
@pytest.mark.parametrize("fn", [iterate_over_written_buffer, enumerate_over_written_buffer],
                         ids=lambda fn: fn.__name__)
def test_iterating_over_written_array(fn):
    with pytest.raises(symgrad.SymgradError, match="iterates over 'buf' and its body writes"):
        symgrad.grad(fn)


def copy_with_np_copy(x, y):
    xc = np.copy(x)
    xc[0] = np.sin(y[1])
    return np.sum(xc * y)


def copy_with_np_array(x, y):
    xc = np.array(x)
    xc[0] = np.sin(y[1])
    return np.sum(xc * y)


# Was: np.copy(x) ('call to numpy.copy is not supported') and np.array(x) ('np.array needs a
# list literal of scalars') are rejected at decoration; x.copy() works
@pytest.mark.parametrize("fn", [copy_with_np_copy, copy_with_np_array],
                         ids=lambda fn: fn.__name__)
def test_copy_spellings(fn):
    check_grads(symgrad.grad(fn), X, Y)


def named_after_loop(x):
    for _ in range(2):
        x = np.sin(np.sin(x))
    z = np.sin(x)  # noqa: F841 (dead, but its name leaks into the backward loop)
    return np.sum(x)


def named_after_loop_used(x):
    for _ in range(2):
        x = np.sin(np.sin(x))
    z = np.sin(x)
    return np.sum(x * z)


# Was: a value named after a loop (z = np.sin(x), x the loop's final value) is reused by name
# inside the backward loop, where x_1 is rebound to each step's taped input: grad_x_1 *
# np.cos(x_1) * np.cos(z) instead of ... * np.cos(np.sin(x_1)): d/dx wrong
@pytest.mark.parametrize("fn", [named_after_loop, named_after_loop_used],
                         ids=lambda fn: fn.__name__)
def test_name_after_loop_reused_in_backward_loop(fn):
    check_grads(symgrad.grad(fn), X)


def loop_adds_constant(x):
    s = np.sum(x)
    for _ in range(2):
        s = s + 1.0
    return s


# Was: a loop whose backward body is empty (s = s + 1.0: the adjoint passes through) is
# generated as 'for _ in range(steps):' with no body: IndentationError at decoration
def test_loop_with_empty_backward_body():
    check_grads(symgrad.grad(loop_adds_constant), X)


def while_break_on_counter(x):
    j = 0
    while j < 3:
        x = x * 2.0
        if j == 1:
            break
        j = j + 1
    return np.sum(x)


def for_break_on_updated_value(x):
    s = 0.0
    for i in range(4):
        x = x * 1.5
        if s > 1.5:
            break
        s = s + np.tanh(x[i]) + 1.0
    return s + np.sum(x)


# Was: break: the generated loop tests the break condition again at the end of the iteration,
# after the carried variables were rebound (j_1, x_1 = j_2, x_2; if j_1 == 1: break), so a
# condition on a variable updated after the break (j = j + 1, s = s + ...) breaks one iteration
# early: value and gradient wrong (2*sum(x) instead of 4*sum(x))
@pytest.mark.parametrize("fn", [while_break_on_counter, for_break_on_updated_value],
                         ids=lambda fn: fn.__name__)
def test_break_condition_retested_after_update(fn):
    G = symgrad.grad(fn)
    np.testing.assert_allclose(G(np.abs(X)), fn(np.abs(X)), rtol=1e-12)
    check_grads(G, np.abs(X))


def nested_break_then_loop(x, y, n):
    for i in range(2):
        if n > 5:
            if i < 1:
                break
        for _ in range(2):
            x = np.tanh(x + y)
    return np.sum(x)


def nested_continue_then_loop(x, y, n):
    for i in range(2):
        if n > 5:
            if i < 1:
                continue
        for _ in range(2):
            x = np.tanh(x + y)
    return np.sum(x)


# Was: break/continue nested in two ifs, then a loop: the rest of the body is copied into both
# sides of the outer if, and in the copy the inner loop's carried name is broken (x_2 = x_1;
# while ...: x_6 = tanh(x_2 + y); x_5 = x_6; x_2 never updated), so the inner loop has no
# effect: value sum(x) instead of the loop's result, d/dx wrong
@pytest.mark.parametrize("fn", [nested_break_then_loop, nested_continue_then_loop],
                         ids=lambda fn: fn.__name__)
@pytest.mark.parametrize("n", [1, 9])
def test_nested_break_drops_inner_loop(fn, n):
    G = symgrad.grad(fn, wrt=("x", "y"))
    np.testing.assert_allclose(G(X, Y, n), fn(X, Y, n), rtol=1e-12)
    check_grads(G, X, Y, n)
