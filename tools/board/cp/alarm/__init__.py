"""Stand-in for `alarm`: light_sleep_until_alarms waits on the model's virtual clock until
the TimeAlarm, or until a key press (the PinAlarm). sleep_memory: on the nordic port a
separate RAM area (ports/nordic/common-hal/alarm/SleepMemory.c), kept off the heap here in
/.model/sleep_memory.bin."""

import _model
from microcontroller import _Nvm


class _SleepMemory(_Nvm):
    def __len__(self):
        return 256


sleep_memory = _SleepMemory("/.model/sleep_memory.bin")
wake_alarm = None


def light_sleep_until_alarms(*alarms):
    import alarm.pin
    import alarm.time

    deadline = None
    pin = None
    for a in alarms:
        if isinstance(a, alarm.time.TimeAlarm):
            deadline = a.monotonic_time
        elif isinstance(a, alarm.pin.PinAlarm):
            pin = a
    ms = 0 if deadline is None else max(0, int((deadline - _model.now_ns / 1e9) * 1000))
    if _model.wait("l", ms) and pin is not None:
        return pin
    for a in alarms:
        if isinstance(a, alarm.time.TimeAlarm):
            return a
    return None
