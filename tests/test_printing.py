"""symgrad.runtime.printing.format_tensor must print exactly what PyTorch prints.

Literal tests (strings from the seed documents and PyTorch's documentation) always run; the
differential tests compare against ``repr(torch.tensor(...))`` and skip without torch.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from symgrad.runtime.printing import PrintOptions, format_tensor, printoptions

NP_DTYPES = {
    "float16": np.float16,
    "float32": np.float32,
    "float64": np.float64,
    "int64": np.int64,
    "int32": np.int32,
    "int8": np.int8,
    "uint8": np.uint8,
    "bool": np.bool_,
    "complex64": np.complex64,
    "complex128": np.complex128,
}
FLOATS = ("float16", "float32", "float64")


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _cast(a, dtype_name: str) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(a).astype(NP_DTYPES[dtype_name])


def _torch_repr(torch, a: np.ndarray, dtype_name: str, requires_grad: bool = False) -> str:
    t = torch.from_numpy(np.array(a, copy=True))
    assert str(t.dtype) == "torch." + dtype_name
    if requires_grad:
        t.requires_grad_(True)
    text = repr(t)
    assert text == str(t)
    return text


def _check(torch, a, dtype_name: str) -> None:
    arr = _cast(a, dtype_name)
    assert format_tensor(arr, dtype_name=dtype_name) == _torch_repr(torch, arr, dtype_name)
    if dtype_name in FLOATS or dtype_name.startswith("complex"):
        got = format_tensor(arr, dtype_name=dtype_name, suffixes=["requires_grad=True"])
        assert got == _torch_repr(torch, arr, dtype_name, requires_grad=True)


# ---------------------------------------------------------------- literal (torch-independent)


def test_seed_document_strings() -> None:
    f32 = "float32"
    assert format_tensor(np.float32(27.0), dtype_name=f32) == "tensor(27.)"
    assert format_tensor(np.float32(2.0), dtype_name=f32) == "tensor(2.)"
    assert (
        format_tensor(np.full((2, 2), 4.5, np.float32), dtype_name=f32)
        == "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])"
    )
    assert (
        format_tensor(np.ones((2, 2), np.float32), dtype_name=f32, suffixes=["requires_grad=True"])
        == "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"
    )
    assert (
        format_tensor(np.array([2.0, 0.2, 0.02, 0.002], np.float32), dtype_name=f32)
        == "tensor([2.0000, 0.2000, 0.0200, 0.0020])"
    )
    assert (
        format_tensor(np.float32(27.0), dtype_name=f32, suffixes=["grad_fn=<MeanBackward0>"])
        == "tensor(27., grad_fn=<MeanBackward0>)"
    )
    assert (
        format_tensor(
            np.full((2, 2), -50.0, np.float32), dtype_name=f32, suffixes=["grad_fn=<SubBackward0>"]
        )
        == "tensor([[-50., -50.],\n        [-50., -50.]], grad_fn=<SubBackward0>)"
    )
    assert (
        format_tensor(
            np.array([100.0], np.float32), dtype_name=f32, suffixes=["requires_grad=True"]
        )
        == "tensor([100.], requires_grad=True)"
    )
    assert (
        format_tensor(
            np.full((3, 3), 2.0, np.float32), dtype_name=f32, suffixes=["grad_fn=<MulBackward0>"]
        )
        == "tensor([[2., 2., 2.],\n        [2., 2., 2.],\n        [2., 2., 2.]], grad_fn=<MulBackward0>)"
    )


def test_torch_documentation_strings() -> None:
    # torch.set_printoptions docstring examples
    with printoptions(precision=2):
        assert (
            format_tensor(np.array([1.12345], np.float32), dtype_name="float32") == "tensor([1.12])"
        )
    with printoptions(threshold=5):
        # (the docstring shows one space before "..."; torch really prints two)
        assert (
            format_tensor(np.arange(10), dtype_name="int64") == "tensor([0, 1, 2,  ..., 7, 8, 9])"
        )
    assert (
        format_tensor(np.array([1.12345], np.float32), dtype_name="float32") == "tensor([1.1235])"
    )
    assert (
        format_tensor(np.arange(10), dtype_name="int64") == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"
    )


def test_other_literal_rules() -> None:
    assert format_tensor(np.array([1e-8, 1e5], np.float32), dtype_name="float32") == (
        "tensor([1.0000e-08, 1.0000e+05])"
    )
    assert format_tensor(np.array([True, False]), dtype_name="bool") == "tensor([ True, False])"
    assert format_tensor(np.array([], np.float32), dtype_name="float32") == "tensor([])"
    assert format_tensor(np.array([], np.int64), dtype_name="int64") == (
        "tensor([], dtype=torch.int64)"
    )
    assert format_tensor(np.zeros((0, 3), np.float32), dtype_name="float32") == (
        "tensor([], size=(0, 3))"
    )
    assert format_tensor(np.array([1.5, 2.0]), dtype_name="float64") == (
        "tensor([1.5000, 2.0000], dtype=torch.float64)"
    )
    assert (
        format_tensor(np.array([1.5, 2.0]), dtype_name="float64", default_dtype_name="float64")
        == "tensor([1.5000, 2.0000])"
    )
    assert format_tensor(np.array([np.nan, -np.inf, 1.0], np.float32), dtype_name="float32") == (
        "tensor([nan, -inf, 1.])"
    )
    assert format_tensor(np.array([3, -12]), dtype_name="int32") == (
        "tensor([  3, -12], dtype=torch.int32)"
    )
    opts = PrintOptions(linewidth=30)
    assert format_tensor(np.arange(8.0, dtype=np.float32), dtype_name="float32", options=opts) == (
        "tensor([0., 1., 2., 3., 4.,\n        5., 6., 7.])"
    )


# ---------------------------------------------------------------- differential (needs torch)

HAND_PICKED = [
    0.0,
    -0.0,
    1.0,
    -3.5,
    float("nan"),
    float("inf"),
    [],
    [0.0, -0.0],
    [1.0, 2.0, 3.0],
    [2.0, 0.2, 0.02, 0.002],
    [1e-8, 1e5],
    [1e-4, 1.0],
    [9.9999e-5, 1.0],
    [1.0, 1000.0],
    [1.0, 1001.0],
    [1e8, 1.0],
    [1.0000001e8],
    [123456789.0],
    [0.1, -0.1],
    [-1.0, 0.5, np.nan, np.inf, -np.inf],
    [np.nan, np.inf],
    [0.0, np.nan],
    [[1.0, -1.0], [100.0, 0.25]],
    [[27.0, 27.0], [27.0, 27.0]],
    [[[1.5, 2.5], [3.5, 4.5]], [[-1.0, 0.0], [1e-3, 7.0]]],
    np.zeros((0, 3)),
    np.zeros((2, 0, 4)),
    np.arange(30.0),
    np.arange(30.0) / 7,
    np.arange(-40.0, 40.0) * 1e3,
    np.linspace(-1, 1, 1001),
    np.arange(2000.0).reshape(2, 1000),
    np.arange(2000.0).reshape(1000, 2),
    np.arange(3000.0).reshape(10, 15, 20) / 3,
    np.arange(1200.0).reshape(2, 3, 4, 50) * 1e-6,
]


@pytest.mark.parametrize("dtype_name", ["float32", "float64", "float16"])
@pytest.mark.parametrize("case", range(len(HAND_PICKED)))
def test_hand_picked_floats(torch, case: int, dtype_name: str) -> None:
    _check(torch, HAND_PICKED[case], dtype_name)


INT_CASES = [
    0,
    -7,
    [],
    [1, 2, 3],
    [-5, 10, -100],
    [[1, -1], [10**12, 3]],
    np.arange(50),
    np.arange(-600, 600),
    np.arange(5000).reshape(50, 100),
    np.arange(24).reshape(2, 3, 4),
]


@pytest.mark.parametrize("dtype_name", ["int64", "int32", "int8", "uint8"])
@pytest.mark.parametrize("case", range(len(INT_CASES)))
def test_hand_picked_ints(torch, case: int, dtype_name: str) -> None:
    a = np.asarray(INT_CASES[case])
    if dtype_name in ("int8", "uint8"):
        a = a % 100
    elif dtype_name == "int32":
        a = a % 2**31
    _check(torch, a, dtype_name)


@pytest.mark.parametrize(
    "case",
    [True, False, [], [True, False], [[True, True], [False, True]], np.arange(2000) % 3 == 0],
)
def test_hand_picked_bools(torch, case) -> None:
    _check(torch, case, "bool")


@pytest.mark.parametrize(
    "case",
    [1 + 2j, [1 + 2j, -0.5 - 1e-5j], [[1.0, 2j], [np.nan, 3 - 4j]], np.arange(2000) * (1 - 1j)],
)
@pytest.mark.parametrize("dtype_name", ["complex64", "complex128"])
def test_hand_picked_complex(torch, case, dtype_name: str) -> None:
    _check(torch, case, dtype_name)


@pytest.mark.parametrize(
    "suffix_maker",
    ["mul", "sum", "exp"],
)
@pytest.mark.parametrize("shape", [(), (3,), (9,), (12,), (2, 7), (4, 13)])
def test_grad_fn_suffix_wrapping(torch, shape, suffix_maker: str) -> None:
    rng = np.random.default_rng(sum(shape) + len(suffix_maker))
    a = np.asarray(rng.standard_normal(shape) * 1000, dtype=np.float32)
    t = torch.from_numpy(a.copy()).requires_grad_(True)
    out = {"mul": lambda: t * 3, "sum": lambda: t.sum(), "exp": lambda: (t / 1000).exp()}[
        suffix_maker
    ]()
    name = type(out.grad_fn).__name__
    got = format_tensor(out.detach().numpy(), dtype_name="float32", suffixes=[f"grad_fn=<{name}>"])
    assert got == repr(out)


@pytest.mark.parametrize(
    "options",
    [
        dict(precision=2),
        dict(precision=6, linewidth=120),
        dict(sci_mode=True),
        dict(sci_mode=False),
        dict(threshold=5, edgeitems=1),
        dict(threshold=10, edgeitems=0),
        dict(linewidth=40),
        dict(profile="short"),
        dict(profile="full"),
    ],
    ids=str,
)
def test_print_options(torch, options) -> None:
    arrays = [
        np.float32(3.25),
        np.arange(30.0) / 7,
        np.array([1e-8, 1e5, -2.5]),
        np.arange(120.0).reshape(4, 5, 6) - 60,
        np.arange(1500.0).reshape(30, 50) * 1e-3,
        np.array([]),
    ]
    with torch._tensor_str.printoptions(**options), printoptions(**options):
        for a in arrays:
            for dtype_name in ("float32", "float64"):
                _check(torch, a, dtype_name)
            _check(torch, np.round(np.asarray(a) * 10), "int64")


def test_default_dtype_float64(torch) -> None:
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        for a in ([1.5, 2.0], [], 3.0):
            for dtype_name in ("float32", "float64", "int64", "complex128", "complex64"):
                arr = _cast(a, dtype_name)
                got = format_tensor(arr, dtype_name=dtype_name, default_dtype_name="float64")
                assert got == _torch_repr(torch, arr, dtype_name)
    finally:
        torch.set_default_dtype(old)


# Elements mixing every regime: integers-as-floats, fractions, tiny, huge, nan/inf, zeros.
_ELEMENTS = st.one_of(
    st.integers(-1000, 1000).map(float),
    st.floats(-10.0, 10.0, allow_nan=False),
    st.floats(-1e-3, 1e-3, allow_nan=False),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-8, 1e5, 1e8, 1.5e8, 0.5, np.nan, np.inf, -np.inf]),
)
_SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    a=hnp.arrays(np.float64, _SHAPES, elements=_ELEMENTS),
    dtype_name=st.sampled_from(["float32", "float64", "int64", "bool", "float16"]),
    scale=st.sampled_from([1.0, 1.0, 1e-6, 1e4, 1e10]),
)
def test_hypothesis_against_torch(torch, a: np.ndarray, dtype_name: str, scale: float) -> None:
    with np.errstate(over="ignore", invalid="ignore"):
        a = a * scale
    if dtype_name == "int64":
        a = np.nan_to_num(a, nan=0.0, posinf=2.0**62, neginf=-(2.0**62))
        a = np.clip(a, -(2.0**62), 2.0**62)
    elif dtype_name == "bool":
        a = a > 0
    _check(torch, a, dtype_name)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.sampled_from([(1001,), (2000,), (40, 30), (7, 200), (1100, 1), (11, 11, 11)]),
    seed=st.integers(0, 2**32 - 1),
    dtype_name=st.sampled_from(["float32", "float64", "int64"]),
    log_scale=st.integers(-9, 9),
)
def test_hypothesis_summarised(torch, shape, seed: int, dtype_name: str, log_scale: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape) * 10.0**log_scale
    if dtype_name == "int64":
        a = np.round(a)
    _check(torch, a, dtype_name)
