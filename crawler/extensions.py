"""Progress: a live progress display on stderr.

Every ``PORTAL_AUDIT_PROGRESS_INTERVAL`` seconds it prints, per site, the
pages parsed, URLs checked, suspected problems so far, the scheduler queue
size and the overall rate. On a terminal the lines are redrawn in place.

In a crawl process of a parallel run (``crawl.processes``) it writes its lines to
``PORTAL_AUDIT_PROGRESS_FILE`` instead; the parent shows every process's lines
with :func:`show_files`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class Board:
    """Lines on a stream, redrawn in place on a terminal."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.drawn = 0

    def show(self, lines: list[str], final: bool = False) -> None:
        if self.tty and self.drawn:
            self.stream.write(f"\x1b[{self.drawn}F\x1b[J")
        self.stream.write("\n".join(lines) + "\n")
        self.stream.flush()
        self.drawn = len(lines) if self.tty and not final else 0


def show_files(board: Board, paths: list[Path], final: bool = False) -> None:
    """Every crawl process's latest lines (see ``PORTAL_AUDIT_PROGRESS_FILE``), one block each."""
    lines = []
    for i, path in enumerate(paths, 1):
        try:
            text = path.read_text(encoding="utf-8").rstrip("\n")
        except FileNotFoundError:
            text = "[portal-audit] 正在启动…"
        first, *rest = text.split("\n")
        lines += [f"{first} · 进程 {i}/{len(paths)}", *rest]
    board.show(lines, final)


class Progress:
    def __init__(self, crawler, interval: float, stream=None, path: str | None = None):
        self.crawler = crawler
        self.interval = interval
        self.board = Board(stream)
        self.path = Path(path) if path else None
        self.task = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("PORTAL_AUDIT_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval, path=crawler.settings.get("PORTAL_AUDIT_PROGRESS_FILE"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self.started = time.monotonic()
        self.task = task.LoopingCall(self.draw, spider)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider, reason):
        if self.task and self.task.running:
            self.task.stop()
        self.draw(spider, final=True)

    def lines(self, spider) -> list[str]:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        queue = _queue_size(self.crawler)
        total = 0
        out = []
        for st in spider.sites.values():
            total += st.fetches
            cap = "（已达页面上限）" if st.capped else ""
            out.append(f"  {st.name}: 页面 {st.pages} · 已检查链接 {st.fetches} · 疑似问题 {st.problems}{cap}")
        head = f"[portal-audit] 已用 {elapsed:.0f} 秒 · 队列 {queue} · {total / elapsed:.1f} 个/秒"
        return [head, *out]

    def draw(self, spider, final: bool = False) -> None:
        lines = self.lines(spider)
        if self.path is None:
            self.board.show(lines, final)
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


def _queue_size(crawler) -> int:
    engine = crawler.engine
    slot = getattr(engine, "_slot", None) or getattr(engine, "slot", None)
    try:
        return len(slot.scheduler) if slot else 0
    except TypeError:
        return 0
