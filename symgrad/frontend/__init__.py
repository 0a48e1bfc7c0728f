"""Frontend: Python source -> IR. parse.py reads source and names; lower.py's ``Lowerer`` builds
the IR, its methods one mixin per kind of code (statements, loops, inlining, names, expressions,
calls)."""
