"""`eva run` stops within 5 s of SIGTERM when its broker is gone: on a host (the broker
killed) and in compose, where looking up a removed container's name can hang for tens of
seconds (here a name whose lookup hangs, through the process's own resolver)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from support.mqtt_helpers import Mosquitto, MosquittoFactory

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
BOUND_SECONDS = 5.0

# Loaded by the agent's Python at start (sitecustomize): `broker.test` resolves to the
# loopback, and once the flag file exists its lookups hang as Docker's resolver does for
# a container that is gone.
SLOW_RESOLVER = """
import os, socket, time
_real = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    if host == "broker.test":
        if os.path.exists(os.environ["EVA_TEST_DNS_HANGS"]):
            time.sleep(60)
        host = "127.0.0.1"
    return _real(host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo
"""


def start_agent(tmp_path: Path, host: str, port: int) -> tuple[subprocess.Popen[str], Path]:
    config = tmp_path / "agent.yaml"
    config.write_text(
        textwrap.dedent(
            f"""
            mqtt: {{host: {host}, port: {port}, client_id: shutdown-test, keepalive: 5}}
            llm: {{type: template}}
            storage: {{path: {tmp_path / "data"}}}
            cameras:
              - name: demo
                source: {{type: demo, loop: true}}
                rules: [{{name: arrivals, kind: arrival}}]
            """
        )
    )
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW_RESOLVER)
    flag = tmp_path / "dns-hangs"
    env = {
        **os.environ,
        "PYTHONPATH": f"{site}{os.pathsep}{ROOT}",
        "EVA_TEST_DNS_HANGS": str(flag),
    }
    log = tmp_path / "agent.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "run", "--config", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        text=True,
    )
    return proc, flag


def wait_for_line(log: Path, text: str, proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"no {text!r} in:\n{log.read_text()}"
        time.sleep(0.1)


def seconds_to_stop(proc: subprocess.Popen[str]) -> float:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return time.monotonic() - started


@pytest.mark.parametrize("dns_hangs", [False, True], ids=["broker-killed", "dns-hangs"])
def test_run_stops_within_5_s_of_sigterm_with_the_broker_gone(
    mosquitto_factory: MosquittoFactory, tmp_path: Path, dns_hangs: bool
) -> None:
    broker: Mosquitto = mosquitto_factory()
    host = "broker.test" if dns_hangs else "127.0.0.1"
    proc, flag = start_agent(tmp_path, host, broker.port)
    log = tmp_path / "agent.log"
    wait_for_line(log, "connected to MQTT broker", proc, 60)
    wait_for_line(log, "  demo  arrival: ", proc, 60)  # events are flowing
    if dns_hangs:
        flag.touch()
    broker.kill()
    wait_for_line(log, "lost connection to MQTT broker", proc, 30)
    time.sleep(2.0)  # let the client start its reconnection attempts (and a lookup hang)
    took = seconds_to_stop(proc)
    print(f"stopped {took:.2f} s after SIGTERM")
    assert took < BOUND_SECONDS, f"took {took:.1f} s:\n{log.read_text()}"
    assert proc.returncode == 0, log.read_text()
    assert "received SIGTERM, stopping" in log.read_text()
