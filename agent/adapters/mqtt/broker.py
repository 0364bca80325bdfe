"""An MQTT broker inside the agent (amqtt), for installs that have no broker of their own."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import threading
from types import TracebackType
from typing import Any

from eva_errors import UserError

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"

# amqtt logs every connection and packet at INFO; the agent's log should carry only its own story.
_CHATTY_LOGGERS = ("amqtt", "transitions")


class BrokerStartError(UserError, RuntimeError):
    """The embedded broker could not start listening."""


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _address_in_use(exc: BaseException) -> bool:
    # amqtt wraps the listener's OSError in BrokerError, so walk the cause chain.
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.EADDRINUSE:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _amqtt_config(host: str, port: int) -> dict[str, Any]:
    # Only the anonymous-auth plugin: amqtt's defaults also load packet loggers and a
    # $SYS publisher, which cost CPU on a Pi and nobody here reads.
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {
            "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
        },
    }


class EmbeddedBroker:
    """An amqtt broker, on loopback unless told otherwise, in its own thread and event loop."""

    def __init__(self, port: int = 0, *, host: str = HOST, start_timeout: float = 5.0) -> None:
        self._listen_host = host
        self._requested_port = port
        self._port = port
        self._start_timeout = start_timeout
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def host(self) -> str:
        """The address clients on this machine use: loopback even when listening on all."""
        return HOST if self._listen_host in ("0.0.0.0", "::") else self._listen_host

    @property
    def port(self) -> int:
        """The TCP port the broker listens on (the picked one when 0 was asked for)."""
        return self._port

    @property
    def running(self) -> bool:
        """Whether the broker thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the broker; return once its port accepts connections (bounded by start_timeout)."""
        if self._thread is not None:
            raise RuntimeError("the embedded broker was already started")
        for name in _CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
        # A failed start (port taken) is raised below as one clear BrokerStartError; amqtt
        # would also log it with a traceback, so it stays quiet until it listens.
        logging.getLogger("amqtt").setLevel(logging.CRITICAL)
        # amqtt would accept port 0 but never tell us which port the OS chose.
        self._port = self._requested_port or _free_port(self._listen_host)
        self._thread = threading.Thread(target=self._run, name="eva-mqtt-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(self._start_timeout):
            self.stop()
            raise BrokerStartError(
                f"the embedded MQTT broker did not start within {self._start_timeout:g} s"
            )
        if self._error is not None:
            self._thread.join(self._start_timeout)
            raise self._start_error(self._error) from self._error
        logging.getLogger("amqtt").setLevel(logging.WARNING)
        logger.info("embedded MQTT broker listening on %s:%d", self._listen_host, self._port)

    def stop(self, timeout: float = 5.0) -> None:
        """Disconnect every client, close the listener and join the thread. Idempotent."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None or not thread.is_alive():
            return
        if loop is not None and stop is not None:
            # RuntimeError: the loop closed after the check above, so it is already stopping.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)
        if thread.is_alive():
            logger.warning("embedded MQTT broker did not stop within %g s", timeout)
        else:
            logger.info("embedded MQTT broker stopped")

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _start_error(self, exc: BaseException) -> BrokerStartError:
        if _address_in_use(exc):
            return BrokerStartError(
                f"port {self._port} on {self._listen_host} is already in use, so the embedded "
                "MQTT broker cannot listen there. Another broker is probably running: set "
                "'mqtt.host' (and 'mqtt.port') to use it, or set 'mqtt.embedded_port: 0' to "
                "pick a free port."
            )
        return BrokerStartError(f"the embedded MQTT broker failed to start: {exc}")

    def _run(self) -> None:
        # Nothing may escape this thread: a start failure is handed to start() instead.
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # handed to start(), or logged once running
            if self._ready.is_set():
                logger.exception("embedded MQTT broker stopped with an error")
            else:
                self._error = exc
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        # Imported here: amqtt takes a noticeable time to import on a Pi and most
        # installs point at a real broker.
        from amqtt.broker import Broker

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        broker = Broker(_amqtt_config(self._listen_host, self._port))
        # start() returns after asyncio.start_server, i.e. after listen(): from here the
        # kernel accepts connections. (Probing with a bare TCP connect would make amqtt log
        # a warning about a client that sent nothing.)
        await broker.start()
        self._ready.set()
        await self._stop.wait()
        await broker.shutdown()
