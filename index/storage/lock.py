"""The index directory's write lock: one writer at a time, across processes.

An ``flock`` on ``INDEX_DIR/write.lock``, so two ``tolk index`` runs or two
gunicorn workers never fight over Whoosh's own per-index lock; a writer that
waits longer than its timeout stops with a message and changes nothing.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path

from index.observe import lock_waited
from index.storage.errors import IndexLockedError

LOCK_FILE = "write.lock"
DEFAULT_LOCK_TIMEOUT = 30.0


@contextmanager
def write_lock(root: Path, timeout: float = DEFAULT_LOCK_TIMEOUT):
    """Hold the index directory's write lock, waiting up to ``timeout`` seconds."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    started = time.monotonic()
    deadline = started + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    lock_waited(time.monotonic() - started, False)
                    raise IndexLockedError(
                        f"another process is writing to {root} and did not finish within "
                        f"{timeout:.0f} s; wait for it to finish (or raise --lock-timeout) "
                        "and run the command again"
                    ) from None
                time.sleep(0.05)
        lock_waited(time.monotonic() - started, True)
        yield
    finally:
        os.close(fd)
