# Typed view of the firmware core package (firmware/lib/unknot/__init__.py), loaded on the
# host as `unknot_fw` by unknot.fwload. Checked against the runtime by tests/host/test_core_stubs.py.
FIRMWARE_VERSION: str
