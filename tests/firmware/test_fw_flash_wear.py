"""The App's flash policy (docs/firmware.md "Flash wear"): sessions batched through sleep
memory, what a paired host may cost, write errors (one cue, retries with backoff, STATE),
write-through on low battery and on USB without a battery, a refused nvm geometry."""

from __future__ import annotations

from typing import Any

import pytest
from unknot.sim.simnvm import new_nvm
from unknot.sim.simram import new_sleep_memory

MIN = 60_000


@pytest.fixture
def boot(fw, sa, library):
    """boot(nvm, ram, **kw): the App on this nvm and sleep memory (a reset keeps both)."""

    def boot(nvm: Any, ram: Any, settings: dict[str, Any] | None = None, **kw: Any) -> Any:
        base = {"UNKNOT_MOTOR_LATENCY_MS": 0, "UNKNOT_MICRO_MIN": 0, "UNKNOT_REST_MIN": 0}
        base.update(settings or {})
        return sa.make_app(fw.app.App, dict(library), nvm=nvm, settings=base, ram=ram, **kw)

    return boot


def _state_flags(fw: Any, proto: Any) -> int:
    """The flags of the device's STATE block (docs/protocol.md), unpacked by its spec."""
    names = [f.split(":")[0] for f in fw.proto.STATE.split()]
    return int(fw.wire.unpack(fw.proto.STATE, proto.state())[names.index("flags")])


def _error_cue(fw: Any) -> str:
    """The cue the wearer feels for the App's error event (patterns.felt)."""
    return str(fw.patterns.felt(fw.app.ERROR_EVENT, 1)[0])


def _session(sa: Any, app: Any) -> int:
    sa.play_all(app, 0)
    return int(app.last_record)


def _idle(app: Any, ms: int) -> None:
    until = app.clock.t + ms
    while True:
        d = app.safe_step()
        if d > until:
            app.clock.t = until
            return
        app.clock.t = max(app.clock.t, d)


def test_sessions_are_batched_and_survive_a_reset(fw, sa, boot):
    nvm, ram = new_nvm(), new_sleep_memory()
    app = boot(nvm, ram)
    hold = fw.journal.HOLD
    seqs = [_session(sa, app) for _ in range(hold)]
    assert seqs == list(range(1, hold + 1)) and sum(nvm.erases) == 0
    assert app.journal.head == hold + 1  # READ serves them already
    again = boot(nvm, ram)  # the watchdog, a reset: the sleep memory is kept
    assert again.journal.head == hold + 1 and again.journal.held == hold
    assert [again.journal.read(s) for s in seqs] == [app.journal.read(s) for s in seqs]
    assert _session(sa, again) == hold + 1 and sum(nvm.erases) == 1  # the batch
    assert again.journal.held == 0 and again.journal.durable == hold + 2


def test_a_host_looping_the_self_test_cannot_wear_the_flash(fw, sa, boot):
    nvm, ram = new_nvm(), new_sleep_memory()
    app = boot(nvm, ram)
    lines: list[str] = []
    for _ in range(30):
        app.start_selftest(app.clock.t, lines.append)
        sa.drive_selftest(app, sa.SimChecks(), -1)  # no hand at the button: no sessions
        _idle(app, 10 * MIN)
    assert sum(nvm.erases) == fw.app.HOST_WRITES_DAY
    nvm_lines = [ln for ln in lines if "SELFTEST nvm" in ln]
    assert len(nvm_lines) == 30 and all(" PASS " in ln for ln in nvm_lines)
    assert "not rewritten" in nvm_lines[-1]


def test_pairing_and_forget_count_against_the_host_budget(fw, sa, boot):
    nvm, ram = new_nvm(), new_sleep_memory()
    app = boot(nvm, ram)
    for i in range(6):
        app.keyring.keep(bytes([i + 1] * 8), bytes(16))  # a pairing's end: the keys saved
        app._save_hosts()  # (the keyring's save callback)
        app.keyring.forget()
    assert sum(nvm.erases) == fw.app.HOST_WRITES_DAY and app.journal.pending
    _session(sa, app)  # pending keys ride with the next write: nothing is lost
    _idle(app, 24 * 60 * MIN + 1)
    assert not app.journal.pending


def test_failed_write_keeps_the_session_cues_once_and_retries_with_backoff(fw, sa, boot):
    nvm, ram = new_nvm(), new_sleep_memory()
    app = boot(nvm, ram, usb=lambda: True, settings={"UNKNOT_BATTERY": 0})  # write-through
    assert _session(sa, app) == 1 and sum(nvm.erases) == 1
    nvm.fail_writes = 3
    seq = _session(sa, app)
    assert app.journal.held == 1 and app.journal.error and app.journal.head == seq  # unserved
    assert app.motor.cues().count(_error_cue(fw)) == 1
    proto = fw.proto.Protocol(app)
    flags = _state_flags(fw, proto)
    assert flags & fw.proto.STATE_NVM_ERROR
    t0 = app.clock.t
    tries = []
    while app.journal.error is not None:
        w = app.journal.writes
        _idle(app, MIN)
        if app.journal.writes != w:
            tries.append((app.clock.t - t0) // MIN)
    assert tries == [1, 3, 7]  # after 1, 2, 4 min: the fourth attempt takes
    assert app.motor.cues().count(_error_cue(fw)) == 1  # one cue, not one per retry
    assert app.journal.head == seq + 1 and app.journal.read(seq) is not None
    assert not _state_flags(fw, proto) & fw.proto.STATE_NVM_ERROR
    assert boot(nvm, new_sleep_memory()).journal.head == seq + 1  # on flash now


def test_retries_stay_inside_the_daily_budget(fw, sa, boot):
    nvm, ram = new_nvm(), new_sleep_memory()
    app = boot(nvm, ram, usb=lambda: True, settings={"UNKNOT_BATTERY": 0})
    nvm.fail_writes = 10_000  # a flash that never takes a write again
    _session(sa, app)
    w = app.journal.writes
    _idle(app, 24 * 60 * MIN)
    assert app.journal.writes - w <= fw.app._DAY_WRITES
    assert app.journal.held == 1  # still waiting, not dropped


def test_low_battery_writes_what_waits_and_then_every_session(fw, sa, boot):
    nvm, ram = new_nvm(), new_sleep_memory()
    app = boot(nvm, ram)
    _session(sa, app)
    _session(sa, app)
    assert sum(nvm.erases) == 0

    class Low:
        def millivolts(self) -> int:
            return 3300

    app.battery_source = Low()
    app.safe_step()
    assert app.low_battery and sum(nvm.erases) == 1 and app.journal.held == 0
    _session(sa, app)
    assert sum(nvm.erases) == 2 and app.journal.spare == 0  # nothing held, nothing reserved
    ram.power_cut()
    assert boot(nvm, ram).journal.head == 4  # the battery died: no gap, nothing lost


def test_usb_without_a_battery_writes_at_once(sa, boot):
    nvm, ram = new_nvm(), new_sleep_memory()
    app = boot(nvm, ram, usb=lambda: True, settings={"UNKNOT_BATTERY": 0})
    _session(sa, app)
    assert sum(nvm.erases) == 1 and app.journal.held == 0
    with_battery = boot(new_nvm(), new_sleep_memory(), usb=lambda: True)
    _session(sa, with_battery)
    assert with_battery.journal.held == 1  # a battery rides out an unplugged cable


def test_single_page_nvm_is_refused_with_a_cue_and_in_state(fw, sa, boot):
    nvm, ram = new_nvm(4096), new_sleep_memory()
    app = boot(nvm, ram)
    assert app.journal.refused and app.motor.cues() == [_error_cue(fw)]
    flags = _state_flags(fw, fw.proto.Protocol(app))
    assert flags & fw.proto.STATE_NVM_REFUSED
    assert _session(sa, app) == 1 and nvm.erases == [0]  # never written to the one page
    assert app.motor.cues().count(_error_cue(fw)) == 1


def test_unknown_board_is_refused():
    from unknot import fwload

    boards = fwload.module("hw.boards")  # plain data: no `import board` in it
    settings = {"UNKNOT_BOARD": "feather_nrf52833", "UNKNOT_BUTTON_PIN": "",
                "UNKNOT_MOTOR_PIN": "", "UNKNOT_MOTOR": ""}
    with pytest.raises(ValueError, match="feather_nrf52833"):
        boards.board_config(settings)
    settings["UNKNOT_BOARD"] = "cpb"
    assert boards.board_config(settings)["button"] == "BUTTON_A"


def test_the_batch_is_written_in_an_idle_step_never_under_a_cue(fw, sa, boot):
    """A flash page write blocks the CPU (up to ~130 ms on the nRF52840): the session that
    makes a batch is held in the sleep memory at its end, and the batch is written in the
    first loop step that starts after the motor's last cue ended (App.busy false). A reset
    before it loses nothing (the RAM hold)."""

    class PolledMotor(sa.RecordingMotor):  # as the board's adapters: polled while it plays
        def poll(self, now: int) -> int | None:
            return self.busy_until if now < self.busy_until else None

    nvm, ram = new_nvm(), new_sleep_memory()
    app = boot(nvm, ram, motor=PolledMotor(sa.VirtualClock()))
    app.motor.clock = app.clock
    hold = fw.journal.HOLD
    for _ in range(hold):
        _session(sa, app)
    assert sum(nvm.erases) == 0
    seq = _session(sa, app)  # the batch's session: recorded, its last cue still felt
    assert seq == hold + 1 and app.busy() and app.journal.due
    assert sum(nvm.erases) == 0 and app.journal.held == hold + 1
    again = boot(nvm, ram)  # a reset now: the held sessions survive (sleep memory)
    assert again.journal.held == hold + 1 and again.journal.read(seq) is None  # unserved
    end = app.motor.busy_until
    written = None
    while written is None:
        d = app.step()
        if sum(nvm.erases):
            written = app.clock.t
        app.clock.t = max(app.clock.t, d)
    assert written > end and not app.busy()  # after the last cue, in a step of its own
    assert app.journal.held == 0 and app.journal.read(seq) is not None
