"""Peer adapters: one per differentiation system, each an optional import.

A peer turns a ``Workload`` plus concrete numpy inputs into a ``Prepared`` object:

* ``run()``       -- one value-and-gradient evaluation in the peer's native array type
                     (inputs converted once, outside the timed region; results are
                     materialised / ``block_until_ready``-ed inside it);
* ``to_numpy(out)`` -> ``(value, tuple_of_grads)`` as numpy, for the check against the
                     hand-written gradient;
* ``first_call``  -- seconds spent before the first result was available (jax: trace +
                     compile + first run; symgrad: decoration + transform + first run);
* ``traced``      -- True when the peer allocates through numpy, so ``tracemalloc`` sees
                     its memory (numpy, symgrad, autograd; not torch or jax).

Every peer differentiates the *same* code objects from ``workloads.py``: the function is
re-bound with ``np`` pointing at ``autograd.numpy``, ``jax.numpy`` or a tiny torch shim.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class PeerUnavailable(Exception):
    """The peer's package is not installed (message: 'skipped: not installed')."""


class PeerFailed(Exception):
    """The peer is installed but cannot handle this workload (transform error etc.)."""


@dataclass
class Prepared:
    run: Callable[[], object]
    to_numpy: Callable[[object], tuple]
    first_call: float | None = None
    traced: bool = False


def rebind(fn, np_like):
    """The same code object as ``fn``, with the global name ``np`` bound to ``np_like``."""
    g = dict(fn.__globals__)
    g["np"] = np_like
    return types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, fn.__closure__)


def _argnums(workload, args):
    names = list(args)
    return tuple(names.index(n) for n in workload.wrt)


def _as_tuple(grads, n):
    if n == 1 and not isinstance(grads, (tuple, list)):
        return (grads,)
    return tuple(grads)


# --------------------------------------------------------------------------------------
# Peers
# --------------------------------------------------------------------------------------


class Peer:
    name = "?"
    label = "?"
    traced = False

    def setup(self):
        """Import the package; raise PeerUnavailable if absent. Returns a version string."""
        return ""

    def prepare(self, workload, args: dict) -> Prepared:
        raise NotImplementedError


class NumpyPeer(Peer):
    name = "numpy"
    label = "hand-written numpy"
    traced = True

    def setup(self):
        return np.__version__

    def prepare(self, workload, args):
        vals = tuple(args.values())
        vg = workload.vg
        return Prepared(lambda: vg(*vals), lambda out: (out[0], tuple(out[1])), traced=True)


def _warmup(x):
    return np.sum(x * x)


class SymgradPeer(Peer):
    name = "symgrad"
    label = "symgrad"
    traced = True
    backend = "numpy"

    def setup(self):
        if importlib.util.find_spec("symgrad") is None and REPO_ROOT not in sys.path:
            sys.path.append(REPO_ROOT)  # run from a checkout without installing
        try:
            import symgrad
        except ImportError as e:
            raise PeerUnavailable(f"skipped: import failed: {e}") from e
        if not hasattr(symgrad, "grad"):
            raise PeerUnavailable(
                f"skipped: symgrad at {getattr(symgrad, '__path__', '?')} has no grad() yet"
            )
        self.symgrad = symgrad
        # One-time initialisation (e.g. importing SymPy), so it is not charged to the first
        # workload's first call.
        t0 = time.perf_counter()
        try:
            symgrad.grad(_warmup, backend=self.backend).grad(np.ones(3))
        except Exception as e:  # a core too broken to transform x*x: skip the column
            raise PeerUnavailable(f"skipped: transform of a trivial function failed: "
                                  f"{type(e).__name__}: {e}") from e
        self.init_time = time.perf_counter() - t0
        return getattr(symgrad, "__version__", "?")

    def prepare(self, workload, args):
        vals = tuple(args.values())
        n = len(workload.wrt)
        t0 = time.perf_counter()
        try:
            G = self.symgrad.grad(workload.fn, wrt=workload.wrt, backend=self.backend)
            G.value_and_grad(*vals)
        except Exception as e:  # any transform failure: skip the cell, show why
            raise PeerFailed(f"{type(e).__name__}: {e}") from e
        first = time.perf_counter() - t0
        self.last_G = G
        vg = G.value_and_grad
        return Prepared(
            lambda: vg(*vals),
            lambda out: (out[0], _as_tuple(out[1], n)),
            first_call=first,
            traced=True,
        )


class SymgradNumbaPeer(SymgradPeer):
    """symgrad's generated code compiled by numba (``backend="numba"``); its first call is
    decoration + transform + numba's compilation + first run, as jax's is trace + compile."""

    name = "symgrad-numba"
    label = "symgrad backend='numba'"
    backend = "numba"

    def setup(self):
        try:
            import numba
        except ImportError as e:
            raise PeerUnavailable("skipped: numba not installed") from e
        version = super().setup()
        return f"{version}, numba {numba.__version__}"


class TorchPeer(Peer):
    name = "torch"
    label = "PyTorch eager"

    def setup(self):
        try:
            import torch
        except ImportError as e:
            raise PeerUnavailable("skipped: not installed") from e
        torch.set_num_threads(1)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass  # already set, or parallel work already started
        self.torch = torch
        # The numpy names the workloads use, mapped to torch.
        self.shim = types.SimpleNamespace(
            **{k: getattr(torch, k) for k in ("mean", "sum", "tanh", "sin", "cos", "exp", "log")}
        )
        return torch.__version__

    def prepare(self, workload, args):
        torch = self.torch
        f = rebind(workload.fn, self.shim)
        tensors = []
        wrt_tensors = []
        for name, a in args.items():
            t = torch.from_numpy(np.asarray(a, dtype=np.float64))
            if name in workload.wrt:
                t = t.detach().requires_grad_(True)
                wrt_tensors.append((workload.wrt.index(name), t))
            tensors.append(t)
        wrt_tensors = [t for _, t in sorted(wrt_tensors, key=lambda p: p[0])]

        def run():
            loss = f(*tensors)
            grads = torch.autograd.grad(loss, wrt_tensors)
            return loss.detach(), grads

        def to_numpy(out):
            return out[0].numpy(), tuple(g.numpy() for g in out[1])

        return Prepared(run, to_numpy)


class JaxPeer(Peer):
    name = "jax"
    label = "JAX jit(value_and_grad)"

    def setup(self):
        try:
            import jax
            import jax.numpy as jnp
        except ImportError as e:
            raise PeerUnavailable("skipped: not installed") from e
        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_platforms", "cpu")
        self.jax, self.jnp = jax, jnp
        return jax.__version__

    def prepare(self, workload, args):
        jax = self.jax
        f = rebind(workload.fn, self.jnp)
        argnums = _argnums(workload, args)
        vg = jax.jit(jax.value_and_grad(f, argnums=argnums))
        jargs = [jax.device_put(np.asarray(a, dtype=np.float64)) for a in args.values()]
        t0 = time.perf_counter()
        jax.block_until_ready(vg(*jargs))
        first = time.perf_counter() - t0

        def run():
            return jax.block_until_ready(vg(*jargs))

        def to_numpy(out):
            return np.asarray(out[0]), tuple(np.asarray(g) for g in out[1])

        return Prepared(run, to_numpy, first_call=first)


class AutogradPeer(Peer):
    name = "autograd"
    label = "HIPS autograd"
    traced = True

    def setup(self):
        try:
            import autograd
            import autograd.numpy as anp
        except ImportError as e:
            raise PeerUnavailable("skipped: not installed") from e
        self.autograd, self.anp = autograd, anp
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("autograd")
        except PackageNotFoundError:
            return "?"

    def prepare(self, workload, args):
        f = rebind(workload.fn, self.anp)
        argnums = _argnums(workload, args)
        n = len(argnums)
        vg = self.autograd.value_and_grad(f, argnum=argnums if n > 1 else argnums[0])
        vals = tuple(args.values())
        return Prepared(
            lambda: vg(*vals), lambda out: (out[0], _as_tuple(out[1], n)), traced=True
        )


PEERS: dict[str, type[Peer]] = {
    p.name: p for p in (NumpyPeer, SymgradPeer, SymgradNumbaPeer, TorchPeer, JaxPeer,
                        AutogradPeer)
}
