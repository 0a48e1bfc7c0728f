"""``symgrad.nn`` (``torch.nn``): a small, faithful subset for teaching programs and small
models. Every module's parameters are Tensors and every forward is Tensor operations, so
backward uses the registry's rules.

Covered: ``Module``, ``Parameter``, ``Linear``, ``ReLU``, ``LeakyReLU``, ``Dropout``,
``ModuleList``, ``ParameterList``, ``GELU``, ``Softplus``, ``Embedding`` (``padding_idx``,
``max_norm``, ``from_pretrained``; dense gradients only), ``utils.clip_grad_norm_`` / ``clip_grad_value_``, ``functional.one_hot``, ``Sigmoid``, ``Tanh``, ``Softmax``,
``LogSoftmax``, ``Flatten``, ``Identity``, ``Sequential``, the losses ``MSELoss``, ``L1Loss``,
``CrossEntropyLoss`` (class-index or class-probability targets, ``label_smoothing``) /
``NLLLoss`` (class-index targets), ``BCEWithLogitsLoss``, ``BCELoss``, ``SmoothL1Loss``,
``HuberLoss``,
and their ``nn.functional`` forms. Left out: convolutions, pooling, normalization,
recurrent layers, ``EmbeddingBag``, sparse gradients, hooks on modules, ``nn.init``'s orthogonal_/sparse_/dirac_.
``nn.init``: the deterministic initializers give torch's values, the random ones torch's
distributions from symgrad's generator.
"""

from symgrad.nn import functional, init, utils
from symgrad.nn.layers import (
    GELU,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ModuleList,
    ParameterList,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from symgrad.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from symgrad.nn.module import Module, Parameter

__all__ = [
    "functional", "init", "utils", "Module", "ModuleList", "Dropout", "LeakyReLU", "Parameter", "Linear", "ReLU", "Sigmoid", "Tanh", "Softmax",
    "LogSoftmax", "Flatten", "Identity", "Sequential", "MSELoss", "L1Loss", "CrossEntropyLoss",
    "NLLLoss", "BCEWithLogitsLoss", "BCELoss", "GELU", "Softplus", "Embedding", "ParameterList",
    "SmoothL1Loss", "HuberLoss",
]
