# Typed view of the firmware core (firmware/lib/unknot), loaded on the host as `unknot_fw`
# by unknot.fwload and used through unknot.core. tests/host/test_core_facade.py runs mypy's
# stubtest to prove these stubs match the runtime modules.
FIRMWARE_VERSION: str
