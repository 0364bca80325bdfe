"""Which Hailo chip is attached, and the one import of hailo_platform.

`hailo_platform` (apt package python3-hailort) is imported only by `import_sdk`, when a
detector opens or the chip is identified, so these modules import on any machine.
"""

from __future__ import annotations

import logging
import re
import subprocess
from typing import Any

from eva_errors import DetectorError
from pipelines.detectors.hailo.errors import SDK_MISSING
from pipelines.models.hailo_manifest import Arch

log = logging.getLogger(__name__)


def identify(vdevice: Any) -> Arch:
    """The architecture of the chip behind a VDevice (hailortcli when the SDK cannot tell)."""
    raw: Any = None
    try:
        devices = vdevice.get_physical_devices()
        try:
            raw = devices[0].control.identify().device_architecture
        finally:
            for device in devices:
                device.release()
    except Exception as exc:  # older HailoRT, the service, or a control failure: ask the CLI
        log.debug("identifying the chip through hailo_platform failed: %s", exc)
    if raw is None:
        raw = hailortcli_architecture()
    if raw is None:
        raise DetectorError(
            "could not tell whether the Hailo chip is a Hailo-8 or a Hailo-8L: check "
            "`hailortcli fw-control identify`"
        )
    return normalize_architecture(raw)


def import_sdk() -> Any:
    """The hailo_platform module, or DetectorError saying how to install it."""
    try:
        import hailo_platform
    except ImportError as exc:
        missing = isinstance(exc, ModuleNotFoundError) and exc.name == "hailo_platform"
        raise DetectorError(SDK_MISSING if missing else f"{SDK_MISSING} ({exc})") from exc
    except Exception as exc:  # MissingPyHRTLib: the package is there, its C library is not
        raise DetectorError(f"{SDK_MISSING} ({type(exc).__name__}: {exc})") from exc
    return hailo_platform


def normalize_architecture(raw: object) -> Arch:
    """'hailo8' or 'hailo8l' from HailoRT's DeviceArchitectureTypes or hailortcli's text."""
    # DeviceArchitectureTypes: HAILO8_A0=0, HAILO8=1, HAILO8L=2, HAILO15H=3, HAILO15L=4,
    # HAILO15M=5, HAILO10H=6 (pyhailort.py and hailort.h, v4.23); older hailortcli printed
    # HAILO8_B0 for a Hailo-8.
    text = str(getattr(raw, "name", raw)).strip().upper().rsplit(".", 1)[-1]
    if text.startswith("HAILO8L"):
        return "hailo8l"
    if text.startswith("HAILO8"):  # HAILO8, HAILO8_A0 (early silicon), HAILO8_B0
        return "hailo8"
    raise DetectorError(
        f"this Hailo chip is a {text}; the 'hailo' detector supports the Hailo-8 and Hailo-8L "
        "(the Hailo-10H needs HailoRT 5 and hailo-h10-all)"
    )


def hailortcli_architecture() -> str | None:
    """The 'Device Architecture:' that `hailortcli fw-control identify` prints, if any."""
    try:
        done = subprocess.run(
            ["hailortcli", "fw-control", "identify"],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.debug("hailortcli fw-control identify failed: %s", exc)
        return None
    match = re.search(r"Device Architecture:\s*(\S+)", done.stdout)
    return match.group(1) if match else None


def detect_architecture() -> Arch | None:
    """The attached chip's architecture without loading a model; None when none is found."""
    raw: Any = None
    try:
        sdk = import_sdk()
    except DetectorError:
        sdk = None
    if sdk is not None:
        try:
            ids = sdk.Device.scan()
            if ids:
                device = sdk.Device(ids[0])
                try:
                    raw = device.control.identify().device_architecture
                finally:
                    device.release()
        except Exception as exc:  # the SDK raises its own types; fall back to the CLI
            log.debug("identifying the chip through hailo_platform failed: %s", exc)
    if raw is None:
        raw = hailortcli_architecture()
    return None if raw is None else normalize_architecture(raw)
