"""The shape of the host package and the firmware core, read from the source (ast), not
from a running program:

- no module imports a command module (the modules unknot.cli.COMMANDS names): commands
  import the library and unknot.cli.options, never each other;
- no import cycles between host modules, nor between firmware core modules; every import
  statement counts, inside functions and `if TYPE_CHECKING:` blocks too;
- the real radio package (unknot.ble) never imports the simulator (unknot.sim): the one
  place that picks one or the other lives above both;
- `import unknot.cli` stays light (no bleak, bumble, rich or matplotlib);
- no host module is longer than 400 lines, no command module longer than 200;
- no function in host/ or the firmware core is longer than 60 lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from unknot.cli import COMMANDS

REPO = Path(__file__).resolve().parents[2]
HOST = REPO / "host"
FIRMWARE = REPO / "firmware" / "lib"  # the core is FIRMWARE/unknot, outside unknot/hw
MAX_FUNCTION_LINES = 60


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def host_modules() -> dict[str, Path]:
    return {module_name(p, HOST): p for p in sorted(HOST.rglob("*.py"))}


def core_modules() -> dict[str, Path]:
    """The firmware core: firmware/lib/unknot without the hardware adapters (hw/)."""
    return {module_name(p, FIRMWARE): p for p in sorted((FIRMWARE / "unknot").glob("*.py"))}


def imported(path: Path, name: str, modules: set[str] | None = None) -> set[str]:
    """Every module an import statement in the file names (top level, inside a function or
    an `if TYPE_CHECKING:` block): `from a import b` names a.b when that is one of `modules`,
    else a (with no `modules`: both)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            subs = {f"{base}.{a.name}" for a in node.names}
            if modules is None:
                out |= {base, *subs}
            else:
                out |= (subs & modules) or {base}
    return out


def import_graph(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of `mods` it imports. A module's own parent packages are left
    out: Python has started them before the module runs, so they are not what it uses (a
    sibling imported through the package, `from unknot.routine import model`, counts as the
    sibling)."""
    names = set(mods)
    graph = {}
    for name, path in mods.items():
        parents = {name.rsplit(".", k)[0] for k in range(1, name.count(".") + 1)}
        graph[name] = (imported(path, name, names) & names) - {name} - parents
    return graph


def command_modules() -> set[str]:
    return {target.partition(":")[0] for target, _ in COMMANDS.values()}


def test_no_module_imports_a_command_module() -> None:
    commands = command_modules()
    files = {**host_modules()}
    for folder in ("tools", "tests"):
        files.update({f"{folder}:{p.relative_to(REPO)}": p
                      for p in (REPO / folder).rglob("*.py")})
    found = set()
    for name, path in files.items():
        for target in imported(path, name) & commands:
            if target != name:
                found.add((name, target))
    assert found == set()


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles() -> None:
    assert cycles(import_graph(host_modules())) == []


def test_no_import_cycles_in_the_firmware_core() -> None:
    assert cycles(import_graph(core_modules())) == []


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_function_level_and_type_checking_imports_count(tmp_path: Path) -> None:
    pkg = tmp_path / "p"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from p import b\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\n"
                              "if TYPE_CHECKING:\n    from .a import f\n")
    (pkg / "c.py").write_text("import p.a\n")
    mods = {module_name(p, tmp_path): p for p in pkg.glob("*.py")}
    graph = import_graph(mods)
    assert graph == {"p": set(), "p.a": {"p.b"}, "p.b": {"p.a"}, "p.c": {"p.a"}}
    assert cycles(graph) == [["p.a", "p.b"]]


def test_the_radio_package_does_not_import_the_simulator() -> None:
    mods = host_modules()
    graph = import_graph(mods)
    found = {(name, t) for name in mods if name == "unknot.ble" or name.startswith("unknot.ble.")
             for t in graph[name] if t == "unknot.sim" or t.startswith("unknot.sim.")}
    assert found == set()


def test_cli_start_up_is_light() -> None:
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", "import unknot.cli"],
                         capture_output=True, text=True, check=True)
    loaded = {line.rpartition("|")[2].strip().split(".")[0] for line in run.stderr.splitlines()}
    assert "unknot" in loaded
    assert loaded & {"bleak", "bumble", "rich", "matplotlib"} == set()


def test_module_sizes() -> None:
    commands = command_modules()
    for name, path in host_modules().items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        limit = 200 if name in commands else 400
        assert lines < limit, f"{path.relative_to(REPO)}: {lines} lines (limit {limit})"


def long_functions(paths: list[Path]) -> list[str]:
    """Functions (methods, nested ones too) longer than MAX_FUNCTION_LINES, from `def` to
    their last line."""
    out = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    out.append(f"{path}:{node.lineno} {node.name}: {lines}")
    return out


def test_no_long_functions() -> None:
    assert long_functions([*host_modules().values(), *core_modules().values()]) == []


def test_the_length_check_sees_a_long_function(tmp_path: Path) -> None:
    def method(lines: int) -> str:
        return "    def m(self):\n" + "".join(f"        x = {i}\n" for i in range(lines - 1))

    f = tmp_path / "long.py"
    f.write_text("class A:\n" + method(MAX_FUNCTION_LINES))
    assert long_functions([f]) == []
    f.write_text("class A:\n" + method(MAX_FUNCTION_LINES + 1))
    assert long_functions([f]) == [f"{f}:2 m: {MAX_FUNCTION_LINES + 1}"]
