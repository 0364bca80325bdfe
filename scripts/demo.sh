#!/usr/bin/env bash
# Set everything up, then play the bundled demo scene through the whole agent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/eva demo "$@"
