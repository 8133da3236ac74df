"""One module per command group; each only parses flags, calls a stage and prints its report."""
