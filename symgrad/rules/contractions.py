"""Tensor contractions: np.einsum and np.tensordot.

One einsum in the forward pass is one einsum per operand in the backward pass: the cotangent
of operand k contracts g with the other operands into operand k's subscripts. An index that
only operand k has (summed away in the forward) comes back as an ``np.ones`` factor, and an
index operand k repeats (``'ii->i'``, a diagonal) as an ``np.eye`` factor: the cotangent is
embedded on the diagonal.

The subscripts are normalized once (``einsum_spec``): implicit output made explicit, the
sublist form spelled as a string, so the printed code and the vjp read one explicit form.

Broadcasting: numpy broadcasts ``...`` dimensions (and, undocumented, named dimensions of
size 1). The cotangent of an operand with ``...`` is summed back to its shape; a named
dimension of size 1 broadcast against a larger one is not supported (numpy's documentation
says broadcasting is what ``...`` is for).
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from symgrad.rules.registry import (
    COSTLY,
    LINEAR,
    MULTILINEAR,
    VIEW,
    Rule,
    lazy_module,
    primitive,
)

base = lazy_module("symgrad.rules.base")
grads = lazy_module("symgrad.rules.grads")
creation = lazy_module("symgrad.rules.creation")
shape = lazy_module("symgrad.rules.shape")

Dims = tuple[int, ...]
_LETTERS = string.ascii_letters
_DOTS = "."  # '...' as one character inside a parsed term


# ------------------------------------------------------------------------ subscripts


def _terms(text: str) -> list[str]:
    """``'...ij'`` -> ``'.ij'`` (``.`` standing for the ellipsis), checked."""
    out = text.replace("...", _DOTS)
    bad = [c for c in out if c not in _LETTERS and c != _DOTS]
    if bad:
        raise ValueError(f"einsum: invalid subscript {bad[0]!r} in {text!r}")
    if out.count(_DOTS) > 1:
        raise ValueError(f"einsum: more than one '...' in {text!r}")
    return out


def einsum_spec(subscripts: str, n: int) -> str:
    """numpy's subscripts for ``n`` operands in explicit form: ``'ij,jk'`` is
    ``'ij,jk->ik'`` (the output of implicit mode: ``...`` then the indices that appear once,
    in alphabetical order). ValueError where numpy would refuse."""
    text = subscripts.replace(" ", "")
    inputs, arrow, output = text.partition("->")
    terms = [_terms(t) for t in inputs.split(",")]
    if len(terms) != n:
        raise ValueError(f"einsum: {len(terms)} operand subscripts for {n} operand(s)")
    letters = "".join(terms).replace(_DOTS, "")
    dots = any(_DOTS in t for t in terms)
    if not arrow:
        out = (_DOTS if dots else "") + "".join(sorted(c for c in set(letters)
                                                       if letters.count(c) == 1))
    else:
        out = _terms(output)
        for c in out:
            if c != _DOTS and c not in letters:
                raise ValueError(f"einsum: output subscript {c!r} is in no operand")
            if out.count(c) > 1:
                raise ValueError(f"einsum: output subscript {c!r} appears more than once")
        if dots and _DOTS not in out:
            # numpy accepts this only when every '...' covers no dimension: say so plainly
            terms = [t.replace(_DOTS, "") for t in terms]
    return _spelled(terms, out)


def sublist_spec(operands_and_sublists: list[Any]) -> tuple[str, int]:
    """The sublist form ``(a, [0, 1], b, [1, 2], [0, 2])`` as ``('ab,bc->ac', 2)``: integer
    labels as letters (0-25 a-z, 26-51 A-Z, as numpy), ``Ellipsis`` as ``...``; the items are
    the sublists only (operands replaced by None)."""
    items = list(operands_and_sublists)
    n = len(items) // 2
    out = items[2 * n] if len(items) % 2 else None

    def spell(sub: Any) -> str:
        if not isinstance(sub, (list, tuple)):
            raise ValueError("einsum: a sublist must be a list of integers")
        text = ""
        for label in sub:
            if label is Ellipsis:
                text += "..."
            elif isinstance(label, int) and not isinstance(label, bool) and \
                    0 <= label < len(_LETTERS):
                text += _LETTERS[label]
            else:
                raise ValueError(f"einsum: sublist label {label!r} is not an integer in "
                                 f"[0, {len(_LETTERS)})")
        return text

    inputs = ",".join(spell(items[2 * i + 1]) for i in range(n))
    return einsum_spec(inputs if out is None else f"{inputs}->{spell(out)}", n), n


def _spelled(terms: list[str], out: str) -> str:
    return ",".join(terms).replace(_DOTS, "...") + "->" + out.replace(_DOTS, "...")


def _parsed(spec: str) -> tuple[list[str], str]:
    """An explicit spec as (input terms, output term), ``.`` for each ellipsis."""
    inputs, _, output = spec.replace("...", _DOTS).partition("->")
    return inputs.split(","), output


def _position(term: str, i: int) -> int:
    """The axis of character ``i`` of a term: from the front before ``...``, from the back
    after it."""
    dots = term.find(_DOTS)
    return i if dots < 0 or i < dots else i - len(term)


# ------------------------------------------------------------------------ einsum


@primitive("einsum", np.einsum, params="subscripts, operands", arrays=("operands",),
           variadic=True, lower="einsum_call", traits={LINEAR, MULTILINEAR, COSTLY, VIEW},
           eager=lambda operands, subscripts: np.einsum(subscripts, *operands))
class Einsum(Rule):
    """args: (*operands, spec): np.einsum with explicit subscripts (``einsum_spec``).

    VIEW: numpy returns a view of a single operand for a transpose or a diagonal
    (``'ii->i'``). LINEAR in each operand, as a product is."""

    n_diff = None
    node_args = ("operands", "subscripts")

    def _numpycode(self, printer: Any) -> str:
        xs = "".join(f", {base._a(printer, x)}" for x in self.args[:-1])
        return f"np.einsum({base.sval(self.args[-1])!r}{xs})"

    def vjp(self, g: Any) -> list[Any]:
        terms, out = _parsed(base.sval(self.args[-1]))
        xs = self.args[:-1]
        return [_operand_grad(g, out, [(t, x) for j, (t, x) in enumerate(zip(terms, xs,
                                                                             strict=True))
                                       if j != k], terms[k], xs[k])
                for k in range(len(xs))]

    @staticmethod
    def out_shape(*shapes: Dims, subscripts: str) -> Dims:
        terms, out = _parsed(einsum_spec(subscripts, len(shapes)))
        sizes: dict[str, int] = {}
        dots: list[Dims] = []
        for term, s in zip(terms, shapes, strict=True):
            named = len(term) - (_DOTS in term)
            if len(s) < named or _DOTS not in term and len(s) != named:
                raise ValueError(f"einsum: operand of shape {s} does not fit {term!r}")
            for i, c in enumerate(term):
                if c != _DOTS:
                    n = s[_position(term, i)]
                    if sizes.get(c, n) != n and 1 not in (n, sizes[c]):
                        raise ValueError(f"einsum: index {c!r} has sizes {sizes[c]} and {n}")
                    sizes[c] = max(sizes.get(c, n), n)
            if _DOTS in term:
                start = term.find(_DOTS)
                dots.append(s[start:len(s) - (len(term) - start - 1)])
        batch = tuple(np.broadcast_shapes(*dots)) if dots else ()
        return tuple(d for c in out for d in (batch if c == _DOTS else (sizes[c],)))


def _operand_grad(g: Any, out: str, others: list[tuple[str, Any]], term: str, x: Any) -> Any:
    """The cotangent of the operand ``x`` with subscripts ``term``: g (subscripts ``out``)
    contracted with the other operands into ``term``. Indices only ``x`` has come from
    ``np.ones`` factors; a repeated index keeps its first place and meets each repeat through
    an ``np.eye`` factor (the diagonal embedding)."""
    fresh = iter(c for c in _LETTERS if c not in out + term + "".join(t for t, _ in others))
    factors = [(out, g), *others]
    target = ""
    for i, c in enumerate(term):
        if c != _DOTS and c in term[:i]:  # a repeat: a new index tied to the first by eye
            new = next(fresh)
            size = shape.ShapeAt(x, base.static(_position(term, i)))
            factors.append((c + new, creation.NpConstant(base.static("eye"), base.static(()),
                                                         size)))
            target += new
        else:
            target += c
    known = "".join(t for t, _ in factors)
    for i, c in enumerate(term):
        if c != _DOTS and c not in known and c not in term[:i]:
            size = shape.ShapeAt(x, base.static(_position(term, i)))
            factors.append((c, creation.NpConstant(base.static("ones"), base.static(()), size)))
            known += c
    if _DOTS in target and _DOTS not in known:  # (x's '...' covers no dimension)
        target = target.replace(_DOTS, "")
    summed = _DOTS in known and _DOTS not in target  # numpy sums no '...' the output lacks:
    if summed:  # keep it in front, then sum those axes away
        target = _DOTS + target
    terms = [t for t, _ in factors]
    v = Einsum(*[f for _, f in factors], base.static(_spelled(terms, target)))
    return grads.SumTo(v, x) if _DOTS in term or summed else v


# ------------------------------------------------------------------------ tensordot


def _axes_count(axes: Any) -> int:
    if isinstance(axes, bool) or not isinstance(axes, int) or axes < 0:
        raise ValueError("tensordot: only an integer axes= (the last axes of a with the "
                         "first axes of b) is supported")
    return axes


@primitive("tensordot", np.tensordot, params="a, b, axes=2", arrays=("a", "b"),
           traits={LINEAR, MULTILINEAR, COSTLY})
class Tensordot(Rule):
    """args: (a, b, axes): the last ``axes`` axes of a contracted with the first of b.

    Its cotangents are tensordots too (``TensordotGrad``): g with b over b's free axes, and a
    with g over a's free axes."""

    n_diff = 2

    @classmethod
    def make(cls, a: Any, b: Any, axes: Any) -> Any:
        if isinstance(axes, (tuple, list)) and len(axes) == 2:
            return TensordotPairs.make(a, b, axes)
        return cls(a, b, base.static(_axes_count(axes)))

    def _numpycode(self, printer: Any) -> str:
        a, b = (base._a(printer, x) for x in self.args[:2])
        return f"np.tensordot({a}, {b}, {base.sval(self.args[2])!r})"

    def vjp(self, g: Any) -> list[Any]:
        a, b, n = self.args
        return [TensordotGrad(base.static("a"), g, b, n), TensordotGrad(base.static("b"), a, g, n)]

    @staticmethod
    def out_shape(a: Dims, b: Dims, axes: Any = 2) -> Dims:
        if isinstance(axes, (tuple, list)):
            return TensordotPairs.out_shape(a, b, axes)
        n = _axes_count(axes)
        if n > min(len(a), len(b)) or a[len(a) - n:] != b[:n]:
            raise ValueError(f"tensordot: shape-mismatch for sum ({a}, {b}, axes={n})")
        return a[:len(a) - n] + b[n:]


class TensordotGrad(Rule):
    """args: (side, p, q, n): one side of a tensordot's vjp.

    ``side`` "a": p is g (shape I+J), q is b (C+J): g contracted with b over J, shape I+C.
    ``side`` "b": p is a (I+C), q is g (I+J): a contracted with g over I, shape C+J.
    Both are bilinear; their cotangents are tensordots and TensordotGrads again."""

    n_diff = None

    def diff_args(self) -> tuple:
        return self.args[1:3]

    def _numpycode(self, printer: Any) -> str:
        side, n = base.sval(self.args[0]), base.sval(self.args[3])
        p, q = (base._a(printer, x) for x in self.args[1:3])
        if side == "a":
            q_dim = f"{base._p(printer, self.args[2])}.ndim"
            return f"np.tensordot({p}, {q}, (range({n} - {q_dim}, 0), range({n}, {q_dim})))"
        free = f"range({base._p(printer, self.args[1])}.ndim - {n})"
        return f"np.tensordot({p}, {q}, ({free}, {free}))"

    def vjp(self, u: Any) -> list[Any]:
        side, p, q, n = self.args
        if base.sval(side) == "a":  # u: I+C; p = g: I+J, q = b: C+J
            return [Tensordot(u, q, n), TensordotGrad(base.static("b"), u, p, n)]
        # u: C+J; p = a: I+C, q = g: I+J
        return [TensordotGrad(base.static("a"), q, u, n), Tensordot(p, u, n)]



def _moved(x: Any, source: tuple, destination: tuple) -> Any:
    """``np.moveaxis(x, source, destination)``, or x where that moves nothing."""
    from symgrad.rules.moving import Moveaxis

    if source == destination:
        return x
    return Moveaxis(x, base.static(source), base.static(destination))


class TensordotPairs(Rule):
    """args: (a, b, Static(((a's axes), (b's axes)))): ``np.tensordot(a, b, axes=(ax_a,
    ax_b))``, printed as written. It is the integer form on a and b with the contracted axes
    moved (a's to its end, b's to its front, in pairing order), which is how numpy computes
    it; its vjp is that form's, with the axes moved back."""

    n_diff = 2
    traits = frozenset({LINEAR, MULTILINEAR, COSTLY})

    @classmethod
    def make(cls, a: Any, b: Any, axes: Any) -> Any:
        ax_a, ax_b = (tuple(x) if isinstance(x, (tuple, list)) else (x,) for x in axes)
        if len(ax_a) != len(ax_b) or not all(isinstance(i, int) and not isinstance(i, bool)
                                             for i in ax_a + ax_b):
            raise ValueError("tensordot: axes=(a_axes, b_axes) takes two lists of integers of "
                             "the same length")
        return cls(a, b, base.static((ax_a, ax_b)))

    def _moved(self) -> tuple[Any, Any, Any, Any, int]:
        ax_a, ax_b = base.sval(self.args[2])
        n = len(ax_a)
        end, front = tuple(range(-n, 0)), tuple(range(n))
        return (_moved(self.args[0], ax_a, end), _moved(self.args[1], ax_b, front),
                (ax_a, end), (ax_b, front), n)

    def _numpycode(self, printer: Any) -> str:
        a, b = (base._a(printer, x) for x in self.args[:2])
        ax_a, ax_b = base.sval(self.args[2])
        return f"np.tensordot({a}, {b}, axes=({list(ax_a)!r}, {list(ax_b)!r}))"

    def vjp(self, g: Any) -> list[Any]:
        a2, b2, (src_a, dst_a), (src_b, dst_b), n = self._moved()
        ga, gb = Tensordot(a2, b2, base.static(n)).vjp(g)
        return [_moved(ga, dst_a, src_a), _moved(gb, dst_b, src_b)]

    @staticmethod
    def out_shape(a: Dims, b: Dims, axes: Any = None) -> Dims:
        return tuple(np.shape(np.tensordot(np.zeros(a), np.zeros(b), axes)))
