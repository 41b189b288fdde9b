"""Claims: which crawl process of a run checks an off-site URL.

With ``crawl.processes`` > 1 the sites are dealt to separate processes; an external link (or an
attachment or resource on another host) that sites of two processes link would be checked by
each. The processes share one small SQLite file (:func:`store.parts.claims_path` beside a SQLite
store's part files; in the run's scratch directory for a store with concurrent writers): a
process claims a URL (``INSERT OR IGNORE``) before it requests it, and a URL another process
claimed first is not requested; its link rows resolve to the claimer's fetch row, which is the
run's one row of that URL whichever store file it is written to. A redirect's hop to an off-site
URL is claimed too (with the chain it belongs to, ``via``): a chain reaching a URL another
process claimed ends there (``chains``), and the parent makes the rows no process could make
alone once their rows are merged — the chain's (its hops, then that URL's answer), and a
hop's that another process links (:func:`hop_claims`, :func:`chains`, with crawler/hops.py).

A claimer that dies (killed, crashed, stopped by Ctrl-C) before its answer is stored would leave
those links without a fetch: :func:`answer_unanswered`, run once the processes have ended and
their rows are in the store, writes each claimed URL without a fetch row (a hop's only when a
page links it) and each ended chain without one as inconclusive (``outcome = error``, reported
by ``link.inconclusive``), never as fine and never silently.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from core.models import Outcome
from core.text import now_iso

log = logging.getLogger(__name__)

CLAIMER_DIED = "负责检查该链接的采集进程未完成（进程中止），未得到检查结果，请人工核实"
_SCHEMA = ("CREATE TABLE IF NOT EXISTS claims (url TEXT PRIMARY KEY, pid INTEGER, site TEXT, kind TEXT, depth INTEGER,"
           " via TEXT);"
           "CREATE TABLE IF NOT EXISTS chains (origin TEXT PRIMARY KEY, site TEXT, kind TEXT, depth INTEGER,"
           " prefix TEXT, target TEXT)")


def create_claims(path: str | Path) -> None:
    """A fresh claims file at ``path`` (one of an earlier attempt is removed)."""
    remove_claims(path)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.executescript(_SCHEMA)
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
        self.others: set[str] = set()   # the URLs another process claimed first

    def claim(self, url: str, site: str, kind: str, depth: int, via: str | None = None) -> bool:
        """Is ``url`` this process's to request (no other process claimed it first)? ``via``:
        the origin of the chain it is a hop of. A claims file that cannot be written answers
        yes: a URL checked twice, never one lost."""
        try:
            if self.db.execute("INSERT OR IGNORE INTO claims VALUES (?, ?, ?, ?, ?, ?)",
                               (url, self.pid, site, kind, depth, via)).rowcount == 1:
                return True
        except sqlite3.Error as exc:
            log.warning("claiming %s failed (%s); checking it here", url, exc)
            return True
        self.others.add(url)
        return False

    def chain(self, origin: str, site: str, kind: str, depth: int, prefix: list[dict], target: str) -> bool:
        """Record that the chain from ``origin`` (its hops so far, ``prefix``) ended at ``target``,
        another process's; False when the file cannot be written (then the chain goes on here)."""
        try:
            self.db.execute("INSERT OR IGNORE INTO chains VALUES (?, ?, ?, ?, ?, ?)",
                            (origin, site, kind, depth, json.dumps(prefix, ensure_ascii=False), target))
            return True
        except sqlite3.Error as exc:
            log.warning("recording the chain of %s failed (%s); following it here", origin, exc)
            return False

    def close(self) -> None:
        self.db.close()


def _read(path: str | Path, sql: str) -> list[tuple]:
    if not Path(path).exists():
        return []
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def hop_claims(path: str | Path) -> list[tuple]:
    """(url, chain origin, site, kind, depth) of the hops claimed, by URL."""
    return _read(path, "SELECT url, via, site, kind, depth FROM claims WHERE via IS NOT NULL ORDER BY url")


def chains(path: str | Path) -> list[tuple]:
    """(origin, site, kind, depth, hops so far, target) of the chains that ended at another
    process's URL, by origin."""
    return [(o, s, k, d, json.loads(p), t) for o, s, k, d, p, t in
            _read(path, "SELECT origin, site, kind, depth, prefix, target FROM chains ORDER BY origin")]


def _present(store, run_id: int, table: str, column: str, urls: list[str]) -> set[str]:
    """Those of ``urls`` that run ``run_id``'s ``table`` holds in ``column``."""
    found: set[str] = set()
    for start in range(0, len(urls), 500):
        chunk = urls[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        found |= {r[0] for r in store.query(f"SELECT DISTINCT {column} FROM {table} WHERE run_id = ?"
                                            f" AND {column} IN ({marks})", (run_id, *chunk))}
    return found


def linked_hops(path: str | Path, store, run_id: int) -> list[tuple]:
    """(url, chain origin, site, kind, depth) of the hops claimed that a page of the run links
    and no fetch row answers, with the site and kind of the first link to each."""
    hops = hop_claims(path)
    urls = [h[0] for h in hops]
    fetched = _present(store, run_id, "fetches", "url", urls)
    first: dict[str, tuple[str, str]] = {}
    for start in range(0, len(urls), 500):
        chunk = urls[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        for url, site, kind in store.query(f"SELECT target_url, site, kind FROM links WHERE run_id = ?"
                                           f" AND target_url IN ({marks}) ORDER BY id", (run_id, *chunk)):
            first.setdefault(url, (site, kind))
    return [(url, via, *first[url], depth) for url, via, _, _, depth in hops if url in first and url not in fetched]


def answer_unanswered(path: str | Path, store, run_id: int) -> list[str]:
    """Write an inconclusive fetch row (its claimer's site, kind and depth) for every URL
    claimed in ``path`` that has no fetch row in run ``run_id`` (a hop only when a page links
    it) and for every chain that ended at another process's URL without one; returns those
    URLs. Call once every crawl process of the run has ended and its rows are in ``store``."""
    wanted = [(u, s, k, d) for u, s, k, d in _read(path, "SELECT url, site, kind, depth FROM claims WHERE via IS NULL")]
    wanted += [(u, s, k, d) for u, _, s, k, d in linked_hops(path, store, run_id)]
    wanted += [(o, s, k, d) for o, s, k, d, _, _ in chains(path)]
    have = _present(store, run_id, "fetches", "url", [w[0] for w in wanted])
    rows = [{"run_id": run_id, "site": site, "url": url, "host": (urlsplit(url).hostname or "").lower(),
             "kind": kind, "depth": depth, "method": None, "status": None, "outcome": Outcome.ERROR.value,
             "error": CLAIMER_DIED, "attempts": 0, "elapsed": 0.0, "redirects_json": "[]", "final_url": None,
             "fetched_at": now_iso()}
            for url, site, kind, depth in {w[0]: w for w in wanted}.values() if url not in have]
    if rows:
        store.insert_many("fetches", rows, conflict=("run_id", "url"))
        log.warning("%d claimed URLs had no answer (their crawl process ended first): recorded as inconclusive",
                    len(rows))
    return [r["url"] for r in rows]
