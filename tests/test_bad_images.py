"""Images that lie or break: a folder source skips each one with one log line and plays the rest.

Headers are made by patching real files from OpenCV's own encoders (with the PNG chunk CRC
recomputed), so the only lie is the one under test.
"""

from __future__ import annotations

import logging
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipelines.image_header import MAX_PIXELS, image_size
from pipelines.sources.image_folder import (
    MAX_IMAGE_BYTES,
    ImageFolderSource,
    ImageFolderSourceConfig,
    decode_image,
)

ROOT = Path(__file__).resolve().parents[1]


def encoded(ext: str, shape: tuple[int, int] = (48, 64)) -> bytes:
    image = np.random.default_rng(1).integers(0, 255, (*shape, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(ext, image)
    assert ok
    return buf.tobytes()


def png_declaring(width: int, height: int) -> bytes:
    data = bytearray(encoded(".png"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))  # a valid chunk again
    return bytes(data)


def jpeg_declaring(width: int, height: int) -> bytes:
    data = bytearray(encoded(".jpg"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def bmp_declaring(width: int, height: int) -> bytes:
    data = bytearray(encoded(".bmp"))
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


def jpeg_scan_before_frame() -> bytes:
    data = encoded(".jpg")
    sof, sos = data.index(b"\xff\xc0"), data.index(b"\xff\xda")
    return data[:sof] + data[sos:]  # no frame header at all


# name -> (how to make it in a folder, what the log line must say)
Maker = Callable[[Path], None]


def write(data: bytes) -> Maker:
    return lambda p: p.write_bytes(data)


BROKEN: dict[str, tuple[Maker, str]] = {
    "bomb-20000.png": (write(png_declaring(20_000, 20_000)), "declares 20000x20000 pixels"),
    "bomb-65535.jpg": (write(jpeg_declaring(65_535, 65_535)), "declares 65535x65535 pixels"),
    "bomb-30000.bmp": (write(bmp_declaring(30_000, -30_000)), "declares 30000x30000 pixels"),
    "just-over.png": (write(png_declaring(10_000, 5_001)), "declares 10000x5001 pixels"),
    "zero-width.png": (write(png_declaring(0, 48)), "declares 0x48 pixels"),
    "truncated.png": (write(encoded(".png")[:600]), "damaged or truncated"),
    "truncated.jpg": (write(encoded(".jpg")[:700]), "damaged or truncated"),
    "truncated.bmp": (write(encoded(".bmp")[:300]), "damaged or truncated"),
    "empty.jpg": (write(b""), "empty file"),
    "text.png": (write(b"this is not an image\n"), "not a PNG, JPEG or BMP image"),
    "random.jpg": (write(np.random.default_rng(2).bytes(4096)), "not a PNG, JPEG or BMP image"),
    "gif-inside.png": (write(b"GIF89a" + b"\0" * 64), "not a PNG, JPEG or BMP image"),
    "no-frame-header.jpg": (write(jpeg_scan_before_frame()), "header is damaged"),
    "huge-file.bmp": (
        lambda p: p.open("wb").truncate(MAX_IMAGE_BYTES + 1),  # sparse: no disk used
        "larger than any image",
    ),
    "broken-link.jpg": (lambda p: p.symlink_to(p.parent / "gone.jpg"), "does not exist"),
    "loop-a.png": (lambda p: p.symlink_to(p.parent / "loop-b.png"), "symbolic link loop"),
    "loop-b.png": (lambda p: p.symlink_to(p.parent / "loop-a.png"), "symbolic link loop"),
    "fifo.jpg": (lambda p: os.mkfifo(p), "not a regular file"),
    "folder.jpg": (lambda p: p.mkdir(), "a folder"),
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "frames"
    d.mkdir()
    (d / "frame_001.jpg").write_bytes(encoded(".jpg"))
    (d / "frame_002.png").write_bytes(encoded(".png", (32, 40)))
    for name, (make, _) in BROKEN.items():
        make(d / name)
    return d


def test_the_corpus_has_enough_kinds_of_broken_image() -> None:
    assert len(BROKEN) >= 15


@pytest.mark.parametrize("ext", [".png", ".jpg", ".bmp"])
def test_header_sizes_match_what_the_encoders_wrote(ext: str) -> None:
    assert image_size(encoded(ext, (37, 53))) == (53, 37)


def test_a_lying_header_is_not_decoded() -> None:
    assert image_size(png_declaring(20_000, 20_000)) == (20_000, 20_000)
    assert MAX_PIXELS < 20_000 * 20_000
    assert image_size(jpeg_declaring(640, 480)) == (640, 480)
    assert image_size(bmp_declaring(640, -480)) == (640, 480)  # top-down rows


def test_each_broken_image_is_skipped_with_one_log_line(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="pipelines.sources.image_folder")
    source = ImageFolderSource(ImageFolderSourceConfig(path=str(folder), fps=10))
    frames = list(source.frames())
    assert [f.image.shape for f in frames] == [(48, 64, 3), (32, 40, 3)]
    messages = [r.getMessage() for r in caplog.records]
    for name, (_, reason) in BROKEN.items():
        about = [m for m in messages if f"{folder / name}:" in m]
        assert len(about) == 1, (name, about)
        assert reason in about[0], (name, about[0])
    assert len(messages) == len(BROKEN)


# Links, FIFOs and folders never reach the decoder: the folder scan reports them.
NOT_FILES = {"broken-link.jpg", "loop-a.png", "loop-b.png", "fifo.jpg", "folder.jpg"}


@pytest.mark.parametrize("name", sorted(set(BROKEN) - NOT_FILES))
def test_decode_image_says_why(name: str, tmp_path: Path) -> None:
    make, reason = BROKEN[name]
    path = tmp_path / name
    make(path)
    result = decode_image(path)
    assert isinstance(result, str) and reason in result


def test_eva_replay_of_a_hostile_folder_finishes_and_reports_each_image(
    folder: Path, tmp_path: Path
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        f"llm:\n  type: template\nstorage:\n  path: {tmp_path / 'state'}\n"
        "cameras:\n  - name: barn\n    source:\n      type: image_folder\n"
        f"      path: {folder}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli", "replay", "--config", str(config)]
        + ["--source", str(folder), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,  # a decoder allocating gigabytes would take far longer, or be killed
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    for name in BROKEN:
        assert f"skipping {folder / name}: " in done.stderr, name
    assert "declares 20000x20000 pixels" in done.stderr
