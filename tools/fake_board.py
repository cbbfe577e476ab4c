#!/usr/bin/env python3
"""A serial "board" with no hardware: the real MicroPython unix port behind a pseudo-terminal.

    python tools/fake_board.py [--root DIR] [--readonly] [--heapsize 128k]

prints the pty path (e.g. /dev/pts/7) on its first stdout line, then serves until killed or
until its stdin closes. `mpremote connect /dev/pts/7 fs ls :` and unknot's serial transport
talk to it exactly as to a board: raw REPL, raw-paste, Ctrl-C, soft reset.

- The device filesystem root `/` is DIR (a VfsPosix mount), so `/routines/x.unk` on the
  "board" is DIR/routines/x.unk on the host.
- --readonly mounts that root read-only: writes fail with OSError 30 (EROFS), which is what
  CircuitPython answers while its USB drive is mounted on a computer.
- A soft reset (Ctrl-D in the raw or friendly REPL) ends the micropython process; this
  program then prints "soft reboot", starts a fresh one and, if the reset came from the raw
  REPL, puts it back into the raw REPL (what mpremote expects from a board).
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import tty

_BOOT = """\
import vfs, os, sys
vfs.umount('/')
vfs.mount(vfs.VfsPosix({root!r}), '/', readonly={ro})
os.chdir('/')
sys.path.insert(0, '/lib')  # as on a CircuitPython board (paths are now inside the root)
del vfs, os, sys
"""


class Board:
    def __init__(self, root: str, readonly: bool, heapsize: str) -> None:
        self.root = os.path.abspath(root)
        self.readonly = readonly
        self.heapsize = heapsize
        fd, self.boot = tempfile.mkstemp(prefix="fake_board_boot_", suffix=".py")
        with os.fdopen(fd, "w") as f:
            f.write(_BOOT.format(root=self.root, ro=readonly))
        self.proc: subprocess.Popen[bytes] | None = None
        self.child = -1
        self.raw = False  # last mode the host asked for (Ctrl-A raw, Ctrl-B friendly)

    def start(self) -> None:
        master, slave = pty.openpty()
        tty.setraw(slave)  # no "\n" -> "\r\n" translation: a board sends exactly what it prints
        env = dict(os.environ, MICROPYPATH=f"{self.root}/lib:{self.root}:.frozen")
        self.proc = subprocess.Popen(
            ["micropython", "-X", f"heapsize={self.heapsize}", "-i", self.boot],
            stdin=slave, stdout=slave, stderr=slave, env=env, cwd=self.root,
            close_fds=True, start_new_session=True,
        )
        os.close(slave)
        self.child = master
        if self.raw:
            os.write(self.child, b"\r\x01")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        if self.child >= 0:
            os.close(self.child)
            self.child = -1

    def close(self) -> None:
        self.stop()
        os.unlink(self.boot)


def serve(board: Board, host: int) -> None:
    board.start()
    watch_stdin = not sys.stdin.isatty()
    while True:
        fds = [host, board.child] + ([sys.stdin.fileno()] if watch_stdin else [])
        ready, _, _ = select.select(fds, [], [], 1.0)
        if watch_stdin and sys.stdin.fileno() in ready and not os.read(sys.stdin.fileno(), 1):
            return  # the parent went away
        if host in ready:
            data = os.read(host, 4096)
            for byte in data:
                if byte == 0x01:
                    board.raw = True
                elif byte == 0x02:
                    board.raw = False
            os.write(board.child, data)
        if board.child in ready:
            try:
                out = os.read(board.child, 4096)
            except OSError:  # EIO: micropython exited (soft reset)
                out = b""
            if out:
                os.write(host, out)
            else:
                board.stop()
                os.write(host, b"soft reboot\r\n")
                board.start()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=".", help="host directory that is the board's / ")
    ap.add_argument("--readonly", action="store_true", help="mount / read-only (EROFS)")
    ap.add_argument("--heapsize", default="256k")
    args = ap.parse_args()
    host, slave = pty.openpty()
    tty.setraw(slave)
    # Keep our own handle on the slave side open: reads on the master then never fail with
    # EIO while no client is connected, and clients can come and go.
    print(os.ttyname(slave), flush=True)
    board = Board(args.root, args.readonly, args.heapsize)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve(board, host)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        board.close()


if __name__ == "__main__":
    main()
