"""``python -m symgrad``: the command line (see ``symgrad.cli``)."""

from symgrad.cli import main

raise SystemExit(main())
