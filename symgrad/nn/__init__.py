"""``symgrad.nn`` (``torch.nn``): a small, faithful subset for teaching programs and small
models. Every module's parameters are Tensors and every forward is Tensor operations, so
backward uses the registry's rules.

Covered: ``Module``, ``Parameter``, ``Linear``, ``ReLU``, ``LeakyReLU``, ``Dropout``,
``ModuleList``, ``utils.clip_grad_norm_`` / ``clip_grad_value_``, ``functional.one_hot``, ``Sigmoid``, ``Tanh``, ``Softmax``,
``LogSoftmax``, ``Flatten``, ``Identity``, ``Sequential``, the losses ``MSELoss``, ``L1Loss``,
``CrossEntropyLoss`` / ``NLLLoss`` (class-index targets), ``BCEWithLogitsLoss``, ``BCELoss``,
and their ``nn.functional`` forms. Left out: convolutions, pooling, normalization,
recurrent layers, embeddings, hooks on modules, ``nn.init``'s orthogonal_/sparse_/dirac_.
``nn.init``: the deterministic initializers give torch's values, the random ones torch's
distributions from symgrad's generator.
"""

from symgrad.nn import functional, init, utils
from symgrad.nn.layers import (
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ModuleList,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from symgrad.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from symgrad.nn.module import Module, Parameter

__all__ = [
    "functional", "init", "utils", "Module", "ModuleList", "Dropout", "LeakyReLU", "Parameter", "Linear", "ReLU", "Sigmoid", "Tanh", "Softmax",
    "LogSoftmax", "Flatten", "Identity", "Sequential", "MSELoss", "L1Loss", "CrossEntropyLoss",
    "NLLLoss", "BCEWithLogitsLoss", "BCELoss",
]
