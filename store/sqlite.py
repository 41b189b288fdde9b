"""The embedded store: one SQLite file (WAL mode, batched writes)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from store.db import CRAWL_TABLES, Store, StoreError


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

    def merge_run_from(self, path: str | Path, run_id: int) -> None:
        """Copy run ``run_id``'s crawl rows from another store file (a crawl process's own;
        see ``portal_audit.runner``), table by table, each in one transaction; rows whose
        key is already here are kept as they are."""
        self.db.execute("ATTACH DATABASE ? AS part", (str(path),))
        try:
            for table in CRAWL_TABLES:
                names = ", ".join(c for c in self.columns(table) if c != "id")
                with self.transaction():
                    self.db.execute(f"INSERT INTO main.{table} ({names}) SELECT {names} FROM part.{table}"
                                    f" WHERE run_id = ? ORDER BY rowid ON CONFLICT DO NOTHING", (run_id,))
        finally:
            self.db.execute("DETACH DATABASE part")
