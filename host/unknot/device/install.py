"""Installing the firmware (`unknot device install`): the firmware tree plus every library it
needs, onto the drive.

The libraries are found by scanning imports (ast) from the firmware's .py files, transitively
through the libraries themselves, and are copied as .py from the installed PyPI distributions
(site-packages), so this works offline. Module granularity: only the modules actually imported
(plus their packages' __init__.py) are copied, not whole packages. Skipped:

- CircuitPython built-in modules (CIRCUITPYTHON_BUILTINS);
- imports inside `try: ... except ImportError` or `if TYPE_CHECKING:` (optional, typing);
- relative imports inside the firmware package (they are in the firmware tree anyway).

A top-level import that is none of these (not built in, not in firmware/lib, not an installed
library) is an error: the board would fail to boot with ImportError.
"""

from __future__ import annotations

import ast
import site
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from unknot.device.circuitpy import check_version, read_boot_info
from unknot.device.files import Progress, UploadSummary, sync_files
from unknot.device.layout import SETTINGS_FILE
from unknot.device.mpy import NO_COMPILE, MpyTarget, compile_mpy, source_name, target_for
from unknot.errors import UnknotError

# Modules built into CircuitPython 9/10 firmware (a superset over boards is fine: a board
# missing one fails at import regardless of what we copy).
CIRCUITPYTHON_BUILTINS = frozenset("""
    __future__ _asyncio _bleio _eve _pew _pixelmap _stage adafruit_pixelbuf aesio alarm
    analogbufio analogio array atexit audiobusio audiocore audioio audiomixer audiomp3
    audiopwmio binascii bitbangio bitmapfilter bitmaptools bitops board builtins busdisplay
    busio camera canio codeop collections countio digitalio displayio dotclockframebuffer
    dualbank epaperdisplay errno espidf espnow floppyio fontio fourwire framebufferio
    frequencyio gc getpass gifio gnss hashlib i2cdisplaybus i2cperipheral i2ctarget imagecapture
    io ipaddress is31fl3741 jpegio json keypad keypad_demux locale math mdns memorymap
    memorymonitor microcontroller micropython msgpack neopixel_write nvm onewireio os
    paralleldisplaybus ps2io pulseio pwmio qrio rainbowio random re rgbmatrix rotaryio rtc
    sdcardio sdioio select sharpdisplay socketpool ssl storage struct supervisor synthio sys
    terminalio time touchio traceback uctypes ulab usb usb_cdc usb_hid usb_host usb_midi
    usb_video ustack vectorio warnings watchdog wifi zlib
""".split())

_SKIP_FILES = ("__pycache__",)


@dataclass
class Plan:
    firmware: dict[str, Path] = field(default_factory=dict)  # drive-relative path -> source
    libraries: dict[str, Path] = field(default_factory=dict)  # "lib/x.py" -> source
    distributions: dict[str, str] = field(default_factory=dict)  # top module -> "dist version"


def _site_dirs() -> list[Path]:
    dirs = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    dirs += [*site.getsitepackages(), site.getusersitepackages()]
    out: list[Path] = []
    for d in dirs:
        p = Path(d)
        if p.is_dir() and p not in out:
            out.append(p)
    return out


def _imports(tree: ast.AST) -> Iterator[tuple[str, list[str], bool]]:
    """(module, imported names, optional) for each absolute import in the tree."""

    def walk(node: ast.AST, optional: bool) -> Iterator[tuple[str, list[str], bool]]:
        for child in ast.iter_child_nodes(node):
            opt = optional
            if isinstance(child, ast.Try) and any(
                _catches_import_error(h) for h in child.handlers
            ):
                for sub in child.body:
                    yield from walk_one(sub, True)
                rest: list[ast.AST] = [*child.handlers, *child.orelse, *child.finalbody]
                for node2 in rest:
                    yield from walk_one(node2, optional)
                continue
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for sub in child.orelse:
                    yield from walk_one(sub, optional)
                continue
            yield from walk_one(child, opt)

    def walk_one(node: ast.AST, optional: bool) -> Iterator[tuple[str, list[str], bool]]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], optional
        elif isinstance(node, ast.ImportFrom):
            # relative imports come as ".module" / "..pkg.module" (resolved by the caller)
            module = "." * node.level + (node.module or "")
            yield module, [a.name for a in node.names], optional
        else:
            yield from walk(node, optional)

    yield from walk(tree, False)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    text = ast.unparse(handler.type)
    return any(n in text for n in ("ImportError", "ModuleNotFoundError", "Exception"))


class _Resolver:
    def __init__(self, firmware_lib: Path) -> None:
        self.roots = [firmware_lib, *_site_dirs()]
        self.firmware_lib = firmware_lib

    def find(self, dotted: str) -> tuple[Path, list[Path]] | None:
        """(root, files: the package __init__.py files along the way and the module file)."""
        parts = dotted.split(".")
        for root in self.roots:
            top = root / parts[0]
            if not (top.is_dir() and (top / "__init__.py").is_file()) and not (
                root / (parts[0] + ".py")
            ).is_file():
                continue
            files: list[Path] = []
            here = root
            for i, part in enumerate(parts):
                pkg = here / part
                if (pkg / "__init__.py").is_file():
                    files.append(pkg / "__init__.py")
                    here = pkg
                elif (here / (part + ".py")).is_file() and i == len(parts) - 1:
                    files.append(here / (part + ".py"))
                else:
                    return None
            return root, files
        return None


def _distribution_of(top: str) -> str:
    for dist in metadata.packages_distributions().get(top, []):
        try:
            return f"{dist} {metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            continue
    return "?"


def _absolute(relative: str, src: Path, resolver: _Resolver) -> str:
    """The dotted name of a relative import in a library file ("" inside the firmware)."""
    level = len(relative) - len(relative.lstrip("."))
    for root in resolver.roots[1:]:
        try:
            rel = src.relative_to(root)
        except ValueError:
            continue
        package = list(rel.parent.parts)
        if level > 1:
            package = package[: len(package) - (level - 1)]
        rest = relative[level:]
        return ".".join([*package, rest] if rest else package)
    return ""


def plan(firmware: Path) -> Plan:
    """What `device install` copies: the firmware tree and the libraries it imports."""
    if not (firmware / "code.py").is_file():
        raise UnknotError(f"{firmware} has no code.py: the firmware is missing from this install")
    result = Plan()
    for src in sorted(firmware.rglob("*")):
        rel = src.relative_to(firmware)
        if src.is_file() and not any(p in _SKIP_FILES for p in rel.parts) and src.suffix != ".pyc":
            result.firmware[rel.as_posix()] = src
    resolver = _Resolver(firmware / "lib")
    todo = [src for src in result.firmware.values() if src.suffix == ".py"]
    seen: set[Path] = set(todo)
    while todo:
        src = todo.pop()
        try:
            tree = ast.parse(src.read_bytes(), filename=str(src))
        except SyntaxError as exc:
            raise UnknotError(f"{src}: syntax error: {exc.msg} (line {exc.lineno})") from None
        for module, names, optional in _imports(tree):
            if module.startswith("."):
                module = _absolute(module, src, resolver)
                if not module:
                    continue  # inside the firmware package: all of it is scanned anyway
            top = module.split(".")[0]
            if top in CIRCUITPYTHON_BUILTINS or optional:
                continue
            candidates = [f"{module}.{n}" for n in names if n != "*"] + [module]
            found = False
            for dotted in candidates:
                hit = resolver.find(dotted)
                if hit is None:
                    continue
                found = found or dotted == module
                root, files = hit
                for f in files:
                    if root != resolver.firmware_lib:
                        result.libraries["lib/" + f.relative_to(root).as_posix()] = f
                        if top not in result.distributions:
                            result.distributions[top] = _distribution_of(top)
                    if f not in seen:
                        seen.add(f)
                        todo.append(f)
            if not found:
                raise UnknotError(
                    f"{src} imports {module!r}, which is neither built into CircuitPython "
                    "nor an installed library: pip install the library that provides it "
                    "(e.g. adafruit-circuitpython-...) and run this again"
                )
    return result


def drive_files(what: Plan, target: MpyTarget | None, lines: bool = False) -> dict[str, bytes]:
    """The drive's files (drive-relative path -> bytes): every .py module compiled to a
    CircuitPython .mpy for `target` (code.py and boot.py stay source: CircuitPython runs
    them only as .py), or all .py when `target` is None (the fallback, `install --py`);
    `lines`: the .mpy keep line numbers for tracebacks (unknot.device.mpy.OPT_DEFAULT)."""
    files: dict[str, bytes] = {}
    for rel, src in {**what.firmware, **what.libraries}.items():
        data = src.read_bytes()
        if target is not None and rel.endswith(".py") and rel not in NO_COMPILE:
            data = compile_mpy(data, source_name(rel), target, lines)
            rel = rel[:-3] + ".mpy"
        files[rel] = data
    return files


def write_tree(firmware: Path, root: Path, target: MpyTarget | None,
               lines: bool = False) -> Plan:
    """Write what `install` would put on a drive into the directory `root` (no boot_out.txt
    check; the board model and the tests)."""
    what = plan(firmware)
    for rel, data in drive_files(what, target, lines).items():
        dst = root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(data)
    return what


@dataclass
class InstallResult:
    summary: UploadSummary
    plan: Plan
    circuitpython: str
    board: str
    settings_kept: bool
    mpy: bool  # .mpy files (False: the .py fallback)


def _stale(drive: Path, files: dict[str, bytes]) -> list[str]:
    """Files of the other form (.py vs .mpy) of a module now installed: CircuitPython
    imports a .py before a .mpy of the same name, so a left-over would shadow the new one."""
    out = []
    for rel in files:
        for a, b in ((".mpy", ".py"), (".py", ".mpy")):
            if rel.endswith(a) and rel.startswith("lib/"):
                other = rel[: -len(a)] + b
                if other not in files and (drive / other).is_file():
                    out.append(other)
    return out


def install(drive: Path, firmware: Path, progress: Progress | None = None,
            py: bool = False, lines: bool = False) -> InstallResult:
    """Check the board's CircuitPython version, then write firmware + libraries onto the
    drive, compiled to .mpy for that version (`py=True`: plain .py files; `lines=True`: .mpy
    with line numbers for tracebacks). The user's settings.toml is kept: it is only written
    when the drive has none."""
    boot = read_boot_info(drive)
    check_version(boot)
    target = None if py else target_for(boot.major_minor)
    what = plan(firmware)
    files = drive_files(what, target, lines)
    settings_kept = SETTINGS_FILE in files and (drive / SETTINGS_FILE).exists()
    if settings_kept:
        del files[SETTINGS_FILE]
    for rel in _stale(drive, files):
        (drive / rel).unlink()
    summary = sync_files(drive, files, progress)
    return InstallResult(summary, what, boot.version, boot.board, settings_kept, not py)
