"""A local Mosquitto process on a free loopback port, for `eva bench` and the soak run."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from eva_errors import UserError

MOSQUITTO_HINT = "install it with: sudo apt-get install -y mosquitto"


class MosquittoError(UserError, RuntimeError):
    """Mosquitto is not installed or did not start."""


def find_mosquitto() -> str | None:
    """The mosquitto binary from PATH or /usr/sbin (Debian's place, often not on PATH)."""
    return shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/bin")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_accepts(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port right now."""
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class Mosquitto:
    """One Mosquitto process on a loopback port that can be stopped and started again.

    The configuration file (and, with persistence, the database) lives in `directory`.
    """

    def __init__(
        self,
        directory: Path,
        *,
        persistence: bool = False,
        extra: Sequence[str] = (),
        anonymous: bool = True,
        host: str = "127.0.0.1",
        port: int | None = None,
        binary: str | None = None,
    ) -> None:
        found = binary or find_mosquitto()
        if found is None:
            raise MosquittoError(f"'mosquitto' not found in PATH or /usr/sbin; {MOSQUITTO_HINT}")
        self.binary = found
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.conf_path = directory / "mosquitto.conf"
        self.log_path = directory / "mosquitto.log"
        lines = [f"listener {self.port} {host}", f"allow_anonymous {str(anonymous).lower()}"]
        lines += list(extra)
        if persistence:
            # Saved on SIGTERM and loaded on start: sessions and queued messages survive.
            lines += ["persistence true", f"persistence_location {directory}/"]
        else:
            lines.append("persistence false")
        if os.geteuid() == 0:
            # As root Mosquitto switches to user 'mosquitto', who may not read `directory`.
            lines.append("user root")
        self.conf_path.write_text("\n".join(lines) + "\n")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running and self._proc is not None else None

    def start(self, timeout: float = 5.0) -> None:
        """Start the broker and wait until its port accepts connections."""
        if self.running:
            raise MosquittoError("mosquitto is already running")
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [self.binary, "-c", str(self.conf_path)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while not port_accepts(self.host, self.port):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise MosquittoError(f"mosquitto did not start on port {self.port}:\n{self.log()}")
            time.sleep(0.01)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop gracefully (SIGTERM): clients see the connection drop, persistence is saved."""
        self._signal(signal.SIGTERM, timeout)

    def kill(self) -> None:
        """Stop abruptly (SIGKILL)."""
        self._signal(signal.SIGKILL, 5.0)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _signal(self, sig: signal.Signals, timeout: float) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)  # by PID: other brokers may run on this machine
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
