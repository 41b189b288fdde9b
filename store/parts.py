"""Part files: the store files of a run's crawl processes beside a SQLite store.

A SQLite store has one writer, so with ``crawl.processes`` > 1 each crawl process streams its
sites' rows into a store file of its own, ``{store}.run{N}.part{i}`` (:func:`part_path`; its
progress lines in :func:`progress_path`), which the parent merges into the store
(:meth:`store.sqlite.SqliteStore.merge_run_from`) and removes (:func:`remove_part`) when the
processes end. Every name of these files is made here, and nowhere else.

Each crawl process keeps its pending requests on disk, in Scrapy's disk queues under
:func:`queue_path` (its ``JOBDIR``), removed when it ends or with its part.

A parent killed outright (SIGKILL, a scheduler's timeout) takes its crawl processes with it
and leaves their part files behind, holding every row they gathered. :func:`recover_parts`
(called by :func:`store.history.close_stale_runs`, under the store lock, before the run is
marked interrupted) merges each into its run and removes it, then records the URLs claimed in
the run's claims file that no merged row answers as inconclusive (:mod:`store.claims`) and
removes that file. A part that cannot be read whole
(cut off, overwritten) gives what can be read (:meth:`SqliteStore.salvage_run_from`) and is
kept aside as ``….damaged`` (with its ``-wal``), never read again; a part of a run this store
does not hold (the store was replaced) is kept aside as ``….orphan``, merged into nothing.
"""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store.claims import answer_unanswered, remove_claims

log = logging.getLogger(__name__)

# what a part leaves beside itself: SQLite's write-ahead log and shared memory, the progress
# lines, the pending requests' directory
QUEUE = ".queue"
PART_SIDE_FILES = ("-wal", "-shm", ".progress", ".progress.tmp", QUEUE)
DAMAGED, ORPHAN = ".damaged", ".orphan"


def part_path(store_path: str | Path, run_id: int, index: int) -> str:
    """The store file of crawl process ``index`` (from 0) of run ``run_id``."""
    return f"{store_path}.run{run_id}.part{index}"


def queue_path(store_path: str | Path, run_id: int, index: int) -> str:
    """The directory crawl process ``index`` of run ``run_id`` keeps its pending requests in
    (Scrapy's ``JOBDIR``), beside the store on its disk (a temporary directory may be in memory)."""
    return part_path(store_path, run_id, index) + QUEUE


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def claims_path(store_path: str | Path, run_id: int) -> str:
    """The claims file the crawl processes of run ``run_id`` share (:mod:`store.claims`)."""
    return f"{store_path}.run{run_id}.claims"


_PART_NAME = re.compile(r".+\.run\d+\.part\d+")


def is_part(path: str | Path) -> bool:
    """Is ``path`` a crawl process's part file (a name :func:`part_path` makes)?"""
    return _PART_NAME.fullmatch(str(path)) is not None


def progress_path(part: str) -> str:
    """The file a crawl process writes its progress lines to (the parent draws them)."""
    return f"{part}.progress"


def remove_part(part: str | Path) -> None:
    """``part`` and every file it leaves beside itself."""
    for suffix in ("", *PART_SIDE_FILES):
        _remove(Path(f"{part}{suffix}"))


def leftover_parts(store_path: str | Path) -> list[tuple[int, int, Path]]:
    """The part files beside the store ``store_path``, as (run id, index, path), by run and
    index; the files a part leaves beside itself whose part is gone are removed."""
    store = Path(store_path)
    sides = "|".join(re.escape(s) for s in PART_SIDE_FILES)
    pattern = re.compile(re.escape(store.name) + rf"\.run(\d+)\.part(\d+)({sides})?")
    found = []
    if store.parent.is_dir():
        for path in store.parent.iterdir():
            match = pattern.fullmatch(path.name)
            if not match:
                continue
            if match[3] is None:
                found.append((int(match[1]), int(match[2]), path))
            elif not path.with_name(path.name[:-len(match[3])]).exists():
                _remove(path)   # a lone crawl process's queue (it wrote the store itself) included
    return sorted(found)


def set_aside(part: Path, suffix: str) -> Path:
    """``part`` (and its ``-wal`` and ``-shm``, which SQLite finds by its name) renamed with
    ``suffix``, out of :func:`leftover_parts`' sight; its progress files and queue removed."""
    target = part.with_name(part.name + suffix)
    for side in ("", "-wal", "-shm"):
        source = Path(f"{part}{side}")
        if source.exists():
            source.replace(f"{target}{side}")
    for side in (".progress", ".progress.tmp", QUEUE):
        _remove(Path(f"{part}{side}"))
    return target


@dataclass
class Recovered:
    """What became of one leftover part file."""

    run_id: int
    path: str
    rows: dict[str, int] = field(default_factory=dict)    # rows merged per table
    problem: str | None = None       # why it could not be read whole (zh-CN), None when it was
    kept_as: str | None = None       # where the file was set aside (damaged or orphan), None when removed

    def as_stats(self) -> dict[str, Any]:
        return {"file": self.path, "rows": self.rows, **({"problem": self.problem} if self.problem else {}),
                **({"kept_as": self.kept_as} if self.kept_as else {})}

    def message(self) -> str:
        """The console line (zh-CN)."""
        name = Path(self.path).name
        if self.kept_as and self.problem is None:
            return (f"采集进程文件 {name} 不属于本数据库的任何运行（运行 {self.run_id} 不存在），未并入，"
                    f"已移至 {Path(self.kept_as).name}")
        got = f"页面 {self.rows.get('pages', 0)}、链接 {self.rows.get('links', 0)}、抓取记录 {self.rows.get('fetches', 0)}"
        if self.problem:
            merged = f"已并入其中可读取的部分（{got}）" if any(self.rows.values()) else "其中没有可读取的数据"
            return (f"运行 {self.run_id} 的采集进程文件 {name} 已损坏（{self.problem}）：{merged}，"
                    f"原文件已移至 {Path(self.kept_as).name}，请检查")
        return f"运行 {self.run_id} 的采集进程文件 {name} 已并入该运行（{got}）并删除"


def recover_parts(store: Any) -> list[Recovered]:
    """Merge every part file left beside the SQLite ``store`` into its run (whatever can be
    read of a damaged one), then remove it or set it aside. Call only under the store lock:
    no crawl process of this store is running then."""
    runs = {r[0] for r in store.query("SELECT id FROM runs")}
    done: list[Recovered] = []
    for run_id, _, path in leftover_parts(store.location):
        if run_id not in runs:
            done.append(Recovered(run_id, str(path), kept_as=str(set_aside(path, ORPHAN))))
            continue
        got = Recovered(run_id, str(path))
        try:
            got.rows = store.merge_run_from(path, run_id)
        except sqlite3.DatabaseError as exc:
            log.info("part file %s cannot be merged whole (%s): salvaging what can be read", path, exc)
            got.rows, problem = store.salvage_run_from(path, run_id)
            got.problem = problem or str(exc)
            got.kept_as = str(set_aside(path, DAMAGED))
        else:
            remove_part(path)
        done.append(got)
    for run_id in sorted(runs):
        claims = claims_path(store.location, run_id)
        if Path(claims).exists():
            answer_unanswered(claims, store, run_id)
            remove_claims(claims)
    return done
