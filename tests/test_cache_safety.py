"""The disk cache runs the code it loads, so: private, authenticated, bounded, concurrent-safe.

A hit ``exec``s an entry's text. Only entries this user wrote into a folder only this user can
write may run: a forged entry (valid plain checksum, no valid HMAC) is a miss; a folder or
entry another user owns or can write is refused with one warning. The size bound evicts the
least recently used entries, safely while other processes read; eight processes starting on
one cold cache all get correct gradients and leave exactly one entry.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import symgrad
from symgrad import api, cache
from symgrad.cache import CacheWarning
from symgrad.cli import main
from symgrad.generated import Generated

ROOT = Path(__file__).resolve().parents[1]
POSIX = os.name != "nt"
posix_only = pytest.mark.skipif(not POSIX, reason="POSIX owners and modes")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", str(d))
    monkeypatch.delenv("SYMGRAD_CACHE_MAX_MB", raising=False)
    monkeypatch.setattr(cache, "_WARNED", set())
    api._TRANSFORMS.clear()
    yield d
    api._TRANSFORMS.clear()


def _make():
    def f(x, w):
        return np.sum(np.sin(x) * w)

    return f


def _check_gradient(g):
    x, w = np.linspace(0.1, 0.9, 4), np.linspace(1, 2, 4)
    gx, gw = g.grad(x, w)
    np.testing.assert_allclose(gx, np.cos(x) * w, rtol=1e-12)
    np.testing.assert_allclose(gw, np.sin(x), rtol=1e-12)


def _entries(d: Path) -> list[Path]:
    return sorted(d.glob("*/*.json"))


def _modules(d: Path) -> list[Path]:
    """The entries that hold a module (not a decoration's ``Checked`` record)."""
    return [p for p in _entries(d) if json.loads(p.read_text())["kind"] == "Generated"]


def _generic():
    """A decoration, and its generic module generated now (a decoration only checks the
    function: its first call with arrays makes the module for their ranks)."""
    g = symgrad.grad(_make())
    g.source  # noqa: B018
    return g


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _plant(entry: Path, marker: Path, sign: str) -> None:
    """Rewrite ``entry`` so that running it writes ``marker``, as an attacker would.

    Its plain checksum is valid; ``sign`` says what its MAC is: "signed" (under this
    cache's own key, which only this user can read), "kept" (the old one), "none" (no
    MAC), or "other_key" (under a key the attacker made up).
    """
    data = json.loads(entry.read_text())
    data["source"] = f"open({str(marker)!r}, 'w').write('ran')\n" + data["source"]
    fields = {name: data[name] for name in cache._FIELDS}
    data["checksum"] = cache._checksum(fields)
    if sign == "signed":
        data["mac"] = cache._mac(cache._read_secret(entry.parent.parent), data["key"], fields)
    elif sign == "none":
        del data["mac"]
    elif sign == "other_key":
        data["mac"] = cache._mac(os.urandom(32), data["key"], fields)
    entry.write_text(json.dumps(data))


def _decorate_again():
    api._TRANSFORMS.clear()
    return symgrad.grad(_make())


# ---------------------------------------------------------------- private files


@posix_only
def test_folders_are_0700_and_files_0600_whatever_the_umask(cache_dir):
    old = os.umask(0)
    try:
        _generic()
        (entry,) = _modules(cache_dir)
        cache.store(entry.stem, cache.load(entry.stem))  # a rewrite keeps the mode
    finally:
        os.umask(old)
    assert _mode(cache_dir) == 0o700 and _mode(entry.parent) == 0o700
    assert _mode(entry) == 0o600 and _mode(cache_dir / "key") == 0o600
    assert len((cache_dir / "key").read_bytes()) == 32
    assert [p.name for p in cache_dir.rglob("*") if p.name.endswith(".tmp")] == []


# ---------------------------------------------------------------- authenticated entries


@pytest.mark.parametrize("sign", ["kept", "none", "other_key"])
def test_a_forged_entry_with_a_valid_checksum_is_not_executed(cache_dir, tmp_path, sign):
    g1 = _generic()
    (entry,) = _modules(cache_dir)
    marker = tmp_path / "marker"
    _plant(entry, marker, sign)
    g2 = _decorate_again()
    assert not marker.exists()  # the planted code never ran
    assert g2._entry[2] is not None  # regenerated
    _check_gradient(g2)
    assert json.loads(entry.read_text())["source"] == g1.source  # and rewritten, signed
    assert _decorate_again()._entry[2] is None


def test_the_planted_entry_would_run_if_it_were_signed(cache_dir, tmp_path):
    # the control for the test above: only the MAC stands between the entry and exec
    _generic()
    (entry,) = _modules(cache_dir)
    marker = tmp_path / "marker"
    _plant(entry, marker, "signed")
    assert _decorate_again()._entry[2] is None and marker.read_text() == "ran"


# ---------------------------------------------------------------- refused folders and entries


@posix_only
@pytest.mark.parametrize("where", ["root", "subfolder"])
@pytest.mark.parametrize("bits, who", [(0o020, "its group"), (0o002, "others")])
def test_a_folder_others_can_write_is_refused(cache_dir, tmp_path, where, bits, who):
    _generic()
    (entry,) = _modules(cache_dir)
    marker = tmp_path / "marker"
    _plant(entry, marker, "signed")  # even a validly signed entry: anyone could have put it
    planted = entry.read_bytes()
    folder = cache_dir if where == "root" else entry.parent
    folder.chmod(_mode(folder) | bits)
    with pytest.warns(CacheWarning) as record:
        g = _decorate_again()
    (w,) = record
    message = str(w.message)
    assert str(folder) in message and f"written by {who}" in message and "uncached" in message
    assert not marker.exists() and g._entry[2] is not None
    _check_gradient(g)
    assert entry.read_bytes() == planted  # nothing written into a refused folder either
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per process, not per decoration
        _decorate_again()
    assert not marker.exists()


@posix_only
def test_a_folder_owned_by_another_user_is_refused(cache_dir, tmp_path, monkeypatch):
    _generic()
    (entry,) = _modules(cache_dir)
    marker = tmp_path / "marker"
    _plant(entry, marker, "signed")
    me = os.geteuid()
    monkeypatch.setattr(cache, "_uid", lambda: me + 1)  # as if the folder were someone else's
    with pytest.warns(CacheWarning, match=re.escape(f"{cache_dir}: it is owned by uid {me}")):
        g = _decorate_again()
    assert not marker.exists() and g._entry[2] is not None
    _check_gradient(g)


@posix_only
@pytest.mark.skipif(not POSIX or os.geteuid() != 0, reason="chown needs root")
def test_an_entry_owned_by_another_user_is_ignored_and_replaced(cache_dir, tmp_path):
    _generic()
    (entry,) = _modules(cache_dir)
    marker = tmp_path / "marker"
    _plant(entry, marker, "signed")
    os.chown(entry, 65534, 65534)  # nobody
    with pytest.warns(CacheWarning, match=re.escape(f"entry {entry}: it is owned by uid 65534")):
        g = _decorate_again()
    assert not marker.exists() and g._entry[2] is not None
    _check_gradient(g)
    assert os.stat(entry).st_uid == 0 and _decorate_again()._entry[2] is None  # ours again


@posix_only
def test_a_key_others_can_read_is_refused_until_cleared(cache_dir):
    _generic()
    (cache_dir / "key").chmod(0o640)
    with pytest.warns(CacheWarning, match="key file .* can be read by its group"):
        assert _decorate_again()._entry[2] is not None
    assert cache.clear() == 2 and not (cache_dir / "key").exists()  # (module, Checked)
    _decorate_again().source  # noqa: B018 (a new key, and the module stored under it)
    assert _mode(cache_dir / "key") == 0o600 and _decorate_again()._entry[2] is None


def test_windows_skips_the_posix_checks(cache_dir, monkeypatch):
    _generic()
    if POSIX:
        cache_dir.chmod(0o777)
    monkeypatch.setattr(cache, "_POSIX", False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _decorate_again()._entry[2] is None  # a hit: only the MAC is checked


def test_a_warning_turned_into_an_error_does_not_raise(cache_dir, monkeypatch, capsys):
    _generic()
    monkeypatch.setattr(cache, "_uid", lambda: -1)
    monkeypatch.setattr(cache, "_POSIX", True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _check_gradient(_decorate_again())
    assert "not using the disk cache folder" in capsys.readouterr().err


@pytest.mark.parametrize("damage", ["short", "link"])
def test_a_damaged_key_is_replaced_and_costs_only_misses(cache_dir, tmp_path, damage):
    _generic()
    key = cache_dir / "key"
    key.unlink()
    if damage == "short":
        key.write_bytes(b"abc")
        key.chmod(0o600)
    else:
        (tmp_path / "elsewhere").write_bytes(b"k" * 32)
        key.symlink_to(tmp_path / "elsewhere")
    assert _decorate_again()._entry[2] is not None  # a miss, regenerated under a new key
    assert key.is_file() and not key.is_symlink() and len(key.read_bytes()) == 32
    if damage == "link":
        assert (tmp_path / "elsewhere").read_bytes() == b"k" * 32  # the link's target is kept
    assert _decorate_again()._entry[2] is None


def test_a_hit_on_a_cache_whose_times_cannot_be_set_is_still_a_hit(cache_dir, monkeypatch):
    _generic()

    def read_only(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(cache.os, "utime", read_only)
    assert _decorate_again()._entry[2] is None


# ---------------------------------------------------------------- bounded


def _generated(tag: str, size: int = 30_000) -> Generated:
    return Generated(f"# {tag} " + "-" * size, "f", "f_grad", "f_vg", "s")


def test_the_size_bound_evicts_the_least_recently_used(cache_dir, monkeypatch):
    monkeypatch.setenv("SYMGRAD_CACHE_MAX_MB", "0.1")  # 100 kB: three 30 kB entries fit
    keys = [f"{i:x}" * 64 for i in range(6)]
    for i, k in enumerate(keys[:3]):
        assert cache.store(k, _generated(k))
        p = cache_dir / k[:2] / f"{k}.json"
        os.utime(p, (1e9 + i, 1e9 + i))  # used in the order 0, 1, 2
    assert cache.load(keys[0]) is not None  # a hit makes 0 the most recently used

    def left():
        return sorted(p.stem for p in _entries(cache_dir))

    assert cache.store(keys[3], _generated(keys[3]))
    assert left() == sorted([keys[0], keys[2], keys[3]])  # 1 was the least recently used
    assert cache.store(keys[4], _generated(keys[4]))
    assert left() == sorted([keys[0], keys[3], keys[4]])
    assert sum(p.stat().st_size for p in _entries(cache_dir)) <= 100_000
    assert (cache_dir / "key").exists()
    assert cache.load(keys[1]) is None and cache.load(keys[4]).source.startswith(f"# {keys[4]}")


def test_size_limit_setting(monkeypatch):
    monkeypatch.setattr(cache, "_WARNED", set())
    monkeypatch.delenv("SYMGRAD_CACHE_MAX_MB", raising=False)
    assert cache.max_bytes() == 200_000_000
    monkeypatch.setenv("SYMGRAD_CACHE_MAX_MB", "2.5")
    assert cache.max_bytes() == 2_500_000
    for bad in ("lots", "-1", "nan"):
        monkeypatch.setenv("SYMGRAD_CACHE_MAX_MB", bad)
        with pytest.warns(CacheWarning, match="SYMGRAD_CACHE_MAX_MB"):
            assert cache.max_bytes() == 200_000_000


def test_a_temporary_file_left_by_a_dead_writer_is_cleaned_up(cache_dir):
    assert cache.store("ab" * 32, _generated("a", 100))
    stale, fresh = cache_dir / "ab" / ".abab.dead.tmp", cache_dir / "ab" / ".abab.busy.tmp"
    stale.write_text("half")
    fresh.write_text("half")
    os.utime(stale, (time.time() - 7200,) * 2)
    assert cache.store("ac" * 32, _generated("b", 100))
    assert not stale.exists() and fresh.exists()  # (a live writer's file is left alone)


# ---------------------------------------------------------------- visible


def test_cache_info_and_clear_commands(cache_dir, capsys, monkeypatch):
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert f"path:    {cache_dir} (SYMGRAD_CACHE_DIR)" in out and "not created yet" in out
    _generic()
    assert cache.store("ab" * 32, _generated("a"))
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "status:  in use" in out and "entries: 3" in out  # (and the Checked record)
    assert re.search(r"size:    \d+\.\d kB", out) and "limit:   200.0 MB (the default" in out
    if POSIX:
        cache_dir.chmod(0o770)
        main(["cache", "info"])
        out = capsys.readouterr().out
        assert "refused, symgrad runs uncached: it can be written by its group" in out
        cache_dir.chmod(0o700)
    assert main(["cache", "clear"]) == 0
    assert capsys.readouterr().out == f"removed 3 entries from {cache_dir}\n"
    assert list(cache_dir.iterdir()) == []
    monkeypatch.setenv("SYMGRAD_CACHE_DIR", "0")
    assert main(["cache", "info"]) == 0 and "off" in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0 and "nothing to clear" in capsys.readouterr().out


# ---------------------------------------------------------------- concurrency (processes)


def _env(d: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SYMGRAD_CACHE_MAX_MB"}
    env.update(SYMGRAD_CACHE_DIR=str(d), **extra)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


MODEL = '''
import numpy as np


def loss(x, w):
    h = np.tanh(x * w)
    return np.sum(h ** 2)
'''

COLD_START = '''
import multiprocessing as mp
import sys

import numpy as np
import sympy  # noqa: F401  (a cold cache needs SymPy: imported once, before the fork)

import model
import symgrad
import symgrad.transform  # noqa: F401


def decorate(barrier, results, i):
    try:
        barrier.wait(timeout=60)  # all eight start on the cold cache at the same moment
        g = symgrad.grad(model.loss)
        x, w = np.linspace(0.1, 0.9, 5), np.linspace(-1.0, 1.0, 5)
        gx, gw = g.grad(x, w)
        dh = 2 * np.tanh(x * w) * (1 - np.tanh(x * w) ** 2)
        ok = np.allclose(gx, dh * w, rtol=1e-12) and np.allclose(gw, dh * x, rtol=1e-12)
        results.put((i, "ok" if ok else f"wrong gradient {gx} {gw}"))
    except BaseException as exc:
        results.put((i, f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    # separate processes (own memory, own files); forked, where possible, so that the eight
    # do not each spend a second importing SymPy
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    barrier, results = ctx.Barrier(8), ctx.Queue()
    procs = [ctx.Process(target=decorate, args=(barrier, results, i)) for i in range(8)]
    for p in procs:
        p.start()
    got = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
    assert sorted(got) == list(range(8)) and set(got.values()) == {"ok"}, got
    assert [p.exitcode for p in procs] == [0] * 8
    print("ok")
'''


def test_eight_processes_decorating_at_once_on_a_cold_cache(tmp_path):
    d = tmp_path / "cache"
    (tmp_path / "model.py").write_text(MODEL)
    driver = tmp_path / "cold_start.py"
    driver.write_text(COLD_START)
    proc = subprocess.run([sys.executable, str(driver)], env=_env(d), capture_output=True,
                          text=True, timeout=180, cwd=tmp_path)
    # every gradient correct, no exception, no warning (a loaded machine's transforms may
    # pass slow.SLOW_SECONDS: their one-line notice is not a warning)
    # (and eight processes' notices may interleave on one line)
    notices = re.sub(r"symgrad: transforming .*?(so the next use is fast|\n)", "", proc.stderr)
    noise = [line for line in notices.splitlines() if line.strip()]
    assert proc.returncode == 0 and proc.stdout == "ok\n" and not noise, proc.stderr
    files = sorted(p.relative_to(d) for p in d.rglob("*"))
    entries = _entries(d)  # the specialisation for 1-d x and w, and that loss was checked
    assert len(entries) == 2
    assert files == sorted({Path("key")} | {e.parent.relative_to(d) for e in entries} |
                           {e.relative_to(d) for e in entries})
    for entry in entries:
        data = json.loads(entry.read_text())  # a whole file, signed with the one key
        fields = {name: data[name] for name in cache._field_names(cache._KINDS[data["kind"]])}
        assert data["mac"] == cache._mac((d / "key").read_bytes(), data["key"], fields)
        if POSIX:
            assert _mode(entry) == 0o600
    if POSIX:
        assert _mode(d / "key") == 0o600 and _mode(d) == 0o700


EVICTION = '''
import json, random, sys, time
from pathlib import Path
from symgrad import cache
from symgrad.generated import Generated

role, root, seconds = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
keys = [f"{i:02x}" * 32 for i in range(12)]


def generated(k):
    return Generated(f"# {k} " + "-" * 30000, "f", "f_grad", "f_vg", "seed")


if role != "writer":  # start reading once the writers have started writing
    give_up = time.monotonic() + 60
    while not (root / "key").exists() and time.monotonic() < give_up:
        time.sleep(0.005)
deadline = time.monotonic() + seconds
if role == "writer":
    n = 0
    while time.monotonic() < deadline:
        for k in keys:
            assert cache.store(k, generated(k))
            n += 1
    print(n)
else:
    hits = misses = 0
    rng = random.Random(role)
    while time.monotonic() < deadline:
        k = rng.choice(keys)
        got = cache.load(k)
        if got is None:
            misses += 1
        else:
            assert got == generated(k), "a hit with the wrong or partial content"
            hits += 1
        try:  # and the file itself, whenever it exists, is whole
            raw = (root / k[:2] / (k + ".json")).read_bytes()
        except FileNotFoundError:
            continue
        assert json.loads(raw)["source"] == generated(k).source, "a partial file"
    print(hits, misses)
'''


def test_eviction_while_other_processes_load(tmp_path):
    d = tmp_path / "cache"
    env = _env(d, SYMGRAD_CACHE_MAX_MB="0.1")  # three of the twelve 30 kB entries fit
    seconds = "1.5"

    def start(role):
        return subprocess.Popen([sys.executable, "-c", EVICTION, role, str(d), seconds],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    writers = [start("writer") for _ in range(2)]
    readers = [start(f"reader{i}") for i in range(3)]
    for p in writers + readers:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0 and err == "", err
        p.counts = [int(v) for v in out.split()]
    for p in readers:
        hits, misses = p.counts
        assert hits > 0 and misses > 0  # it did read while entries were being evicted
    assert sum(p.stat().st_size for p in _entries(d)) <= 100_000
    assert not [p for p in d.rglob("*.tmp")]
