"""How many of autograd's and Tangent's test functions symgrad differentiates (issue 13).

The peer functions live in ``tests/peers/*.py``: each of autograd's and Tangent's test
functions rewritten as a plain numpy ``def``, with a ``CASES`` list of ``(function,
example_args)``. For each one this runner decorates the function with ``symgrad.grad``
(with respect to every float argument), compares the primal ``G(*args)`` with ``fn(*args)``
and ``G.grad`` with central finite differences in float64 (``tests/gradutil.numeric_grad``),
and classifies it:

* ``ok``       primal and gradient match;
* ``refused``  a ``SymgradError`` at decoration or call (its message's first line is kept);
* ``wrong``    primal or gradient differ from numpy / finite differences: the worst bug;
* ``crash``    any other exception from symgrad: an internal crash, also a bug;
* ``timeout``  over ``--timeout`` seconds (a crash too, for the trust property).

Run: ``PYTHONPATH=. python tools/peer_harness.py [--markdown docs/peer_coverage.md]
[--json out.json] [--only autograd_numpy] [-v]``. Not a pytest test: tests/test_peer_functions.py
asserts its trust property (every function ``ok`` or ``refused``).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import importlib
import inspect
import json
import os
import pkgutil
import re
import signal
import sys
import time
import traceback
from dataclasses import asdict, dataclass

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _p in (ROOT, os.path.join(ROOT, "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from gradutil import numeric_grad  # noqa: E402

import symgrad  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6


@dataclass
class Outcome:
    source: str  # the peer file (tests/peers/<source>.py)
    name: str  # the function's name
    origin: str  # the original test (file::test), from the comment above the def
    status: str  # ok, refused, wrong, crash, timeout
    detail: str = ""  # the refusal's first line, the mismatch, or the exception


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float):
    """SIGALRM after ``seconds`` (main thread, POSIX); no limit elsewhere."""
    usable = seconds and hasattr(signal, "SIGALRM") and \
        __import__("threading").current_thread() is __import__("threading").main_thread()
    if not usable:
        yield
        return

    def fire(signum, frame):
        raise _Timeout(f"over {seconds:g} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def peer_modules() -> list[str]:
    """The peer files' module names (tests/peers/<name>.py), sorted."""
    path = os.path.join(ROOT, "tests", "peers")
    return sorted(m.name for m in pkgutil.iter_modules([path]) if not m.name.startswith("_"))


def load_cases(module_name: str) -> list[tuple]:
    module = importlib.import_module(f"peers.{module_name}")
    return list(module.CASES)


def _origin(fn) -> str:
    """The ``# file::test`` comment just above the def."""
    try:
        lines, start = inspect.findsource(fn)
    except (OSError, TypeError):
        return ""
    i = start - 1
    while i >= 0 and lines[i].strip().startswith("#"):
        text = lines[i].strip().lstrip("#").strip()
        if "::" in text:
            return text
        i -= 1
    return ""


def _is_float_tuple(a) -> bool:
    """A tuple of floats or float arrays (a parameter symgrad differentiates entry by entry)."""
    return isinstance(a, tuple) and bool(a) and all(_is_float(v) for v in a)


def _is_float(a) -> bool:
    return type(a) in (float, complex) or isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def _same(got, expected) -> str:
    """'' when ``got`` is numpy's ``expected`` (values, NaNs, shape); else what differs."""
    if isinstance(expected, tuple | list):
        if not isinstance(got, tuple | list) or len(got) != len(expected):
            return f"returned {type(got).__name__}, numpy {type(expected).__name__}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            why = _same(g, e)
            if why:
                return f"output {i}: {why}"
        return ""
    g, e = np.asarray(got), np.asarray(expected)
    if g.shape != e.shape:
        return f"shape {g.shape}, numpy {e.shape}"
    if e.dtype.kind in "fc" and g.dtype.kind in "fc" or e.dtype.kind == g.dtype.kind:
        if e.dtype.kind in "fciu" and not np.allclose(g, e, rtol=1e-9, atol=1e-12,
                                                      equal_nan=True):
            return f"values differ by {np.nanmax(np.abs(g - e)):.3g}"
        if e.dtype.kind == "b" and not np.array_equal(g, e):
            return "booleans differ"
        return ""
    return f"dtype {g.dtype}, numpy {e.dtype}"


def _seed(out, rng):
    if isinstance(out, tuple | list):
        return tuple(_seed(o, rng) for o in out)
    out = np.asarray(out)
    return rng.standard_normal(out.shape) if out.shape else 1.0


def check(fn, args, timeout: float = 20.0) -> tuple[str, str]:
    """(status, detail) of one peer function at its example arguments."""
    args = tuple(np.array(a, dtype=np.float64) if isinstance(a, np.ndarray) and
                 a.dtype.kind == "f" else a for a in args)
    names = list(inspect.signature(fn).parameters)
    wrt = tuple(n for n, a in zip(names, args, strict=False)
                if _is_float(a) or _is_float_tuple(a))

    def fresh():  # every call gets its own copies: a function may write into its arguments
        return copy.deepcopy(args)

    def reference(*a):  # numeric_grad pairs a tuple of outputs with a tuple of seeds
        out = fn(*copy.deepcopy(a))
        return tuple(out) if isinstance(out, list) else out

    try:
        expected = fn(*fresh())
    except Exception as exc:  # the peer file's own bug, not symgrad's
        return "crash", f"harness: the numpy function itself fails: {exc!r}"
    rng = np.random.default_rng(0)
    seed = _seed(expected, rng)
    try:
        with _time_limit(timeout):
            try:
                # no float argument (a tuple or dict of floats): symgrad's own default wrt
                G = symgrad.grad(fn, wrt=wrt or None)
                got = G(*fresh())
                grads = G.grad(*fresh(), seed=seed)
            except symgrad.SymgradError as err:
                text = (getattr(err, "message", None) or str(err)).strip()
                return "refused", text.splitlines()[0] if text else ""
            why = _same(got, expected)
            if why:
                return "wrong", f"primal: {why}"
            if not wrt:
                return "ok", "primal only: no float argument for finite differences"
            if len(wrt) == 1:
                grads = (grads,)
            for name, g in zip(wrt, grads, strict=True):
                i = names.index(name)
                if _is_float_tuple(args[i]):  # a tuple of floats: one derivative per entry
                    if not isinstance(g, tuple | list) or len(g) != len(args[i]):
                        return "wrong", f"d/d{name}: {g!r}, expected {len(args[i])} entries"
                    for k, gk in enumerate(g):
                        def entry(*a, i=i, k=k):
                            packed = list(a[i])
                            packed[k] = a[-1]
                            return reference(*a[:i], tuple(packed), *a[i + 1:-1])
                        fd = numeric_grad(entry, [*fresh(), args[i][k]], len(args), seed=seed)
                        if np.shape(gk) != np.shape(fd) or \
                                not np.allclose(gk, fd, rtol=RTOL, atol=ATOL):
                            return "wrong", f"d/d{name}[{k}]: {gk}, finite differences {fd}"
                    continue
                fd = numeric_grad(reference, list(fresh()), i, seed=seed)
                if g is None:
                    return "wrong", f"d/d{name}: None"
                if np.shape(g) != np.shape(fd):
                    return "wrong", f"d/d{name}: shape {np.shape(g)}, expected {np.shape(fd)}"
                g = np.asarray(g, dtype=np.float64)
                scale = max(1.0, float(np.max(np.abs(fd)))) if fd.size else 1.0
                if not np.allclose(g, fd, rtol=RTOL, atol=ATOL * scale, equal_nan=True):
                    err = float(np.nanmax(np.abs(g - fd)))
                    return "wrong", f"d/d{name}: differs from finite differences by {err:.3g}"
    except _Timeout as exc:
        return "timeout", str(exc)
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        where = next((f"{os.path.relpath(f.filename, ROOT)}:{f.lineno}"
                      for f in reversed(tb) if "symgrad" in f.filename), "")
        return "crash", f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}" \
            + (f" ({where})" if where else "")
    return "ok", ""


def run(modules: list[str] | None = None, timeout: float = 20.0,
        verbose: bool = False) -> list[Outcome]:
    outcomes = []
    for module in modules or peer_modules():
        for fn, args in load_cases(module):
            t0 = time.perf_counter()
            status, detail = check(fn, args, timeout)
            outcomes.append(Outcome(module, fn.__name__, _origin(fn), status, detail))
            if verbose:
                print(f"{status:8} {time.perf_counter() - t0:6.2f}s {module}.{fn.__name__}"
                      f"  {detail}", flush=True)
    return outcomes


STATUSES = ("ok", "refused", "wrong", "crash", "timeout")


def reason(detail: str) -> str:
    """A refusal's message with the function-specific parts cut, for grouping."""
    text = re.sub(r"^[^:]*\.py:\d+:\s*", "", detail)  # file:line:
    text = re.sub(r"^in \w+[^:]*:\s*", "", text)
    text = re.sub(r"^\w+: (?=[a-z])", "", text)  # the function's name
    text = re.sub(r" at 0x[0-9a-f]+", "", text)  # an object's address
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text) if len(text) > 90 else text
    return text[:120]


def kind(detail: str) -> str:
    """A coarser group: the module of an unsupported call, else the reason itself."""
    text = reason(detail)
    m = re.match(r"call to ([\w.]+)\.[\w<>]+ is not supported", text)
    if m:
        module = m.group(1)
        module = re.sub(r"\._[\w.]*", "", module)  # scipy.stats._distn_infrastructure.rv_...
        return f"call to a function of {module} is not supported"
    m = re.match(r"argument '\w+' is complex", text)
    if m:
        return "complex input is refused at the call"
    return text


def summary(outcomes: list[Outcome]) -> str:
    by = collections.OrderedDict()
    for o in outcomes:
        by.setdefault(o.source, collections.Counter())[o.status] += 1
    rows = ["| source | functions | " + " | ".join(STATUSES) + " |",
            "| --- | ---: | " + " | ".join("---:" for _ in STATUSES) + " |"]
    total = collections.Counter()
    for source, c in by.items():
        total.update(c)
        rows.append(f"| {source} | {sum(c.values())} | "
                    + " | ".join(str(c[s]) for s in STATUSES) + " |")
    groups = {"autograd": [s for s in by if s.startswith("autograd")],
              "tangent": [s for s in by if s.startswith("tangent")]}
    for label, sources in groups.items():
        if len(sources) > 1 or label == "autograd" and sources:
            c = collections.Counter()
            for s in sources:
                c.update(by[s])
            rows.append(f"| **{label} (all)** | {sum(c.values())} | "
                        + " | ".join(str(c[s]) for s in STATUSES) + " |")
    rows.append(f"| **total** | {sum(total.values())} | "
                + " | ".join(str(total[s]) for s in STATUSES) + " |")
    return "\n".join(rows)


def refusal_table(outcomes: list[Outcome], group=reason) -> str:
    c = collections.Counter(group(o.detail) for o in outcomes if o.status == "refused")
    rows = ["| refusal | count |", "| --- | ---: |"]
    rows += [f"| {r.replace('|', '/')} | {n} |" for r, n in c.most_common()]
    return "\n".join(rows)


def bug_list(outcomes: list[Outcome]) -> str:
    bad = [o for o in outcomes if o.status in ("wrong", "crash", "timeout")]
    if not bad:
        return "none"
    return "\n".join(f"- `{o.source}.{o.name}` ({o.origin}): **{o.status}** {o.detail}"
                     for o in bad)


def markdown(outcomes: list[Outcome]) -> str:
    return "\n\n".join([
        "# Peer coverage: autograd's and Tangent's test functions under symgrad",
        "Written by `tools/peer_harness.py --markdown`; the functions are in `tests/peers/` "
        "(one plain numpy `def` per original test function, the original named in a comment "
        "above it). `ok`: primal equal to numpy's and gradient equal to central finite "
        "differences (float64); `refused`: a `SymgradError`; `wrong`/`crash`/`timeout`: bugs.",
        "## Counts", summary(outcomes),
        "## Wrong, crashing or timing out", bug_list(outcomes),
        "## Refusals by kind", refusal_table(outcomes, kind),
        "## Refusals, by message", refusal_table(outcomes),
        "## Every function",
        "| source | function | original | status | detail |\n| --- | --- | --- | --- | --- |\n"
        + "\n".join(f"| {o.source} | {o.name} | {o.origin} | {o.status} | "
                    f"{reason(o.detail).replace('|', '/')} |" for o in outcomes),
    ]) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", help="peer module(s), e.g. autograd_numpy")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per function")
    ap.add_argument("--markdown", help="write the report as markdown here")
    ap.add_argument("--json", help="write every outcome as JSON here")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per function")
    opts = ap.parse_args(argv)
    t0 = time.perf_counter()
    outcomes = run(opts.only, opts.timeout, opts.verbose)
    print(summary(outcomes))
    print("\nrefusals by kind:\n" + refusal_table(outcomes, kind))
    if opts.verbose:
        print("\nrefusals by message:\n" + refusal_table(outcomes))
    print("\nwrong / crash / timeout:\n" + bug_list(outcomes))
    print(f"\n{len(outcomes)} functions in {time.perf_counter() - t0:.1f} s")
    if opts.markdown:
        with open(opts.markdown, "w") as f:
            f.write(markdown(outcomes))
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump([asdict(o) for o in outcomes], f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
