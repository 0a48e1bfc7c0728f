"""Frontend: Python source -> IR (parse.py reads source and names, lower.py builds the IR)."""
