"""``symgrad.optim`` (``torch.optim``): ``SGD`` (momentum, dampening, nesterov, weight decay,
maximize), ``Adam`` (betas, eps, weight decay, amsgrad, maximize), ``AdamW`` and ``RMSprop`` (alpha,
momentum, centered), with parameter groups
and ``zero_grad(set_to_none=True)``. Left out: the other optimizers, learning-rate
schedulers, ``load_state_dict``, foreach/fused implementations (the flags are accepted and
ignored: the result is the single-tensor algorithm's)."""

from symgrad.optim.adam import Adam, AdamW
from symgrad.optim.optimizer import Optimizer
from symgrad.optim.rmsprop import RMSprop
from symgrad.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop"]
