"""The Hailo model manifest, HEF lookup, and `fetch_models` against a local HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from eva_errors import DetectorError
from pipelines.detectors.hailo.hef import hef_architecture
from pipelines.models import hailo_manifest as hm
from pipelines.models.hailo_manifest import (
    ARCHS,
    HailoManifest,
    ModelFetchError,
    default_fetch_dir,
    download_url,
    fetch_models,
    load_manifest,
    resolve_hef,
    search_dirs,
)
from pipelines.models.labels import coco80_names

MANIFEST = load_manifest()


# The manifest itself.


def test_manifest_has_the_required_models_for_both_chips() -> None:
    names = MANIFEST.names()
    assert {"yolov8s", "yolov8n"} <= set(names)
    for name in names:
        for arch in ARCHS:
            assert MANIFEST.entry(name, arch).arch == arch


def test_manifest_entries_are_consistent() -> None:
    assert len({e.file for e in MANIFEST.models}) == len(MANIFEST.models)
    for e in MANIFEST.models:
        # The file name alone tells the chip, like the hailo-models package's files.
        assert hef_architecture(Path(e.file), HailoManifest(models=())) == e.arch
        assert e.url.startswith("https://hailo-model-zoo.s3.eu-west-2.amazonaws.com/")
        assert f"/ModelZoo/Compiled/v2.14.0/{e.arch}/" in e.url
        assert e.url.endswith(".hef")
        assert e.task == "detection"
        assert e.input_shape == (640, 640, 3)
        assert hm.labels_path(e).is_file()


def test_manifest_labels_are_coco80() -> None:
    for e in MANIFEST.models:
        lines = hm.labels_path(e).read_text().split()
        assert len([ln for ln in hm.labels_path(e).read_text().splitlines() if ln.strip()]) == 80
        assert lines[0] == "person"
    text = hm.labels_path(MANIFEST.models[0]).read_text()
    assert tuple(ln.strip() for ln in text.splitlines() if ln.strip()) == coco80_names()


def test_manifest_header_documents_null_checksums() -> None:
    text = (hm.MANIFEST_DIR / "manifest.yaml").read_text()
    assert "record on first fetch" in text and "MAINTAINERS" in text


@pytest.mark.slow
def test_an_installed_wheel_carries_the_manifest_and_labels(tmp_path: Path) -> None:
    """`eva models` and the Hailo detector must work from a wheel, not only from a checkout."""
    root = Path(__file__).resolve().parents[1]
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(root)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("edge_vision_agent-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "hailo_models/manifest.yaml" in names
    for e in MANIFEST.models:
        assert f"hailo_models/{e.labels}" in names
    # Unpacked as pip installs it, the manifest and labels load from there.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "from pipelines.models.hailo_manifest import MANIFEST_DIR, load_manifest, labels_path\n"
        "m = load_manifest()\n"
        "print(MANIFEST_DIR, len(m.models), labels_path(m.models[0]).is_file())\n"
    )
    run = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r})\n{probe}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    folder, count, labels_ok = run.stdout.split()
    assert Path(folder).is_relative_to(site)
    assert int(count) == len(MANIFEST.models) and labels_ok == "True"


def write_manifest(tmp_path: Path, models: list[dict[str, object]]) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump({"models": models}))
    return path


def raw_entry(name: str = "m", arch: str = "hailo8", **over: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "name": name,
        "arch": arch,
        "file": f"{name}_{'h8' if arch == 'hailo8' else 'h8l'}.hef",
        "url": f"https://example.invalid/{arch}/{name}.hef",
        "sha256": None,
        "input_shape": [640, 640, 3],
        "labels": "coco80.txt",
        "task": "detection",
    }
    entry.update(over)
    return entry


@pytest.mark.parametrize(
    ("models", "match"),
    [
        ([raw_entry()], "no entry for hailo8l"),
        ([raw_entry(), raw_entry(arch="hailo8l"), raw_entry(file="other.hef")], "listed twice"),
        ([raw_entry(), raw_entry(arch="hailo8l", file="m_h8.hef")], "used by two entries"),
        ([raw_entry(sha256="abc"), raw_entry(arch="hailo8l")], "sha256"),
        ([raw_entry(extra=1), raw_entry(arch="hailo8l")], "extra"),
        ([raw_entry(file="../m.hef"), raw_entry(arch="hailo8l")], "file"),
        ([raw_entry(arch="hailo10h")], "arch"),
    ],
)
def test_invalid_manifests_are_rejected(
    tmp_path: Path, models: list[dict[str, object]], match: str
) -> None:
    with pytest.raises(DetectorError, match=match):
        load_manifest(write_manifest(tmp_path, models))


def test_unreadable_manifest(tmp_path: Path) -> None:
    with pytest.raises(DetectorError, match="cannot read"):
        load_manifest(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: [")
    with pytest.raises(DetectorError, match="not valid YAML"):
        load_manifest(bad)


# Where HEFs are looked for.


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty $EVA_MODELS_DIR, and a cache of this test's own."""
    folder = tmp_path / "models"
    monkeypatch.setenv("EVA_MODELS_DIR", str(folder))
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path / "cache"))
    return folder


def test_search_order(env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert search_dirs() == [env, Path("/usr/share/hailo-models"), tmp_path / "cache" / "hailo"]
    assert default_fetch_dir() == env
    monkeypatch.delenv("EVA_MODELS_DIR")
    assert search_dirs() == [Path("/usr/share/hailo-models"), tmp_path / "cache" / "hailo"]
    assert default_fetch_dir() == tmp_path / "cache" / "hailo"


def test_resolve_finds_the_first_folder_holding_the_file(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
        (folder / "yolov8s_h8l.hef").write_bytes(b"hef")
    (second / "yolov8s_h8.hef").write_bytes(b"hef")
    assert resolve_hef("yolov8s", "hailo8l", dirs=[first, second]) == first / "yolov8s_h8l.hef"
    assert resolve_hef("yolov8s", "hailo8", dirs=[first, second]) == second / "yolov8s_h8.hef"


def test_resolve_missing_model_names_the_fetch_command(env: Path) -> None:
    with pytest.raises(DetectorError) as err:
        resolve_hef("yolov8s", "hailo8l")
    msg = str(err.value)
    assert "yolov8s_h8l.hef" in msg and "Hailo-8L" in msg
    assert "`eva models fetch yolov8s`" in msg and str(env) in msg


def test_resolve_missing_path_names_the_fetch_command(tmp_path: Path) -> None:
    with pytest.raises(DetectorError, match=r"does not exist.*`eva models fetch`"):
        resolve_hef(str(tmp_path / "gone.hef"), "hailo8")


def test_resolve_unknown_name_lists_the_models() -> None:
    with pytest.raises(DetectorError, match="unknown Hailo model 'yolov99'.*yolov8s, yolov8n"):
        resolve_hef("yolov99", "hailo8")


def test_resolve_empty_file_names_the_fetch_command(env: Path) -> None:
    env.mkdir()
    (env / "yolov8s_h8.hef").write_bytes(b"")
    with pytest.raises(DetectorError, match=r"empty.*`eva models fetch`"):
        resolve_hef("yolov8s", "hailo8")


def test_resolve_accepts_an_existing_path(tmp_path: Path) -> None:
    hef = tmp_path / "custom.hef"
    hef.write_bytes(b"hef")
    assert resolve_hef(str(hef), "hailo8") == hef


# Downloading, against a real HTTP server on a free local port.


@dataclass
class Server:
    base: str
    files: dict[str, bytes]
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(base="", files={})

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            state.requests.append(self.path)
            body = state.files.get(self.path)
            if body is None:
                self.send_error(404, "Not Found")
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval so shutdown() at teardown returns at once.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def local_manifest(server: Server, sha256: dict[str, str] | None = None) -> HailoManifest:
    """The bundled manifest with URLs on the local server serving distinct bytes per file."""
    entries = []
    for e in MANIFEST.models:
        url_path = f"/{e.arch}/{e.name}.hef"
        server.files[url_path] = f"HEF {e.arch} {e.name} ".encode() * 1000
        update: dict[str, object] = {"url": server.base + url_path}
        if sha256 and e.file in sha256:
            update["sha256"] = sha256[e.file]
        entries.append(e.model_copy(update=update))
    return HailoManifest(models=tuple(entries))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_fetch_downloads_verifies_and_records(server: Server, env: Path) -> None:
    manifest = local_manifest(server)
    results = fetch_models(["yolov8s"], "hailo8l", env, manifest=manifest)
    (r,) = results
    body = server.files["/hailo8l/yolov8s.hef"]
    assert r.downloaded and r.path == env / "yolov8s_h8l.hef"
    assert r.path.read_bytes() == body
    assert r.sha256 == hashlib.sha256(body).hexdigest()
    assert (env / "yolov8s_h8l.hef.sha256").read_text() == f"{r.sha256}  yolov8s_h8l.hef\n"
    assert leftovers(env) == []
    # The agent then finds it in $EVA_MODELS_DIR and checks it against the record.
    assert resolve_hef("yolov8s", "hailo8l", manifest=manifest) == r.path
    r.path.write_bytes(body[:-1] + b"!")
    with pytest.raises(DetectorError, match=r"corrupt.*`eva models fetch`"):
        resolve_hef("yolov8s", "hailo8l", manifest=manifest)


def test_fetch_with_a_known_checksum(server: Server, env: Path) -> None:
    body_sha = hashlib.sha256(b"HEF hailo8 yolov8n " * 1000).hexdigest()
    manifest = local_manifest(server, {"yolov8n_h8.hef": body_sha})
    (r,) = fetch_models(["yolov8n"], "hailo8", env, manifest=manifest)
    assert r.downloaded and r.sha256 == body_sha


def test_fetch_rejects_a_checksum_mismatch_and_removes_the_file(server: Server, env: Path) -> None:
    wrong = "0" * 64
    manifest = local_manifest(server, {"yolov8s_h8.hef": wrong})
    actual = hashlib.sha256(server.files["/hailo8/yolov8s.hef"]).hexdigest()
    with pytest.raises(ModelFetchError) as err:
        fetch_models(["yolov8s"], "hailo8", env, manifest=manifest)
    assert wrong in str(err.value) and actual in str(err.value)
    assert list(env.iterdir()) == []


def test_present_file_is_not_downloaded_again(server: Server, env: Path) -> None:
    manifest = local_manifest(server)
    calls: list[str] = []

    def counting(url: str, dest: Path) -> None:
        calls.append(url)
        download_url(url, dest)

    first = fetch_models(["yolov8s", "yolov8n"], ARCHS, env, download=counting, manifest=manifest)
    assert [r.downloaded for r in first] == [True] * 4
    assert sorted(p.name for p in env.glob("*.hef")) == [
        "yolov8n_h8.hef",
        "yolov8n_h8l.hef",
        "yolov8s_h8.hef",
        "yolov8s_h8l.hef",
    ]
    assert len(server.requests) == 4
    again = fetch_models(["yolov8s", "yolov8n"], ARCHS, env, download=counting, manifest=manifest)
    assert [r.downloaded for r in again] == [False] * 4
    assert [r.sha256 for r in again] == [r.sha256 for r in first]
    assert len(calls) == 4 and len(server.requests) == 4


def test_present_file_without_record_gets_one(server: Server, env: Path) -> None:
    env.mkdir()
    (env / "yolov6n_h8l.hef").write_bytes(b"copied by hand")
    (r,) = fetch_models(["yolov6n"], "hailo8l", env, manifest=local_manifest(server))
    assert not r.downloaded and server.requests == []
    assert r.sha256 == hashlib.sha256(b"copied by hand").hexdigest()
    assert hm.recorded_sha256(r.path) == r.sha256


def test_damaged_present_file_is_downloaded_again(server: Server, env: Path) -> None:
    manifest = local_manifest(server)
    (r,) = fetch_models(["yolov8s"], "hailo8", env, manifest=manifest)
    r.path.write_bytes(b"truncated")
    (again,) = fetch_models(["yolov8s"], "hailo8", env, manifest=manifest)
    assert again.downloaded and again.path.read_bytes() == server.files["/hailo8/yolov8s.hef"]
    assert len(server.requests) == 2


def test_http_errors_leave_nothing_behind(server: Server, env: Path) -> None:
    manifest = local_manifest(server)
    del server.files["/hailo8/yolo11n.hef"]
    with pytest.raises(ModelFetchError, match="HTTP 404"):
        fetch_models(["yolo11n"], "hailo8", env, manifest=manifest)
    assert list(env.iterdir()) == []


def test_unreachable_server(env: Path) -> None:
    entry = MANIFEST.entry("yolov8s", "hailo8").model_copy(update={"url": "http://127.0.0.1:9/x"})
    others = [e for e in MANIFEST.models if e.file != entry.file]
    manifest = HailoManifest(models=(entry, *others))
    with pytest.raises(ModelFetchError, match="network"):
        fetch_models(["yolov8s"], "hailo8", env, manifest=manifest)
    assert list(env.iterdir()) == []


def test_only_http_urls_are_downloaded(tmp_path: Path) -> None:
    with pytest.raises(ModelFetchError, match="only http"):
        download_url("file:///etc/passwd", tmp_path / "x")


def test_fetch_unknown_name_fails_before_downloading(server: Server, env: Path) -> None:
    with pytest.raises(DetectorError, match="unknown Hailo model"):
        fetch_models(["yolov8s", "nope"], "hailo8", env, manifest=local_manifest(server))
    assert server.requests == []
