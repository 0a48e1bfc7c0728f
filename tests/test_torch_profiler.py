"""torch.autograd.profiler.profile and torch.profiler.profile, symgrad against torch 2.13:
the events recorded (names and counts of the ops run), the table's columns, sorting and
limits, record_function, input shapes, schedules. The times are symgrad's own."""

from __future__ import annotations

import re

import pytest

import symgrad

torch = pytest.importorskip("torch")
LIBS = [symgrad, torch]


def _program(lib):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = lib.mm(x, x)
    for _ in range(3):
        y = y * 2 + 1
    z = y.sin().sum()
    return x, z


def _counts(averages, names):
    return {e.key: e.count for e in averages if e.key in names}


def test_forward_ops_are_counted_as_torch_counts_them():
    names = {"aten::mm", "aten::mul", "aten::add", "aten::sin", "aten::sum"}
    got = []
    for lib in LIBS:
        with lib.autograd.profiler.profile() as prof:
            _program(lib)
        got.append(_counts(prof.key_averages(), names))
    assert got[0] == got[1] == {"aten::mm": 1, "aten::mul": 3, "aten::add": 3,
                                "aten::sin": 1, "aten::sum": 1}


def test_backward_nodes_are_events():
    names = {"MmBackward0", "MulBackward0", "SinBackward0", "SumBackward0",
             "autograd::engine::evaluate_function: MulBackward0",
             "torch::autograd::AccumulateGrad"}
    got = []
    for lib in LIBS:
        x, z = _program(lib)
        with lib.autograd.profiler.profile(use_cuda=False) as prof:
            z.backward()
        got.append(_counts(prof.key_averages(), names))
    assert got[0] == got[1]
    assert got[0]["MulBackward0"] == 3


def _rows(table):
    lines = table.splitlines()
    return lines, [re.split(r"\s{2,}", ln.strip()) for ln in lines]


def test_the_table_has_torchs_layout():
    for lib in LIBS:
        with lib.autograd.profiler.profile() as prof:
            _program(lib)
        table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=3)
        lines, rows = _rows(table)
        assert rows[1] == ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total",
                           "CPU time avg", "# of Calls"]
        assert set(lines[0]) == {"-", " "} and lines[0] == lines[2] == lines[-2]
        assert len(lines) == 3 + 3 + 2  # header, 3 rows (row_limit), rule, total
        assert lines[-1].startswith("Self CPU time total: ")
        assert all(re.fullmatch(r"\d+\.\d\d%", r[1]) for r in rows[3:6])
        assert all(re.fullmatch(r"\d+\.\d{3}(us|ms|s)", r[2]) for r in rows[3:6])
        # the name column: the longest name plus 4, at most 55; then six of 12
        widths = [len(w) for w in lines[0].split()]
        longest = max(len(e.key) for e in prof.key_averages())
        assert widths == [min(longest + 4, 55)] + [12] * 6


def test_sort_by_orders_the_rows():
    with symgrad.autograd.profiler.profile() as prof:
        _program(symgrad)
    for key in ("self_cpu_time_total", "cpu_time_total", "count"):
        avgs = prof.key_averages()
        table = avgs.table(sort_by=key)
        names = [r[0] for r in _rows(table)[1][3:-2]]
        by = sorted(avgs, key=lambda e: getattr(e, key), reverse=True)
        assert names == [e.key for e in by]


def test_profiler_profile_record_function_and_input_shapes():
    got = []
    for lib in LIBS:
        x = lib.ones(5, 5)
        with lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU],
                                  record_shapes=True) as prof:
            with lib.profiler.record_function("model_inference"):
                lib.mm(x, x)
        avgs = prof.key_averages(group_by_input_shape=True)
        shapes = {e.key: e.input_shapes for e in avgs if e.key in ("aten::mm",
                                                                  "model_inference")}
        header = _rows(avgs.table(sort_by="cpu_time_total", row_limit=10))[1][1]
        got.append((shapes, header[-1]))
        top = max(avgs, key=lambda e: e.cpu_time_total)
        assert top.key == "model_inference"
    assert got[0] == got[1]
    assert got[0][0]["aten::mm"] == [[5, 5], [5, 5]]


def test_a_schedule_records_the_active_steps():
    got = []
    for lib in LIBS:
        traces = []
        x = lib.ones(3)
        sched = lib.profiler.schedule(wait=1, warmup=1, active=2, repeat=1)
        with lib.profiler.profile(schedule=sched, on_trace_ready=lambda p, traces=traces:
                                  traces.append(_counts(p.key_averages(), {"aten::mul"}))) as p:
            for _ in range(6):
                x * 2
                p.step()
        got.append(traces)
    assert got[0] == got[1]
    assert got[0] == [{"aten::mul": 2}]


def test_nothing_is_timed_after_the_profile():
    mul = symgrad.Tensor.__mul__
    with symgrad.autograd.profiler.profile() as prof:
        assert symgrad.Tensor.__mul__ is not mul
    assert symgrad.Tensor.__mul__ is mul
    n = len(prof.function_events)
    symgrad.ones(2) * 2
    assert len(prof.function_events) == n
    with symgrad.autograd.profiler.profile(enabled=False) as off:
        symgrad.ones(2) * 2
    assert len(off.function_events) == 0 and symgrad.Tensor.__mul__ is mul
