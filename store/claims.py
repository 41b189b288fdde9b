"""Claims: which crawl process of a run checks an off-site URL.

With ``crawl.processes`` > 1 the sites are dealt to separate processes; an external link (or an
attachment or resource on another host) that sites of two processes link would be checked by
each. The processes share one small SQLite file (:func:`store.parts.claims_path` beside a SQLite
store's part files; in the run's scratch directory for a store with concurrent writers): a
process claims a URL (``INSERT OR IGNORE``) before it requests it, and a URL another process
claimed first is not requested; its link rows resolve to the claimer's fetch row, which is the
run's one row of that URL whichever store file it is written to.

A claimer that dies (killed, crashed, stopped by Ctrl-C) before its answer is stored would leave
those links without a fetch: :func:`answer_unanswered`, run once the processes have ended and
their rows are in the store, writes each claimed URL without a fetch row as inconclusive
(``outcome = error``, reported by ``link.inconclusive``), never as fine and never silently.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from core.models import Outcome
from core.text import now_iso

log = logging.getLogger(__name__)

CLAIMER_DIED = "负责检查该链接的采集进程未完成（进程中止），未得到检查结果，请人工核实"
_SCHEMA = "CREATE TABLE IF NOT EXISTS claims (url TEXT PRIMARY KEY, pid INTEGER, site TEXT, kind TEXT, depth INTEGER)"


def create_claims(path: str | Path) -> None:
    """A fresh claims file at ``path`` (one of an earlier attempt is removed)."""
    remove_claims(path)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(_SCHEMA)
        db.commit()
    finally:
        db.close()


def remove_claims(path: str | Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class Claims:
    """One crawl process's connection to the run's claims file."""

    def __init__(self, path: str | Path):
        self.pid = os.getpid()
        # autocommit: each claim is one short write transaction, seen by the others at once; the
        # file is scratch (a lost claim is only a URL checked twice), so no fsync
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA synchronous = OFF")

    def claim(self, url: str, site: str, kind: str, depth: int) -> bool:
        """Is ``url`` this process's to request (no other process claimed it first)? A claims
        file that cannot be written answers yes: a URL checked twice, never one lost."""
        try:
            return self.db.execute("INSERT OR IGNORE INTO claims VALUES (?, ?, ?, ?, ?)",
                                   (url, self.pid, site, kind, depth)).rowcount == 1
        except sqlite3.Error as exc:
            log.warning("claiming %s failed (%s); checking it here", url, exc)
            return True

    def close(self) -> None:
        self.db.close()


def answer_unanswered(path: str | Path, store, run_id: int) -> list[str]:
    """Write an inconclusive fetch row (its claimer's site, kind and depth) for every URL
    claimed in ``path`` that has no fetch row in run ``run_id``; returns those URLs. Call once
    every crawl process of the run has ended and its rows are in ``store``."""
    if not Path(path).exists():
        return []
    db = sqlite3.connect(path)
    try:
        claimed = db.execute("SELECT url, site, kind, depth FROM claims ORDER BY url").fetchall()
    finally:
        db.close()
    rows = []
    for start in range(0, len(claimed), 500):
        chunk = claimed[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        have = {r[0] for r in store.query(f"SELECT url FROM fetches WHERE run_id = ? AND url IN ({marks})",
                                          (run_id, *(c[0] for c in chunk)))}
        rows += [{"run_id": run_id, "site": site, "url": url, "host": (urlsplit(url).hostname or "").lower(),
                  "kind": kind, "depth": depth, "method": None, "status": None, "outcome": Outcome.ERROR.value,
                  "error": CLAIMER_DIED, "attempts": 0, "elapsed": 0.0, "redirects_json": "[]", "final_url": None,
                  "fetched_at": now_iso()}
                 for url, site, kind, depth in chunk if url not in have]
    if rows:
        store.insert_many("fetches", rows, conflict=("run_id", "url"))
        log.warning("%d claimed URLs had no answer (their crawl process ended first): recorded as inconclusive",
                    len(rows))
    return [r["url"] for r in rows]
