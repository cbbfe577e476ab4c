"""Heap needed by the firmware sync-protocol handler (firmware/lib/unknot/proto.py) under the
MicroPython unix port: the smallest `-X heapsize` that imports it and serves one full history
read of 100 records (READ request -> DATA frames -> END, count and stream CRC checked).

    python tools/mp/proto_heap.py [--mpy] [--json]   (CPython: bisects the heap size)

Run by CPython it bisects `micropython -X heapsize=N` over this same file, which under
MicroPython is the runner: it prints "import <bytes>" (gc.mem_alloc() growth from importing
unknot.proto, the journal already imported), "read <bytes>" and "OK". Without --mpy the
firmware .py sources are imported, as on the board (compiler included); with --mpy they are
precompiled with mpy-cross first (tools/mp/mpbuild.py), which measures the run time only.
"""

import sys

RECORDS = 100


def _mp_main():
    import gc
    import struct

    from unknot.journal import Journal

    if "base" in sys.argv:  # the baseline: this runner and the journal, no proto
        print("OK")
        return
    gc.collect()
    base = gc.mem_alloc()
    from unknot import proto

    gc.collect()
    imported = gc.mem_alloc()
    print("import", imported - base)

    class Clock:
        def now_ms(self):
            return 5000

        def unix(self):
            return None

    class App:
        pass

    app = App()
    import microcontroller  # the page-erase nvm model (tools/mp/shims)

    app.journal = Journal(microcontroller.nvm)
    for i in range(RECORDS):
        app.journal.append(1700000000 + 60 * i, i % 5, 3, 4, 60 + i % 7, 1, 2)
    app.clock = Clock()
    app.device_id = b"\x01\x02\x03\x04\x05\x06\x07\x08"
    app.boot = 2
    app.storage = None
    app.routines = [1]
    gc.collect()
    before = gc.mem_alloc()
    p = proto.Protocol(app)
    p.set_mtu(247)
    if len(p.info()) != 36:
        raise SystemExit("bad info")
    p.control(struct.pack(proto.REQ_READ, proto.OP_READ, 1, 0))
    data = 0
    crc = 0
    from unknot.crc import crc32

    while True:
        f = p.next_frame()
        if f is None:
            raise SystemExit("no END")
        if f[0] == proto.F_DATA:
            data += len(f) - 1
            crc = crc32(f[1:], crc)
        else:
            break
    end = struct.unpack(proto.END, f)
    if end[1] != 0 or end[3] != RECORDS or data != RECORDS * 12 or end[5] != crc & 0xFFFFFFFF:
        raise SystemExit("bad stream " + str(end))
    gc.collect()
    print("read", gc.mem_alloc() - before)
    print("OK")


def _host_main(argv):
    import json
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    mp = Path(__file__).resolve().parent
    repo = mp.parent.parent
    use_mpy = "--mpy" in argv
    tmp = Path(tempfile.mkdtemp())
    if use_mpy:
        sys.path.insert(0, str(mp))
        import mpbuild

        path = str(mpbuild.build(tmp / "mpy"))
    else:
        path = os.pathsep.join([str(mp / "shims"), str(repo / "firmware" / "lib")])
    env = dict(os.environ, MICROPYPATH=path, UNKNOT_MP_NVM=str(tmp / "nvm.bin"))

    def attempt(kib, *extra):
        cmd = ["micropython", "-X", f"heapsize={kib}k", str(Path(__file__).resolve())]
        cmd.extend(extra)
        proc = subprocess.run(
            cmd,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        ok = proc.returncode == 0 and proc.stdout.strip().endswith("OK")
        return ok, proc.stdout

    def smallest(*extra):
        lo, hi = 2, 512  # lo fails, hi works (in KiB)
        ok, out = attempt(hi, *extra)
        if not ok:
            raise SystemExit(f"micropython fails even at {hi} KiB:\n{out}")
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if attempt(mid, *extra)[0]:
                hi = mid
            else:
                lo = mid
        return hi

    hi = smallest()
    base = smallest("base")
    out = attempt(hi)[1]
    fields = dict(line.split() for line in out.splitlines() if line.count(" ") == 1)
    result = {
        "proto_min_heap_kib": hi,
        "baseline_min_heap_kib": base,  # the runner + journal alone
        "proto_import_bytes": int(fields["import"]),
        "proto_read100_bytes": int(fields["read"]),
        "source": "mpy" if use_mpy else "py",
    }
    print(json.dumps(result) if "--json" in argv else result)
    return result


if __name__ == "__main__":
    if sys.implementation.name == "micropython":
        _mp_main()
    else:
        _host_main(sys.argv[1:])
