"""The CPU runs' stand-in for the firmware's `gc` (cp/_model.py `cpu_run`; never imported in
the heap runs, so its names are not in the floor): a collection the firmware asks for is
reported to the host instead of run, and `gc.mem_free()` (unknot.mods.drop's heap marks) is
C on the board, whose cost is its heap's, not this VM's 32 MiB (scenario.CCalls
"memfree")."""

import gc

import host


class Collections:
    def collect(self):
        host.call("gc", "")

    def mem_free(self):
        host.call("c(", "")
        free = gc.mem_free()
        host.call("memfree", "")
        host.call("c)", "")
        return free
