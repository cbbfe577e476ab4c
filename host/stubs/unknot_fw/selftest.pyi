# The board bring-up self-test (docs/firmware.md "Self-test"): report format and the runner.
from collections.abc import Callable
from typing import Final

REQ_SELFTEST: Final[str]
REQ_SELFTEST_REPORT: Final[str]
RESP_SELFTEST: Final[str]
SELFTEST_START: Final[int]
SELFTEST_REPORT: Final[int]
SELFTEST_NONE: Final[int]
SELFTEST_RUNNING: Final[int]
SELFTEST_DONE: Final[int]
PASS: Final[str]
FAIL: Final[str]
SKIP: Final[str]
PREFIX: Final[str]
REPORT_VERSION: Final[int]
HEAP: Final[str]
INFO: Final[str]
MARKS: Final[str]
CHECKS: Final[tuple[str, ...]]

class SelfTest:
    """Driven by the App loop; `app` is a firmware App (typed by its own module)."""

    app: object
    out: Callable[[str], object]
    results: list[tuple[str, str, str]]
    state: int
    def __init__(self, app: object, now: int, out: Callable[[str], object] = ...) -> None: ...
    @property
    def done(self) -> bool: ...
    @property
    def waiting_for_press(self) -> bool: ...
    def idle(self) -> bool: ...
    def on_press(self, t: int) -> None: ...
    def poll(self, now: int) -> int | None: ...
    def counts(self) -> dict[str, int]: ...
    def report(self) -> list[str]: ...


OK: Final[int]
BUSY: Final[int]
BAD_ARG: Final[int]
BAD_LENGTH: Final[int]

def control(app: object, data: bytes, room: int) -> tuple[int, bytes | None]: ...
