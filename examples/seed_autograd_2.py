# Seed document 001: "autograde" -- enabling autograd, grad_fn, backward from a single
# element, backward through a graph twice, summing before backward, gradient accumulation,
# zeroing gradients and the grad of intermediate nodes.
import symgrad as tf

# --- Enabling autograd ---
x = tf.ones(2, 3, requires_grad=True)
print(x)

x = tf.ones(2, 3)
print(x)
x.requires_grad = True
print(x)

# --- Using autograd ---
import symgrad as tf  # noqa: E402

x = tf.ones(3, 3, requires_grad=True)
print(x.grad_fn)  # no computation yet, so grad_fn is None

y = x**2
print(y.grad_fn)  # power -> PowBackward0

z = (y + 1) * y
print(z.grad_fn, z)

# --- Backward from a single element ---
try:
    z.backward()  # backward must start from a 0-d tensor, so this raises
except RuntimeError as e:
    print("RuntimeError:", e)

z[0][0].backward()  # backward from a single element works
print(x.grad)

try:
    z[0][0].backward()  # the graph was freed by the first backward, so this raises
except RuntimeError as e:
    print("RuntimeError:", e)

# --- Backward for all elements: sum first ---
import symgrad as t  # noqa: E402

x = t.ones(3, 2, requires_grad=True)
y = x**2
z = (y + 1) * y
s = z.sum()
print(s)
s.backward()
print(x.grad)

# --- grad accumulates automatically ---
x = t.ones(3, 2, requires_grad=True)
y = x**2
z = (y + 1) * y
s = z.sum()
print(s)
s.backward()
print(x.grad)
y = x**2
z = (y + 1) * y
s = z.sum()
print(s)
s.backward()
print(x.grad)  # x.grad becomes 12

# Clear grad before calling backward
x = t.ones(3, 2, requires_grad=True)
y = x**2
z = (y + 1) * y
s = z.sum()
print(s)
s.backward()
print(x.grad)
y = x**2
z = (y + 1) * y
s = z.sum()
print(s)
x.grad.data.zero_()
s.backward()
print(x.grad)  # x.grad is still 6

# --- grad of intermediate nodes ---
# Normally only leaf nodes get .grad; intermediate nodes do not.
x = t.ones(3, 2, requires_grad=True)
y = x**2
z = (y + 1) * y
s = z.sum()
print(s)
s.backward()
print(y.grad)
