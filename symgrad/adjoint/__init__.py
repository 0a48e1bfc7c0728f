"""The adjoint of a lowered function: fusion, shape and activity analysis, the reverse sweep
and memory planning, each in a module of its own.

``build(fn, wrt)`` runs them in order: ``fusion`` inlines elementwise values into regions,
``shapes`` and ``activity`` analyse the fused forward, ``sweep`` writes the backward program
(``program``), and ``memory`` decides what loops tape and which writes go in place.
"""

from symgrad.adjoint.memory import allocates
from symgrad.adjoint.program import Adjoint, BIf, BLoop, Stmt, all_backward_reads, backward_reads
from symgrad.adjoint.sweep import Sweep, build

__all__ = ["Adjoint", "BIf", "BLoop", "Stmt", "Sweep", "all_backward_reads", "allocates",
           "backward_reads", "build"]
