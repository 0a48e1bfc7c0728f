"""Defects the adversarial probes of this wave (tests/test_adversarial_wave.py) found, each as
its minimal program, checked against central differences in float64 and torch.
"""

import numpy as np
import pytest
import scipy.special
from gradutil import numeric_grad

import symgrad

T = pytest.importorskip("torch")
F = T.float64

X = np.random.default_rng(123).normal(size=(3, 4))


def tt(a):
    return T.tensor(a, dtype=F)


def _reshaped_keepdims(x):
    m = np.max(x, keepdims=True)
    return np.log(np.sum(np.exp(x - m))) + m.reshape(())


def _reshaped_scalar(x):
    return np.sum(x ** 2).reshape((1, 1))


def test_a_python_float_cotangent_is_reshaped_with_np_reshape():
    # was: AttributeError: 'float' object has no attribute 'reshape' (grad_out.reshape(...))
    G = symgrad.grad(_reshaped_keepdims)
    np.testing.assert_allclose(G.grad(X), scipy.special.softmax(X))
    np.testing.assert_allclose(G.grad(X, seed=2.0), 2 * scipy.special.softmax(X))
    namespace = {}
    exec(compile(G.source, "<generated>", "exec"), namespace)  # the module on its own
    np.testing.assert_allclose(namespace["_reshaped_keepdims_grad"](X, 3.0),
                               3 * scipy.special.softmax(X))
    H = symgrad.grad(_reshaped_scalar)
    np.testing.assert_allclose(H.grad(X, seed=np.array([[0.5]])), X)


def _inf_from_strings(x):
    return np.sum(np.minimum(x, float("inf"))) + np.sum(np.clip(x, float("-inf"), 0.5)) + \
        np.sum(np.fmax(x, float("nan")))


def test_float_of_inf_and_nan_strings_are_numbers():
    # was refused: "constant 'inf' is not a number"
    G = symgrad.grad(_inf_from_strings)
    x = np.array([0.3, -1.0, 2.0])
    np.testing.assert_allclose(G(x), _inf_from_strings(x))
    np.testing.assert_allclose(G.grad(x), [3.0, 3.0, 2.0])
    np.testing.assert_allclose(G.grad(x), numeric_grad(_inf_from_strings, [x], 0))


def test_float_of_a_string_that_is_no_number_is_refused_at_decoration():
    def f(x):
        return x * float("abc")
    with pytest.raises(symgrad.SymgradError, match="float\\('abc'\\) is not a number"):
        symgrad.grad(f)


def _prod_in_a_discarded_branch(u, w, s):  # fuzz_arrays_gen seed 2177
    t0 = np.clip(((np.max(u, axis=1) >= 0.0) + s), (-0.5), 0.5)
    return np.where((np.sum(w, axis=-1) <= 0.0), np.prod((t0 ** (1 / 3)), axis=-1),
                    np.sum(u, axis=1).min())


def test_a_product_in_a_discarded_branch_with_a_nan_factor_has_gradient_zero():
    # the where discards np.prod of a NaN (a cube root of a negative); its cotangent is 0, and
    # 0 times the product of the others (NaN) was NaN where the derivative is 0
    u = np.array([[-1.07], [0.54], [0.83], [1.42]])
    w = np.array([0.12, -0.89, 0.95])
    s = np.float64(-0.28)
    G = symgrad.grad(_prod_in_a_discarded_branch)
    gu, gw, gs = G.grad(u, w, s)
    assert gs == 0.0
    np.testing.assert_allclose(gu, numeric_grad(_prod_in_a_discarded_branch, [u, w, s], 0))
    np.testing.assert_allclose(gw, 0.0)


def _prod_kept(x, c):
    return np.where(c > 0, np.prod(x), 0.0)


def test_a_product_in_a_kept_branch_still_has_the_product_of_the_others():
    x = np.array([0.5, -2.0, 3.0])
    G = symgrad.grad(_prod_kept, wrt="x")
    np.testing.assert_allclose(G.grad(x, 1.0), [-6.0, 1.5, -1.0])
    np.testing.assert_allclose(G.grad(x, -1.0), 0.0)


def _plus_zero(x):
    return x + 0


def _reshaped(x):
    return x.reshape(2, 2)


@pytest.mark.parametrize("f, seed", [(_plus_zero, np.array([1.0, 2.0, 3.0, 4.0])),
                                     (_reshaped, np.array([[1.0, 2.0], [3.0, 4.0]]))])
def test_a_gradient_updated_in_place_leaves_the_callers_seed_alone(f, seed):
    # was: grad_x = seed (or a view of it) handed back, so g *= 0.5 changed the seed
    x = np.array([0.1, 0.2, 0.3, 0.4])
    G = symgrad.grad(f)
    for g in (G.grad(x, seed=seed), G.value_and_grad(x, seed=seed)[1]):
        g *= 0.5
        np.testing.assert_array_equal(seed.ravel(), [1.0, 2.0, 3.0, 4.0])


_W32 = np.arange(6.0).reshape(3, 2)


def _linear_in_a_matmul_operand(x):
    return np.sum(x @ _W32) + np.sum(x ** 2)


def _diag_times_constant(x):
    return np.sum(np.diag(x) @ np.arange(9.0).reshape(3, 3)) + np.sum(np.sin(x))


@pytest.mark.parametrize("f, x", [(_linear_in_a_matmul_operand, np.array([[0.1, 0.2, 0.3]])),
                                  (_diag_times_constant, np.array([0.1, 0.2, 0.3]))])
def test_the_hessian_of_a_function_linear_in_a_matmul_operand(f, x):
    # was: AttributeError: 'int' object has no attribute 'xreplace' (the tangent of a matmul's
    # gradient in its own operand, read for its shape only, summed as Python's 0 + 0)
    H = np.asarray(symgrad.grad(f).hessian(x))
    expected = T.func.hessian(lambda t: _torch_of(f)(t))(T.tensor(x)).numpy()
    np.testing.assert_allclose(H, expected, atol=1e-12)


def _torch_of(f):
    if f is _linear_in_a_matmul_operand:
        return lambda t: (t @ tt(_W32)).sum() + (t ** 2).sum()
    return lambda t: (T.diag(t) @ tt(np.arange(9.0).reshape(3, 3))).sum() + T.sin(t).sum()


_TIES = np.array([[[0.5, 2.0], [2.0, 2.0], [-0.5, 0.0]], [[1.0, 1.0], [-3.0, 0.3], [0.3, 0.3]]])


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim, keepdim", [(0, False), (1, True), (-1, False), (2, True)])
def test_tensor_max_over_a_dim_sends_the_gradient_to_the_index_it_returns(op, dim, keepdim):
    # was: shared among tied values (amax's rule); torch's max(dim) backward reads indices
    grads = []
    for lib in (T, symgrad):
        x = lib.tensor(_TIES, dtype=lib.float64, requires_grad=True)
        values, indices = getattr(x, op)(dim=dim, keepdim=keepdim)
        weights = lib.tensor(np.arange(1.0, values.numel() + 1).reshape(tuple(values.shape)))
        (values ** 2 * weights).sum().backward()
        grads.append((x.grad.numpy(), indices.numpy(), type(values.grad_fn).__name__))
    np.testing.assert_array_equal(grads[1][1], grads[0][1])
    np.testing.assert_allclose(grads[1][0], grads[0][0])
    assert values.grad_fn.name() == f"{op.capitalize()}Backward0"


def test_tensor_max_over_a_dim_saves_its_indices_not_its_input():
    # torch's MaxBackward0 keeps the indices: x changed in place after max(dim) still
    # differentiates, and a second backward finds the graph freed
    results = []
    for lib in (T, symgrad):
        a = lib.tensor([[1.0, 3.0], [2.0, 2.0]], requires_grad=True)
        x = a * 1.0
        values = x.max(dim=1).values
        x.mul_(2.0)
        values.sum().backward(retain_graph=False)
        with pytest.raises(RuntimeError, match="second time"):
            values.sum().backward()
        results.append(a.grad.numpy())
    np.testing.assert_array_equal(results[1], results[0])


def _array_power(x, p):
    return np.sum(x ** p)


def test_an_array_exponent_differentiates_on_torch_tensors_and_at_a_zero_exponent():
    # was (torch tensors): RuntimeError: Subtraction ... with a bool tensor (e - (e != 0))
    x, p = np.array([0.0, 0.5, 1.5, 2.0]), np.array([0.0, 2.0, -1.0, 0.5])
    G = symgrad.grad(_array_power)
    gx, gp = G.grad(x, p)
    tx, tp = T.tensor(x, requires_grad=True), T.tensor(p, requires_grad=True)
    (tx ** tp).sum().backward()
    np.testing.assert_allclose(gx, tx.grad.numpy())
    np.testing.assert_allclose(gp, tp.grad.numpy())
    on_torch = G.grad(T.tensor(x), T.tensor(p))
    assert all(isinstance(g, T.Tensor) for g in on_torch)
    np.testing.assert_allclose(on_torch[0].numpy(), gx)
    np.testing.assert_allclose(on_torch[1].numpy(), gp)


def _empty_matmul(x, w):
    return np.sum((x @ w) ** 2) + np.sum(w)


def test_an_empty_example_argument_is_exported_with_its_shape(tmp_path):
    # was: np.array([], dtype=np.float64) for x of shape (0, 4): the self-check's x @ w raised
    x, w = np.zeros((0, 4)), np.ones(4)
    path = symgrad.grad(_empty_matmul).export(tmp_path / "empty_matmul.py", example_args=(x, w))
    namespace = {}
    exec(compile(path.read_text(), "empty_matmul", "exec"), namespace)
    got = namespace["_example_args"]()
    assert [np.shape(a) for a in got] == [(0, 4), (4,)]
    ok, _ = namespace["_self_check"](got)
    assert ok


def _named_like_a_helper(_sum_to, w):
    return np.sum(np.exp(_sum_to) * w[:, None])


def _named_like_an_uncalled_helper(x, _as_array):
    return np.sum(np.exp(x) * _as_array)


def test_a_parameter_named_like_a_helper_the_gradient_calls_is_refused_at_decoration():
    # was: TypeError: 'numpy.ndarray' object is not callable, at the first gradient call
    with pytest.raises(symgrad.SymgradError, match="'_sum_to'.*helper") as info:
        symgrad.grad(_named_like_a_helper)
    assert info.value.lineno is not None and "rename" in info.value.hint
    x, a = np.array([0.1, 0.2]), np.array([1.0, 2.0])  # one the functions never call is fine
    gx, ga = symgrad.grad(_named_like_an_uncalled_helper).grad(x, a)
    np.testing.assert_allclose(gx, np.exp(x) * a)
    np.testing.assert_allclose(ga, np.exp(x))


def test_a_function_whose_file_changed_after_import_is_refused(tmp_path, monkeypatch):
    # was: KeyError: 'f' inside symgrad (the parameters read from the new text)
    import importlib

    path = tmp_path / "changed_module.py"
    path.write_text("import numpy as np\n\n\ndef f(x):\n    return np.sum(x ** 2)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("changed_module")
    path.write_text("import numpy as np\n\n\ndef f(y, z):\n    return np.sum(y * z)\n")
    import linecache
    linecache.checkcache(str(path))
    with pytest.raises(symgrad.SymgradError, match="does not match the function") as info:
        symgrad.grad(module.f)
    assert "reload" in info.value.hint


def _where_of_float_literals(s):
    return np.sum(np.where(s < 0.0, 0.0, 1.0) // 1.0)


def test_a_where_of_float_literals_keeps_numpys_float_dtype():
    s = np.array([-1.0, 2.0])
    value = symgrad.grad(_where_of_float_literals)(s)
    assert value == _where_of_float_literals(s)
    assert np.asarray(value).dtype == np.asarray(_where_of_float_literals(s)).dtype
