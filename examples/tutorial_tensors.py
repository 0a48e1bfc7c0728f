# After PyTorch's "Tensors" tutorial (Learn the Basics): making tensors, their attributes,
# indexing, joining, arithmetic, in-place operations and the bridge to numpy.
# Random tensors (torch.rand, rand_like) are replaced by fixed values, so that the script
# prints the same with symgrad as with PyTorch.
import numpy as np

import symgrad as torch

# --- Making a tensor ---
data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)

np_array = np.array(data)
x_np = torch.from_numpy(np_array)

x_ones = torch.ones_like(x_data)  # keeps the properties of x_data
print(f"Ones Tensor: \n {x_ones} \n")

x_half = torch.full_like(x_data, 0.5, dtype=torch.float)  # overrides the datatype
print(f"Filled Tensor: \n {x_half} \n")

shape = (2, 3,)
steps_tensor = torch.arange(6.0).reshape(shape) / 8
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)

print(f"Steps Tensor: \n {steps_tensor} \n")
print(f"Ones Tensor: \n {ones_tensor} \n")
print(f"Zeros Tensor: \n {zeros_tensor}")

# --- Attributes ---
tensor = torch.linspace(0, 1, 12).reshape(3, 4)

print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")

# --- Operations ---
if torch.accelerator.is_available():
    tensor = tensor.to(torch.accelerator.current_accelerator())

tensor = torch.ones(4, 4)
print(f"First row: {tensor[0]}")
print(f"First column: {tensor[:, 0]}")
print(f"Last column: {tensor[..., -1]}")
tensor[:, 1] = 0
print(tensor)

t1 = torch.cat([tensor, tensor, tensor], dim=1)
print(t1)

# three ways to a matrix product: y1, y2, y3 hold the same value
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.zeros_like(y1)
torch.matmul(tensor, tensor.T, out=y3)
print(y3)

# three ways to an element-wise product: z1, z2, z3 hold the same value
z1 = tensor * tensor
z2 = tensor.mul(tensor)
z3 = torch.zeros_like(tensor)
torch.mul(tensor, tensor, out=z3)
print(z3)

agg = tensor.sum()
agg_item = agg.item()
print(agg_item, type(agg_item))

print(f"{tensor} \n")
tensor.add_(5)
print(tensor)

# --- Bridge with numpy: the tensor and the array share memory ---
t = torch.ones(5)
print(f"t: {t}")
n = t.numpy()
print(f"n: {n}")

t.add_(1)
print(f"t: {t}")
print(f"n: {n}")

n = np.ones(5)
t = torch.from_numpy(n)

np.add(n, 1, out=n)
print(f"t: {t}")
print(f"n: {n}")
