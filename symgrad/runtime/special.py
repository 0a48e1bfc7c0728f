"""``torch.special``'s names for the Tensor functions: ``symgrad.special.expit(x)`` is
``torch.special.expit(x)`` (``import symgrad as torch``), the same op and grad_fn name
(``expit`` is ``sigmoid``: SigmoidBackward0; ``gammaln`` is ``lgamma``: LgammaBackward0)."""

from __future__ import annotations

from symgrad.runtime import ops

__all__ = ["erf", "erfc", "exp2", "expit", "expm1", "gammaln", "log1p", "log_softmax", "logit",
           "logsumexp", "sinc", "softmax", "xlogy"]

erf, erfc, exp2, expm1, log1p, sinc = ops.erf, ops.erfc, ops.exp2, ops.expm1, ops.log1p, ops.sinc
expit, gammaln, logit, xlogy = ops.sigmoid, ops.lgamma, ops.logit, ops.xlogy
logsumexp, softmax, log_softmax = ops.logsumexp, ops.softmax, ops.log_softmax
