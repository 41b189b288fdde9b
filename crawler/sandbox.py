"""Hostile files parsed in a bounded sandbox.

The download cap limits bytes on the wire, not what openpyxl, python-docx and pdfminer
expand them into (an 83 KB XLSX of shared strings took 31 s and 210 MB, a 199 KB DOCX
1.4 GB). So every attachment and every returned ledger is parsed in a separate worker
process, forked from a ``forkserver`` that has the parsers preloaded, under limits set
with :func:`resource.setrlimit` in the worker:

- CPU time (``RLIMIT_CPU``: SIGXCPU, then SIGKILL one second later),
- address space (``RLIMIT_AS``: the worker's own size at start plus the budget; a bigger
  allocation fails with MemoryError),
- wall time, watched by the parent, which kills the worker when it is over.

At most :data:`POOL_SIZE` workers run at a time (:func:`parse_async` queues the rest on a
thread pool, so the crawler's event loop never waits). A file over a limit raises
:class:`ParseLimit` with the reason; the caller records the outcome ``parse_limit`` and
goes on. ``should_stop`` (the crawler's "still running?") is polled every 50 ms: on Ctrl-C
the worker is killed at once.

A worker needs nothing of the parent's ``__main__``, but multiprocessing re-runs the main
script in every forkserver child (as ``__mp_main__``) unless the child's ``__main__`` already
names that file, and the forkserver cannot be told the path (CPython drops its ``main_path``).
For ``portal-audit`` that re-run imported the whole CLI, 0.3 s a file, the crawl's bottleneck.
So the parent's main (its path, or its module under ``python -m``) goes to the forkserver in
:data:`MAIN_ENV`, and this module, preloaded there, gives the forkserver's ``__main__`` that
``__file__`` or ``__spec__`` before any worker is forked.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from multiprocessing import spawn
from typing import Any

POOL_SIZE = 2
PRELOAD = ["crawler.sandbox", "crawler.documents", "openpyxl", "docx", "pdfminer.high_level"]
POLL = 0.05
MAIN_ENV = "PORTAL_AUDIT_SANDBOX_MAIN"


def _main_to_skip() -> str:
    """How multiprocessing would re-run the parent's main in a child: ``path:FILE``,
    ``name:MODULE`` (``python -m``), or empty."""
    data = spawn.get_preparation_data("sandbox")
    if "init_main_from_name" in data:
        return f"name:{data['init_main_from_name']}"
    return f"path:{data['init_main_from_path']}" if "init_main_from_path" in data else ""


def _adopt_main(main: str) -> None:
    """In the forkserver: make its ``__main__`` look like the parent's, which is what
    multiprocessing checks before re-running it in a child."""
    kind, _, value = main.partition(":")
    if kind == "path":
        sys.modules["__main__"].__file__ = value
    elif kind == "name":
        sys.modules["__main__"].__spec__ = ModuleSpec(value, None)


if multiprocessing.parent_process() is None and "multiprocessing.forkserver" in sys.modules \
        and os.environ.get(MAIN_ENV) and not getattr(sys.modules["__main__"], "__file__", None):
    _adopt_main(os.environ[MAIN_ENV])   # imported in the forkserver (``python -c``) as a preload


@dataclass(frozen=True)
class Limits:
    wall: float = 20.0                  # seconds, watched by the parent
    cpu: float = 15.0                   # CPU seconds of the worker
    memory: int = 512 * 1024 * 1024     # bytes of address space beyond the worker's own

    @classmethod
    def of(cls, crawl) -> "Limits":
        """The limits a :class:`~portal_audit.config.CrawlConfig` sets (``parse_time_limit``
        for wall and CPU time, ``parse_memory_limit``)."""
        return cls(wall=crawl.parse_time_limit, cpu=crawl.parse_time_limit, memory=crawl.parse_memory_limit)


class ParseLimit(Exception):
    """The file went over a limit (or the crawl stopped); the message says which (zh-CN)."""


_context = None
_context_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _mp():
    global _context
    with _context_lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            os.environ[MAIN_ENV] = _main_to_skip()   # inherited by the forkserver when it starts
            _context = ctx
        return _context


def _address_space() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _apply_limits(limits: Limits) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(usage.ru_utime + usage.ru_stime + limits.cpu) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    space = _address_space() + limits.memory
    resource.setrlimit(resource.RLIMIT_AS, (space, space))


def _worker(conn, func, args, limits: Limits) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        _apply_limits(limits)
        result = func(*args)
    except MemoryError:
        message = ("memory", None)
    except Exception as exc:  # noqa: BLE001 - sent back and raised in the parent
        try:
            conn.send(("raise", exc))
            return
        except Exception:  # noqa: BLE001 - an unpicklable exception
            message = ("error", f"{type(exc).__name__}: {exc}"[:300])
    else:
        message = ("ok", result)
    try:
        conn.send(message)
    except MemoryError:
        conn.send(("memory", None))


def _peak_rss(pid: int) -> int:
    """The worker's peak resident set (VmHWM) in bytes, 0 when gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_limited(func: Callable, args: tuple, limits: Limits = Limits(),
                should_stop: Callable[[], bool] | None = None, usage: dict | None = None) -> Any:
    """``func(*args)`` in a fresh worker under ``limits``; its result, or its exception
    raised again here, or :class:`ParseLimit`. ``usage``, when given, gets the wall time
    (``seconds``) and the worker's peak RSS (``peak_rss``, bytes, sampled every 50 ms)."""
    ctx = _mp()
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(sender, func, args, limits), daemon=True)
    started = time.monotonic()
    proc.start()
    sender.close()
    status, value, peak = "wall", None, 0
    try:
        while True:
            peak = max(peak, _peak_rss(proc.pid))
            if receiver.poll(POLL):
                try:
                    status, value = receiver.recv()
                except (EOFError, OSError):
                    status = "died"
                break
            if not proc.is_alive():
                status = "died"
                if receiver.poll(0):
                    continue
                break
            if time.monotonic() - started > limits.wall:
                status = "wall"
                break
            if should_stop is not None and should_stop():
                status = "stopped"
                break
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        receiver.close()
        if usage is not None:
            usage.update(seconds=time.monotonic() - started, peak_rss=peak)
    if status == "ok":
        return value
    if status == "raise":
        raise value
    raise ParseLimit(_reason(status, proc.exitcode, limits, value))


def _reason(status: str, exitcode: int | None, limits: Limits, detail: str | None) -> str:
    if status == "wall":
        return f"解析超过 {limits.wall:g} 秒（墙钟时间上限），已终止"
    if status == "stopped":
        return "检查已中断，解析已终止"
    if status == "memory" or (status == "died" and exitcode in (1, -signal.SIGSEGV, -signal.SIGABRT)):
        return f"解析所需内存超过 {limits.memory // (1024 * 1024)} MB 上限，已终止"
    if status == "died" and exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
        return f"解析超过 {limits.cpu:g} 秒 CPU 时间上限，已终止"
    if status == "error":
        return f"解析出错：{detail}"
    return f"解析进程异常退出（退出码 {exitcode}）"


async def parse_async(func: Callable, args: tuple, limits: Limits = Limits(),
                      should_stop: Callable[[], bool] | None = None) -> Any:
    """:func:`run_limited` without blocking the event loop: at most :data:`POOL_SIZE`
    workers at a time, the others queued."""
    global _executor
    with _context_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="portal-audit-parse")
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, run_limited, func, args, limits, should_stop)
