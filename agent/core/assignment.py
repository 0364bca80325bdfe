"""Optimal one-to-one pairing of tracks and detections.

`lap` (Jonker-Volgenant, a small compiled package kept up to date) replaces scipy's
`linear_sum_assignment`: it solves the same problem and is all the tracker needs, so the
agent does not load scipy. lap wants a square matrix; padding with zero-cost dummy rows or
columns gives the rectangular problem's answer, as scipy does internally.
"""

from __future__ import annotations

import lap
import numpy as np
import numpy.typing as npt


def assign(
    cost: npt.NDArray[np.float64], allowed: npt.NDArray[np.bool_]
) -> tuple[list[int], list[int]]:
    """Rows and columns of the allowed pairs in a least-cost assignment.

    Among assignments, the one with the most allowed pairs and then the least total cost
    of them (ties broken by the solver).
    """
    n, m = cost.shape
    if n == 0 or m == 0:
        return [], []
    size = max(n, m)
    # A pair that may not join costs more than all allowed pairs together, so the solver
    # pairs as many allowed pairs as it can before it lowers the cost; it stays well below
    # lap's own "infinite" cost (lap.LARGE, 1e6), which it does not treat as a number.
    # (Costs are never negative: the largest allowed one, or 0 when none is.)
    forbidden = float(cost.max(where=allowed, initial=0.0)) * min(n, m) + 1.0
    costs = np.where(allowed, cost, forbidden)
    if n == m:
        square = costs
    else:
        square = np.zeros((size, size))
        square[:n, :m] = costs
    solution: list[int] = lap.lapjv(square, return_cost=False)[0][:n].tolist()
    # At tracking's sizes (tens of rows), a loop reads the answer faster than numpy would
    # (and a byte string's items faster than the mask's).
    flat = allowed.tobytes()
    rows, cols = [], []
    for r, k in enumerate(solution):
        if k < m and flat[r * m + k]:
            rows.append(r)
            cols.append(k)
    return rows, cols
