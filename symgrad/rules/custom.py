"""Custom derivative rules as registry entries: a function with a user-written vjp
(``@symgrad.custom_vjp`` / ``symgrad.defvjp``) is one primitive like numpy's.

Its node prints a call of the function (defined in the generated module from the user's
source, or imported from the module that has it), its vjp a call of the user's backward,
``f_bwd(g, *args, out)``, through ``_cotangents``, which checks that the backward returned
one cotangent per argument, each shaped like it. Entries are registered at ``defvjp`` time,
so this family has none of its own.
"""

from __future__ import annotations

from typing import Any

from symgrad.rules.registry import COSTLY, Primitive, Rule, lazy_module, register, unregister

base = lazy_module("symgrad.rules.base")


class CustomCall(Rule):
    """args: the arrays the function is called with. Subclassed per custom function, with
    ``function``: (name, source or None, import module or None), ``backward``: (name,
    source)."""

    function: tuple[str, str | None, str | None] = ("", None, None)
    backward: tuple[str, str] = ("", "")

    def diff_args(self) -> tuple:
        return self.args

    def _numpycode(self, printer: Any) -> str:
        name, source, module = self.function
        if source is not None:
            printer.use_source(name, source)
        elif module is not None:
            printer.use_import(module)
        return f"{name}({', '.join(base._a(printer, a) for a in self.args)})"

    def vjp(self, g: Any) -> list[Any]:
        call = CustomBackward(base.static(self.backward), g, self, *self.args)
        return [CustomCotangent(call, base.static(i), a) for i, a in enumerate(self.args)]


class CustomBackward(Rule):
    """args: (Static((name, source)), g, out, *inputs): the user's backward called, its
    result checked (``_cotangents``): a tuple of one cotangent per input."""

    def diff_args(self) -> tuple:
        return self.args[1:]  # g, out and the inputs: it depends on all of them

    def vjp(self, g: Any) -> list[Any]:
        raise NotImplementedError("a second derivative through a custom vjp rule is not "
                                  "supported (its backward has no derivative of its own)")

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return fresh

    def _numpycode(self, printer: Any) -> str:
        name, source = base.sval(self.args[0])
        printer.use_source(name, source)
        g, out, *inputs = (base._a(printer, a) for a in self.args[1:])
        return base.helper_call(printer, "_cotangents", [
            base.static(_Text(f"{name}({', '.join([g, *inputs, out])})")),
            base.static(_Text(name)), *self.args[3:]])


class _Text(str):
    """Text a Static prints as it is (a call, a name), not as its repr."""

    def __repr__(self) -> str:
        return str(self)


class CustomCotangent(Rule):
    """args: (CustomBackward, Static(i), x): the i-th cotangent, shaped like x."""

    reads_shape_of = 2
    shape_like = 2
    n_diff = 1  # the backward's result

    def vjp(self, g: Any) -> list[Any]:
        raise NotImplementedError("a second derivative through a custom vjp rule is not "
                                  "supported (its backward has no derivative of its own)")

    def _numpycode(self, printer: Any) -> str:
        return f"{base._p(printer, self.args[0])}[{base.sval(self.args[1])}]"


def register_custom(obj: Any, name: str, params: str, function: tuple[str, str | None,
                    str | None], backward: tuple[str, str]) -> Primitive:
    """An entry binding ``obj`` (the object user code calls) to a rule made for it, with
    parameters ``params`` (the function's own: ``"x, k=2.0"``)."""
    rule = type(f"Custom_{name}", (CustomCall,), {
        "function": function, "backward": backward,
        "__doc__": f"{name}, with the user's vjp {backward[0]}"})
    names = tuple(p.split("=")[0] for p in params.split(", "))
    entry = Primitive(f"custom:{name}:{id(obj)}", binds=(obj,), params=params,
                      arrays=names, rule=rule, traits=frozenset({COSTLY}), eager=obj)
    unregister(f"custom:{name}:{id(obj)}")  # defvjp again: the new rule replaces the old
    return register(entry)


class CustomJvpCall(CustomCall):
    """A ``@symgrad.custom_jvp`` function's call: ``owner`` is the ``CustomJvp``, ``rule``
    its jvp ``(name, source)``. Forward mode calls the rule (``CustomTangent``); reverse
    mode calls the rule transposed by symgrad (``symgrad.transpose``)."""

    owner: Any = None
    rule: tuple[str, str] = ("", "")

    def jvp(self, tangents: list[Any]) -> Any:
        from symgrad.rules.grads import GradZeros

        tangents = [GradZeros(a) if t == 0 else t for a, t in zip(self.args, tangents,
                                                                    strict=True)]
        return CustomTangent(base.static(self.rule), base.static(self.function[:2]),
                             *self.args, *tangents)

    def vjp(self, g: Any) -> list[Any]:
        from symgrad.transpose import backward_source

        call = CustomBackward(base.static(backward_source(self.owner)), g, self, *self.args)
        return [CustomCotangent(call, base.static(i), a) for i, a in enumerate(self.args)]


class CustomTangent(Rule):
    """args: (Static(jvp rule), Static(function), *primals, *tangents): the tangent the
    user's jvp returns, ``f_jvp((x, ...), (dx, ...))[1]``, shaped like f's output."""

    def diff_args(self) -> tuple:
        return self.args[2:]

    def shape_class(self, arg_classes: list[int], fresh: int) -> int:
        return fresh

    def jvp(self, tangents: list[Any]) -> Any:
        raise NotImplementedError("a second derivative through a custom jvp rule")

    def vjp(self, g: Any) -> list[Any]:
        raise NotImplementedError("a second derivative through a custom jvp rule is not "
                                  "supported (its jvp has no derivative of its own)")

    def _numpycode(self, printer: Any) -> str:
        name, source = base.sval(self.args[0])
        printer.use_source(*base.sval(self.args[1]))  # the rule may call the function
        printer.use_source(name, source)
        items = [base._a(printer, a) for a in self.args[2:]]
        n = len(items) // 2

        def packed(xs: list[str]) -> str:
            return f"({xs[0]},)" if len(xs) == 1 else f"({', '.join(xs)})"

        return f"{name}({packed(items[:n])}, {packed(items[n:])})[1]"


def register_custom_jvp(obj: Any, name: str, params: str, function: tuple[str, str | None,
                        str | None], rule: tuple[str, str]) -> Primitive:
    """An entry binding ``obj`` (a ``CustomJvp``) to a rule made for it."""
    cls = type(f"CustomJvp_{name}", (CustomJvpCall,), {
        "function": function, "rule": rule, "owner": obj,
        "__doc__": f"{name}, with the user's jvp {rule[0]}"})
    names = tuple(p.split("=")[0] for p in params.split(", "))
    entry = Primitive(f"custom:{name}:{id(obj)}", binds=(obj,), params=params,
                      arrays=names, rule=cls, traits=frozenset({COSTLY}), eager=obj)
    unregister(f"custom:{name}:{id(obj)}")  # defjvp again: the new rule replaces the old
    return register(entry)
