# After PyTorch's "Double Backward with Custom Functions", "Extending PyTorch" and the
# autograd tutorial's Jacobian-product part with torch.autograd.functional: custom
# autograd.Functions checked with gradcheck/gradgradcheck, tensor hooks, jacobian, hessian,
# vjp, jvp, vhp, hvp.
import symgrad as torch


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 2

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return grad_out * 2 * x


x = torch.tensor([0.5, -1.25, 2.0], dtype=torch.double, requires_grad=True)
print(torch.autograd.gradcheck(Square.apply, x))
print(torch.autograd.gradgradcheck(Square.apply, x))
y = Square.apply(x)
print(y, y.grad_fn.__class__.__name__)
g, = torch.autograd.grad(y.sum(), x, create_graph=True)
print(g)
g.sum().backward()
print(x.grad)


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = torch.exp(x)
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_out):
        result, = ctx.saved_tensors
        return grad_out * result


x = torch.tensor([0.1, 0.2, -0.3], dtype=torch.double, requires_grad=True)
print(torch.autograd.gradcheck(Exp.apply, x), torch.autograd.gradgradcheck(Exp.apply, x))
out = Exp.apply(x)
print(out)


class Sinh(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        expx = torch.exp(x)
        expnegx = torch.exp(-x)
        ctx.save_for_backward(expx, expnegx)
        return (expx - expnegx) / 2, expx, expnegx

    @staticmethod
    def backward(ctx, grad_out, _grad_out_exp, _grad_out_negexp):
        expx, expnegx = ctx.saved_tensors
        grad_input = grad_out * (expx + expnegx) / 2
        grad_input += _grad_out_exp * expx
        grad_input -= _grad_out_negexp * expnegx
        return grad_input


def sinh(x):
    return Sinh.apply(x)[0]


x = torch.tensor([0.3, -0.7], dtype=torch.double, requires_grad=True)
print(torch.autograd.gradcheck(sinh, x), torch.autograd.gradgradcheck(sinh, x))
print(sinh(x))


class MulConstant(torch.autograd.Function):
    @staticmethod
    def forward(tensor, constant):
        return tensor * constant

    @staticmethod
    def setup_context(ctx, inputs, output):
        tensor, constant = inputs
        ctx.constant = constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


inp = (torch.linspace(-1, 1, 40, dtype=torch.double).reshape(20, 2).requires_grad_(),
       torch.tensor([[0.3, -0.1], [0.2, 0.4], [-0.5, 0.25]], dtype=torch.double, requires_grad=True))
print(torch.autograd.gradcheck(LinearFunction.apply, inp, eps=1e-6, atol=1e-4))
x = torch.tensor([1.0, 2.0], requires_grad=True)
z = MulConstant.apply(x, 3.0)
z.sum().backward()
print(z, x.grad)
out = LinearFunction.apply(inp[0], inp[1], torch.tensor([0.1, 0.2, 0.3], dtype=torch.double))
print(out[:2], out.grad_fn.__class__.__name__, out.requires_grad)

# hooks
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = a * 2
h = b.register_hook(lambda grad: grad * 10)
b.retain_grad()
b.sum().backward()
print(a.grad, b.grad)
h.remove()
a.grad = None
(a * 2).sum().backward()
print(a.grad)
a.register_hook(lambda grad: print("leaf hook", grad))
(a ** 2).sum().backward()
print(a.grad)

# gradcheck failing on a wrong backward
class Bad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, g):
        return g * 2

x = torch.tensor([1.0, 2.0], dtype=torch.double, requires_grad=True)
print(torch.autograd.gradcheck(Bad.apply, x, raise_exception=False))
try:
    torch.autograd.gradcheck(Bad.apply, x)
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])

# --- Jacobian products and torch.autograd.functional ---

inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

F = torch.autograd.functional
jacobian, hessian, vjp, jvp, vhp, hvp = F.jacobian, F.hessian, F.vjp, F.jvp, F.vhp, F.hvp

def exp_reducer(x):
    return x.exp().sum(dim=1)

inputs = torch.linspace(0.1, 1.2, 8).reshape(2, 4)
print(jacobian(exp_reducer, inputs))
print(jacobian(exp_reducer, inputs, create_graph=True))

def exp_adder(x, y):
    return 2 * x.exp() + 3 * y

inputs = (torch.tensor([0.2, -0.4]), torch.tensor([1.0, 0.5]))
print(jacobian(exp_adder, inputs))

def pow_reducer(x):
    return x.pow(3).sum()

inputs = torch.tensor([[0.5, -1.0], [2.0, 0.25]])
print(hessian(pow_reducer, inputs))

def pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()

inputs = (torch.tensor([0.5, 1.5]), torch.tensor([-1.0, 2.0]))
print(hessian(pow_adder_reducer, inputs))

inputs = torch.linspace(0.1, 1.6, 16).reshape(4, 4)
v = torch.ones(4)
print(vjp(exp_reducer, inputs, v))

def exp_reducer2(x):
    return x.exp().sum(dim=1)

v = torch.ones(4, 4)
print(jvp(exp_reducer2, inputs, v))

def pow_reducer2(x):
    return x.pow(3).sum()

inputs = torch.tensor([[0.5, -1.0], [2.0, 0.25]])
v = torch.ones(2, 2)
print(vhp(pow_reducer2, inputs, v))
print(hvp(pow_reducer2, inputs, v))
