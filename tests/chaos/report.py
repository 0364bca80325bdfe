"""Run every chaos scenario and print the table for docs/RELIABILITY.md.

.venv/bin/python tests/chaos/report.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scenarios import SCENARIOS  # noqa: E402


def main() -> int:
    print(
        "| fault | duration | events created | events delivered | lost | duplicates | "
        "first event after the fault |"
    )
    print("|---|---|---|---|---|---|---|")
    lost = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, scenario in enumerate(SCENARIOS):
            outcome = scenario(Path(tmp) / str(i))
            lost += outcome.lost
            print(outcome.row(), flush=True)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
