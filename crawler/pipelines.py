"""StorePipeline: streams gathered rows into the store in batched transactions.

Settings: ``PORTAL_AUDIT_STORE`` (path), ``PORTAL_AUDIT_RUN_ID``,
``PORTAL_AUDIT_BATCH`` (rows per transaction, default 500), ``PORTAL_AUDIT_FLUSH_INTERVAL``
(seconds, default 2: what is held is written at least that often, so a process killed on a
slow site loses the last seconds' rows, not all it held below a batch).

Nothing gathered is lost without a trace, whichever the store: a batch whose write fails
(what :attr:`store.db.Store.write_failures` names: a value the database cannot store, a
disk full for a moment, a locked or read-only file, a lost PostgreSQL connection) is
retried row by row; a row that still fails is recorded in ``write_errors`` with the reason
(and, when even that record cannot be written, kept in memory and retried when the spider
closes). Lost rows are counted per site and table in the crawl stats
(``portal_audit/write_errors/<site>/<table>``): the runner marks such a run
``completed_with_errors`` and the history proves no fix for those sites.

When the spider closes, each site's pages get their column and list date decided again
from all the facts (:mod:`crawler.settle`), and a page read under two URLs (``dir/`` and
``dir/index.html``) is stored under ``dir/``, so that neither depends on the crawl order.

A spider with a ``fence`` (a Scrapyd job: run id, site, attempt) writes through a fenced
store (:meth:`store.db.Store.fence`): once its site was scheduled again elsewhere or its run
interrupted, the store refuses its writes; the pipeline then drops what it holds, writes
nothing more and closes the spider (reason ``superseded``).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from urllib.parse import urlsplit

from twisted.internet.task import LoopingCall

from crawler import documents
from crawler.items import CARRIED_LINKS, Rows
from crawler.requestlog import REQUEST_SENT
from crawler.settle import settle_pages
from store import Store, Superseded
from store.db import now_iso
from store.parts import is_part

log = logging.getLogger(__name__)

# a part file's tables whose secondary indexes are built once, after the crawl (see open_spider)
DEFERRED_INDEX_TABLES = ("pages", "links", "fetches", "requests")
CONFLICT_KEYS = {"pages": ("run_id", "url"), "fetches": ("run_id", "url"), "links": (),
                 "attachment_texts": ("run_id", "url"), "requests": ()}
STAT_PREFIX = "portal_audit/write_errors"
MAX_PENDING = 10_000     # write_errors records kept in memory while even they cannot be stored
MAX_ROW_JSON = 4000


class StorePipeline:
    def __init__(self, path: str, run_id: int, batch: int, stats, flush_interval: float = 2.0):
        self.path, self.run_id, self.batch, self.stats = path, run_id, batch, stats
        self.flush_interval = flush_interval
        self.ticker = LoopingCall(self.flush_all)
        self.buffers: dict[str, list[dict]] = defaultdict(list)
        self.pending: list[dict] = []     # write_errors records not stored yet
        self.store: Store | None = None
        self.crawler = None
        self.superseded = False           # the store refused this attempt's writes: write nothing more
        self.deferred: list[str] = []     # indexes dropped while the rows stream in, built at the end

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        pipe = cls(s.get("PORTAL_AUDIT_STORE"), s.getint("PORTAL_AUDIT_RUN_ID"),
                   s.getint("PORTAL_AUDIT_BATCH", 500), crawler.stats, s.getfloat("PORTAL_AUDIT_FLUSH_INTERVAL", 2.0))
        crawler.signals.connect(pipe.request_sent, signal=REQUEST_SENT)
        pipe.crawler = crawler
        return pipe

    def open_spider(self, spider=None):
        self.store = Store(self.path)
        fence = getattr(self.crawler.spider, "fence", None)     # (run id, site, attempt) of a Scrapyd job
        if fence:
            self.store.fence(*fence)
        elif is_part(self.path):
            # a crawl process's own fresh file, read only after the crawl (settle, merge): its
            # secondary indexes are sorted once at the end instead of kept up row by row
            self.deferred = self.store.defer_indexes(DEFERRED_INDEX_TABLES)
        if self.flush_interval > 0:
            self.ticker.start(self.flush_interval, now=False)

    def process_item(self, item, spider=None):
        if isinstance(item, Rows):
            for table, rows in item.tables.items():
                buf = self.buffers[table]
                for row in rows:
                    row["run_id"] = self.run_id
                    buf.append(row)
                self.stats.inc_value(f"portal_audit/rows/{table}", len(rows))
                if len(buf) >= self.batch:
                    self.flush(table)
        return item

    def request_sent(self, row: dict) -> None:
        """A ``requests`` row from :class:`crawler.requestlog.RequestLog`."""
        row["run_id"] = self.run_id
        buf = self.buffers["requests"]
        buf.append(row)
        if len(buf) >= self.batch and self.store is not None:
            self.flush("requests")

    def flush_all(self) -> None:
        for table in list(self.buffers):
            self.flush(table)

    def flush(self, table: str) -> None:
        rows = self.buffers.pop(table, [])
        if not rows or self.superseded:
            return
        try:
            if table == CARRIED_LINKS:
                self._carry(rows)
            else:
                self._write(table, rows)
        except Superseded as exc:
            self._superseded(exc)

    def _carry(self, marks: list[dict]) -> None:
        """The link rows of pages that answered 304, copied from the previous run by the store,
        per site in one statement; when that fails, the previous run's rows read here and
        written as any others (row by row, a lost row recorded)."""
        previous = self.crawler.spider.previous
        pages: dict[tuple[str, int], list[str]] = defaultdict(list)
        for mark in marks:
            pages[(mark["site"], mark["from_run"])].append(mark["source_url"])
        for (site, from_run), urls in pages.items():
            try:
                n = self.store.carry_links(self.run_id, site, urls, previous.location, from_run)
                self.stats.inc_value("portal_audit/rows/links", n)
                continue
            except self.store.write_failures as exc:
                log.warning("copying the links of %d pages of %s from run %d failed (%s: %s); writing them one by one",
                            len(urls), site, from_run, type(exc).__name__, exc)
            for url in urls:
                try:
                    rows = [{**row, "run_id": self.run_id, "site": site} for row in previous.link_rows(url)]
                except previous.store.write_failures as exc:
                    self._lost("links", {"site": site, "source_url": url}, exc)
                    continue
                self._write("links", rows)

    def _write(self, table: str, rows: list[dict]) -> None:
        try:
            self.store.insert_many(table, rows, conflict=CONFLICT_KEYS[table])
            return
        except self.store.write_failures as exc:
            log.warning("writing %d %s rows failed (%s: %s); retrying row by row",
                        len(rows), table, type(exc).__name__, exc)
        for row in rows:
            try:
                self.store.insert_many(table, [row], conflict=CONFLICT_KEYS[table])
            except self.store.write_failures as exc:
                self._lost(table, row, exc)
        self._store_pending()

    def _superseded(self, exc: Superseded) -> None:
        from scrapy.utils.defer import deferred_from_coro    # deferred: Scrapy, only when a job was superseded

        log.warning("%s; closing the spider", exc)
        self.superseded = True
        self.buffers.clear()
        engine = self.crawler.engine
        if engine.spider is not None:      # closing already: this waits for it
            deferred_from_coro(engine.close_spider_async(reason="superseded"))

    def _lost(self, table: str, row: dict, exc: BaseException) -> None:
        site = row.get("site") or ""
        self.stats.inc_value(STAT_PREFIX)
        self.stats.inc_value(f"{STAT_PREFIX}/{site}/{table}")
        url = row.get("url") or row.get("source_url")
        log.warning("row of %s lost (%s: %s): %s", table, type(exc).__name__, exc, url)
        if len(self.pending) < MAX_PENDING:
            self.pending.append({
                "run_id": self.run_id, "site": site, "table_name": table,
                "url": None if url is None else str(url)[:2000],
                "reason": reason(exc)[:500],
                "row_json": json.dumps(row, ensure_ascii=False, default=str)[:MAX_ROW_JSON], "at": now_iso(),
            })

    def _store_pending(self) -> None:
        if not self.pending:
            return
        try:
            self.store.insert_many("write_errors", self.pending)
            self.pending = []
        except self.store.write_failures as exc:
            log.warning("recording %d lost rows failed too (%s); kept for later", len(self.pending), exc)

    def close_spider(self, spider=None):
        if self.ticker.running:
            self.ticker.stop()
        self.flush_all()
        if self.deferred:
            try:
                self.store.build_indexes(self.deferred)
            except self.store.write_failures as exc:   # settle and the merge read it all the same, slower
                log.warning("building the part file's indexes failed (%s: %s)", type(exc).__name__, exc)
            self.deferred = []
        try:
            if not self.superseded:
                self._settle()
        except Superseded as exc:
            self._superseded(exc)
        self.store.close()

    def _settle(self) -> None:
        """Each site's pages stored as the whole crawl decides (document texts, one URL per page,
        columns and list dates), then the lost rows' records still held."""
        spider = getattr(self.crawler, "spider", None)
        if getattr(spider, "hops", None) is not None:
            self._shared_fetches(spider.hops)
        for st in getattr(spider, "sites", {}).values():
            try:
                self.store.attach_document_texts(self.run_id, st.name, documents.MAX_TEXT)
            except self.store.write_failures as exc:
                self._lost("pages", {"site": st.name, "url": "（文章所附文件的正文）"}, exc)
            try:
                for other, read_as in st.twins.items():
                    if urlsplit(other).path.endswith("/") and not urlsplit(read_as).path.endswith("/"):
                        # one page under two URLs: stored as ``dir/``, whichever answered first
                        self.store.rename_page(self.run_id, read_as, other)
                self.store.update_page_facts(self.run_id, settle_pages(
                    self.store.page_facts(self.run_id, st.name),
                    self.store.page_links_by_target(self.run_id, st.name), st.columns))
            except self.store.write_failures as exc:
                self._lost("pages", {"site": st.name, "url": "（页面所属栏目与列表日期）"}, exc)
        self._store_pending()

    def _shared_fetches(self, hops) -> None:
        """The fetch rows of URLs another request answered (crawler/hops.py: a redirect's hop
        linked directly too), with the attachment text that request read; a page read through
        a chain whose last hop is linked directly is stored under that URL, its own."""
        try:
            made = hops.rows(lambda url: self.store.fetch(self.run_id, url))
        except self.store.write_failures as exc:
            self._lost("fetches", {"site": "", "url": "（跳转目标的检查结果）"}, exc)
            return
        for row, _ in made:
            row["run_id"] = self.run_id
        self._write("fetches", [row for row, _ in made])
        for row, source in made:
            if source == row["url"]:
                continue
            try:
                if row["kind"] == "attachment":
                    self.store.copy_attachment_text(self.run_id, source, row["url"], row["site"])
                elif row["kind"] == "page" and row["redirects_json"] == "[]":
                    page = self.store.page(self.run_id, source)
                    if (page is not None and page["final_url"] == row["url"] and page["site"] == row["site"]
                            and self.store.page(self.run_id, row["url"]) is None):
                        self.store.rename_page(self.run_id, source, row["url"])
            except self.store.write_failures as exc:
                self._lost("pages", {"site": row["site"], "url": row["url"]}, exc)


def reason(exc: BaseException) -> str:
    """Why a write failed, in one line: the error's type and its message's first line
    (PostgreSQL's message goes on with where in the server it was raised)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def lost_rows(stats) -> dict[str, dict[str, int]]:
    """{site: {table: rows lost}} from a crawl's stats."""
    out: dict[str, dict[str, int]] = {}
    for key, value in (stats.get_stats() if stats else {}).items():
        if key.startswith(STAT_PREFIX + "/"):
            site, _, table = key[len(STAT_PREFIX) + 1:].rpartition("/")
            out.setdefault(site, {})[table] = int(value)
    return out
