"""The tracker's assignment against an exhaustive search, and the import it avoids."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest

from agent.core.assignment import assign


def _best(cost: np.ndarray, allowed: np.ndarray) -> tuple[int, float]:
    """Most allowed pairs, then least cost, by trying every assignment."""
    n, m = cost.shape
    best = (0, 0.0)
    rows = range(n)
    for k in range(min(n, m), 0, -1):
        for rs in itertools.combinations(rows, k):
            for cs in itertools.permutations(range(m), k):
                if all(allowed[r, c] for r, c in zip(rs, cs, strict=True)):
                    total = float(sum(cost[r, c] for r, c in zip(rs, cs, strict=True)))
                    if best[0] < k or total < best[1]:
                        best = (k, total)
        if best[0]:
            return best
    return best


@pytest.mark.parametrize("seed", range(60))
def test_assignment_is_optimal(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = (int(x) for x in rng.integers(1, 6, 2))
    cost = rng.uniform(0, 3, (n, m))
    allowed = rng.random((n, m)) < rng.uniform(0.2, 0.9)
    rows, cols = assign(cost, allowed)
    assert len(set(rows)) == len(rows) and len(set(cols)) == len(cols)
    assert all(allowed[r, c] for r, c in zip(rows, cols, strict=True))
    count, total = _best(cost, allowed)
    assert len(rows) == count
    assert float(cost[rows, cols].sum()) == pytest.approx(total)


def test_as_many_pairs_as_possible_with_costs_near_laps_infinity() -> None:
    # lap treats 1e6 as infinite: with that as the cost of a forbidden pair it paired one
    # allowed pair fewer than possible on this matrix. The forbidden cost is now derived
    # from the allowed ones.
    cost = np.array(
        [
            [1.85, 0.28, 0.96, 1.99, 1.41, 0.81, 0.34],
            [1.97, 1.22, 0.78, 0.5, 1.88, 1.3, 0.02],
            [1.27, 1.55, 1.0, 0.25, 0.75, 0.96, 1.08],
            [0.2, 0.68, 0.96, 0.47, 0.11, 0.17, 1.02],
            [0.03, 0.26, 0.59, 0.76, 0.88, 0.82, 0.14],
            [1.81, 1.7, 0.8, 1.79, 1.74, 1.76, 0.5],
        ]
    )
    allowed = np.zeros(cost.shape, bool)
    for r, c in [(1, 1), (1, 3), (2, 0), (2, 4), (3, 0), (3, 3), (3, 5), (3, 6), (4, 4)]:
        allowed[r, c] = True
    for r, c in [(5, 0), (5, 3), (5, 4), (5, 5)]:
        allowed[r, c] = True
    rows, cols = assign(cost, allowed)
    count, total = _best(cost, allowed)
    assert len(rows) == count == 5
    assert float(cost[rows, cols].sum()) == pytest.approx(total)


def test_empty() -> None:
    assert assign(np.zeros((0, 3)), np.zeros((0, 3), bool)) == ([], [])
    assert assign(np.zeros((2, 3)), np.zeros((2, 3), bool)) == ([], [])


def test_the_camera_core_does_not_load_scipy() -> None:
    code = "import sys, agent.core.camera; print(any(m.startswith('scipy') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
