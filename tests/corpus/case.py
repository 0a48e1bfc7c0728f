"""What a corpus entry is, and the argument factories the entries share."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np


def normal(k, *shape):
    return np.random.default_rng(k).normal(size=shape)


def uniform(k, lo, hi, *shape):
    return np.random.default_rng(k).uniform(lo, hi, size=shape)


X3 = np.array([0.5, -0.3, 0.9])
XN3 = np.array([-0.5, 0.3, -0.9])


@dataclasses.dataclass(frozen=True)
class Case:
    construct: str
    fn: Callable
    args: Callable[[], tuple]  # a factory: every test gets fresh arrays
    wrt: tuple | None = None  # None: every parameter (all float)
    seed: Callable[[], Any] | None = None
    path: str = ""  # which branch/trip count these arguments exercise
    mutates: bool = False  # writes into an argument under plain numpy
    frozen: bool = False  # calls symgrad.stop_gradient: FD holds those values fixed

    @property
    def id(self):
        return f"{self.construct}.{self.fn.__name__}" + (f"-{self.path}" if self.path else "")
