"""symgrad in one screen: decorate a numpy function, read its gradient code, use it."""

import numpy as np

import symgrad


@symgrad.grad
def seed(x):
    y = x + 2
    z = y * y * 3
    out = z.mean()
    return out


@symgrad.grad(wrt=("W1", "b1", "W2", "b2"))
def mlp_loss(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def main() -> None:
    print("# The gradient symgrad generated for the PyTorch tutorial's seed function:")
    print(seed.source.split("\n\n\n")[-2])
    x = np.ones((2, 2))
    print("seed.grad(ones(2, 2)) =")
    print(seed.grad(x))  # 4.5 everywhere, as the tutorial derives by hand

    rng = np.random.default_rng(0)
    W1, b1 = rng.normal(size=(4, 8)), np.zeros(8)
    W2, b2 = rng.normal(size=(8, 1)), np.zeros(1)
    X, y = rng.normal(size=(32, 4)), rng.normal(size=(32, 1))
    print("\n# Training a two-layer MLP with it:")
    for step in range(5):
        loss, grads = mlp_loss.value_and_grad(W1, b1, W2, b2, X, y)
        W1, b1, W2, b2 = (p - 0.1 * g for p, g in zip((W1, b1, W2, b2), grads, strict=True))
        print(f"step {step}: loss {loss:.4f}")
    print("\n# Its gradient, as symgrad wrote it for these arrays' ranks (.source after a call):")
    print(mlp_loss.source.split("\n\n\n")[-2])


if __name__ == "__main__":
    main()
