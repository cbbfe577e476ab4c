"""run_core.py's modes about modules loaded on use (unknot/mods.py), kept out of run_core
so that its own code does not weigh on the tight heaps of the other modes."""

import gc
import sys


def modules(name):
    """unknot.mods on this VM: the live heap (bytes) after loading `name`, after dropping it,
    and what is left of it. Prints "M loaded dropped in_modules in_package"."""
    import unknot
    from unknot import mods, patterns  # noqa: F401 (patterns: shared, stays loaded)

    gc.collect()
    base = gc.mem_alloc()
    mods.load(name)
    gc.collect()
    loaded = gc.mem_alloc() - base
    mods.drop(name)
    dropped = gc.mem_alloc() - base
    full = "unknot." + name
    print("M", loaded, dropped, int(full in sys.modules), int(hasattr(unknot, name)))


def selftest_dropped(board):
    """A finished self-test leaves its report and not its code: prints "D loaded_while_running
    loaded_after report_lines" and, `board` (the checks named "hw.checks" as make_app does),
    whether hw/checks.py was loaded while it ran and after."""
    import simadapters as sa
    from unknot import app as app_mod

    app = sa.make_app(app_mod.App, {}, settings={"UNKNOT_MOTOR_LATENCY_MS": 0})
    checks = sa.SimChecks()
    app.checks = "hw.checks" if board else checks
    app.motor.probe = lambda: (1, "")
    app.sleeper.light = 0
    app.safe_step()
    app.start_selftest(app.clock.t, lambda _line: None)
    up = [m in sys.modules for m in ("unknot.selftest", "unknot.hw.checks")]
    sa.drive_selftest(app, checks, sa.PRESS_AFTER_MS)
    print("D", int(up[0]), int("unknot.selftest" in sys.modules), len(app.selftest.report()),
          int(up[1]), int("unknot.hw.checks" in sys.modules))
