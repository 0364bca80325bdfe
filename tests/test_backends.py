"""Backends chosen by config: Pi camera, AI Camera and Hailo plug in like the CPU ones.

The SDKs are absent here; where a test needs the Hailo chip it is the shared fake at the
SDK seam (tests/support/hailo_fake.py), and everything around it is the real agent.
"""

from __future__ import annotations

import io
import re
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import yaml
from support.hailo_fake import FakeArch, FakeHailo, empty_classes

from agent.bench.components import BENCH_HOME_CAMERA, run_bench, synthetic_frames
from agent.cli import main
from agent.cli.check import run_checks
from agent.config.loader import ConfigError, parse_config
from agent.config.schema import AppConfig
from agent.core.camera import CameraCore
from agent.core.events import CameraState, Event, EventUpdate
from agent.service.camera_worker import CameraWorker, process_stream
from eva_errors import DetectorError
from pipelines.detections import Detections
from pipelines.detectors import build_detector
from pipelines.detectors.base import Detector
from pipelines.detectors.hailo import chip as hailo_chip
from pipelines.detectors.hailo import runtime as hailo_runtime
from pipelines.detectors.hailo.config import HailoDetectorConfig
from pipelines.detectors.hailo.errors import SDK_MISSING
from pipelines.frames import Frame
from pipelines.sources import open_source
from pipelines.sources.base import FrameSource

ROOT = Path(__file__).resolve().parents[1]
UInt8 = npt.NDArray[np.uint8]


class Collect:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.states: list[CameraState] = []

    def event(self, event: Event) -> None:
        self.events.append(event)

    def state(self, state: CameraState) -> None:
        self.states.append(state)

    def update(self, update: EventUpdate) -> None:
        pass


@pytest.fixture
def no_hailo(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine as a Pi without hailo-all: no SDK and no hailortcli."""
    monkeypatch.setitem(sys.modules, "hailo_platform", None)  # import raises ImportError
    monkeypatch.setattr(hailo_chip, "hailortcli_architecture", lambda: None)


@pytest.fixture(autouse=True)
def fresh_chip(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no Hailo VDevice open in the process."""
    monkeypatch.setattr(hailo_runtime, "_CHIP", hailo_runtime.SharedChip())


@pytest.fixture
def hailo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHailo]:
    """A Hailo-8L at the SDK seam, with yolov8s fetched into $EVA_MODELS_DIR."""
    models = tmp_path / "models"
    models.mkdir()
    (models / "yolov8s_h8l.hef").write_bytes(b"HEF bytes")
    monkeypatch.setenv("EVA_MODELS_DIR", str(models))
    monkeypatch.setattr(hailo_chip, "hailortcli_architecture", lambda: None)
    state = FakeHailo(arch=FakeArch.HAILO8L)
    monkeypatch.setitem(sys.modules, "hailo_platform", state.module())
    yield state


def farm_with(source: str, detector: str) -> AppConfig:
    """config/farm.yaml with its first camera's source and detector replaced."""
    data = yaml.safe_load((ROOT / "config/farm.yaml").read_text())
    camera = data["cameras"][0]
    camera["source"] = yaml.safe_load(source)
    camera["detector"] = yaml.safe_load(detector)
    return parse_config(yaml.safe_dump(data), "farm.yaml")


def raspberry_pi_doc_pairs() -> list[tuple[str, str]]:
    """The source/detector pairs docs/raspberry-pi.md tells Pi owners to paste."""
    text = (ROOT / "docs/raspberry-pi.md").read_text()
    pairs = []
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        data = yaml.safe_load(block)
        if isinstance(data, dict) and {"source", "detector"} <= data.keys():
            pairs.append((yaml.safe_dump(data["source"]), yaml.safe_dump(data["detector"])))
    return pairs


def test_the_documented_pairs_drop_into_the_farm_config() -> None:
    pairs = raspberry_pi_doc_pairs()
    kinds = {(yaml.safe_load(s)["type"], yaml.safe_load(d)["type"]) for s, d in pairs}
    assert kinds == {("picamera", "hailo"), ("imx500", "imx500"), ("opencv", "onnx")}
    configs = [farm_with(s, d) for s, d in pairs]
    # Only the two sections differ: zones, rules and everything else are the farm's.
    base = configs[0].cameras[0].model_dump(exclude={"source", "detector"})
    for c in configs[1:]:
        assert c.cameras[0].model_dump(exclude={"source", "detector"}) == base
    assert configs[0].cameras[0].detector == HailoDetectorConfig(model="yolov8s")


@pytest.mark.parametrize(
    ("source", "detector"),
    [("{type: imx500}", "{type: onnx}"), ("{type: picamera}", "{type: imx500}")],
)
def test_imx500_source_and_detector_only_come_together(source: str, detector: str) -> None:
    with pytest.raises(ConfigError, match="imx500 go together"):
        farm_with(source, detector)


def test_an_unknown_detector_type_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match="use one of 'onnx', 'hailo', 'imx500'"):
        farm_with("{type: demo}", "{type: coral}")


def test_hailo_without_the_sdk_says_what_to_install(no_hailo: None) -> None:
    with pytest.raises(DetectorError) as err:
        build_detector(HailoDetectorConfig())
    assert str(err.value) == SDK_MISSING
    assert "hailo-all" in SDK_MISSING and "--system-site-packages" in SDK_MISSING


def test_choosing_a_pi_source_imports_nothing_until_frames_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    config = farm_with("{type: picamera, lores_size: [320, 180]}", "{type: onnx}")
    source = open_source(config.cameras[0].source)
    assert type(source).__name__ == "PiCameraSource"
    assert "picamera2" not in sys.modules


class AnalysisSource(FrameSource):
    """Frames with a small analysis image, like the Pi camera's lores stream."""

    def frames(self) -> Iterator[Frame]:
        for i in range(3):
            main_image = np.full((720, 1280, 3), 10 * i, np.uint8)
            lores = np.full((180, 320, 3), 10 * i, np.uint8)
            yield Frame(main_image, 1_700_000_000.0 + i, i, analysis=lores)


class ShapeRecorder(Detector):
    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def detect(self, image: UInt8) -> Detections:
        self.shapes.append(image.shape)
        return Detections.empty()


def test_the_detector_gets_the_small_image_and_snapshots_the_full_one() -> None:
    config = farm_with("{type: demo}", "{type: onnx}").cameras[0]
    detector = ShapeRecorder()
    snapshots: list[tuple[int, ...]] = []
    stats = process_stream(
        config,
        "en",
        AnalysisSource(),
        detector,
        [Collect()],
        threading.Event(),
        on_snapshot=lambda cam, frame, dets: snapshots.append(frame.image.shape),
    )
    assert detector.shapes == [(180, 320, 3)] * 3
    assert stats.frames == 3
    frame = next(iter(AnalysisSource().frames()))
    assert frame.detector_input is frame.analysis
    assert Frame(frame.image, 0.0, 0).detector_input is frame.image


def test_a_demo_camera_with_the_hailo_detector_sends_events(hailo: FakeHailo) -> None:
    # A person in the middle of every frame, as HailoRT's NMS-by-class output.
    def person(frame: UInt8) -> list[npt.NDArray[np.float32]]:
        out = empty_classes()
        out[0] = np.array([[0.30, 0.40, 0.70, 0.55, 0.9]], np.float32)
        return out

    hailo.respond = person
    config = parse_config(
        "cameras:\n"
        "  - name: porch\n"
        "    source: {type: demo, realtime: false}\n"
        "    detector: {type: hailo, model: yolov8s}\n"
        "    rules: [{name: arrivals, kind: arrival, min_frames: 2}]\n"
    )
    sink = Collect()
    worker = CameraWorker(config.cameras[0], "en", [sink], threading.Event())
    worker.run()
    assert worker.error is None
    assert hailo.loaded and hailo.loaded[0].endswith("yolov8s_h8l.hef")
    assert worker.stats.frames > 10
    assert [e.kind for e in sink.events][:1] == ["arrival"]
    assert "person" in sink.events[0].summary
    assert hailo.open_vdevices == 0  # the device was released when the camera ended


def check_lines(config: AppConfig) -> tuple[bool, list[str]]:
    out = io.StringIO()
    ok = run_checks(config, out)
    return ok, [line for line in out.getvalue().splitlines() if "camera barn" in line]


def test_check_without_hailo_says_what_to_install(no_hailo: None) -> None:
    ok, lines = check_lines(farm_with("{type: demo}", "{type: hailo}"))
    assert not ok
    assert f"[FAIL] camera barn: HailoRT Python library -> {SDK_MISSING}" in lines


def test_check_finds_the_chip_and_the_model(hailo: FakeHailo, tmp_path: Path) -> None:
    ok, lines = check_lines(farm_with("{type: demo}", "{type: hailo}"))
    assert "[ok] camera barn: Hailo device is a Hailo-8L" in lines
    hef = tmp_path / "models" / "yolov8s_h8l.hef"
    assert f"[ok] camera barn: detector yolov8s for the Hailo-8L ({hef})" in lines


def test_check_names_the_fetch_command_for_a_missing_model(hailo: FakeHailo) -> None:
    hailo.arch = FakeArch.HAILO8  # the folder only has the Hailo-8L file
    ok, lines = check_lines(farm_with("{type: demo}", "{type: hailo, model: yolov8s}"))
    assert not ok
    failed = [line for line in lines if line.startswith("[FAIL]")]
    assert len(failed) == 1 and "eva models fetch yolov8s" in failed[0]


def test_check_reports_a_missing_pi_camera_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)
    ok, lines = check_lines(farm_with("{type: picamera}", "{type: onnx}"))
    assert not ok
    assert any(
        line.startswith("[FAIL] camera barn: Pi camera 0 -> ") and "python3-picamera2" in line
        for line in lines
    ), lines


def test_check_reports_a_missing_imx500_network(tmp_path: Path) -> None:
    missing = tmp_path / "net.rpk"
    ok, lines = check_lines(farm_with(f"{{type: imx500, network: {missing}}}", "{type: imx500}"))
    assert not ok
    assert any("imx500-all" in line and line.startswith("[FAIL]") for line in lines), lines
    assert "[ok] camera barn: detection runs on the IMX500 sensor" in lines


def test_models_list_and_fetch_without_a_chip(
    no_hailo: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["models", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    names = {line.split()[0] for line in listed}
    assert {"yolov8s", "yolov8n"} <= names
    assert len(listed) == 2 * len(names)  # every model for both chips
    assert main(["models", "fetch", "--dest", str(tmp_path)]) == 1
    assert "--arch hailo8" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was downloaded


def test_models_fetch_of_an_unknown_name_fails_clearly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["models", "fetch", "yolov99", "--arch", "hailo8", "--dest", str(tmp_path)]) == 1
    assert "unknown Hailo model 'yolov99'" in capsys.readouterr().err


def test_bench_hailo_measures_the_chip_and_the_host_work(hailo: FakeHailo) -> None:
    out = io.StringIO()
    ok = run_bench(out, 0, 5, 0, {"core", "llm", "mqtt"}, backend="hailo")
    text = out.getvalue()
    assert ok, text
    assert re.search(r"detector hailo yolov8s, .*median [\d.]+ ms", text)
    assert re.search(r"letterbox 1280x720 -> 640x640 median [\d.]+ ms", text)
    assert len(hailo.inputs) >= 5


def test_bench_without_the_devices_still_measures_the_host_work(no_hailo: None) -> None:
    for backend, figure in (("hailo", "NMS output decoding"), ("imx500", "mapping 10 boxes")):
        out = io.StringIO()
        ok = run_bench(out, 0, 5, 0, {"core", "llm", "mqtt"}, backend=backend)  # type: ignore[arg-type]
        assert not ok
        text = out.getvalue()
        assert "cannot run here" in text and figure in text, text


def test_check_says_what_hardware_it_finds(
    hailo: FakeHailo, monkeypatch: pytest.MonkeyPatch
) -> None:

    cams = [{"Model": "imx708", "Num": 0}, {"Model": "imx500", "Num": 1}]
    picamera2 = types.ModuleType("picamera2")
    picamera2.Picamera2 = types.SimpleNamespace(global_camera_info=lambda: cams)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "picamera2", picamera2)
    out = io.StringIO()
    run_checks(farm_with("{type: demo}", "{type: onnx}"), out)
    assert "[info] hardware: Hailo chip: Hailo-8L; Pi cameras: imx708, imx500" in out.getvalue()


def test_check_on_a_machine_without_pi_hardware(no_hailo: None) -> None:
    out = io.StringIO()
    run_checks(farm_with("{type: demo}", "{type: onnx}"), out)
    assert "[info] hardware: Hailo chip: none; Pi cameras: picamera2 not installed" in (
        out.getvalue()
    )


def test_the_ollama_client_requirement_accepts_a_json_schema_format() -> None:
    """ollama-python 0.4.0-0.4.2 typed `format` as '' | 'json' and refused a schema before
    sending (ollama/_types.py at v0.4.2); v0.4.3 added JsonSchemaValue. The agent sends one."""
    import tomllib

    from ollama._types import ChatRequest
    from packaging.requirements import Requirement

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    (ollama,) = [
        Requirement(d) for d in pyproject["project"]["dependencies"] if d.startswith("ollama")
    ]
    assert "0.4.2" not in ollama.specifier and "0.4.3" in ollama.specifier
    schema = {"type": "object", "properties": {"text": {"type": "string"}}}
    request = ChatRequest(model="m", messages=[], format=schema)
    assert request.format == schema


def test_stopping_the_agent_cancels_a_capture_on_a_stalled_camera(
    hailo: FakeHailo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """picamera2's capture waits until its timeout on a stalled camera, and no frame comes to
    notice the stop; the worker closes the source, which cancels the wait."""
    from test_picamera_source import FakeSdk, install

    camera = FakeSdk()
    camera.stall_captures = {3}
    install(monkeypatch, camera)
    config = farm_with(
        "{type: picamera, lores_size: [640, 360], capture_timeout_seconds: 600}",
        "{type: hailo, model: yolov8s}",
    )
    stop = threading.Event()
    worker = CameraWorker(config.cameras[0], "en", [Collect()], stop)
    worker.start()
    try:
        for _ in range(500):  # until the third capture is waiting on the stalled camera
            if len(camera.waits) >= 3:
                break
            threading.Event().wait(0.01)
        assert len(camera.waits) == 3 and worker.stats.frames == 2
        stop.set()
        worker.join(5)
        assert not worker.is_alive(), "the camera worker did not stop"
    finally:
        camera.release_waiters.set()
    assert camera.cancelled >= 1 and camera.opened[0].closed
    assert worker.error is None and hailo.open_vdevices == 0


def test_bench_core_measures_both_cameras_on_frames_that_fire_their_rules() -> None:
    out = io.StringIO()
    assert run_bench(out, 400, 5, 0, {"detector", "llm", "mqtt"})
    text = out.getvalue()
    assert re.search(r"^core \(tracking .*: \d+ frames/s .*, [1-9]\d* events\)$", text, re.M)
    assert re.search(r"^core, home-like camera .*: \d+ frames/s .*; [1-9]\d* events\)$", text, re.M)
    # The home-like camera's figure means something only if its rules fire on these frames.
    core = CameraCore(BENCH_HOME_CAMERA, "en")
    rules = {
        e.rule
        for i, d in enumerate(synthetic_frames(1000))
        for e in core.step(d, 1_800_000_000.0 + i / 10).events
    }
    assert rules == {r.name for r in BENCH_HOME_CAMERA.rules}
