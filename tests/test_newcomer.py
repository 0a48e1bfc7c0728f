"""A newcomer's first hour (issue 18, items 2-6 and 8): the frictions they hit, removed.

Each test is one item: a parameter named ``seed``; decoration errors without symgrad's
frames, and notebook cells named as IPython names them; lists of numbers at the call, and
odd arguments named; ``seed.grad(np.ones(0))`` as numpy answers it; the CLI's exit codes,
shape and "unstable" messages; export before any call; formula of a matmul without shapes.
"""

from __future__ import annotations

import linecache
import os
import sys
import textwrap
import traceback
import types
import warnings

import numpy as np
import pytest
from gradutil import numeric_grad

import symgrad
from symgrad import SymgradError, api
from symgrad.cli import main
from symgrad.export import ExportWarning
from symgrad.gradcheck import GradcheckError, check

PACKAGE = os.path.dirname(symgrad.__file__) + os.sep


def symgrad_frames(exc: BaseException) -> list[str]:
    return [f.name for f in traceback.extract_tb(exc.__traceback__)
            if f.filename.startswith(PACKAGE)]


# ---------------------------------------------------------------- 2: a parameter named seed


def weighted(x, seed):
    return np.sum(np.tanh(x) * seed)


def test_a_parameter_named_seed_is_passed_by_keyword_and_the_cotangent_gets_another_name():
    G = symgrad.grad(weighted)
    x, s = np.array([0.1, -0.4, 0.7]), np.array([1.0, 2.0, -1.0])
    assert G.seed_name == "seed_1"  # the generated code's own name for the cotangent
    assert f"def weighted_grad(x, seed, {G.seed_name}=1.0)" in G.source
    by_position = G.grad(x, s)
    by_keyword = G.grad(x, seed=s)  # was: "missing a required argument: 'seed'"
    for a, b in zip(by_position, by_keyword, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(by_keyword[0], s * (1 - np.tanh(x) ** 2), rtol=1e-12)
    np.testing.assert_allclose(by_keyword[1], np.tanh(x), rtol=1e-12)
    # the cotangent, under its own name, scales the gradient
    gx, gs = G.grad(x, seed=s, seed_1=3.0)
    np.testing.assert_allclose(gx, 3 * by_keyword[0], rtol=1e-12)
    value, (gx2, _) = G.value_and_grad(x, seed=s, seed_1=3.0)
    assert value == pytest.approx(weighted(x, s)) and np.allclose(gx2, gx)
    assert G(x, seed=s) == pytest.approx(weighted(x, s))
    assert symgrad.gradcheck(G, x, s)


def test_a_non_scalar_output_with_a_seed_parameter_names_the_cotangent_keyword():
    @symgrad.grad(wrt="x")
    def scaled(x, seed):
        return np.sin(x) * seed

    x, s = np.array([0.3, 0.5]), np.array([2.0, -1.0])
    with pytest.raises(SymgradError, match="seed_1=<array shaped like the output>"):
        scaled.grad(x, seed=s)
    ct = np.array([1.0, 0.5])
    np.testing.assert_allclose(scaled.grad(x, seed=s, seed_1=ct), ct * s * np.cos(x),
                               rtol=1e-12)
    np.testing.assert_allclose(scaled.grad(x, s, seed_1=ct),
                               numeric_grad(scaled.fn, [x, s], 0, seed=ct), rtol=1e-7)


def test_without_a_seed_parameter_seed_is_the_cotangent_as_before():
    @symgrad.grad
    def f(x):
        seed = x * 2  # a local named seed renames the generated argument, not the API's
        return np.sin(seed)

    x = np.array([0.2, 0.4])
    assert f.seed_name == "seed"
    np.testing.assert_allclose(f.grad(x, seed=np.ones(2)), 2 * np.cos(2 * x), rtol=1e-12)


# ---------------------------------------------------------------- 3: decoration errors


def _uses_fft(x):
    return np.fft.fft(x)


def calls_helper_with_fft(x):
    y = _uses_fft(x) + 1
    return np.sum(y)


@pytest.mark.parametrize("decorate", [
    lambda f: symgrad.grad(f),
    lambda f: symgrad.grad(wrt="x")(f),
    lambda f: symgrad.GradFunction(f, None),
], ids=["grad(f)", "grad(wrt=...)(f)", "GradFunction"])
def test_a_decoration_error_shows_the_message_not_symgrads_frames(decorate):
    with pytest.raises(SymgradError) as info:
        decorate(calls_helper_with_fft)
    err = info.value
    assert len(symgrad_frames(err)) == 1  # one line of symgrad, then the message
    assert err.__cause__ is None and err.__suppress_context__  # no "During handling of..."
    shown = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    assert "lower.py" not in shown and shown.count('  File "') <= 3
    assert "return np.fft.fft(x)" in shown and "hint:" in shown


def test_a_call_time_error_keeps_its_cause_and_drops_symgrads_frames():
    @symgrad.grad(wrt="w")
    def layer(w, x):
        return np.tanh(x @ w)

    with pytest.raises(SymgradError) as info:
        layer.grad(np.ones((3, 2)), np.ones((4, 3)), seed=np.ones((5, 2)))
    assert isinstance(info.value.__cause__, ValueError)
    assert len(symgrad_frames(info.value)) == 1


class _Compiler:
    def __init__(self, cells: dict[str, int]) -> None:
        self.cells = cells

    def format_code_name(self, name: str):  # as IPython.core.compilerop.CachingCompiler
        if name in self.cells:
            return "Cell", f"In[{self.cells[name]}]"
        return None


def _notebook_cell(monkeypatch, source: str, number: int) -> dict:
    """Run ``source`` as ipykernel runs a cell: compiled under a temporary file name kept in
    linecache, which IPython's compiler maps to the cell's execution count."""
    filename = f"/tmp/ipykernel_4242/{abs(hash(source))}.py"
    shell = types.SimpleNamespace(compile=_Compiler({filename: number}))
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    lines = source.splitlines(True)
    monkeypatch.setitem(linecache.cache, filename, (len(source), None, lines, filename))
    namespace: dict = {"np": np, "symgrad": symgrad, "__name__": "__main__"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_an_error_in_a_notebook_cell_names_the_cell(monkeypatch):
    source = textwrap.dedent("""\
        def f(x):
            y = np.fft.fft(x)
            return np.sum(y)
        """)
    ns = _notebook_cell(monkeypatch, source, 7)
    with pytest.raises(SymgradError) as info:
        symgrad.grad(ns["f"])
    text = str(info.value)
    assert text.splitlines()[0] == "Cell In[7], line 2"  # IPython's own form
    assert "ipykernel" not in text and "y = np.fft.fft(x)" in text
    assert info.value.filename.startswith("/tmp/ipykernel_4242/")  # the attribute: the file


def test_a_function_from_a_notebook_cell_is_differentiated(monkeypatch):
    ns = _notebook_cell(monkeypatch, "def g(x):\n    return np.sum(np.sin(x))\n", 3)
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(symgrad.grad(ns["g"]).grad(x), np.cos(x), rtol=1e-12)


def test_without_ipython_files_are_named_as_python_does(monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    err = SymgradError("boom", filename="/x/model.py", lineno=3)
    assert str(err).splitlines()[0] == 'File "/x/model.py", line 3'
    broken = types.ModuleType("IPython")  # an IPython module with no shell running
    broken.get_ipython = lambda: None
    monkeypatch.setitem(sys.modules, "IPython", broken)
    assert str(SymgradError("boom", filename="/x/m.py", lineno=1)).startswith('File "/x/m.py"')


def test_the_plain_python_prompt_gets_a_hint_where_to_define_functions():
    ns: dict = {"np": np}
    exec(compile("def f(x):\n    return np.sum(x)\n", "<stdin>", "exec"), ns)
    with pytest.raises(SymgradError, match="cannot read the source") as info:
        symgrad.grad(ns["f"])
    assert "3.10-3.12" in info.value.hint and "IPython" in info.value.hint
    assert ".py file" in info.value.hint


# ---------------------------------------------------------------- 4: call-time errors


@symgrad.grad
def seed(x):
    y = x + 2
    z = y * y * 3
    return z.mean()


def test_lists_and_tuples_of_numbers_are_read_as_numpy_reads_them():
    for value in ([1.0, 2.0], (1.0, 2.0), [[1.0, 0.5], [2.0, 3.0]], [1, 2.5]):
        array = np.asarray(value, dtype=float)
        expected = 6 * (array + 2) / array.size
        got = seed.grad(value)
        assert type(got) is type(value)  # a gradient of the argument's own structure
        np.testing.assert_allclose(np.asarray(got, dtype=float), expected, rtol=1e-12)
        assert seed(value) == pytest.approx(seed(array))
        value_, grad_ = seed.value_and_grad(value)
        assert value_ == pytest.approx(seed(array))
    # inside a container of arrays, too
    @symgrad.grad
    def affine(params, x):
        w, b = params
        return np.sum(w * x + b)

    gw, gb = affine.grad([np.array([1.0, 2.0]), [0.5, 0.25]], np.array([3.0, 4.0]))[0]
    np.testing.assert_allclose(gw, [3.0, 4.0])
    assert type(gb) is list
    np.testing.assert_allclose(np.asarray(gb, dtype=float), [1.0, 1.0])


def test_a_list_of_integers_is_still_refused_as_integers():
    with pytest.raises(SymgradError, match="a list of integers"):
        seed.grad([1, 2])


@pytest.mark.parametrize("value, says", [
    ("abc", r"argument 'x' is a str \('abc'\)"),
    (None, "argument 'x' is None"),
    (object(), "argument 'x' is an object"),
])
def test_an_argument_that_is_no_number_or_array_is_named(value, says):
    for call in (seed, seed.grad, seed.value_and_grad):
        with pytest.raises(SymgradError, match=says) as info:
            call(value)
        err = info.value
        assert "TypeError" in str(err) and "(generated code, " in str(err)  # what, where
        assert err.lineno == seed.fn.__code__.co_firstlineno + 1  # `def seed(x):`
        assert "np.asarray" in err.hint
        assert len(symgrad_frames(err)) == 1


def test_an_empty_array_gives_numpys_answer_with_numpys_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value, grad = seed.value_and_grad(np.ones(0))  # was: ZeroDivisionError
        expected = np.mean(3 * (np.ones(0) + 2) ** 2)  # numpy: nan, "Mean of empty slice"
    assert np.isnan(value) and np.isnan(expected)
    assert grad.shape == (0,) and grad.dtype == np.float64
    assert any(issubclass(w.category, RuntimeWarning) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g32 = seed.grad(np.ones((0, 3), dtype=np.float32))
    assert g32.shape == (0, 3) and g32.dtype == np.float32


# ---------------------------------------------------------------- 5: the command line


MODEL = '''
import numpy as np


def layer(w, x):
    return np.sum(np.tanh(x @ w))


def chain(x):
    for _ in range(150):
        x = 3.9 * x * (1 - x)
    return np.sum(x)


class Model:
    pass


width = 3
'''


@pytest.fixture
def model(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", "0")
    path = tmp_path / "cls.py"
    path.write_text(MODEL)
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_shapes_that_do_not_fit_are_explained(capsys, model):
    code, out, err = run(capsys, "check", f"{model}:layer", "--shape", "w=2,2", "--shape",
                         "x=4,3")
    assert code == 2 and out == ""
    assert "layer cannot run at these arguments (w (2, 2), x (4, 3))" in err
    assert f'File "{model}", line 6' in err and "return np.sum(np.tanh(x @ w))" in err
    assert "Traceback" not in err and "hint:" in err


def test_unstable_finite_differences_are_not_a_failure(capsys, model):
    code, out, _ = run(capsys, "check", f"{model}:chain", "--shape", "x=3")
    assert code == 4, out
    assert "finite differences unstable here" in out and "FAILED" not in out


def test_the_unstable_chain_gradient_is_right_as_torch_says(model):
    torch = pytest.importorskip("torch")
    ns: dict = {"__name__": "cls"}
    exec(compile(MODEL, str(model), "exec"), ns)
    x = np.random.default_rng(0).uniform(0.1, 0.9, size=3)
    t = torch.tensor(x, requires_grad=True)
    y = t
    for _ in range(150):
        y = 3.9 * y * (1 - y)
    y.sum().backward()
    got = symgrad.grad(ns["chain"]).grad(x)
    np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-9)
    report = check(ns["chain"], x)
    assert report.unstable and not report.ok and not report.disagrees
    assert not symgrad.gradcheck(ns["chain"], x)  # cannot be confirmed: not True
    with pytest.raises(GradcheckError, match="unstable"):
        symgrad.gradcheck(ns["chain"], x, raise_exception=True)


def test_a_wrong_gradient_still_fails_with_a_large_step(monkeypatch):
    def f(x):
        return np.sum(np.exp(x))

    G = symgrad.grad(f)
    original = G.value_and_grad  # (G's own entry point: symgrad.hot)

    def wrong(*args, **kwargs):
        value, grad = original(*args, **kwargs)
        return value, grad * 1.01

    monkeypatch.setattr(G, "value_and_grad", wrong)
    report = check(G, np.array([0.3, 0.6]), eps=1e-3)
    assert report.disagrees and not report.unstable and "FAILED" in report.summary()


@pytest.mark.parametrize("name, says", [
    ("Model", "is a class (Model), not a function"),
    ("width", "is an int (3), not a function"),
    ("np", "is a module (numpy), not a function"),
])
def test_show_on_something_else_says_what_it_is(capsys, model, name, says):
    code, out, err = run(capsys, "show", f"{model}:{name}")
    assert code == 2 and says in err


def test_an_internal_error_exits_3_with_its_traceback(capsys, model, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(api, "_module", broken)
    code, out, err = run(capsys, "show", f"{model}:layer")
    assert code == 3
    assert "Traceback" in err and "RuntimeError: a bug" in err and "internal error" in err


def test_exit_codes_are_documented_in_help(capsys):
    for argv in (["--help"], ["check", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        assert "exit codes:" in out
        for code in "01234":
            assert f"\n  {code}  " in out


# ---------------------------------------------------------------- 6: export before any call


def test_export_before_any_call_warns(tmp_path):
    G = symgrad.grad(seed.fn)
    G._last_call = None
    with pytest.warns(ExportWarning, match="never called") as caught:
        G.export(tmp_path / "m.py")
    assert caught[0].filename == __file__  # the warning points at the caller's line


def test_export_takes_shapes_as_the_cli_does(tmp_path):
    import subprocess

    G = symgrad.grad(seed.fn)
    G._last_call = None
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExportWarning)
        path = G.export(tmp_path / "m.py", shapes={"x": (2, 3)})
    assert "rng.uniform(0.1, 0.9, size=(2, 3))" in path.read_text()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with pytest.raises(SymgradError, match="no shape for 'x'"):
        G.export(tmp_path / "n.py", shapes={})
    with pytest.raises(SymgradError, match="not a parameter"):
        G.export(tmp_path / "n.py", shapes={"x": 2, "q": 3})
    with pytest.raises(SymgradError, match="not both"):
        G.export(tmp_path / "n.py", example_args=(np.ones(2),), shapes={"x": 2})


# ---------------------------------------------------------------- 8: formula and matmul


def test_formula_of_a_matmul_without_shapes_asks_for_them():
    @symgrad.grad(wrt="b")
    def loss(w, b, x):
        return np.mean(np.tanh(x @ w + b) ** 2)

    with pytest.raises(SymgradError, match="needs the arguments' shapes") as info:
        loss.formula()
    assert "shapes=" in info.value.hint and "loss.formula(w, b, x)" in info.value.hint
    text = str(loss.formula(shapes={"w": (4, 3), "b": (3,), "x": (8, 4)}))
    assert "sum_to" in text  # dloss/db sums over the batch: the formula says so
    assert "every array has the same shape" not in text


def test_formula_without_products_still_assumes_one_shape():
    assert "N entries" in str(seed.formula())

