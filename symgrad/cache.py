"""A disk cache of generated modules, so a second process skips SymPy entirely.

One JSON file per (function source, resolved names, symgrad, wrt) under the platform's user
cache directory (``SYMGRAD_CACHE_DIR`` moves it; ``SYMGRAD_CACHE_DIR=0`` turns it off).

Safety, in this order of importance:

- a stale hit is worse than a miss, so anything the generated text can depend on is in the
  key: the function's source and file, the fingerprint of every global and closure value it
  names (arrays by content), its defaults, ``wrt``, the symgrad version *and* the size and
  mtime of symgrad's own source files (so editing symgrad invalidates the cache), numpy's
  version. A value that cannot be fingerprinted makes the function uncachable;
- writes go to a private temporary file that is atomically renamed into place, so two
  processes writing the same entry both succeed and a reader never sees half a file;
- a file that is truncated, corrupt, or fails its checksum is a miss: the module is
  regenerated and the file rewritten. The cache never raises.

This module must not import SymPy: a cache hit is the fast path.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
import tempfile
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symgrad import live
from symgrad.live import code_names

FORMAT = 2
_ENV = "SYMGRAD_CACHE_DIR"
_MAX_SCALAR_REPR = 200


@dataclass
class CachedGenerated:
    """The fields of ``codegen.Generated``, rebuilt from a cache file without SymPy."""

    source: str
    primal_name: str
    grad_name: str
    value_and_grad_name: str
    seed_param: str
    constants: str = "[]"


_FIELDS = ("source", "primal_name", "grad_name", "value_and_grad_name", "seed_param",
           "constants")


def cache_dir() -> Path | None:
    """Where cache files live, or None when caching is turned off."""
    env = os.environ.get(_ENV)
    if env is not None and env.strip() != "":
        if env.strip().lower() in ("0", "off", "false", "no", "none"):
            return None
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "symgrad" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "symgrad"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "symgrad"


# ---------------------------------------------------------------- keys

_SELF_FINGERPRINT: str | None = None


def _symgrad_fingerprint() -> str:
    """symgrad's version plus the size and mtime of each of its source files."""
    global _SELF_FINGERPRINT
    if _SELF_FINGERPRINT is None:
        import numpy

        import symgrad

        root = Path(__file__).resolve().parent
        h = hashlib.sha256()
        h.update(f"{getattr(symgrad, '__version__', '?')}|numpy {numpy.__version__}".encode())
        for path in sorted(root.rglob("*.py")):
            try:
                st = path.stat()
            except OSError:
                continue
            h.update(f"|{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns}".encode())
        _SELF_FINGERPRINT = h.hexdigest()
    return _SELF_FINGERPRINT


class _Uncachable(Exception):
    pass


def _fingerprint(value: Any, depth: int = 0, keep: list | None = None) -> str:
    """A process-independent description of a value the generated code may depend on.

    A value with no such description makes the function uncachable, unless ``keep`` is a
    list: the value is then described by its identity and appended to ``keep``, whose holder
    must keep it alive (an id is unique only while its object lives).
    """
    import numpy as np

    if depth > 4:
        return _identity(value, keep)
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        text = repr(value)
        if len(text) > _MAX_SCALAR_REPR:
            text = hashlib.sha256(text.encode()).hexdigest()
        return f"{type(value).__name__}:{text}"
    if isinstance(value, np.generic):
        return f"np.{value.dtype.str}:{value.item()!r}"
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            return _identity(value, keep)
        data = np.ascontiguousarray(value)
        digest = hashlib.sha256(data.view(np.uint8).reshape(-1).tobytes()).hexdigest()
        return f"ndarray:{value.dtype.str}:{value.shape}:{digest}"
    if isinstance(value, (tuple, list)):
        inner = ",".join(_fingerprint(v, depth + 1, keep) for v in value)
        return f"{type(value).__name__}({inner})"
    if isinstance(value, types.ModuleType):
        return f"module:{value.__name__}"
    wrapped = getattr(value, "__symgrad_wrapped__", None)
    if isinstance(wrapped, types.FunctionType):  # a @symgrad.grad function: its source counts
        value = wrapped
    if isinstance(value, types.FunctionType):
        # a user function is inlined: its code and everything it reads, recursively, so that
        # editing a helper (or a helper's constant) invalidates the entry
        h = _code_hash(value, keep)
        if depth < 4 and value.__module__.split(".")[0] not in ("numpy", "symgrad"):
            h.update("".join(_name_fingerprints(value, depth + 1, keep)).encode())
        return f"function:{value.__module__}.{value.__qualname__}:{h.hexdigest()}"
    if isinstance(value, type):
        return f"type:{value.__module__}.{value.__qualname__}"
    # numpy ufuncs, builtins, symgrad's own objects: named objects reachable by import
    module = getattr(value, "__module__", None) or getattr(type(value), "__module__", None)
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if isinstance(module, str) and isinstance(name, str):
        if module.split(".")[0] in ("numpy", "builtins", "math", "symgrad"):
            return f"object:{module}.{name}:{type(value).__qualname__}"
    if isinstance(value, np.ufunc):
        return f"ufunc:{value.__name__}"
    return _identity(value, keep)


def _identity(value: Any, keep: list | None) -> str:
    if keep is None:
        raise _Uncachable
    keep.append(value)
    return f"id:{type(value).__qualname__}:{id(value)}"


def _code_hash(fn: types.FunctionType, keep: list | None = None) -> Any:
    """A function's own code, constants, names and defaults (not what it calls)."""
    code = fn.__code__
    h = hashlib.sha256(code.co_code)
    h.update(repr(code.co_consts).encode(errors="replace"))
    h.update(repr(code.co_names).encode())
    h.update(_fingerprint(fn.__defaults__ or (), 1, keep).encode())
    return h


def _name_fingerprints(fn: Any, depth: int, keep: list | None = None) -> list[str]:
    """``name=fingerprint`` for every global, closure value and builtin the code reads."""
    import builtins

    parts = []
    code = fn.__code__
    closure = dict(zip(code.co_freevars, fn.__closure__ or (), strict=True))
    for name in sorted(code_names(code)):
        if name in closure:
            try:
                value = closure[name].cell_contents
            except ValueError:
                parts.append(f"{name}=<empty cell>")
                continue
        elif name in fn.__globals__:
            value = fn.__globals__[name]
        elif hasattr(builtins, name):
            value = getattr(builtins, name)
        else:
            parts.append(f"{name}=<missing>")
            continue
        if value is fn:
            parts.append(f"{name}=<itself>")  # recursion
            continue
        parts.append(f"{name}={_fingerprint(value, depth, keep)}")
    return parts


def cache_key(fn: Any, wrt: list[str] | tuple[str, ...], keep: list | None = None,
              has_aux: bool = False) -> str | None:
    """The hex key for ``fn`` differentiated by ``wrt``; None when ``fn`` is not cachable.

    Values are keyed by content, never by ``id()`` (ids are reused after garbage
    collection). With a ``keep`` list, a value that has no content description is keyed by
    identity and appended to ``keep`` (see ``_fingerprint``): a key for this process only,
    valid while ``keep`` lives; a key that needed ``keep`` must not be written to disk.
    """
    try:
        lines, firstlineno = inspect.getsourcelines(fn)
        filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
        parts = [
            f"format {FORMAT}",
            _symgrad_fingerprint(),
            f"file {filename}:{firstlineno}",
            f"name {fn.__module__}.{fn.__qualname__}",
            "source " + "".join(lines),
            "wrt " + ",".join(wrt) + (" has_aux" if has_aux else ""),
            "defaults " + _fingerprint(fn.__defaults__ or (), 0, keep),
        ]
        # everything the generated code may have baked in, however it is reached (helpers
        # of helpers, module and object attributes): the same list live.py watches
        for w in live.watch(fn):  # (each function on its own: the list holds its callees)
            text = f"code:{_code_hash(w.seen, keep).hexdigest()}" \
                if isinstance(w.seen, types.FunctionType) else _fingerprint(w.seen, 1, keep)
            parts.append(f"read {'.'.join(w.origin)}={text}")
        parts += _name_fingerprints(fn, 0, keep)
    except (_Uncachable, OSError, TypeError, ValueError, RecursionError):
        return None
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


# ---------------------------------------------------------------- files


def _path(key: str) -> Path | None:
    root = cache_dir()
    return None if root is None else root / f"{key[:2]}" / f"{key}.json"


def _checksum(fields: dict[str, str]) -> str:
    h = hashlib.sha256()
    for name in _FIELDS:
        h.update(name.encode() + b"\0" + fields[name].encode("utf-8", "surrogatepass") + b"\0")
    return h.hexdigest()


def load(key: str | None) -> CachedGenerated | None:
    """The cached module for ``key``, or None (missing, corrupt, truncated, unreadable)."""
    if key is None:
        return None
    path = _path(key)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != key:
            return None
        fields = {name: data[name] for name in _FIELDS}
        if not all(isinstance(v, str) for v in fields.values()):
            return None
        if data.get("checksum") != _checksum(fields):
            return None
        return CachedGenerated(**fields)
    except (OSError, ValueError, KeyError, TypeError, UnicodeError):
        return None


def store(key: str | None, generated: Any) -> bool:
    """Write ``generated`` under ``key`` atomically; False (never an exception) on failure."""
    if key is None:
        return False
    path = _path(key)
    if path is None:
        return False
    try:
        fields = {name: str(getattr(generated, name)) for name in _FIELDS}
        data = {"format": FORMAT, "key": key, **fields, "checksum": _checksum(fields)}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return True
    except (OSError, ValueError, TypeError, AttributeError):
        return False


def clear() -> int:
    """Delete every cache file; the number deleted."""
    root = cache_dir()
    if root is None or not root.is_dir():
        return 0
    n = 0
    for path in root.glob("*/*.json"):
        try:
            path.unlink()
            n += 1
        except OSError:
            pass
    return n
