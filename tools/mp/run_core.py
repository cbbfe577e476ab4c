"""Runs the firmware core under MicroPython (or CPython) for the tests and benchmarks.

MICROPYPATH=tools/mp/shims:firmware/lib:tools/mp:host/unknot/sim micropython -X heapsize=32k \\
    tools/mp/run_core.py MODE ARGS...

Modes:
  ptrace DIR           like trace, but the Player alone (decoder, player, vocabulary: 38 KiB)
  trace DIR            play every DIR/*.unk through the App on virtual time; prints
                       "R name" then "t cue" lines, "E errors" at the end
  journal N            append N records to a Journal in the shim nvm (page-erase model),
                       re-open, check
  journalcut N         journal N, then cut power at steps of the next append, check
  fuzz DIR N SEED      N mutants of DIR/*.unk through the decoder and the loader
  cues FILE LAT        play FILE on the real clock (latency LAT ms); prints "C err_ms" lines
  heap DIR N           trace DIR + journal N (the heap benchmark); prints "OK"
  selftest PRESS       the board self-test on virtual time (PRESS 1: a hand presses when
                       asked); prints its console, then "E errors cues_played"
"""

import gc
import sys


def _files(d):
    import os

    from unknot.library import SUFFIX

    return [d + "/" + n for n in sorted(os.listdir(d)) if n.endswith(SUFFIX)]


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def ptrace(d):
    from unknot import player, routine

    for p in _files(d):
        gc.collect()
        r = routine.decode(_read(p))
        p_ = player.Player(r, 0)
        p_.start(0)
        print("R", p.rsplit("/", 1)[-1])
        now = 0
        while not p_.finished:
            now = p_.next_deadline()
            p_.poll(now, lambda cue, arg, t: print(t, cue))
            if p_.waiting is not None:  # a WAIT: the wearer presses when the cue has ended
                p_.proceed(p_.paused_at)
    print("E", 0)


def reasons(d):
    """The decoder's verdict on every .unk of d: "name ok" or "name <reason keyword>"."""
    from unknot import routine

    for p in _files(d):
        try:
            routine.decode(_read(p))
            print(p.rsplit("/", 1)[-1], "ok")
        except routine.RoutineFormatError as exc:
            print(p.rsplit("/", 1)[-1], exc.reason)


def trace(d, quiet=False):
    import microcontroller
    import simadapters as sa
    from unknot import app as app_mod

    storage = sa.DirStorage(d)
    clock = sa.VirtualClock()
    motor = sa.RecordingMotor(clock, keep=False)
    t0 = [0]

    def out(t, cue, count):
        if not quiet:
            print(t - t0[0], cue)

    motor.listeners.append(out)
    app = sa.make_app(app_mod.App, storage, nvm=microcontroller.nvm,
                      settings={"UNKNOT_MOTOR_LATENCY_MS": 0, "UNKNOT_EXERCISE_NUMBER": 0},
                      clock=clock, motor=motor)
    if not quiet:
        for name, reason in app.rejected:
            print("X", name, reason)
    elif app.rejected:
        raise SystemExit("rejected: " + repr(app.rejected))
    for i in range(len(app.routines)):
        gc.collect()
        if not quiet:
            print("R", app.routines[i].file)
        t0[0] = max(clock.t, motor.busy_until)  # play_all starts once the motor is still
        sa.play_all(app, i)
    if not quiet:
        print("E", app.errors)
    return app


def journal(n):
    import microcontroller
    from unknot import journal as journal_mod

    nvm = microcontroller.nvm  # the page-erase model
    for i in range(0, len(nvm), 256):  # erased (a trace before may have written records)
        nvm[i : i + 256] = b"\xff" * 256
    j = journal_mod.Journal(nvm)
    for k in range(n):
        seq = j.append(1700000000 + k, k & 0xFFFF, 3, 5, 60, 1, 7)
        if seq != k + 1:
            raise SystemExit("bad seq")
    head, tail = j.head, j.tail
    # re-read from flash as at a boot (the same object: one 4 KiB image buffer, as on the
    # board, instead of a second one in a heap fragmented by the 1000 writes)
    j2 = j
    j2.head = j2.count = 0
    j2.recover()
    if j2.head != head or j2.tail != tail:
        raise SystemExit("recover mismatch")
    for seq in range(j2.tail, j2.head):
        rec = journal_mod.unpack_record(j2.read(seq))
        if rec[0] != seq or rec[1] != 1700000000 + seq - 1:
            raise SystemExit("bad record")
    print("J", j2.head, j2.tail, j2.dropped)


def journalcut(n):
    """`journal N`, then the power cut at every 97th step of the next append (the flash
    model's page buffer lives on the VM heap here, in C on the board)."""
    import microcontroller
    from simnvm import PowerCut
    from unknot import journal as journal_mod

    journal(n)
    nvm = microcontroller.nvm
    j = journal_mod.Journal(nvm)
    head, tail, last = j.head, j.tail, j.read(j.head - 1)
    tried = 0
    for cut in range(0, 1026, 97):
        nvm.cut_in = cut
        try:
            j.append(1, 1, 1, 1, 1, 1, 1)
            raise SystemExit("no cut")
        except PowerCut:
            pass
        nvm.cut_in = None
        j.head = j.count = 0
        j.recover()  # as at a boot
        if (j.head, j.tail, j.read(j.head - 1)) != (head, tail, last):
            raise SystemExit("power cut lost a record")
        tried += 1
    print("C", tried)


def fuzz(d, n, seed):
    import fuzz as fz
    from unknot import routine as routine_mod

    seeds = [_read(p) for p in _files(d)]
    res = fz.run(routine_mod.decode, routine_mod.RoutineFormatError, seeds, n, seed)
    print("F", res[0], res[1], res[2], res[3] and res[3][1])


def cues(path, latency):
    import microcontroller
    import simadapters as sa
    from scaledclock import ScaledClock, ScaledSleeper
    from unknot import app as app_mod

    files = {"r.unk": _read(path)}
    clock = ScaledClock(1)
    app = sa.make_app(app_mod.App, files, nvm=microcontroller.nvm,
                      settings={"UNKNOT_MOTOR_LATENCY_MS": latency}, clock=clock,
                      sleeper=ScaledSleeper(clock), motor=sa.RecordingMotor(clock, keep=False))
    app.cue_log = []
    app.post(("start", 0))
    rec0 = app.last_record
    while app.last_record == rec0:
        app.sleeper.sleep_until(app.safe_step())
    for due, sent, cue in app.cue_log:
        print("C", sent - due, cue)


def selftest(press):
    """The self-test on virtual time with simadapters' checks and bench hand (pressing 3 s
    after each request when press is 1, never when 0). Prints its console lines, then
    "E errors cues_played"."""
    import simadapters as sa
    from unknot import app as app_mod

    app = sa.make_app(app_mod.App, {}, settings={"UNKNOT_MOTOR_LATENCY_MS": 0})
    checks = sa.SimChecks()
    app.checks = checks
    app.safe_step()
    app.start_selftest(app.clock.t, print)
    sa.drive_selftest(app, checks, sa.PRESS_AFTER_MS if press else -1)
    print("E", app.errors, len(app.motor.played))


def main(argv):
    mode = argv[1]
    if mode == "mods":
        from run_mods import modules

        modules(argv[2])
    elif mode == "stdrop":
        from run_mods import selftest_dropped

        selftest_dropped(len(argv) > 2)
    if mode == "ptrace":
        ptrace(argv[2])
    elif mode == "trace":
        trace(argv[2])
    elif mode == "reasons":
        reasons(argv[2])
    elif mode == "journal":
        journal(int(argv[2]))
    elif mode == "journalcut":
        journalcut(int(argv[2]))
    elif mode == "fuzz":
        fuzz(argv[2], int(argv[3]), int(argv[4]))
    elif mode == "cues":
        cues(argv[2], int(argv[3]))
    elif mode == "selftest":
        selftest(int(argv[2]))
    elif mode == "heap":
        app = trace(argv[2], quiet=True)
        del app
        gc.collect()
        journal(int(argv[3]))
        print("OK")


main(sys.argv)
