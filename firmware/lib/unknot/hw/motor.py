"""Motor adapters: a DRV2605L over I2C playing one ROM effect per pulse, or a PWM pin driving
an ERM/LRA through a transistor, playing level envelopes. Both derive what they play from the
one vocabulary table (unknot.patterns) and are non-blocking: `play()` starts a cue,
`poll(now)` advances it and returns the next deadline (ms) while something is left to do.
A cue played while another plays is queued (never cut: `_Steps`).
`probe()` (the self-test) says whether the driver answers."""

import time

from .. import patterns

try:
    from micropython import const
except ImportError:  # CPython (the host, the simulated device)

    def const(x):
        return x


def _now():
    return time.monotonic_ns() // 1000000


_QUEUE_MAX = const(4)  # cues waiting behind the one that plays (more: the newest is dropped)


class _Steps:
    """Plays a flat tuple of steps (value, ms, value, ms, ...), `count` times; value 0 is
    silence. A cue played
    while another still plays waits in a small queue and starts when that one has ended
    (a cue is never cut); the queue holds _QUEUE_MAX cues, so the wait is bounded."""

    def __init__(self):
        self._steps = ()
        self._i = 0
        self._seg_end = 0
        self._repeat = 0
        self._queue = []
        self.dropped = 0  # cues not played because the queue was full
        self._last = (None, ())  # the last cue's (name, steps): a repeated cue (ticks,
        # countdown, taps) renders nothing

    def _set(self, value):
        raise NotImplementedError

    def _render(self, name):
        raise NotImplementedError

    def _steps_of(self, name):
        """The flat (value, ms, ...) steps of cue `name` (the last one's are kept)."""
        last = self._last
        if name != last[0]:
            self._last = (None, ())  # the old steps go before the new ones are made
            self._last = last = (name, self._render(name))
        return last[1]

    def play(self, name, count=1):
        """Start cue `name` (`count` times in a row), or queue it behind the one playing."""
        steps = self._steps_of(name)
        if not steps:
            return  # not a cue: nothing to play
        if self._steps:
            if len(self._queue) < _QUEUE_MAX:
                self._queue.append((name, count))
            else:
                self.dropped += 1
            return
        self._start(steps, count, _now())

    def _start(self, steps, count, at):
        self._steps = steps
        self._repeat = count - 1
        self._i = -2
        self._seg_end = at
        self.poll(at)

    def poll(self, now):
        """Advance the cue to `now`: the next deadline (ms), or None when nothing plays."""
        while self._steps and now >= self._seg_end:
            self._i += 2
            if self._i >= len(self._steps):
                if self._repeat > 0:
                    self._repeat -= 1
                    self._i = 0
                elif self._queue:
                    name, count = self._queue.pop(0)
                    self._steps = self._steps_of(name)
                    self._repeat = count - 1
                    self._i = 0
                else:
                    self._set(0)
                    self._steps = ()
                    return None
            steps = self._steps
            self._set(steps[self._i])
            self._seg_end += steps[self._i + 1]
        return self._seg_end if self._steps else None


class DrvMotor(_Steps):
    """DRV2605L: each pulse of patterns.drv_sequence(name) is one ROM effect (internal
    trigger); a sustained effect is stopped at the pulse length, a tap ends by itself."""

    def __init__(self, i2c, library=1, strength=100):
        from .drv2605 import DRV2605  # the firmware's register writer (board, issue 16)

        super().__init__()
        self.drv = DRV2605(i2c)  # raises when no DRV2605 answers on I2C
        if library == 6:
            self.drv.use_LRM()
        else:
            self.drv.use_ERM()
        self.drv.library = library
        self.library = library
        self.drv.set_waveform(0, 1)  # slot 2: end of sequence, once (one effect per pulse)
        self._sustained = False
        self._effect = -1  # the effect in waveform slot 1

    def _set(self, value):
        drv = self.drv
        if value == 0:
            if self._sustained:
                drv.stop()
            self._sustained = False
            return
        effect = value & ~patterns.DRV_TAP
        if effect != self._effect:  # one I2C write less per pulse; slot 2 stays 0
            drv.set_waveform(effect, 0)
            self._effect = effect
        drv.play()  # each I2C write blocks the CPU for the bus time (docs/firmware.md)
        self._sustained = not value & patterns.DRV_TAP

    def _render(self, name):
        return patterns.drv_steps(name)

    def probe(self):
        """(ok, detail) for the self-test: the DRV2605 answered on I2C when built."""
        return True, "DRV2605 on I2C 0x5A, ROM library %d" % self.library


class PwmMotor(_Steps):
    """PWM pin -> transistor -> ERM/LRA. Plays patterns.envelope(name) segment by segment."""

    def __init__(self, pin, strength=100, frequency=20000):
        import pwmio

        super().__init__()
        self.pin = pin
        self.frequency = frequency
        self.pwm = pwmio.PWMOut(pin, frequency=frequency, duty_cycle=0)
        self.scale = max(0, min(100, strength)) * 257 // 100  # 0..255 level -> 16-bit duty

    def _set(self, value):
        self.pwm.duty_cycle = value * self.scale if value else 0

    def _render(self, name):
        return patterns.envelope_steps(name)

    def probe(self):
        return True, "PWM on %s at %d Hz" % (self.pin, self.frequency)


class NoMotor:
    """Stands in when the motor driver could not be set up (DRV2605 not answering on I2C, PWM
    pin in use): the board still boots, and the self-test reports why."""

    def __init__(self, reason):
        self.reason = reason

    def play(self, name, count=1):
        pass

    def poll(self, now):
        return None

    def probe(self):
        return False, self.reason
