"""Shared test fixtures."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.mqtt_helpers import Mosquitto, MosquittoFactory

# MQTT: real Mosquitto brokers started by the suite (see mqtt_helpers.Mosquitto).


@pytest.fixture
def mosquitto_factory(tmp_path: Path) -> Iterator[MosquittoFactory]:
    """Start Mosquitto brokers (extra config lines, persistence, anonymous); killed at teardown."""
    started: list[Mosquitto] = []

    def make(
        extra: list[str] | None = None, *, persistence: bool = False, anonymous: bool = True
    ) -> Mosquitto:
        directory = tmp_path / f"mosquitto-{len(started)}"
        directory.mkdir()
        broker = Mosquitto(
            directory, extra=extra or [], persistence=persistence, anonymous=anonymous
        )
        started.append(broker)
        broker.start()
        return broker

    yield make
    for broker in started:
        broker.kill()


@pytest.fixture
def mosquitto(mosquitto_factory: MosquittoFactory) -> Mosquitto:
    """A Mosquitto of this test's own, free to stop and restart."""
    return mosquitto_factory()


@pytest.fixture(scope="session")
def mosquitto_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    """One Mosquitto shared by the tests that never stop it; use `mqtt_base` to stay apart."""
    broker = Mosquitto(tmp_path_factory.mktemp("mosquitto"), extra=[], persistence=False)
    broker.start()
    yield broker
    broker.kill()


@pytest.fixture
def mqtt_base() -> str:
    """A base topic of this test's own, so tests sharing a broker never see each other."""
    return f"test-{uuid.uuid4().hex[:10]}"


class _CallbackErrors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@pytest.fixture(autouse=True)
def _fail_on_swallowed_mqtt_errors() -> Iterator[None]:
    """Fail a test whose MQTT callback raised: the publisher logs and swallows such errors
    (an exception would kill paho's network thread), so pytest would not see them otherwise.
    Uncaught exceptions in any thread already fail the test via pyproject's filterwarnings."""
    handler = _CallbackErrors()
    log = logging.getLogger("agent.adapters.mqtt")
    log.addHandler(handler)
    yield
    log.removeHandler(handler)
    if handler.records:
        details = "\n".join(handler.format(r) for r in handler.records)
        pytest.fail(f"an MQTT callback raised:\n{details}")
