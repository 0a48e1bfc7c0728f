import importlib.util
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

# The differential tests against PyTorch need torch (CI installs torch==2.13.0); on a machine
# with only the `test` extra, the modules that import it are left out, and the header says so.
_TORCH_MODULES = [] if importlib.util.find_spec("torch") is not None else sorted(
    p.name for p in Path(__file__).parent.glob("test_*.py")
    if re.search(r"^\s*(import torch|from torch)\b", p.read_text(), re.M))
collect_ignore = list(_TORCH_MODULES)


def pytest_report_header(config):
    if _TORCH_MODULES:
        return (f"torch is not installed: {len(_TORCH_MODULES)} test modules that compare with "
                "it are not run (pip install torch==2.13.0 runs them)")
    return None

# tests never touch the user's cache directory; test_cache.py sets its own
os.environ.setdefault("SYMGRAD_CACHE_DIR", os.path.join(tempfile.mkdtemp(), "symgrad-cache"))


def pytest_addoption(parser):
    parser.addoption("--fuzz-more", type=int, default=0, metavar="N",
                     help="test_fuzz_arrays.py: run N random programs more than the CI seeds "
                          "(also SYMGRAD_FUZZ_MORE=N)")
