"""Random array programs for the differential fuzzer (tests/test_fuzz_arrays.py).

One expression tree (``Node``) per program is rendered twice: as the numpy function ``f``
that symgrad reads like user code, and as ``f_torch``, the same program in torch. Both are
written to one fresh ``.py`` file and imported, so ``inspect.getsource`` works as it does for
user code.

``check(program)`` runs every check and returns an ``Outcome``; ``shrink(program, key)``
minimises a failing program while it keeps failing the same way. Run ``python
tests/fuzz_arrays_gen.py --help`` for a command-line hunt (many seeds, another branch's
symgrad with ``--symgrad PATH``, features switched off with ``--without``, shrinking).

The rules the checks apply are documented in test_fuzz_arrays.py's docstring.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import os
import random
import sys
import tempfile
import traceback
import types
import warnings

import numpy as np

# ======================================================================== the tree

FLOAT, BOOL = "f", "b"


@dataclasses.dataclass(frozen=True)
class Node:
    op: str  # var const bconst bin neg pow fn max2 min2 clip where cmp and or not red
    args: tuple  # child nodes
    shape: tuple  # numpy shape of the value
    kind: str  # FLOAT or BOOL
    attrs: tuple = ()  # op data: a name, a constant, an operator, (reduction, axis, keepdims)

    def walk(self):
        yield self
        for a in self.args:
            yield from a.walk()


def var(name, shape, kind=FLOAT):
    return Node("var", (), shape, kind, (name,))


def const(value):
    return Node("const", (), (), FLOAT, (float(value),))


def bshape(*shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _fmt_const(c):
    text = repr(float(c))
    return f"({text})" if c < 0 else text


def _fmt_exp(k):
    if isinstance(k, int):
        return f"({k})" if k < 0 else str(k)
    return {1 / 3: "(1 / 3)"}.get(k, repr(k))


def render(node: Node, lang: str) -> str:
    """The node as numpy (lang="np") or torch (lang="torch") source."""
    r = lambda n: render(n, lang)  # noqa: E731
    op, a, at = node.op, node.args, node.attrs
    tp = lang == "torch"
    if op == "var":
        return at[0]
    if op == "const":
        return f"torch.tensor({at[0]!r})" if tp else _fmt_const(at[0])
    if op == "bconst":
        items = ", ".join(repr(bool(v)) for v in at[0])
        return f"torch.tensor([{items}])" if tp else f"np.array([{items}])"
    if op == "bin":
        sym = at[0]
        if tp and sym == "//":
            return f'torch.div({r(a[0])}, {r(a[1])}, rounding_mode="floor")'
        if tp and sym == "%":
            return f"torch.remainder({r(a[0])}, {r(a[1])})"
        return f"({r(a[0])} {sym} {r(a[1])})"
    if op == "neg":
        return f"(-{r(a[0])})"
    if op == "pow":
        return f"({r(a[0])} ** {_fmt_exp(at[0])})"
    if op == "fn":
        return f"{'torch' if tp else 'np'}.{at[0]}({r(a[0])})"
    if op in ("max2", "min2"):
        name = {"max2": "maximum", "min2": "minimum"}[op]
        return f"{'torch' if tp else 'np'}.{name}({r(a[0])}, {r(a[1])})"
    if op == "clip":
        lo, hi = at
        return (f"torch.clamp({r(a[0])}, {lo!r}, {hi!r})" if tp
                else f"np.clip({r(a[0])}, {_fmt_const(lo)}, {_fmt_const(hi)})")
    if op == "where":
        return f"{'torch' if tp else 'np'}.where({r(a[0])}, {r(a[1])}, {r(a[2])})"
    if op == "filled":  # np.zeros / np.ones / np.full of a shape spelled (a) literally,
        fill, parts = at  # (b) as a value's .shape or (c) axis by axis from values' lengths
        if parts == "whole":
            size = f"{r(a[0])}.shape"
        else:
            items = [str(p[1]) if p[0] == "lit" else f"len({r(a[p[1]])})" if p[0] == "len"
                     else f"{r(a[p[1]])}.shape[{p[2]}]" for p in parts]
            size = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if tp:
            return f"torch.full({size}, {fill!r}, dtype=torch.float64)"
        if fill in (0.0, 1.0):
            return f"np.{'zeros' if fill == 0.0 else 'ones'}({size})"
        return f"np.full({size}, {_fmt_const(fill)})"
    if op == "cmp":
        return f"({r(a[0])} {at[0]} {r(a[1])})"
    if op in ("and", "or"):
        return f"({r(a[0])} {'&' if op == 'and' else '|'} {r(a[1])})"
    if op == "not":
        return f"(~{r(a[0])})"
    if op == "red":
        name, axis, keepdims, method = at
        src = a[0]
        if tp:
            tname = {"max": "amax", "min": "amin"}.get(name, name)
            if axis is None:
                return f"torch.{tname}({r(src)})"
            return f"torch.{tname}({r(src)}, dim={axis}, keepdim={keepdims})"
        opts = [] if axis is None else [f"axis={axis}"]
        if keepdims:
            opts.append("keepdims=True")
        if method:
            return f"{r(src)}.{name}({', '.join(opts)})"
        return f"np.{name}({', '.join([r(src)] + opts)})"
    raise AssertionError(op)


# ======================================================================== programs

FEATURES = ("broadcast", "where", "reduce", "ties", "masknum", "floormod", "intpow",
            "nandomain", "roundtrip", "elementwise", "neg", "div", "statements", "pyfloat",
            "create")


@dataclasses.dataclass
class Program:
    seed: int
    n: int
    m: int
    stmts: list  # [(name, Node)]
    ret: Node
    pyfloat: bool  # the scalar argument s is passed as a Python float (else np.float64)

    def used(self):
        names = set()
        for node in [n for _, n in self.stmts] + [self.ret]:
            names |= {k.attrs[0] for k in node.walk() if k.op == "var"}
        return names

    @property
    def params(self):
        used = self.used()
        return [p for p in ARGS if p in used]

    @property
    def wrt(self):
        return tuple(p for p in self.params if ARGS[p] == FLOAT)

    def source(self, lang="np"):
        name = "f" if lang == "np" else "f_torch"
        lines = [f"def {name}({', '.join(self.params)}):"]
        lines += [f"    {t} = {render(node, lang)}" for t, node in self.stmts]
        lines.append(f"    return {render(self.ret, lang)}")
        return "\n".join(lines) + "\n"

    def inputs(self):
        """The arguments, drawn from the seed (the same for every shrunk variant)."""
        rng = np.random.default_rng(self.seed)
        n, m = self.n, self.m
        values = {
            "x": rng.uniform(-1.5, 1.5, (n, m)), "u": rng.uniform(-1.5, 1.5, (n, 1)),
            "v": rng.uniform(-1.5, 1.5, (1, m)), "w": rng.uniform(-1.5, 1.5, (m,)),
            "s": rng.uniform(-1.5, 1.5),
            "mask": rng.uniform(size=(n, m)) < 0.5, "mrow": rng.uniform(size=m) < 0.5,
        }
        values["s"] = float(values["s"]) if self.pyfloat else np.float64(values["s"])
        return tuple(values[p] for p in self.params)

    def with_(self, stmts=None, ret=None):
        return dataclasses.replace(self, stmts=list(self.stmts if stmts is None else stmts),
                                   ret=self.ret if ret is None else ret)


ARGS = {"x": FLOAT, "u": FLOAT, "v": FLOAT, "w": FLOAT, "s": FLOAT, "mask": BOOL,
        "mrow": BOOL}


class Gen:
    """Draws a program from a seed; ``without`` switches feature families off."""

    def __init__(self, seed: int, without=(), depth=3):
        self.rng = random.Random(seed)
        self.seed = seed
        self.on = set(FEATURES) - set(without)
        self.depth = depth
        self.n, self.m = self.rng.choice([(2, 3), (3, 4), (3, 2), (4, 3)])
        n, m = self.n, self.m
        self.shapes = [(n, m), (n, 1), (1, m), (m,), (n,), ()]
        if "broadcast" not in self.on:
            self.shapes = [(n, m), ()]
        self.pairs = {t: [(a, b) for a in self.shapes for b in self.shapes if bshape(a, b) == t]
                      for t in self.shapes}
        self.reductions = {t: [] for t in self.shapes}
        for src in self.shapes:
            if not src:
                continue
            for axis in [None] + [ax for ax in (0, 1, -1, -2) if -len(src) <= ax < len(src)]:
                for keepdims in (False, True):
                    if axis is None and keepdims:
                        continue
                    out = np.sum(np.zeros(src), axis=axis, keepdims=keepdims).shape
                    if out in self.reductions:
                        self.reductions[out].append((src, axis, keepdims))
        self.floats = {"x": (n, m), "u": (n, 1), "v": (1, m), "w": (m,), "s": ()}
        if "broadcast" not in self.on:
            self.floats = {"x": (n, m), "s": ()}
        self.bools = {"mask": (n, m), "mrow": (m,)} if "broadcast" in self.on else \
            {"mask": (n, m)}
        self.locals_f: dict[str, tuple] = {}
        self.locals_b: dict[str, tuple] = {}

    # ---------------------------------------------------------------- helpers

    def pick(self, options, weights=None):
        return self.rng.choices(options, weights=weights)[0] if weights else \
            self.rng.choice(options)

    def const(self, nonzero=False):
        values = [-1.0, -0.5, -0.3, 0.0, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0]
        if nonzero:
            values = [v for v in values if v != 0.0]
        return const(self.pick(values))

    def leaf(self, shape):
        local = [k for k, s in self.locals_f.items() if s == shape]
        if local and self.rng.random() < 0.6:
            return var(self.pick(local), shape)
        args = [k for k, s in self.floats.items() if s == shape]
        if shape == () and (not args or self.rng.random() < 0.3):
            return self.const()
        if args:
            return var(self.pick(args), shape)
        if local:
            return var(self.pick(local), shape)
        # no argument of this shape: reduce one that has a matching reduction
        src, axis, keepdims = self.pick([r for r in self.reductions[shape]
                                         if r[0] in self.floats.values()])
        name = self.pick([k for k, s in self.floats.items() if s == src])
        return Node("red", (var(name, src),), shape, FLOAT,
                    (self.pick(["sum", "mean", "max"]), axis, keepdims, False))

    def two(self, shape):
        return self.pick(self.pairs[shape])

    def three(self, shape):
        for _ in range(50):
            c, a, b = (self.pick(self.shapes) for _ in range(3))
            if bshape(c, a, b) == shape:
                return c, a, b
        return shape, shape, shape

    # ---------------------------------------------------------------- float expressions

    def f(self, shape, d):
        if d <= 0 or self.rng.random() < 0.12:
            return self.leaf(shape)
        kinds = {"arith": 4, "neg": 1, "elementwise": 3, "maxmin": 1.5, "clip": 1,
                 "where": 3, "masknum": 2, "floormod": 1.5, "intpow": 2, "nandomain": 1.5,
                 "roundtrip": 0.7, "reduce": 3, "div": 1}
        gate = {"neg": "neg", "elementwise": "elementwise", "maxmin": "elementwise",
                "clip": "elementwise", "where": "where", "masknum": "masknum",
                "floormod": "floormod", "intpow": "intpow", "nandomain": "nandomain",
                "roundtrip": "roundtrip", "reduce": "reduce", "div": "div"}
        kinds = {k: w for k, w in kinds.items() if gate.get(k, "arith") in self.on | {"arith"}}
        if not self.reductions[shape]:
            kinds.pop("reduce", None)
        kind = self.pick(list(kinds), list(kinds.values()))
        return getattr(self, "f_" + kind)(shape, d - 1)

    def f_arith(self, shape, d):
        op = self.pick(["+", "-", "*"])
        if self.rng.random() < 0.25:
            a, c = self.f(shape, d), self.const()
            return Node("bin", (a, c) if self.rng.random() < 0.5 else (c, a), shape, FLOAT, (op,))
        sa, sb = self.two(shape)
        return Node("bin", (self.f(sa, d), self.f(sb, d)), shape, FLOAT, (op,))

    def f_div(self, shape, d):
        sa, sb = self.two(shape)
        num = self.f(sa, d)
        if self.rng.random() < 0.7:  # a denominator away from zero
            den = Node("bin", (const(1.0), Node("pow", (self.f(sb, d),), sb, FLOAT, (2,))),
                       sb, FLOAT, ("+",))
        else:
            den = self.f(sb, d)
        return Node("bin", (num, den), shape, FLOAT, ("/",))

    def f_neg(self, shape, d):
        return Node("neg", (self.f(shape, d),), shape, FLOAT)

    def f_elementwise(self, shape, d):
        return Node("fn", (self.f(shape, d),), shape, FLOAT,
                    (self.pick(["exp", "tanh", "sin", "abs"]),))

    def f_maxmin(self, shape, d):
        op = self.pick(["max2", "min2"])
        if self.rng.random() < 0.3:
            return Node(op, (self.f(shape, d), self.const()), shape, FLOAT)
        sa, sb = self.two(shape)
        return Node(op, (self.f(sa, d), self.f(sb, d)), shape, FLOAT)

    def f_clip(self, shape, d):
        lo, hi = self.pick([(-0.5, 0.5), (0.0, 1.0), (-1.0, 0.2)])
        return Node("clip", (self.f(shape, d),), shape, FLOAT, (lo, hi))

    def f_where(self, shape, d):
        sc, sa, sb = self.three(shape)
        a = self.f(sa, d)
        if sb == () and self.rng.random() < 0.5:
            b = self.const()
        else:
            b = self.f(sb, d)
        if self.rng.random() < 0.5:
            a, b = b, a
        if bshape(sc, a.shape, b.shape) != shape:
            sc = shape
        return Node("where", (self.b(sc, d), a, b), shape, FLOAT)

    def f_masknum(self, shape, d):
        sc, sa = self.two(shape)
        c, a = self.b(sc, d), self.f(sa, d)
        style = self.pick(["c*a", "a*c", "c*1*a", "c+a"])
        if style == "c*a":
            return Node("bin", (c, a), shape, FLOAT, ("*",))
        if style == "a*c":
            return Node("bin", (a, c), shape, FLOAT, ("*",))
        if style == "c*1*a":
            one = Node("bin", (c, const(1.0)), sc, FLOAT, ("*",))
            return Node("bin", (one, a), shape, FLOAT, ("*",))
        return Node("bin", (c, a), shape, FLOAT, ("+",))

    def created(self, node: Node, rng: random.Random) -> Node:
        """``node`` with some float subtrees broadcast against an array made by np.zeros /
        np.ones / np.full (whose shape the rank patterns know from a literal or from the
        values it is read from). Drawn from its own ``rng``, after the program, so that the
        programs of the other features stay those of their seeds."""
        args = tuple(self.created(a, rng) for a in node.args)
        node = dataclasses.replace(node, args=args) if args != node.args else node
        if node.kind != FLOAT or node.op == "filled" or rng.random() > 0.12:
            return node
        fill = rng.choice([0.0, 1.0, 0.5, -0.3])
        narrower = [s for s in self.shapes if bshape(s, node.shape) == node.shape and
                    (s or rng.random() < 0.2)] or [()]  # (mostly arrays)
        made = self.filled(rng.choice(narrower), fill, rng)
        op = "+" if fill == 0.0 else rng.choice(["+", "*", "-"])
        return Node("bin", (made, node) if rng.random() < 0.5 else (node, made), node.shape,
                    FLOAT, (op,))

    def filled(self, shape, fill, rng):
        whole = [k for k, s in self.floats.items() if s == shape and s]  # (s: a float)
        style = rng.choice(["lit", "whole", "axes"])
        if style == "whole" and whole:
            return Node("filled", (var(rng.choice(whole), shape),), shape, FLOAT, (fill, "whole"))
        children, parts = [], []
        for length in shape:
            found = [(k, i) for k, s in self.floats.items() for i, n in enumerate(s)
                     if n == length]
            if style == "axes" and found and rng.random() < 0.7:
                name, i = rng.choice(found)
                children.append(var(name, self.floats[name]))
                parts.append(("len", len(children) - 1) if i == 0 and rng.random() < 0.4
                             else ("dim", len(children) - 1, i))
            else:
                parts.append(("lit", length))
        return Node("filled", tuple(children), shape, FLOAT, (fill, tuple(parts)))

    def f_floormod(self, shape, d):
        op = self.pick(["//", "%"])
        style = self.pick(["aa", "ac", "ca"], [3, 2, 1])
        if style == "aa":
            sa, sb = self.two(shape)
            args = (self.f(sa, d), self.f(sb, d))
        elif style == "ac":
            args = (self.f(shape, d), self.const(nonzero=True))
        else:
            args = (self.const(nonzero=True), self.f(shape, d))
        return Node("bin", args, shape, FLOAT, (op,))

    def f_intpow(self, shape, d):
        return Node("pow", (self.f(shape, d),), shape, FLOAT, (self.pick([0, 1, 2, 3, -1, -2]),))

    def f_nandomain(self, shape, d):
        a = self.f(shape, d)
        kind = self.pick(["sqrt", "log", "p0.5", "p1.5", "p1/3", "guard"])
        if kind in ("sqrt", "log"):
            return Node("fn", (a,), shape, FLOAT, (kind,))
        if kind == "guard":  # np.where(a > 0, np.sqrt(a), c): the classic where-gotcha
            cond = Node("cmp", (a, const(0.0)), shape, BOOL, (">",))
            inner = Node("fn", (a,), shape, FLOAT, (self.pick(["sqrt", "log"]),))
            return Node("where", (cond, inner, self.const()), shape, FLOAT)
        return Node("pow", (a,), shape, FLOAT, ({"p0.5": 0.5, "p1.5": 1.5, "p1/3": 1 / 3}[kind],))

    def f_roundtrip(self, shape, d):
        a = self.f(shape, d)
        kind = self.pick(["sqrt2", "explog", "cube", "sqrtsq"])
        if kind == "sqrt2":
            return Node("pow", (Node("fn", (a,), shape, FLOAT, ("sqrt",)),), shape, FLOAT, (2,))
        if kind == "explog":
            return Node("fn", (Node("fn", (a,), shape, FLOAT, ("log",)),), shape, FLOAT, ("exp",))
        if kind == "cube":
            return Node("pow", (Node("pow", (a,), shape, FLOAT, (3,)),), shape, FLOAT, (1 / 3,))
        return Node("fn", (Node("pow", (a,), shape, FLOAT, (2,)),), shape, FLOAT, ("sqrt",))

    def f_reduce(self, shape, d):
        src, axis, keepdims = self.pick(self.reductions[shape])
        name = self.pick(["sum", "mean", "max", "min", "prod"], [3, 2, 2, 2, 1])
        method = self.rng.random() < 0.3
        if name in ("max", "min") and len(src) == 2 and "ties" in self.on and \
                self.rng.random() < 0.5:
            inner = self.tied(src, d)
        else:
            inner = self.f(src, d)
        return Node("red", (inner,), shape, FLOAT, (name, axis, keepdims, method))

    def tied(self, src, d):
        """A src-shaped value with ties made by broadcasting (np.where over a narrow value)."""
        narrow = [s for s in self.shapes if s != src and bshape(s, src) == src]
        a = self.f(self.pick(narrow), d)
        b = self.const() if self.rng.random() < 0.6 else self.f(self.pick(narrow), d)
        if self.rng.random() < 0.3:
            return Node("bin", (a, Node("bin", (const(0.0), self.leaf(src)), src, FLOAT, ("*",))),
                        src, FLOAT, ("+",))
        return Node("where", (self.b(src, d), a, b), src, FLOAT)

    # ---------------------------------------------------------------- conditions

    def b(self, shape, d):
        options = {"var": 3 if any(s == shape for s in self.bools.values()) else 0,
                   "local": 2 if any(s == shape for s in self.locals_b.values()) else 0,
                   "bconst": 1 if len(shape) == 1 else 0,
                   "cmp": 4, "always": 1, "logic": 1 if d > 0 else 0}
        kind = self.pick(list(options), list(options.values()))
        if kind == "var":
            return var(self.pick([k for k, s in self.bools.items() if s == shape]), shape, BOOL)
        if kind == "local":
            return var(self.pick([k for k, s in self.locals_b.items() if s == shape]), shape,
                       BOOL)
        if kind == "bconst":
            values = [self.rng.random() < 0.5 for _ in range(shape[0])]
            return Node("bconst", (), shape, BOOL, (tuple(values),))
        if kind == "always":  # always true, must still broadcast (issue 11, defect 2)
            a = self.f(shape, max(d - 1, 0))
            if self.rng.random() < 0.5:
                return Node("cmp", (Node("fn", (a,), shape, FLOAT, ("exp",)), const(0.0)), shape,
                            BOOL, (">",))
            return Node("cmp", (Node("pow", (a,), shape, FLOAT, (2,)), const(-1.0)), shape,
                        BOOL, (">=",))
        if kind == "logic":
            if len(shape) and self.rng.random() < 0.3:
                return Node("not", (self.b(shape, d - 1),), shape, BOOL)
            sa, sb = self.two(shape)
            return Node(self.pick(["and", "or"]), (self.b(sa, d - 1), self.b(sb, d - 1)), shape,
                        BOOL)
        op = self.pick([">", "<", ">=", "<="])
        if self.rng.random() < 0.5:
            return Node("cmp", (self.f(shape, max(d - 1, 0)), self.const()), shape, BOOL, (op,))
        sa, sb = self.two(shape)
        return Node("cmp", (self.f(sa, max(d - 1, 0)), self.f(sb, max(d - 1, 0))), shape, BOOL,
                    (op,))

    # ---------------------------------------------------------------- the program

    def program(self) -> Program:
        stmts = []
        count = self.rng.randint(0, 3) if "statements" in self.on else 0
        for i in range(count):
            if self.rng.random() < 0.25:
                shape = self.pick(self.shapes)
                node = self.b(shape, self.rng.randint(1, self.depth))
                name = f"c{i}"
                self.locals_b[name] = shape
            else:
                shape = self.pick(self.shapes)
                node = self.f(shape, self.rng.randint(1, self.depth))
                name = f"t{i}"
                self.locals_f[name] = shape
            stmts.append((name, node))
        shape = self.pick(self.shapes)
        ret = self.f(shape, self.depth)
        if shape and self.rng.random() < 0.5:
            ret = Node("red", (ret,), (), FLOAT, ("sum", None, False, False))
        pyfloat = "pyfloat" in self.on and self.rng.random() < 0.5
        if "create" in self.on:
            rng = random.Random(self.seed + 0x5EED)
            stmts = [(t, self.created(n, rng)) for t, n in stmts]
            ret = self.created(ret, rng)
        prog = Program(self.seed, self.n, self.m, stmts, ret, pyfloat)
        return _prune(prog)


def _prune(prog: Program) -> Program:
    """Drop statements nothing reads."""
    stmts = list(prog.stmts)
    while True:
        read = set()
        for node in [n for _, n in stmts] + [prog.ret]:
            read |= {k.attrs[0] for k in node.walk() if k.op == "var"}
        keep = [(t, n) for t, n in stmts if t in read]
        if len(keep) == len(stmts):
            return prog.with_(stmts=keep)
        stmts = keep


def generate(seed: int, without=()) -> Program:
    """The program for a seed: regenerated from seed * 1000 + k until it reads a float arg."""
    for k in itertools.count():
        prog = Gen(seed * 1000 + k, without).program()
        prog.seed = seed
        if prog.wrt:
            return prog


# ======================================================================== running

_DIR = tempfile.mkdtemp(prefix="symgrad_fuzz_arrays_")
_COUNTER = itertools.count()
HEADER = """import numpy as np

try:
    import torch
except ImportError:
    torch = None


"""


def load(prog: Program) -> types.ModuleType:
    """Both renderings in one fresh module file, imported."""
    name = f"symgrad_fuzz_arrays_{os.getpid()}_{next(_COUNTER)}"
    path = os.path.join(_DIR, name + ".py")
    with open(path, "w") as fh:
        fh.write(HEADER + prog.source("np") + "\n\n" + prog.source("torch"))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclasses.dataclass
class Outcome:
    status: str  # "pass", "fail", "discard"
    stage: str = ""  # the first check that failed (the failure class's key)
    detail: str = ""
    program: Program | None = None

    def report(self) -> str:
        p = self.program
        args = ", ".join(f"{k}={_show(a)}" for k, a in zip(p.params, p.inputs(), strict=True))
        return (f"[{self.stage}] seed={p.seed}\n--- program\nimport numpy as np\n\n"
                f"{p.source('np')}\nargs: {args}\nwrt: {p.wrt}\n--- torch translation\n"
                f"{p.source('torch')}--- mismatch\n{self.detail}")


def _show(a):
    if isinstance(a, np.ndarray):
        return f"np.array({a.tolist()!r})"
    return f"{type(a).__name__}({float(a)!r})"


def _copy(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _same_value(got, expected, what, zero_signs=False):
    """'' when got is numpy's value (shape, dtype, NaN/inf positions, numbers, and with
    ``zero_signs`` the sign of each zero), else why not."""
    g, e = np.asarray(got), np.asarray(expected)
    if g.shape != e.shape:
        return f"{what}: shape {g.shape}, numpy gives {e.shape}"
    if g.dtype != e.dtype:
        return f"{what}: dtype {g.dtype}, numpy gives {e.dtype}"
    if not np.array_equal(np.isnan(g), np.isnan(e)):
        return f"{what}: NaN at {np.argwhere(np.isnan(g)).tolist()}, numpy has NaN at " \
               f"{np.argwhere(np.isnan(e)).tolist()}\n  got      {g!r}\n  expected {e!r}"
    if not np.allclose(g, e, rtol=1e-10, atol=1e-12, equal_nan=True):
        return f"{what}: values differ\n  got      {g!r}\n  expected {e!r}"
    if zero_signs and g.dtype.kind == "f":
        zeros = (g == 0) & (e == 0)
        if not np.array_equal(np.signbit(g[zeros]), np.signbit(e[zeros])):
            # (-0.0 for 0.0: a division or atan2 after it would give -inf or -pi)
            return f"{what}: sign of zero differs\n  got      {g!r}\n  expected {e!r}"
    return ""


TORCH_RTOL, TORCH_ATOL = 1e-7, 1e-9
FD_RTOL, FD_ATOL = 1e-5, 1e-6
FD_STEPS = (1e-6, 1e-5)


def _have_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_reference(module, args, wrt_index, seed):
    import torch

    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        tensors = [torch.tensor(a, dtype=torch.float64 if i in wrt_index else None,
                                requires_grad=i in wrt_index) for i, a in enumerate(args)]
        out = module.f_torch(*tensors)
        assert out.dtype == torch.float64, out.dtype
        if not out.requires_grad:  # a step function of the arguments: gradient 0
            pass
        elif seed is None:
            out.backward()
        else:
            out.backward(torch.tensor(seed))
        grads = [tensors[i].grad for i in wrt_index]
        grads = [np.zeros(np.shape(args[i])) if g is None else g.numpy()
                 for g, i in zip(grads, wrt_index, strict=True)]
        return out.detach().numpy(), grads
    finally:
        torch.set_default_dtype(old)


def hides_nan(prog: Program) -> bool:
    """Could the program's value be finite while a NaN sits in a branch it discards?

    True when a where, a mask used as a number, ``//``, ``% c``, ``** 0``, a max/min (or
    maximum/minimum/clip) or a comparison reads a subexpression that can be NaN: there
    torch's gradient is NaN by the chain rule (0 * NaN), and a finite gradient is as right.
    """
    nan_ops = {("fn", "sqrt"), ("fn", "log")}

    def can_nan(node):
        return any((k.op, k.attrs[0] if k.attrs else None) in nan_ops or
                   (k.op == "pow" and (not isinstance(k.attrs[0], int) or k.attrs[0] < 0)) or
                   (k.op == "bin" and k.attrs[0] in ("/", "//", "%"))
                   for k in node.walk())

    inlined = prog.ret
    for name, node in reversed(prog.stmts):
        inlined = _subst_var(inlined, name, node)
    for k in inlined.walk():
        killer = (k.op in ("where", "cmp", "max2", "min2", "clip")
                  or (k.op == "red" and k.attrs[0] in ("max", "min", "prod"))
                  or (k.op == "bin" and k.attrs[0] in ("//", "%"))
                  or (k.op == "bin" and any(a.kind == BOOL for a in k.args))
                  or (k.op == "pow" and k.attrs[0] == 0))
        if killer and any(can_nan(a) for a in k.args):
            return True
    return False


def check(prog: Program, symgrad_module=None) -> Outcome:
    """Every check for one program; the first one that fails names the outcome's stage."""
    if symgrad_module is None:
        import symgrad as symgrad_module
    from gradutil import numeric_grad

    out = Outcome("pass", program=prog)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        module = load(prog)
        args = prog.inputs()
        try:
            expected = module.f(*_copy(args))
        except (ZeroDivisionError, OverflowError, ValueError, TypeError):
            return Outcome("discard", "plain raises", program=prog)
        if np.iscomplexobj(expected) or isinstance(expected, complex):
            return Outcome("discard", "complex", program=prog)
        wrt_index = [prog.params.index(w) for w in prog.wrt]
        seed = None
        if np.shape(expected):
            seed = np.random.default_rng(prog.seed + 1).normal(size=np.shape(expected))

        def fail(stage, detail):
            out.status, out.stage, out.detail = "fail", stage, detail
            return out

        try:
            G = symgrad_module.grad(module.f, wrt=prog.wrt)
        except symgrad_module.SymgradError as exc:
            lines = str(exc).splitlines()
            carets = [i for i, ln in enumerate(lines) if ln.strip().startswith("^")]
            first = lines[carets[0] + 1] if carets and carets[0] + 1 < len(lines) else \
                lines[-1]
            return fail(f"refused at decoration: {first.strip()[:70]}", str(exc))
        except Exception as exc:  # noqa: BLE001
            return fail(_crash("at decoration", exc), _tb(exc))
        gen = getattr(G, "source", "")
        try:
            got = G(*_copy(args))
        except Exception as exc:  # noqa: BLE001
            return fail(_crash("in primal", exc), _tb(exc) + _gen(gen))
        why = _same_value(got, expected, "primal", zero_signs=True)
        if why:
            return fail("primal " + why.split(":")[1].split()[0], why + _gen(gen))
        try:
            value, grads = G.value_and_grad(*_copy(args), seed=seed)
        except Exception as exc:  # noqa: BLE001
            return fail(_crash("in gradient", exc), _tb(exc) + _gen(gen))
        if len(prog.wrt) == 1:
            grads = (grads,)
        why = _same_value(value, expected, "value_and_grad's value", zero_signs=True)
        if why:
            return fail("value_and_grad value", why + _gen(gen))
        for name, g, i in zip(prog.wrt, grads, wrt_index, strict=True):
            if g is None or np.shape(g) != np.shape(args[i]):
                return fail("gradient shape", f"d/d{name}: {None if g is None else np.shape(g)}"
                            f", argument shape {np.shape(args[i])}" + _gen(gen))

        # torch: equal wherever torch's gradient is finite (inf compares as a number)
        if not _have_torch():
            t_grads = [np.full(np.shape(args[i]), np.nan) for i in wrt_index]
        else:
            t_value, t_grads = torch_reference(module, _copy(args), wrt_index, seed)
            why = _same_value(np.asarray(t_value, dtype=float),
                              np.asarray(expected, dtype=float), "torch translation")
            if why:  # torch computes another value (e.g. Python's complex float ** 1.5)
                return Outcome("discard", "torch translation disagrees", program=prog)
        strict_nan = (_have_torch() and not np.all(np.isfinite(expected))
                      and not hides_nan(prog))
        for name, g, tg in zip(prog.wrt, grads, t_grads, strict=True):
            g = np.asarray(g, dtype=float)
            known = ~np.isnan(tg)
            scale = 1.0 + np.max(np.abs(tg[np.isfinite(tg)]), initial=0.0)
            close = np.isclose(g, tg, rtol=TORCH_RTOL, atol=TORCH_ATOL * scale)
            close |= (g == tg)  # inf
            bad = known & ~close
            if not np.all(np.isfinite(expected)):  # a NaN value: a NaN slope is honest
                bad &= ~np.isnan(g)
            if bad.any():
                return fail("gradient != torch",
                            _diff(name, g, tg, bad, "torch") + _gen(gen))
            if strict_nan and (np.isnan(tg) & ~np.isnan(g)).any():
                return fail("gradient finite where torch's is NaN (NaN value)",
                            _diff(name, g, tg, np.isnan(tg) & ~np.isnan(g), "torch") + _gen(gen))

        # central differences at two steps; checked where both agree and the value is finite
        if not np.all(np.isfinite(expected)):
            return out
        types_ = [type(a) if not isinstance(a, np.ndarray) else None for a in args]

        def fn(*a):  # the arguments as the program takes them (gradutil makes 0-d arrays)
            a = [t(float(v)) if t else v for t, v in zip(types_, a, strict=True)]
            try:
                return module.f(*_copy(a))
            except (ZeroDivisionError, OverflowError, TypeError):
                return np.nan
        for name, g, i in zip(prog.wrt, grads, wrt_index, strict=True):
            g = np.asarray(g, dtype=float)
            fd = [numeric_grad(fn, list(args), i, seed=seed, eps=eps) for eps in FD_STEPS]
            scale = 1.0 + np.max(np.abs(fd[0][np.isfinite(fd[0])]), initial=0.0)
            smooth = (np.isfinite(fd[0]) & np.isfinite(fd[1]) &
                      np.isclose(fd[0], fd[1], rtol=10 * FD_RTOL, atol=FD_ATOL * scale))
            close = np.isclose(g, fd[0], rtol=FD_RTOL, atol=FD_ATOL * scale)
            bad = smooth & ~close
            if bad.any():
                stage = "gradient != finite differences"
                if np.isnan(g[bad]).all():
                    stage = "gradient NaN where finite differences are finite"
                return fail(stage, _diff(name, g, fd[0], bad, "central differences") +
                            f"\n  torch: {np.asarray(t_grads[wrt_index.index(i)])!r}" + _gen(gen))
        return _check_jvp(G, prog, args, wrt_index, expected, seed, grads, out, fail)
    return out


def _check_jvp(G, prog, args, wrt_index, expected, seed, grads, out, fail):
    """Forward mode against reverse mode (checked above against torch and differences):
    <seed, J t> = sum_i <grad_i, t_i> for random tangents t, where both are finite."""
    rng = np.random.default_rng(prog.seed + 2)
    tangents = tuple(rng.normal(size=np.shape(args[i])) for i in wrt_index)
    try:
        value, tangent = G.jvp(*_copy(args), tangents=tangents)
    except Exception as exc:  # noqa: BLE001
        return fail(_crash("in jvp", exc), _tb(exc) + _gen(G.jvp.source if hasattr(G, "jvp") else ""))
    why = _same_value(value, expected, "jvp's value")
    if why:
        return fail("jvp value", why + _gen(G.jvp.source))
    if np.shape(tangent) != np.shape(expected):
        return fail("jvp tangent shape", f"{np.shape(tangent)} for an output of shape "
                    f"{np.shape(expected)}" + _gen(G.jvp.source))
    forward = np.asarray(tangent, dtype=float) * (1.0 if seed is None else seed)
    backward = [np.asarray(g, dtype=float) * t for g, t in zip(grads, tangents, strict=True)]
    if not (np.all(np.isfinite(forward)) and all(np.all(np.isfinite(b)) for b in backward)):
        return out  # a NaN slope somewhere: compared by the reverse checks above
    lhs, rhs = float(np.sum(forward)), float(sum(np.sum(b) for b in backward))
    scale = 1.0 + np.sum(np.abs(forward)) + sum(np.sum(np.abs(b)) for b in backward)
    if abs(lhs - rhs) > 1e-9 * scale:
        return fail("jvp != vjp", f"<seed, J t> = {lhs!r}, <J^T seed, t> = {rhs!r}" +
                    _gen(G.jvp.source))
    return out


def _diff(name, got, expected, bad, referee):
    return (f"d/d{name} at {np.argwhere(bad).tolist()}\n  symgrad {np.asarray(got)!r}\n"
            f"  {referee} {np.asarray(expected)!r}")


def _crash(where_, exc):
    """A crash's failure class: where, the exception type and its message without numbers."""
    import re

    lines = str(exc).strip().splitlines() or [""]
    msg = next((ln for ln in lines if "failed at this line" in ln), lines[0])
    msg = re.sub(r"[0-9]+", "N", re.sub(r"'[^']*'", "'_'", msg))[-70:]
    return f"crash {where_}: {type(exc).__name__}: {msg}"


def _tb(exc):
    return "".join(traceback.format_exception(exc)[-6:])


def _gen(source):
    return f"\n--- generated code\n{source}" if source else ""


# ======================================================================== shrinking


def _replace(node: Node, target: Node, new: Node) -> Node:
    if node is target:
        return new
    if not node.args:
        return node
    args = tuple(_replace(a, target, new) for a in node.args)
    if all(a is b for a, b in zip(args, node.args, strict=True)):
        return node
    return dataclasses.replace(node, args=args)


def _candidates(node: Node, prog: Program):
    """Smaller nodes of the same shape and kind to try in node's place."""
    out = [a for a in node.args if a.shape == node.shape and a.kind == node.kind]
    if node.kind == FLOAT:
        shapes = {"x": (prog.n, prog.m), "u": (prog.n, 1), "v": (1, prog.m), "w": (prog.m,),
                  "s": ()}
        out += [var(k, s) for k, s in shapes.items() if s == node.shape and node.op != "var"]
        if node.shape == () and node.op != "const":
            out.append(const(0.5))
    else:
        shapes = {"mask": (prog.n, prog.m), "mrow": (prog.m,)}
        out += [var(k, s, BOOL) for k, s in shapes.items() if s == node.shape and
                node.op != "var"]
    return out


def shrink(prog: Program, key: str, symgrad_module=None, budget=300) -> Program:
    """A smaller program that still fails with stage ``key`` (greedy, node by node)."""
    def still(p):
        if not _prune(p).wrt:
            return False
        try:
            o = check(_prune(p), symgrad_module)
        except AssertionError:
            return False
        return o.status == "fail" and o.stage == key

    tries = 0
    changed = True
    while changed and tries < budget:
        changed = False
        # inline or drop statements
        for idx in range(len(prog.stmts)):
            name, node = prog.stmts[idx]
            rest = prog.stmts[:idx] + prog.stmts[idx + 1:]

            def sub(n, name=name, node=node):
                return _subst_var(n, name, node)
            cand = prog.with_(stmts=[(t, sub(n)) for t, n in rest], ret=sub(prog.ret))
            tries += 1
            if still(cand):
                prog, changed = _prune(cand), True
                break
        if changed:
            continue
        roots = [("ret", prog.ret)] + [(i, n) for i, (_, n) in enumerate(prog.stmts)]
        for where_, root in roots:
            for node in list(root.walk()):
                for new in _candidates(node, prog):
                    if tries >= budget:
                        return prog
                    tries += 1
                    new_root = _replace(root, node, new)
                    if where_ == "ret":
                        cand = prog.with_(ret=new_root)
                    else:
                        stmts = list(prog.stmts)
                        stmts[where_] = (stmts[where_][0], new_root)
                        cand = prog.with_(stmts=stmts)
                    if still(cand):
                        prog, changed = _prune(cand), True
                        break
                if changed:
                    break
            if changed:
                break
    return prog


def _subst_var(node: Node, name: str, value: Node) -> Node:
    if node.op == "var" and node.attrs[0] == name:
        return value
    if not node.args:
        return node
    return dataclasses.replace(node, args=tuple(_subst_var(a, name, value) for a in node.args))


# ======================================================================== command line


def main(argv=None):
    import argparse
    import collections
    import time

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0:300", help="start:stop (default 0:300)")
    parser.add_argument("--symgrad", help="a checkout whose symgrad to test (sys.path[0])")
    parser.add_argument("--without", default="", help=f"comma-separated from {FEATURES}")
    parser.add_argument("--shrink", action="store_true", help="minimise one failure per class")
    parser.add_argument("--show", type=int, default=1, help="failures printed per class")
    opts = parser.parse_args(argv)
    if opts.symgrad:
        sys.path.insert(0, os.path.abspath(opts.symgrad))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import symgrad

    print("symgrad from", symgrad.__file__)
    start, stop = map(int, opts.seeds.split(":"))
    without = [w for w in opts.without.split(",") if w]
    classes = collections.defaultdict(list)
    counts = collections.Counter()
    t0 = time.time()
    for seed in range(start, stop):
        o = check(generate(seed, without), symgrad)
        counts[o.status] += 1
        if o.status == "fail":
            classes[o.stage].append(o)
    print(f"{stop - start} programs in {time.time() - t0:.1f}s: {dict(counts)}")
    for stage, outs in sorted(classes.items(), key=lambda kv: -len(kv[1])):
        print(f"\n==== {stage}: {len(outs)} (seeds {[o.program.seed for o in outs][:20]})")
        for o in outs[:opts.show]:
            prog = shrink(o.program, stage, symgrad) if opts.shrink else o.program
            print(check(prog, symgrad).report() if opts.shrink else o.report())


if __name__ == "__main__":
    main()
