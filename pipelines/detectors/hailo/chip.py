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


#: The InferModel API (`VDevice.create_infer_model`) the detector uses is in pyhailort from
#: HailoRT 4.18 on (hailo-ai/hailort release notes for v4.18.0); older versions lack the
#: method, which is what is checked first.
INFER_MODEL_HAILORT = (4, 18)
#: The manifest's HEFs are Hailo Model Zoo v2.14 builds, which need HailoRT 4.20
#: (hailo-ai/hailo_model_zoo v2.14, its README's compatibility line).
ZOO_HAILORT = (4, 20)
UPGRADE_HAILORT = (
    "`sudo apt update && sudo apt full-upgrade` (hailo-all brings HailoRT, its driver and "
    "python3-hailort at one version), reboot, then check `hailortcli --version`"
)


def hailort_version(sdk: Any) -> tuple[int, ...] | None:
    """HailoRT's version from hailo_platform (or its package), None if it does not say."""
    text = getattr(sdk, "__version__", None)
    if not isinstance(text, str):
        from importlib.metadata import PackageNotFoundError, version

        try:
            text = version("hailort")
        except PackageNotFoundError:
            return None
    parts = re.findall(r"\d+", text)[:3]
    return tuple(int(p) for p in parts) if parts else None


def check_hailort(sdk: Any, *, zoo_hef: bool) -> None:
    """DetectorError with the fix when this HailoRT cannot run the detector or its HEF."""
    found = hailort_version(sdk)
    shown = ".".join(map(str, found)) if found else "of unknown version"
    if not hasattr(sdk.VDevice, "create_infer_model") or (
        found is not None and found < INFER_MODEL_HAILORT
    ):
        raise DetectorError(
            f"HailoRT {shown} has no InferModel API (added in HailoRT 4.18), which the "
            f"Hailo detector uses: {UPGRADE_HAILORT}"
        )
    if zoo_hef and found is not None and found < ZOO_HAILORT:
        raise DetectorError(
            f"HailoRT {shown} is older than the 4.20 that the Model Zoo v2.14 HEFs of "
            f"`eva models fetch` need: {UPGRADE_HAILORT}; or use the HEFs of Raspberry Pi's "
            "hailo-models package (/usr/share/hailo-models), built for its HailoRT"
        )
    log.debug("HailoRT %s", shown)


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
