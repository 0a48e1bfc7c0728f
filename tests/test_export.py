"""G.export: a standalone module (numpy its only import) whose `python path` self-checks."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import symgrad
from symgrad.export import ExportWarning, module_text


@symgrad.grad
def seed_loss(x):
    y = x + 2
    z = y * y * 3
    return z.mean()


@symgrad.grad(wrt=("w", "b"))
def mlp(w, b, x):
    h = np.tanh(x @ w + b)
    return np.sum(h ** 2)


@symgrad.grad(wrt="a")
def vector_out(a, k=2.0):
    return np.sin(a) * k


# A subprocess that can import numpy but not symgrad or sympy: the module must stand alone.
_ISOLATED = """
import json, sys
sys.modules["symgrad"] = None
sys.modules["sympy"] = None
sys.path.insert(0, sys.argv[1])
import numpy as np
mod = __import__(sys.argv[2])
args = [np.array(a) for a in json.loads(sys.argv[3])]
grads = getattr(mod, sys.argv[4])(*args)
grads = grads if isinstance(grads, tuple) else (grads,)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("symgrad", "sympy") and sys.modules[m])
print(json.dumps({"grads": [np.asarray(g).tolist() for g in grads], "imported": bad}))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["SYMGRAD_CACHE_DIR"] = "0"
    return env


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=120)


def _import_and_grad(path: Path, grad_name: str, args: list) -> dict:
    payload = json.dumps([np.asarray(a).tolist() for a in args])
    proc = _run(["-c", _ISOLATED, str(path.parent), path.stem, payload, grad_name], path.parent)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_exported_module_matches_grad_in_a_fresh_interpreter(tmp_path):
    rng = np.random.default_rng(0)
    w, b, x = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((5, 4))
    expected = mlp.grad(w, b, x)
    path = mlp.export(tmp_path / "mlp_grad.py")
    out = _import_and_grad(path, "mlp_grad", [w, b, x])
    assert out["imported"] == []
    for got, want in zip(out["grads"], expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_seed_function_exports_and_self_checks(tmp_path):
    x = np.ones((2, 2))
    seed_loss(x)
    path = seed_loss.export(tmp_path / "loss_grad.py")
    out = _import_and_grad(path, "seed_loss_grad", [x])
    np.testing.assert_allclose(out["grads"][0], np.full((2, 2), 4.5))
    proc = _run([str(path)], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "worst relative error" in proc.stdout and "ok" in proc.stdout


def test_self_check_fails_on_a_sabotaged_gradient(tmp_path):
    seed_loss(np.ones((3, 2)))
    path = seed_loss.export(tmp_path / "sabotaged.py")
    text = path.read_text()
    assert "grad_x = 6*" in text
    path.write_text(text.replace("grad_x = 6*", "grad_x = 6.001*"))
    proc = _run([str(path)], tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED" in proc.stdout and "x[" in proc.stdout


def test_docstring_says_where_it_came_from_and_how_to_call(tmp_path):
    seed_loss(np.ones(3))
    text = seed_loss.export(tmp_path / "m.py").read_text()
    doc = ast.get_docstring(ast.parse(text))
    assert __file__ in doc and "seed_loss" in doc and symgrad.__version__ in doc
    assert "seed_loss_grad(x)" in doc and "python" in doc
    tree = ast.parse(text)
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [a.name for n in top for a in n.names] == ["numpy"]
    # array-api-compat only inside the dispatch to other libraries' arrays (issue 16)
    nested = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
              for a in n.names}
    assert nested <= {"numpy", "array_api_compat"}
    ast.parse(text, feature_version=(3, 10))


def test_example_args_are_embedded_small_and_large(tmp_path):
    rng = np.random.default_rng(3)
    small = (rng.uniform(0.1, 1, (4, 3)), rng.uniform(0.1, 1, 3), rng.uniform(0.1, 1, (2, 4)))
    large = (rng.uniform(0.1, 1, (40, 30)), rng.uniform(0.1, 1, 30), rng.uniform(0.1, 1, (7, 40)))
    for name, args in (("small", small), ("large", large)):
        path = mlp.export(tmp_path / f"mlp_{name}.py", example_args=args)
        proc = _run([str(path)], tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (tmp_path / "mlp_large.py").read_text()
    assert "bytes.fromhex" in text
    ns: dict = {}
    exec(compile(text, "mlp_large", "exec"), ns)
    for got, want in zip(ns["_example_args"](), large, strict=True):
        np.testing.assert_array_equal(got, want)


def test_non_scalar_output_and_defaults(tmp_path):
    vector_out(np.ones(5))
    path = vector_out.export(tmp_path / "vec.py")
    proc = _run([str(path)], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = vector_out.export(tmp_path / "vec2.py", example_args={"a": np.linspace(0, 1, 4), "k": 3.0})
    assert _run([str(path)], tmp_path).returncode == 0


def test_without_example_arguments_the_self_check_says_so(tmp_path):
    g = symgrad.grad(seed_loss.fn)
    g._last_call = None
    with pytest.warns(ExportWarning, match="nothing to check at"):
        path = g.export(tmp_path / "none.py")
    proc = _run([str(path)], tmp_path)
    assert proc.returncode == 2
    assert "no example arguments" in proc.stdout


def test_bad_example_args_raise_symgrad_error(tmp_path):
    with pytest.raises(symgrad.SymgradError, match="example_args"):
        mlp.export(tmp_path / "x.py", example_args=(1.0,))
    with pytest.raises(symgrad.SymgradError, match="cannot write the example value"):
        module_text(seed_loss, example_args=(object(),))


def _ruff() -> list[str] | None:
    exe = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    return [exe] if Path(exe).exists() else None


@pytest.mark.skipif(_ruff() is None, reason="ruff is not installed")
def test_exported_modules_pass_ruff_with_default_rules(tmp_path):
    seed_loss(np.ones(3))
    mlp(np.ones((2, 2)), np.ones(2), np.ones((3, 2)))
    vector_out(np.ones(2))
    paths = [str(seed_loss.export(tmp_path / "a.py")), str(mlp.export(tmp_path / "b.py")),
             str(vector_out.export(tmp_path / "c.py")),
             str(mlp.export(tmp_path / "d.py", example_args=(np.ones((20, 20)), np.ones(20),
                                                            np.ones((3, 20)))))]
    proc = subprocess.run([*_ruff(), "check", "--isolated", "--no-cache", *paths],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_last_call_with_a_tensor_records_its_shape(tmp_path):
    if not hasattr(symgrad, "tensor"):
        pytest.skip("no Tensor runtime")
    g = symgrad.grad(seed_loss.fn)
    g(symgrad.tensor(np.ones((2, 3)), requires_grad=True))
    path = g.export(tmp_path / "from_tensor.py")
    assert "size=(2, 3)" in path.read_text()
    assert _run([str(path)], tmp_path).returncode == 0


_WITHOUT_COMPAT = """
import sys
sys.modules["array_api_compat"] = None  # not installed
sys.path.insert(0, sys.argv[2])
import numpy as np
import symgrad
from test_export import seed_loss
seed_loss(np.ones(3))
seed_loss.export(sys.argv[1])
"""


def test_export_without_array_api_compat_still_self_checks_on_numpy(tmp_path):
    path = tmp_path / "m.py"
    env = {**os.environ, "SYMGRAD_CACHE_DIR": "0"}
    proc = subprocess.run([sys.executable, "-c", _WITHOUT_COMPAT, str(path),
                           os.path.dirname(__file__)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "seed_loss_grad_xp" in path.read_text()  # the other libraries' form, written anyway
    proc = _run([str(path)], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
