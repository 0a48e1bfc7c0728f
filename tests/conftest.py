import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))

# tests never touch the user's cache directory; test_cache.py sets its own
os.environ.setdefault("SYMGRAD_CACHE_DIR", os.path.join(tempfile.mkdtemp(), "symgrad-cache"))
