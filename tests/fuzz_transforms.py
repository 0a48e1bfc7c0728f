"""Random programs for the transformations (G.jacobian fwd/rev, G.jvp, G.vjp, G.hessian,
G.hvp and the JAX-style functions) against central differences in float64 and torch.func.

A program of tests/fuzz_arrays_gen.py (broadcasting, where, masks, max/min ties,
reductions with axis/keepdims, ``//``, ``%``, powers, Python-float scalars) is wrapped in one
of the control-flow templates below (a for loop carrying a value, a while loop, a branch on
the data, a buffer written in place, a helper call, or straight line), rendered as numpy
(``f``: an array output, ``fs``: its sum, for the Hessian) and as torch (``f_torch``,
``fs_torch``) into one fresh module, and checked:

1. the Jacobian by ``mode="fwd"`` and ``mode="rev"``: shape ``out.shape + x.shape``, equal
   to each other, and to central differences of the primal at two steps (1e-6, 1e-5) at every
   element where the two steps agree (the function is smooth there);
2. ``G.jvp`` with random tangents equals ``J t``; ``G.vjp``'s ``vjp_fn(ct)`` equals ``ct J``;
3. ``symgrad.jacfwd`` / ``symgrad.jacrev`` equal ``G.jacobian``;
4. ``Gs.hessian`` (of the scalar ``fs``): shape, symmetric where smooth, equal to central
   differences of ``Gs.grad`` (itself checked against differences of ``fs``) where smooth;
   ``Gs.hvp`` equals ``H v``; ``symgrad.grad(Gs.grad)`` seeded with u equals ``u H``;
   ``symgrad.hessian`` equals ``Gs.hessian``;
5. torch.func.jacrev / torch.func.hessian of the torch rendering: equal wherever finite
   differences say the function is smooth (a cross-check of the referee and the
   translation; where it is not smooth, torch's convention is not asserted).

A SymgradError at decoration or call time is counted as "refused" (not a failure: the
construct is unsupported and said so); any other exception is a crash (a failure).

Run ``python tests/fuzz_transforms.py --seeds 0:200`` for a hunt; tests/test_fuzz_transforms.py
runs a fixed seed set in CI.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import importlib.util
import itertools
import os
import sys
import tempfile
import traceback
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fuzz_arrays_gen as fag  # noqa: E402

TEMPLATES = ("plain", "loop", "while", "branch", "buffer", "helper")
STEPS = (1e-6, 1e-5)
RTOL, ATOL = 1e-5, 1e-6


@dataclasses.dataclass
class Case:
    seed: int
    template: str
    prog: fag.Program

    @property
    def params(self):
        return self.prog.params

    @property
    def wrt(self):
        return self.prog.wrt

    def carried(self):
        """A wrt argument the loop templates update (so iterations depend on each other)."""
        return self.wrt[0]

    def source(self, lang: str, scalar: bool) -> str:
        tp = lang == "torch"
        lib = "torch" if tp else "np"
        name = ("fs" if scalar else "f") + ("_torch" if tp else "")
        body = [f"{t} = {fag.render(node, lang)}" for t, node in self.prog.stmts]
        ret = fag.render(self.prog.ret, lang)

        def out(expr):
            return f"{lib}.sum({expr})" if scalar else expr

        t, c = self.template, self.carried()
        lines: list[str] = []
        if t == "plain":
            lines = body + [f"return {out(ret)}"]
        elif t == "loop":
            lines = ["acc = 0.0", "for i in range(3):"]
            lines += ["    " + ln for ln in body]
            lines += [f"    acc = acc + (i + 1) * 0.5 * {ret}",
                      f"    {c} = {lib}.tanh({c}) + 0.1 * i", f"return {out('acc')}"]
        elif t == "while":
            lines = ["k = 0", "acc = 0.0", "while k < 2:"]
            lines += ["    " + ln for ln in body]
            lines += [f"    acc = acc + {ret}", f"    {c} = {lib}.sin({c})", "    k = k + 1",
                      f"return {out('acc')}"]
        elif t == "branch":
            lines = body + [f"if {lib}.sum({c}) > 0.1:", f"    return {out(ret)}",
                            f"return {out(f'(2.0 * {ret} - {c} * 0.5)')}"]
        elif t == "buffer":
            shape = self.prog.ret.shape
            zeros = (f"torch.zeros({(2,) + shape!r}, dtype=torch.float64)" if tp
                     else f"np.zeros({(2,) + shape!r})")
            lines = body + [f"buf = {zeros}", f"buf[0] = {ret}",
                            f"buf[1] = {lib}.sin(buf[0]) * 2.0", "buf[0] = buf[0] * buf[1]",
                            f"return {out('buf')}"]
        elif t == "helper":
            helper = "_helper_t" if tp else "_helper"
            lines = body + [f"return {out(f'{helper}({ret}, {c})')}"]
        return f"def {name}({', '.join(self.params)}):\n" + \
            "".join(f"    {ln}\n" for ln in lines)

    def module_text(self) -> str:
        helpers = ("def _helper(a, b):\n    y = a * np.tanh(a)\n    return y + 0.5 * a * "
                   "np.mean(b)\n\n\ndef _helper_t(a, b):\n    y = a * torch.tanh(a)\n    "
                   "return y + 0.5 * a * torch.mean(b)\n\n\n")
        parts = [self.source(lang, sc) for sc in (False, True) for lang in ("np", "torch")]
        return fag.HEADER + helpers + "\n\n".join(parts)

    def report(self) -> str:
        args = ", ".join(f"{k}={fag._show(a)}" for k, a in
                         zip(self.params, self.prog.inputs(), strict=True))
        return (f"seed={self.seed} template={self.template}\n{self.source('np', False)}\n"
                f"{self.source('np', True)}\nargs: {args}\nwrt: {self.wrt}")


def generate(seed: int) -> Case:
    # (every other seed without NaN domains: a NaN value is discarded, fuzz_arrays covers it)
    prog = fag.generate(seed, without=("nandomain",) if seed % 2 else ())
    template = TEMPLATES[seed % len(TEMPLATES)]
    return Case(seed, template, prog)


_DIR = tempfile.mkdtemp(prefix="symgrad_fuzz_transforms_")
_COUNTER = itertools.count()


def load(case: Case):
    name = f"symgrad_fuzz_transforms_{os.getpid()}_{next(_COUNTER)}"
    path = os.path.join(_DIR, name + ".py")
    with open(path, "w") as fh:
        fh.write(case.module_text())
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclasses.dataclass
class Outcome:
    status: str  # pass fail refused discard
    stage: str = ""
    detail: str = ""
    case: Case | None = None


class Failure(Exception):
    def __init__(self, stage, detail=""):
        super().__init__(stage)
        self.stage, self.detail = stage, detail


def _copy(args):
    return tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)


def _perturbed(args, i, idx, h):
    new = list(_copy(args))
    a = new[i]
    if isinstance(a, np.ndarray):
        a = a.astype(np.float64)
        a[idx] += h
        new[i] = a
    else:
        new[i] = type(a)(float(a) + h)
    return new


def fd_jacobian(fn, args, i, step):
    """d fn(*args) / d args[i] by central differences: out.shape + args[i].shape."""
    x = np.asarray(args[i])
    cols = []
    for idx in np.ndindex(x.shape):
        try:
            plus = np.asarray(fn(*_perturbed(args, i, idx, step)), dtype=float)
            minus = np.asarray(fn(*_perturbed(args, i, idx, -step)), dtype=float)
            cols.append((plus - minus) / (2 * step))
        except (ZeroDivisionError, OverflowError):
            cols.append(np.nan)
    out_shape = np.shape(fn(*_copy(args)))
    jac = np.zeros(out_shape + x.shape)
    for idx, col in zip(np.ndindex(x.shape), cols, strict=True):
        jac[(...,) + idx] = col
    return jac


def fd_smooth(fn, args, i):
    """(the differences at the first step, where the two steps agree)."""
    a, b = (fd_jacobian(fn, args, i, h) for h in STEPS)
    scale = 1.0 + np.max(np.abs(a[np.isfinite(a)]), initial=0.0)
    smooth = np.isfinite(a) & np.isfinite(b) & np.isclose(a, b, rtol=10 * RTOL,
                                                          atol=10 * ATOL * scale)
    return a, smooth


def _close(got, want, mask, what, rtol=RTOL, atol=ATOL):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape:
        raise Failure(f"{what}: shape", f"{got.shape} vs {want.shape}")
    scale = 1.0 + np.max(np.abs(want[np.isfinite(want) & mask]), initial=0.0)
    ok = np.isclose(got, want, rtol=rtol, atol=atol * scale) | (got == want)
    bad = mask & ~ok
    if bad.any():
        raise Failure(what, f"at {np.argwhere(bad).tolist()[:6]}\n  got  {got!r}\n  want "
                      f"{want!r}")


def _call(stage, fn, *args, **kwargs):
    import symgrad

    try:
        return fn(*args, **kwargs)
    except symgrad.SymgradError as exc:
        raise Failure("refused " + stage, str(exc)) from None
    except Exception as exc:  # noqa: BLE001
        raise Failure(f"crash {stage}: {type(exc).__name__}",
                      "".join(traceback.format_exception(exc)[-6:])) from None


def _torch_args(args, wrt_index):
    import torch

    return [torch.tensor(np.asarray(a), dtype=torch.float64 if i in wrt_index else None)
            for i, a in enumerate(args)]


def check(case: Case) -> Outcome:
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            _check(case)
    except Failure as f:
        status = "refused" if f.stage.startswith("refused") else \
            "discard" if f.stage.startswith("discard") else "fail"
        return Outcome(status, f.stage, f.detail, case)
    return Outcome("pass", case=case)


def _check(case: Case) -> None:
    import symgrad

    module = load(case)
    args = case.prog.inputs()
    wrt_index = [case.params.index(w) for w in case.wrt]
    try:
        value = module.f(*_copy(args))
        value_s = module.fs(*_copy(args))
    except (ZeroDivisionError, OverflowError, ValueError, TypeError):
        raise Failure("discard: plain raises") from None
    if np.iscomplexobj(value) or not np.all(np.isfinite(value)) or \
            not np.isfinite(value_s):
        raise Failure("discard: not finite")
    rng = np.random.default_rng(case.seed + 7)

    G = _call("at decoration", symgrad.grad, module.f, wrt=case.wrt)
    Gs = _call("at decoration (scalar)", symgrad.grad, module.fs, wrt=case.wrt)
    out_shape = np.shape(value)

    # 1. Jacobians
    fd = [fd_smooth(module.f, args, i) for i in wrt_index]
    jacs = {}
    for mode in ("fwd", "rev"):
        j = _call(f"jacobian {mode}", G.jacobian, *_copy(args), mode=mode)
        j = (j,) if len(case.wrt) == 1 else j
        for name, ji, x_i in zip(case.wrt, j, wrt_index, strict=True):
            want_shape = out_shape + np.shape(args[x_i])
            if np.shape(ji) != want_shape:
                raise Failure(f"jacobian {mode} shape", f"d/d{name}: {np.shape(ji)}, want "
                              f"{want_shape}")
        jacs[mode] = [np.asarray(ji, dtype=float) for ji in j]
    for name, jf, jr, (a, smooth) in zip(case.wrt, jacs["fwd"], jacs["rev"], fd,
                                         strict=True):
        both = np.isfinite(jf) & np.isfinite(jr)
        _close(jf, jr, both, f"jacobian fwd != rev (d/d{name})", rtol=1e-9, atol=1e-12)
        _close(jr, a, smooth, f"jacobian != differences (d/d{name})")
        # (NaN positions may differ between the modes: 0 * inf where a one-hot tangent or
        # seed meets an infinite slope, sqrt at 0, lands in a column or a row; jax's too)
    jac = jacs["rev"]

    # 2. jvp and vjp
    tangents = tuple(rng.normal(size=np.shape(args[i])) for i in wrt_index)
    v_out, t_out = _call("jvp", G.jvp, *_copy(args), tangents=tangents)
    fag_why = fag._same_value(v_out, value, "jvp value")
    if fag_why:
        raise Failure("jvp value", fag_why)
    want = sum(np.tensordot(j, t, axes=np.ndim(t)) for j, t in zip(jac, tangents, strict=True))
    _close(t_out, want, np.isfinite(want), "jvp != J t")
    ct = rng.normal(size=out_shape)
    v_out, vjp_fn = _call("vjp", G.vjp, *_copy(args))
    got = _call("vjp_fn", vjp_fn, ct if out_shape else float(ct))
    got = (got,) if len(case.wrt) == 1 else got
    for name, g, j in zip(case.wrt, got, jac, strict=True):
        w = np.tensordot(ct, j, axes=len(out_shape))
        _close(g, w, np.isfinite(w), f"vjp != ct J (d/d{name})")

    # 3. the JAX-style functions
    nums = tuple(wrt_index) if len(wrt_index) > 1 else wrt_index[0]
    for fname in ("jacfwd", "jacrev"):
        j = _call(fname, getattr(symgrad, fname)(module.f, argnums=nums), *_copy(args))
        j = (j,) if len(case.wrt) == 1 else j
        for name, ji, jr in zip(case.wrt, j, jac, strict=True):
            _close(ji, jr, np.isfinite(jr), f"symgrad.{fname} != G.jacobian (d/d{name})",
                   rtol=1e-9, atol=1e-12)

    # 4. Hessian of fs
    grads = _call("grad (scalar)", Gs.grad, *_copy(args))
    grads = (grads,) if len(case.wrt) == 1 else grads
    for name, g, i in zip(case.wrt, grads, wrt_index, strict=True):
        a, smooth = fd_smooth(module.fs, args, i)
        _close(g, a, smooth, f"grad != differences (scalar, d/d{name})")
    H = _call("hessian", Gs.hessian, *_copy(args))
    H = ((H,),) if len(case.wrt) == 1 else H

    def grad_of(k):
        def fn(*a):
            gr = Gs.grad(*a)
            return np.asarray(gr if len(case.wrt) == 1 else gr[k], dtype=float)
        return fn

    fd_h = [[fd_smooth(grad_of(k), args, wrt_index[j]) for j in range(len(case.wrt))]
            for k in range(len(case.wrt))]
    for k, nk in enumerate(case.wrt):
        for j, nj in enumerate(case.wrt):
            want_shape = np.shape(args[wrt_index[k]]) + np.shape(args[wrt_index[j]])
            if np.shape(H[k][j]) != want_shape:
                raise Failure("hessian shape", f"H[{nk}][{nj}]: {np.shape(H[k][j])}, want "
                              f"{want_shape}")
            a, smooth = fd_h[k][j]
            _close(H[k][j], a, smooth, f"hessian != differences of grad (d{nk} d{nj})",
                   rtol=1e-4, atol=1e-5)
    vs = tuple(rng.normal(size=np.shape(args[i])) for i in wrt_index)
    hv = _call("hvp", Gs.hvp, *_copy(args), v=vs if len(vs) > 1 else vs[0])
    hv = (hv,) if len(case.wrt) == 1 else hv
    for k, nk in enumerate(case.wrt):
        want = sum(np.tensordot(np.asarray(H[k][j], dtype=float), vs[j], axes=np.ndim(vs[j]))
                   for j in range(len(case.wrt)))
        _close(hv[k], want, np.isfinite(want), f"hvp != H v (d/d{nk})", rtol=1e-8,
               atol=1e-10)
    # the gradient differentiated again: symgrad.grad(Gs.grad), seeded with u, is u H
    G2 = _call("grad of grad, at decoration", symgrad.grad, Gs.grad)
    us = tuple(rng.normal(size=np.shape(args[i])) for i in wrt_index)
    gg = _call("grad of grad", G2.grad, *_copy(args), 1.0,
               **{G2.seed_name: us if len(us) > 1 else us[0]})
    gg = (gg,) if len(case.wrt) == 1 else gg
    for j, nj in enumerate(case.wrt):
        want = sum(np.tensordot(us[k], np.asarray(H[k][j], dtype=float), axes=np.ndim(us[k]))
                   for k in range(len(case.wrt)))
        _close(gg[j], want, np.isfinite(want), f"grad of grad != u H (d/d{nj})", rtol=1e-8,
               atol=1e-10)
    Hf = _call("symgrad.hessian", symgrad.hessian(module.fs, argnums=nums), *_copy(args))
    Hf = ((Hf,),) if len(case.wrt) == 1 else Hf
    for k in range(len(case.wrt)):
        for j in range(len(case.wrt)):
            h = np.asarray(H[k][j], dtype=float)
            _close(Hf[k][j], h, np.isfinite(h), "symgrad.hessian != G.hessian", rtol=1e-9,
                   atol=1e-12)

    # 5. torch.func, where the function is smooth
    try:
        import torch
    except ImportError:
        return
    targs = _torch_args(args, wrt_index)
    try:
        tj = torch.func.jacrev(module.f_torch, argnums=tuple(wrt_index))(*targs)
        th = torch.func.hessian(module.fs_torch, argnums=tuple(wrt_index))(*targs)
    except Exception:  # noqa: BLE001  (torch.func cannot run every rendering: in place, ...)
        return
    for k, nk in enumerate(case.wrt):  # (torch's NaN from 0 * NaN in a discarded branch:
        tjk = tj[k].detach().numpy()   # the where gotcha, not asserted)
        _close(jac[k], tjk, fd[k][1] & np.isfinite(tjk), f"jacobian != torch.func (d/d{nk})")
        for j in range(len(case.wrt)):
            thk = th[k][j].detach().numpy()
            _close(H[k][j], thk, fd_h[k][j][1] & np.isfinite(thk),
                   "hessian != torch.func.hessian", rtol=1e-4, atol=1e-5)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0:100")
    parser.add_argument("--verbose", action="store_true")
    ns = parser.parse_args(argv)
    lo, hi = map(int, ns.seeds.split(":"))
    counts: collections.Counter = collections.Counter()
    first: dict[str, Outcome] = {}
    for seed in range(lo, hi):
        o = check(generate(seed))
        key = f"{o.status}: {o.stage}" if o.status != "pass" else "pass"
        counts[key] += 1
        first.setdefault(key, o)
        if ns.verbose:
            print(seed, o.case.template, key, flush=True)
    for key, n in counts.most_common():
        print(f"{n:5d}  {key}")
    for key, o in first.items():
        if o.status == "fail" or (ns.verbose and o.status == "refused"):
            print(f"\n===== {key}\n{o.case.report()}\n--- detail\n{o.detail[:3000]}")
    return 1 if any(o.status == "fail" for o in first.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
