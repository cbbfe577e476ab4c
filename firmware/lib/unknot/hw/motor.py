"""Motor adapters: a DRV2605L over I2C playing ROM effect sequences, or a PWM pin driving an
ERM/LRA through a transistor, playing level envelopes. Both take the pattern table
(unknot.patterns) and are non-blocking: `play()` starts a pattern, `poll(now)` advances it
and returns the next deadline (ms) while something is left to do."""

import time

from .. import patterns


class DrvMotor:
    """DRV2605L: patterns.rom(name) loaded into the waveform sequencer (up to 7 slots)."""

    def __init__(self, i2c, library=1, strength=100):
        import adafruit_drv2605

        self._m = adafruit_drv2605
        self.drv = adafruit_drv2605.DRV2605(i2c)
        if library == 6:
            self.drv.use_LRM()
        else:
            self.drv.use_ERM()
        self.drv.library = library
        self._repeat = 0
        self._name = None
        self._busy_until = 0

    def _load(self, name):
        seq = patterns.rom(name)
        drv = self.drv
        m = self._m
        for i in range(7):
            if i < len(seq):
                v = seq[i]
                if v & patterns.PAUSE:
                    drv.sequence[i] = m.Pause((v & 0x7F) / 100)
                else:
                    drv.sequence[i] = m.Effect(v)
            else:
                drv.sequence[i] = m.Effect(0)  # end of sequence
        drv.play()

    def play(self, name, count=1):
        self._name = name
        self._repeat = count - 1
        self._load(name)
        self._busy_until = time.monotonic_ns() // 1000000 + patterns.duration_ms(name)

    def play_envelope(self, env):
        # the ROM sequencer has no free envelopes: approximate with the strongest click
        self.play("ack")

    def poll(self, now):
        if self._repeat <= 0:
            return None
        if now >= self._busy_until:
            self._repeat -= 1
            self._load(self._name)
            self._busy_until = now + patterns.duration_ms(self._name)
        return self._busy_until if self._repeat > 0 else None


class PwmMotor:
    """PWM pin -> transistor -> ERM/LRA. Plays patterns.envelope(name) segment by segment."""

    def __init__(self, pin, strength=100, frequency=20000):
        import pwmio

        self.pwm = pwmio.PWMOut(pin, frequency=frequency, duty_cycle=0)
        self.scale = max(0, min(100, strength)) * 257 // 100  # 0..255 level -> 16-bit duty
        self._env = ()
        self._i = 0
        self._seg_end = 0
        self._repeat = 0

    def _set(self, level):
        self.pwm.duty_cycle = level * self.scale if level else 0

    def play(self, name, count=1):
        self.play_envelope(patterns.envelope(name), count)

    def play_envelope(self, env, count=1):
        self._env = env
        self._repeat = count - 1
        self._i = -1
        self._seg_end = time.monotonic_ns() // 1000000
        self.poll(self._seg_end)

    def poll(self, now):
        while self._env and now >= self._seg_end:
            self._i += 1
            if self._i >= len(self._env):
                if self._repeat > 0:
                    self._repeat -= 1
                    self._i = 0
                else:
                    self._set(0)
                    self._env = ()
                    return None
            level, ms = self._env[self._i]
            self._set(level)
            self._seg_end += ms
        return self._seg_end if self._env else None
