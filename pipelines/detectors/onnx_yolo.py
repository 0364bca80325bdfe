"""YOLO-family ONNX models on the CPU with ONNX Runtime."""

from __future__ import annotations

import ast
import logging
import threading
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from eva_errors import DetectorError
from pipelines.detections import Detections
from pipelines.detectors.base import Detector
from pipelines.detectors.letterbox import letterbox
from pipelines.detectors.yolo_decode import decode_yolo, detect_layout
from pipelines.models.labels import read_labels

log = logging.getLogger(__name__)

#: The model name that means "convert the bundled Darknet YOLOv3-tiny".
BUILTIN_MODEL = "yolov3-tiny"


class OnnxDetectorConfig(BaseModel):
    """A YOLO ONNX model (v3/v5 with objectness, or v8/YOLO11) run by ONNX Runtime on the CPU."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["onnx"] = Field("onnx", description="Selects the ONNX Runtime CPU detector.")
    model: str = Field(
        "yolov3-tiny",
        description=(
            "'yolov3-tiny' (built at setup from the bundled weights) or a path to a .onnx file."
        ),
    )
    input_size: int = Field(
        416, ge=64, le=1920, multiple_of=32, description="Square network input in pixels."
    )
    score_threshold: float = Field(
        0.3, ge=0, le=1, description="Drop detections scoring below this."
    )
    iou_threshold: float = Field(
        0.45, ge=0, le=1, description="Overlap above which NMS merges boxes."
    )
    threads: int = Field(2, ge=1, le=64, description="CPU threads ONNX Runtime may use.")
    labels_file: str | None = Field(
        None,
        description="Class names, one per line; empty = from the model's metadata, else COCO-80.",
    )


class OnnxDetector(Detector):
    """Runs a YOLO ONNX model with ONNX Runtime on the CPU; letterboxes, decodes and NMSes."""

    def __init__(self, config: OnnxDetectorConfig) -> None:
        self.config = config
        ort = _import_onnxruntime()
        builtin = config.model == BUILTIN_MODEL
        self.model_path = _model_path(config)
        options = _session_options(ort, config)
        self._session: Any = _open_session(ort, self.model_path, options)
        model_input = self._session.get_inputs()[0]
        self._input_name: str = model_input.name
        self._input_dtype = np.float16 if model_input.type == "tensor(float16)" else np.float32
        self._output_name: str = self._session.get_outputs()[0].name
        self.input_size = _input_size(model_input.shape, config, warn=not builtin)
        self.names = _labels(config, self._session)
        _check_classes(self._session.get_outputs()[0].shape, self.names, self.model_path)

    def detect(self, image: npt.NDArray[np.uint8]) -> Detections:
        """Detect objects in a BGR image of any size."""
        if self._session is None:
            raise DetectorError("detect() called after close()")
        boxed = letterbox(image, self.input_size)
        tensor = boxed.tensor.astype(self._input_dtype, copy=False)
        (output,) = self._session.run([self._output_name], {self._input_name: tensor})
        height, width = image.shape[:2]
        return decode_yolo(
            output,
            self.names,
            frame_size=(width, height),
            score_threshold=self.config.score_threshold,
            iou_threshold=self.config.iou_threshold,
            scale=boxed.scale,
            pad_x=boxed.pad_x,
            pad_y=boxed.pad_y,
        )

    def close(self) -> None:
        """Drop the ONNX Runtime session."""
        self._session = None


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as exc:
        raise DetectorError(
            "the 'onnx' detector needs ONNX Runtime: pip install onnxruntime"
        ) from exc
    return onnxruntime


def _session_options(ort: Any, config: OnnxDetectorConfig) -> Any:
    options = ort.SessionOptions()
    options.intra_op_num_threads = config.threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Spinning workers gained no latency when measured but cost ~70% more CPU per frame.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Activations from one arena per process that grows by what is asked, not in powers of
    # two, and no memory pattern (one block sized for all activations planned up front):
    # together 10 MB less at the replay's peak on YOLOv3-tiny, no slower (docs/BENCHMARKS.md).
    options.enable_mem_pattern = False
    if _shared_arena(ort):
        options.add_session_config_entry("session.use_env_allocators", "1")
    return options


_ARENA_LOCK = threading.Lock()
_arena: list[bool] = []  # [registered?] once decided for this process


def _shared_arena(ort: Any) -> bool:
    """Register, once per process, a CPU arena that every detector session shares.

    ONNX Runtime's CreateAndRegisterAllocator (C API; create_and_register_allocator in Python)
    makes an allocator that the sessions setting "session.use_env_allocators" share, and
    refuses a second one for the same memory info
    (https://onnxruntime.ai/docs/api/c/struct_ort_api.html). OrtArenaCfg(max_mem=0: default,
    arena_extend_strategy=1: kSameAsRequested, initial_chunk_size_bytes=-1,
    max_dead_bytes_per_chunk=-1: defaults)."""
    with _ARENA_LOCK:
        if not _arena:
            try:
                info = ort.OrtMemoryInfo(
                    "Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT
                )
                ort.create_and_register_allocator(info, ort.OrtArenaCfg(0, 1, -1, -1))
                _arena.append(True)
            except Exception as exc:  # onnxruntime raises its own untyped exceptions
                log.debug("no shared ONNX Runtime arena (%s); each session keeps its own", exc)
                _arena.append(False)
        return _arena[0]


def _open_session(ort: Any, source: Path, options: Any) -> Any:
    """A session on the copy of `source` optimised for this machine, else on `source` itself.

    The copy is made once by a child process (pipelines/models/optimized.py) and loaded with
    graph optimisations off: it already holds them. When there is no copy, or it does not
    load, ONNX Runtime optimises `source` in this process as before."""
    from pipelines.models.optimized import discard, ensure_optimized

    optimized = ensure_optimized(source, ort.__version__)
    if optimized is not None:
        level = options.graph_optimization_level
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            return ort.InferenceSession(
                str(optimized), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped exceptions
            log.warning("optimised %s did not load (%s); using %s", optimized, exc, source)
            discard(optimized)
            options.graph_optimization_level = level
    try:
        return ort.InferenceSession(
            str(source), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own untyped exceptions
        raise DetectorError(f"ONNX Runtime could not load {source}: {exc}") from exc


def _model_path(config: OnnxDetectorConfig) -> Path:
    if config.model == BUILTIN_MODEL:
        # Imported here so loading the config never pulls in the converter or onnx.
        from pipelines.models.builtin import ensure_builtin_model

        return ensure_builtin_model(BUILTIN_MODEL, input_size=config.input_size)
    path = Path(config.model).expanduser()
    if not path.is_file():
        raise DetectorError(
            f"detector model {path} does not exist: set detector.model to an existing .onnx "
            f"file, or to '{BUILTIN_MODEL}' for the built-in model"
        )
    return path


def _input_size(shape: list[Any], config: OnnxDetectorConfig, *, warn: bool) -> tuple[int, int]:
    """(width, height) to feed: the model's own when fixed, else config.input_size."""
    if len(shape) != 4 or shape[1] != 3:
        raise DetectorError(
            f"expected a model input of shape [1, 3, height, width] (RGB, NCHW), got {shape}"
        )
    height, width = shape[2], shape[3]
    if not (isinstance(height, int) and isinstance(width, int)):
        return config.input_size, config.input_size
    if warn and (width, height) != (config.input_size, config.input_size):
        log.warning(
            "the model has a fixed %dx%d input; using it instead of input_size=%d",
            width,
            height,
            config.input_size,
        )
    return width, height


def _labels(config: OnnxDetectorConfig, session: Any) -> tuple[str, ...]:
    if config.labels_file:
        return read_labels(Path(config.labels_file).expanduser(), "labels_file", DetectorError)
    raw = session.get_modelmeta().custom_metadata_map.get("names")
    if raw:
        names = parse_names(raw)
        if names:
            return names
        log.warning("could not read class names from the model metadata; using COCO-80")
    from pipelines.models.labels import coco80_names

    return coco80_names()


# The cameras of an agent load their detectors on their own threads at once, and CPython 3.11
# (3.11.7 here) can raise "SystemError: AST constructor recursion depth mismatch" when two
# threads parse at the same moment: one parse at a time.
_PARSE_LOCK = threading.Lock()


def parse_names(raw: str) -> tuple[str, ...] | None:
    """Class names from a metadata string like Ultralytics' "{0: 'person', ...}" or a list."""
    try:
        # literal_eval only builds literals, so a hostile model file cannot run code here.
        with _PARSE_LOCK:
            value = ast.literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, dict) and value and all(isinstance(k, int) for k in value):
        if min(value) < 0:
            return None
        return tuple(str(value.get(i, f"class_{i}")) for i in range(max(value) + 1))
    if isinstance(value, list | tuple) and value:
        return tuple(str(v) for v in value)
    return None


def _check_classes(shape: list[Any], names: tuple[str, ...], path: Path) -> None:
    """Warn once at load time when the output does not match the number of names."""
    if not all(isinstance(d, int) for d in shape[1:]):
        return
    try:
        layout, classes = detect_layout(shape, len(names))
    except ValueError as exc:
        raise DetectorError(f"{path} does not look like a YOLO detector: {exc}") from exc
    if classes != len(names):
        log.warning(
            "%s outputs %d classes but %d names are known; extra classes show as class_<id>",
            path,
            classes,
            len(names),
        )
    log.debug("%s: output %s read as layout %s", path, shape, layout)
