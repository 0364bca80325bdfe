#!/usr/bin/env bash
# Set everything up (including Mosquitto), then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
echo "==> lint and types"
.venv/bin/ruff check .
.venv/bin/mypy
echo "==> tests"
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
# pytest exits 5 when it collected no tests: that is a broken suite, not a pass.
if [[ $rc == 5 ]]; then echo "no tests were collected" >&2; exit 1; fi
exit $rc
