"""The embedded store: one SQLite file (WAL mode, batched writes)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from store.db import CRAWL_TABLES, Store, StoreError, is_url
from store.parts import recover_parts


def store_problem(path: Path, exc: BaseException | None = None) -> str | None:
    """Why the store at ``path`` cannot be used, in Chinese (None when nothing is seen
    wrong and no ``exc`` is given): a directory, a read-only file or directory, a file that
    is not a database."""
    if path.is_dir():
        return f"数据库路径 {path} 是一个目录，应为 SQLite 文件（检查 store.path 或 --store）"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"数据库文件 {path} 不可读写（只读？），请检查文件权限"
    parent = next((p for p in [path.parent, *path.parent.parents] if p.exists()), None)
    if parent is not None and not (parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)):
        return f"数据库文件 {path} 所在目录 {parent} 不可写（SQLite 需要在其中创建日志文件）"
    if exc is None:
        return None
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
        return f"数据库文件 {path} 不是有效的 SQLite 数据库或已损坏（{text}）：请从备份恢复，或换用新文件"
    if "readonly" in text or "read-only" in text:
        return f"数据库文件 {path} 是只读的（{text}），请检查文件权限"
    return f"无法打开数据库文件 {path}：{text}"


class SqliteStore(Store):
    """A portal-audit store in one SQLite file: one writer at a time."""

    write_failures = (sqlite3.Error, *Store.write_failures)
    LINKS_BY_TARGET = " INDEXED BY links_target"    # see store.snapshot.SnapshotReads

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.location = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.migrate()
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StoreError(store_problem(self.path, exc)) from exc

    def quick_check(self) -> None:
        """Raise :class:`StoreError` when SQLite's ``quick_check`` finds the file damaged."""
        try:
            answer = [r[0] for r in self.db.execute("PRAGMA quick_check(5)")]
        except sqlite3.DatabaseError as exc:
            raise StoreError(store_problem(self.path, exc)) from exc
        if answer != ["ok"]:
            raise StoreError(f"数据库文件 {self.path} 未通过完整性检查（quick_check：{'；'.join(answer)[:300]}），"
                             "文件可能已损坏：请从备份恢复，或在配置的 store.path 中换用新文件")

    def tables(self) -> list[str]:
        return [r["name"] for r in self.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]

    def columns(self, table: str) -> list[str]:
        return [r["name"] for r in self.query(f"PRAGMA table_info({table})")]

    def insert_id(self, table: str, row: Mapping[str, Any]) -> int:
        cur = self.db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                              tuple(row.values()))
        return int(cur.lastrowid)

    def compact(self, vacuum: bool = False) -> None:
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if vacuum:
            self.db.execute("VACUUM")

    def defer_indexes(self, tables: Sequence[str]) -> list[str]:
        """Drop the non-unique indexes of ``tables`` while every one of them is empty (a crawl
        process's fresh part file): the rows stream in without index upkeep (three indexes of
        long URLs on ``links``, most of the cost of storing a link) and :meth:`build_indexes`
        sorts each once. The unique keys that upserts name stay. Returns the indexes' own
        ``CREATE INDEX`` statements; [] (nothing dropped) when a table holds rows."""
        if any(self.scalar(f"SELECT 1 FROM {table} LIMIT 1") is not None for table in tables):
            return []
        marks = ", ".join("?" for _ in tables)
        found = self.query(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                           f" AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({marks}) ORDER BY name", tuple(tables))
        with self.transaction():
            for row in found:
                self.db.execute(f'DROP INDEX "{row["name"]}"')
        return [row["sql"] for row in found]

    def _carry_links_from(self, run_id: int, site: str, source_urls, from_location: str, from_run: int) -> int:
        """The links of another SQLite file (a crawl process's part file carries from the store):
        attached for one set-based copy."""
        if not isinstance(from_location, str) or is_url(from_location):
            return super()._carry_links_from(run_id, site, source_urls, from_location, from_run)
        self.db.execute("ATTACH DATABASE ? AS previous", (from_location,))
        try:
            return self._carry_links_sql("previous.links", run_id, site, source_urls, from_run)
        finally:
            self.db.execute("DETACH DATABASE previous")

    def merge_run_from(self, path: str | Path, run_id: int) -> dict[str, int]:
        """Copy run ``run_id``'s crawl rows from another store file (a crawl process's own, see
        :mod:`store.parts`) in one transaction, in place of whatever this store holds of that
        file's sites in the run (a site is crawled by one process: a merge cut off, or done
        again because its file outlived it, leaves each row once); a row whose key another
        site's row holds already (an external link both fetched) is left to that one. Returns
        the rows copied per table; raises :class:`sqlite3.DatabaseError` (nothing copied) when
        the file cannot be read whole."""
        self.db.execute("ATTACH DATABASE ? AS part", (str(path),))    # raises, attaching nothing, when unreadable
        try:
            copied: dict[str, int] = {}
            with self.transaction():
                present = [t for t in CRAWL_TABLES if self.scalar(
                    "SELECT COUNT(*) FROM part.sqlite_master WHERE type = 'table' AND name = ?", (t,))]
                sites = sorted({r[0] for t in present for r in self.db.execute(
                    f"SELECT DISTINCT site FROM part.{t} WHERE run_id = ? AND site IS NOT NULL", (run_id,))})
                self._clear_sites(run_id, sites)
                for table in present:
                    mine = [c for c in self.columns(table) if c != "id"]
                    theirs = {r["name"] for r in self.query(f"PRAGMA part.table_info({table})")}
                    names = ", ".join(c for c in mine if c in theirs)
                    cur = self.db.execute(f"INSERT INTO main.{table} ({names}) SELECT {names} FROM part.{table}"
                                          f" WHERE run_id = ? ORDER BY rowid ON CONFLICT DO NOTHING", (run_id,))
                    copied[table] = cur.rowcount
            return copied
        finally:
            self.db.execute("DETACH DATABASE part")

    def salvage_run_from(self, path: str | Path, run_id: int) -> tuple[dict[str, int], str | None]:
        """What :meth:`merge_run_from` copies, from a file that cannot be read whole (cut off,
        overwritten): each table's rows up to the first that cannot be read, in one transaction.
        Returns the rows copied per table and what could not be read (zh-CN; None when nothing)."""
        problems: dict[str, list[str]] = {}     # what could not be read → the tables it was
        batches: dict[str, tuple[list[str], list[tuple]]] = {}
        try:
            part = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            # read-only, and the schema taken as far as it reads: a file cut off fails its whole
            # check of the schema, and would give nothing
            part.execute("PRAGMA writable_schema = ON")
        except sqlite3.Error as exc:
            return {}, f"无法打开：{exc}"
        try:
            for table in CRAWL_TABLES:
                rows: list[tuple] = []
                try:
                    theirs = {r[1] for r in part.execute(f"PRAGMA table_info({table})")}
                    names = [c for c in self.columns(table) if c != "id" and c in theirs]
                    if names and "run_id" in names:
                        # the table's own b-tree in its order, no index: rows come as its pages are
                        # read, up to the first page that cannot be
                        at = names.index("run_id")
                        cur = part.execute(f"SELECT {', '.join(names)} FROM {table} NOT INDEXED")
                        while batch := cur.fetchmany(500):
                            rows.extend(row for row in batch if row[at] == run_id)
                except sqlite3.Error as exc:
                    problems.setdefault(str(exc), []).append(table)
                if rows:
                    batches[table] = (names, rows)
        finally:
            part.close()
        copied: dict[str, int] = {}
        with self.transaction():
            sites = sorted({row[names.index("site")] for names, rows in batches.values() for row in rows
                            if "site" in names and row[names.index("site")] is not None})
            self._clear_sites(run_id, sites)
            for table, (names, rows) in batches.items():
                sql = (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
                       " ON CONFLICT DO NOTHING")
                before = self.db.total_changes
                self.db.executemany(sql, rows)
                copied[table] = self.db.total_changes - before
        return copied, "；".join(problem + ("" if len(tables) == len(CRAWL_TABLES) else f"（{'、'.join(tables)}）")
                                for problem, tables in problems.items()) or None

    def _clear_sites(self, run_id: int, sites: list[str]) -> None:
        """Remove run ``run_id``'s crawl rows of ``sites`` (in the caller's transaction)."""
        for start in range(0, len(sites), 500):
            chunk = sites[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            for table in CRAWL_TABLES:
                self.db.execute(f"DELETE FROM main.{table} WHERE run_id = ? AND site IN ({marks})", (run_id, *chunk))

    def recover_parts(self) -> list:
        """The part files of crawl processes whose parent was killed, merged into their runs
        (see :func:`store.parts.recover_parts`)."""
        return recover_parts(self)
