"""The board model's floor (`micropython -m floor`): the VM with the stand-ins the firmware
run imported (UNKNOT_MODEL_IMPORTS) and no firmware; waits until the scenario ends it."""

import _model
from uos import getenv

for _name in (getenv("UNKNOT_MODEL_IMPORTS") or "").split():
    __import__(_name)
del _name
while True:
    _model.wait("s", 1000)
