"""Convert a Darknet YOLO network (cfg + weights) into an ONNX model with the decoding built in.

The model takes `images` float32 [1, 3, H, W] (RGB, 0..1) and returns one tensor [1, N, 5 + C]:
cx, cy, w, h in input pixels, objectness and C class scores (all after the sigmoid), so the
caller only has to threshold and run NMS, exactly as for a YOLOv5 export.

Covers the YOLOv3 family: [convolutional], [maxpool], [upsample], [route] (with groups),
[shortcut] and [yolo]. Anything else is refused with the cfg line that holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

from eva_errors import UserError

#: ONNX Runtime 1.17 (the oldest the project allows) runs opset 13 and IR 7 models.
OPSET = 13
IR_VERSION = 7
INPUT_NAME = "images"
OUTPUT_NAME = "output"

F32 = npt.NDArray[np.float32]


class DarknetError(UserError, ValueError):
    """The cfg or weights describe something this converter cannot turn into ONNX."""


@dataclass(frozen=True, slots=True)
class Section:
    """One `[kind]` block of a Darknet cfg with its raw `key=value` options."""

    kind: str
    options: dict[str, str]
    line: int

    def get_int(self, key: str, default: int) -> int:
        """An integer option, or `default` when absent."""
        try:
            return int(self.options.get(key, default))
        except ValueError:
            raise DarknetError(f"line {self.line}: [{self.kind}] {key} is not an integer") from None

    def get_ints(self, key: str) -> list[int]:
        """A comma-separated list of integers (empty when absent)."""
        raw = self.options.get(key, "")
        try:
            return [int(v) for v in raw.split(",") if v.strip()]
        except ValueError:
            raise DarknetError(f"line {self.line}: [{self.kind}] {key} must be integers") from None

    def get_float(self, key: str, default: float) -> float:
        """A float option, or `default` when absent."""
        try:
            return float(self.options.get(key, default))
        except ValueError:
            raise DarknetError(f"line {self.line}: [{self.kind}] {key} is not a number") from None


def parse_cfg(text: str) -> list[Section]:
    """Split a Darknet cfg into sections, dropping comments and blank lines."""
    sections: list[Section] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise DarknetError(f"line {number}: unterminated section header {line!r}")
            sections.append(Section(line[1:-1].strip().lower(), {}, number))
        elif "=" in line:
            if not sections:
                raise DarknetError(f"line {number}: option before the first section")
            key, value = line.split("=", 1)
            sections[-1].options[key.strip()] = value.strip()
        else:
            raise DarknetError(f"line {number}: expected [section] or key=value, got {line!r}")
    if not sections or sections[0].kind not in ("net", "network"):
        raise DarknetError("a Darknet cfg must start with a [net] section")
    return sections


class _Weights:
    """Sequential reader over a .weights file, which is just float32 arrays in layer order."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 12:
            raise DarknetError("weights file is too short to hold a header")
        major, minor, _revision = np.frombuffer(data, "<i4", 3)
        # The 'seen' counter grew from int32 to int64 in format 0.2.
        start = 12 + (8 if major * 10 + minor >= 2 else 4)
        if len(data) < start or (len(data) - start) % 4:
            raise DarknetError("weights file is truncated: it is not a header plus float32s")
        self._values = np.frombuffer(data, "<f4", offset=start)
        self._pos = 0

    def take(self, count: int) -> F32:
        end = self._pos + count
        if end > self._values.size:
            raise DarknetError(
                f"weights file ended early: needed {end} floats, it holds {self._values.size}"
            )
        out = self._values[self._pos : end]
        self._pos = end
        return out

    def check_consumed(self) -> None:
        left = self._values.size - self._pos
        if left:
            raise DarknetError(f"{left} floats left over in the weights: cfg and weights differ")


@dataclass(frozen=True, slots=True)
class _Tensor:
    name: str
    channels: int
    height: int
    width: int


class _Graph:
    """Collects nodes and initializers with unique, readable names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[TensorProto] = []
        self._count = 0

    def _fresh(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_{self._count}"

    def const(self, prefix: str, value: npt.ArrayLike, dtype: type = np.float32) -> str:
        name = self._fresh(prefix)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def op(self, op_type: str, inputs: Sequence[str], outputs: int = 1, **attrs: Any) -> list[str]:
        names = [self._fresh(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, **attrs))
        return names

    def op1(self, op_type: str, inputs: Sequence[str], **attrs: Any) -> str:
        return self.op(op_type, inputs, 1, **attrs)[0]


def _activation(graph: _Graph, x: str, kind: str, where: Section) -> str:
    if kind == "linear":
        return x
    if kind == "leaky":
        return graph.op1("LeakyRelu", [x], alpha=0.1)
    if kind == "relu":
        return graph.op1("Relu", [x])
    if kind == "logistic":
        return graph.op1("Sigmoid", [x])
    if kind == "mish":
        return graph.op1("Mul", [x, graph.op1("Tanh", [graph.op1("Softplus", [x])])])
    if kind == "swish":
        return graph.op1("Mul", [x, graph.op1("Sigmoid", [x])])
    raise DarknetError(f"line {where.line}: activation {kind!r} is not supported")


def _convolutional(graph: _Graph, s: Section, x: _Tensor, weights: _Weights) -> _Tensor:
    filters, size = s.get_int("filters", 1), s.get_int("size", 1)
    stride, groups = s.get_int("stride", 1), s.get_int("groups", 1)
    padding = size // 2 if s.get_int("pad", 0) else s.get_int("padding", 0)
    if x.channels % groups:
        raise DarknetError(
            f"line {s.line}: {x.channels} channels do not split into {groups} groups"
        )
    # File order: biases (beta), then BN scales, means and variances, then the kernel.
    bias = weights.take(filters).astype(np.float64)
    norm = None
    if s.get_int("batch_normalize", 0):
        norm = [weights.take(filters).astype(np.float64) for _ in range(3)]
    kernel_shape = (filters, x.channels // groups, size, size)
    kernel = weights.take(int(np.prod(kernel_shape))).reshape(kernel_shape).astype(np.float64)
    if norm is not None:
        # Fold the inference-time batch norm into the conv; Darknet adds 1e-6 to the std.
        gamma, mean, var = norm
        factor = gamma / (np.sqrt(var) + 1e-6)
        kernel = kernel * factor[:, None, None, None]
        bias = bias - mean * factor
    y = graph.op1(
        "Conv",
        [x.name, graph.const("w", kernel), graph.const("b", bias)],
        kernel_shape=[size, size],
        strides=[stride, stride],
        pads=[padding] * 4,
        group=groups,
    )
    y = _activation(graph, y, s.options.get("activation", "logistic"), s)
    out_h = (x.height + 2 * padding - size) // stride + 1
    out_w = (x.width + 2 * padding - size) // stride + 1
    return _Tensor(y, filters, out_h, out_w)


def _pool_pads(length: int, size: int, stride: int, padding: int) -> tuple[int, int, int]:
    """Darknet pads `padding // 2` before and whatever the output length needs after."""
    out = (length + padding - size) // stride + 1
    before = padding // 2
    after = max((out - 1) * stride + size - length - before, 0)
    return out, before, after


def _maxpool(graph: _Graph, s: Section, x: _Tensor) -> _Tensor:
    stride = s.get_int("stride", 1)
    size = s.get_int("size", stride)
    padding = s.get_int("padding", size - 1)
    out_h, top, bottom = _pool_pads(x.height, size, stride, padding)
    out_w, left, right = _pool_pads(x.width, size, stride, padding)
    # size=2 stride=1 keeps the size only with a one-sided pad, which ONNX allows.
    y = graph.op1(
        "MaxPool",
        [x.name],
        kernel_shape=[size, size],
        strides=[stride, stride],
        pads=[top, left, bottom, right],
    )
    return _Tensor(y, x.channels, out_h, out_w)


def _upsample(graph: _Graph, s: Section, x: _Tensor) -> _Tensor:
    stride = s.get_int("stride", 2)
    scales = graph.const("scales", [1.0, 1.0, float(stride), float(stride)])
    # 'asymmetric' + 'floor' repeats each pixel stride times, as Darknet does.
    y = graph.op1(
        "Resize",
        [x.name, "", scales],
        mode="nearest",
        coordinate_transformation_mode="asymmetric",
        nearest_mode="floor",
    )
    return _Tensor(y, x.channels, x.height * stride, x.width * stride)


def _layer_ref(s: Section, ref: int, index: int, layers: list[_Tensor]) -> _Tensor:
    absolute = index + ref if ref < 0 else ref
    if not 0 <= absolute < index:
        raise DarknetError(f"line {s.line}: layer reference {ref} is out of range")
    return layers[absolute]


def _route(graph: _Graph, s: Section, index: int, layers: list[_Tensor]) -> _Tensor:
    refs = s.get_ints("layers")
    if not refs:
        raise DarknetError(f"line {s.line}: [route] needs layers=")
    inputs = [_layer_ref(s, r, index, layers) for r in refs]
    if len({(t.height, t.width) for t in inputs}) != 1:
        raise DarknetError(f"line {s.line}: [route] joins maps of different sizes")
    joined = inputs[0]
    if len(inputs) > 1:
        name = graph.op1("Concat", [t.name for t in inputs], axis=1)
        joined = _Tensor(name, sum(t.channels for t in inputs), inputs[0].height, inputs[0].width)
    groups, group_id = s.get_int("groups", 1), s.get_int("group_id", 0)
    if groups == 1:
        return joined
    if groups < 1 or joined.channels % groups or not 0 <= group_id < groups:
        raise DarknetError(f"line {s.line}: [route] groups/group_id do not fit the channels")
    # YOLOv4-tiny style: keep one of `groups` equal channel slices.
    step = joined.channels // groups
    starts = graph.const("starts", [group_id * step], np.int64)
    ends = graph.const("ends", [(group_id + 1) * step], np.int64)
    axes = graph.const("axes", [1], np.int64)
    name = graph.op1("Slice", [joined.name, starts, ends, axes])
    return _Tensor(name, step, joined.height, joined.width)


def _shortcut(graph: _Graph, s: Section, x: _Tensor, index: int, layers: list[_Tensor]) -> _Tensor:
    other = _layer_ref(s, s.get_int("from", -1), index, layers)
    if (other.channels, other.height, other.width) != (x.channels, x.height, x.width):
        raise DarknetError(f"line {s.line}: [shortcut] adds maps of different shapes")
    y = graph.op1("Add", [x.name, other.name])
    y = _activation(graph, y, s.options.get("activation", "linear"), s)
    return _Tensor(y, x.channels, x.height, x.width)


def _yolo(graph: _Graph, s: Section, x: _Tensor, net_w: int, net_h: int) -> tuple[str, int]:
    """Decode one head into [1, h*w*A, 5+C] rows; returns their name and count."""
    classes = s.get_int("classes", 80)
    listed = s.get_ints("anchors")
    if not listed or len(listed) % 2:
        raise DarknetError(f"line {s.line}: [yolo] anchors must be width,height pairs")
    anchors = np.array(listed, np.float32).reshape(-1, 2)
    mask = s.get_ints("mask") or list(range(len(anchors)))
    if max(mask) >= len(anchors) or min(mask) < 0:
        raise DarknetError(f"line {s.line}: mask refers to anchors that are not listed")
    if s.get_int("new_coords", 0):
        raise DarknetError(f"line {s.line}: [yolo] new_coords=1 is not supported")
    count, attrs, h, w = len(mask), 5 + classes, x.height, x.width
    if x.channels != count * attrs:
        raise DarknetError(
            f"line {s.line}: [yolo] expects {count * attrs} channels, the layer before has "
            f"{x.channels}"
        )
    shape = graph.const("shape", [1, count, attrs, h, w], np.int64)
    t = graph.op1("Reshape", [x.name, shape])
    # Rows ordered cell by cell, anchors within a cell, as OpenCV's Darknet reader does.
    t = graph.op1("Transpose", [t], perm=[0, 3, 4, 1, 2])
    split = graph.const("split", [2, 2, attrs - 4], np.int64)
    t_xy, t_wh, t_rest = graph.op("Split", [t, split], 3, axis=-1)

    stride = np.array([net_w / w, net_h / h], np.float32)
    scale_xy = s.get_float("scale_x_y", 1.0)
    cells = np.stack(np.meshgrid(np.arange(w), np.arange(h)), axis=-1).astype(np.float32)
    offset = (cells[None, :, :, None, :] - (scale_xy - 1) / 2) * stride
    xy = graph.op1("Sigmoid", [t_xy])
    xy = graph.op1("Mul", [xy, graph.const("xy_scale", stride * scale_xy)])
    xy = graph.op1("Add", [xy, graph.const("grid", offset)])
    wh = graph.op1("Exp", [t_wh])
    wh = graph.op1("Mul", [wh, graph.const("anchors", anchors[mask].reshape(1, 1, 1, count, 2))])
    rest = graph.op1("Sigmoid", [t_rest])
    rows = graph.op1("Concat", [xy, wh, rest], axis=-1)
    rows = graph.op1("Reshape", [rows, graph.const("shape", [1, h * w * count, attrs], np.int64)])
    return rows, h * w * count


def convert(
    cfg_text: str,
    weights: bytes,
    *,
    width: int = 416,
    height: int = 416,
    names: Sequence[str] | None = None,
) -> onnx.ModelProto:
    """Build the ONNX model for a cfg and its weights at a fixed input size (multiples of 32)."""
    if width <= 0 or height <= 0 or width % 32 or height % 32:
        raise DarknetError(f"input size must be positive multiples of 32, got {width}x{height}")
    sections = parse_cfg(cfg_text)
    if sections[0].get_int("channels", 3) != 3:
        raise DarknetError("only 3-channel (RGB) networks are supported")
    reader = _Weights(weights)
    graph = _Graph()
    x = _Tensor(INPUT_NAME, 3, height, width)
    layers: list[_Tensor] = []
    heads: list[str] = []
    rows = 0
    classes: set[int] = set()
    for index, s in enumerate(sections[1:]):
        if s.kind in ("convolutional", "conv"):
            x = _convolutional(graph, s, x, reader)
        elif s.kind == "maxpool":
            x = _maxpool(graph, s, x)
        elif s.kind == "upsample":
            x = _upsample(graph, s, x)
        elif s.kind == "route":
            x = _route(graph, s, index, layers)
        elif s.kind == "shortcut":
            x = _shortcut(graph, s, x, index, layers)
        elif s.kind in ("yolo", "region"):
            if s.kind == "region":
                raise DarknetError(f"line {s.line}: [region] (YOLOv2) is not supported")
            # Darknet passes a [yolo] layer's input through as its output.
            head, head_rows = _yolo(graph, s, x, width, height)
            heads.append(head)
            rows += head_rows
            classes.add(s.get_int("classes", 80))
        else:
            raise DarknetError(f"line {s.line}: section [{s.kind}] is not supported")
        layers.append(x)
    if not heads:
        raise DarknetError("the cfg has no [yolo] layer")
    reader.check_consumed()
    if len(classes) != 1:
        raise DarknetError("all [yolo] layers must have the same number of classes")
    num_classes = classes.pop()
    graph.nodes.append(helper.make_node("Concat", heads, [OUTPUT_NAME], axis=1))

    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "darknet_yolo",
            [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, 3, height, width])],
            [
                helper.make_tensor_value_info(
                    OUTPUT_NAME, TensorProto.FLOAT, [1, rows, 5 + num_classes]
                )
            ],
            graph.initializers,
        ),
        producer_name="edge-vision-agent darknet_onnx",
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    model.ir_version = IR_VERSION
    if names is not None:
        # Same form as Ultralytics exports, so one metadata reader serves both.
        helper.set_model_props(model, {"names": repr(dict(enumerate(names)))})
    return model


def convert_files(
    cfg_path: Path,
    weights_path: Path,
    *,
    width: int = 416,
    height: int = 416,
    names: Sequence[str] | None = None,
) -> onnx.ModelProto:
    """`convert` reading the cfg and weights from disk."""
    return convert(
        cfg_path.read_text(encoding="utf-8"),
        weights_path.read_bytes(),
        width=width,
        height=height,
        names=names,
    )
