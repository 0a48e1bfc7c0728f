# After d2l.ai's "Builders' Guide": layers and modules, parameter management, nn.init,
# tied parameters, custom layers (deterministic weights instead of random ones).
# custom layers (deterministic weights instead of random ones).
import symgrad as torch
from symgrad import nn
from symgrad.nn import functional as F

X = torch.linspace(-1, 1, 40).reshape(2, 20)


def init_fixed(module):
    if type(module) == nn.Linear:
        with torch.no_grad():
            k = torch.arange(module.weight.numel(), dtype=torch.float32)
            module.weight.copy_(torch.cos(k * 0.9).reshape(module.weight.shape) * 0.2)
            module.bias.fill_(0.05)


net = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
net.apply(init_fixed)
print(net(X).shape, net(X)[:, :4])


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256)
        self.out = nn.Linear(256, 10)

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


net = MLP()
net.apply(init_fixed)
print(net(X).shape, net)


class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self.add_module(str(idx), module)

    def forward(self, X):
        for module in self.children():
            X = module(X)
        return X


net = MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
net.apply(init_fixed)
print(net(X).shape, net)


class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.rand_weight = torch.ones((20, 20)) * 0.01
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(X @ self.rand_weight + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


net = FixedHiddenMLP()
net.apply(init_fixed)
print(net(X))


class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)

    def forward(self, X):
        return self.linear(self.net(X))


chimera = nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())
chimera.apply(init_fixed)
print(chimera(X), chimera)

# parameter management
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
net.apply(init_fixed)
X = torch.linspace(0, 1, 8).reshape(2, 4)
print(net(X))
print(net[2].state_dict())
print(isinstance(net[2].bias, nn.Parameter), net[2].bias.data)
print(net[2].weight.grad == None)
print(*[(name, param.shape) for name, param in net.named_parameters()])
print([name for name, _ in net.named_modules()], len(list(net.children())))


def init_normal(module):
    if type(module) == nn.Linear:
        nn.init.constant_(module.weight, 1)
        nn.init.zeros_(module.bias)


net.apply(init_normal)
print(net[0].weight.data[0], net[0].bias.data[0])

shared = nn.Linear(8, 8)
shared.apply(init_fixed)
net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1))
net[0].apply(init_fixed)
net[6].apply(init_fixed)
net(X)
print(net[2].weight.data[0] == net[4].weight.data[0])
net[2].weight.data[0, 0] = 100
print(net[2].weight.data[0] == net[4].weight.data[0])
print(len(list(net.parameters())), len(net.state_dict()))
net(X).sum().backward()
print(net[2].weight.grad[0])


# custom layers
class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()


layer = CenteredLayer()
print(layer(torch.tensor([1.0, 2, 3, 4, 5])))
net = nn.Sequential(nn.Linear(8, 128), CenteredLayer())
net.apply(init_fixed)
Y = net(torch.linspace(-2, 2, 32).reshape(4, 8))
print(Y.mean().abs() < 1e-6)


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.linspace(-1, 1, in_units * units).reshape(in_units, units))
        self.bias = nn.Parameter(torch.full((units,), 0.5))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)


linear = MyLinear(5, 3)
print(linear.weight)
print(linear(torch.linspace(0, 1, 10).reshape(2, 5)))
net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))
print(net(torch.linspace(-1, 1, 128).reshape(2, 64)))
print(net)
print(net.state_dict().keys())
