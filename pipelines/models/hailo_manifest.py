"""Hailo model files: the manifest, where HEFs are looked for, and the one-off download."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from eva_errors import DetectorError
from hailo_models import MANIFEST_DIR
from pipelines.models.builtin import sha256_file
from pipelines.models.paths import cache_dir

log = logging.getLogger(__name__)

Arch = Literal["hailo8", "hailo8l"]
ARCHS: tuple[Arch, ...] = get_args(Arch)
ARCH_NAMES: dict[Arch, str] = {"hailo8": "Hailo-8", "hailo8l": "Hailo-8L"}

#: Where the Raspberry Pi `hailo-models` package installs its HEFs.
SYSTEM_MODELS_DIR = Path("/usr/share/hailo-models")
FETCH_COMMAND = "eva models fetch"

#: Writes the body at a URL into a file; raises on any failure.
Download = Callable[[str, Path], None]


class ModelFetchError(DetectorError):
    """A model could not be downloaded or did not match its checksum."""


class HailoModelEntry(BaseModel):
    """One compiled HEF: a model name built for one chip."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="What detector.model says, e.g. 'yolov8s'.")
    arch: Arch = Field(description="The chip the HEF is compiled for.")
    file: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*\.hef$", description="Local file name (no folders)."
    )
    url: str = Field(pattern=r"^https?://", description="Where `eva models fetch` downloads it.")
    sha256: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{64}$",
        description="Expected checksum; null = record it on first fetch.",
    )
    input_shape: tuple[int, int, int] = Field(
        description="Network input [height, width, channels] as HailoRT reports it."
    )
    labels: str = Field(description="Class names file, relative to the manifest folder.")
    task: Literal["detection"] = Field(description="What the HEF's output holds.")


class HailoManifest(BaseModel):
    """Every known HEF; each model name must exist for both chips."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    models: tuple[HailoModelEntry, ...] = Field(description="The entries, any order.")

    @model_validator(mode="after")
    def _consistent(self) -> HailoManifest:
        seen: set[tuple[str, str]] = set()
        files: set[str] = set()
        for e in self.models:
            if (e.name, e.arch) in seen:
                raise ValueError(f"model {e.name!r} is listed twice for {e.arch}")
            if e.file in files:
                raise ValueError(f"file {e.file!r} is used by two entries; names must differ")
            seen.add((e.name, e.arch))
            files.add(e.file)
        for name in self.names():
            missing = [a for a in ARCHS if (name, a) not in seen]
            if missing:
                raise ValueError(f"model {name!r} has no entry for {', '.join(missing)}")
        return self

    def names(self) -> tuple[str, ...]:
        """Model names in manifest order, each once."""
        return tuple(dict.fromkeys(e.name for e in self.models))

    def entry(self, name: str, arch: Arch) -> HailoModelEntry:
        """The entry for a model name on a chip; DetectorError names the known models."""
        for e in self.models:
            if e.name == name and e.arch == arch:
                return e
        raise DetectorError(
            f"unknown Hailo model {name!r}: set detector.model to one of "
            f"{', '.join(self.names())}, or to the path of a .hef file"
        )

    def by_file(self, file_name: str) -> HailoModelEntry | None:
        """The entry whose local file name this is, if any."""
        return next((e for e in self.models if e.file == file_name), None)


def load_manifest(path: Path | None = None) -> HailoManifest:
    """Read and validate a manifest (default: the bundled manifest.yaml)."""
    if path is None:
        return _bundled_manifest()
    return _read_manifest(path)


@cache
def _bundled_manifest() -> HailoManifest:
    return _read_manifest(MANIFEST_DIR / "manifest.yaml")


def _read_manifest(path: Path) -> HailoManifest:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DetectorError(f"cannot read the Hailo model manifest {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise DetectorError(f"the Hailo model manifest {path} is not valid YAML: {exc}") from exc
    try:
        return HailoManifest.model_validate(data)
    except ValidationError as exc:
        raise DetectorError(f"the Hailo model manifest {path} is invalid: {exc}") from exc


def labels_path(entry: HailoModelEntry, manifest_dir: Path = MANIFEST_DIR) -> Path:
    """The class names file of an entry."""
    return manifest_dir / entry.labels


def default_fetch_dir() -> Path:
    """Where `eva models fetch` writes: $EVA_MODELS_DIR, else <cache>/hailo."""
    explicit = os.environ.get("EVA_MODELS_DIR")
    return Path(explicit).expanduser() if explicit else cache_dir() / "hailo"


def search_dirs() -> list[Path]:
    """Folders searched for HEFs, in order: $EVA_MODELS_DIR, the hailo-models package, cache."""
    dirs: list[Path] = []
    explicit = os.environ.get("EVA_MODELS_DIR")
    if explicit:
        dirs.append(Path(explicit).expanduser())
    dirs += [SYSTEM_MODELS_DIR, cache_dir() / "hailo"]
    return list(dict.fromkeys(dirs))


def sidecar(path: Path) -> Path:
    """The `<file>.sha256` record written when a file was fetched."""
    return path.with_name(path.name + ".sha256")


def recorded_sha256(path: Path) -> str | None:
    """The checksum recorded next to a file, or None."""
    try:
        words = sidecar(path).read_text("utf-8").split()
    except OSError:
        return None
    return words[0].lower() if words else None


def expected_sha256(path: Path, entry: HailoModelEntry | None) -> str | None:
    """What a file must hash to: its own record, else the manifest's value, else unknown."""
    recorded = recorded_sha256(path)
    if recorded:
        return recorded
    # Files from the hailo-models package are other builds of the same models, so the
    # manifest's Model Zoo checksum does not apply to them; dpkg owns their integrity.
    if entry is not None and entry.sha256 and path.parent != SYSTEM_MODELS_DIR:
        return entry.sha256
    return None


def looks_like_path(model: str) -> bool:
    """Whether detector.model names a file rather than a manifest entry."""
    return model.endswith(".hef") or "/" in model or os.sep in model or model.startswith("~")


def resolve_hef(
    name_or_path: str,
    arch: Arch,
    *,
    manifest: HailoManifest | None = None,
    dirs: Sequence[Path] | None = None,
) -> Path:
    """The HEF to load: an existing path as given, or a manifest name's file for this chip.

    Raises DetectorError naming `eva models fetch` when the file is missing or corrupt.
    """
    manifest = manifest or load_manifest()
    if looks_like_path(name_or_path):
        path = Path(name_or_path).expanduser()
        if not path.is_file():
            raise DetectorError(
                f"HEF file {path} does not exist: set detector.model to an existing .hef file, "
                f"or to a model name ({', '.join(manifest.names())}) and run "
                f"`{FETCH_COMMAND}`"
            )
        _verify(path, manifest.by_file(path.name))
        return path
    entry = manifest.entry(name_or_path, arch)
    folders = list(dirs) if dirs is not None else search_dirs()
    for folder in folders:
        path = folder / entry.file
        if path.is_file():
            _verify(path, entry)
            return path
    raise DetectorError(
        f"{entry.file} ({entry.name} for the {ARCH_NAMES[arch]}) is not in "
        f"{', '.join(str(d) for d in folders)}: run `{FETCH_COMMAND} {entry.name}` "
        f"to download it into {default_fetch_dir()}"
    )


def _verify(path: Path, entry: HailoModelEntry | None) -> None:
    if path.stat().st_size == 0:
        raise DetectorError(f"{path} is empty: delete it and run `{FETCH_COMMAND}`")
    expected = expected_sha256(path, entry)
    if expected and sha256_file(path) != expected:
        raise DetectorError(
            f"{path} is corrupt or was replaced (its checksum differs from the one recorded): "
            f"delete it and run `{FETCH_COMMAND}`"
        )


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What `fetch_models` did for one file."""

    entry: HailoModelEntry
    path: Path
    sha256: str
    downloaded: bool


def download_url(url: str, dest: Path, timeout: float = 60.0) -> None:
    """Stream an http(s) URL into a file with urllib."""
    if not url.startswith(("http://", "https://")):
        raise ModelFetchError(f"refusing to download {url!r}: only http(s) URLs are allowed")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, dest.open("wb") as f:
            shutil.copyfileobj(response, f, 1 << 20)
    except urllib.error.HTTPError as exc:
        raise ModelFetchError(f"downloading {url} failed: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelFetchError(
            f"downloading {url} failed: {reason}; check the network connection"
        ) from exc


def fetch_models(
    names: Iterable[str],
    arch: Arch | Sequence[Arch],
    dest: Path | None = None,
    *,
    download: Download = download_url,
    manifest: HailoManifest | None = None,
) -> list[FetchResult]:
    """Download each missing HEF once, verify it and record its checksum.

    Args:
        names: manifest model names.
        arch: the chip, or several chips, to fetch for.
        dest: target folder (default `default_fetch_dir()`); created if needed.
        download: writes a URL's body to a path (injectable for tests).
        manifest: default the bundled one.

    Returns:
        one result per file, in order; `downloaded` is False when a good copy was present.

    Raises:
        ModelFetchError: a download failed, or its checksum differs from the manifest's
            (the partial file is deleted; both checksums are in the message).
    """
    manifest = manifest or load_manifest()
    archs: tuple[Arch, ...] = (arch,) if isinstance(arch, str) else tuple(arch)
    folder = dest if dest is not None else default_fetch_dir()
    entries = [manifest.entry(n, a) for n in names for a in archs]
    folder.mkdir(parents=True, exist_ok=True)
    return [_fetch_one(e, folder, download) for e in entries]


def _fetch_one(entry: HailoModelEntry, folder: Path, download: Download) -> FetchResult:
    path = folder / entry.file
    if path.is_file() and path.stat().st_size > 0:
        digest = sha256_file(path)
        expected = expected_sha256(path, entry)
        if expected is None or digest == expected:
            if recorded_sha256(path) != digest:
                _write_sidecar(path, digest)
            log.info("%s is already present (sha256 %s)", path, digest)
            return FetchResult(entry, path, digest, downloaded=False)
        log.warning("%s does not match its checksum; downloading it again", path)

    log.info("downloading %s for the %s from %s", entry.name, ARCH_NAMES[entry.arch], entry.url)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{entry.file}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        download(entry.url, tmp)
        if tmp.stat().st_size == 0:
            raise ModelFetchError(f"downloading {entry.url} gave an empty file")
        digest = sha256_file(tmp)
        if entry.sha256 and digest != entry.sha256:
            raise ModelFetchError(
                f"{entry.url} has sha256 {digest} but the manifest expects {entry.sha256}: "
                "the file was deleted; the download was damaged or the file changed upstream"
            )
        tmp.chmod(0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_sidecar(path, digest)
    return FetchResult(entry, path, digest, downloaded=True)


def _write_sidecar(path: Path, digest: str) -> None:
    # Same format as sha256sum, so `sha256sum -c` can check the folder by hand.
    record = sidecar(path)
    tmp = record.with_name(record.name + ".tmp")
    tmp.write_text(f"{digest}  {path.name}\n", encoding="utf-8")
    os.replace(tmp, record)
