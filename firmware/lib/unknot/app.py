"""The app state machine: one loop that decides (button and BLE callbacks only queue).

`App(clock, motor, button, storage, nvm, sleeper, watchdog, battery=None, settings=None,
device_id=b"", new_hosts=b"", ram=None, usb=None)` takes its adapters as arguments
(board: unknot.hw; host: unknot.sim). Their contract, one Protocol per adapter with a
docstring per method (storage includes the upload staging area, and remove() for the
journal's v1 nvm copy while migrating), is host/unknot/adapters.py. With a battery,
`app.battery` is a percent estimate (linear
3.3 V = 0 % .. 4.2 V = 100 %) and `app.battery_mv` the last reading. `ram` is the memory
that survives resets (alarm.sleep_memory) where finished sessions wait for a batch write;
`usb()` says whether USB power is present (docs/firmware.md "Flash wear").

`step()` handles queued events, runs the work that is due and returns the next deadline
(absolute ms); `run()` loops safe_step() + sleep_until(). The sync protocol handler is hooked
as `app.protocol`: if set, the loop calls `app.protocol.poll(now_ms)` every step; it may
return a deadline (ms) for its own pending work, or None.

Gestures: idle: press = start the selected routine, double = select the next one (it buzzes
its number), long press released before 10 s = open the pairing window for 60 s (cue
`pair_open`, on release) -- except a long press that starts 0.3-10 s after boot, which
starts the self-test instead (unknot.selftest; while it runs the button is its) --, hold
10 s = forget every paired host (cue `forget`; the window never opens on the way;
docs/security.md). While the device asks the wearer (a pairing's SAS was played, or a host
asked to forget hosts): press = yes, double or long = no (keyring.py).
Nudge pending: press = start the break routine, double = snooze
(refused after UNKNOT_MAX_SNOOZES in a row), long = skip this break. Playing: press =
pause/resume, long = stop (recorded as aborted), double = ignored.
"""

try:
    from micropython import const
except ImportError:  # CPython (tests, the simulated device)

    def const(x):
        return x


from . import mods, patterns
from .gestures import Gestures
from .journal import ABORTED, CLOCK_UNSET, COMPLETED, FROM_NUDGE, HOLD, Journal
from .keyring import Keyring
from .reminders import MICRO, REST, Reminders

# Flash wear (docs/firmware.md "Flash wear"): sessions are written in batches (journal
# HOLD); the writes a paired host can cause (settings, host keys, the self-test's rewrite)
# are at most HOST_WRITES_DAY in any 24 hours, more wait for the next batch or until the
# oldest is 24 hours old; a failed write is retried after _RETRY_MS, doubling up to
# _RETRY_MAX_MS, while the budget day has written fewer than _DAY_WRITES (10 years of 10,000
# erases on 2 pages allow 5.48 a day).
_DAY_MS = const(86400000)
_HOST_WRITES_DAY = const(2)
_DAY_WRITES = const(5)
_RETRY_MS = const(60000)
_RETRY_MAX_MS = const(3840000)  # 64 min
ERROR_EVENT = "refused"  # what the wearer feels when the flash does not take the sessions
_BATTERY_EVERY_MS = const(600000)
_ERROR_BACKOFF_MS = const(1000)
_SELFTEST_AFTER_MS = const(300)  # a long press starting this long after boot (not a hold
_SELFTEST_WINDOW_MS = const(10000)  # through reset: boot.py's serial mode) and within this
_SAS_GAP_MS = const(1200)  # silence between two numbers of the pairing SAS


class _Report:
    """A finished self-test: its report lines (what SELFTEST's report and the console read),
    kept without the self-test's code."""

    done = True
    waiting_for_press = False

    def __init__(self, lines):
        self.lines = lines

    def report(self):
        return self.lines

    def idle(self):
        return True


class Entry:
    """An installed routine in the App's index (`app.routines`): its file name ("" for the
    built-in routine), slug and id. The routine itself is read and decoded when it is about
    to play (App.routine, library.load), so no decoded routine and none of the decoder's
    code stays in RAM between routines."""

    def __init__(self, file, slug, rid):
        self.file = file
        self.slug = slug
        self.id = rid


class App:
    # defaults as class attributes: no room in each App's own dict until they are set
    checks: object = None  # the self-test's hardware checks (board: "hw.checks", selftest.py)
    selftest = None  # the running SelfTest (unknot.selftest), or the last one's _Report
    _down_at = None  # time of the last key-down (the boot self-test gesture)
    radio_error: object = None  # why BLE did not start (board: hw.boards.radio), for the self-test
    _day_at = None  # the retry budget's day (see _flush)
    _day_writes = 0
    _retry_at = None  # when a failed flash write is tried again
    _retry_ms = 0
    _settings_due = None  # when pending settings may be written (host budget)
    _numbers = None  # [deadline ms, n, n, ...]: the pairing SAS still to play
    _long_idle = False  # the current long press began while idle: its release opens the window
    _cue_busy = False  # the motor had a cue to play at the end of the last step
    _write_due = False  # what waits for the flash is written in the next idle step
    _drop_player = False  # the finished routine's player code goes in the next idle step
    _next = None  # (index, Routine): the routine a press would start, decoded at key-down
    _breaks = (None, None)  # indices of the micro and rest break routines (settings)

    def __init__(self, clock, motor, button, storage, nvm, sleeper, watchdog, battery=None,
                 settings=None, device_id=b"", new_hosts=b"", ram=None, usb=None):
        self.clock = clock
        self.motor = motor
        self.button = button
        self.storage = storage
        self.nvm = nvm
        self.sleeper = sleeper
        self.watchdog = watchdog
        self.battery_source = battery
        self.usb = usb
        self.battery = None  # percent 0..100 (estimated from the voltage), None if unknown
        self.device_id = bytes(device_id)
        self.protocol = None
        self.events = []
        self.errors = 0
        self.errors_in_row = 0
        self.last_error = None
        self.wakeups = 0
        self.cue_log = None  # set to a list to record (send_deadline_ms, sent_ms, cue)
        self.battery_mv = None
        self._battery_at = None
        self.low_battery = False
        self.player = None
        self.playing_index = None
        self.from_nudge = None  # break kind when the current routine came from a nudge
        self.session_start = 0
        self.session_flags = 0
        self.last_record = None
        self.following = False  # an authenticated host asked for STATUS frames (OP_FOLLOW)
        self.announced = []  # STATUS tuples for the protocol to send (see announce())
        self._side = 0  # side of the playing step (0, or 1 after its switch cue)
        self._ann_step = 0  # the step index last announced
        self._ann_new = False  # announce() queued something since the protocol last polled
        # the hosts the wearer consented to and the pairing window (docs/security.md)
        self.keyring = Keyring(clock, self._save_hosts, self.buzz, self.play_numbers)
        self.journal = self._open_journal(nvm, storage, ram)
        self._host_at = []  # times (ms) of the last HOST_WRITES_DAY writes a host caused
        sm = mods.load("settings")  # the table: for boot and each change, dropped after
        self.overrides = self._load_overrides()
        self.keyring.import_usb(new_hosts)  # USB consent (auth.KEY_FILE), imported once
        base = sm.load(None, settings or {})
        self.settings = sm.load(None, self._merged(base))
        default = sm.defaults()  # settings.toml's values: only those not the default (RAM)
        self.base_settings = {k: base[k] for k in base if base[k] != default[k]}
        base = default = None
        sm = None
        now = clock.now_ms()
        self.booted_at = now
        self._hold_policy(now)
        if self.journal.refused is not None:
            self.buzz(ERROR_EVENT)  # a board whose nvm cannot keep the journal: say so
        self.gestures = Gestures(self.settings["UNKNOT_DOUBLE_MS"], self.settings["UNKNOT_LONG_MS"])
        self.reminders = Reminders(self.settings, now)
        self.routines = []
        self.rejected = []
        self.selected = 0
        self.reload_routines()
        mods.drop("settings", collect=False)

    # -- persisted state -------------------------------------------------------------
    def _open_journal(self, nvm, storage, ram):
        """Journal, boot counter, host keys and persisted settings: one power-safe image
        (journal.py), finished sessions held in `ram` until a batch. A layout v1 nvm is
        migrated first (migrate.py, loaded for it only). The new boot number is written to
        the RAM now and to flash with this boot's first write (a batch or settings), so a
        boot costs no erase."""
        j = Journal(nvm, storage, ram)
        if j.v1:
            try:
                mods.load("migrate").migrate(j)
            finally:
                mods.drop("migrate", "recover")
        self.boot = j.boot + 1
        j.set_boot(self.boot)
        return j

    def _load_overrides(self):
        """The settings overrides; the host keys in front of them go to the keyring."""
        try:
            return mods.load("settings").decode(self.keyring.load(self.journal.settings))
        except Exception:
            return {}

    def _blob(self):
        """The image's settings area: host keys, then the settings lines (settings.py is
        loaded for it unless a change holds it)."""
        kept = mods.loaded("settings")
        blob = self.keyring.encode() + mods.load("settings").encode(self.overrides)
        if not kept:
            mods.drop("settings", collect=False)
        return blob

    def _save_hosts(self, now=None):
        """Host keys (pairing, forget) and settings: written at once within the host
        budget (spend_host_write), else they wait for the next batch, a flush, or the time
        the budget allows (docs/firmware.md "Flash wear")."""
        j = self.journal
        j.set_settings(self._blob())
        if not j.pending:
            return
        if now is None:
            now = self.clock.now_ms()
        if self.busy():  # never a flash write under a cue: in the next idle step
            self._settings_due = now
            return
        if self.spend_host_write(now):
            self._flush(now)
            self._settings_due = None
        else:
            self._settings_due = self._host_at[0] + _DAY_MS + 1

    # -- flash wear and errors (docs/firmware.md "Flash wear") --------------------------
    def spend_host_write(self, now):
        """True (and counted) when a write a host caused may go to flash now: fewer than
        HOST_WRITES_DAY in the last 24 hours."""
        times = self._host_at
        if len(times) >= _HOST_WRITES_DAY:
            if now - times[0] <= _DAY_MS:  # the oldest must be more than 24 hours old
                return False
            times.pop(0)
        times.append(now)
        return True

    def _hold_policy(self, now):
        """Batches (journal HOLD) unless the battery is low or the board runs from USB
        without a battery (UNKNOT_BATTERY=0): then every session is written at once, and
        what waits is written now."""
        j = self.journal
        through = self.low_battery or (self.usb is not None and self.usb()
                                       and not self.settings["UNKNOT_BATTERY"])
        j.hold = 0 if through or j.ram is None else HOLD
        if through and (j.held or j.pending):
            if self.busy():
                self._write_due = True  # in the next idle step
            else:
                self._flush(now)

    def _flush(self, now, retry=False):
        """Write what waits. A failure: one error cue for the wearer (not one per retry)
        and a retry after _RETRY_MS, doubling up to _RETRY_MAX_MS, while the budget day has
        written fewer than _DAY_WRITES (else at the next day)."""
        j = self.journal
        if retry:
            if self._day_at is None or now - self._day_at >= _DAY_MS:
                self._day_at = now
                self._day_writes = j.writes
            if j.writes - self._day_writes >= _DAY_WRITES:
                self._retry_at = self._day_at + _DAY_MS
                return
        try:
            j.flush()
        except Exception:
            pass  # j.error says why
        self._after_write(now)

    def _after_write(self, now):
        j = self.journal
        if j.error is None:
            self._retry_at = None
            self._retry_ms = 0
        elif j.refused is None:  # a refused nvm: no retry can help (cue played at boot)
            if self._retry_ms == 0:
                self.buzz(ERROR_EVENT)
            self._retry_ms = min(self._retry_ms * 2, _RETRY_MAX_MS) or _RETRY_MS
            self._retry_at = now + self._retry_ms

    def flush(self, now=None):
        """Write what waits (sessions, settings) now: before a shutdown, on low battery."""
        self._flush(self.clock.now_ms() if now is None else now)
        self._settings_due = None

    def _merged(self, base=None):
        merged = dict(self.base_settings if base is None else base)
        for key in self.overrides:
            merged[key] = self.overrides[key]
        return merged

    def apply_settings(self, values):
        """Validate, persist and apply settings (e.g. written over BLE): all or nothing.
        Returns the dict of keys -> values applied. Raises KeyError(key) for the first
        key the settings table refuses (unknown, wrong type, out of range, a routine
        that is not installed) and ValueError when they do not fit in the store."""
        try:  # (the settings table and the loader's code, dropped after)
            return self._apply(values, mods.load("settings"))
        finally:
            mods.drop("settings", collect=False)
            self._drop_loader()

    def _apply(self, values, sm):
        accepted = {}
        for key in values:
            val = sm.check(key, values[key], self._has_routine)
            if val is None:
                raise KeyError(key)
            accepted[key] = val
        if not accepted:
            return accepted
        old = dict(self.overrides)
        for key in accepted:
            self.overrides[key] = accepted[key]
        try:
            self._save_hosts(self.clock.now_ms())
        except ValueError:
            self.overrides = old
            raise
        self.settings = sm.load(None, self._merged())
        self._find_breaks()
        self.gestures.double_ms = self.settings["UNKNOT_DOUBLE_MS"]
        self.gestures.long_ms = self.settings["UNKNOT_LONG_MS"]
        self.reminders.configure(self.settings)
        if self.reminders.pending is None:
            self.reminders.reset(self.clock.now_ms(), REST)
            if self.player is None:
                self.announce("idle")
        return accepted

    # -- routines --------------------------------------------------------------------
    def reload_routines(self):
        """The index of the installed routines (library.index), made again."""
        if self.player is not None:
            return False  # never swap routines under a playing one; retry when idle
        self.routines = []
        self._next = None
        try:
            entries, self.rejected = mods.load("library").index(self.storage)
            self.routines = [Entry(*e) for e in entries]
            if self.selected >= len(self.routines):
                self.selected = 0
            self._find_breaks()
        finally:
            self._drop_loader()
        return True

    def routine(self, index):
        """The routine at `index` of the index, read and decoded (library.load; raises when
        its file changed since the index was made)."""
        try:
            return mods.load("library").load(self.storage, self.routines[index].file)
        finally:
            self._drop_loader(False)

    def _drop_loader(self, collect=True):
        """The loader's code goes (library, builtin), the storage's (sets.py on the board)
        and the decoder's (routine) unless the player's code, which imports it, is loaded
        (mods.py); `collect` unless a routine plays."""
        names = ("library", "builtin") if mods.loaded("player") else ("library", "builtin",
                                                                      "routine")
        release = getattr(self.storage, "release", None)  # (board: sets.py, hw/system.py)
        if release is not None:
            release()
        mods.drop(*names, collect=collect and self.player is None)

    def _has_routine(self, key):
        return mods.load("library").find(self.routines, key) is not None

    def _find_breaks(self):
        """The indices of the micro and rest break routines (UNKNOT_MICRO_ROUTINE,
        UNKNOT_REST_ROUTINE), found when the routines or the settings change, not in the
        step that records a routine (a module load there would be a collection); the caller
        drops the loader (_drop_loader)."""
        find = mods.load("library").find
        s = self.settings
        self._breaks = (find(self.routines, s["UNKNOT_MICRO_ROUTINE"]),
                        find(self.routines, s["UNKNOT_REST_ROUTINE"]))

    def break_routine(self, kind):
        micro, rest = self._breaks
        if kind == REST:
            return len(self.routines) - 1 if rest is None else rest
        return 0 if micro is None else micro

    # -- events ----------------------------------------------------------------------
    def post(self, event):
        """Queue an event (a tuple) for the loop: ("gesture", name), ("start", index),
        ("stop",), ("set_clock", unix), ("reload",), ("remind",), ("selftest",),
        ("pair",) (open the pairing window). Safe from callbacks."""
        self.events.append(event)

    def _event(self, ev, now):
        kind = ev[0]
        if kind == "gesture":
            self._gesture(ev[1], now)
        elif kind == "start":
            if self.player is None and 0 <= ev[1] < len(self.routines):
                self._start(ev[1], now, None)
        elif kind == "stop":
            if self.player is not None:
                self._finish(now, ABORTED)
        elif kind == "set_clock":
            self.clock.set_unix(ev[1])
        elif kind == "reload":
            self.reload_routines()
        elif kind == "pair":
            self.keyring.open()
        elif kind == "remind":
            if self.player is None and self.reminders.pending is None:
                self.reminders.remind_now(now)
        elif kind == "selftest":
            self.start_selftest(now)

    # -- self-test -------------------------------------------------------------------
    def selftest_running(self):
        test = self.selftest
        return test is not None and not test.done

    def start_selftest(self, now, out=print):
        """Start the self-test (unknot.selftest) unless a routine or a self-test runs.
        Returns True when it started."""
        if self.player is not None or self.selftest_running():
            return False
        from .selftest import SelfTest

        self.selftest = SelfTest(self, now, out)
        return True

    def play_numbers(self, digits):
        """Play numbers as tap counts (`select` n), _SAS_GAP_MS apart: the pairing SAS."""
        self._numbers = [self.clock.now_ms()] + list(digits)  # noqa: RUF005 - MicroPython

    def _gesture(self, g, now):
        rem = self.reminders
        keyring = self.keyring
        if g == "hold":
            self._long_idle = False
            if self.player is None and rem.pending is None:
                keyring.forget()
            return
        if keyring.waiting() and self.player is None:
            if g == "press" or g == "double" or g == "long":
                keyring.answer(g == "press")  # the wearer's consent (pairing, forget)
            return
        if g == "long_up":
            if self._long_idle:
                self._long_idle = False
                keyring.open()  # released before the 10 s hold: the pairing window
            return
        if self.player is not None:
            if g == "press" and self.player.waiting is not None:
                self.player.proceed(now)  # in position: the routine goes on
                self.announce("resumed")
            elif g == "press":
                if self.player.paused_at is None:
                    self.player.pause(now)
                    self.buzz("paused")
                    self.announce("paused")
                else:
                    self.player.resume(now)
                    self.buzz("resumed")
                    self.announce("resumed")
            elif g == "long":
                self._finish(now, ABORTED)
            return
        if rem.pending is not None:
            if g == "press":
                kind = rem.take()
                self._start(self.break_routine(kind), now, kind)
            elif g == "double":
                snoozed = rem.snooze(now)
                self.buzz("ack" if snoozed else "refused")
                if snoozed:
                    self.announce("idle")
            elif g == "long":
                rem.reset(now, rem.pending)
                self.buzz("ack")
                self.announce("idle")
            return
        if g == "press":
            self._start(self.selected, now, None)
        elif g == "double":
            self.selected = (self.selected + 1) % len(self.routines)
            self.buzz("select", self.selected + 1)
        elif g == "long":
            down = self._down_at
            if down is not None and (_SELFTEST_AFTER_MS <= down - self.booted_at
                                     <= _SELFTEST_WINDOW_MS):
                self.start_selftest(now)  # the first 10 s after boot: the self-test
            else:
                self._long_idle = True  # afterwards: the pairing window, on release

    # -- sessions --------------------------------------------------------------------
    def _start(self, index, now, nudge_kind):
        # the player's code is loaded for the routine and dropped after it (_finish; mods.py)
        player = mods.load("player").Player  # (first: it imports the decoder)
        nxt = self._next
        self._next = None
        try:  # decoded at the key-down (_prefetch), else now
            routine = nxt[1] if nxt is not None and nxt[0] == index else self.routine(index)
        except Exception:
            self.buzz(ERROR_EVENT)  # its file changed since the index: made again
            self.post(("reload",))
            self._drop_player = True
            return
        ticks = bool(self.settings["UNKNOT_TICKS"]) and not self.low_battery
        self._drop_player = False  # the last routine's player code is still loaded
        self.player = player(routine, self.settings["UNKNOT_MOTOR_LATENCY_MS"], ticks)
        self.playing_index = index
        self.from_nudge = nudge_kind
        unix = self.clock.unix()
        if unix is None:
            self.session_start = (now - self.booted_at) // 1000
            self.session_flags = CLOCK_UNSET
        else:
            self.session_start = unix
            self.session_flags = 0
        if nudge_kind is not None:
            self.session_flags |= FROM_NUDGE
        self.player.start(now)
        self._side = 0
        self._ann_step = 0
        self.announce("start")

    def _finish(self, now, flag):
        player = self.player
        if player is None:
            return
        self.player = None
        routine = player.routine
        active_s = player.active_ms(now) // 1000
        if flag == ABORTED:
            self.buzz("aborted")
        try:
            self.last_record = self.journal.append(
                self.session_start, routine.id, player.steps_done(), player.steps_total(),
                active_s, self.session_flags | flag, self.boot, True)
        finally:
            self._after_write(now)
            kind = self.from_nudge
            self.from_nudge = None
            if flag == COMPLETED:
                if kind is None:
                    rest_idx = self.break_routine(REST)
                    kind = REST if rest_idx == self.playing_index and rest_idx != 0 else MICRO
                self.reminders.reset(now, kind)
            elif kind is not None:
                self.reminders.reset(now, kind)  # an aborted break counts as skipped
            self.playing_index = None
            self.announce("done" if flag == COMPLETED else "stopped", routine.id)
            self._drop_player = True  # in the first idle step (_motor): not under a cue

    def buzz(self, event, number=1):
        """Play what the wearer feels for `event` (patterns.felt: the one event -> cue
        table); the motor queues it behind a cue that still plays."""
        cue, times = patterns.felt(event, number)
        if times:
            self.motor.play(cue, times)

    def _emit(self, cue, arg, scheduled):
        if cue == "next_exercise" and not self.settings["UNKNOT_EXERCISE_NUMBER"]:
            arg = 1  # one tap; the player keeps the time of the whole number
        self.buzz(cue, arg)
        if cue == "wait":
            self.announce("paused")  # the clock stands until the wearer presses
        log = self.cue_log
        player = self.player
        if player is None:
            return
        if log is not None:
            log.append((scheduled - player.latency, self.clock.now_ms(), cue))
        if player.step_index != self._ann_step:
            self._ann_step = player.step_index
            self._side = 0
            self.announce("step")
        elif cue == "switch":
            self._side += 1
            self.announce("side")

    # -- STATUS for a following host (docs/protocol.md "Status") -----------------------
    def announce(self, event, routine_id=0):
        """When a host follows, queue a STATUS tuple for `event` (a name in status.EVENTS;
        status.queue builds it)."""
        if self.following:
            from . import status  # loaded once a host follows

            status.queue(self, event, routine_id)

    def minute_of_day(self):
        unix = self.clock.unix()
        if unix is None:
            return None
        return ((unix // 60) + self.settings["UNKNOT_UTC_OFFSET_MIN"]) % 1440

    # -- the loop --------------------------------------------------------------------
    def step(self):
        """One iteration: input, queued events, due work; returns the next deadline (absolute
        ms): the earliest any part asks for (None: no deadline)."""
        self.wakeups += 1
        self.watchdog.feed()
        now = self.clock.now_ms()
        playing = self.player is not None
        # a gesture handled while a routine plays (pause, resume, stop: its cue, its STATUS)
        # or that starts one is a step of its own: the first cue plays in the next pass
        acted = self._input(now) and (playing or self.player is not None)
        while self.events:
            self._event(self.events.pop(0), now)
        self._ann_new = False
        protocol = self.protocol
        player = self.player
        d = None if player is None else now if player.finished else player.next_deadline()
        if protocol is None:
            sent = None
        elif acted or (d is not None and d <= now):  # a cue plays (or the session is recorded)
            sent = now + 1  # in this step: BLE's work (frames to seal, requests) in the next
        else:
            sent = protocol.poll(now)
        self._read_battery(now)
        if not acted:  # the routine's due cue: in the next pass, 1 ms later
            self._play(now)
        keyring = self.keyring
        cue = self._motor(now)
        deadline = now + self.settings["UNKNOT_MAX_SLEEP_S"] * 1000
        for d in (sent, self._sas_taps(now), self._work(now), self._settings_write(now),
                  self.gestures.next_deadline(),
                  keyring.poll(now),  # the window, an attempt, the wearer's consent expire
                  cue):
            if d is not None and d < deadline:
                deadline = d
        if acted or self.events or self._ann_new:
            # new STATUS frames go out on the next pass (protocol.poll), 1 ms later: a step
            # of its own (the cue that caused them has started; docs/firmware.md "CPU budget")
            return now + 1
        return deadline

    def busy(self):
        """A routine plays or a cue is still felt: a flash write (a page erase blocks the
        CPU for up to 85 ms), an advert tag or anything else heavy waits for an idle step
        (docs/firmware.md "CPU budget")."""
        return self.player is not None or self._cue_busy

    def _motor(self, now):
        """Advance the motor's cue (an EnvelopeMotor: the board's adapters); its next
        deadline, or 1 ms from now when the last cue just ended (the next pass: a step that
        starts idle, does what waited for one: also settings and retries that waited,
        _settings_write). In an idle step: drop the finished routine's player code (a
        collection: mods.drop) and write what waits for the flash (journal.due: a batch, or
        every session without the hold)."""
        poll = getattr(self.motor, "poll", None)
        was = self._cue_busy
        cue = None if poll is None else poll(now)
        self._cue_busy = cue is not None
        if self.player is not None or cue is not None:
            return cue
        if was:  # the cue ended during this step: what waits, in the next one (after a
            return now + 1  # 1 ms sleep: a loop step that starts idle)
        g = self.gestures
        if self._drop_player and g.down_at is None and g.first_up is None and not g.out:
            self._drop_player = False  # (not while a gesture may still start a routine)
            self._drop_play()  # its code is loaded again for the next routine
        j = self.journal
        if not (self._write_due or j.due):
            return None
        self._write_due = False
        self._flush(now)
        return None

    def _input(self, now):
        """Button edges to the gesture decoder, its gestures to the app (the self-test, while
        it runs, takes the button for itself)."""
        g = self.gestures
        test = self.selftest if self.selftest_running() else None
        ev = self.button.poll()
        while ev is not None:
            if ev[0]:
                self._down_at = ev[1]
                if test is not None:
                    test.on_press(ev[1])
                elif self.player is None and not self.keyring.waiting():
                    self._prefetch()  # (a press that answers the wearer's consent: never)
            g.feed(ev[0], ev[1])
            ev = self.button.poll()
        g.poll(now)
        name = g.pop()
        acted = name is not None
        while name is not None:
            if name == "long" and self._drop_player:  # never a routine's start: the
                self._drop_player = False  # prefetched player goes before a pairing or a
                self._drop_play()  # self-test needs the room
            if test is None:
                self._gesture(name, now)
            name = g.pop()
        return acted

    def _prefetch(self):
        """A key-down while no routine plays may become a press that starts one: load the
        player's code and decode the routine that press would start (the selected one, or
        the break routine of a pending nudge) now (tens of board ms for the imports and the
        file), in this step of its own, while the gesture is decided, not in the step that
        plays the first cue. Dropped again in the first idle step after the gesture if no
        routine started (_motor)."""
        if not mods.loaded("player"):
            mods.load("player")
            self._drop_player = True
        pending = self.reminders.pending
        index = self.selected if pending is None else self.break_routine(pending)
        nxt = self._next
        if nxt is None or nxt[0] != index:
            self._next = None
            try:
                self._next = (index, self.routine(index))
            except Exception:
                pass  # _start says so (and makes the index again)
            self._drop_player = True

    def _drop_play(self):
        """The player's code, the decoder's and a routine decoded ahead go (a collection)."""
        self._next = None
        mods.drop("player", "routine", "library", "builtin")

    def _read_battery(self, now):
        """Every _BATTERY_EVERY_MS: the voltage, the low-battery flag (what waits for the
        flash is written at once then, and every session after it) and the percent
        estimate."""
        at = self._battery_at
        if self.battery_source is None or (at is not None and now - at < _BATTERY_EVERY_MS):
            return
        self._battery_at = now
        mv = self.battery_source.millivolts()
        self.battery_mv = mv
        self.low_battery = mv is not None and mv < self.settings["UNKNOT_LOW_BATTERY_MV"]
        self.battery = None if mv is None else max(0, min(100, (mv - 3300) // 9))
        self._hold_policy(now)  # low battery or USB alone: nothing waits in RAM

    def _play(self, now):
        """The playing routine's due cues; a finished one is recorded in the next step (its
        last cue's step stays short: _work asks for it 1 ms later)."""
        player = self.player
        if player is not None:
            if player.finished:
                self._finish(now, COMPLETED)
            else:
                player.poll(now, self._emit)

    def _sas_taps(self, now):
        """The pairing SAS: its next number of taps when due, else when that is."""
        numbers = self._numbers
        if numbers is None:
            return None
        if now >= numbers[0]:
            n = numbers.pop(1)
            self.buzz("select", n)
            numbers[0] = now + patterns.event_ms("select", n) + _SAS_GAP_MS
            if len(numbers) == 1:
                self._numbers = None
                return None
        return numbers[0]

    def _work(self, now):
        """The routine, else the self-test, else the break reminders: the next deadline."""
        player = self.player
        if player is not None:
            return now + 1 if player.finished else player.next_deadline()
        test = self.selftest
        if test is not None and not test.done:
            deadline = test.poll(now)
            if test.done:  # keep its report; the self-test's code goes (mods.py)
                self.selftest = _Report(test.report())  # type: ignore[assignment]
                test = None
                mods.drop("selftest", "hw.checks")
            return deadline
        rem = self.reminders
        action = rem.poll(now, self.minute_of_day())
        if action == "nudge" or action == "nudge_firm":
            self.buzz(action)
            if self.low_battery and rem.pending is not None:
                rem.next_nudge = rem.giveup_at  # no repeats
            self.announce("nudge")
        elif action == "giveup":
            self.announce("idle")
        return rem.next_deadline()

    def _settings_write(self, now):
        """Pending settings written when the host budget allows, a failed flash write
        retried when its backoff is over: else when the next of those is (ms). Not while
        busy (a cue plays): the first idle step does it."""
        if self.busy():
            return None
        d = self._settings_due
        if d is not None:
            if not self.journal.pending:
                self._settings_due = None
                d = None
            elif d <= now:
                self._save_hosts(now)  # the host budget allows it now
                d = self._settings_due
        r = self._retry_at
        if r is not None and r <= now:
            self._flush(now, True)
            r = self._retry_at
        if r is not None and (d is None or r < d):
            return r
        return d

    def safe_step(self):
        """step(), but an exception is counted and the loop goes on."""
        try:
            deadline = self.step()
            self.errors_in_row = 0
            return deadline
        except MemoryError:
            import gc

            gc.collect()
            self.errors += 1
            self.last_error = "MemoryError"
        except Exception as exc:
            self.errors += 1
            self.last_error = repr(exc)
        self.errors_in_row += 1
        if self.player is not None and self.errors_in_row >= 3:
            try:
                self._finish(self.clock.now_ms(), ABORTED)
            except Exception:
                self.player = None
        return self.clock.now_ms() + _ERROR_BACKOFF_MS

    def idle(self):
        """True when nothing needs a quick wake-up: no routine, no queued event, no gesture
        in progress (key held or double-press window open), no BLE connection
        (`protocol.connected`). The board's sleeper may then light-sleep."""
        if self.events:
            return False
        test = self.selftest
        if test is not None and not test.done:  # asleep only while it waits for a wake-up
            return test.idle() and not getattr(self.protocol, "connected", False)
        if self.player is not None:
            return False
        g = self.gestures
        if g.down_at is not None or g.first_up is not None or g.out:
            return False
        return not getattr(self.protocol, "connected", False)

    def run(self):
        while True:
            deadline = self.safe_step()
            try:
                idle = self.idle()
            except Exception:
                idle = False
            self.sleeper.sleep_until(deadline, idle)

