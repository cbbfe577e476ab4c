"""The board's CIRCUITPY USB drive: find it, read its boot_out.txt, check the CircuitPython version.

A CircuitPython board shows up as a drive (usually labelled CIRCUITPY) with a `boot_out.txt`
at its root whose first line reads e.g.

    Adafruit CircuitPython 9.2.1 on 2024-11-20; Adafruit Feather nRF52840 Express with nRF52840

Supported CircuitPython versions: 9.0 up to (not including) 11.0 — see SUPPORTED_MIN/MAX and
docs/getting-started.md.
"""

from __future__ import annotations

import os
import re
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from unknot.errors import DeviceError

SUPPORTED_MIN = (9, 0)  # inclusive
SUPPORTED_MAX = (11, 0)  # exclusive: 9.x and 10.x are supported
BOOT_OUT = "boot_out.txt"

_BOOT_LINE = re.compile(
    r"CircuitPython (?P<version>\d+\.\d+(?:\.\d+)?\S*) on (?P<date>[0-9-]+); "
    r"(?P<board>.+?) with (?P<mcu>\S+)\s*$"
)


@dataclass(frozen=True)
class BootInfo:
    version: str  # "9.2.1"
    major_minor: tuple[int, int]
    board: str  # "Adafruit Feather nRF52840 Express"
    mcu: str  # "nRF52840"
    date: str
    ble: str | None = None  # boot.py's note on the last start's BLE (None: no such line)


def parse_boot_out(text: str) -> BootInfo:
    """Parse the first line of boot_out.txt, and boot.py's BLE line (firmware blenote.BOOT_BLE,
    docs/firmware.md "Without BLE"); DeviceError if it is not a CircuitPython banner."""
    first = text.splitlines()[0] if text else ""
    m = _BOOT_LINE.search(first)
    if m is None:
        raise DeviceError(f"boot_out.txt does not look like CircuitPython's: {first[:80]!r}")
    nums = m["version"].split(".")
    return BootInfo(m["version"], (int(nums[0]), int(nums[1])), m["board"], m["mcu"], m["date"],
                    _boot_ble(text))


def _boot_ble(text: str) -> str | None:
    from unknot.core import blenote

    for line in text.splitlines():
        if line.startswith(blenote.BOOT_BLE):
            return line[len(blenote.BOOT_BLE):].strip()
    return None


def ble_status(info: BootInfo) -> str:
    """`unknot device info`'s BLE row from boot_out.txt."""
    from unknot.core import blenote

    if info.ble is None:
        return ("not known (press reset once: boot.py then notes the last start's BLE in "
                "boot_out.txt)")
    if info.ble == blenote.BOOT_BLE_OK:
        return "ok (" + info.ble + ")"
    return info.ble + ' (docs/firmware.md "Without BLE")'


def check_version(info: BootInfo) -> None:
    """DeviceError unless the CircuitPython version is in the supported range."""
    if not SUPPORTED_MIN <= info.major_minor < SUPPORTED_MAX:
        lo = f"{SUPPORTED_MIN[0]}.{SUPPORTED_MIN[1]}"
        hi = f"{SUPPORTED_MAX[0] - 1}.x"
        raise DeviceError(
            f"the board runs CircuitPython {info.version}; Unknot supports {lo} to {hi}. "
            f"Install a supported CircuitPython (the {info.board} page on circuitpython.org) "
            "and run this again."
        )


def read_boot_info(drive: Path) -> BootInfo:
    try:
        text = (drive / BOOT_OUT).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DeviceError(
            f"{drive} has no readable {BOOT_OUT}: is it a CircuitPython board's drive?"
        ) from exc
    return parse_boot_out(text)


def _candidates() -> list[Path]:
    """Mounted volumes that may be a board's drive, from every place a desktop mounts them."""
    found: list[Path] = []
    if sys.platform == "win32":
        found += [Path(f"{d}:\\") for d in string.ascii_uppercase]
    elif sys.platform == "darwin":
        found += sorted(Path("/Volumes").glob("*"))
    else:
        user = os.environ.get("USER") or os.environ.get("LOGNAME") or ""
        bases = ["/media", "/run/media", "/mnt"]
        if user:
            bases += [f"/media/{user}", f"/run/media/{user}"]
        for base in bases:
            if os.path.isdir(base):
                found += sorted(Path(base).glob("*"))
        try:
            with open("/proc/mounts", encoding="utf-8") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 3 and parts[2] in ("vfat", "msdos", "fat", "exfat"):
                        found.append(Path(parts[1].replace("\\040", " ")))
        except OSError:
            pass
    return found


def find_drives() -> list[Path]:
    """Every mounted volume with a boot_out.txt at its root (deduplicated, sorted)."""
    seen: dict[str, Path] = {}
    for path in _candidates():
        try:
            if (path / BOOT_OUT).is_file():
                seen.setdefault(os.path.realpath(path), path)
        except OSError:  # e.g. an empty card reader on Windows
            continue
    return [seen[k] for k in sorted(seen)]


def resolve_drive(drive: str | os.PathLike[str] | None) -> Path:
    """The drive given (checked), or the one board drive found; DeviceError otherwise."""
    if drive is not None:
        path = Path(drive).expanduser()
        if not path.is_dir():
            raise DeviceError(f"{path} is not a directory (a mounted CIRCUITPY drive)")
        if not (path / BOOT_OUT).is_file():
            raise DeviceError(
                f"{path} has no {BOOT_OUT}: is it a CircuitPython board's drive? "
                "Plug the board in and pass the drive's mount point with --drive."
            )
        return path
    drives = find_drives()
    if not drives:
        raise DeviceError(
            "no CircuitPython drive found (a mounted volume with boot_out.txt, usually named "
            "CIRCUITPY). Plug the board in with a data USB cable, or pass --drive PATH."
        )
    if len(drives) > 1:
        listed = ", ".join(str(d) for d in drives)
        raise DeviceError(f"several CircuitPython drives found ({listed}); pass --drive PATH.")
    return drives[0]
