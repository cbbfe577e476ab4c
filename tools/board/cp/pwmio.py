"""Stand-in for `pwmio` (the object only: the nordic PWMOut keeps its state in the PWM
peripheral and static arrays, ports/nordic/common-hal/pwmio/PWMOut.c)."""

import _model


class PWMOut:
    def __init__(self, pin, *, duty_cycle=0, frequency=500, variable_frequency=False):
        self.pin = pin
        self._duty = duty_cycle
        self.frequency = frequency

    @property
    def duty_cycle(self):
        return self._duty

    @duty_cycle.setter
    def duty_cycle(self, value):
        if value and not self._duty:
            _model.motor_on()
        self._duty = value

    def deinit(self):
        pass
