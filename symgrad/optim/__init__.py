"""``symgrad.optim`` (``torch.optim``): ``SGD`` (momentum, dampening, nesterov, weight decay,
maximize), ``Adam`` (betas, eps, weight decay, amsgrad, maximize), ``AdamW``, ``RMSprop`` (alpha,
momentum, centered) and ``Adagrad`` (lr_decay, initial_accumulator_value), with parameter
groups and ``zero_grad(set_to_none=True)``; ``lr_scheduler``: ``StepLR``, ``MultiStepLR``,
``ExponentialLR``, ``LambdaLR``, ``CosineAnnealingLR``. Left out: the other optimizers and
schedulers, ``load_state_dict``, foreach/fused implementations (the flags are accepted and
ignored: the result is the single-tensor algorithm's)."""

from symgrad.optim import lr_scheduler
from symgrad.optim.adagrad import Adagrad
from symgrad.optim.adam import Adam, AdamW
from symgrad.optim.optimizer import Optimizer
from symgrad.optim.rmsprop import RMSprop
from symgrad.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
