"""HailoRT's errors turned into messages that say what to do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eva_errors import DetectorError
from pipelines.models.hailo_manifest import FETCH_COMMAND

SDK_MISSING = (
    "hailo_platform is not installed: `sudo apt install hailo-all` and create the venv with "
    "--system-site-packages (scripts/install-pi.sh does both)"
)
DRIVER_MISMATCH = (
    "the Hailo kernel driver and the HailoRT library are different versions "
    "(HAILO_INVALID_DRIVER_VERSION): install the same version of the apt packages hailort, "
    "hailo-dkms and python3-hailort (compare with `dpkg -l hailort hailo-dkms python3-hailort`; "
    "`sudo apt full-upgrade` usually aligns them), then reboot so the matching driver loads"
)
NO_DEVICE = (
    "no usable Hailo device: check that `hailortcli fw-control identify` lists it and "
    "`dmesg | grep -i hailo` shows no errors"
)
CHIP_BUSY = (
    "the Hailo chip is in use by another program (HAILO_OUT_OF_PHYSICAL_DEVICES): stop it "
    "(see `sudo lsof /dev/hailo0`), or share the chip through the HailoRT service: "
    "`sudo systemctl enable --now hailort.service`, set detector.multi_process_service: true "
    "here and run the other program with the service (same group_id)"
)
#: HailoRT status codes (include/hailo/hailort.h).
STATUS_INVALID_HEF = 26
STATUS_OUT_OF_PHYSICAL_DEVICES = 74
STATUS_INVALID_DRIVER_VERSION = 76
STATUS_HEF_FILE_CORRUPTED = 91  # HailoRT 4.21 and later
STATUS_HEF_NOT_SUPPORTED = 92  # HailoRT 4.21 and later: built with another compiler version
_DAMAGED_HEF = {
    STATUS_INVALID_HEF: "HAILO_INVALID_HEF",
    STATUS_HEF_FILE_CORRUPTED: "HAILO_HEF_FILE_CORRUPTED",
    STATUS_HEF_NOT_SUPPORTED: "HAILO_HEF_NOT_SUPPORTED",
}


class HefIncompatibleError(DetectorError):
    """HailoRT refused a HEF compiled for another chip."""


@contextmanager
def sdk_errors(action: str, hef: Path | None = None) -> Iterator[None]:
    """Turn hailo_platform's exceptions into DetectorErrors that say what to do."""
    try:
        yield
    except DetectorError:
        raise
    except Exception as exc:  # the SDK raises HailoRTException subclasses and pybind errors
        raise _translate(exc, action, hef) from exc


def _translate(exc: Exception, action: str, hef: Path | None) -> DetectorError:
    kind = type(exc).__name__
    text = f"{kind}: {exc}"
    status = _status_code(exc)
    if "HAILO_INVALID_DRIVER_VERSION" in text or status == STATUS_INVALID_DRIVER_VERSION:
        return DetectorError(DRIVER_MISMATCH)
    if kind == "HailoRTHEFNotCompatibleWithDevice" or "HEF_NOT_COMPATIBLE" in text:
        return HefIncompatibleError(f"HailoRT says {hef} is compiled for another Hailo chip")
    damaged = kind == "HailoRTInvalidHEFException" or status in _DAMAGED_HEF
    if damaged or any(name in text for name in _DAMAGED_HEF.values()):
        return DetectorError(
            f"{hef} is not a valid HEF for this HailoRT (damaged, a partial download, or built "
            f"with another compiler version): delete it and run `{FETCH_COMMAND}`"
        )
    if kind == "HailoRTTimeout" or "HAILO_TIMEOUT" in text:
        return DetectorError(
            f"{action} timed out: the chip did not answer in time; raise detector.timeout_ms "
            "or check `hailortcli monitor` for other models using the chip"
        )
    if "OUT_OF_PHYSICAL_DEVICES" in text or status == STATUS_OUT_OF_PHYSICAL_DEVICES:
        return DetectorError(CHIP_BUSY)
    if "device not found" in text.lower():
        return DetectorError(NO_DEVICE)
    return DetectorError(f"{action} failed: {text}")


def _status_code(exc: Exception) -> int | None:
    """The libhailort status of an SDK exception: the low-level HailoRTStatusException's
    argument, or the number in pyhailort's "libhailort failed with error: N (NAME)"."""
    if type(exc).__name__ == "HailoRTStatusException" and exc.args:
        try:
            return int(exc.args[0])
        except (TypeError, ValueError):
            return None
    match = re.search(r"failed with error: (\d+)", str(exc))
    return int(match.group(1)) if match else None
