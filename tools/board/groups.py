"""Where the board's heap goes, by module group (docs/firmware.md "Heap budget").

    python tools/board/groups.py [--board NAME] [--json]

On the board model's drive (the firmware as installed, .mpy, spilled VM), after the
stand-ins a board's firmware run imports, each module of GROUPS is imported in order and the
live heap (gc.mem_alloc() after a collection) is read after each: a module's figure is what
its import left alive (its code, its constants, what it builds at import; the modules it
imports that are not yet loaded count for it, hence the order). The qstr pool is grown
first, so that its tables (which double at once, several KiB) do not land on whichever
module happens to fill them; `objects` is the rest of the live heap after boot: what the
firmware builds at run time (the App, buffers, routines) and the qstr pool tables.

`budget()` reads the budget table from docs/firmware.md (the one place it is written) and
`check()` lists the groups over budget; tools/bench_board.py reports them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

BOARD_DIR = Path(__file__).resolve().parent
REPO = BOARD_DIR.parent.parent
sys.path.insert(0, str(BOARD_DIR))

import model  # noqa: E402

# group -> modules, in import order. By when they are alive: `core`, `hw` and `ble` from boot
# on; `routine` while a routine plays (app.py loads the player, the decoder and the loader at
# a key-down or its start, drops them in the first idle step after it; the App keeps an index
# of the routines); `session` while a central is connected (the protocol stack, the host
# records and what its requests load); `rare` at boot (the journal's recovery, a v1
# migration, the board table and make_app), for one change or read (the settings table, the
# routine sets' code: hw/system.py DriveStorage) or on a rare request (the self-test and its
# board checks). unknot/mods.py loads and drops them.
GROUPS: dict[str, tuple[str, ...]] = {
    "core": ("unknot", "unknot.mods", "unknot.crc", "unknot.wire", "unknot.patterns",
             "unknot.gestures", "unknot.reminders", "unknot.journal", "unknot.keyring",
             "unknot.app", "unknot.gatt"),
    "hw": ("unknot.hw", "unknot.hw.clock", "unknot.hw.button", "unknot.hw.system",
           "unknot.hw.motor", "unknot.hw.drv2605"),
    "ble": ("unknot.advert", "unknot.info", "unknot.hw.ble"),
    "routine": ("unknot.routine", "unknot.player", "unknot.library", "unknot.builtin"),
    "session": ("unknot.auth", "unknot.proto", "unknot.seal", "unknot.read", "unknot.status",
                "unknot.upload",
                "unknot.sha256", "unknot.pairing"),
    "rare": ("unknot.recover", "unknot.migrate", "unknot.selftest", "unknot.settings",
             "unknot.sets", "unknot.hw.boards", "unknot.hw.checks"),
}
DOC = REPO / "docs" / "firmware.md"

_SCRIPT = """
import gc, sys
import _model
for name in {standins!r}:
    __import__(name)
# grow the qstr pool first: a pool table that doubles while a module loads would count
# for that module (KiBs at once); the modules' own strings still count for them
for i in range(3000):
    getattr(_model, "zq%d" % i, None)
gc.collect()
base = gc.mem_alloc()
out = []
for name in {modules!r}:
    try:
        __import__(name)
    except ImportError:
        pass
    gc.collect()
    out.append("%s=%d" % (name, gc.mem_alloc() - base))
_model.call("groups", " ".join(out))
"""


def measure(m: model.Model, board: str) -> dict[str, object]:
    """{"modules": {name: bytes}, "groups": {group: KiB}, "objects": KiB} for one board."""
    boot = m.run(board, model.MAX_KIB)
    if not boot.ok:
        raise RuntimeError(f"{board}: {boot.error}")
    m.learn(board, boot)
    floor = m.run(board, model.MAX_KIB, floor=True)
    got: dict[str, int] = {}

    def handler(name: str, payload: bytes, fuel: int) -> str:
        if name == "groups":
            for item in payload.decode().split():
                mod, size = item.split("=")
                got[mod] = int(size)
        return ""

    d = m.drive
    d.reset(board)
    modules = [mod for group in GROUPS.values() for mod in group]
    (d.root / "groups.py").write_text(_SCRIPT.format(standins=m.standins[board],
                                                     modules=modules))
    env = {"MICROPYPATH": "/.model:/:/lib", "UNKNOT_MODEL_BOARD": board}
    res = m.guest.run(["/groups.py"], model.MAX_KIB, root=d.root, env=env, handler=handler)
    if not res.ok:
        raise RuntimeError(f"groups: {res.error} {res.stderr[-800:]}")
    sizes: dict[str, int] = {}
    prev = 0
    for mod in modules:
        sizes[mod] = got[mod] - prev
        prev = got[mod]
    groups = {g: round(sum(sizes[x] for x in mods) / 1024, 1) for g, mods in GROUPS.items()}
    live = boot.record.heap["boot"][0] - floor.record.heap["floor"][0]
    loaded = set(boot.record.modules)
    code = sum(sizes[x] for mods in GROUPS.values() for x in mods if x in loaded)
    return {"modules": sizes, "groups": groups, "objects": round((live - code) / 1024, 1)}


def budget() -> dict[str, float]:
    """The budget table of docs/firmware.md "Heap budget": group -> KiB."""
    text = DOC.read_text()
    section = text[text.index("## Heap budget"):]
    section = section[: section.find("\n## ", 3)]
    out = {}
    for row in re.finditer(r"^\| `(\w+)` \|[^|]*\| *([\d.]+) *\|", section, re.M):
        out[row.group(1)] = float(row.group(2))
    return out


def check(measured: dict[str, float]) -> list[str]:
    """Groups (and `objects`) whose measured KiB exceed the budget, or have none."""
    limits = budget()
    return [g for g, kib in measured.items() if g not in limits or kib > limits[g]]


def main(argv: list[str]) -> int:
    import argparse
    import json

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", default="feather_nrf52840", choices=model.BOARDS)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    out = measure(model.Model(), args.board)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    for mod, size in out["modules"].items():  # type: ignore[attr-defined]
        print(f"  {mod:36} {size / 1024:6.1f} KiB")
    for group, kib in out["groups"].items():  # type: ignore[attr-defined]
        print(f"{group:38} {kib:6.1f} KiB")
    print(f"{'objects':38} {out['objects']:6.1f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
