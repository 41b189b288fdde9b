"""One writer at a time: an advisory ``fcntl.flock`` on a file beside the store.

Every command that changes the store's history (``run``, ``recheck``, ``feedback
import``, ``prune``, ``demo``) holds the lock for its whole duration. A second one
started meanwhile does not wait: it raises :class:`LockHeld` at once, and the CLI
exits with :data:`EXIT_LOCKED` (75, ``EX_TEMPFAIL`` of sysexits.h: "try again later")
and a Chinese message naming the holder. The kernel releases the lock when the
holder exits, however it exits (Ctrl-C, kill -9, a crash): there is no stale lock
to clean up. The lock file itself stays; its content (pid, command, start time) is
informational only.

A PostgreSQL store (``store.url``) is locked the same way by a session advisory lock
(:class:`store.pg.AdvisoryLock`): it holds across machines, and the server releases it
when the holder's connection ends; the holder is named by its connection's
``application_name``.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
from datetime import datetime
from pathlib import Path

from store.db import is_url, redacted

EXIT_LOCKED = 75


class LockHeld(Exception):
    """Another portal-audit process holds the lock of this store."""

    def __init__(self, path: Path | str, holder: dict, what_lock: str = "锁文件"):
        self.path = path
        self.holder = holder
        pid = holder.get("pid", "?")
        what = holder.get("command") or "portal-audit"
        since = holder.get("started") or "未知时间"
        host = f"{holder['host']} 上的" if holder.get("host") else ""
        super().__init__(
            f"另一个检查任务正在使用同一数据库（{host}进程 {pid}，{what}，开始于 {since}），"
            f"本次未执行；请待其结束后再试。{what_lock}：{path}"
        )


def lock_path(store_path: str | Path, suffix: str = ".lock") -> Path:
    store_path = Path(store_path)
    return store_path.with_name(store_path.name + suffix)


class StoreLock:
    """``with StoreLock(store_path, "run"):`` — exclusive, non-blocking. ``suffix`` names
    another lock beside the store (the availability watch holds ``<store>.watch.lock``, so
    that it never overlaps itself but keeps probing while an audit runs)."""

    def __new__(cls, store_path: str | Path, command: str = "", suffix: str = ".lock"):
        return super().__new__(AdvisoryStoreLock if cls is StoreLock and is_url(store_path) else cls)

    def __init__(self, store_path: str | Path, command: str = "", suffix: str = ".lock"):
        self.path = lock_path(store_path, suffix)
        self.command = command
        self.fd: int | None = None

    def info(self) -> dict:
        return {"pid": os.getpid(), "command": self.command or " ".join(sys.argv[1:3]),
                "started": datetime.now().astimezone().isoformat(timespec="seconds")}

    def acquire(self) -> "StoreLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise LockHeld(self.path, holder) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(self.info(), ensure_ascii=False).encode("utf-8"), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            finally:
                os.close(self.fd)
                self.fd = None

    def __enter__(self) -> "StoreLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


class AdvisoryStoreLock(StoreLock):
    """The lock of a PostgreSQL store: an advisory lock named after ``suffix``, its holder
    (host, pid, command, start) in the application name of the connection holding it."""

    def __init__(self, store_path: str, command: str = "", suffix: str = ".lock"):
        from store.pg import AdvisoryLock   # deferred: psycopg is needed for a PostgreSQL store only
        self.path = redacted(store_path)
        self.command = command
        info = self.info()
        # at most 63 bytes are kept: what matters most first
        holder = f"portal-audit {info['pid']} {info['started']} {socket.gethostname()} {info['command']}"
        self.lock = AdvisoryLock(store_path, f"portal-audit{suffix}", holder)

    def acquire(self) -> "StoreLock":
        if not self.lock.acquire():
            raise LockHeld(self.path, _holder_of(self.lock.holder_name()), "PostgreSQL 咨询锁（advisory lock）")
        return self

    def release(self) -> None:
        self.lock.release()


def _holder_of(application_name: str | None) -> dict:
    """The holder described by an :class:`AdvisoryStoreLock`'s application name."""
    parts = (application_name or "").split(" ", 4)
    if len(parts) < 4 or parts[0] != "portal-audit":
        return {}
    return {"pid": parts[1], "started": parts[2], "host": parts[3], "command": parts[4] if len(parts) > 4 else ""}


def _read_holder(fd: int) -> dict:
    try:
        data = os.pread(fd, 4096, 0).decode("utf-8", "replace")
        value = json.loads(data) if data.strip() else {}
        return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        return {}
