"""float32 sums in the order of torch's CPU kernel (``cascade_sum``, aten SumKernel.cpp), so
that a float32 training loop rounds as torch's does.

numpy sums a float32 array pairwise in blocks of 8 partial sums; torch splits a contiguous
row into SIMD vectors (8 floats on AVX2), sums them in 4 interleaved accumulators through a
4-level cascade (blocks of ``2**max(4, ceil(log2(n)) // 4)``), then adds the tail elements
and the vector's lanes one by one. The same values therefore round differently (a sum of
2000 float32 values differs in the last bit or two). Here each of torch's additions is a
float32 numpy addition in torch's order (8 lanes, on AVX2 and AVX-512 machines alike).

Covered: a reduction over every element of a contiguous tensor, and over one dimension
that is the last (an inner sum, row by row) or the first of a 2-d layout (an outer sum,
column by column). Not covered (numpy's pairwise order is kept): other layouts, and
tensors above ``PARALLEL`` elements, which torch splits among its threads (an order that
depends on ``torch.get_num_threads()``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["sum_f32", "LANES", "PARALLEL", "ENABLED"]

PARALLEL = 32768  # at::internal::GRAIN_SIZE: torch reduces larger tensors in parallel

# torch's order costs some 30 small numpy operations per sum (about 20-40 us, against numpy's
# 2-5): set False to sum with numpy's pairwise order instead
ENABLED = True


# torch's vector width for this kernel: 8 floats. Measured bitwise against torch 2.13 on an
# AVX2 machine and on an AVX-512 one (AMD EPYC, torch.backends.cpu.get_cpu_capability()
# "AVX512"), where 16 lanes (an earlier guess) rounded 28 of 48 sums differently.
LANES = 8


def _ceil_log2(n: int) -> int:
    return 0 if n <= 1 else (n - 1).bit_length()


def _sequential(x: np.ndarray) -> np.ndarray:
    """x[0] + x[1] + ... along axis 0, left to right (numpy's reduce may pair them up)."""
    n = x.shape[0]
    if n <= 1:
        return x[0].copy() if n else np.zeros(x.shape[1:], x.dtype)
    return np.add.accumulate(x, axis=0)[-1]


def _groups(x: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """(the sequential sums of each complete group of ``step`` rows, that of the rest)."""
    full = x.shape[0] // step
    head = x[:full * step].reshape(full, step, *x.shape[1:])
    sums = np.add.accumulate(head, axis=1)[:, -1] if full else head[:, 0]
    return sums, _sequential(x[full * step:])


def _cascade(x: np.ndarray) -> np.ndarray:
    """torch's ``multi_row_sum`` along axis 0 (the other axes are independent lanes).

    torch adds each block of ``step`` rows into level 0 and flushes level j into level j+1
    when the count of blocks reaches a multiple of ``step**j``: level 1 holds the sum of the
    blocks since the last multiple of ``step``, level 2 that of the level-1 sums since the
    last multiple of ``step**2``, level 3 all the level-2 sums; at the end, the rows left
    (level 0) plus levels 1, 2, 3, in that order. The same sums, group by group."""
    power = max(4, _ceil_log2(x.shape[0]) // 4)
    step = 1 << power
    blocks, level0 = _groups(x, step)
    if blocks.shape[0] < step:  # (the usual case: levels 2 and 3 stay zero, still added)
        zero = np.zeros_like(level0)
        return ((level0 + _sequential(blocks)) + zero) + zero
    sums1, level1 = _groups(blocks, step)
    sums2, level2 = _groups(sums1, step)
    return ((level0 + level1) + level2) + _sequential(sums2)


def _row_sum(x: np.ndarray) -> np.ndarray:
    """torch's ``row_sum`` along axis 0: 4 interleaved accumulators, then the rest."""
    size_ilp = x.shape[0] // 4
    head = x[:size_ilp * 4].reshape(size_ilp, 4, *x.shape[1:])
    partial = list(_cascade(head)) if size_ilp else [np.zeros(x.shape[1:], x.dtype)] * 4
    for i in range(size_ilp * 4, x.shape[0]):
        partial[0] = partial[0] + x[i]
    return ((partial[0] + partial[1]) + partial[2]) + partial[3]


def _inner(a: np.ndarray) -> np.ndarray:
    """Sums of the rows of ``a`` (rows, n) as torch's ``vectorized_inner_sum``."""
    rows, n = a.shape
    if n < LANES:  # the scalar path
        return _row_sum(a.T)
    vec_size = n // LANES
    vecs = a[:, :vec_size * LANES].reshape(rows, vec_size, LANES).transpose(1, 0, 2)
    vec_acc = _row_sum(vecs)  # (rows, LANES)
    # 0 + the tail's elements, then + each lane's sum, one at a time
    last = np.concatenate([np.zeros((rows, 1), a.dtype), a[:, vec_size * LANES:], vec_acc],
                          axis=1)
    return np.add.accumulate(last, axis=1)[:, -1]


def _outer(a: np.ndarray) -> np.ndarray:
    """Sums of the columns of ``a`` (n, cols) as torch's ``vectorized_outer_sum``."""
    n, cols = a.shape
    wide = cols // (4 * LANES) * (4 * LANES)
    out = np.empty(cols, a.dtype)
    if wide:
        out[:wide] = _cascade(a[:, :wide])
    if wide < cols:
        out[wide:] = _row_sum(a[:, wide:])
    return out


def sum_f32(d: np.ndarray, axis: int | None = None, keepdims: bool = False) -> np.ndarray | None:
    """``d.sum(axis)`` in torch's order for a float32 array, or None where not covered."""
    if not ENABLED or d.dtype != np.float32 or d.size > PARALLEL or d.size == 0:
        return None
    if axis is None or d.ndim == 1:
        if not d.flags.c_contiguous:
            return None
        out = _inner(d.reshape(1, -1))[0]
        return np.asarray(out).reshape((1,) * d.ndim) if keepdims else np.asarray(out)
    if d.ndim != 2 or not d.flags.c_contiguous:
        return None
    if axis in (1, -1):
        out = _inner(d)
        return out[:, None] if keepdims else out
    if axis == 0:
        out = _inner(d.reshape(1, -1)) if d.shape[1] == 1 else _outer(d)  # (coalesced)
        return out[None, :] if keepdims else out
    return None
