"""The disk cache of generated modules: hits skip SymPy; corrupt files are regenerated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import symgrad
from symgrad import api, cache

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = '''
import sys
import numpy as np
import symgrad

SCALE = np.array([1.0, 2.0, 3.0])


@symgrad.grad
def loss(x):
    y = np.tanh(x) * SCALE
    return np.sum(y ** 2)


g = loss.grad(np.array([0.1, 0.2, 0.3]))
print("hit" if loss._shown.module.adjoint is None else "miss", "sympy" in sys.modules,
      " ".join(repr(float(v)) for v in g), loss._module.pending is not None)
'''


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", str(d))
    api._TRANSFORMS.clear()
    yield d
    api._TRANSFORMS.clear()


def _run_script(script: Path, cache: Path) -> list[str]:
    env = dict(os.environ, SYMGRAD_CACHE_DIR=str(cache))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


def _files(d: Path) -> list[Path]:
    return sorted(d.glob("*/*.json"))


def _modules(d: Path) -> list[Path]:
    """The entries that hold a module (not a decoration's ``Checked`` record)."""
    return [p for p in _files(d) if json.loads(p.read_text())["kind"] == "Generated"]


def test_second_process_hits_without_importing_sympy(tmp_path):
    script = tmp_path / "model.py"
    script.write_text(SCRIPT)
    d = tmp_path / "c"
    first = _run_script(script, d)
    assert first[:2] == ["miss", "True"]
    second = _run_script(script, d)
    assert second[:2] == ["hit", "False"]
    assert first[2:] == second[2:]
    assert first[-1] == "True"  # the generic module was never needed: never generated
    assert len(_files(d)) == 2  # the specialisation for a 1-d x, and that loss was checked


def _make():
    def f(x, w):
        return np.sum(np.sin(x) * w)

    return f


def test_hit_in_process_and_lazy_adjoint(cache_dir):
    g1 = symgrad.grad(_make())
    assert g1._module.pending is not None and _modules(cache_dir) == []  # (checked only)
    assert g1._entry[2] is not None and len(_modules(cache_dir)) == 1  # generated, stored
    api._TRANSFORMS.clear()
    g2 = symgrad.grad(_make())
    assert g2._entry[2] is None
    x, w = np.linspace(0, 1, 4), np.linspace(1, 2, 4)
    for a, b in zip(g1.grad(x, w), g2.grad(x, w), strict=True):
        np.testing.assert_array_equal(a, b)
    assert g2.source == g1.source
    assert g2._adjoint.grads == ["grad_x", "grad_w"]  # computed on demand


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "checksum", "bad_code",
                                    "wrong_key"])
def test_a_corrupt_cache_file_is_regenerated(cache_dir, damage):
    g1 = symgrad.grad(_make())
    g1.source  # noqa: B018 (the generic module: generated and stored now)
    (path,) = _modules(cache_dir)
    text = path.read_text()
    if damage == "truncate":
        path.write_text(text[: len(text) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00\xff\xfe not json at all")
    elif damage == "empty":
        path.write_text("")
    elif damage == "checksum":
        data = json.loads(text)
        data["source"] = data["source"].replace("np.cos", "np.sin")
        path.write_text(json.dumps(data))
    elif damage == "bad_code":  # consistent checksum, but the module does not define f_grad
        data = json.loads(text)
        data["source"] = "import numpy as np\n"
        fields = {k: data[k] for k in cache._FIELDS}
        data["checksum"] = cache._checksum(fields)
        path.write_text(json.dumps(data))
    elif damage == "wrong_key":
        data = json.loads(text)
        data["key"] = "0" * 64
        path.write_text(json.dumps(data))
    api._TRANSFORMS.clear()
    g2 = symgrad.grad(_make())
    assert g2._entry[2] is not None  # regenerated
    assert g2.source == g1.source
    x = np.linspace(0, 1, 3)
    np.testing.assert_allclose(g2.grad(x, x)[0], np.cos(x) * x)
    assert json.loads(path.read_text())["source"] == g1.source  # and rewritten


def test_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", "0")
    api._TRANSFORMS.clear()
    assert cache.cache_dir() is None
    symgrad.grad(_make())
    assert not any(tmp_path.iterdir())


def test_default_location_is_the_user_cache_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("SYMGRAD_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    d = cache.cache_dir()
    assert d is not None and d.name in ("symgrad", "Cache")
    if sys.platform.startswith("linux"):
        assert d == tmp_path / "symgrad"


def test_unwritable_cache_directory_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", str(blocker / "sub"))
    api._TRANSFORMS.clear()
    g = symgrad.grad(_make())
    assert g.grad(np.ones(2), np.ones(2))[0].shape == (2,)


def test_key_depends_on_what_the_code_can_see():
    data = np.array([1.0, 2.0])

    def f(x):
        return np.sum(x * data)

    k1 = cache.cache_key(f, ["x"])
    assert k1 == cache.cache_key(f, ["x"])
    assert cache.cache_key(f, ["x"]) != cache.cache_key(_make(), ["x"])
    data[0] = 5.0  # the constant is baked into the generated module
    assert cache.cache_key(f, ["x"]) != k1
    ns: dict = {"np": np, "data": np.array([5.0, 2.0])}
    exec(textwrap.dedent("""
        def g(x):
            return np.sum(x * data)
    """), ns)
    assert cache.cache_key(ns["g"], ["x"]) is None  # no source to key on


def test_unfingerprintable_values_make_a_function_uncachable():
    thing = object()

    def f(x):
        return x if thing else x

    assert cache.cache_key(f, ["x"]) is None


_WRITER = """
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from symgrad import cache
from symgrad.generated import Generated
src = "import numpy as np\\n" + "# padding\\n" * 20000
gen = Generated(src + "# writer " + sys.argv[2] + "\\n", "f", "f_grad", "f_vg", "seed")
for _ in range(30):
    assert cache.store("ab" * 32, gen)
    got = cache.load("ab" * 32)
    assert got is not None and got.source.startswith(src), "torn read"
print("ok")
"""


def test_concurrent_writers_never_leave_a_torn_file(tmp_path, monkeypatch):
    env = dict(os.environ, SYMGRAD_CACHE_DIR=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(ROOT), str(i)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and out.strip() == "ok", err
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", str(tmp_path))
    final = cache.load("ab" * 32)
    assert final is not None and final.source.rstrip().split()[-1] in "0123"
    files = list(tmp_path.rglob("*"))
    assert not [f for f in files if f.name.endswith(".tmp")]
