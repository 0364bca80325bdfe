"""What we know about AI Camera networks (.rpk) that do not describe themselves.

An .rpk is the network firmware followed by a cpio archive. Most Raspberry Pi networks put
a `network_intrinsics` JSON file in that archive (task, box order, box scale, labels), which
picamera2's `IMX500` reads. The two YOLO networks of raspberrypi/imx500-models
(`imx500_network_yolov8n_pp.rpk`, `imx500_network_yolo11n_pp.rpk`, checked at commit
ddfe4c7, July 2025) carry only `imx500_regs` and `network_info.txt`: no box order, no scale
and no labels. Their README runs them with `--bbox-normalization --bbox-order xy`, i.e.
boxes as x0, y0, x1, y1 in input-tensor pixels. Their four outputs hold 1200, 300, 300 and
1 values (`outputTensorDimSize1..4` in network_info.txt): 300 boxes, scores, class ids, and
the number of valid rows.

Labels of the YOLO networks: they are Ultralytics exports, and Ultralytics' COCO models
predict the 80 class ids 0..79, so the 80-entry COCO list is the default here. The sources
cannot settle it: the README's command uses picamera2's 90-entry list with "-" gaps
(examples/imx500/assets/coco_labels.txt) and does not pass `--ignore-dash-labels`, which
would shift every id from 11 ("stop sign") on. Hence `source.labels` can pick either list.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eva_errors import EvaError

LabelSet = Literal["coco80", "coco90"]


@dataclass(frozen=True, slots=True)
class NetworkDefaults:
    """Box layout and labels for a network whose .rpk has no intrinsics."""

    bbox_normalization: bool
    bbox_order: Literal["xy", "yx"]
    labels: LabelSet


#: Known Raspberry Pi networks without `network_intrinsics`, by file name.
KNOWN_NETWORKS: dict[str, NetworkDefaults] = {
    "imx500_network_yolov8n_pp.rpk": NetworkDefaults(True, "xy", "coco80"),
    "imx500_network_yolo11n_pp.rpk": NetworkDefaults(True, "xy", "coco80"),
}


def known_defaults(network: Path) -> NetworkDefaults | None:
    """The shipped defaults for a network file name, if it is one we know."""
    return KNOWN_NETWORKS.get(network.name)


class RpkError(EvaError, ValueError):
    """The file is not an .rpk network package."""


def rpk_intrinsics(path: Path) -> dict[str, Any] | None:
    """The `network_intrinsics` JSON of an .rpk, or None when it has none.

    Walks the firmware blocks as picamera2's `IMX500.__ni_from_network` does (header
    "9464" + size, footer "3695", 32 more bytes when the device-lock flag is set), then
    reads the cpio ("newc") archive that follows.

    Raises:
        RpkError: the file is not laid out like an .rpk.
        OSError: it cannot be read.
    """
    data = path.read_bytes()
    offset = 0
    while data[offset : offset + 4] == b"9464":
        (size,) = struct.unpack(">I", data[offset + 4 : offset + 8])
        lock_flag = data[offset + 8 + 6]
        footer = offset + size + 60
        if data[footer : footer + 4] != b"3695":
            raise RpkError(f"{path.name} has no firmware footer where one belongs")
        offset = footer + 4 + (32 if lock_flag & 0x01 else 0)
    if offset == 0:
        raise RpkError(f"{path.name} is not an IMX500 network package (.rpk)")
    entries = _cpio_entries(data, offset, path.name)
    raw = entries.get("network_intrinsics")
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise RpkError(f"{path.name} has unreadable network_intrinsics: {exc}") from exc
    if not isinstance(value, dict):
        raise RpkError(f"{path.name} has network_intrinsics that are not a JSON object")
    return value


def _cpio_entries(data: bytes, offset: int, name: str) -> dict[str, bytes]:
    """Files of a cpio "newc" archive (magic 070701, 110-byte ASCII-hex headers)."""
    entries: dict[str, bytes] = {}
    while True:
        header = data[offset : offset + 110]
        if len(header) < 110 or header[:6] != b"070701":
            raise RpkError(f"{name}: the archive after the firmware is damaged")
        file_size = int(header[54:62], 16)
        name_size = int(header[94:102], 16)
        start = offset + 110
        entry = data[start : start + name_size - 1].decode("utf-8", "replace")
        body = (start + name_size + 3) & ~3
        if entry == "TRAILER!!!":
            return entries
        entries[entry] = data[body : body + file_size]
        offset = (body + file_size + 3) & ~3
