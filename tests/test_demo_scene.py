"""The demo scene: built once from real photos, deterministic, and true to its script."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import pipelines.demo_scene as demo_scene
from pipelines.demo_scene import (
    CANVAS_SIZE,
    HASH_FILE,
    SCENE_FILE,
    SCRIPT,
    DemoSceneError,
    compose_frame,
    ensure_demo_scene,
    frame_count,
    make_background,
    paste_box,
    present_at,
)
from pipelines.sources import SourceError
from pipelines.sources.demo_scene_source import DemoSource, DemoSourceConfig

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("skimage") is None, reason="needs scikit-image's sample photos"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build shared by the read-only tests (it takes a few seconds)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVA_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        return ensure_demo_scene()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EVA_CACHE_DIR", str(tmp_path))
    return tmp_path


def load_scene(folder: Path) -> dict[str, Any]:
    scene: dict[str, Any] = json.loads((folder / SCENE_FILE).read_text())
    return scene


def labels_of(entry: dict[str, Any]) -> list[str]:
    return [obj["label"] for obj in entry["objects"]]


def test_built_into_the_cache(built: Path) -> None:
    assert built.name == "demo"
    frames = sorted(built.glob("frame_*.jpg"))
    assert len(frames) == frame_count(2.0) == 80
    # Nothing of the temporary build is left beside it.
    assert sorted(p.name for p in built.parent.iterdir()) == ["demo"]


def test_scene_json_follows_the_script(built: Path) -> None:
    scene = load_scene(built)
    assert scene["fps"] == 2.0 and scene["size"] == list(CANVAS_SIZE)
    assert len(scene["frames"]) == 80
    for i, entry in enumerate(scene["frames"]):
        assert entry["file"] == f"frame_{i:04d}.jpg" and (built / entry["file"]).is_file()
        assert labels_of(entry) == [obj.label for obj in present_at(i / 2.0)]
        for obj in entry["objects"]:
            x1, y1, x2, y2 = obj["box"]
            assert 0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1


def test_script_tells_the_intended_story(built: Path) -> None:
    frames = load_scene(built)["frames"]
    seen = [labels_of(entry) for entry in frames]

    def span(label: str) -> tuple[int, int]:
        present = [i for i, labels in enumerate(seen) if label in labels]
        # Each object comes once and stays: its frames are one unbroken run.
        assert present == list(range(present[0], present[-1] + 1))
        return present[0], present[-1]

    person, cup, motorbike = span("person"), span("cup"), span("motorcycle")
    assert seen[:4] == [[]] * 4
    assert person[0] < cup[0] < person[1] < motorbike[0] < cup[1] < motorbike[1]
    assert all(labels == [] for labels in seen[motorbike[1] + 1 :])
    assert len(seen) - motorbike[1] - 1 >= 8  # enough empty frames to see the departure


def test_objects_sit_where_the_story_says_and_never_overlap() -> None:
    width = CANVAS_SIZE[0]
    boxes = {obj.label: paste_box(obj) for obj in SCRIPT}
    assert (boxes["person"][0] + boxes["person"][2]) / 2 < width / 3
    assert (boxes["cup"][0] + boxes["cup"][2]) / 2 > width * 0.6
    assert width / 3 < (boxes["motorcycle"][0] + boxes["motorcycle"][2]) / 2 < width * 0.8
    for a in SCRIPT:
        for b in SCRIPT:
            if a is not b and a.enter < b.leave and b.enter < a.leave:
                (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = paste_box(a), paste_box(b)
                assert ax2 <= bx1 or bx2 <= ax1 or ay2 <= by1 or by2 <= ay1, (a.label, b.label)


def test_same_bytes_every_build(built: Path, cache: Path) -> None:
    again = ensure_demo_scene()
    assert again != built
    names = sorted(p.name for p in built.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    for name in names:
        assert (built / name).read_bytes() == (again / name).read_bytes(), name


def test_second_call_reuses_the_build(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = ensure_demo_scene(fps=0.5)

    def fail(*_: object) -> None:
        raise AssertionError("rebuilt a scene that was current")

    monkeypatch.setattr(demo_scene, "_build", fail)
    assert ensure_demo_scene(fps=0.5) == folder


def test_rebuilds_when_the_version_changes(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = ensure_demo_scene(fps=0.5)
    old_hash = (folder / HASH_FILE).read_text()
    monkeypatch.setattr(demo_scene, "SCENE_VERSION", demo_scene.SCENE_VERSION + 1)
    assert ensure_demo_scene(fps=0.5) == folder
    assert (folder / HASH_FILE).read_text() != old_hash
    assert load_scene(folder)["version"] == demo_scene.SCENE_VERSION
    assert sorted(p.name for p in cache.iterdir()) == ["demo"]


def test_rebuilds_when_the_fps_or_the_hash_file_changes(cache: Path) -> None:
    folder = ensure_demo_scene(fps=0.5)
    assert len(load_scene(folder)["frames"]) == 20
    ensure_demo_scene(fps=1.0)
    assert len(list(folder.glob("*.jpg"))) == 40
    (folder / HASH_FILE).write_text("tampered\n")
    ensure_demo_scene(fps=1.0)
    assert (folder / HASH_FILE).read_text() != "tampered\n"


def test_compose_frame_pastes_without_touching_the_background() -> None:
    background = make_background((64, 48))
    before = background.copy()
    patch = np.full((20, 30, 3), 200, np.uint8)
    image = compose_frame(background, [(patch, (10, 5, 40, 25))], noise_seed=1)
    np.testing.assert_array_equal(background, before)
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8
    inner = image[5 + 6 : 25 - 6, 10 + 6 : 40 - 6].astype(float)
    assert abs(inner.mean() - 200) < 1
    outside = image[30:, :].astype(float) - background[30:, :].astype(float)
    assert abs(outside.mean()) < 0.5 and outside.std() < 3
    np.testing.assert_array_equal(
        image, compose_frame(background, [(patch, (10, 5, 40, 25))], noise_seed=1)
    )


def test_compose_frame_rejects_a_patch_of_the_wrong_size() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        compose_frame(make_background((64, 48)), [(np.zeros((5, 5, 3), np.uint8), (0, 0, 6, 5))], 0)


def test_background_is_plain_and_deterministic() -> None:
    a, b = make_background(), make_background()
    np.testing.assert_array_equal(a, b)
    assert a.shape == (CANVAS_SIZE[1], CANVAS_SIZE[0], 3)
    assert 100 < a.mean() < 180 and a.std() < 20


def test_missing_scikit_image_is_explained(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda _name: None)
    with pytest.raises(DemoSceneError, match="scikit-image"):
        ensure_demo_scene()
    with pytest.raises(SourceError, match="scikit-image"):
        next(iter(DemoSource(DemoSourceConfig()).frames()))


def test_a_built_scene_plays_without_scikit_image(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = ensure_demo_scene(fps=0.5)
    monkeypatch.setattr(importlib.util, "find_spec", lambda _name: None)
    assert ensure_demo_scene(fps=0.5) == folder
    with pytest.raises(DemoSceneError, match="scikit-image"):
        ensure_demo_scene(fps=1.0)  # a different scene would need the photos


def test_demo_source_plays_the_scene(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVA_CACHE_DIR", str(built.parent))
    source = DemoSource(DemoSourceConfig(realtime=False), clock=lambda: 500.0)
    frames = list(source.frames())
    assert len(frames) == 80
    assert frames[0].size == CANVAS_SIZE
    assert [f.index for f in frames] == list(range(80))
    assert frames[-1].timestamp == pytest.approx(500.0 + 79 / 2.0)


def test_demo_source_loops(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVA_CACHE_DIR", str(built.parent))
    source = DemoSource(DemoSourceConfig(realtime=False, loop=True))
    frames = source.frames()
    for _ in range(85):
        frame = next(frames)
    assert frame.index == 84
    source.close()


@pytest.mark.slow
def test_the_bundled_detector_sees_exactly_the_script(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """YOLOv3-tiny finds each object in (nearly) every frame it is in, and nothing else."""
    monkeypatch.setenv("EVA_CACHE_DIR", str(built.parent))
    try:
        from eva_errors import DetectorError
        from pipelines.detectors import build_detector
        from pipelines.detectors.onnx_yolo import OnnxDetectorConfig

        detector = build_detector(OnnxDetectorConfig())
    except (ImportError, DetectorError) as exc:
        pytest.skip(f"detector not available: {exc}")
    from pipelines.sources.image_folder import read_bgr

    hits: dict[str, int] = {}
    present: dict[str, int] = {}
    strays: list[tuple[int, str]] = []
    for entry in load_scene(built)["frames"]:
        image = read_bgr(built / entry["file"])
        assert image is not None
        found = detector.detect(image)
        matched: set[str] = set()
        for label, (x1, y1, x2, y2) in zip(found.labels, found.boxes.tolist(), strict=True):
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            # The detector boxes the cup's rim, not the whole pasted photo, so match by centre.
            owner = [
                obj["label"]
                for obj in entry["objects"]
                if obj["label"] == label
                and obj["box"][0] <= cx <= obj["box"][2]
                and obj["box"][1] <= cy <= obj["box"][3]
            ]
            if not owner or label in matched:
                strays.append((entry["index"], label))
            matched.add(label)
        for label in labels_of(entry):
            present[label] = present.get(label, 0) + 1
            hits[label] = hits.get(label, 0) + (label in matched)
    detector.close()
    assert strays == []
    for label, count in present.items():
        assert hits[label] >= 0.95 * count, (label, hits[label], count)
