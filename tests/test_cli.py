"""The `symgrad` command line: every command, its exit codes and its error output."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from symgrad import api
from symgrad.cli import main

MODEL = '''
import numpy as np
import symgrad


def loss(x):
    y = x + 2
    z = y * y * 3
    return z.mean()


@symgrad.grad(wrt="w")
def layer(w, x, scale=2.0):
    h = np.tanh(x @ w)
    return np.sum(h ** 2) * scale


def bad(x):
    y = np.fft.fft(x)
    return np.sum(y)


class Holder:
    pass


not_a_function = 3
'''


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch):
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", "0")


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(MODEL))
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- show


def test_show_prints_the_generated_module(capsys, model):
    code, out, err = run(capsys, "show", f"{model}:loss")
    assert code == 0 and err == ""
    assert "def loss_grad(x, seed=1.0):" in out and "import numpy as np" in out
    assert "\x1b[" not in out  # not a terminal: no colours
    compile(out, "show", "exec")


def test_show_respects_wrt_and_decorated_wrt(capsys, model):
    code, out, _ = run(capsys, "show", f"{model}:layer")
    assert code == 0 and "with respect to w;" in out
    code, out, _ = run(capsys, "show", f"{model}:layer", "--wrt", "w,x")
    assert code == 0 and "with respect to w, x;" in out


def test_show_color_always_highlights_when_pygments_is_installed(capsys, model):
    pytest.importorskip("pygments")
    code, out, _ = run(capsys, "show", f"{model}:loss", "--color", "always")
    assert code == 0 and "\x1b[" in out


# ---------------------------------------------------------------- export


def test_export_writes_a_self_checking_module(capsys, model, tmp_path):
    out_path = tmp_path / "out" / "loss_grad.py"
    out_path.parent.mkdir()
    code, out, err = run(capsys, "export", f"{model}:loss", "-o", out_path, "--shape", "x=3,4")
    assert code == 0, err
    assert "wrote" in out and out_path.exists()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, str(out_path)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "worst relative error" in proc.stdout


def test_export_without_shapes_warns(capsys, model, tmp_path):
    code, _, err = run(capsys, "export", f"{model}:loss", "-o", tmp_path / "m.py")
    assert code == 0 and "no --shape" in err


def test_export_needs_output(capsys, model):
    with pytest.raises(SystemExit) as exc:
        main(["export", f"{model}:loss"])
    assert exc.value.code == 2
    assert "-o" in capsys.readouterr().err


# ---------------------------------------------------------------- check


def test_check_passes(capsys, model):
    code, out, err = run(capsys, "check", f"{model}:layer", "--shape", "w=4,3", "--shape",
                         "x=5,4")
    assert code == 0, err
    assert "worst relative error" in out and "ok" in out


def test_check_fails_on_a_wrong_gradient(capsys, model, monkeypatch):
    original = api.GradFunction.value_and_grad

    def wrong(self, *args, **kwargs):
        value, grad = original(self, *args, **kwargs)
        return value, grad * 1.01

    monkeypatch.setattr(api.GradFunction, "value_and_grad", wrong)
    code, out, _ = run(capsys, "check", f"{model}:loss", "--shape", "x=2,2")
    assert code == 1
    assert "FAILED" in out and "x[" in out


def test_check_scalar_shape_and_range(capsys, model):
    code, out, _ = run(capsys, "check", f"{model}:loss", "--shape", "x=", "--range=-1,1",
                       "--seed", "3")
    assert code == 0 and "ok" in out


@pytest.mark.parametrize("argv, message", [
    (["check", "{model}:layer", "--shape", "w=4,3"], "no shape for parameter 'x'"),
    (["check", "{model}:loss", "--shape", "q=3"], "no parameter 'q'"),
    (["check", "{model}:loss", "--shape", "x=3", "--wrt", "nope"], "no parameter 'nope'"),
    (["show", "{model}:missing"], "has no 'missing'"),
    (["show", "{model}:not_a_function"], "not a function"),
    (["show", "{model}:Holder"], "not a function"),
    (["show", "{model}"], "expected FILE.py:FUNC"),
    (["show", "does/not/exist.py:f"], "no such file"),
    (["formula", "{model}:loss", "--shape", "x"], "expected NAME=D1,D2"),
    (["check", "{model}:loss", "--shape", "x=a,b"], "must be integers"),
    (["check", "{model}:loss", "--range", "1,0"], "LOW must be below HIGH"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_usage_errors_exit_2_with_one_message(capsys, model, argv, message):
    argv = [a.replace("{model}", str(model)) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert code == 2
    assert message in err and out == ""
    assert err.count("error:") == 1


def test_unsupported_code_fails_with_file_line_and_caret(capsys, model):
    code, out, err = run(capsys, "show", f"{model}:bad")
    assert code == 2 and out == ""  # 2: unsupported code, as a usage error
    assert f'File "{model}", line 19' in err
    assert "y = np.fft.fft(x)" in err and "^^^" in err
    assert "not supported" in err and "hint:" in err


def test_a_file_that_fails_to_import_names_its_line(capsys, tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import numpy as np\n\nX = 1 / 0\n\ndef f(x):\n    return x\n")
    code, _, err = run(capsys, "show", f"{path}:f")
    assert code == 2
    assert f'File "{path}", line 3' in err and "ZeroDivisionError" in err and "X = 1 / 0" in err


def test_a_file_with_a_syntax_error_names_its_line(capsys, tmp_path):
    path = tmp_path / "syntax.py"
    path.write_text("def f(x):\n    return x +\n")
    code, _, err = run(capsys, "show", f"{path}:f")
    assert code == 2 and "line 2" in err and "SyntaxError" in err


# ---------------------------------------------------------------- formula


def test_formula(capsys, model):
    code, out, _ = run(capsys, "formula", f"{model}:loss")
    assert code == 0 and "dloss/dx = 6*(x + 2)/N" in out
    code, out, _ = run(capsys, "formula", f"{model}:loss", "--shape", "x=2,2")
    assert code == 0 and "dloss/dx = 3*(x + 2)/2" in out
    code, out, _ = run(capsys, "formula", f"{model}:loss", "--latex")
    assert code == 0 and r"\frac{6 \left(x + 2\right)}{N}" in out


# ---------------------------------------------------------------- help, entry points


@pytest.mark.parametrize("argv", [["--help"], ["show", "--help"], ["export", "--help"],
                                  ["check", "--help"], ["formula", "--help"]])
def test_help_everywhere(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    assert "usage: symgrad" in capsys.readouterr().out


def _env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, SYMGRAD_CACHE_DIR="0")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def test_python_dash_m_symgrad(model):
    proc = subprocess.run([sys.executable, "-m", "symgrad", "check", f"{model}:loss",
                           "--shape", "x=3"], capture_output=True, text=True, env=_env(),
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "symgrad", "show", f"{model}:nope"],
                          capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.returncode == 2 and "has no 'nope'" in proc.stderr


def test_console_script_when_installed(model):
    exe = Path(sys.executable).with_name("symgrad")
    if not exe.exists():
        pytest.skip("the console script is not installed")
    proc = subprocess.run([str(exe), "show", f"{model}:loss"], capture_output=True, text=True,
                          env=_env(), timeout=120)
    assert proc.returncode == 0 and "def loss_grad" in proc.stdout
    assert np is not None
