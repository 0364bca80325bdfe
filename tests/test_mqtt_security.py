"""Security of the MQTT side: TLS with host-name checks, passwords from files never logged,
and an embedded broker that stays on loopback."""

from __future__ import annotations

import logging
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
from support.mqtt_helpers import Mosquitto, MosquittoFactory
from test_mqtt import make_event

from agent.adapters.mqtt import payloads
from agent.adapters.mqtt.broker import EmbeddedBroker
from agent.adapters.mqtt.publisher import MqttPublisher, MqttSetupError
from agent.config.schema import MqttConfig

pytestmark = pytest.mark.broker


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA and a server certificate for 'localhost' only (no IP address in it)."""
    d = tmp_path_factory.mktemp("pki")
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        str(d / "ca.key"),
        "-out",
        str(d / "ca.crt"),
        "-subj",
        "/CN=eva test CA",
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        str(d / "server.key"),
        "-out",
        str(d / "server.csr"),
        "-subj",
        "/CN=localhost",
    )
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost\n")
    openssl(
        "x509",
        "-req",
        "-in",
        str(d / "server.csr"),
        "-CA",
        str(d / "ca.crt"),
        "-CAkey",
        str(d / "ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        str(d / "server.crt"),
        "-extfile",
        str(d / "ext.cnf"),
    )
    # A second CA that did not sign the server's certificate.
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        str(d / "other.key"),
        "-out",
        str(d / "other.crt"),
        "-subj",
        "/CN=other",
    )
    return d


def tls_broker(factory: MosquittoFactory, pki: Path) -> Mosquitto:
    return factory(
        [
            f"cafile {pki / 'ca.crt'}",
            f"certfile {pki / 'server.crt'}",
            f"keyfile {pki / 'server.key'}",
        ]
    )


def connects(config: MqttConfig, host: str, port: int, timeout: float = 4.0) -> bool:
    publisher = MqttPublisher(config, host, port)
    publisher.start()
    try:
        event = make_event()
        publisher.publish(*payloads.event(publisher.base_topic, event))
        return publisher.wait_until_delivered(timeout)
    finally:
        publisher.close(timeout=0.5)


def cfg(base: str, **kw: object) -> MqttConfig:
    return MqttConfig.model_validate(
        {
            "base_topic": base,
            "client_id": f"eva-{uuid.uuid4().hex[:8]}",
            "reconnect_max_seconds": 1,
            **kw,
        }
    )


def test_tls_with_the_right_ca_delivers(
    mosquitto_factory: MosquittoFactory, pki: Path, mqtt_base: str
) -> None:
    broker = tls_broker(mosquitto_factory, pki)
    assert connects(
        cfg(mqtt_base, tls=True, tls_ca_file=str(pki / "ca.crt")), "localhost", broker.port
    )


def test_tls_refuses_a_broker_signed_by_another_ca(
    mosquitto_factory: MosquittoFactory, pki: Path, mqtt_base: str
) -> None:
    broker = tls_broker(mosquitto_factory, pki)
    assert not connects(
        cfg(mqtt_base, tls=True, tls_ca_file=str(pki / "other.crt")),
        "localhost",
        broker.port,
        timeout=2,
    )


def test_tls_checks_the_host_name_unless_told_not_to(
    mosquitto_factory: MosquittoFactory, pki: Path, mqtt_base: str
) -> None:
    broker = tls_broker(mosquitto_factory, pki)
    ca = str(pki / "ca.crt")
    # The certificate names 'localhost', not 127.0.0.1.
    assert not connects(cfg(mqtt_base, tls=True, tls_ca_file=ca), "127.0.0.1", broker.port, 2)
    assert connects(
        cfg(mqtt_base, tls=True, tls_ca_file=ca, tls_insecure=True), "127.0.0.1", broker.port
    )


def test_tls_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="set tls: true"):
        MqttConfig(tls_ca_file="/x/ca.crt")
    with pytest.raises(ValueError, match="go together"):
        MqttConfig(tls=True, tls_cert_file="/x/c.crt")
    with pytest.raises(MqttSetupError, match="does not exist"):
        MqttPublisher(MqttConfig(tls=True, tls_ca_file=str(tmp_path / "nope.crt")), "h", 1)


def test_a_password_from_a_file_works_and_is_never_logged(
    mosquitto_factory: MosquittoFactory,
    tmp_path: Path,
    mqtt_base: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "correct-horse-battery"
    passwords = tmp_path / "passwords"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwords), "eva", secret], check=True)
    broker = mosquitto_factory([f"password_file {passwords}"], anonymous=False)
    secret_file = tmp_path / "mqtt_password"
    secret_file.write_text(secret + "\n")
    config = cfg(mqtt_base, username="eva", password_file=str(secret_file))
    assert connects(config, broker.host, broker.port)
    assert secret not in caplog.text
    assert secret not in repr(config) and secret not in str(config.model_dump())
    with pytest.raises(MqttSetupError, match="password_file"):
        MqttPublisher(
            cfg(mqtt_base, username="eva", password_file=str(tmp_path / "no")),
            broker.host,
            broker.port,
        )


def test_the_embedded_broker_listens_on_loopback_only() -> None:
    others = {
        info[4][0]
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        if not info[4][0].startswith("127.")
    }
    with EmbeddedBroker(0) as broker:
        assert broker.host == "127.0.0.1"
        with socket.create_connection(("127.0.0.1", broker.port), timeout=2):
            pass
        for address in others:
            with pytest.raises(OSError):
                socket.create_connection((address, broker.port), timeout=2).close()
