"""The gradient specialised on argument ranks at the first call (issue 15): the shape
plumbing of the generic code (``_sum_to``, ``_broadcast_to``, ``_matmul_grad_*``,
``np.broadcast(``) decided at transformation time, exact for every rank pattern."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from gradutil import check_grads

import symgrad
from symgrad import api
from symgrad import transform as transform_module

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import model  # noqa: E402  (examples/model.py: the README's command-line tour)

PLUMBING = ("_sum_to", "_broadcast_to", "_matmul_grad_", "np.broadcast(", "_zeros_like")


def gradient_code(G) -> str:
    """The gradient function of G's source (the helpers it would inline left out)."""
    source = G.source
    start = source.index(f"def {G.fn.__name__}_grad(")
    end = source.find("\ndef ", start + 1)
    return source[start:] if end < 0 else source[start:end]


def mlp_loss(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def rnn(W, x, h):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return np.sum(h)


def affine(a, b, x):
    return np.sum(np.tanh(a * x + b) ** 2)


def product(a, b):
    return np.sum(np.sin(a @ b))


def column_sums(x, w):
    return np.sum(np.sum(x * w, axis=0, keepdims=True) ** 2) + np.sum(x.T * w.T)


def branchy(x, b):
    if np.sum(x) > 0:
        y = x * b
    else:
        y = x + b
    return np.sum(y ** 2)


@pytest.fixture
def transforms(monkeypatch):
    """The transformations made, as the ``ranks`` each was made for (None: generic)."""
    made = []
    real = transform_module.transform

    def counting(fn, wrt, has_aux=False, statics=None, ranks=None, **kwargs):
        made.append(ranks)
        return real(fn, wrt, has_aux, statics, ranks, **kwargs)

    monkeypatch.setattr(transform_module, "transform", counting)
    return made


@pytest.fixture
def cold(monkeypatch, tmp_path):
    """An empty disk cache and no module in memory."""
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", str(tmp_path / "cache"))
    api._TRANSFORMS.clear()
    yield tmp_path / "cache"
    api._TRANSFORMS.clear()


def test_readme_model_after_a_2d_call_reads_as_written_by_hand():
    G = symgrad.grad(model.loss, wrt=("w", "b"))
    assert "_sum_to(" in G.source  # before any call: the generic code, for any ranks
    rng = np.random.default_rng(0)
    args = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(8, 4)), \
        rng.normal(size=(8, 3))
    check_grads(G, *args)
    code = gradient_code(G)
    assert not [p for p in PLUMBING if p in code], code
    assert "grad_w = x.T @ t0" in code and "grad_b = t0.sum(axis=0)" in code, code


def test_readme_mlp_after_a_2d_call():
    G = symgrad.grad(mlp_loss, wrt=("W1", "b1", "W2", "b2"))
    rng = np.random.default_rng(1)
    args = (rng.normal(size=(4, 8)), rng.normal(size=8), rng.normal(size=(8, 1)),
            rng.normal(size=1), rng.normal(size=(32, 4)), rng.normal(size=(32, 1)))
    check_grads(G, *args)
    code = gradient_code(G)
    assert not [p for p in PLUMBING if p in code], code
    assert re.search(r"grad_W2 = h\.T @ \w+", code), code
    assert re.search(r"grad_b1 = \w+\.sum\(axis=0\)", code), code
    assert re.search(r"grad_W1 = X\.T @ \w+", code), code


def test_readme_rnn_tapes_no_value_for_its_shape():
    G = symgrad.grad(rnn, wrt=("W", "x"))
    rng = np.random.default_rng(2)
    W, x, h = rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(5, 4)), rng.normal(size=4)
    check_grads(G, W, x, h)
    code = gradient_code(G)
    assert not [p for p in PLUMBING if p in code], code
    (tape,) = re.findall(r"tape\.append\((.*)\)", code)
    assert tape == "(t, h_1, h_2)", code  # W @ h_1 (h_2_in) was taped only for its shape
    assert "np.outer(" in code and "W.T @ " in code, code


@pytest.mark.parametrize("shapes", [
    ((1, 3), (3,), (8, 3)),  # a (1, 3) row broadcast down, a bias
    ((3,), (1, 3), (8, 3)),
    ((1, 1), (1,), (8, 3)),  # summed over both axes, and over all
    ((8, 1), (3,), (8, 1)),  # x (8, 1) broadcast across
    ((8, 3), (8, 3), (8, 3)),  # nothing broadcast: no sum at all
    ((), (1, 3), (8, 1)),  # a 0-d array
    ((2, 1, 3), (4, 1), (1, 3)),  # every operand broadcast somewhere
])
def test_broadcast_patterns_against_central_differences(shapes):
    G = symgrad.grad(affine)
    rng = np.random.default_rng(3)
    args = [rng.normal(size=s) for s in shapes]
    check_grads(G, *args)
    assert not [p for p in PLUMBING if p in gradient_code(G)], gradient_code(G)


def test_unbroadcast_operand_is_not_summed():
    G = symgrad.grad(affine)
    rng = np.random.default_rng(4)
    G.grad(rng.normal(size=(8, 3)), rng.normal(size=(8, 3)), rng.normal(size=(8, 3)))
    code = "\n".join(line for line in gradient_code(G).splitlines()
                     if not line.strip().startswith("#"))
    assert "np.sum(" not in code and re.search(r"grad_b = \w+\n", code), code


@pytest.mark.parametrize("shapes", [((5, 4), (4, 3)), ((4,), (4, 3)), ((5, 4), (4,)),
                                    ((4,), (4,)), ((1, 4), (4, 1)), ((2, 5, 4), (4, 3)),
                                    ((5, 4), (2, 4, 3))])
def test_matrix_product_ranks_against_central_differences(shapes):
    G = symgrad.grad(product)
    rng = np.random.default_rng(5)
    check_grads(G, *[rng.normal(size=s) for s in shapes])
    if all(len(s) <= 2 for s in shapes):
        assert "_matmul_grad_" not in gradient_code(G), gradient_code(G)


@pytest.mark.parametrize("shapes", [((6, 3), (6, 3)), ((6, 3), (1, 3)), ((6, 1), (6, 3)),
                                    ((1, 3), (6, 3))])
def test_reductions_transposes_and_branches(shapes):
    rng = np.random.default_rng(6)
    args = [rng.normal(size=s) for s in shapes]
    check_grads(symgrad.grad(column_sums), *args)
    B = symgrad.grad(branchy)
    check_grads(B, *args)
    check_grads(B, -np.abs(args[0]) - 1, args[1])  # the other branch


def test_one_function_called_with_many_rank_patterns(transforms):
    G = symgrad.grad(affine)
    del transforms[:]  # (the generic module, if it was not made before)
    rng = np.random.default_rng(7)
    patterns = [((3,), (3,), (3,)), ((1,), (3,), (3,)), ((3,), (1,), (3,)),
                ((2, 3), (3,), (3,)), ((1, 3), (2, 3), (3,)), ((2, 1), (3,), (2, 3)),
                ((2, 3), (1, 1), (1, 3)), ((), (3,), (3,)), ((1, 1, 3), (2, 1), (3,)),
                ((4, 1), (1, 5), (4, 5))]
    for shapes in patterns:
        check_grads(G, *[rng.normal(size=s) for s in shapes])
        assert len(G._ranked.entries) <= api.MAX_RANKED
    assert len(G._ranked.entries) == api.MAX_RANKED
    # one transformation per pattern, with ranks, and the generic module's, at the second
    assert len(transforms) == len(patterns) + 1 and transforms.count(None) == 1
    assert transforms[1] is None
    # other sizes, the same patterns (the LRU's newest): no transformation more
    for shapes in [((5,), (5,), (5,)), ((6, 1), (1, 2), (6, 2))]:
        check_grads(G, *[rng.normal(size=s) for s in shapes])
    # an evicted pattern comes back from memory, not from a new transformation
    check_grads(G, *[rng.normal(size=s) for s in patterns[0]])
    assert len(transforms) == len(patterns) + 1
    assert len(G._ranked.entries) == api.MAX_RANKED


def test_source_follows_the_last_call():
    G = symgrad.grad(affine)
    generic = G.source
    rng = np.random.default_rng(8)
    G.grad(rng.normal(size=(1, 3)), rng.normal(size=3), rng.normal(size=(8, 3)))
    row = G.source
    assert "keepdims=True" in row and row != generic
    G.grad(rng.normal(size=(8, 3)), rng.normal(size=3), rng.normal(size=(8, 3)))
    assert G.source != row and "keepdims=True" not in gradient_code(G)
    assert G.grad.source == G.source
    ga, gb, gx = G.grad(np.array(2.0), [0.5, 1.0, 1.5], np.ones((2, 3)))
    assert G.source != generic and type(gb) is list and len(gb) == 3  # (a list's, a list)
    G.grad(2.0, [0.5, 1.0, 1.5], np.ones((2, 3)))  # a Python float's rank: not known
    assert "_sum_to(" in gradient_code(G)
    G.grad(2.0, 0.5, 1.0)  # no array among them: the generic code
    assert G.source == generic


def test_specialisations_are_kept_on_disk(cold, transforms):
    G = symgrad.grad(model.loss, wrt=("w", "b"))
    rng = np.random.default_rng(9)
    args = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(8, 4)), \
        rng.normal(size=(8, 3))
    expected = G.grad(*args)
    assert transforms == [{"w": (False, False), "b": (False,), "x": (False, False),
                           "y": (False, False)}]  # one transformation: for these ranks
    assert len(list(cold.rglob("*.json"))) == 2  # it, and that the decoration checked loss
    source = G.source
    api._TRANSFORMS.clear()  # as a fresh process: only the disk cache
    G2 = symgrad.grad(model.loss, wrt=("w", "b"))
    got = G2.grad(*args)
    assert len(transforms) == 1  # loaded
    assert G2.source == source
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fast_path_reuses_the_specialisation_per_shape(transforms):
    G = symgrad.grad(model.loss, wrt=("w", "b"))
    rng = np.random.default_rng(10)
    args = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(8, 4)), \
        rng.normal(size=(8, 3))
    G.grad(*args)
    made = len(transforms)
    entry = G._by_shapes[G._fast_key(*args)].entry
    assert entry is not None and entry is G._shown
    G.value_and_grad(*args)
    assert len(transforms) == made and G._shown is entry


def test_cli_show_takes_shapes(capsys):
    from symgrad.cli import main

    target = str(Path(model.__file__)) + ":loss"
    assert main(["show", target, "--wrt", "w,b", "--color", "never"]) == 0
    generic = capsys.readouterr().out
    assert "_sum_to(" in generic
    assert main(["show", target, "--wrt", "w,b", "--color", "never", "--shape", "w=4,3",
                 "--shape", "b=3", "--shape", "x=8,4", "--shape", "y=8,3"]) == 0
    special = capsys.readouterr().out
    assert "grad_w = x.T @ t0" in special and "_sum_to(" not in special
    assert main(["show", target, "--wrt", "w,b", "--color", "never", "--shape", "w=4,3",
                 "--shape", "b=1,3", "--shape", "x=8,4", "--shape", "y=8,3"]) == 0
    assert "grad_b = t0.sum(axis=0, keepdims=True)" in capsys.readouterr().out


SCALE = np.array([1.0, 2.0, 3.0])


def scaled(x, b):
    return np.sum(np.tanh(x * SCALE + b) ** 2)


def test_global_arrays_stay_live_in_a_specialisation():
    global SCALE
    G = symgrad.grad(scaled)
    rng = np.random.default_rng(11)
    x, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    check_grads(G, x, b)
    assert "_sum_to" not in gradient_code(G)
    saved = SCALE
    try:
        SCALE = np.array([-1.0, 0.5, 4.0])  # the same shape: bound in place
        check_grads(G, x, b)
        SCALE[1] = 7.0  # changed in place
        check_grads(G, x, b)
        SCALE = np.array([[2.0], [1.0], [0.5], [3.0]])  # another shape: generated again
        check_grads(G, x, b)
    finally:
        SCALE = saved


def test_the_specialisation_in_use_is_not_the_one_dropped():
    G = symgrad.grad(affine)
    rng = np.random.default_rng(12)
    kept = [rng.normal(size=s) for s in ((2, 3), (3,), (2, 3))]
    G.grad(*kept)  # the first pattern, then used by every other call
    first = G._shown
    assert first is not None
    for n in range(1, api.MAX_RANKED + 2):  # more new patterns than are kept
        G.grad(*[rng.normal(size=(1,) * n)] * 3)
        check_grads(G, *kept)
    assert len(G._ranked.entries) == api.MAX_RANKED
    assert G._shown is first  # never dropped (so never made again)


def grow(b, X):
    h = b
    for _ in range(3):  # h takes X's shape in the first iteration
        h = np.tanh(h * X + 0.1)
    return np.sum(h)


def rows(b, X):
    h = b
    for t in range(X.shape[0]):
        h = np.tanh(h + X[t])
    return np.sum(h ** 2)


def either(x, b):
    if np.sum(x) > 0:
        y = x * b
    else:
        y = b + 1.0  # another shape than the other branch's, for some ranks
    return np.sum(y ** 2)


def repeated(x, w):
    s = x
    i = 0
    while i < 3:
        s = np.sin(s * w)
        i = i + 1
    return np.sum(s)


@pytest.mark.parametrize(("fn", "shapes"), [
    (grow, ((1, 3), (4, 3))), (grow, ((3,), (4, 3))), (grow, ((), (4, 3))),
    (grow, ((1, 1), (1, 3))), (rows, ((3,), (5, 3))), (rows, ((1,), (5, 3))),
    (rows, ((2, 3), (5, 1))), (either, ((4, 3), (3,))), (either, ((1,), (4, 3))),
    (repeated, ((4, 3), (3,))), (repeated, ((1, 3), (4, 1)))])
def test_loops_and_branches_that_change_shapes(fn, shapes):
    G = symgrad.grad(fn)
    rng = np.random.default_rng(13)
    args = [rng.normal(size=s) for s in shapes]
    check_grads(G, *args)
    if fn is either:
        check_grads(G, -np.abs(args[0]) - 1, args[1])


def test_a_loop_that_keeps_its_shape_needs_no_plumbing():
    G = symgrad.grad(rows)
    rng = np.random.default_rng(14)
    check_grads(G, rng.normal(size=3), rng.normal(size=(5, 3)))
    assert not [p for p in PLUMBING if p in gradient_code(G)], gradient_code(G)
    check_grads(G, rng.normal(size=1), rng.normal(size=(5, 3)))  # h grows: summed back
    assert "_sum_to" in gradient_code(G)


def test_a_source_file_gone_after_decoration_leaves_the_generic_module_serving(tmp_path):
    """The specialisation is made at the first call, from the source: when that can no
    longer be read, the generic module (right for any ranks) serves the call."""
    path = tmp_path / "gone.py"
    path.write_text("import numpy as np\n\n\ndef fn(x, b):\n    return np.sum(np.tanh(x + b))\n")
    ns: dict = {"__name__": "gone"}
    exec(compile(path.read_text(), str(path), "exec"), ns)
    G = symgrad.grad(ns["fn"])
    path.unlink()
    x, b = np.linspace(-1, 1, 6).reshape(2, 3), np.array([0.1, 0.2, 0.3])
    gx, gb = G.grad(x, b)
    slope = 1 - np.tanh(x + b) ** 2
    np.testing.assert_allclose(gx, slope)
    np.testing.assert_allclose(gb, slope.sum(axis=0))


def test_decoration_and_first_call_transform_once(cold, transforms):
    """Decoration checks (lowers) the function only; the first call with arrays makes the
    module for their ranks from that IR; the generic module is made when something needs it."""
    G = symgrad.grad(model.loss, wrt=("w", "b"))
    assert transforms == [] and G._module.pending is not None
    rng = np.random.default_rng(11)
    args = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(8, 4)), \
        rng.normal(size=(8, 3))
    assert G(*args) == pytest.approx(model.loss(*args))  # the primal: that module's, too
    check_grads(G, *args)
    assert len(transforms) == 1 and transforms[0] is not None  # once, for these ranks
    assert G._module.pending is not None  # no generic module
    G.grad(*[np.asarray(a, dtype=np.float32) for a in args])  # other dtypes, same ranks
    assert len(transforms) == 1
    generic = symgrad.grad(model.loss, wrt=("w", "b"))  # shares the (pending) module
    assert "_sum_to(" in generic.source  # before any call: the generic code, made now
    assert transforms[1:] == [None] and G._module.pending is None
    assert "_sum_to(" not in gradient_code(G)  # G still shows its call's specialisation


def test_a_python_number_needs_the_generic_module(cold, transforms):
    G = symgrad.grad(affine)
    assert transforms == []
    ga, gb, gx = G.grad(2.0, 0.5, 1.0)  # no array: no ranks to specialise for
    assert transforms == [None]
    dy = 2 * np.tanh(2.0 * 1.0 + 0.5) * (1 - np.tanh(2.5) ** 2)
    assert (ga, gb, gx) == pytest.approx((dy * 1.0, dy, dy * 2.0))


def plumbing_free(x):
    return np.sum(np.tanh(x) ** 2)


def test_a_function_with_no_plumbing_stops_specialising_at_its_second_pattern(cold,
                                                                               transforms):
    G = symgrad.grad(plumbing_free)
    for shape in [(3,), (2, 3), (4, 1, 2), (5,), (2, 2)]:
        x = np.random.default_rng(12).normal(size=shape)
        np.testing.assert_allclose(G.grad(x), 2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
                                   rtol=1e-12)
    # the first pattern's module, then the generic one, which serves every other pattern
    assert len(transforms) == 2 and transforms[1] is None and not G._ranked.plumbed


def rnn_from_zeros(W, x):
    h = np.zeros(3)  # the state starts as a literal shape, as most RNNs write it
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return np.sum(h ** 2)


def state_like(W, x):
    h = np.zeros(x[0].shape)
    c = np.ones(np.shape(h))
    for t in range(x.shape[0]):
        c = c * np.tanh(W @ h)
        h = np.tanh(W @ h + x[t]) + c
    return np.sum(h)


def filled(a, x):
    z = np.full((4, 3), 0.5)
    return np.sum(np.sin(z * a + x))


def broadcast_row(a, x):
    z = np.ones((1, 3))  # a literal length-1 axis: a's gradient sums over it
    return np.sum(np.tanh(z * a) * x)


def test_created_arrays_have_the_rank_of_their_literal_shape():
    rng = np.random.default_rng(21)
    W, x = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(5, 3))
    for fn in (rnn_from_zeros, state_like):
        G = symgrad.grad(fn, wrt="W")
        check_grads(G, W, x)
        code = gradient_code(G)
        assert not [p for p in PLUMBING if p in code], code
        assert "W.T" in code and "np.outer(" in code, code


@pytest.mark.parametrize(("fn", "shapes"), [
    (filled, ((4, 3), (4, 3))), (filled, ((3,), (1, 3))), (filled, ((4, 1), ())),
    (broadcast_row, ((4, 3), (4, 3))), (broadcast_row, ((4, 1), (4, 3))),
    (broadcast_row, ((3,), (1, 3))), (broadcast_row, ((1, 1), (2, 3)))])
def test_created_arrays_broadcast_against_arguments(fn, shapes):
    G = symgrad.grad(fn)
    rng = np.random.default_rng(22)
    check_grads(G, *[rng.normal(size=s) for s in shapes])
