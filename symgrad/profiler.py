"""``torch.profiler`` and ``torch.autograd.profiler``: which Tensor operations ran, how often,
and for how long -- a small, faithful subset of torch's profiler.

While a ``profile`` is active, every public Tensor method and operator, every function of
the ``symgrad`` namespace (and of ``nn.functional`` when loaded) and every backward node is
timed: an op is named as torch names it (``aten::mul``; a node ``MulBackward0`` inside
``autograd::engine::evaluate_function: MulBackward0``; ``torch::autograd::AccumulateGrad``).
An op run inside another op's call counts in the outer one's "CPU total" and not in its
"Self CPU", as in torch; one symgrad function calling the same-named Tensor method
(``torch.sin(x)`` -> ``x.sin()``) is one event. ``key_averages().table(...)`` prints torch's
columns. The names of the ops torch runs inside an op (``aten::empty_strided``, ...) are not
reproduced, and the times are symgrad's own.
"""

from __future__ import annotations

import enum
import functools
import json
import sys
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["profile", "record_function", "ProfilerActivity", "ProfilerAction", "schedule",
           "EventList", "FunctionEvent", "FunctionEventAvg", "autograd_profiler"]

# Tensor dunder operators -> torch's op name
_OPERATORS = {
    "__add__": "add", "__radd__": "add", "__iadd__": "add_", "__sub__": "sub",
    "__rsub__": "rsub", "__isub__": "sub_", "__mul__": "mul", "__rmul__": "mul",
    "__imul__": "mul_", "__truediv__": "div", "__rtruediv__": "div", "__itruediv__": "div_",
    "__floordiv__": "floor_divide", "__mod__": "remainder", "__pow__": "pow",
    "__rpow__": "pow", "__matmul__": "matmul", "__rmatmul__": "matmul", "__neg__": "neg",
    "__abs__": "abs", "__getitem__": "index", "__setitem__": "index_put_", "__lt__": "lt",
    "__le__": "le", "__gt__": "gt", "__ge__": "ge", "__eq__": "eq", "__ne__": "ne",
    "__and__": "bitwise_and", "__or__": "bitwise_or", "__invert__": "bitwise_not",
}
# public Tensor methods that are no operation in torch's profile (queries, conversions, autograd)
_NOT_OPS = {"backward", "register_hook", "retain_grad", "requires_grad_", "numpy", "tolist",
            "dim", "size", "numel", "stride", "is_contiguous", "data_ptr", "type",
            "is_floating_point", "is_complex", "element_size", "nelement", "ndimension",
            "storage_offset", "get_device", "cpu"}


class ProfilerActivity(enum.Enum):
    """``torch.profiler.ProfilerActivity``: symgrad records CPU activity only."""

    CPU = 0
    CUDA = 2
    XPU = 3
    MTIA = 4


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0,
             skip_first: int = 0, skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """``torch.profiler.schedule``: the action for each ``step()`` number, in cycles of
    ``wait`` idle, ``warmup`` and ``active`` recorded steps, after ``skip_first`` steps."""
    def action(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        cycle = wait + warmup + active
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if pos < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return action


# -- events -----------------------------------------------------------------------------------

def _format_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class FunctionEvent:
    """One timed call: ``name``, start and end (microseconds), input shapes, children."""

    def __init__(self, id: int, name: str, start_us: float, input_shapes: list,
                 parent: FunctionEvent | None) -> None:
        self.id, self.name, self.key = id, name, name
        self.start_us, self.end_us = start_us, start_us
        self.input_shapes = input_shapes
        self.cpu_parent = parent
        self.cpu_children: list[FunctionEvent] = []
        self.count = 1
        self.stack: list = []
        self.node_id, self.overload_name, self.is_async = -1, "", False
        self.use_device = None
        self.self_device_time_total = self.device_time_total = 0
        self.self_device_memory_usage = self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.flops = 0

    @property
    def cpu_time_total(self) -> float:
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total

    def __repr__(self) -> str:
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time="
                f"{_format_time(self.cpu_time_total)} input_shapes={self.input_shapes}>")


class FunctionEventAvg:
    """The events of one name (and input shapes, when grouped), summed: ``key``, ``count``,
    ``cpu_time_total``, ``self_cpu_time_total``, ``cpu_time`` (the average)."""

    def __init__(self, key: str, input_shapes: Any) -> None:
        self.key, self.input_shapes = key, input_shapes
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_parent = None
        self.stack: list = []
        self.node_id, self.overload_name, self.is_async = -1, "", False
        self.use_device = None
        self.self_device_time_total = self.device_time_total = 0
        self.self_device_memory_usage = self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.flops = 0

    def add(self, evt: Any) -> FunctionEventAvg:
        self.count += evt.count
        self.cpu_time_total += evt.cpu_time_total
        self.self_cpu_time_total += evt.self_cpu_time_total
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / self.count if self.count else 0.0

    @property
    def device_time(self) -> float:
        return 0.0

    cuda_time = device_time

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time="
                f"{_format_time(self.self_cpu_time_total)} cpu_time="
                f"{_format_time(self.cpu_time_total)} input_shapes={self.input_shapes}>")


for _cls in (FunctionEvent, FunctionEventAvg):
    for _attr in ("cpu_time_total", "self_cpu_time_total", "cpu_time"):
        setattr(_cls, _attr + "_str", property(
            lambda self, a=_attr: _format_time(getattr(self, a))))



class EventList(list):
    """A list of events (``prof.function_events``) or of their averages (``key_averages()``)."""

    def key_averages(self, group_by_input_shape: bool = False,
                     group_by_stack_n: int = 0) -> EventList:
        stats: dict = {}
        for evt in self:
            shapes = str(evt.input_shapes) if group_by_input_shape else ""
            key = (evt.key, shapes)
            if key not in stats:
                stats[key] = FunctionEventAvg(evt.key, evt.input_shapes if
                                              group_by_input_shape else "")
            stats[key].add(evt)
        return EventList(stats.values())

    def total_average(self) -> FunctionEventAvg:
        total = FunctionEventAvg("Total", "")
        for evt in self:
            total.add(evt)
        return total

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_src_column_width: int = 75, max_name_column_width: int = 55,
              max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        """torch's table: Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg,
        # of Calls (and Input Shapes when grouped by them), sorted by ``sort_by``."""
        return _table(self, sort_by, row_limit, max_name_column_width,
                      max_shapes_column_width, header, top_level_events_only, time_unit)

    def export_chrome_trace(self, path: str) -> None:
        """The events in the Chrome trace format (``chrome://tracing``, Perfetto)."""
        events = [{"name": e.name, "ph": "X", "ts": e.start_us, "dur": e.cpu_time_total,
                   "pid": 0, "tid": 0, "cat": "cpu_op", "args": {}}
                  for e in self if isinstance(e, FunctionEvent)]
        with open(path, "w") as f:
            json.dump({"traceEvents": events}, f)

    def __str__(self) -> str:
        return self.table()


def _share(t: float, total: float) -> str:
    return "NaN" if total == 0 else f"{t * 100.0 / total:.2f}%"


def _table(events: list, sort_by: str | None, row_limit: int, max_name: int | None,
           max_shapes: int | None, header: str | None, top_level_only: bool,
           time_unit: str | None) -> str:
    if not events:
        return ""
    if sort_by is not None:
        key = sort_by.replace("cuda", "device").replace("xpu", "device")
        events = sorted(events, key=lambda e: getattr(e, key), reverse=True)
    name_w = max(len(e.key) for e in events) + 4
    if max_name is not None:
        name_w = min(name_w, max_name)
    has_shapes = any(e.input_shapes for e in events)
    shapes_w = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes is not None:
        shapes_w = min(shapes_w, max_shapes)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
               "# of Calls"]
    widths = [name_w] + [12] * 6
    if has_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_w)
    row = "".join("{: >" + str(w) + "}  " for w in widths)
    sep = "".join("-" * w + "  " for w in widths)
    line_length = sum(w + 2 for w in widths) - 2

    def fmt(us: float) -> str:
        scale = {"s": 1e6, "ms": 1e3, "us": 1.0}.get(time_unit)
        return _format_time(us) if scale is None else f"{us / scale:.3f}{time_unit}"

    total = sum(e.self_cpu_time_total for e in events)
    out = []
    if header is not None:
        out += ["=" * line_length, header]
    if top_level_only:
        out += ["=" * line_length, "This report only display top-level ops statistics"]
    out += [sep, row.format(*headers), sep]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name is not None and len(name) >= max_name - 3:
            name = name[: max_name - 3] + "..."
        values = [name, _share(e.self_cpu_time_total, total), fmt(e.self_cpu_time_total),
                  _share(e.cpu_time_total, total), fmt(e.cpu_time_total), fmt(e.cpu_time),
                  e.count]
        if has_shapes:
            shapes = str(e.input_shapes)
            if max_shapes is not None and len(shapes) >= max_shapes - 3:
                shapes = shapes[: max_shapes - 3] + "..."
            values.append(shapes)
        out.append(row.format(*values))
    out += [sep, f"Self CPU time total: {fmt(total)}"]
    return "".join(s + "\n" for s in out)


# -- recording ----------------------------------------------------------------------------------

class _Recorder:
    """The active profile's event list and the stack of open events (one profile at a time)."""

    profile: Any = None
    stack: list = []
    next_id = 0


def _now_us() -> float:
    return time.perf_counter_ns() / 1000.0


def _shapes(args: tuple) -> list:
    from symgrad.runtime.tensor import Tensor

    return [list(a._data.shape) if type(a) is Tensor else [] for a in args]


def _open(name: str, args: tuple) -> FunctionEvent | None:
    prof = _Recorder.profile
    if prof is None or not prof._recording:
        return None
    stack = _Recorder.stack
    parent = stack[-1] if stack else None
    if parent is not None and parent.name == name:  # torch.sin(x) -> x.sin(): one event
        return None
    _Recorder.next_id += 1
    evt = FunctionEvent(_Recorder.next_id, name, _now_us(),
                        _shapes(args) if prof.record_shapes else [], parent)
    if parent is not None:
        parent.cpu_children.append(evt)
    stack.append(evt)
    prof._events.append(evt)
    return evt


def _close(evt: FunctionEvent | None) -> None:
    if evt is not None:
        evt.end_us = _now_us()
        _Recorder.stack.pop()


def _timed(fn: Callable, name: str) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        evt = _open(name, args)
        try:
            return fn(*args, **kwargs)
        finally:
            _close(evt)

    wrapper._symgrad_profiled = fn
    return wrapper


def _node_timed(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any) -> Any:
        name = type(self).__name__
        outer = _open(f"autograd::engine::evaluate_function: {name}", ())
        inner = _open(name, ())
        try:
            return fn(self, *args)
        finally:
            _close(inner)
            _close(outer)

    wrapper._symgrad_profiled = fn
    return wrapper


def _targets() -> Iterator[tuple[Any, str, Callable, Callable]]:
    """(owner, attribute, original, timed replacement) for everything a profile times."""
    import symgrad
    from symgrad.runtime import engine, function
    from symgrad.runtime.custom_function import BackwardNode
    from symgrad.runtime.tensor import Tensor

    for attr, value in list(vars(Tensor).items()):
        if not isinstance(value, types.FunctionType):
            continue
        if attr in _OPERATORS:
            yield Tensor, attr, value, _timed(value, "aten::" + _OPERATORS[attr])
        elif not attr.startswith("_") and attr not in _NOT_OPS:
            yield Tensor, attr, value, _timed(value, "aten::" + attr)
    modules = [symgrad, sys.modules.get("symgrad.nn.functional")]
    for mod in modules:
        if mod is None:
            continue
        for attr, value in list(vars(mod).items()):
            if isinstance(value, types.FunctionType) and not attr.startswith("_"):
                yield mod, attr, value, _timed(value, "aten::" + attr)
    for cls in (engine.OpNode, function.FunctionNode, BackwardNode):
        yield cls, "_run", cls.__dict__["_run"], _node_timed(cls.__dict__["_run"])
    acc = engine._accumulate
    yield engine, "_accumulate", acc, _timed(acc, "torch::autograd::AccumulateGrad")


class _Patches:
    saved: list = []

    @classmethod
    def install(cls) -> None:
        for owner, attr, original, timed in _targets():
            cls.saved.append((owner, attr, original))
            setattr(owner, attr, timed)

    @classmethod
    def remove(cls) -> None:
        for owner, attr, original in reversed(cls.saved):
            setattr(owner, attr, original)
        cls.saved.clear()


class record_function:  # noqa: N801  (torch's name)
    """``with record_function("label"):`` (or as a decorator): a user-named event around a
    block, shown in the profile with the ops run inside as its children."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name
        self._evt: FunctionEvent | None = None

    def __enter__(self) -> record_function:
        self._evt = _open(self.name, ())
        return self

    def __exit__(self, *exc: Any) -> None:
        _close(self._evt)
        self._evt = None

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with record_function(self.name):
                return fn(*args, **kwargs)

        return wrapper


class _ProfileBase:
    """What both profilers share: start/stop, the events and their averages."""

    record_shapes = False

    def __init__(self) -> None:
        self._events: list = []
        self._recording = False
        self._active = False

    def _start(self) -> None:
        if _Recorder.profile is not None:
            raise RuntimeError("Profiler is already enabled on this thread")
        _Recorder.profile, _Recorder.stack = self, []
        _Patches.install()
        self._active = True

    def _stop(self) -> None:
        if self._active:
            _Patches.remove()
            _Recorder.profile, _Recorder.stack = None, []
            self._active = False
            self._recording = False

    @property
    def function_events(self) -> EventList:
        return EventList(self._events)

    def events(self) -> EventList:
        return self.function_events

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     **kwargs: Any) -> EventList:
        return self.function_events.key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, *args: Any, **kwargs: Any) -> str:
        return self.function_events.table(*args, **kwargs)

    def total_average(self) -> FunctionEventAvg:
        return self.function_events.total_average()

    @property
    def self_cpu_time_total(self) -> float:
        return self.function_events.self_cpu_time_total

    def export_chrome_trace(self, path: str) -> None:
        self.function_events.export_chrome_trace(path)

    def __str__(self) -> str:
        return str(self.function_events)


class _AutogradProfile(_ProfileBase):
    """``torch.autograd.profiler.profile(enabled=True, *, use_cuda=False, use_device=None,
    record_shapes=False, ...)``: the ops run inside ``with``. There is no device: ``use_cuda``
    and ``use_device`` are accepted and record nothing more."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False,
                 use_device: str | None = None, record_shapes: bool = False,
                 with_flops: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_modules: bool = False, use_kineto: bool = False,
                 use_cpu: bool = True, experimental_config: Any = None,
                 acc_events: bool = False, custom_trace_id_callback: Any = None) -> None:
        super().__init__()
        self.enabled = enabled
        self.record_shapes = record_shapes

    def __enter__(self) -> _AutogradProfile:
        if self.enabled:
            self._start()
            self._recording = True
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop()


class profile(_ProfileBase):  # noqa: N801
    """``torch.profiler.profile(activities=None, schedule=None, on_trace_ready=None,
    record_shapes=False, ...)``: records while the ``schedule`` (advanced by ``step()``) says
    so, and calls ``on_trace_ready(prof)`` at the end of each active cycle and at exit."""

    def __init__(self, *, activities: Any = None, schedule: Callable | None = None,
                 on_trace_ready: Callable | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False,
                 with_flops: bool = False, with_modules: bool = False,
                 experimental_config: Any = None, execution_trace_observer: Any = None,
                 acc_events: bool = False, use_cuda: bool | None = None,
                 custom_trace_id_callback: Any = None) -> None:
        super().__init__()
        self.activities = set(activities) if activities else {ProfilerActivity.CPU}
        self.schedule = schedule
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.step_num = 0

    def _action(self) -> ProfilerAction:
        return ProfilerAction.RECORD if self.schedule is None else self.schedule(self.step_num)

    def start(self) -> None:
        self._start()
        self._recording = self._action() in (ProfilerAction.RECORD,
                                              ProfilerAction.RECORD_AND_SAVE)

    def stop(self) -> None:
        saving = self._recording
        self._stop()
        if saving and self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def step(self) -> None:
        before = self._action()
        self.step_num += 1
        after = self._action()
        if before is ProfilerAction.RECORD_AND_SAVE:
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
            if after in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
                self._events = []
        elif before in (ProfilerAction.NONE, ProfilerAction.WARMUP) and after in (
                ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
            self._events = []
        self._recording = after in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


autograd_profiler = types.ModuleType(
    "symgrad.autograd.profiler", "torch.autograd.profiler: see symgrad.profiler.")
autograd_profiler.profile = _AutogradProfile
autograd_profiler.record_function = record_function
autograd_profiler.EventList = EventList
autograd_profiler.FunctionEvent = FunctionEvent
autograd_profiler.FunctionEventAvg = FunctionEventAvg
