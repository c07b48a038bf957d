"""One run per pipeline output directory at a time: an advisory lock file.

`run` and the scheduler take the lock before any work; a second run on the same output
directory refuses at once with a message naming the holder, and the metadata store never sees
two writers. The lock is released by the kernel if the holder dies, even by kill -9.
"""

from __future__ import annotations

import fcntl
import os

LOCK_FILE = "run.lock"


class AlreadyRunning(RuntimeError):
    """Another run holds the lock of this output directory."""


class RunLock:
    """`with RunLock(output_dir):` holds the directory's lock or raises AlreadyRunning."""

    def __init__(self, output_dir: str):
        self.path = os.path.join(os.path.abspath(output_dir), LOCK_FILE)
        self._handle = None

    def __enter__(self) -> "RunLock":
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise AlreadyRunning(
                f"another run is in progress on {os.path.dirname(self.path)} (pid {holder}); "
                "wait for it to finish, or use another --output-dir") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc_info) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
