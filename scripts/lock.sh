#!/usr/bin/env bash
# Pin every dependency, with hashes, for Python 3.11 on any platform (x86_64 and the Pi's
# aarch64 alike), from pyproject.toml:
#   requirements/run.txt    what `eva run` needs: the container's runtime stage (installed
#                           with --no-deps: amqtt's command-line tools are left out)
#   requirements/setup.txt  plus what `eva setup` needs (demo photos, onnx): the build stage
#   requirements/dev.txt    plus the test tools: scripts/setup.sh --dev
# scripts/setup.sh and the Dockerfile install only from these files, so two installs from one
# commit get the same versions. Run this after changing dependencies in pyproject.toml, or
# with --upgrade to move every pin to the newest release allowed.
#   bash scripts/lock.sh [--upgrade]
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
command -v "$UV" >/dev/null || UV=.venv/bin/uv
upgrade=()
[[ "${1:-}" == "--upgrade" ]] && upgrade=(--upgrade)

# amqtt's command-line tools (typer and what it pulls in, 17 MB) are not used by the embedded
# broker: the runtime lock leaves them out, and the image installs it with --no-deps.
CLI_ONLY=(typer rich pygments markdown-it-py mdurl shellingham annotated-doc)

lock() {  # output file, then extras; OMIT=1 leaves out CLI_ONLY
  local out=$1; shift
  local extras=() omit=()
  for e in "$@"; do extras+=(--extra "$e"); done
  if [[ "${OMIT:-0}" == 1 ]]; then for p in "${CLI_ONLY[@]}"; do omit+=(--no-emit-package "$p"); done; fi
  "$UV" pip compile pyproject.toml "${extras[@]}" "${upgrade[@]}" "${omit[@]}" \
    --universal --python-version 3.11 --generate-hashes --quiet \
    --custom-compile-command "bash scripts/lock.sh" -o "$out"
  echo "$out: $(grep -c '^[a-z0-9]' "$out") packages"
}
mkdir -p requirements
OMIT=1 lock requirements/run.txt
lock requirements/setup.txt demo
lock requirements/dev.txt demo dev
