"""`eva check`: is the configuration valid, and can what it names be reached?"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Protocol, TextIO

from agent.config.schema import AppConfig, CameraConfig
from eva_errors import DetectorError
from pipelines.models.hailo_manifest import Arch


class _Report(Protocol):
    def __call__(self, good: bool, what: str, fix: str = "") -> None: ...


def run_checks(config: AppConfig, out: TextIO) -> bool:
    """Print one line per check; True when everything the agent needs is in place."""
    ok = True

    def report(good: bool, what: str, fix: str = "") -> None:
        nonlocal ok
        ok &= good
        print(
            f"[{'ok' if good else 'FAIL'}] {what}" + (f" -> {fix}" if fix and not good else ""),
            file=out,
        )

    report(
        True,
        f"configuration is valid ({len(config.cameras)} camera(s), language {config.language})",
    )
    chip = _find_hailo_chip()  # once: identifying the chip may open it or run hailortcli
    _describe_hardware(chip, out)
    for camera in config.cameras:
        _check_source(camera, report)
        _check_detector(camera, chip, report)
        for risk in spam_risks(camera):
            print(f"[warn] camera '{camera.name}': {risk}", file=out)
    _check_mqtt(config, report)
    _check_llm(config, report)
    _check_storage(config, report, out)
    from agent.core import RUNNING

    # Information, not a check: the interpreted core gives the same events, slower.
    print(f"[info] core: {RUNNING}", file=out)
    return ok


def spam_risks(camera: CameraConfig) -> list[str]:
    """Settings that `eva bench --events` shows multiply spurious events (docs/tracking.md)."""
    t, risks = camera.tracker, []
    if t.confirm_frames < 3:
        risks.append(
            f"tracker.confirm_frames {t.confirm_frames}: short false detections become "
            "arrivals and departures (2 gave 13x the spurious events of the default 4); "
            "use 3 or more"
        )
    if t.lost_after_seconds < 2:
        risks.append(
            f"tracker.lost_after_seconds {t.lost_after_seconds:g}: a second of missed "
            "detections splits one visit into several (1 s gave 4x the spurious events); "
            "use 2 or more"
        )
    if not t.class_groups:
        risks.append(
            "tracker.class_groups is empty: a dog/cat or car/truck flicker starts a new "
            "object (2x the spurious events); keep the default groups"
        )
    if camera.coalesce_seconds < 1:
        risks.append(
            f"coalesce_seconds {camera.coalesce_seconds:g}: a herd walking in becomes one "
            "event per animal; use 1 or more"
        )
    return risks


def _find_hailo_chip() -> Arch | None | DetectorError:
    """The attached Hailo chip, None without one, or why it is not supported."""
    from pipelines.detectors.hailo.chip import detect_architecture

    try:
        return detect_architecture()
    except DetectorError as e:
        return e


def _describe_hardware(chip: Arch | None | DetectorError, out: TextIO) -> None:
    """What accelerators and Pi cameras this machine has, whatever the file chose."""
    from pipelines.models.hailo_manifest import ARCH_NAMES
    from pipelines.sources.picamera import camera_models

    hailo = str(chip) if isinstance(chip, DetectorError) else ARCH_NAMES[chip] if chip else "none"
    cameras = camera_models()
    listed = ", ".join(cameras) if isinstance(cameras, list) and cameras else "none"
    print(
        f"[info] hardware: Hailo chip: {hailo}; Pi cameras: "
        f"{listed if isinstance(cameras, list) else cameras}",
        file=out,
    )


def _check_source(camera: CameraConfig, report: _Report) -> None:
    src = camera.source
    name = camera.name
    if src.type == "image_folder":
        path = Path(src.path).expanduser()
        report(
            path.is_dir(),
            f"camera {name}: image folder {path}",
            "create the folder or fix source.path",
        )
    elif src.type == "opencv":
        uri = src.uri
        if uri.isdigit():
            dev = Path(f"/dev/video{uri}")
            report(
                dev.exists(),
                f"camera {name}: USB camera {dev}",
                "plug in the camera or change source.uri",
            )
        elif "://" in uri:
            report(True, f"camera {name}: stream {uri.split('@')[-1]} (opened when running)")
        else:
            path = Path(uri).expanduser()
            report(path.is_file(), f"camera {name}: video file {path}", "fix source.uri")
    elif src.type == "picamera":
        from pipelines.sources.picamera import probe

        problem = probe(src.camera_num)
        report(problem is None, f"camera {name}: Pi camera {src.camera_num}", problem or "")
    elif src.type == "imx500":
        from pipelines.sources.imx500 import probe as probe_imx500

        problem = probe_imx500(src)
        report(
            problem is None,
            f"camera {name}: AI Camera (IMX500) with {Path(src.network).name}",
            problem or "",
        )
    else:
        report(True, f"camera {name}: bundled demo scene")


def _check_detector(
    camera: CameraConfig, chip: Arch | None | DetectorError, report: _Report
) -> None:
    det = camera.detector
    if det.type == "imx500":
        report(True, f"camera {camera.name}: detection runs on the IMX500 sensor")
    elif det.type == "hailo":
        _check_hailo(camera.name, det.model, chip, report)
    elif det.model == "yolov3-tiny":
        from pipelines.models.builtin import ensure_builtin_model

        try:
            path = ensure_builtin_model(input_size=det.input_size)
            report(True, f"camera {camera.name}: detector yolov3-tiny ready ({path})")
        except DetectorError as e:
            report(False, f"camera {camera.name}: detector yolov3-tiny", str(e))
    else:
        path = Path(det.model).expanduser()
        report(
            path.is_file(),
            f"camera {camera.name}: detector model {path}",
            "fix detector.model or copy the .onnx file there",
        )


def _check_hailo(
    camera: str, model: str, arch: Arch | None | DetectorError, report: _Report
) -> None:
    # Which chip is there decides which HEF is needed, so the file check comes second.
    from pipelines.detectors.hailo.chip import import_sdk
    from pipelines.detectors.hailo.errors import SDK_MISSING
    from pipelines.models.hailo_manifest import ARCH_NAMES, resolve_hef

    try:
        import_sdk()
        report(True, f"camera {camera}: HailoRT Python library (hailo_platform) installed")
    except DetectorError:
        report(False, f"camera {camera}: HailoRT Python library", SDK_MISSING)
        return
    if isinstance(arch, DetectorError):
        report(False, f"camera {camera}: Hailo device", str(arch))
        return
    if arch is None:
        report(
            False,
            f"camera {camera}: Hailo device",
            "none found: seat the AI HAT+, then `hailortcli fw-control identify`",
        )
        return
    report(True, f"camera {camera}: Hailo device is a {ARCH_NAMES[arch]}")
    try:
        hef = resolve_hef(model, arch)
        report(True, f"camera {camera}: detector {model} for the {ARCH_NAMES[arch]} ({hef})")
    except DetectorError as e:
        report(False, f"camera {camera}: detector {model}", str(e))


def _check_identity(config: AppConfig, report: _Report) -> None:
    from agent.adapters.mqtt.identity import IdentityError, resolve_identity

    try:
        identity = resolve_identity(config.mqtt, config.storage)
    except IdentityError as e:
        report(False, "mqtt: agent id", str(e))
        return
    report(True, f"mqtt: {identity.describe()}")


def _check_mqtt(config: AppConfig, report: _Report) -> None:
    _check_identity(config, report)
    m = config.mqtt
    if m.host is None:
        if not m.embedded_port:
            report(True, f"mqtt: an embedded broker will start on {m.embedded_host}, free port")
            return
        where = f"{m.embedded_host}:{m.embedded_port}"
        problem = _cannot_listen(m.embedded_host, m.embedded_port)
        report(
            problem is None,
            f"mqtt: an embedded broker will start on {where}" + (f": {problem}" if problem else ""),
            "another broker probably runs there: set mqtt.host (and mqtt.port) to use it, "
            "or set mqtt.embedded_port: 0 to pick a free port",
        )
        return
    try:
        with socket.create_connection((m.host, m.port), timeout=3):
            pass
        report(True, f"mqtt: broker {m.host}:{m.port} accepts connections")
    except OSError as e:
        report(
            False,
            f"mqtt: broker {m.host}:{m.port} unreachable ({e.strerror or e})",
            "start the broker or fix mqtt.host and mqtt.port",
        )


def _cannot_listen(host: str, port: int) -> str | None:
    """Why the embedded broker could not listen there, or None if it can."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # As asyncio's server does: a port in TIME_WAIT is free, one with a listener is not.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as e:
        return str(e.strerror or e)
    return None


def _check_llm(config: AppConfig, report: _Report) -> None:
    from agent.llm import ModelUnavailable, build_language_model

    model = build_language_model(config.llm)
    if model is None:
        report(True, "wording: template sentences (no language model)")
        return
    try:
        report(True, f"wording: {model.check()}")
    except ModelUnavailable as e:
        # Not fatal for the agent (events keep their template text), but the user asked for it.
        report(False, f"wording: {e.message}", e.fix)
    finally:
        model.close()


def _check_storage(config: AppConfig, report: _Report, out: TextIO) -> None:
    from agent.adapters.history import HistoryError, free_space, open_history

    space = free_space(config.storage)
    if space is not None:
        # A warning, not a failure: the agent runs on a nearly full disk (events wait in memory).
        print(f"[{'warn' if space.low else 'info'}] storage: {space.describe()}", file=out)

    try:
        history = open_history(config.storage)
    except HistoryError as e:
        report(False, f"history: {e}", "fix storage.path or its permissions")
        return
    try:
        report(True, f"history: {history.path} ({history.count()} events stored)")
    finally:
        history.close()
