# After d2l.ai's "Linear Regression Implementation from Scratch" and "Concise
# Implementation": a data iterator and SGD by hand, then nn.Sequential, nn.MSELoss and
# optim.SGD. The data are deterministic (sin/cos of arange instead of torch's RNG).
import numpy as np

import symgrad as torch
from symgrad import nn


def synthetic_data(w, b, num_examples):
    """y = Xw + b + noise (deterministic 'noise')."""
    idx = torch.arange(num_examples * len(w), dtype=torch.float32)
    X = torch.sin(idx * 0.37).reshape((num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += 0.01 * torch.cos(torch.arange(num_examples, dtype=torch.float32) * 1.3)
    return X, y.reshape((-1, 1))

true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 1000)
print('features:', features[0], '\nlabel:', labels[0])
print(features.shape, labels.shape, features.dtype)

def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    order = np.random.RandomState(0).permutation(num_examples)
    indices = [indices[i] for i in order]
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]

batch_size = 10
for X, y in data_iter(batch_size, features, labels):
    print(X, '\n', y)
    break

w = torch.tensor([[0.01], [-0.02]], requires_grad=True)
b = torch.zeros(1, requires_grad=True)
print(w, b)

def linreg(X, w, b):
    return torch.matmul(X, w) + b

def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2

def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()

lr = 0.03
num_epochs = 3
net = linreg
loss = squared_loss
for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = loss(net(X, w, b), y)
        l.sum().backward()
        sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = loss(net(features, w, b), labels)
        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')
print(f'error in estimating w: {true_w - w.reshape(true_w.shape)}')
print(f'error in estimating b: {true_b - b}')
print(l.grad_fn, w.grad, b.grad)

# --- concise implementation ---
def load_array(data_arrays, batch_size):
    n = len(data_arrays[0])
    for i in range(0, n, batch_size):
        yield tuple(a[i:i + batch_size] for a in data_arrays)

net = nn.Sequential(nn.Linear(2, 1))
print(net)
net[0].weight.data.fill_(0.01)
net[0].bias.data.fill_(0)
print(net[0].weight, net[0].bias)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.03)
print(trainer)
for epoch in range(num_epochs):
    for X, y in load_array((features, labels), batch_size):
        l = loss(net(X), y)
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(features), labels)
    print(f'epoch {epoch + 1}, loss {l:f}')
w = net[0].weight.data
print('error in estimating w:', true_w - w.reshape(true_w.shape))
b = net[0].bias.data
print('error in estimating b:', true_b - b)
print(l, l.grad_fn)
print([n for n, p in net.named_parameters()], list(net.state_dict().keys()))
print(net[0].weight.grad)
