"""Marks for the source transform that also work when the code simply runs."""

from __future__ import annotations

from typing import Any


def stop_gradient(x: Any) -> Any:
    """The value of ``x``, treated as a constant by the gradient (``x.detach()``, functionally)."""
    detach = getattr(x, "detach", None)
    return detach() if callable(detach) else x


stop_gradient.__symgrad_stop_gradient__ = True  # type: ignore[attr-defined]
