# Seed document 003: "2.3 自動求梯度" (automatic gradients, from Dive into DL PyTorch):
# concepts, Tensor, gradients, non-scalar backward, interrupting tracking, tensor.data.
import symgrad as torch

# --- 2.3.2 Tensor ---
x = torch.ones(2, 2, requires_grad=True)
print(x)
print(x.grad_fn)

y = x + 2
print(y)
print(y.grad_fn)

print(x.is_leaf, y.is_leaf)  # True False

z = y * y * 3
out = z.mean()
print(z, out)

# requires_grad_() changes requires_grad in place
torch.manual_seed(0)
a = torch.randn(2, 2)  # requires_grad defaults to False
a = (a * 3) / (a - 1)
print(a.requires_grad)  # False
a.requires_grad_(True)
print(a.requires_grad)  # True
b = (a * a).sum()
print(b.grad_fn)

# --- 2.3.3 Gradients ---
out.backward()  # same as out.backward(torch.tensor(1.))

print(x.grad)

# backward again; note that grad accumulates
out2 = x.sum()
out2.backward()
print(x.grad)

out3 = x.sum()
x.grad.data.zero_()
out3.backward()
print(x.grad)

# Non-scalar output: backward needs a weight tensor shaped like z
x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
y = 2 * x
z = y.view(2, 2)
print(z)

v = torch.tensor([[1.0, 0.1], [0.01, 0.001]], dtype=torch.float)
z.backward(v)
print(x.grad)

# Interrupting gradient tracking
x = torch.tensor(1.0, requires_grad=True)
y1 = x**2
with torch.no_grad():
    y2 = x**3
y3 = y1 + y2

print(x.requires_grad)
print(y1, y1.requires_grad)  # True
print(y2, y2.requires_grad)  # False
print(y3, y3.requires_grad)  # True

y3.backward()
print(x.grad)

# y2.requires_grad is False, so y2.backward() raises
try:
    y2.backward()
except RuntimeError as e:
    print("RuntimeError:", e)

# Modifying tensor.data is not recorded by autograd
x = torch.ones(1, requires_grad=True)

print(x.data)  # still a tensor
print(x.data.requires_grad)  # but detached from the graph

y = 2 * x
x.data *= 100  # only changes the value; not recorded in the graph

y.backward()
print(x)  # changing .data also changes the tensor's value
print(x.grad)
