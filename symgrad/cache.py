"""A disk cache of generated modules, so a second process skips SymPy entirely.

One JSON file per (function source, resolved names, symgrad, wrt), and one per eager vjp
(primitive, static arguments, symgrad: ``vjp_key``), under the platform's user cache
directory (``SYMGRAD_CACHE_DIR`` moves it; ``SYMGRAD_CACHE_DIR=0`` turns it off).
A hit ``exec``s the file's text, so the cache is guarded like ssh guards its keys.

Safety, in this order of importance:

- only code this user wrote runs: the folders are 0o700 and the files 0o600; a folder, key
  or entry owned by another user, or writable by group or others, is not loaded from (a
  warning, once, names it and why; the transform then runs uncached); every entry carries an
  HMAC-SHA256 under a random per-user key kept in the cache (0o600), and one that does not
  verify is a miss. Windows has no POSIX owners and modes, so those checks are skipped there;
- a stale hit is worse than a miss, so anything the generated text can depend on is in the
  key: the function's source and file, the fingerprint of every global and closure value it
  names (arrays by content), its defaults, ``wrt``, the symgrad version *and* the size and
  mtime of symgrad's own source files (so editing symgrad invalidates the cache), numpy's
  version. A value that cannot be fingerprinted makes the function uncachable;
- writes go to a private temporary file that is atomically renamed into place, so two
  processes writing the same entry both succeed and a reader never sees half a file;
- a file that is truncated, corrupt, or fails its checksum is a miss: the module is
  regenerated and the file rewritten. The cache never raises;
- the cache is bounded (``SYMGRAD_CACHE_MAX_MB``, 200 by default): a write that takes it
  over the limit deletes the least recently used entries (a hit sets the entry's times).

This module must not import SymPy: a cache hit is the fast path.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import inspect
import json
import os
import stat
import sys
import tempfile
import time
import types
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symgrad import live
from symgrad.generated import Generated, VjpModule
from symgrad.live import code_names

FORMAT = 3  # 3: entries carry an HMAC
_ENV = "SYMGRAD_CACHE_DIR"
_MAX_SCALAR_REPR = 200
# what an entry may hold: each field a str, in the file as it is (the MAC covers the fields'
# names, so an entry of one kind never verifies as the other)


@dataclass
class Checked:
    """That a function passed the checks of its decoration (``transform.lowered``), under
    the key of its generic module (``checked_key``): a decoration that finds it has nothing
    left to check, and transforms nothing until a call needs a module."""

    name: str  # the function's qualified name (for a person reading the cache)


_KINDS: dict[str, type] = {"Generated": Generated, "VjpModule": VjpModule, "Checked": Checked}
_FIELDS = tuple(f.name for f in dataclasses.fields(Generated))


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
    rule = getattr(type(value), "__symgrad_rule__", None)
    if rule is not None:  # a custom_vjp function: its code and its rule's
        return "custom:" + ",".join(_fingerprint(f, depth + 1, keep) for f in value.__symgrad_rule__)
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
              has_aux: bool = False, statics: dict[str, Any] | None = None,
              ranks: dict[str, Any] | None = None) -> str | None:
    """The hex key for ``fn`` differentiated by ``wrt``; None when ``fn`` is not cachable.

    Values are keyed by content, never by ``id()`` (ids are reused after garbage
    collection). With a ``keep`` list, a value that has no content description is keyed by
    identity and appended to ``keep`` (see ``_fingerprint``): a key for this process only,
    valid while ``keep`` lives; a key that needed ``keep`` must not be written to disk.
    """
    try:
        from symgrad.frontend.parse import source_lines

        lines, firstlineno = source_lines(fn)  # (read once per decoration)
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
        if statics:  # the static parameters' values the module is specialised for
            parts.append("static " + ",".join(f"{k}={type(v).__name__}:{v!r}"
                                              for k, v in sorted(statics.items())))
        if ranks:  # the argument ranks the module is specialised for (adjoint.ranks)
            parts.append("ranks " + ",".join(f"{k}={v!r}" for k, v in sorted(ranks.items())))
        # everything the generated code may have baked in, however it is reached (helpers
        # of helpers, module and object attributes): the same list live.py watches
        for w in live.watch(fn):  # (each function on its own: the list holds its callees)
            text = f"code:{_code_hash(w.seen, keep).hexdigest()}" \
                if isinstance(w.seen, types.FunctionType) else _fingerprint(w.seen, 1, keep)
            parts.append(f"read {'.'.join(w.origin)}={text}")
        parts += _name_fingerprints(fn, 0, keep)
        parts += _compiled_rules()
    except (_Uncachable, OSError, TypeError, ValueError, RecursionError):
        return None
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def checked_key(key: str | None) -> str | None:
    """The key of the ``Checked`` entry of the module keyed ``key``."""
    return None if key is None else hashlib.sha256(f"checked {key}".encode()).hexdigest()


def _compiled_rules() -> list[str]:
    """The rules ``symgrad.defvjp`` gave compiled functions (scipy.linalg.expm's): a
    function reaches them through a module attribute, which no fingerprint reads, and a
    rule defined again must not reuse a module made with the old one."""
    from symgrad.rules import registry

    out = []
    for name, entry in list(registry._BY_NAME.items()):
        function = getattr(entry.rule, "function", None) if name.startswith("custom:") \
            else None
        if function is not None and function[1] is None:  # (inline ones: __symgrad_rule__)
            out.append(f"rule {function[0]}={entry.rule.backward!r}")
    return sorted(out)


def vjp_key(op: str, static: dict[str, Any]) -> str | None:
    """The hex key of the eager vjp of ``op`` with its static arguments; None when one of
    them has no content description. The vjp's text depends on its rule and on codegen,
    the printer and the helpers: all of symgrad's source (``_symgrad_fingerprint``)."""
    try:
        parts = [f"format {FORMAT}", "eager vjp", _symgrad_fingerprint(), f"op {op}"]
        parts += [f"{k}={_fingerprint(v)}" for k, v in sorted(static.items())]
    except (_Uncachable, TypeError, ValueError, RecursionError):
        return None
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


# ---------------------------------------------------------------- files
#
# ROOT/key is the per-user HMAC key; ROOT/ab/ab....json is the entry for key ab...., in a
# subfolder named by its first two hex digits. Folders are 0o700 and files 0o600, whatever
# the umask. Each file is written to a private temporary file and renamed into place.

_MAX_ENV = "SYMGRAD_CACHE_MAX_MB"
DEFAULT_MAX_MB = 200
_MB = 1_000_000
_KEY_FILE = "key"
_KEY_BYTES = 32
_STALE_TMP_SECONDS = 3600  # a temporary file this old was left by a writer that died
_POSIX = os.name != "nt"  # Windows has no POSIX owners and modes: those checks are skipped
_O_READ = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


class CacheWarning(UserWarning):
    """symgrad did not use (part of) its disk cache; the transform runs uncached."""


class _Refused(Exception):
    """This directory, key or entry must not be used; the user has been warned."""


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message in _WARNED:
        return
    _WARNED.add(message)
    try:
        warnings.warn(message, CacheWarning, stacklevel=2)
    except Exception:  # warnings turned into errors: the cache still never raises
        sys.stderr.write(message + "\n")


def _uid() -> int:
    return os.geteuid()


def _unsafe(st: os.stat_result, secret: bool = False) -> str | None:
    """Why a file or folder with this ``stat`` must not be trusted; None if it may be."""
    if not _POSIX:
        return None
    if st.st_uid != _uid():
        return f"it is owned by uid {st.st_uid}, not by you (uid {_uid()})"
    mode = stat.S_IMODE(st.st_mode)
    bad = mode & (0o077 if secret else 0o022)
    if not bad:
        return None
    who = " and ".join(w for w, bits in (("its group", 0o070), ("others", 0o007)) if bad & bits)
    return f"it can be {'read' if secret else 'written'} by {who} (mode {mode:#o})"


def _dir_problem(path: Path) -> str | None:
    """Why the folder ``path`` must not be loaded from; OSError when it does not exist."""
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise NotADirectoryError(str(path))
    return _unsafe(st)


def _trust_dir(path: Path) -> None:
    problem = _dir_problem(path)
    if problem is not None:
        _warn_once(f"symgrad: not using the disk cache folder {path}: {problem}; running "
                   f"uncached. Make it private (chmod 700) or point {_ENV} at a folder of "
                   "your own.")
        raise _Refused


def _make_dir(path: Path) -> None:
    """Create the cache folder ``path`` (mode 0o700) unless it exists, then check it."""
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)  # the user's own folders: their modes
    try:
        os.mkdir(path, 0o700)
        os.chmod(path, 0o700)  # the umask may have taken bits away
    except FileExistsError:
        pass
    _trust_dir(path)


def _write_private(path: Path, data: bytes, exclusive: bool = False) -> None:
    """Write ``path`` at mode 0o600 through a temporary file: no reader sees part of it.

    ``exclusive`` keeps an existing ``path``: of processes racing to create it, exactly one
    wins (a hard link fails when the name exists), and all of them then read the winner's.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:16]}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), 0o600)
            f.write(data)
        if not exclusive:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            except OSError:  # no hard links here: the last writer wins, and a key that
                if not os.path.lexists(path):  # lost only makes its entries misses
                    os.replace(tmp, path)
    finally:
        _unlink(Path(tmp))


def _unlink(path: Path) -> bool:
    """Delete ``path``; whether it is gone (another process may have deleted it first)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:  # e.g. open in another process on Windows
        return False
    return True


def _read_secret(root: Path) -> bytes | None:
    """The cache's HMAC key; None when there is none yet or it is damaged."""
    path = root / _KEY_FILE
    try:
        fd = os.open(path, _O_READ)
    except FileNotFoundError:
        return None
    except OSError:  # a link (O_NOFOLLOW): damaged, and replaced on the next write
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        problem = _unsafe(st, secret=True)
        if problem is not None:
            _warn_once(f"symgrad: not using the disk cache in {root}: its key file {path} "
                       f"cannot be trusted: {problem}; running uncached. `symgrad cache "
                       "clear` deletes it (a new key is made on the next write).")
            raise _Refused
        secret = f.read(_KEY_BYTES + 1)
    return secret if len(secret) == _KEY_BYTES else None


def _secret(root: Path) -> bytes | None:
    """The cache's HMAC key, made (random, per user, mode 0o600) if there is none."""
    secret = _read_secret(root)
    if secret is None:
        path = root / _KEY_FILE
        damaged = os.path.lexists(path)
        _write_private(path, os.urandom(_KEY_BYTES), exclusive=not damaged)
        secret = _read_secret(root)
    return secret


def _path(key: str) -> Path | None:
    root = cache_dir()
    return None if root is None else root / f"{key[:2]}" / f"{key}.json"


def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def _field_bytes(fields: dict[str, str]) -> Iterator[bytes]:
    for name, value in fields.items():
        yield name.encode() + b"\0" + value.encode("utf-8", "surrogatepass") + b"\0"


def _checksum(fields: dict[str, str]) -> str:
    """A plain digest of the fields: catches a damaged file, not a forged one."""
    h = hashlib.sha256()
    for chunk in _field_bytes(fields):
        h.update(chunk)
    return h.hexdigest()


def _mac(secret: bytes, key: str, fields: dict[str, str]) -> str:
    """HMAC-SHA256 of the format, the key and the fields: only the key's owner can sign."""
    h = hmac.new(secret, f"symgrad cache entry\0{FORMAT}\0{key}\0".encode(), hashlib.sha256)
    for chunk in _field_bytes(fields):
        h.update(chunk)
    return h.hexdigest()


def load(key: str | None, kind: type = Generated) -> Any:
    """The cached entry (a ``kind``: Generated, VjpModule or Checked) for ``key``, or None.

    None when the entry is missing, corrupt, truncated, unreadable or not signed with this
    cache's key, and (with a warning, once) when the folder, the key file or the entry can
    be written by another user. A hit marks the entry used now, for eviction.
    """
    if key is None:
        return None
    path = _path(key)
    if path is None:
        return None
    try:
        _trust_dir(path.parent.parent)
        _trust_dir(path.parent)
        secret = _read_secret(path.parent.parent)
        if secret is None:
            return None
        with os.fdopen(os.open(path, _O_READ), "rb") as f:
            st = os.fstat(f.fileno())
            problem = _unsafe(st)
            if problem is not None:
                _warn_once(f"symgrad: ignoring the disk cache entry {path}: {problem}; "
                           "regenerating it.")
                return None
            if not stat.S_ISREG(st.st_mode):
                return None
            data = json.loads(f.read())
            if not isinstance(data, dict) or data.get("format") != FORMAT \
                    or data.get("key") != key or data.get("kind", "Generated") != kind.__name__:
                return None
            fields = {name: data[name] for name in _field_names(kind)}
            if not all(isinstance(v, str) for v in fields.values()):
                return None
            mac = data.get("mac")
            if data.get("checksum") != _checksum(fields) or not isinstance(mac, str) \
                    or not hmac.compare_digest(mac, _mac(secret, key, fields)):
                return None
            try:  # used now: set atime and mtime ourselves, since many file systems are
                # mounted noatime or relatime; eviction goes by the later of the two
                os.utime(f.fileno() if os.utime in os.supports_fd else path)
            except OSError:  # (a read-only cache still hits)
                pass
        return kind(**fields)
    except (_Refused, OSError, ValueError, KeyError, TypeError, UnicodeError, RecursionError):
        return None


def store(key: str | None, generated: Generated | VjpModule | Checked) -> bool:
    """Write ``generated`` under ``key``; False (never an exception) when it is not stored.

    Then, if the cache is over its size limit, delete the least recently used entries.
    """
    if key is None:
        return False
    path = _path(key)
    if path is None:
        return False
    try:
        kind = type(generated).__name__
        if _KINDS.get(kind) is not type(generated):
            return False
        fields = {name: str(getattr(generated, name)) for name in _field_names(type(generated))}
        _make_dir(path.parent.parent)
        _make_dir(path.parent)
        secret = _secret(path.parent.parent)
        if secret is None:
            return False
        data = {"format": FORMAT, "key": key, "kind": kind, **fields,
                "checksum": _checksum(fields), "mac": _mac(secret, key, fields)}
        _write_private(path, json.dumps(data).encode("utf-8", "surrogatepass"))
        _evict(path.parent.parent, keep=path)
        return True
    except (_Refused, OSError, ValueError, TypeError, AttributeError, UnicodeError):
        return False


# ---------------------------------------------------------------- size, listing, clearing


def max_bytes() -> int:
    """The size limit: ``SYMGRAD_CACHE_MAX_MB`` megabytes (10**6 bytes), 200 by default."""
    text = os.environ.get(_MAX_ENV, "").strip()
    if text:
        try:
            mb = float(text)
            if mb >= 0:  # (not NaN)
                return int(min(mb, 1e12) * _MB)
        except ValueError:
            pass
        _warn_once(f"symgrad: {_MAX_ENV}={text!r} is not a number of megabytes; using "
                   f"{DEFAULT_MAX_MB}.")
    return DEFAULT_MAX_MB * _MB


def _shards(root: Path) -> list[str]:
    """The cache's subfolders (links to folders are not followed)."""
    try:
        with os.scandir(root) as it:
            return sorted(e.path for e in it
                          if len(e.name) == 2 and e.is_dir(follow_symlinks=False))
    except OSError:
        return []


def _files(root: Path) -> Iterator[tuple[Path, os.stat_result]]:
    """Every file in the cache's subfolders (entries, temporary files); links not followed."""
    for shard in _shards(root):
        found = []
        try:
            with os.scandir(shard) as it:
                for e in it:
                    try:
                        if e.is_file(follow_symlinks=False):
                            found.append((Path(e.path), e.stat(follow_symlinks=False)))
                    except OSError:  # deleted meanwhile
                        pass
        except OSError:
            continue
        yield from found


def _evict(root: Path, keep: Path) -> None:
    """Delete least recently used entries (``keep`` last) until the cache fits its limit.

    Safe while other processes read: a reader holding an entry open reads all of it (on
    POSIX the data lives until closed; Windows refuses to delete an open file, which is then
    skipped), and one that opens it a moment too late finds no file, which is a miss.
    """
    limit = max_bytes()
    now = time.time()
    entries = []
    for path, st in _files(root):
        if path.suffix == ".json":
            entries.append((path == keep, max(st.st_atime, st.st_mtime), path, st.st_size))
        elif path.suffix == ".tmp" and now - st.st_mtime > _STALE_TMP_SECONDS:
            _unlink(path)
    total = sum(e[3] for e in entries)
    for *_, path, size in sorted(entries):
        if total <= limit:
            break
        if _unlink(path):
            total -= size


@dataclass
class CacheInfo:
    """What ``symgrad cache info`` prints."""

    path: Path | None  # None: turned off
    entries: int
    size: int  # bytes, entries only
    limit: int  # bytes
    problem: str | None  # why symgrad will not use the folder, if it will not


def info() -> CacheInfo:
    root = cache_dir()
    limit = max_bytes()
    if root is None:
        return CacheInfo(None, 0, 0, limit, None)
    problem = None
    try:
        problem = _dir_problem(root)
        key = root / _KEY_FILE
        st = os.lstat(key) if problem is None and os.path.lexists(key) else None
        if st is not None and stat.S_ISREG(st.st_mode):
            key_problem = _unsafe(st, secret=True)
            if key_problem is not None:
                problem = f"its key file {key}: {key_problem}"
    except FileNotFoundError:
        pass
    except NotADirectoryError:
        problem = "it is not a folder"
    except OSError as exc:
        problem = f"{exc.strerror or exc}"
    sizes = [st.st_size for path, st in _files(root) if path.suffix == ".json"]
    return CacheInfo(root, len(sizes), sum(sizes), limit, problem)


def clear() -> int:
    """Delete every entry, temporary file and the key; the number of entries deleted."""
    root = cache_dir()
    if root is None or not root.is_dir():
        return 0
    n = 0
    for path, _st in _files(root):
        if path.suffix in (".json", ".tmp") and _unlink(path) and path.suffix == ".json":
            n += 1
    for shard in _shards(root):
        try:
            os.rmdir(shard)
        except OSError:  # not empty: a writer is busy in it
            pass
    _unlink(root / _KEY_FILE)
    return n
