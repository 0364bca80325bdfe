"""Question benchmarks: the suite, the held-out set and their scoring."""
