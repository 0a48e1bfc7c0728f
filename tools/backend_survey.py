"""Run the control-flow corpus (tests/corpus) through each array library symgrad's
array-API module supports, and list, per library, the corpus entries it cannot run and why.

    PYTHONPATH=. python tools/backend_survey.py [dask torch jax array_api_strict cupy]

Each entry is run with its arguments converted to the library's arrays; the gradients are
compared with the numpy path's (rtol 1e-10). A library that is not installed is skipped.
The README's "Other array libraries" section quotes this script's summary.
"""

from __future__ import annotations

import collections
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests"))

import symgrad  # noqa: E402


def _converters() -> dict:
    out = {}
    try:
        import torch

        out["torch"] = (torch.asarray, lambda t: t.numpy())
    except ImportError:
        pass
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        out["jax"] = (jnp.asarray, np.asarray)
    except ImportError:
        pass
    try:
        import array_api_strict as xs

        out["array_api_strict"] = (xs.asarray, np.asarray)
    except ImportError:
        pass
    try:
        import dask
        import dask.array as da

        dask.config.set(scheduler="synchronous")
        out["dask"] = (lambda a: da.from_array(a, chunks=2), lambda a: np.asarray(a))
    except ImportError:
        pass
    try:
        import cupy

        cupy.cuda.runtime.getDeviceCount()
        out["cupy"] = (cupy.asarray, cupy.asnumpy)
    except Exception:  # noqa: BLE001 (no cupy, or no GPU)
        pass
    return out


def _convert(value, to):
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        return to(value)
    if isinstance(value, tuple):
        return tuple(_convert(v, to) for v in value)
    if isinstance(value, list):
        return [_convert(v, to) for v in value]
    if isinstance(value, dict):
        return {k: _convert(v, to) for k, v in value.items()}
    return value


def _compare(got, expected, back) -> None:
    if isinstance(expected, dict):
        for k in expected:
            _compare(got[k], expected[k], back)
    elif isinstance(expected, (tuple, list)):
        assert len(got) == len(expected), "a different number of gradients"
        for a, b in zip(got, expected, strict=True):
            _compare(a, b, back)
    elif expected is None:
        assert got is None, f"a gradient {type(got).__name__} where numpy gives None"
    else:
        value = back(got) if not isinstance(got, (int, float, np.ndarray, np.generic)) \
            else got
        np.testing.assert_allclose(np.asarray(value, dtype=float), expected, rtol=1e-10,
                                   atol=1e-12)


def _reason(exc: BaseException) -> str:
    text = str(exc).split("\n")[0]
    marker = "arrays: "
    if marker in text:
        text = text.split(marker, 1)[1]
    return f"{type(exc).__name__}: {text}"[:150]


def survey(libraries: list[str]) -> dict[str, list[tuple[str, str]]]:
    from corpus import CORPUS

    converters = _converters()
    failures: dict[str, list[tuple[str, str]]] = collections.OrderedDict()
    for name in libraries:
        if name not in converters:
            print(f"{name}: not installed (or no GPU), skipped")
            continue
        to, back = converters[name]
        failures[name] = []
        for case in CORPUS:
            G = symgrad.grad(case.fn, wrt=case.wrt)
            kw = {} if case.seed is None else {G.seed_name: case.seed()}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = G.value_and_grad(*case.args(), **kw)
                try:
                    kw_x = {k: _convert(v, to) for k, v in kw.items()}
                    got = G.value_and_grad(*_convert(case.args(), to), **kw_x)
                    _compare(got[1], expected[1], back)
                except Exception as exc:  # noqa: BLE001 (each failure is reported)
                    failures[name].append((case.id, _reason(exc)))
        print(f"{name}: {len(CORPUS) - len(failures[name])}/{len(CORPUS)} corpus entries run")
        for entry, why in failures[name]:
            print(f"    {entry}: {why}")
    return failures


if __name__ == "__main__":
    survey(sys.argv[1:] or ["array_api_strict", "torch", "jax", "dask", "cupy"])
