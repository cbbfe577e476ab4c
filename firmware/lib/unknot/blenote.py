"""The last start's BLE outcome (docs/firmware.md "Without BLE"): kept in the nvm with the
persisted settings (`keep`: hw/boards.py `radio`, at a start whose outcome differs from the
one kept), printed by boot.py at the next reset into boot_out.txt (`line`), which
`unknot device info --drive` reads (the BOOT_BLE texts). Never resident.
"""

from .settings import RADIO

# boot.py's line: BOOT_BLE + BOOT_BLE_OK, or BOOT_BLE + BOOT_BLE_FAILED + ": " + the reason
BOOT_BLE = "unknot boot: BLE "
BOOT_BLE_OK = "started at the last start"
BOOT_BLE_FAILED = "unavailable at the last start"


def keep(app, reason):
    """This start's BLE outcome ("" started, else why not: its first 64 characters) into
    the nvm image with the persisted settings (the settings.RADIO line; docs/journal.md
    "Layout"). Flash wear: written (with whatever else waits) only when it differs from the
    kept one in kind (started, or the exception type), so a board failing the same way at
    every start erases no page for it."""
    why = reason[:64].replace("\n", " ")
    kind = why.split(":")[0]
    kept = app.overrides
    old = kept.get(RADIO)
    if old is not None and old.split(":")[0] == kind:
        return
    for kept[RADIO] in (why, kind):  # the type alone if the settings leave no room
        try:
            app.journal.set_settings(app._blob())
            app.flush()
            return
        except ValueError:  # too large for the settings area
            pass
    kept.pop(RADIO)
    if old is not None:
        kept[RADIO] = old


def line(kept):
    """boot.py's line for the outcome kept (settings.RADIO's value; None: nothing kept)."""
    if kept is None:
        return None
    if not kept:
        return BOOT_BLE + BOOT_BLE_OK
    return BOOT_BLE + BOOT_BLE_FAILED + ": " + kept
