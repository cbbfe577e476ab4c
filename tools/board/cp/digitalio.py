"""Stand-in for `digitalio` (a small object per pin, as mp_obj_malloc of
digitalio_digitalinout_obj_t in shared-bindings/digitalio/DigitalInOut.c)."""


class Pull:
    UP = 1
    DOWN = 2


class Direction:
    INPUT = 0
    OUTPUT = 1


class DigitalInOut:
    def __init__(self, pin):
        self.pin = pin
        self.value = False
        self.direction = Direction.INPUT
        self.pull = None

    def switch_to_input(self, pull=None):
        self.direction, self.pull = Direction.INPUT, pull

    def switch_to_output(self, value=False, drive_mode=None):
        self.direction, self.value = Direction.OUTPUT, value

    def deinit(self):
        pass
