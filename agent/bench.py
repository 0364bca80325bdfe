"""`eva bench`: figures for the agent core, the CPU detector, the language model and MQTT."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import time
from collections.abc import Callable
from typing import TextIO

import numpy as np

from agent.camera import CameraCore
from agent.coalesce import build_event
from agent.config import (
    CameraConfig,
    LlamaCppLlmConfig,
    LlmConfig,
    MqttConfig,
    OllamaLlmConfig,
    RuleConfig,
    ZoneConfig,
)
from agent.llm.bench import LlmFigures
from agent.rules import Change
from pipelines.detections import Detections

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


def bench_core(n_frames: int) -> dict[str, float]:
    """Frames per second through tracking, zones, rules and event building."""
    frames = synthetic_frames(n_frames)
    core = CameraCore(BENCH_CAMERA, "en")
    events = 0
    t0 = time.perf_counter()
    for i, dets in enumerate(frames):
        events += len(core.step(dets, 1_800_000_000.0 + i / 10).events)
    elapsed = time.perf_counter() - t0
    return {
        "frames": n_frames,
        "fps": n_frames / elapsed,
        "us_per_frame": 1e6 * elapsed / n_frames,
        "events": events,
    }


def bench_detector(runs: int) -> list[dict[str, float]]:
    """Median and p95 latency of the CPU detector on a demo frame, at 416 and 320."""
    from pipelines.demo_scene import ensure_demo_scene
    from pipelines.detectors import build_detector
    from pipelines.detectors.bench import measure_latency
    from pipelines.detectors.onnx_yolo import OnnxDetectorConfig
    from pipelines.sources.image_folder import read_bgr

    frames = sorted(ensure_demo_scene().glob("*.jpg"))
    image = read_bgr(frames[len(frames) // 2])  # a frame with objects in it
    if image is None:
        raise RuntimeError(f"cannot read the demo frame {frames[len(frames) // 2]}")
    results = []
    for size in (416, 320):
        detector = build_detector(OnnxDetectorConfig(input_size=size, threads=2))
        try:
            figures = measure_latency(detector, image, runs)
        finally:
            detector.close()
        results.append({"input": size, **figures})
    return results


def bench_mqtt(n_events: int) -> dict[str, float | str]:
    """Rule fire (event built) to PUBACK, one event at a time, on a local broker."""
    from agent.mqtt import EmbeddedBroker, MqttPublisher

    mosquitto = _start_mosquitto()
    broker: EmbeddedBroker | None = None
    if mosquitto is None:
        broker = EmbeddedBroker(0)
        broker.start()
        host, port = broker.host, broker.port
    else:
        host, port = "127.0.0.1", mosquitto[0]
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
            publisher.publish_event(event)
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
            mosquitto[1]()
    q = statistics.quantiles(latencies, n=100)
    return {
        "broker": "mosquitto" if mosquitto else "embedded (amqtt)",
        "events": n_events,
        "p50_ms": statistics.median(latencies),
        "p95_ms": q[94],
        "max_ms": max(latencies),
    }


def _start_mosquitto() -> tuple[int, Callable[[], None]] | None:
    """Start Debian's mosquitto on a free loopback port: (port, stop), or None if absent."""
    import socket
    import subprocess
    import tempfile

    binary = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None
    )
    if binary is None:
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as conf:
        conf.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen(
        [binary, "-c", conf.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)

    def stop() -> None:
        proc.terminate()
        proc.wait(5)
        os.unlink(conf.name)

    return port, stop


def bench_llm(out: TextIO, config: LlmConfig, n_events: int) -> None:
    """The fixed event set through each backend that can run here; prints one block each."""
    from agent.llm import ModelUnavailable, build_language_model
    from agent.llm.bench import bench_events, bench_model

    candidates: list[LlmConfig] = [LlamaCppLlmConfig(type="llamacpp"), config]
    if config.type == "llamacpp" or config.type == "template":
        candidates = candidates[:1]
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
) -> None:
    """Run the sections not in `skip` and print their figures."""
    print(
        f"eva bench on {platform.machine()}, {os.cpu_count()} CPU(s), "
        f"Python {platform.python_version()}",
        file=out,
    )
    if "core" not in skip:
        r = bench_core(frames)
        print(
            f"core (tracking + zones + 5 rules + events, 20 objects/frame): "
            f"{r['fps']:.0f} frames/s ({r['us_per_frame']:.0f} us/frame, "
            f"{r['frames']:.0f} frames, {r['events']:.0f} events)",
            file=out,
            flush=True,
        )
    if "detector" not in skip:
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
