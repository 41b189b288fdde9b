"""SQLite implementation of the store."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.models import Finding, RunStatus, Severity
from core.text import now_iso
from store.migrations import MIGRATIONS

log = logging.getLogger(__name__)

# the tables a crawl writes (the IPv6 stage and the checks run on the merged store)
CRAWL_TABLES = ("run_sites", "pages", "links", "fetches", "attachment_texts", "requests",
               "write_errors")


class StoreError(Exception):
    """The store file cannot be opened or is not a portal-audit store."""


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


class Store:
    """A portal-audit store in one SQLite file (WAL mode, batched writes)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
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

    # -- schema -----------------------------------------------------------
    def migrate(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = {r[0] for r in self.db.execute("SELECT name FROM schema_migrations")}
        for migration in MIGRATIONS:
            if migration.__name__ in done:
                continue
            with self.transaction():
                migration(self.db)
                self.db.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (migration.__name__, now_iso()),
                )
            log.debug("applied migration %s", migration.__name__)

    @property
    def schema_version(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    # -- generic access ---------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[sqlite3.Row]:
        return self.db.execute(sql, params).fetchall()

    def iquery(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Iterator[sqlite3.Row]:
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
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
        if conflict:
            updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in conflict)
            sql += f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}"
        with self.transaction():
            self.db.executemany(sql, [tuple(r[c] for c in cols) for r in rows])

    # -- runs -------------------------------------------------------------
    def begin_run(self, *, audit_date: str, config: Mapping[str, Any], options: Mapping[str, Any],
                  versions: Mapping[str, Any], kind: str = "audit") -> int:
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO runs (kind, started_at, status, audit_date, config_json, options_json, versions_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, now_iso(), RunStatus.RUNNING, audit_date, _json(config), _json(options), _json(versions)),
            )
        return int(cur.lastrowid)

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

    def run(self, run_id: int) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()

    def runs(self, kind: str | None = None) -> list[sqlite3.Row]:
        if kind:
            return self.query("SELECT * FROM runs WHERE kind = ? ORDER BY id", (kind,))
        return self.query("SELECT * FROM runs ORDER BY id")

    def set_run_site(self, run_id: int, site: str, **values: Any) -> None:
        row = {"run_id": run_id, "site": site, **values}
        if "stats_json" in row and not isinstance(row["stats_json"], str):
            row["stats_json"] = _json(row["stats_json"])
        self.insert_many("run_sites", [row], conflict=("run_id", "site"))

    def run_sites(self, run_id: int) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM run_sites WHERE run_id = ? ORDER BY rowid", (run_id,))

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

    def merge_run_from(self, path: str | Path, run_id: int) -> None:
        """Copy run ``run_id``'s crawl rows from another store file (a crawl process's own;
        see ``portal_audit.runner``), table by table, each in one transaction; rows whose
        key is already here are kept as they are."""
        self.db.execute("ATTACH DATABASE ? AS part", (str(path),))
        try:
            for table in CRAWL_TABLES:
                cols = [r["name"] for r in self.db.execute(f"PRAGMA main.table_info({table})") if r["name"] != "id"]
                names = ", ".join(cols)
                with self.transaction():
                    self.db.execute(f"INSERT INTO main.{table} ({names}) SELECT {names} FROM part.{table}"
                                    f" WHERE run_id = ? ORDER BY rowid ON CONFLICT DO NOTHING", (run_id,))
        finally:
            self.db.execute("DETACH DATABASE part")

    def attach_document_texts(self, run_id: int, max_text: int = 200_000) -> None:
        """Append to each article's main text the text read from the PDF/DOCX that carries it
        (``pages.document_url``; the attachment was read once, into ``attachment_texts``). A
        page carried from a previous run (a 304) has it already."""
        with self.transaction():
            self.db.execute(
                "UPDATE pages SET main_text = substr(trim(coalesce(main_text, '') || ' ' || (SELECT a.text FROM"
                " attachment_texts a WHERE a.run_id = pages.run_id AND a.url = pages.document_url)), 1, ?)"
                " WHERE run_id = ? AND carried_from IS NULL"
                " AND document_url IN (SELECT url FROM attachment_texts WHERE run_id = ?)",
                (max_text, run_id, run_id))

    # -- findings ---------------------------------------------------------
    def save_findings(self, run_id: int, findings: Iterable[Finding]) -> int:
        rows = [
            {
                "run_id": run_id, "site": f.site, "check_code": f.check, "severity": f.severity.value,
                "url": f.url, "page": f.page, "anchor": f.anchor, "message": f.message,
                "evidence_json": _json(f.evidence), "fingerprint": f.fingerprint,
            }
            for f in findings
        ]
        self.insert_many("findings", rows, conflict=("run_id", "fingerprint"))
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
        return [row_to_finding(r) for r in self.query(
            "SELECT * FROM findings WHERE run_id = ? ORDER BY site, check_code, url, page", (run_id,))]

    def record_check_run(self, run_id: int, code: str, state: str, found: int,
                         error: str | None, elapsed: float) -> None:
        self.insert_many(
            "check_runs",
            [{"run_id": run_id, "check_code": code, "state": state, "found": found,
              "error": error, "elapsed": elapsed}],
            conflict=("run_id", "check_code"),
        )

    def check_runs(self, run_id: int) -> list[sqlite3.Row]:
        return self.query("SELECT * FROM check_runs WHERE run_id = ? ORDER BY check_code", (run_id,))


def row_to_finding(row: sqlite3.Row) -> Finding:
    return Finding(
        check=row["check_code"], severity=Severity(row["severity"]), site=row["site"],
        url=row["url"], page=row["page"], anchor=row["anchor"], message=row["message"],
        evidence=json.loads(row["evidence_json"]), fingerprint=row["fingerprint"],
        run_id=row["run_id"],
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
