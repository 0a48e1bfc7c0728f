"""Control flow, mutation, calls and containers: the corpus that tests/test_control_flow.py
checks against finite differences and torch.

Every corpus function is plain Python/numpy defined at module level (symgrad reads its
source with inspect) and runs unchanged without symgrad. One module per theme holds the
functions, their ``ENTRIES`` (``Case``: arguments, ``wrt``, cotangent, path, flags), the
``TORCH_IDS`` among them with a torch twin, and ``torch_twins(torch)``, the twins themselves.

Entry ids read ``<construct>.<function>[-<path>]``: a failure names the construct it broke.
Arguments are chosen away from kinks and branch boundaries (abs at 0, ``if s > 5`` with s
near 5, a while loop about to take one more trip), so finite differences are valid.
"""

from __future__ import annotations

from . import branches, buffers, calls_closures, containers, loops, models, stop_gradient
from .case import Case

THEMES = (branches, loops, buffers, calls_closures, containers, stop_gradient, models)

CORPUS: list[Case] = [case for theme in THEMES for case in theme.ENTRIES]
IDS = [case.id for case in CORPUS]
BY_ID = dict(zip(IDS, CORPUS, strict=True))
TORCH_IDS = [entry_id for theme in THEMES for entry_id in theme.TORCH_IDS]


def torch_twins(torch) -> dict:
    """Every theme's torch twins, by entry id prefix."""
    twins: dict = {}
    for theme in THEMES:
        twins.update(theme.torch_twins(torch))
    return twins
