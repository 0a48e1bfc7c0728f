# Seed document 002: setting requires_grad on a Tensor, gradients, accumulation,
# backward of a non-scalar output with a weight tensor, and interrupting tracking.
import symgrad as torch

# --- Tensor settings and attributes ---
x = torch.ones(2, 2, requires_grad=True)
# requires_grad=True makes autograd track every operation on x
print(x)
print(x.grad_fn)
# x was created directly (a leaf node), so its grad_fn is None

y = x + 2
print(y)
print(y.grad_fn)

z = y * y + 2
print(z)
z = z.mean()
print(z)

print(z.grad_fn)

# --- Changing requires_grad ---
torch.manual_seed(0)
a = torch.randn(2, 2)  # requires_grad defaults to False
print(a.requires_grad)

a.requires_grad_(True)
print(a.requires_grad)

# --- Gradients ---
z.backward()
print(x.grad)
# y is not a leaf, so its grad is None
print(y.grad)

out = x.sum()
out.backward()
print(x.grad)
out1 = x.sum()
out.backward()
print(x.grad)
# gradients accumulate over backward passes

out2 = x.sum()
x.grad.data.zero_()
# zero the gradient
out.backward()
print(x.grad)

# --- When the output is not a scalar ---
x = torch.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
y = 2 * x
z = y.view(2, 2)
print(z)

# z is not a scalar, so backward needs a weight tensor of the same shape
v = torch.tensor([[1.0, 0.1], [0.01, 0.001]], dtype=torch.float)
z.backward(v)
print(x.grad)

# --- Interrupting gradient tracking ---
x = torch.tensor(1.0, requires_grad=True)
y1 = x**2
with torch.no_grad():
    y2 = x**3
y3 = y1 + y2
print(x.requires_grad)
print(y1.requires_grad, y2.requires_grad, y3.requires_grad)

y3.backward()
print(x.grad)
# y2 was not tracked, so it is treated as a constant (its gradient is 0)
