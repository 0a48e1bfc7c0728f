"""The ``symgrad`` command line: show, export, check and formula for ``FILE.py:FUNC``;
``cache info`` and ``cache clear`` for the disk cache of generated modules.

Exit codes (also in ``symgrad --help``):

- 0: success (``check``: the gradient agrees with central differences);
- 1: ``check``: the gradient disagrees with central differences;
- 2: usage error or unsupported code: bad arguments, no such file or function, a file that
  fails to import, code symgrad cannot differentiate, shapes that do not fit together;
- 3: internal error: an exception inside symgrad, printed with its traceback (a bug);
- 4: ``check``: inconclusive: central differences at two step sizes disagree with each
  other, so they cannot check the gradient at these inputs.

Errors other than internal ones go to stderr as one message naming the file and line.
"""

from __future__ import annotations

import argparse
import importlib.util
import linecache
import os
import sys
import textwrap
import traceback
from pathlib import Path
from typing import Any

from symgrad.errors import SymgradError

OK = 0
DISAGREES = 1
USAGE_ERROR = 2  # and code symgrad cannot differentiate
INTERNAL_ERROR = 3
UNSTABLE = 4

EXIT_CODES = """exit codes:
  0  success (check: the gradient agrees with central differences)
  1  check: the gradient disagrees with central differences
  2  usage error, or code symgrad cannot differentiate (a message names the file and line)
  3  internal error in symgrad (a traceback is printed: please report it)
  4  check: inconclusive, central differences disagree with themselves at two step sizes"""


class UsageError(Exception):
    """Bad arguments: exit code 2."""


# ---------------------------------------------------------------- argument types


def parse_shape(text: str) -> tuple[str, tuple[int, ...]]:
    """``x=3,4`` -> ("x", (3, 4)); ``s=`` or ``s=()`` -> ("s", ())."""
    name, sep, dims = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(
            f"expected NAME=D1,D2,... (e.g. x=3,4; s= for a scalar), got {text!r}")
    dims = dims.strip().strip("()[]").replace("x", ",").replace(" ", "")
    if dims in ("", "scalar"):
        return name, ()
    try:
        shape = tuple(int(d) for d in dims.split(",") if d != "")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"shape of {name!r} must be integers separated by commas, got {text!r}") from None
    if any(d < 0 for d in shape):
        raise argparse.ArgumentTypeError(f"shape of {name!r} has a negative size: {text!r}")
    return name, shape


def parse_range(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH (e.g. -1,1), got {text!r}") from None
    if not lo < hi:
        raise argparse.ArgumentTypeError(f"LOW must be below HIGH, got {text!r}")
    return lo, hi


def parse_wrt(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise argparse.ArgumentTypeError("--wrt needs at least one parameter name")
    return names


# ---------------------------------------------------------------- loading FILE.py:FUNC


def load_target(target: str) -> tuple[Any, Path]:
    """The object ``FUNC`` (dotted names allowed) of ``FILE.py``, importing the file."""
    path_text, sep, func = target.rpartition(":")
    if not sep or not path_text or not func:
        raise UsageError(f"expected FILE.py:FUNC, got {target!r}")
    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"no such file: {path_text}")
    if not all(part.isidentifier() for part in func.split(".")):
        raise UsageError(f"{func!r} is not a function name")
    path = path.resolve()
    module_name = "_symgrad_cli_" + "".join(c if c.isalnum() else "_" for c in path.stem)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path_text}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except SymgradError:
        raise
    except SyntaxError as exc:
        raise SymgradError(f"SyntaxError: {exc.msg}", filename=exc.filename or str(path),
                           lineno=exc.lineno, source_line=exc.text,
                           col=None if exc.offset is None else exc.offset - 1,
                           end_col=None if exc.end_offset is None else exc.end_offset - 1
                           ) from None
    except Exception as exc:
        raise _import_error(exc, path) from None
    obj: Any = module
    for i, part in enumerate(func.split(".")):
        if not hasattr(obj, part):
            where = path_text if i == 0 else ".".join(func.split(".")[:i])
            raise UsageError(f"{where} has no {part!r}" + _available(obj))
        obj = getattr(obj, part)
    return obj, path


def _available(module: Any) -> str:
    from symgrad.api import GradFunction

    names = sorted(n for n, v in vars(module).items()
                   if not n.startswith("_") and (isinstance(v, GradFunction) or (
                       callable(v) and getattr(v, "__module__", None) == module.__name__
                       and not isinstance(v, type))))
    return f" (functions: {', '.join(names)})" if names else ""


def _import_error(exc: BaseException, path: Path) -> SymgradError:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if Path(f.filename).resolve() == path] if exc.__traceback__ else []
    frame = frames[-1] if frames else None
    return SymgradError(
        f"{type(exc).__name__}: {exc} (while importing {path.name})",
        filename=str(path), lineno=frame.lineno if frame else None,
        source_line=linecache.getline(str(path), frame.lineno) if frame and frame.lineno else None,
        hint="symgrad imports the file to find the function; it must import cleanly",
    )


def make_grad(obj: Any, wrt: tuple[str, ...] | None, target: str) -> Any:
    from symgrad.api import GradFunction, grad

    if isinstance(obj, GradFunction):
        fn = obj.fn
        if wrt is None:
            return obj
    else:
        fn = obj
    import inspect

    if not inspect.isfunction(fn):
        raise UsageError(f"{target} is {_what(fn)}, not a function")
    params = list(inspect.signature(fn).parameters)
    for name in wrt or ():
        if name not in params:
            raise UsageError(f"--wrt {name}: {fn.__name__} has no parameter {name!r} "
                             f"(parameters: {', '.join(params)})")
    return grad(fn, wrt=wrt)


def _what(obj: Any) -> str:
    """``an int (3)``, ``a class``, ``a module``: what a name that is not a function names."""
    import inspect

    from symgrad.errors import a_or_an

    if inspect.isclass(obj):
        return f"a class ({obj.__name__})"
    if inspect.ismodule(obj):
        return f"a module ({obj.__name__})"
    if inspect.isbuiltin(obj) or type(obj).__name__ == "ufunc":
        name = getattr(obj, "__name__", obj)
        return f"a built-in function ({name}), which has no Python source"
    if callable(obj):
        return f"a callable {type(obj).__name__} object"
    text = repr(obj)
    return a_or_an(type(obj).__name__) + (f" ({text})" if len(text) <= 40 else "")


def _shapes(args: argparse.Namespace, g: Any) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for name, shape in args.shape or ():
        if name not in g.params:
            raise UsageError(f"--shape {name}=...: {g.fn.__name__} has no parameter {name!r} "
                             f"(parameters: {', '.join(g.params)})")
        shapes[name] = shape
    return shapes


def _inputs(g: Any, shapes: dict, low: float, high: float, seed: int) -> list[Any]:
    import inspect

    import numpy as np

    rng = np.random.default_rng(seed)
    sig = inspect.signature(g.fn)
    values = []
    for name in g.params:
        if name in shapes:
            values.append(rng.uniform(low, high, size=shapes[name]))
        elif sig.parameters[name].default is not inspect.Parameter.empty:
            values.append(sig.parameters[name].default)
        else:
            raise UsageError(f"no shape for parameter {name!r}: pass --shape {name}=D1,D2,... "
                             f"(--shape {name}= for a scalar)")
    return values


# ---------------------------------------------------------------- commands


def _color(args: argparse.Namespace, stream: Any) -> bool:
    if args.color == "always":
        return True
    if args.color == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def cmd_show(args: argparse.Namespace) -> int:
    g = make_grad(load_target(args.target)[0], args.wrt, args.target)
    shapes = _shapes(args, g)
    if args.transform == "hessian" and shapes:  # the batched f_hessian, made for these shapes
        text = g.hessian.source_for(*_inputs(g, shapes, 0.1, 0.9, 0))
    elif shapes and args.transform != "grad":
        raise UsageError(f"--shape shows the gradient specialised for argument ranks, or the "
                         f"Hessian for those shapes; --{args.transform} has no specialisations")
    elif shapes:  # the gradient specialised for these ranks (a parameter not named: no array)
        import numpy as np

        text = g.source_for(*(np.zeros(shapes[n]) if n in shapes else None for n in g.params))
    else:
        text = g.source if args.transform == "grad" else getattr(g, args.transform).source
    if _color(args, sys.stdout):
        from symgrad.export import highlight_terminal

        text = highlight_terminal(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import warnings

    from symgrad.export import ExportWarning

    g = make_grad(load_target(args.target)[0], args.wrt, args.target)
    shapes = _shapes(args, g)
    if shapes:
        missing = [n for n in g.params if n not in shapes and _no_default(g, n)]
        if missing:
            raise UsageError(f"--shape given for some parameters but not {', '.join(missing)}")
    elif g._last_call is None:
        print(f"symgrad export: note: no --shape given, so {args.output}'s self-check has "
              "no arguments to check at (pass --shape NAME=D1,D2 for each parameter)",
              file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExportWarning)  # the note above says it, once
        path = g.export(args.output, shapes=shapes or None)
    print(f"wrote {path}: {g._generated.primal_name}, {g._generated.grad_name}, "
          f"{g._generated.value_and_grad_name}")
    return OK


def _no_default(g: Any, name: str) -> bool:
    import inspect

    return inspect.signature(g.fn).parameters[name].default is inspect.Parameter.empty


def cmd_check(args: argparse.Namespace) -> int:
    from symgrad.gradcheck import check

    g = make_grad(load_target(args.target)[0], args.wrt, args.target)
    shapes = _shapes(args, g)
    low, high = args.range
    values = _inputs(g, shapes, low, high, args.seed)
    report = check(g, *values, eps=args.eps, rtol=args.rtol, atol=args.atol)
    desc = ", ".join(f"{n}{list(s)}" for n, s in shapes.items())
    print(f"{report.summary()}  [inputs: {desc or 'defaults'}; uniform in ({low:g}, {high:g}), "
          f"seed {args.seed}]")
    if report.unstable:
        return UNSTABLE
    return OK if report.ok else DISAGREES


def cmd_formula(args: argparse.Namespace) -> int:
    g = make_grad(load_target(args.target)[0], args.wrt, args.target)
    shapes = _shapes(args, g)
    f = g.formula(shapes=shapes or None)
    if args.latex:
        import sympy

        print(sympy.latex(f))
    else:
        print(f)
    return 0


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def cmd_cache_info(args: argparse.Namespace) -> int:
    from symgrad import cache

    info = cache.info()
    if info.path is None:
        print(f"disk cache: off ({cache._ENV}={os.environ.get(cache._ENV)})")
        return 0
    where = f"({cache._ENV})" if os.environ.get(cache._ENV, "").strip() else \
        f"(the default; {cache._ENV} moves it)"
    limit = f"({cache._MAX_ENV})" if os.environ.get(cache._MAX_ENV, "").strip() else \
        f"(the default; {cache._MAX_ENV} changes it)"
    if info.problem is not None:
        status = f"refused, symgrad runs uncached: {info.problem}"
    elif not info.path.exists():
        status = "not created yet"
    else:
        status = "in use"
    print(f"path:    {info.path} {where}")
    print(f"status:  {status}")
    print(f"entries: {info.entries}")
    print(f"size:    {_megabytes(info.size)}")
    print(f"limit:   {_megabytes(info.limit)} {limit}")
    return 0


def cmd_supported(args: argparse.Namespace) -> int:
    from symgrad import catalog

    return catalog.main(["--counts"] if args.counts else [])


def cmd_cache_clear(args: argparse.Namespace) -> int:
    from symgrad import cache

    root = cache.cache_dir()
    if root is None:
        print(f"disk cache: off ({cache._ENV}={os.environ.get(cache._ENV)}); nothing to clear")
        return 0
    n = cache.clear()
    print(f"removed {n} {'entry' if n == 1 else 'entries'} from {root}")
    return 0


# ---------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symgrad",
        description="Generate, inspect and check numpy gradient code for a Python function.",
        epilog=textwrap.fill("FILE.py:FUNC names a function in a file, e.g. model.py:loss. "
                             "The file is imported (as a module not named __main__) to find "
                             "it.", 79) + "\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def command(name: str, help: str, description: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=textwrap.fill(description, 79),
                           epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("target", metavar="FILE.py:FUNC", help="the function to differentiate")
        p.add_argument("--wrt", type=parse_wrt, metavar="A,B",
                       help="parameters to differentiate with respect to (default: all, or "
                       "the wrt of a @symgrad.grad function)")
        return p

    def shape_option(p: argparse.ArgumentParser, help: str) -> None:
        p.add_argument("--shape", type=parse_shape, action="append", metavar="NAME=D1,D2",
                       help=help)

    p = command("show", "print the generated gradient code",
                "Print the generated numpy module (highlighted on a terminal when pygments "
                "is installed).")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="highlight the code (default: when stdout is a terminal)")
    shape_option(p, "show the gradient specialised for arrays of these ranks, as a call "
                 "with them runs it, e.g. x=8,4 (repeat per array parameter; x= for a 0-d "
                 "array; a parameter not named is taken to be no array); with --hessian, "
                 "the shapes f_hessian is made for")
    which = p.add_mutually_exclusive_group()
    for name, what in (("jvp", "the forward-mode module (f_jvp)"),
                       ("hvp", "the Hessian-vector product module (f_hvp)"),
                       ("hessian", "the Hessian's module (f_hessian, for the --shape "
                        "given; else f_hvp, which it is built from)")):
        which.add_argument(f"--{name}", dest="transform", action="store_const", const=name,
                           help=f"print {what} instead of the gradient's")
    p.set_defaults(run=cmd_show, transform="grad")

    p = command("export", "write a standalone, self-checking module",
                "Write the generated module to OUT.py: numpy is its only import, and "
                "`python OUT.py` checks the gradient against central differences.")
    p.add_argument("-o", "--output", required=True, metavar="OUT.py", help="where to write")
    shape_option(p, "argument shape for the module's self-check (repeat per parameter)")
    p.set_defaults(run=cmd_export)

    p = command("check", "check the gradient against central differences",
                "Check the generated gradient at random inputs of the given shapes against "
                "central differences in float64. An entry that disagrees is differenced "
                "again with a 10x smaller step: when the two disagree with each other, the "
                "check is inconclusive (\"finite differences unstable here\", exit 4) rather "
                "than failed (exit 1).")
    shape_option(p, "shape of a parameter's random input, e.g. x=3,4 (x= for a scalar); "
                 "repeat for each parameter without a default")
    p.add_argument("--range", type=parse_range, default=(0.1, 0.9), metavar="LOW,HIGH",
                   help="inputs are uniform in this interval (default: 0.1,0.9; write "
                   "--range=-1,1 when LOW is negative)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--eps", type=float, default=1e-6, help="finite-difference step")
    p.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance")
    p.add_argument("--atol", type=float, default=1e-8, help="absolute tolerance")
    p.set_defaults(run=cmd_check)

    p = command("formula", "print the gradient as mathematics",
                "Print the gradients as formulas over the parameters (per entry), "
                "intermediates substituted back and simplified.")
    shape_option(p, "give sizes as numbers for these shapes, e.g. x=2,2")
    p.add_argument("--latex", action="store_true", help="print LaTeX")
    p.set_defaults(run=cmd_formula)

    p = sub.add_parser("supported", help="list the functions and methods symgrad differentiates",
                       description="List, from the registry, every numpy, math and scipy "
                       "function and ndarray method symgrad differentiates (as the README's "
                       "Supported functions section does).")
    p.add_argument("--counts", action="store_true", help="print how many per namespace")
    p.set_defaults(run=cmd_supported)

    p = sub.add_parser("cache", help="show or clear the disk cache of generated modules",
                       description="The disk cache of generated modules (one file per "
                       "function and wrt). SYMGRAD_CACHE_DIR moves it (=0 turns it off); "
                       "SYMGRAD_CACHE_MAX_MB bounds its size.")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    actions.add_parser("info", help="print its folder, state, entry count, size and limit",
                       description="Print the cache folder, whether symgrad uses it (and why "
                       "not), its entry count, size and size limit."
                       ).set_defaults(run=cmd_cache_info)
    actions.add_parser("clear", help="delete every entry (and the signing key)",
                       description="Delete every cache entry, leftover temporary file and the "
                       "signing key; the next write makes a new key."
                       ).set_defaults(run=cmd_cache_clear)
    return parser


def _version() -> str:
    import symgrad

    return f"symgrad {symgrad.__version__}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with 2 on usage errors, 0 on --help
    prog = f"symgrad {args.command}"
    try:
        return args.run(args)
    except UsageError as exc:
        sub = parser._subparsers._group_actions[0].choices[args.command]  # type: ignore[union-attr]
        sub.print_usage(sys.stderr)
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except SymgradError as exc:
        print(f"{prog}: error:\n{exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except Exception:  # symgrad's own failure: everything a bug report needs
        traceback.print_exc()
        print(f"{prog}: internal error: this is a bug in symgrad {_version().split()[-1]}; "
              "please report it with the traceback above", file=sys.stderr)
        return INTERNAL_ERROR


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
