"""The host's one typed facade over the firmware core: formats, tables and rules it shares.

The firmware core (firmware/lib/unknot, imported as `unknot_fw`) owns every
format the device reads or writes and every playback rule: the routine binary format
(`routine`), the playback rules and timings (`player`), the session record (`journal`), the
GATT table (`gatt`), the INFO value served before any connection (`info`), the sync
protocol (`proto`), the settings table (`settings`), the
haptic vocabulary (`patterns`), host keys and the protocol's labels and sizes (`auth`),
proofs and sealed frames (`seal`), the key agreement of a pairing (`pairing`), the paired
hosts, the pairing window and the wearer's consent (`keyring`), the advertisement's
"something new" tag (`advert`), the self-test's report format (`selftest`), boot.py's line
on the last start's BLE (`blenote`) and the STATUS
notification frame (`status`), each wire format declared once as a field spec and packed
and unpacked by `wire`; `upload` is the protocol's upload handler (the simulated device
passes it to proto.Protocol); `sets` installs routine sets atomically (the board, the
simulated device and the drive and serial installs all use it).
Host code imports them from here only, e.g. `from unknot.core import routine`, and never
restates them (tests/host/test_core_facade.py fails on a restated format, magic or UUID).

Typing: the stubs in host/stubs/unknot_fw/*.pyi (on mypy's path) describe these modules, so
mypy --strict checks every use with no `Any`; tests/host/test_core_facade.py runs mypy's
stubtest against the loaded modules to prove the stubs match the runtime. See
docs/architecture.md "Where facts live".

The name: `unknot_fw` is an ordinary package. host/unknot_fw is a committed symlink to
../firmware/lib/unknot, so it imports wherever host/ is on the path (the editable install's
.pth, or PYTHONPATH=$PWD/host in a checkout) and editors follow it into the firmware source;
the wheel packs the same folder as `unknot_fw` (pyproject.toml [tool.hatch.build.targets.
wheel]). mypy finds the stubs first (mypy_path), so the firmware source is never type-checked
as host code.
"""

from __future__ import annotations

from unknot_fw import (
    FIRMWARE_VERSION,
    advert,
    auth,
    blenote,
    crc,
    gatt,
    info,
    journal,
    keyring,
    library,
    pairing,
    patterns,
    player,
    proto,
    routine,
    seal,
    selftest,
    sets,
    settings,
    status,
    upload,
    wire,
)

from unknot import fwload

fwload.standins()  # seal imports `aesio` at its first MAC; CPython needs the stand-in

__all__ = [
    "FIRMWARE_VERSION",
    "advert",
    "auth",
    "blenote",
    "crc",
    "gatt",
    "info",
    "journal",
    "keyring",
    "library",
    "pairing",
    "patterns",
    "player",
    "proto",
    "routine",
    "seal",
    "selftest",
    "sets",
    "settings",
    "status",
    "upload",
    "wire",
]
