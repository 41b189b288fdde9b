"""StorePipeline: streams gathered rows into the store in batched transactions.

Settings: ``PORTAL_AUDIT_STORE`` (path), ``PORTAL_AUDIT_RUN_ID``,
``PORTAL_AUDIT_BATCH`` (rows per transaction, default 500).
"""

from __future__ import annotations

import logging
from collections import defaultdict

from crawler import documents
from crawler.items import Rows
from crawler.requestlog import REQUEST_SENT
from store import Store

log = logging.getLogger(__name__)

CONFLICT_KEYS = {"pages": ("run_id", "url"), "fetches": ("run_id", "url"), "links": (),
                 "attachment_texts": ("run_id", "url"), "requests": ()}


class StorePipeline:
    def __init__(self, path: str, run_id: int, batch: int, stats):
        self.path, self.run_id, self.batch, self.stats = path, run_id, batch, stats
        self.buffers: dict[str, list[dict]] = defaultdict(list)
        self.store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        pipe = cls(s.get("PORTAL_AUDIT_STORE"), s.getint("PORTAL_AUDIT_RUN_ID"),
                   s.getint("PORTAL_AUDIT_BATCH", 500), crawler.stats)
        crawler.signals.connect(pipe.request_sent, signal=REQUEST_SENT)
        return pipe

    def open_spider(self, spider=None):
        self.store = Store(self.path)

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

    def flush(self, table: str) -> None:
        rows = self.buffers.pop(table, [])
        if rows:
            self.store.insert_many(table, rows, conflict=CONFLICT_KEYS[table])

    def close_spider(self, spider=None):
        for table in list(self.buffers):
            self.flush(table)
        self.store.attach_document_texts(self.run_id, documents.MAX_TEXT)
        self.store.close()
