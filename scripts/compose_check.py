"""Prove the shipped docker-compose setup by running it, as a user would.

    .venv/bin/python scripts/compose_check.py            # podman-compose, else docker compose
    .venv/bin/python scripts/compose_check.py --keep     # leave the stack and volumes up

Builds the agent's image, brings the stack up under its own project name, and checks that
events, state and Home Assistant discovery reach a subscriber that logs in as
`homeassistant`; that an anonymous client is refused; that the history and the broker's
retained messages survive `down`/`up`; that the agent's HEALTHCHECK passes; that its core
runs compiled (by the build stage's `eva setup`); that the agent ends by itself on `stop`
(exit status 0, not a kill); and that it still does so within 5 s when the broker's
container is gone. Prints the image size (the project's own layers, above
the Python base), memory and timings. Exit status 0 when every check passed.

On podman: podman-compose 1.0.3 ignores `stop_grace_period` (podman stop waits its default
10 s), and podman keeps a Dockerfile HEALTHCHECK only in Docker-format images, so this
builds with BUILDAH_FORMAT=docker.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "evacheck"
BROKER = ("127.0.0.1", 1883)


class Engine:
    """podman (with podman-compose) or docker (with its compose plugin)."""

    def __init__(self) -> None:
        if shutil.which("podman") and shutil.which("podman-compose"):
            self.name, self.compose = "podman", ["podman-compose", "-p", PROJECT]
        elif shutil.which("docker"):
            self.name, self.compose = "docker", ["docker", "compose", "-p", PROJECT]
        else:
            raise SystemExit("no container engine: install podman and podman-compose, or docker")

    def container(self, service: str) -> str:
        sep = "_" if self.name == "podman" else "-"
        return f"{PROJECT}{sep}{service}{sep}1"

    def run(self, *args: str, check: bool = True, timeout: float = 1800) -> str:
        env = {**os.environ, "BUILDAH_FORMAT": "docker"}  # keep the HEALTHCHECK on podman
        done = subprocess.run(
            list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done.stdout

    def up(self) -> None:
        self.run(*self.compose, "up", "-d")

    def down(self, volumes: bool = False) -> None:
        self.run(*self.compose, "down", *(["-v"] if volumes else []), check=False)

    def exec(self, service: str, *cmd: str) -> str:
        return self.run(self.name, "exec", self.container(service), *cmd).strip()

    def inspect(self, what: str, template: str) -> str:
        return self.run(self.name, "inspect", "--format", template, what).strip()


class Listener:
    """An MQTT client that records what it receives (or why it was refused)."""

    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        self.client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"compose-check-{uuid.uuid4().hex[:6]}",
            protocol=MQTTProtocolVersion.MQTTv311,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.connack: str | None = None
        self.connected = threading.Event()
        self.messages: list[tuple[str, bytes, bool]] = []
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def start(self, *filters: str) -> Listener:
        self._filters = filters
        self.client.connect(*BROKER, keepalive=30)
        self.client.loop_start()
        if not self.connected.wait(10):
            raise RuntimeError("no CONNACK from the broker")
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def wait(self, what: Callable[[list[tuple[str, bytes, bool]]], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if what(list(self.messages)):
                return True
            time.sleep(0.2)
        return False

    def _on_connect(self, client: Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self.connack = str(rc)
        if not rc.is_failure:
            for f in self._filters:
                client.subscribe(f, qos=1)
        self.connected.set()

    def _on_message(self, client: Client, userdata: Any, msg: MQTTMessage) -> None:
        self.messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))


def has(topic_part: str) -> Callable[[list[tuple[str, bytes, bool]]], bool]:
    return lambda ms: any(topic_part in t for t, _, _ in ms)


class Report:
    def __init__(self) -> None:
        self.failed = 0

    def check(self, ok: bool, what: str) -> bool:
        self.failed += not ok
        print(f"[{'ok' if ok else 'FAIL'}] {what}", flush=True)
        return ok

    def figure(self, what: str) -> None:
        print(f"[figure] {what}", flush=True)


def mb(text: str) -> float:
    """Bytes as a number of MB."""
    return int(text) / 1e6


def history_count(engine: Engine) -> int:
    code = (
        "import sqlite3; print(sqlite3.connect('/data/events.db')"
        ".execute('select count(*) from events').fetchone()[0])"
    )
    return int(engine.exec("agent", "python", "-c", code))


def wait_for_login_files(engine: Engine, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return engine.exec("mosquitto", "cat", "/mosquitto/secrets/homeassistant-password")
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def stop_agent(engine: Engine) -> tuple[float, str]:
    """Seconds `stop` took, and the agent's exit status."""
    started = time.monotonic()
    engine.run(engine.name, "stop", "-t", "15", engine.container("agent"))
    took = time.monotonic() - started
    return took, engine.inspect(engine.container("agent"), "{{.State.ExitCode}}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the stack and volumes up")
    args = parser.parse_args()
    engine = Engine()
    report = Report()
    print(f"engine: {engine.name}; project {PROJECT}", flush=True)
    engine.down(volumes=True)

    started = time.monotonic()
    engine.run(*engine.compose, "build")
    report.figure(f"image build: {time.monotonic() - started:.0f} s")
    try:
        started = time.monotonic()
        engine.up()
        password = wait_for_login_files(engine)
        image = engine.inspect(engine.container("agent"), "{{.Config.Image}}")
        total = mb(engine.inspect(image, "{{.Size}}"))
        base = mb(engine.inspect("python:3.11-slim", "{{.Size}}"))
        report.figure(
            f"image {image}: {total:.0f} MB, of which the project's own layers "
            f"{total - base:.0f} MB above python:3.11-slim ({base:.0f} MB here)"
        )
        report.check(total - base <= 400, "the project's own layers are at most 400 MB")
        ha = Listener("homeassistant", password).start("eva/#", "homeassistant/#")
        report.check(ha.connack == "Success", f"homeassistant logs in (CONNACK {ha.connack})")
        got_event = ha.wait(has("/events"), 180)
        report.figure(f"up to the first event on MQTT: {time.monotonic() - started:.0f} s")
        report.check(got_event, "events reach a subscriber logged in as homeassistant")
        report.check(ha.wait(has("eva/demo/state"), 30), "camera state arrives")
        report.check(
            ha.wait(lambda ms: any(t.startswith("homeassistant/") for t, _, _ in ms), 30),
            "Home Assistant discovery arrives",
        )
        ha.stop()
        anon = Listener().start("eva/#")
        report.check(anon.connack == "Not authorized", f"anonymous refused ({anon.connack})")
        anon.stop()

        time.sleep(40)  # let the health file and the HEALTHCHECK's first run happen
        agent = engine.container("agent")
        health = ""
        if engine.name == "podman":  # podman runs health checks only when asked (no systemd)
            health = engine.run(engine.name, "healthcheck", "run", agent, check=False)
        status = engine.inspect(
            agent, "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}"
        )
        report.check(status == "healthy", f"the agent's HEALTHCHECK: {status} {health.strip()}")
        stats = engine.run(
            engine.name, "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}"
        )
        for line in stats.strip().splitlines():
            report.figure(f"memory: {line}")
        core = engine.exec("agent", "python", "-c", "import agent.core as c; print(c.RUNNING)")
        report.check(core.startswith("compiled"), f"the agent's core runs {core}")

        before = history_count(engine)
        took, code = stop_agent(engine)
        report.figure(f"agent stop: {took:.1f} s")
        report.check(code == "0", f"the agent ends by itself on stop (exit status {code})")

        engine.down()
        engine.up()
        wait_for_login_files(engine)
        ha = Listener("homeassistant", password).start("eva/#")
        retained = ha.wait(lambda ms: any(r and t == "eva/demo/state" for t, _, r in ms), 60)
        report.check(retained, "the broker kept its retained messages across down/up")
        report.check(ha.wait(has("/events"), 180), "events flow again after down/up")
        after = history_count(engine)
        report.check(after >= before > 0, f"the history survives down/up ({before} -> {after})")
        ha.stop()

        engine.run(engine.name, "rm", "-f", engine.container("mosquitto"))
        time.sleep(3)
        took, code = stop_agent(engine)
        report.figure(f"agent stop with the broker's container gone: {took:.1f} s")
        report.check(took < 5 and code == "0", f"... within 5 s, exit status {code}")
    finally:
        if not args.keep:
            engine.down(volumes=True)
    print(json.dumps({"failed": report.failed}), flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
