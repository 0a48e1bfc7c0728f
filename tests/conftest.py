import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))

# tests never touch the user's cache directory; test_cache.py sets its own
os.environ.setdefault("SYMGRAD_CACHE_DIR", os.path.join(tempfile.mkdtemp(), "symgrad-cache"))


def pytest_addoption(parser):
    parser.addoption("--fuzz-more", type=int, default=0, metavar="N",
                     help="test_fuzz_arrays.py: run N random programs more than the CI seeds "
                          "(also SYMGRAD_FUZZ_MORE=N)")
