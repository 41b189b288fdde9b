"""Copying a whole store into another (``portal-audit store migrate``): every run, fact,
finding and the finding history, table by table, rows as they are (their ids too), into
an empty store of either backend. The copy keeps its own identity (``store_meta``, see
migration ``m017_store_identity``): the source may go on being used beside it."""

from __future__ import annotations

from store.db import Store, StoreError

BATCH = 1000


def copy_store(src: Store, dst: Store) -> dict[str, int]:
    """Copy every row of ``src`` into ``dst`` in one transaction; returns the rows copied per
    table. ``dst`` must hold no run yet (StoreError otherwise, nothing copied)."""
    if dst.scalar("SELECT COUNT(*) FROM runs") or dst.scalar("SELECT COUNT(*) FROM watch_rounds"):
        raise StoreError(f"目标数据库 {dst} 已有数据：只能迁移到空的数据库（避免覆盖已有历史）")
    copied: dict[str, int] = {}
    with dst.transaction():
        for table in sorted(src.tables(), key=lambda t: t != "runs"):     # runs first: run_sites refers to them
            if table in ("schema_migrations", "store_meta"):
                continue
            cols = [c for c in src.columns(table) if c in set(dst.columns(table))]
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
            batch: list[tuple] = []
            n = 0
            for row in src.iquery(f"SELECT {', '.join(cols)} FROM {table}"):
                batch.append(tuple(row))
                if len(batch) >= BATCH:
                    dst.db.executemany(sql, batch)
                    n, batch = n + len(batch), []
            dst.db.executemany(sql, batch)
            copied[table] = n + len(batch)
    dst.resume_ids()
    return copied
