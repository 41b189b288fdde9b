"""The store interface: runs, gathered facts and findings, whatever holds them.

:class:`Store` is the one interface the rest of the tree talks to; ``Store(location)``
opens the backend the location names: a file path is the embedded SQLite store
(:mod:`store.sqlite`), a ``postgresql://`` URL a PostgreSQL database (:mod:`store.pg`).
The statements here are portable SQL with ``?`` placeholders (PostgreSQL's connection
translates them); a backend supplies the connection, its DDL types and the few things
SQL does not say the same way (new row ids, the tables of the schema, compaction).
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from core.models import Finding, RunStatus, Severity
from core.text import now_iso
from store.migrations import MIGRATIONS
from store.snapshot import SnapshotReads

log = logging.getLogger(__name__)

# the tables a crawl writes (the IPv6 stage and the checks run on the merged store)
CRAWL_TABLES = ("run_sites", "pages", "links", "fetches", "attachment_texts", "requests",
               "write_errors")

URL_SCHEMES = ("postgresql://", "postgres://")


class StoreError(Exception):
    """The store cannot be opened or is not a portal-audit store (the message is zh-CN)."""


class Superseded(StoreError):
    """A write of a crawl attempt that is no longer its site's current one (see :meth:`Store.fence`)."""


def is_url(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def redacted(url: str) -> str:
    """``url`` without its password (messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def url_problem(url: str) -> str | None:
    """What is wrong with the form of a ``store.url`` (zh-CN), None when nothing."""
    try:
        parts = urlsplit(url)
        parts.port
    except ValueError as exc:
        return f"不是有效的 PostgreSQL 网址：{redacted(url)}（{exc}）"
    if parts.scheme not in ("postgresql", "postgres"):
        return f"应为 postgresql://用户@主机:端口/数据库，实际为 {redacted(url)}"
    if not parts.hostname:
        return f"PostgreSQL 网址缺少主机：{redacted(url)}（应为 postgresql://用户@主机:端口/数据库）"
    if not parts.path.strip("/"):
        return f"PostgreSQL 网址缺少数据库名：{redacted(url)}（应为 postgresql://用户@主机:端口/数据库）"
    return None


# the backends by the kind of location, as class paths (as Scrapy names its components):
# each backend module builds on this one, and psycopg is loaded for a PostgreSQL store only
BACKENDS = {"url": "store.pg.PgStore", "path": "store.sqlite.SqliteStore"}


def backend(location: str | Path) -> type[Store]:
    """The :class:`Store` class that opens ``location``."""
    module, _, name = BACKENDS["url" if is_url(location) else "path"].rpartition(".")
    return getattr(importlib.import_module(module), name)


class Store(SnapshotReads):
    """A portal-audit store. ``Store(location)`` returns the backend for ``location``."""

    # whether several processes may write one run into this store at once (else each crawl
    # process writes a file of its own, merged with :meth:`merge_run_from`)
    concurrent_writers = False

    # what a write that failed raises, whichever the backend (callers catch these, never a
    # driver's): a value the driver cannot adapt (an integer too large, a lone surrogate, an
    # unknown type), the OS refusing a file; each backend adds its driver's errors (a value
    # the column refuses, a full disk, a locked file, a lost connection)
    write_failures: tuple[type[BaseException], ...] = (OverflowError, ValueError, TypeError, OSError)

    def __new__(cls, location: str | Path):
        return super().__new__(backend(location) if cls is Store else cls)

    location: str
    db: Any     # the connection: ``execute(sql, params)`` → a cursor of rows by name and position
    fenced: tuple[int, str, str] | None = None     # (run id, site, attempt) this store writes as

    def quick_check(self) -> None:
        """Raise :class:`StoreError` when the backend finds the store damaged."""

    # -- schema -----------------------------------------------------------
    def ddl(self, statement: str) -> None:
        """Run one DDL statement of :mod:`store.migrations` (written in SQLite's types)."""
        self.db.execute(statement)

    def migrate(self) -> None:
        self.ddl("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {r[0] for r in self.db.execute("SELECT name FROM schema_migrations")}
        for migration in MIGRATIONS:
            if migration.__name__ in done:
                continue
            with self.transaction():
                migration(self)
                self.db.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (migration.__name__, now_iso()),
                )
            log.debug("applied migration %s", migration.__name__)

    def tables(self) -> list[str]:
        """The tables of the schema, by name."""
        raise NotImplementedError

    def tables_with(self, column: str) -> list[str]:
        """The tables of the schema that have ``column``."""
        return [t for t in self.tables() if column in self.columns(t)]

    def columns(self, table: str) -> list[str]:
        """The columns of ``table``, in order."""
        raise NotImplementedError

    def insert_id(self, table: str, row: Mapping[str, Any]) -> int:
        """Insert ``row`` and return its new ``id``."""
        raise NotImplementedError

    def compact(self, vacuum: bool = False) -> None:
        """Give back the space of deleted rows (after a prune); ``vacuum``: all of it, slowly."""

    def retype_columns(self) -> None:
        """Give the columns an earlier :meth:`ddl` made the types it makes now (migration
        ``m014``); SQLite's have not changed."""

    def resume_ids(self) -> None:
        """After rows were copied in with their ids (:func:`store.copy.copy_store`): new rows
        get ids after the largest."""

    def __str__(self) -> str:
        return self.location

    def merge_run_from(self, path: str | Path, run_id: int) -> dict[str, int]:
        """Copy run ``run_id``'s crawl rows from a crawl process's own store file (backends
        without :attr:`concurrent_writers`); returns the rows copied per table."""
        raise NotImplementedError

    def recover_parts(self) -> list:
        """Merge the crawl processes' store files a killed run left behind into their runs
        (:mod:`store.parts`; under the store lock): what became of each. A backend with
        :attr:`concurrent_writers` has none."""
        return []

    @property
    def identity(self) -> str:
        """This store's own random id (migration ``m017_store_identity``): the same for every
        process that opens the store, another for every other store, a copy included."""
        if self._identity is None:
            self._identity = self.scalar("SELECT value FROM store_meta WHERE key = 'identity'")
        return self._identity

    _identity: str | None = None

    @property
    def schema_version(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """One transaction; an exception, in the block or at its ``COMMIT``, rolls it back
        before it leaves, so that the connection is usable again at once (a PostgreSQL
        transaction refuses every statement after a failed one; SQLite keeps a transaction
        whose ``COMMIT`` failed open, and refuses the next ``BEGIN``). A ``ROLLBACK`` failing
        too (the backend ended the transaction itself, the connection is gone) does not hide
        the first error."""
        self.db.execute("BEGIN")
        try:
            if self.fenced is not None:
                self._check_fence()
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            with suppress(*self.write_failures):
                self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()

    # -- crawl attempts (run --scrapyd) -------------------------------------
    def fence(self, run_id: int, site: str, attempt: str) -> None:
        """Write as crawl attempt ``attempt`` of ``site`` in run ``run_id`` (a Scrapyd job): from
        now on each transaction first checks, in itself, that this is still the site's current
        attempt (:meth:`discard_site` makes another one current) and raises :class:`Superseded`,
        writing nothing, when it is not."""
        self.fenced = (run_id, site, attempt)

    def _check_fence(self) -> None:
        # an UPDATE, not a SELECT: it holds the attempt's row until this transaction ends, so a
        # discard_site meanwhile waits for it and then removes this transaction's rows too
        cur = self.db.execute("UPDATE site_attempts SET attempt = attempt WHERE run_id = ? AND site = ?"
                              " AND attempt = ?", self.fenced)
        if cur.rowcount != 1:
            run_id, site, attempt = self.fenced
            raise Superseded(f"运行 {run_id} 站点 {site} 的采集 {attempt} 已被取代（该站点已重新安排或已取消），不再写入")

    # -- generic access ---------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Any]:
        return self.db.execute(sql, params).fetchall()

    def iquery(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Iterator[Any]:
        """Lazy iteration over a large result set."""
        cur = self.db.execute(sql, params)
        while rows := cur.fetchmany(500):
            yield from rows

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.db.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def insert_many(self, table: str, rows: Sequence[Mapping[str, Any]],
                    conflict: Sequence[str] = ()) -> None:
        """Insert rows in one transaction; on a conflict on ``conflict`` columns, update."""
        if not rows:
            return
        cols = list(rows[0].keys())
        sql = upsert_sql(table, cols, conflict)
        with self.transaction():
            self.db.executemany(sql, [tuple(r[c] for c in cols) for r in rows])

    def defer_indexes(self, tables: Sequence[str]) -> list[str]:
        """Stop keeping the secondary indexes of ``tables`` up to date while rows stream in,
        when that is safe; returns what :meth:`build_indexes` builds at the end. Here: nothing
        (a store shared by several writers keeps its indexes; see the SQLite store)."""
        return []

    def build_indexes(self, statements: Sequence[str]) -> None:
        """Build the indexes :meth:`defer_indexes` dropped (each sorted once)."""
        with self.transaction():
            for sql in statements:
                self.db.execute(sql)

    # the columns of a link row this run stores as they were (all but id, run_id and site)
    LINK_COPIED = ("source_url", "target_url", "raw_href", "anchor", "tag", "attr", "line", "kind", "hidden",
                   "hidden_reason", "list_date", "fragment", "lastmod")

    def carry_links(self, run_id: int, site: str, source_urls: Sequence[str], from_location: str,
                    from_run: int) -> int:
        """Store as ``site``'s links in run ``run_id`` the link rows run ``from_run`` of the store
        at ``from_location`` holds for the pages ``source_urls`` (an incremental run's pages
        that answered 304, see :mod:`crawler.previous`), in their order, in one transaction of
        set-based SQL. Returns the rows stored."""
        if not source_urls:
            return 0
        if from_location != self.location:
            return self._carry_links_from(run_id, site, source_urls, from_location, from_run)
        return self._carry_links_sql("links", run_id, site, source_urls, from_run)

    def _carry_links_sql(self, source: str, run_id: int, site: str, source_urls: Sequence[str], from_run: int) -> int:
        cols = ", ".join(self.LINK_COPIED)
        total = 0
        with self.transaction():
            for i in range(0, len(source_urls), 500):    # bound the statement's parameters
                chunk = list(source_urls[i:i + 500])
                cur = self.db.execute(
                    f"INSERT INTO links (run_id, site, {cols}) SELECT ?, ?, {cols} FROM {source}"
                    f" WHERE run_id = ? AND source_url IN ({', '.join('?' for _ in chunk)}) ORDER BY id",
                    (run_id, site, from_run, *chunk))
                total += max(cur.rowcount, 0)
        return total

    def _carry_links_from(self, run_id: int, site: str, source_urls: Sequence[str], from_location: str,
                          from_run: int) -> int:
        """:meth:`carry_links` from another store: read there, page by page, and inserted here."""
        other = Store(from_location)
        try:
            rows = [{"run_id": run_id, "site": site, **{c: r[c] for c in self.LINK_COPIED}}
                    for url in source_urls for r in other.link_rows_of(from_run, url)]
        finally:
            other.close()
        self.insert_many("links", rows)
        return len(rows)

    # -- runs -------------------------------------------------------------
    def begin_run(self, *, audit_date: str, config: Mapping[str, Any], options: Mapping[str, Any],
                  versions: Mapping[str, Any], kind: str = "audit") -> int:
        with self.transaction():
            return self.insert_id("runs", {
                "kind": kind, "started_at": now_iso(), "status": RunStatus.RUNNING, "audit_date": audit_date,
                "config_json": _json(config), "options_json": _json(options), "versions_json": _json(versions)})

    def finish_run(self, run_id: int, status: str, stats: Mapping[str, Any] | None = None) -> None:
        """Mark the run ``status``, ``stats`` merged into what its stats already hold (the
        finding history's counts, set before the run is marked, are kept)."""
        with self.transaction():
            row = self.db.execute("SELECT stats_json FROM runs WHERE id = ?", (run_id,)).fetchone()
            try:
                kept = json.loads(row["stats_json"] or "{}") if row is not None else {}
            except ValueError:
                kept = {}
            merged = {**(kept if isinstance(kept, dict) else {}), **(stats or {})}
            self.db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, stats_json = ? WHERE id = ?",
                (now_iso(), status, _json(merged), run_id),
            )

    def run(self, run_id: int) -> Any:
        return self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()

    def runs(self, kind: str | None = None) -> list[Any]:
        if kind:
            return self.query("SELECT * FROM runs WHERE kind = ? ORDER BY id", (kind,))
        return self.query("SELECT * FROM runs ORDER BY id")

    def last_run_before(self, run_id: int, kind: str = "audit", status: str | None = None) -> int | None:
        """The latest run of ``kind`` (with ``status``, when given) before ``run_id``."""
        if status is None:
            return self.scalar("SELECT MAX(id) FROM runs WHERE kind = ? AND id < ?", (kind, run_id))
        return self.scalar("SELECT MAX(id) FROM runs WHERE kind = ? AND status = ? AND id < ?",
                           (kind, status, run_id))

    def latest_completed_audit(self, site: str) -> int | None:
        """The latest completed audit run that audited ``site``."""
        return self.scalar("SELECT MAX(s.run_id) FROM run_sites s JOIN runs r ON r.id = s.run_id"
                           " WHERE s.site = ? AND r.kind = 'audit' AND r.status = 'completed'", (site,))

    def set_run_site(self, run_id: int, site: str, **values: Any) -> None:
        row = {"run_id": run_id, "site": site, **values}
        if "stats_json" in row and not isinstance(row["stats_json"], str):
            row["stats_json"] = _json(row["stats_json"])
        if self.scalar("SELECT 1 FROM run_sites WHERE run_id = ? AND site = ?", (run_id, site)) is None:
            row["seq"] = self.scalar("SELECT COUNT(*) FROM run_sites WHERE run_id = ?", (run_id,))
        self.insert_many("run_sites", [row], conflict=("run_id", "site"))

    def run_site(self, run_id: int, site: str) -> Any:
        return self.db.execute("SELECT * FROM run_sites WHERE run_id = ? AND site = ?", (run_id, site)).fetchone()

    def set_run_site_stats(self, run_id: int, site: str, stats: Mapping[str, Any]) -> None:
        with self.transaction():
            self.db.execute("UPDATE run_sites SET stats_json = ? WHERE run_id = ? AND site = ?",
                            (_json(stats), run_id, site))

    def delete_run_rows(self, run_id: int, tables: Sequence[str]) -> None:
        """Delete run ``run_id``'s rows of ``tables`` (a stage gathered again) in one transaction."""
        with self.transaction():
            for table in tables:
                self.db.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))

    def order_run_sites(self, run_id: int, sites: Sequence[str]) -> None:
        """Number run ``run_id``'s sites in the order of ``sites`` (the config's), whichever
        crawl process or node recorded its site first."""
        with self.transaction():
            self.db.executemany("UPDATE run_sites SET seq = ? WHERE run_id = ? AND site = ?",
                                [(i, run_id, site) for i, site in enumerate(sites)])

    def run_sites(self, run_id: int) -> list[Any]:
        return self.query("SELECT * FROM run_sites WHERE run_id = ? ORDER BY seq, site", (run_id,))

    # -- gathered facts -----------------------------------------------------
    def fetch_count(self, run_id: int, *, site: str | None = None, kind: str | None = None,
                    outcome: str | None = None, prefix: str | None = None) -> int:
        """How many URLs run ``run_id`` fetched (of ``site``, of ``kind``, with ``outcome``,
        beginning with ``prefix``)."""
        where, params = ["run_id = ?"], [run_id]
        for column, value in (("site", site), ("kind", kind), ("outcome", outcome)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if prefix is not None:
            where.append("substr(url, 1, ?) = ?")
            params += [len(prefix), prefix]
        return self.scalar(f"SELECT COUNT(*) FROM fetches WHERE {' AND '.join(where)}", params) or 0

    def fetch(self, run_id: int, url: str) -> Any:
        """Run ``run_id``'s fetch of ``url`` (None when it was not fetched)."""
        return self.db.execute("SELECT * FROM fetches WHERE run_id = ? AND url = ?", (run_id, url)).fetchone()

    def fetch_validators(self, run_id: int, url: str) -> Any:
        """What an incremental run asks of run ``run_id``'s fetch of ``url`` before it asks the page
        again or carries it (crawler/previous.py): its outcome, status, redirects, validators,
        ``verified_at`` and whether it was parsed (``parsed``); None when it was not fetched."""
        return self.db.execute(
            "SELECT outcome, status, redirects_json, etag, last_modified, verified_at,"
            " EXISTS (SELECT 1 FROM pages p WHERE p.run_id = f.run_id AND p.url = f.url) AS parsed"
            " FROM fetches f WHERE f.run_id = ? AND f.url = ?", (run_id, url)).fetchone()

    def page(self, run_id: int, url: str) -> Any:
        """Run ``run_id``'s parsed page ``url`` (None when it was not parsed)."""
        return self.db.execute("SELECT * FROM pages WHERE run_id = ? AND url = ?", (run_id, url)).fetchone()

    def page_count(self, run_id: int) -> int:
        return self.scalar("SELECT COUNT(*) FROM pages WHERE run_id = ?", (run_id,)) or 0

    def mark_unparsed(self, run_id: int, reasons: Mapping[str, str]) -> None:
        """Record on the fetch rows of run ``run_id`` why those in-scope pages were not parsed."""
        if not reasons:
            return
        with self.transaction():
            self.db.executemany("UPDATE fetches SET unparsed = ? WHERE run_id = ? AND url = ?",
                                [(reason, run_id, url) for url, reason in reasons.items()])

    # -- rows that could not be stored ------------------------------------
    def write_error_counts(self, run_id: int) -> dict[str, dict[str, int]]:
        """{site: {table: rows lost}} of a run (from ``write_errors`` and the sites' crawl stats)."""
        counts: dict[str, dict[str, int]] = {}
        for r in self.query("SELECT COALESCE(site, '') AS site, table_name, COUNT(*) AS n FROM write_errors"
                            " WHERE run_id = ? GROUP BY 1, 2", (run_id,)):
            counts.setdefault(r["site"], {})[r["table_name"]] = r["n"]
        # rows whose write_errors record itself could not be written are only counted in the stats
        for r in self.run_sites(run_id):
            stats = json.loads(r["stats_json"] or "{}") if r["stats_json"] else {}
            for table, n in (stats.get("write_errors") or {}).items():
                mine = counts.setdefault(r["site"], {})
                mine[table] = max(mine.get(table, 0), int(n))
        return counts

    def discard_site(self, run_id: int, site: str, next_attempt: str | None = None) -> None:
        """End the current crawl attempt of ``site`` in run ``run_id`` (a Scrapyd job that failed
        or is scheduled again), in one transaction: its rows are removed and from then on only
        writes fenced as ``next_attempt`` are accepted (None: no attempt's; see :meth:`fence`)."""
        with self.transaction():
            # the fence first: a write of the attempt ended holds its row until it commits
            ended = self.db.execute("DELETE FROM site_attempts WHERE run_id = ? AND site = ?",
                                    (run_id, site)).rowcount
            if next_attempt is not None:
                self.db.execute("INSERT INTO site_attempts (run_id, site, attempt, started_at) VALUES (?, ?, ?, ?)",
                                (run_id, site, next_attempt, now_iso()))
            if ended:     # every crawl write is fenced: with no attempt current there are no rows
                for table in CRAWL_TABLES:
                    self.db.execute(f"DELETE FROM {table} WHERE run_id = ? AND site = ?", (run_id, site))

    def attach_document_texts(self, run_id: int, site: str, max_text: int = 200_000) -> None:
        """Append to each article of ``site`` the text read from the PDF/DOCX that carries it
        (``pages.document_url``; the attachment was read once, into ``attachment_texts``), once,
        when its crawl ends (other sites' crawls may end before or after it). A page carried
        from a previous run (a 304) has it already."""
        with self.transaction():
            self.db.execute(
                "UPDATE pages SET main_text = substr(trim(coalesce(main_text, '') || ' ' || (SELECT a.text FROM"
                " attachment_texts a WHERE a.run_id = pages.run_id AND a.url = pages.document_url)), 1, ?)"
                " WHERE run_id = ? AND site = ? AND carried_from IS NULL"
                " AND document_url IN (SELECT url FROM attachment_texts WHERE run_id = ?)",
                (max_text, run_id, site, run_id))

    def copy_attachment_text(self, run_id: int, url: str, new_url: str, site: str) -> None:
        """The text read from ``url`` stored for ``new_url`` (of ``site``) too: one request
        answered both (a redirect's hop linked directly, see crawler/hops.py)."""
        with self.transaction():
            self.db.execute("INSERT INTO attachment_texts (run_id, site, url, text, outcome, error)"
                            " SELECT run_id, ?, ?, text, outcome, error FROM attachment_texts"
                            " WHERE run_id = ? AND url = ? ON CONFLICT DO NOTHING", (site, new_url, run_id, url))

    def page_facts(self, run_id: int, site: str) -> Iterator[Any]:
        """The column, list date and depth of every page of ``site`` (see :mod:`crawler.settle`)."""
        return self.iquery("SELECT url, column_kind, column_url, list_date, is_list, depth FROM pages"
                           " WHERE run_id = ? AND site = ?", (run_id, site))

    def page_links_by_target(self, run_id: int, site: str) -> Iterator[Any]:
        """``site``'s links to its own pages (target, source, list date), sorted by target."""
        return self.iquery("SELECT target_url, source_url, list_date FROM links"
                           " WHERE run_id = ? AND site = ? AND kind = 'page' ORDER BY target_url, source_url",
                           (run_id, site))

    def update_page_facts(self, run_id: int, rows: Sequence[Mapping[str, Any]]) -> None:
        """Set the column and list date of pages (rows of url, column_kind, column_url, list_date)."""
        with self.transaction():
            self.db.executemany("UPDATE pages SET column_kind = ?, column_url = ?, list_date = ?"
                                " WHERE run_id = ? AND url = ?",
                                [(r["column_kind"], r["column_url"], r["list_date"], run_id, r["url"]) for r in rows])

    def rename_page(self, run_id: int, url: str, new_url: str) -> None:
        """Store page ``url`` (its row and the links it holds) as ``new_url``."""
        with self.transaction():
            self.db.execute("UPDATE pages SET url = ? WHERE run_id = ? AND url = ?", (new_url, run_id, url))
            self.db.execute("UPDATE links SET source_url = ? WHERE run_id = ? AND source_url = ?", (new_url, run_id, url))

    # -- the availability watch ---------------------------------------------
    def save_watch_round(self, round_row: Mapping[str, Any], probe_rows) -> int:
        """Store one watch round and its probes in one transaction; ``probe_rows``: callables
        that make a probe's row from the round's id. Returns the round's id."""
        with self.transaction():
            round_id = self.insert_id("watch_rounds", round_row)
            rows = [make(round_id) for make in probe_rows]
            if rows:
                cols = list(rows[0])
                self.db.executemany(upsert_sql("watch_probes", cols), [tuple(r[c] for c in cols) for r in rows])
        return round_id

    # -- findings ---------------------------------------------------------
    def save_findings(self, run_id: int, findings: Iterable[Finding]) -> int:
        return self.save_finding_rows([finding_row(run_id, f) for f in findings])

    @staticmethod
    def finding_row(run_id: int, f: Finding) -> tuple:
        """See :func:`finding_row`."""
        return finding_row(run_id, f)

    def save_finding_rows(self, rows: Sequence[tuple]) -> int:
        """Store findings made rows by :meth:`finding_row` (``FINDING_COLUMNS``), in one
        transaction; a row whose (run, fingerprint) is stored already replaces it."""
        if rows:
            with self.transaction():
                self.db.executemany(upsert_sql("findings", FINDING_COLUMNS, ("run_id", "fingerprint")), rows)
        return len(rows)

    def delete_findings(self, run_id: int, codes: Iterable[str] | None = None) -> None:
        with self.transaction():
            if codes is None:
                self.db.execute("DELETE FROM findings WHERE run_id = ?", (run_id,))
                self.db.execute("DELETE FROM check_runs WHERE run_id = ?", (run_id,))
            else:
                for code in codes:
                    self.db.execute("DELETE FROM findings WHERE run_id = ? AND check_code = ?", (run_id, code))
                    self.db.execute("DELETE FROM check_runs WHERE run_id = ? AND check_code = ?", (run_id, code))

    def findings(self, run_id: int) -> list[Finding]:
        return list(self.iter_findings(run_id))

    def iter_findings(self, run_id: int) -> Iterator[Finding]:
        """The run's findings in report order, read as they are taken (never all rows at once)."""
        return (row_to_finding(r) for r in self.finding_rows(run_id))

    def finding_rows(self, run_id: int) -> Iterator[Any]:
        """The run's stored finding rows (``evidence_json`` not parsed), as :meth:`iter_findings` reads them."""
        return self.iquery(
            "SELECT * FROM findings WHERE run_id = ? ORDER BY site, check_code, url, page, fingerprint", (run_id,))

    def finding_count(self, run_id: int) -> int:
        return self.scalar("SELECT COUNT(*) FROM findings WHERE run_id = ?", (run_id,)) or 0

    def finding_counts(self, run_id: int) -> list[Any]:
        """The run's findings counted per (site, check_code, severity), in site and code order."""
        return self.query("SELECT site, check_code, severity, COUNT(*) AS n FROM findings WHERE run_id = ?"
                          " GROUP BY site, check_code, severity ORDER BY site, check_code, severity", (run_id,))

    def carried_counts(self, run_id: int) -> dict[str, tuple[int, int]]:
        """Per site: the pages carried from the previous run (answered 304 or spared by their
        sitemap ``lastmod``), and of those the ones sent no request at all."""
        pages = {r[0]: r[1] for r in self.query(
            "SELECT site, COUNT(carried_from) FROM pages WHERE run_id = ? GROUP BY site", (run_id,))}
        spared = {r[0]: r[1] for r in self.query(
            "SELECT site, COUNT(sitemap_lastmod) FROM fetches WHERE run_id = ? GROUP BY site", (run_id,))}
        return {site: (n, spared.get(site, 0)) for site, n in pages.items() if n}

    def record_check_run(self, run_id: int, code: str, state: str, found: int,
                         error: str | None, elapsed: float) -> None:
        self.insert_many(
            "check_runs",
            [{"run_id": run_id, "check_code": code, "state": state, "found": found,
              "error": error, "elapsed": elapsed}],
            conflict=("run_id", "check_code"),
        )

    def check_runs(self, run_id: int) -> list[Any]:
        return self.query("SELECT * FROM check_runs WHERE run_id = ? ORDER BY check_code", (run_id,))

    def run_figures(self, run_id: int) -> dict[str, Any]:
        """What a run cost and found, as the benchmarks print it: rows gathered, requests
        (by purpose, bytes, answered 304 or 429), checks taken over from the previous run, pages
        carried by their sitemap ``lastmod`` without a request, findings (per check, and their
        fingerprints) and the sites audited."""
        one = lambda sql: self.scalar(sql, (run_id,))  # noqa: E731
        by = lambda sql: {r[0]: r[1] for r in self.query(sql, (run_id,))}  # noqa: E731
        return {
            "pages": one("SELECT COUNT(*) FROM pages WHERE run_id = ?"),
            "carried": one("SELECT COUNT(carried_from) FROM pages WHERE run_id = ?"),
            "fetches": one("SELECT COUNT(*) FROM fetches WHERE run_id = ?"),
            "links": one("SELECT COUNT(*) FROM links WHERE run_id = ?"),
            "requests": one("SELECT COUNT(*) FROM requests WHERE run_id = ?"),
            "requests_by_purpose": by("SELECT purpose, COUNT(*) FROM requests WHERE run_id = ? GROUP BY purpose"),
            "bytes": one("SELECT COALESCE(SUM(bytes), 0) FROM requests WHERE run_id = ?"),
            "not_modified": one("SELECT COUNT(*) FROM requests WHERE run_id = ? AND status = 304"),
            "refused_429": one("SELECT COUNT(*) FROM requests WHERE run_id = ? AND status = 429"),
            "cached_checks": one("SELECT COUNT(*) FROM fetches WHERE run_id = ? AND cached = 1"),
            "carried_by_lastmod": one("SELECT COUNT(sitemap_lastmod) FROM fetches WHERE run_id = ?"),
            "findings": one("SELECT COUNT(*) FROM findings WHERE run_id = ?"),
            "findings_by_check": by("SELECT check_code, COUNT(*) FROM findings WHERE run_id = ? GROUP BY check_code"),
            "fingerprints": sorted(r[0] for r in self.query("SELECT fingerprint FROM findings WHERE run_id = ?",
                                                            (run_id,))),
            "sites_audited": one("SELECT COUNT(*) FROM run_sites WHERE run_id = ? AND status = 'ok'"),
        }


def upsert_sql(table: str, cols: Sequence[str], conflict: Sequence[str] = ()) -> str:
    """``INSERT`` of ``cols`` into ``table``; with ``conflict`` columns, a row whose key is
    already there is updated instead."""
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    if conflict:
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in conflict)
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}"
    return sql


FINDING_COLUMNS = ("run_id", "site", "check_code", "severity", "url", "page", "anchor", "message", "evidence_json",
                   "fingerprint")


def finding_row(run_id: int, f: Finding) -> tuple:
    """``f`` as the row of ``findings`` it is stored as (``FINDING_COLUMNS``): its evidence as
    JSON text, a third or less of the memory of its parsed objects."""
    return (run_id, f.site, f.check, f.severity.value, f.url, f.page, f.anchor, f.message, _json(f.evidence),
            f.fingerprint)


def row_to_finding(row: Any) -> Finding:
    return Finding(
        check=row["check_code"], severity=Severity(row["severity"]), site=row["site"],
        url=row["url"], page=row["page"], anchor=row["anchor"], message=row["message"],
        evidence=json.loads(row["evidence_json"]), fingerprint=row["fingerprint"],
        run_id=row["run_id"],
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
