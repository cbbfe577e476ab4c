"""Stand-in for `analogio`: a half-charged battery behind the board's divider."""


class AnalogIn:
    def __init__(self, pin):
        self.pin = pin
        self.value = 37000
        self.reference_voltage = 3.3

    def deinit(self):
        pass
