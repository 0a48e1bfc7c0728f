# Seed document 000: "自动梯度" (autograd) -- requires_grad, grad_fn, backward, gradient
# accumulation, zeroing gradients, torch.no_grad and modifying tensor.data.
# (The notebook also does `import numpy as np`, which it never uses.)
import symgrad as torch

# --- Tensor differentiation: requires_grad defaults to False ---
x = torch.ones(2, 2, requires_grad=True)

y = x + 2
print(y.grad_fn)

z = y * y * 3
out = z.mean()

print(z)

# --- Gradients ---
out.backward()

print(x.grad)

# Gradients accumulate: out2 = x.sum() adds 1 to the existing 4.5
out2 = x.sum()
out2.backward()
print(x.grad)

# Zero the gradient in place
print(x.grad.data.zero_())

# --- Stop gradient tracking with torch.no_grad() ---
x = torch.tensor(1.0, requires_grad=True)
y1 = x**2
with torch.no_grad():
    y2 = x**3
y3 = y1 + y2

y3.backward()

print(x.grad)

# --- Changing tensor.data is not recorded by autograd ---
x = torch.ones(1, requires_grad=True)

print(x.data)  # still a tensor
print(x.data.requires_grad)  # but detached from the graph

y = 2 * x
x.data *= 100  # only changes the value; not recorded in the graph

y.backward()
print(x)  # changing .data also changes the tensor's value
print(x.grad)
