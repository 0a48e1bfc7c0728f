"""Model classes for tests/test_methods.py (a module of its own, so its source is a file)."""

import numpy as np

import symgrad


class Model:
    """A linear least-squares model: arrays W, b and a number scale read through self."""

    def __init__(self, W, b, scale=0.5):
        self.W, self.b, self.scale = W, b, scale

    @symgrad.grad
    def loss(self, x):
        r = self.W @ x - self.b
        return np.sum(r ** 2) * self.scale

    @symgrad.grad(wrt=("self.W", "x"))
    def loss_wrt_W(self, x):
        r = self.W @ x - self.b
        return np.sum(r ** 2) * self.scale

    def residual_loss(self, x, y):  # undecorated: symgrad.grad(m.residual_loss)
        return np.sum(np.tanh(self.W.T @ y - x) ** 2) + self.scale * np.sum(x ** 2)

    @symgrad.grad
    def repeated(self, x, n):  # an integer parameter, in the default wrt
        s = 0.0
        for _ in range(n):
            s = s + np.sum(self.W @ x) * self.scale
        return s


class Linear:
    """A layer called as ``self.l1(h)``: its ``__call__`` is inlined."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def __call__(self, x):
        return np.tanh(self.W @ x + self.b)


class Net:
    """Layers, a helper method, a loop count and a weight decay read through self."""

    def __init__(self, l1, l2, steps=2, decay=0.01):
        self.l1, self.l2, self.steps, self.decay = l1, l2, steps, decay

    def forward(self, x):
        h = x
        for _ in range(self.steps):
            h = self.l1(h)
        return self.l2.W @ h + self.l2.b

    @symgrad.grad(wrt=("self.l1.W", "self.l2.b", "x", "self.decay"))
    def loss(self, x, y):
        return np.mean((self.forward(x) - y) ** 2) + self.decay * np.sum(self.l1.W ** 2)

    @symgrad.grad(wrt=("self.l1.W", "x"))
    def loss_l1(self, x, y):
        return np.mean((self.forward(x) - y) ** 2) + self.decay * np.sum(self.l1.W ** 2)


def energy(W, x, k=2.0):
    """A plain function, for functools.partial."""
    return np.sum((W @ x) ** 2) * k
