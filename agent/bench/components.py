"""`eva bench`: figures for the agent core, the CPU detector, the language model and MQTT."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Literal, TextIO

import numpy as np

from agent.bench.llm import LlmFigures
from agent.bench.mosquitto import Mosquitto, MosquittoError, find_mosquitto
from agent.config.schema import (
    CameraConfig,
    LlamaCppLlmConfig,
    LlmConfig,
    MqttConfig,
    OllamaLlmConfig,
)
from agent.core.camera import CameraCore
from agent.core.coalesce import build_event
from agent.core.rules import Change
from agent.core.settings import RuleConfig, ZoneConfig
from pipelines.detections import Detections
from pipelines.detectors.hailo.config import HailoDetectorConfig
from pipelines.sources.imx500 import Imx500SourceConfig

BENCH_CAMERA = CameraConfig(
    name="bench",
    zones=[
        ZoneConfig(name="left", points=[(0, 0), (0.5, 0), (0.5, 1), (0, 1)]),
        ZoneConfig(name="right", points=[(0.5, 0), (1, 0), (1, 1), (0.5, 1)]),
    ],
    rules=[
        RuleConfig(name="arrivals", kind="arrival"),
        RuleConfig(name="departures", kind="departure"),
        RuleConfig(name="enter", kind="zone_enter"),
        RuleConfig(name="exit", kind="zone_exit"),
        RuleConfig(name="counts", kind="count_change"),
    ],
)
LABELS = ("cow", "sheep", "person", "dog")
#: A camera set up the way config/home.yaml's are: a `labels` list and rules that name
#: labels and zones, on the same frames as BENCH_CAMERA.
BENCH_HOME_CAMERA = CameraConfig(
    name="bench_home",
    labels=["person", "dog", "cow", "sheep"],
    zones=[ZoneConfig(name="door", points=[(0.25, 0.35), (0.75, 0.35), (0.75, 1), (0.25, 1)])],
    rules=[
        RuleConfig(name="visitor", kind="zone_enter", labels=["person"], zones=["door"]),
        RuleConfig(
            name="waiting", kind="dwell", labels=["person"], zones=["door"], dwell_seconds=45
        ),
        RuleConfig(name="pets", kind="arrival", labels=["dog"], cooldown_seconds=300),
        RuleConfig(name="animals_in", kind="arrival", labels=["cow", "sheep"]),
        RuleConfig(name="animals_out", kind="departure", labels=["cow", "sheep"]),
    ],
)


def synthetic_frames(n_frames: int, n_objects: int = 20, seed: int = 7) -> list[Detections]:
    """Objects drifting across the frame; every few seconds one leaves and another comes."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(0.05, 0.85, (n_objects, 2))
    speed = rng.uniform(-0.004, 0.004, (n_objects, 2))
    labels = [LABELS[i % len(LABELS)] for i in range(n_objects)]
    names = list(LABELS)
    ids = [names.index(lb) for lb in labels]
    frames = []
    for f in range(n_frames):
        pos = (start + speed * f) % 0.85
        present = np.array([(f // 40 + i) % 25 != 0 for i in range(n_objects)])
        boxes = np.concatenate([pos, pos + 0.1], axis=1)[present]
        frames.append(
            Detections.build(
                boxes, rng.uniform(0.5, 0.95, int(present.sum())), np.array(ids)[present], names
            )
        )
    return frames


def bench_core(
    n_frames: int, runs: int = 5, camera: CameraConfig = BENCH_CAMERA
) -> dict[str, float]:
    """Frames per second through tracking, zones, rules and event building.

    The median of `runs` runs over the same frames, each with a fresh core: other work on
    the machine slows single runs by up to half, the median hardly.
    """
    frames = synthetic_frames(n_frames)
    rates = []
    events = 0
    for _ in range(runs):
        core = CameraCore(camera, "en")
        events = 0
        t0 = time.perf_counter()
        for i, dets in enumerate(frames):
            events += len(core.step(dets, 1_800_000_000.0 + i / 10).events)
        rates.append(n_frames / (time.perf_counter() - t0))
    fps = statistics.median(rates)
    return {
        "frames": n_frames,
        "runs": runs,
        "fps": fps,
        "fps_min": min(rates),
        "fps_max": max(rates),
        "us_per_frame": 1e6 / fps,
        "events": events,
    }


def _demo_frame() -> np.ndarray:
    from pipelines.demo_scene import ensure_demo_scene
    from pipelines.sources.image_folder import read_bgr

    frames = sorted(ensure_demo_scene().glob("*.jpg"))
    image = read_bgr(frames[len(frames) // 2])  # a frame with objects in it
    if image is None:
        raise RuntimeError(f"cannot read the demo frame {frames[len(frames) // 2]}")
    return image


def bench_detector(runs: int) -> list[dict[str, float]]:
    """Median and p95 latency of the CPU detector on a demo frame, at 416 and 320."""
    from agent.bench.detector import measure_latency
    from pipelines.detectors import build_detector
    from pipelines.detectors.onnx_yolo import OnnxDetectorConfig

    image = _demo_frame()
    results = []
    for size in (416, 320):
        detector = build_detector(OnnxDetectorConfig(input_size=size, threads=2))
        try:
            figures = measure_latency(detector, image, runs)
        finally:
            detector.close()
        results.append({"input": size, **figures})
    return results


def bench_hailo(out: TextIO, runs: int, config: HailoDetectorConfig) -> bool:
    """The Hailo detector on a demo frame (needs the chip), then the host-side work alone."""
    from agent.bench.detector import hailo_host_overhead, measure_latency
    from eva_errors import DetectorError
    from pipelines.detectors import build_detector

    image = _demo_frame()
    ok = True
    try:
        detector = build_detector(config)
        try:
            d = measure_latency(detector, image, runs)
        finally:
            detector.close()
        print(
            f"detector hailo {config.model}, incl. letterbox and decoding: median "
            f"{d['median_ms']:.1f} ms, p95 {d['p95_ms']:.1f} ms, "
            f"{1000 / d['median_ms']:.0f} frames/s one at a time ({runs} frames of 1280x720)",
            file=out,
            flush=True,
        )
    except DetectorError as e:
        ok = False
        print(f"detector hailo {config.model}: cannot run here: {e}", file=out, flush=True)
    h = hailo_host_overhead(image, runs)
    print(
        f"hailo host work per frame (no chip needed): letterbox 1280x720 -> 640x640 median "
        f"{h['letterbox']['median_ms']:.2f} ms, NMS output decoding median "
        f"{h['decode']['median_ms']:.3f} ms",
        file=out,
        flush=True,
    )
    return ok


def bench_imx500(out: TextIO, frames: int, config: Imx500SourceConfig) -> bool:
    """Frames per second the AI Camera delivers with detections, then the host-side work."""
    from agent.bench.detector import imx500_host_overhead
    from pipelines.sources import SourceError
    from pipelines.sources.imx500 import Imx500Source, probe

    ok = True
    problem = probe(config)
    if problem is not None:
        ok = False
        print(f"imx500 {Path(config.network).name}: cannot run here: {problem}", file=out)
    else:
        source = Imx500Source(config, max_attempts=1)
        count = found = 0
        try:
            with source:
                start = time.perf_counter()
                for frame in source.frames():
                    count += 1
                    found += len(frame.detections) if frame.detections is not None else 0
                    if count == 1:
                        start = time.perf_counter()  # after the network's upload
                    if count > frames:
                        break
            elapsed = time.perf_counter() - start
            print(
                f"imx500 {Path(config.network).name}: {(count - 1) / elapsed:.1f} frames/s "
                f"with detections ({count - 1} frames, {found / max(count, 1):.1f} objects/frame)",
                file=out,
                flush=True,
            )
        except SourceError as e:
            ok = False
            print(f"imx500: failed: {e}", file=out)
    m = imx500_host_overhead(frames)
    print(
        f"imx500 host work per frame (no camera needed): decoding and mapping 10 boxes median "
        f"{m['median_ms']:.3f} ms, p95 {m['p95_ms']:.3f} ms",
        file=out,
        flush=True,
    )
    return ok


def bench_mqtt(n_events: int) -> dict[str, float | str]:
    """Rule fire (event built) to PUBACK, one event at a time, on a local broker."""
    from agent.adapters.mqtt import EmbeddedBroker, MqttPublisher, payloads

    mosquitto = _start_mosquitto()
    broker: EmbeddedBroker | None = None
    if mosquitto is None:
        broker = EmbeddedBroker(0)
        broker.start()
        host, port = broker.host, broker.port
    else:
        host, port = mosquitto.host, mosquitto.port
    publisher = MqttPublisher(MqttConfig(host=host, port=port, client_id="eva-bench"), host, port)
    publisher.start()
    latencies = []
    try:
        deadline = time.monotonic() + 10
        while not publisher.connected and time.monotonic() < deadline:
            time.sleep(0.01)
        change = Change("arrivals", "arrival", time.time(), 1, "cow", 0.9, ("left",))
        for i in range(n_events):
            t0 = time.perf_counter()
            event = build_event(BENCH_CAMERA, BENCH_CAMERA.rules[0], [change], "en")
            assert event is not None
            publisher.publish(*payloads.event(publisher.base_topic, event))
            if not publisher.wait_until_delivered(timeout=5):
                raise RuntimeError("the broker did not acknowledge an event within 5 s")
            latencies.append((time.perf_counter() - t0) * 1000)
            if i % 10 == 0:
                time.sleep(0.005)  # events are sparse in life; do not measure a saturated socket
    finally:
        publisher.close()
        if broker is not None:
            broker.stop()
        if mosquitto is not None:
            _stop_mosquitto(mosquitto)
    q = statistics.quantiles(latencies, n=100)
    return {
        "broker": "mosquitto" if mosquitto else "embedded (amqtt)",
        "events": n_events,
        "p50_ms": statistics.median(latencies),
        "p95_ms": q[94],
        "max_ms": max(latencies),
    }


def _start_mosquitto() -> Mosquitto | None:
    """Start Mosquitto on a free loopback port, without persistence; None if it is absent
    or does not start (the benchmark then uses the embedded broker and says so)."""
    if find_mosquitto() is None:
        return None
    directory = Path(tempfile.mkdtemp(prefix="eva-bench-mosquitto-"))
    broker = Mosquitto(directory)
    try:
        broker.start()
    except MosquittoError:
        shutil.rmtree(directory, ignore_errors=True)
        return None
    return broker


def _stop_mosquitto(broker: Mosquitto) -> None:
    broker.stop()
    shutil.rmtree(broker.directory, ignore_errors=True)


def bench_llm(out: TextIO, config: LlmConfig, n_events: int) -> None:
    """The fixed event set through each backend that can run here; prints one block each."""
    from agent.bench.llm import bench_events, bench_model
    from agent.llm import ModelUnavailable, build_language_model

    # The configured GGUF when llm.type is llamacpp; otherwise the bundled SmolLM2, and the
    # configured Ollama model next to it.
    candidates: list[LlmConfig] = [config]
    if config.type == "template":
        candidates = [LlamaCppLlmConfig(type="llamacpp")]
    elif config.type == "ollama":
        candidates = [LlamaCppLlmConfig(type="llamacpp"), config]
    events = bench_events(n_events)
    for cfg in candidates:
        model = build_language_model(cfg)
        if model is None:
            continue
        try:
            status = model.check()
        except ModelUnavailable as e:
            print(f"llm {cfg.type}: skipped, {e} ({e.fix})", file=out, flush=True)
            continue
        try:
            for language in ("en", "uk"):
                subset = [e for e in events if e.language == language]
                f = bench_model(model, subset, cfg.max_tokens)
                _print_llm(out, f, status, language)
        finally:
            model.close()


def _print_llm(out: TextIO, f: LlmFigures, status: str, language: str) -> None:
    print(
        f"llm {f.source} [{language}] ({status}): {f.events} events, {f.answers} answers; "
        f"grounded {100 * f.grounded_rate:.0f}% of answers, published from the model "
        f"{f.published_from_model}/{f.events}; prompt {f.prompt_tokens_mean:.0f} tokens, "
        f"answer {f.output_tokens_mean:.0f} tokens (means per answer, retries included); "
        f"per event p50 {f.p50_seconds:.2f} s, p95 {f.p95_seconds:.2f} s; "
        f"{f.tokens_per_second:.0f} answer tokens/s (prefill included)",
        file=out,
        flush=True,
    )
    for facts, answer, verdict in f.examples[:3]:
        print(f"    {facts}\n      -> {answer}\n      verifier: {verdict}", file=out)


def run_bench(
    out: TextIO,
    frames: int,
    runs: int,
    events: int,
    skip: set[str],
    llm: LlmConfig | None = None,
    llm_events: int = 60,
    backend: Literal["onnx", "hailo", "imx500"] = "onnx",
    camera: CameraConfig | None = None,
) -> bool:
    """Run the sections not in `skip` and print their figures; False if a backend failed.

    `camera` gives the Hailo model or the IMX500 network (from `--config`); without it the
    defaults are used.
    """
    ok = True
    print(
        f"eva bench on {platform.machine()}, {os.cpu_count()} CPU(s), "
        f"Python {platform.python_version()}",
        file=out,
    )
    if "core" not in skip:
        from agent.core import RUNNING

        print(f"core runs {RUNNING}", file=out)
        r = bench_core(frames)
        print(
            f"core (tracking + zones + 5 rules + events, 20 objects/frame): "
            f"{r['fps']:.0f} frames/s ({r['us_per_frame']:.0f} us/frame; median of "
            f"{r['runs']:.0f} runs, {r['fps_min']:.0f}-{r['fps_max']:.0f}; "
            f"{r['frames']:.0f} frames, {r['events']:.0f} events)",
            file=out,
            flush=True,
        )
        home = bench_core(frames, camera=BENCH_HOME_CAMERA)
        print(
            f"core, home-like camera (labels list, 5 rules naming labels and a zone): "
            f"{home['fps']:.0f} frames/s ({home['us_per_frame']:.0f} us/frame; "
            f"{home['fps_min']:.0f}-{home['fps_max']:.0f}; {home['events']:.0f} events)",
            file=out,
            flush=True,
        )
    if "detector" not in skip and backend == "hailo":
        det = camera.detector if camera is not None else None
        hailo = det if isinstance(det, HailoDetectorConfig) else HailoDetectorConfig()
        ok &= bench_hailo(out, runs, hailo)
    elif "detector" not in skip and backend == "imx500":
        src = camera.source if camera is not None else None
        imx500 = src if isinstance(src, Imx500SourceConfig) else Imx500SourceConfig()
        ok &= bench_imx500(out, runs, imx500)
    elif "detector" not in skip:
        for d in bench_detector(runs):
            print(
                f"detector onnx yolov3-tiny @{d['input']:.0f}, 2 threads, incl. preprocessing: "
                f"median {d['median_ms']:.1f} ms, p95 {d['p95_ms']:.1f} ms "
                f"({runs} frames of 1280x720)",
                file=out,
                flush=True,
            )
    if "llm" not in skip:
        bench_llm(out, llm or OllamaLlmConfig(type="ollama"), llm_events)
    if "mqtt" not in skip:
        m = bench_mqtt(events)
        print(
            f"rule fire -> PUBACK on {m['broker']}: p50 {m['p50_ms']:.2f} ms, "
            f"p95 {m['p95_ms']:.2f} ms, max {m['max_ms']:.2f} ms ({m['events']} events)",
            file=out,
            flush=True,
        )
    return ok
