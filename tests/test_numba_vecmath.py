"""The numba backend's vector transcendental functions (``symgrad.compiled_vecmath``, glibc's
libmvec): numpy's values to a few ulp, numpy's exactly at NaN, infinities, signed zeros and
subnormals, for every array size (the partial last lane too), layout and rank, and numba's
own code for what they do not take (numbers, 0-d and integer arrays)."""

from __future__ import annotations

import numpy as np
import pytest

from symgrad.compiled import numba_text

numba = pytest.importorskip("numba")
vecmath = pytest.importorskip("symgrad.compiled_vecmath")
if not vecmath.VECTOR_FUNCTIONS:
    pytest.skip("no libmvec here: the numba backend uses numba's np.exp etc.",
                allow_module_level=True)

SPECIAL = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, 1e-310,
                    -2.2e-308, 1e-300, 1e-8, -1e-8, 0.5, 1.0, -1.0, 20.0, -20.0, 22.0, 700.0,
                    709.78, 710.0, -745.0, -746.0, 1e10, -1e10, 1e22, 1e300, -1e308, 1.7e308])


def _compiled(name):
    stub = vecmath.VECTOR_FUNCTIONS[f"_nb_{name}"]
    return numba.njit(lambda x: stub(x))


def _check(name, got, x):
    with np.errstate(all="ignore"):
        expected = getattr(np, name)(x)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(got), nan)
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(got[~nan & ~finite], expected[~nan & ~finite])  # +-inf
    np.testing.assert_array_equal(np.signbit(got[~nan & (expected == 0)]),
                                  np.signbit(expected[~nan & (expected == 0)]))
    np.testing.assert_allclose(got[finite], expected[finite], rtol=4e-16 * 4, atol=0)


@pytest.mark.parametrize("name", vecmath.NAMES)
def test_special_values_are_numpys(name):
    f = _compiled(name)
    _check(name, f(SPECIAL), SPECIAL)
    for i in range(len(SPECIAL)):  # each one alone: in the padded last lane
        _check(name, f(SPECIAL[i:i + 1]), SPECIAL[i:i + 1])


@pytest.mark.parametrize("name", vecmath.NAMES)
def test_random_values_every_size_layout_and_rank(name):
    rng = np.random.default_rng(1)
    f = _compiled(name)
    for n in (0, 1, 3, 7, 8, 9, 15, 16, 17, 1001):
        x = rng.standard_normal(n) * 5
        x = np.abs(x) if name == "log" else x
        _check(name, f(x), x)
    x = rng.standard_normal((13, 6)) * 30  # (sin and cos: larger arguments too)
    _check(name, f(x), x)
    _check(name, f(x.T), x.T)  # F-ordered
    _check(name, f(x[::2, 1:]), x[::2, 1:])  # strided
    _check(name, f(x[None]), x[None])
    frozen = x.copy()
    frozen.setflags(write=False)  # (np.broadcast_to's views are read-only)
    _check(name, f(frozen), frozen)


@pytest.mark.parametrize("name", vecmath.NAMES)
def test_what_it_does_not_take_is_numbas_own(name):
    f = _compiled(name)
    ufunc = getattr(np, name)
    assert f(0.75) == pytest.approx(ufunc(0.75), rel=1e-15)
    assert f(2) == pytest.approx(ufunc(2), rel=1e-15)
    ints = np.arange(1, 6)
    np.testing.assert_allclose(f(ints), ufunc(ints), rtol=1e-15)
    assert np.asarray(f(np.array(0.3))) == pytest.approx(ufunc(0.3), rel=1e-15)


def test_numba_text_calls_them_for_numpy_calls_of_one_argument():
    source = ("def f(x, y):\n"
              "    return np.tanh(x) + np.exp(x, out=y) + np.sin(x, y) + np.arctan(x)\n")
    assert "_nb_" not in numba_text(source)
    text = numba_text(source, tuple(vecmath.VECTOR_FUNCTIONS))
    assert "_nb_tanh(x)" in text and "np.exp(x, out=y)" in text and "np.sin(x, y)" in text
    assert "np.arctan(x)" in text
