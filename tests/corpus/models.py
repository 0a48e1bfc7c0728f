"""Named models: recurrent nets (buffer and carry), softmax cross-entropy, logsumexp
(direct, by rows, online) and a stable softplus loop."""

from __future__ import annotations

import numpy as np

from .case import Case, normal


def rnn_buffer(W, U, xs):
    T, H = xs.shape[0], W.shape[0]
    hs = np.zeros((T + 1, H))
    for t in range(T):
        hs[t + 1] = np.tanh(W @ hs[t] + U @ xs[t])
    return np.sum(hs ** 2)


def rnn_carry(W, h, x):
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
    return np.sum(h)


def softmax_xent_onehot(logits, onehot):
    z = logits - np.max(logits, axis=-1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    return -np.mean(np.sum(onehot * logp, axis=-1))


def softmax_xent_labels(logits, labels):
    z = logits - np.max(logits, axis=-1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))
    loss = 0.0
    for i in range(logits.shape[0]):
        loss = loss - logp[i, labels[i]]
    return loss / logits.shape[0]


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def logsumexp_rows(X):
    m = np.max(X, axis=1, keepdims=True)
    return np.sum(m[:, 0] + np.log(np.sum(np.exp(X - m), axis=1)))


def logsumexp_online(x):
    m = x[0]
    s = 1.0
    for i in range(1, len(x)):
        if x[i] > m:
            s = s * np.exp(m - x[i]) + 1.0
            m = x[i]
        else:
            s = s + np.exp(x[i] - m)
    return m + np.log(s)


def softplus_stable(x):
    total = 0.0
    for v in x:
        if v > 0:
            total = total + v + np.log1p(np.exp(-v))
        else:
            total = total + np.log1p(np.exp(v))
    return total


ENTRIES = [
    Case("rnn", rnn_buffer,
         lambda: (normal(108, 3, 3) * 0.5, normal(109, 3, 2), normal(110, 4, 2)),
         ("W", "U", "xs")),
    Case("rnn", rnn_carry, lambda: (normal(111, 3, 3) * 0.5, normal(112, 3), normal(113, 4, 3))),
    Case("softmax_xent", softmax_xent_onehot,
         lambda: (normal(114, 4, 3), np.eye(3)[[2, 0, 1, 1]]), ("logits",)),
    Case("softmax_xent", softmax_xent_labels, lambda: (normal(114, 4, 3), (2, 0, 1, 1)),
         ("logits",)),
    Case("logsumexp", logsumexp, lambda: (normal(115, 4),)),
    Case("logsumexp", logsumexp_rows, lambda: (normal(116, 3, 4),)),
    Case("logsumexp", logsumexp_online, lambda: (np.array([0.3, 1.2, -0.4, 1.9, 0.8]),)),
    Case("for_if", softplus_stable, lambda: (np.array([0.5, -0.7, 1.2, -0.3]),)),
]

TORCH_IDS = [
    "rnn.rnn_buffer",
    "rnn.rnn_carry",
    "softmax_xent.softmax_xent_onehot",
    "softmax_xent.softmax_xent_labels",
    "logsumexp.logsumexp",
    "logsumexp.logsumexp_online",
]


def torch_twins(torch):
    """Equivalent float64 torch functions for some entries above, by entry id prefix."""

    def t_rnn_buffer(W, U, xs):
        hs = [torch.zeros(W.shape[0], dtype=torch.float64)]
        for t in range(xs.shape[0]):
            hs.append(torch.tanh(W @ hs[t] + U @ xs[t]))
        return torch.sum(torch.stack(hs) ** 2)

    def t_rnn_carry(W, h, x):
        for t in range(x.shape[0]):
            h = torch.tanh(W @ h + x[t])
        return torch.sum(h)

    def t_softmax_xent_onehot(logits, onehot):
        return -torch.mean(torch.sum(onehot * torch.log_softmax(logits, dim=-1), dim=-1))

    def t_softmax_xent_labels(logits, labels):
        return torch.nn.functional.cross_entropy(logits, torch.tensor(labels))

    def t_logsumexp(x):
        return torch.logsumexp(x, dim=0)

    def t_logsumexp_online(x):
        return torch.logsumexp(x, dim=0)

    return {
        "rnn.rnn_buffer": t_rnn_buffer,
        "rnn.rnn_carry": t_rnn_carry,
        "softmax_xent.softmax_xent_onehot": t_softmax_xent_onehot,
        "softmax_xent.softmax_xent_labels": t_softmax_xent_labels,
        "logsumexp.logsumexp": t_logsumexp,
        "logsumexp.logsumexp_online": t_logsumexp_online,
    }
