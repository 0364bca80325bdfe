"""Benchmarks, suites and soak runs: used by `eva bench`, never imported by the product."""
