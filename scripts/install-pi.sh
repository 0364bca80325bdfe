#!/usr/bin/env bash
# Set up edge-vision-agent on a Raspberry Pi 5 running Raspberry Pi OS (64-bit).
#
#   bash scripts/install-pi.sh --hailo     # AI HAT+ / AI Kit (Hailo-8 or Hailo-8L)
#   bash scripts/install-pi.sh --imx500    # AI Camera (IMX500)
#   bash scripts/install-pi.sh --camera    # a plain Pi camera; the CPU detector
#
# Options: --config FILE (default config/farm.yaml, copied to /etc/edge-vision-agent/eva.yaml
# if that does not exist yet), --no-service (skip the systemd unit), --with-ollama.
# This script downloads: Debian packages with apt, Python packages with pip, and, for
# --hailo, the HEF model files (`eva models fetch`). The agent itself never downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

accel=""
config="config/farm.yaml"
service=1
ollama=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --hailo) accel=hailo ;;
    --imx500) accel=imx500 ;;
    --camera) accel=camera ;;
    --config) config="$2"; shift ;;
    --no-service) service=0 ;;
    --with-ollama) ollama=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
if [[ -z "$accel" ]]; then
  echo "choose the hardware: --hailo, --imx500 or --camera (try --help)" >&2
  exit 2
fi
if [[ "$(uname -m)" != "aarch64" ]]; then
  echo "warning: this is $(uname -m), not a 64-bit Raspberry Pi OS; continuing" >&2
fi

SUDO=""; [[ $EUID -ne 0 ]] && SUDO="sudo"

echo "==> apt packages"
# gcc and python3-dev: `eva setup --core-only` compiles the core's per-frame modules.
packages=(python3-venv python3-dev gcc python3-picamera2 mosquitto mosquitto-clients)
case "$accel" in
  # dkms builds the Hailo PCIe driver; hailo-all brings hailort, python3-hailort and the
  # hailo-models HEFs, all at one version (a mismatch gives HAILO_INVALID_DRIVER_VERSION).
  hailo) packages+=(dkms hailo-all) ;;
  imx500) packages+=(imx500-all) ;;
esac
$SUDO apt-get update
$SUDO apt-get install -y "${packages[@]}"

echo "==> Python environment (.venv, with the system's picamera2 and hailo_platform)"
# picamera2 and hailo_platform come from apt, not PyPI: the venv must see them.
python3 -m venv --system-site-packages .venv
.venv/bin/pip install --upgrade pip
constraints=()
system_numpy="$(/usr/bin/python3 -c 'import numpy; print(numpy.__version__.split(".")[0])' 2>/dev/null || true)"
if [[ "$system_numpy" == 1 ]]; then
  # The apt builds of picamera2's simplejpeg and of hailort's binding are compiled against
  # numpy 1.x: numpy 2 in the venv would make them fail to import ("numpy.dtype size
  # changed"). OpenCV 4.12 and later need numpy 2, so they are held back too.
  printf 'numpy<2\nopencv-python-headless<4.12\n' > .venv/pi-constraints.txt
  constraints=(-c .venv/pi-constraints.txt)
fi
.venv/bin/pip install "${constraints[@]}" -e .

echo "==> the core compiled with mypyc (about 1.4 times as fast; interpreted if this fails)"
if ! { .venv/bin/pip install "mypy>=1.10" && .venv/bin/eva setup --core-only; }; then
  echo "the core was not compiled and runs interpreted; .venv/bin/eva setup --core-only" >&2
  echo "says why (it needs gcc and python3-dev)" >&2
fi

if [[ "$accel" == hailo ]]; then
  echo "==> Hailo model files"
  if ! .venv/bin/eva models fetch --arch auto; then
    echo "the Hailo chip was not found: reboot once after installing hailo-all, then run" >&2
    echo "  .venv/bin/eva models fetch" >&2
  fi
fi

if [[ "$ollama" == 1 ]]; then
  echo "==> Ollama and qwen2.5:0.5b"
  if ! command -v ollama >/dev/null; then
    # Ollama's own installer; it sets up the ollama systemd service.
    curl -fsSL https://ollama.com/install.sh | sh
  fi
  ollama pull qwen2.5:0.5b
fi

echo "==> configuration"
$SUDO mkdir -p /etc/edge-vision-agent
if [[ ! -f /etc/edge-vision-agent/eva.yaml ]]; then
  $SUDO cp "$config" /etc/edge-vision-agent/eva.yaml
  echo "copied $config to /etc/edge-vision-agent/eva.yaml: set its source and detector"
  echo "sections for your hardware (docs/raspberry-pi.md shows them)"
fi

if [[ "$service" == 1 ]]; then
  echo "==> systemd unit eva.service"
  user="${SUDO_USER:-$(id -un)}"
  $SUDO tee /etc/systemd/system/eva.service >/dev/null <<UNIT
[Unit]
Description=edge-vision-agent: camera detections to plain-language events on MQTT
Wants=network-online.target mosquitto.service
After=network-online.target mosquitto.service

[Service]
User=${user}
# The camera and the Hailo device are reached through these groups.
SupplementaryGroups=video render
WorkingDirectory=${ROOT}
Environment=PYTHONUNBUFFERED=1
EnvironmentFile=-/etc/edge-vision-agent/eva.env
ExecStart=${ROOT}/.venv/bin/eva run --config /etc/edge-vision-agent/eva.yaml
Restart=on-failure
RestartSec=5
# Exit code 2 is a configuration error: restarting will not fix it.
RestartPreventExitStatus=2

[Install]
WantedBy=multi-user.target
UNIT
  $SUDO systemctl daemon-reload
  $SUDO systemctl enable eva.service
  echo "enabled eva.service; start it after checking the configuration:"
fi

echo
echo "next:  .venv/bin/eva check --config /etc/edge-vision-agent/eva.yaml"
[[ "$service" == 1 ]] && echo "then:  sudo systemctl start eva && journalctl -u eva -f"
exit 0
