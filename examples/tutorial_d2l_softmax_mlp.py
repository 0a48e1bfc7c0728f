# After d2l.ai's "Softmax Regression Implementation from Scratch" and the concise MLP:
# softmax, cross-entropy and accuracy by hand, then nn.Sequential(Flatten, Linear, ReLU,
# Linear) with CrossEntropyLoss(reduction='none') and optim.SGD, on fixed synthetic data.
import symgrad as torch
from symgrad import nn

X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(X.sum(0, keepdim=True), X.sum(1, keepdim=True))

def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition

X = torch.linspace(-1, 1, 10).reshape(2, 5)
X_prob = softmax(X)
print(X_prob, (X_prob.sum(1) - 1).abs() < 1e-6)

num_inputs, num_outputs, n = 8, 3, 60
W = torch.tensor([[0.01 * ((i * 7 + j * 3) % 5 - 2) for j in range(num_outputs)]
                  for i in range(num_inputs)], requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)
feats = torch.cos(torch.arange(n * num_inputs, dtype=torch.float32) * 0.7).reshape(n, num_inputs)
y_all = (feats[:, 0] > 0).long() + (feats[:, 1] > 0.5).long()
print(y_all[:10], y_all.dtype, y_all.shape)

def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

y = torch.tensor([0, 2])
y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
print(y_hat[[0, 1], y])

def cross_entropy(y_hat, y):
    return - torch.log(y_hat[range(len(y_hat)), y])

print(cross_entropy(y_hat, y))

def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())

print(accuracy(y_hat, y) / len(y))

class Accumulator:
    def __init__(self, n):
        self.data = [0.0] * n
    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]
    def __getitem__(self, idx):
        return self.data[idx]

def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()

lr = 0.1
for epoch in range(5):
    metric = Accumulator(3)
    for i in range(0, n, 12):
        Xb, yb = feats[i:i + 12], y_all[i:i + 12]
        y_hat = net(Xb)
        l = cross_entropy(y_hat, yb)
        l.sum().backward()
        sgd([W, b], lr, Xb.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, yb), yb.numel())
    print(f"epoch {epoch + 1}: loss {metric[0] / metric[2]:.6f}, acc {metric[1] / metric[2]:.3f}")
print(l.grad_fn, l.grad_fn.next_functions[0][0])
print(W.grad, b)

# --- concise: nn.Sequential + CrossEntropyLoss(reduction='none') + SGD ---
net = nn.Sequential(nn.Flatten(), nn.Linear(num_inputs, 16), nn.ReLU(), nn.Linear(16, num_outputs))

def init_weights(m):
    if type(m) == nn.Linear:
        with torch.no_grad():
            k = torch.arange(m.weight.numel(), dtype=torch.float32)
            m.weight.copy_((torch.sin(k * 1.7) * 0.3).reshape(m.weight.shape))
            m.bias.fill_(0.01)

net.apply(init_weights)
print(net)
loss = nn.CrossEntropyLoss(reduction='none')
trainer = torch.optim.SGD(net.parameters(), lr=0.1)
for epoch in range(5):
    metric = Accumulator(3)
    for i in range(0, n, 12):
        Xb, yb = feats[i:i + 12], y_all[i:i + 12]
        y_hat = net(Xb)
        l = loss(y_hat, yb)
        trainer.zero_grad()
        l.mean().backward()
        trainer.step()
        metric.add(float(l.sum()), accuracy(y_hat, yb), yb.numel())
    print(f"epoch {epoch + 1}: loss {metric[0] / metric[2]:.6f}, acc {metric[1] / metric[2]:.3f}")
print(l.grad_fn, l.shape, y_hat.grad_fn)
print(net[1].weight.grad.shape, net[3].bias.grad)
print(sum(p.numel() for p in net.parameters()))
with torch.no_grad():
    probs = torch.softmax(net(feats[:4]), dim=1)
print(probs, probs.argmax(dim=1), torch.nn.functional.log_softmax(net(feats[:2]), dim=1))
l = nn.functional.cross_entropy(net(feats[:4]), y_all[:4])
print(l)
