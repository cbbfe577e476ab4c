"""The board model's entry point (`micropython -m boardmain`): vary the allocation order by
the seed (a few hundred bytes of small objects stay alive between holes, as CircuitPython's
own objects would), then run /code.py as the board does (compiled from source at boot). The
firmware's loop never returns; the scenario ends the run (SystemExit from a wait)."""

import _model

_junk = _model.shuffle_heap()
_model.cpu_run()
import code  # noqa: E402,F401
