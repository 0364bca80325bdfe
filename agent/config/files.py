"""The files a configuration names, checked once when it is loaded.

`eva check` and `eva run` both load through `agent.config.loader`, which runs these checks,
so what one accepts the other cannot reject: a model, labels, TLS or password file that is
missing, unreadable, empty or of the wrong kind fails both, naming the setting and its line.
The runtime readers (labels, password) are the same functions.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agent.config.schema import AppConfig, CameraConfig, MqttConfig
from eva_errors import EvaError
from pipelines.models.labels import read_labels

if TYPE_CHECKING:
    import ssl  # imported where TLS is checked: a configuration without TLS never loads it

Loc = tuple[str | int, ...]

# A password file holds one line; anything this big is the wrong file.
MAX_PASSWORD_FILE_BYTES = 65_536
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class Finding:
    """A problem (or a warning) with the setting it concerns."""

    loc: Loc
    message: str


class FileCheckError(EvaError, ValueError):
    """A named file cannot serve its purpose; the message says why and how to fix it."""


def file_problems(config: AppConfig) -> list[Finding]:
    """Every named file that would make the agent fail once it starts."""
    problems = list(_mqtt_problems(config.mqtt))
    for i, camera in enumerate(config.cameras):
        problems += _camera_problems(camera, ("cameras", i))
    llm = config.llm
    if llm.type == "llamacpp" and llm.model_path:
        problems += _probe(("llm", "model_path"), lambda: _gguf(Path(llm.model_path or "")))
    return problems


def file_warnings(config: AppConfig) -> list[Finding]:
    """Settings that work but are probably not what the user wants."""
    m = config.mqtt
    found: list[Finding] = []
    if m.password_file is not None:
        path = Path(m.password_file).expanduser()
        try:
            mode = path.stat().st_mode
        except OSError:
            mode = 0
        if mode & stat.S_IROTH:
            found.append(
                Finding(
                    ("mqtt", "password_file"),
                    f"{path} can be read by every user of this machine; run chmod 600 {path}",
                )
            )
    if (m.password_file is not None or m.password is not None) and m.username is None:
        which = "password_file" if m.password_file is not None else "password"
        found.append(
            Finding(
                ("mqtt", which),
                f"mqtt.{which} is set but mqtt.username is not, so no password is sent; "
                "set mqtt.username",
            )
        )
    return found


def read_password_file(path: Path) -> str:
    """The first line of a password file, stripped; FileCheckError says why there is none."""
    fix = "put the password on the file's first line"
    data = _read_bytes(path, MAX_PASSWORD_FILE_BYTES, fix)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FileCheckError(f"{path} is not UTF-8 text (a binary file?); {fix}") from e
    lines = text.splitlines()
    password = lines[0].strip() if lines else ""
    if "\0" in password:
        raise FileCheckError(f"{path} holds a NUL byte (a binary file?); {fix}")
    if not password:
        raise FileCheckError(f"{path} has no password on its first line; {fix}")
    return password


def _mqtt_problems(m: MqttConfig) -> Iterator[Finding]:
    if m.password_file is not None:
        path = Path(m.password_file).expanduser()
        yield from _probe(("mqtt", "password_file"), lambda: read_password_file(path))
    if not m.tls:
        return
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if m.tls_ca_file is not None:
        ca = Path(m.tls_ca_file).expanduser()
        yield from _probe(("mqtt", "tls_ca_file"), lambda: _ca_file(context, ca))
    if m.tls_cert_file is not None and m.tls_key_file is not None:
        cert, key = Path(m.tls_cert_file).expanduser(), Path(m.tls_key_file).expanduser()
        problems = list(_probe(("mqtt", "tls_cert_file"), lambda: _readable(cert, "a PEM file")))
        problems += _probe(("mqtt", "tls_key_file"), lambda: _readable(key, "a PEM file"))
        yield from problems
        if not problems:
            yield from _probe(("mqtt", "tls_cert_file"), lambda: _cert_chain(context, cert, key))


def _camera_problems(camera: CameraConfig, at: Loc) -> Iterator[Finding]:
    det = camera.detector
    if det.type == "onnx" and det.model != "yolov3-tiny":
        yield from _probe((*at, "detector", "model"), lambda: _onnx(Path(det.model).expanduser()))
    if det.type == "hailo" and (det.model.endswith(".hef") or "/" in det.model):
        hef = Path(det.model).expanduser()
        yield from _probe((*at, "detector", "model"), lambda: _readable(hef, "a .hef file"))
    if det.type in ("onnx", "hailo") and det.labels_file:
        labels = Path(det.labels_file).expanduser()
        yield from _probe((*at, "detector", "labels_file"), lambda: _labels(labels))
    src = camera.source
    if src.type == "imx500":
        # The default network path exists only on a Pi with imx500-models: leave a missing
        # one to `eva check`'s hardware report, but a file that is there must be usable.
        network = Path(src.network).expanduser()
        if network.exists():
            yield from _probe((*at, "source", "network"), lambda: _readable(network, "an .rpk"))
        if src.labels_file:
            labels = Path(src.labels_file).expanduser()
            yield from _probe((*at, "source", "labels_file"), lambda: _labels(labels))


def _probe(loc: Loc, check: Callable[[], object]) -> Iterator[Finding]:
    try:
        check()
    except FileCheckError as e:
        yield Finding(loc, str(e))


def _read_bytes(path: Path, limit: int, fix: str) -> bytes:
    """At most `limit` bytes of a regular file (a FIFO or device would block or never end)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FileCheckError(f"{path} does not exist; {fix}") from None
    except OSError as e:
        raise FileCheckError(f"cannot use {path}: {e.strerror or e}; {fix}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileCheckError(f"{path} is not a regular file; {fix}")
    if info.st_size > limit:
        raise FileCheckError(f"{path} is larger than {limit} bytes, so it is not that file; {fix}")
    try:
        with path.open("rb") as f:
            return f.read(limit + 1)
    except OSError as e:
        raise FileCheckError(f"cannot read {path}: {e.strerror or e}; {fix}") from None


def _readable(path: Path, kind: str) -> None:
    """The file exists, is a regular file, can be opened and is not empty."""
    fix = f"point the setting at {kind}"
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FileCheckError(f"{path} does not exist; {fix}") from None
    except OSError as e:
        raise FileCheckError(f"cannot use {path}: {e.strerror or e}; {fix}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileCheckError(f"{path} is not a regular file; {fix}")
    try:
        with path.open("rb") as f:
            first = f.read(1)
    except OSError as e:
        raise FileCheckError(f"cannot read {path}: {e.strerror or e}; {fix}") from None
    if not first:
        raise FileCheckError(f"{path} is empty; {fix}")


def _labels(path: Path) -> None:
    read_labels(path, "labels file", FileCheckError)


def _onnx(path: Path) -> None:
    _readable(path, "an .onnx model file")
    try:
        import onnx  # the same parser ONNX Runtime's files come from; only for custom models
    except ImportError:  # a lean install (the container image): ONNX Runtime says it at load
        return

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # protobuf raises DecodeError, RuntimeError or ValueError
        raise FileCheckError(
            f"{path} is not an ONNX model ({type(e).__name__}); point detector.model at a "
            "YOLO .onnx export or write 'yolov3-tiny'"
        ) from None
    if not model.graph.input or not model.graph.output:
        raise FileCheckError(f"{path} is an ONNX file without inputs or outputs; re-export it")


def _gguf(path: Path) -> None:
    _readable(path, "a .gguf model file")
    with path.open("rb") as f:
        magic = f.read(len(GGUF_MAGIC))
    if magic != GGUF_MAGIC:
        raise FileCheckError(f"{path} is not a GGUF model; point llm.model_path at a .gguf file")


def _ca_file(context: ssl.SSLContext, path: Path) -> None:
    import ssl

    _readable(path, "a PEM file with the broker's CA certificate")
    try:
        context.load_verify_locations(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError) as e:
        raise FileCheckError(
            f"{path} holds no usable CA certificate ({_ssl_reason(e)}); point it at the PEM "
            "file of the CA that signed the broker's certificate"
        ) from None


# Not in the error family: a signal from the key callback to its caller that never leaves here.
class _EncryptedKey(Exception):  # noqa: N818
    """Raised from the password callback: the key wants a passphrase we do not have."""


def _no_passphrase() -> str:
    # Without a callback OpenSSL would prompt on the terminal, and `eva run` would hang there.
    raise _EncryptedKey


def _cert_chain(context: ssl.SSLContext, cert: Path, key: Path) -> None:
    import ssl

    try:
        context.load_cert_chain(str(cert), str(key), password=_no_passphrase)
    except _EncryptedKey:
        raise FileCheckError(
            f"the key {key} is protected by a passphrase; remove it with "
            f"`openssl pkey -in {key} -out key.pem` and point mqtt.tls_key_file there"
        ) from None
    except (ssl.SSLError, OSError, ValueError) as e:
        raise FileCheckError(
            f"{cert} and {key} are not a PEM certificate and its private key "
            f"({_ssl_reason(e)}); check mqtt.tls_cert_file and mqtt.tls_key_file"
        ) from None


def _ssl_reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or str(error)
    return str(reason)[:120]
