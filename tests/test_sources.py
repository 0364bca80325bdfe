"""Frame sources: video files and live streams through OpenCV, and image folders."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from pipelines.sources import SourceError, open_source
from pipelines.sources.demo_scene_source import DemoSource, DemoSourceConfig
from pipelines.sources.image_folder import (
    ImageFolderSource,
    ImageFolderSourceConfig,
    list_images,
)
from pipelines.sources.opencv import OpenCVSource, OpenCVSourceConfig, RateLimiter

VIDEO_FPS = 10.0
VIDEO_FRAMES = 20
START = 1_000_000.0


def level(image: npt.NDArray[np.uint8]) -> int:
    """Which flat grey (in steps of 10) an image is; MJPG shifts levels by a unit or two."""
    return int(round(float(image.mean()) / 10))


def write_video(path: Path, frames: int = VIDEO_FRAMES, fps: float = VIDEO_FPS) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (64, 48))
    assert writer.isOpened(), "headless OpenCV should write MJPG into .avi"
    for i in range(frames):
        # Frame i is a flat grey of 10 * i (up to 240), so a test can tell which frame it got.
        writer.write(np.full((48, 64, 3), 10 * i % 250, np.uint8))
    writer.release()
    return path


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "clip.avi")


def file_source(uri: Path | str, **fields: object) -> OpenCVSource:
    config = OpenCVSourceConfig.model_validate({"uri": str(uri), **fields})
    return OpenCVSource(config, clock=lambda: START)


# --- video files -----------------------------------------------------------------------


def test_file_yields_every_frame_with_media_timestamps(video: Path) -> None:
    source = file_source(video)
    assert not source.live
    frames = list(source.frames())
    assert len(frames) == VIDEO_FRAMES
    assert [f.index for f in frames] == list(range(VIDEO_FRAMES))
    assert [level(f.image) for f in frames] == list(range(VIDEO_FRAMES))
    assert frames[0].image.shape == (48, 64, 3) and frames[0].image.dtype == np.uint8
    stamps = np.array([f.timestamp for f in frames])
    assert np.all(np.diff(stamps) > 0)
    np.testing.assert_allclose(stamps - START, np.arange(VIDEO_FRAMES) / VIDEO_FPS, atol=1e-6)


@pytest.mark.parametrize(("fps", "step"), [(5.0, 2), (2.5, 4), (10.0, 1), (100.0, 1)])
def test_file_fps_limit_skips_by_media_time(video: Path, fps: float, step: int) -> None:
    frames = list(file_source(video, fps=fps).frames())
    assert [f.index for f in frames] == list(range(0, VIDEO_FRAMES, step))
    assert [level(f.image) for f in frames] == list(range(0, VIDEO_FRAMES, step))


def test_file_fps_limit_keeps_an_uneven_rate_close(tmp_path: Path) -> None:
    # 25 fps down to 10: frames cannot be on the 0.1 s grid, but the count per second holds.
    clip = write_video(tmp_path / "clip25.avi", frames=50, fps=25.0)
    frames = list(file_source(clip, fps=10.0).frames())
    assert len(frames) == 20
    gaps = np.diff([f.timestamp for f in frames])
    assert gaps.min() >= 0.08 - 1e-6 and gaps.max() <= 0.12 + 1e-6


def test_file_loop_restarts_and_keeps_time_running(video: Path) -> None:
    frames = list(itertools.islice(file_source(video, loop=True).frames(), 50))
    assert [f.index for f in frames] == list(range(50))
    assert level(frames[VIDEO_FRAMES].image) == 0  # back at the first frame
    stamps = np.array([f.timestamp for f in frames])
    np.testing.assert_allclose(stamps - START, np.arange(50) / VIDEO_FPS, atol=1e-6)


def test_file_loop_with_fps_limit(video: Path) -> None:
    frames = list(itertools.islice(file_source(video, loop=True, fps=5.0).frames(), 25))
    gaps = np.diff([f.timestamp for f in frames])
    np.testing.assert_allclose(gaps, 0.2, atol=1e-6)


def test_missing_file_raises_with_path_and_hint(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    source = file_source(missing)
    assert not source.live
    with pytest.raises(SourceError, match="nope.mp4") as err:
        next(iter(source.frames()))
    assert "rtsp://" in str(err.value)


def test_file_that_is_not_a_video_raises(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.avi"
    bogus.write_text("not a video")
    with pytest.raises(SourceError, match="notes.avi"):
        list(file_source(bogus).frames())


def test_close_stops_a_looping_file(video: Path) -> None:
    source = file_source(video, loop=True)
    frames = source.frames()
    next(frames)
    source.close()
    assert list(frames) == []


@pytest.mark.parametrize(
    ("uri", "live"),
    [
        ("0", True),
        (" 2 ", True),
        ("rtsp://cam.local/stream", True),
        ("http://x/y.mjpg", True),
        ("/dev/null", True),  # a device node, like /dev/video0
        ("missing.mp4", False),
    ],
)
def test_uri_kind(uri: str, live: bool) -> None:
    assert OpenCVSource(OpenCVSourceConfig(uri=uri)).live is live


def test_live_log_lines_hide_credentials(caplog: pytest.LogCaptureFixture) -> None:
    source = OpenCVSource(
        OpenCVSourceConfig(uri="rtsp://admin:secret@127.0.0.1:1/stream"),
        sleep=lambda _: None,
        max_attempts=1,
    )
    with caplog.at_level(logging.INFO, logger="pipelines.sources.opencv"):
        list(source.frames())
    assert caplog.records and "secret" not in caplog.text
    assert "rtsp://***@127.0.0.1:1/stream" in caplog.text


def test_rate_limiter_without_fps_keeps_everything() -> None:
    limiter = RateLimiter(None)
    assert all(limiter.due(t) for t in (0.0, 0.0, 0.001))


def test_rate_limiter_does_not_burst_after_a_gap() -> None:
    limiter = RateLimiter(2.0)
    kept = [t for t in (0.0, 0.1, 0.5, 3.2, 3.3, 3.5, 3.9, 4.0) if limiter.due(t)]
    assert kept == [0.0, 0.5, 3.2, 3.5, 4.0]


# --- live streams ----------------------------------------------------------------------


class FakeCapture:
    """Stands in for cv2.VideoCapture: `frames` good grabs, then the stream drops."""

    def __init__(self, frames: int) -> None:
        self.left = frames
        self.released = False

    def grab(self) -> bool:
        self.left -= 1
        return self.left >= 0

    def retrieve(self) -> tuple[bool, npt.NDArray[np.uint8]]:
        return True, np.zeros((4, 6), np.uint8)  # grey, to check the BGR conversion

    def release(self) -> None:
        self.released = True


@pytest.mark.parametrize("uri", ["rtsp://127.0.0.1:1/none", "97"])
def test_unreachable_live_source_backs_off_without_raising(
    uri: str, caplog: pytest.LogCaptureFixture
) -> None:
    delays: list[float] = []
    source = OpenCVSource(
        OpenCVSourceConfig(uri=uri, reconnect_max_seconds=0.04),
        sleep=delays.append,
        initial_backoff=0.01,
        max_attempts=6,
    )
    assert source.live
    with caplog.at_level(logging.INFO, logger="pipelines.sources.opencv"):
        assert list(source.frames()) == []
    assert delays == pytest.approx([0.01, 0.02, 0.04, 0.04, 0.04, 0.04])
    retry_lines = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retry_lines) == 1 and retry_lines[0].levelno == logging.WARNING


def test_live_stream_that_drops_is_reopened(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Opens with 3 frames, drops; two reopen attempts fail; then 2 frames; then gone for good.
    opens: list[FakeCapture | None] = [FakeCapture(3), None, None, FakeCapture(2)]
    given: list[FakeCapture] = []

    def fake_open() -> FakeCapture | None:
        cap = opens.pop(0) if opens else None
        if cap is not None:
            given.append(cap)
        return cap

    delays: list[float] = []
    source = OpenCVSource(
        OpenCVSourceConfig(uri="rtsp://camera/stream", reconnect_max_seconds=1.0),
        sleep=delays.append,
        initial_backoff=0.1,
        max_attempts=3,
    )
    monkeypatch.setattr(source, "_open", fake_open)
    with caplog.at_level(logging.INFO, logger="pipelines.sources.opencv"):
        frames = list(source.frames())
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert frames[0].image.shape == (4, 6, 3)
    # Backoff grows while the stream is down and starts again from the beginning once back.
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.1, 0.2, 0.4])
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert sum("lost" in m for _, m in messages) == 2
    back = [(lvl, m) for lvl, m in messages if "is back" in m]
    assert len(back) == 1 and back[0][0] == logging.INFO
    assert all(cap.released for cap in given)


def test_live_fps_limit_uses_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [START]

    def clock() -> float:
        now[0] += 0.02  # a 50 fps camera
        return now[0]

    caps = [FakeCapture(100)]
    source = OpenCVSource(
        OpenCVSourceConfig(uri="0", fps=5.0), clock=clock, sleep=lambda _: None, max_attempts=0
    )
    monkeypatch.setattr(source, "_open", lambda: caps.pop() if caps else None)
    frames = list(source.frames())
    assert 9 <= len(frames) <= 11  # two seconds at 5 fps
    assert np.diff([f.index for f in frames]).min() >= 9
    assert np.diff([f.timestamp for f in frames]).min() >= 0.2 - 1e-3 - 0.02


def test_close_from_another_thread_ends_a_backoff_wait() -> None:
    source = OpenCVSource(OpenCVSourceConfig(uri="rtsp://127.0.0.1:1/none"), initial_backoff=30.0)
    threading.Timer(0.2, source.close).start()
    began = time.monotonic()
    assert list(source.frames()) == []
    assert time.monotonic() - began < 5.0


# --- image folders ---------------------------------------------------------------------


def write_image(path: Path, level: int, grey: bool = False) -> None:
    shape = (8, 10) if grey else (8, 10, 3)
    assert cv2.imwrite(str(path), np.full(shape, level, np.uint8))


def folder_source(path: Path, **fields: object) -> ImageFolderSource:
    config = ImageFolderSourceConfig.model_validate({"path": str(path), **fields})
    return ImageFolderSource(config, clock=lambda: START)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "frames"
    root.mkdir()
    # PNG and BMP are lossless, so each level reads back exactly.
    for name, level in [("frame_10.png", 100), ("frame_2.bmp", 20), ("Frame_3.PNG", 30)]:
        write_image(root / name, level)
    write_image(root / "frame_1.png", 10, grey=True)
    (root / "notes.txt").write_text("not an image")
    (root / "sub").mkdir()
    write_image(root / "sub" / "frame_0.png", 0)
    return root


def test_folder_plays_images_in_natural_order(folder: Path) -> None:
    assert [p.name for p in list_images(folder)] == [
        "frame_1.png",
        "frame_2.bmp",
        "Frame_3.PNG",
        "frame_10.png",
    ]
    frames = list(folder_source(folder, fps=4.0).frames())
    assert [level(f.image) for f in frames] == [1, 2, 3, 10]
    assert [f.index for f in frames] == [0, 1, 2, 3]
    assert [f.timestamp - START for f in frames] == pytest.approx([0.0, 0.25, 0.5, 0.75])
    assert all(f.image.shape == (8, 10, 3) for f in frames)  # grey came back as BGR


def test_folder_jpeg_suffixes_are_case_insensitive(tmp_path: Path) -> None:
    for name in ("a.JPG", "b.jpeg", "c.Jpeg"):
        write_image(tmp_path / name, 50)
    assert len(list(folder_source(tmp_path).frames())) == 3


def test_folder_loop_keeps_counting(folder: Path) -> None:
    frames = list(itertools.islice(folder_source(folder, fps=2.0, loop=True).frames(), 10))
    assert [f.index for f in frames] == list(range(10))
    assert [level(f.image) for f in frames[:6]] == [1, 2, 3, 10, 1, 2]
    assert [f.timestamp - START for f in frames] == pytest.approx([i / 2 for i in range(10)])


def test_folder_not_realtime_runs_as_fast_as_it_can(tmp_path: Path) -> None:
    for i in range(60):
        write_image(tmp_path / f"{i}.png", i)
    source = ImageFolderSource(ImageFolderSourceConfig(path=str(tmp_path), fps=1.0))
    began = time.monotonic()
    frames = list(source.frames())
    assert len(frames) == 60
    assert time.monotonic() - began < 5.0  # a minute of video


def test_folder_realtime_paces_at_fps(folder: Path) -> None:
    now = [START]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    source = ImageFolderSource(
        ImageFolderSourceConfig(path=str(folder), fps=4.0, realtime=True),
        clock=lambda: now[0],
        sleep=sleep,
    )
    frames = list(source.frames())
    assert len(frames) == 4
    assert sleeps == pytest.approx([0.25, 0.25, 0.25])


def test_folder_realtime_close_from_another_thread(folder: Path) -> None:
    source = ImageFolderSource(ImageFolderSourceConfig(path=str(folder), fps=0.1, realtime=True))
    threading.Timer(0.2, source.close).start()
    began = time.monotonic()
    assert len(list(source.frames())) == 1  # the second would come 10 s later
    assert time.monotonic() - began < 5.0


def test_folder_skips_unreadable_images_once(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (folder / "frame_2.bmp").write_bytes(b"\x00garbage")
    (folder / "frame_4.jpg").write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        frames = list(itertools.islice(folder_source(folder, loop=True).frames(), 8))
    assert [level(f.image) for f in frames[:3]] == [1, 3, 10]
    # A skipped image keeps its place in time, like a dropped camera frame.
    assert [f.index for f in frames[:4]] == [0, 2, 4, 5]
    warned = sorted(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert len(warned) == 2
    assert "frame_2.bmp" in warned[0] and "frame_4.jpg" in warned[1]


def test_folder_of_only_unreadable_images_raises(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"junk")
    with pytest.raises(SourceError, match="could be read"):
        list(folder_source(tmp_path, loop=True).frames())


def test_missing_folder_raises_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no_such_folder"):
        list(folder_source(tmp_path / "no_such_folder").frames())


def test_empty_folder_raises_naming_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.md").write_text("no images")
    with pytest.raises(SourceError, match="empty"):
        list(folder_source(empty).frames())


# --- open_source -----------------------------------------------------------------------


def test_open_source_dispatches_on_type(video: Path, folder: Path) -> None:
    assert isinstance(open_source(OpenCVSourceConfig(uri=str(video))), OpenCVSource)
    assert isinstance(open_source(ImageFolderSourceConfig(path=str(folder))), ImageFolderSource)
    # Nothing is built or opened until frames() is iterated.
    assert isinstance(open_source(DemoSourceConfig()), DemoSource)
