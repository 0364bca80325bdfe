#!/usr/bin/env bash
# A separate environment for the peer trackers that `eva bench --events` compares against:
# norfair (Frigate's tracker) pins numpy<2, which the agent does not use, so the peers live
# in .venv-peers. The benchmark runs them there in a subprocess when it exists.
#   bash scripts/setup-peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
if [[ ! -x .venv-peers/bin/python ]]; then
  echo "==> creating .venv-peers"
  "$PYTHON" -m venv .venv-peers
fi
PIP=(.venv-peers/bin/python -m pip --disable-pip-version-check -q)
"${PIP[@]}" install -U pip >/dev/null
echo "==> installing the peer trackers (norfair, ByteTrack) and py-motmetrics"
# The same pins as the `peers` extra in pyproject.toml (not installed as an extra: the
# agent's own dependencies want numpy 2, and the runner needs none of them).
"${PIP[@]}" install "norfair==2.3.0" "supervision==0.26.1" "motmetrics==1.4.0" "lapx>=0.5" "scipy"
.venv-peers/bin/python -c "import norfair, supervision, motmetrics; print('peers ready: norfair', norfair.__version__, 'supervision', supervision.__version__)"
