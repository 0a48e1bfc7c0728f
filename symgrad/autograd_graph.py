"""``torch.autograd.graph``: the hooks on tensors saved for backward, and the graph's node
type (``Node``), as teaching programs reach them."""

from symgrad.runtime.engine import Node
from symgrad.runtime.saved_hooks import (
    disable_saved_tensors_hooks,
    save_on_cpu,
    saved_tensors_hooks,
)

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "Node"]
