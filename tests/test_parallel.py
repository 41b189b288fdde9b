"""crawl.processes: sites crawled in parallel processes, each into its own store file, merged."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
import types
from pathlib import Path

import psutil
import pytest

from portal_audit.runner import deal_sites
from store import Store
from store.claims import CLAIMER_DIED
from store.parts import part_path, queue_path
from tests.conftest import interrupt_cli, interrupted_store, read_findings, run_cli, served, write_config


@pytest.fixture(scope="module")
def bench_server():
    """A second portal (the generated bench portal, 300 pages) on its own port."""
    with served("bench", pages=300, hosts=("127.0.0.1",), port=0) as srv:
        yield srv


@pytest.fixture(scope="module")
def slow_bench_server():
    """The bench portal again, each answer 0.1–0.2 s late: a crawl of it lasts seconds
    whatever the machine (unpaced, a fast one crawls it in one), so a test can stop a run
    while both processes crawl."""
    with served("bench", pages=300, hosts=("127.0.0.1",), port=0, latency=(0.1, 0.2)) as srv:
        yield srv


@pytest.fixture
def sites(sample_server, slow_bench_server):
    return [("临沂市政府", sample_server.base_url), ("友邻站", slow_bench_server.base_url)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, sample_server, bench_server):
    """The same two-site portal audited with one process and with two."""
    out = {}
    for n in (1, 2):
        sample_server.reset()
        tmp = tmp_path_factory.mktemp(f"p{n}")
        cfg = write_config(tmp / "c.yaml", [("临沂市政府", sample_server.base_url), ("友邻站", bench_server.base_url)],
                           store=tmp / "a.db", crawl={"processes": n})
        result = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out"))
        assert result.returncode == 0, result.stderr
        out[n] = {"tmp": tmp, "stderr": result.stderr, "findings": read_findings(tmp / "out"),
                  "db": sqlite3.connect(tmp / "a.db")}
    return out


def test_two_processes_find_exactly_what_one_finds(runs):
    one = sorted((f["fingerprint"], f["check"], f["site"]) for f in runs[1]["findings"])
    two = sorted((f["fingerprint"], f["check"], f["site"]) for f in runs[2]["findings"])
    assert one == two and {s for _, _, s in two} == {"临沂市政府", "友邻站"}
    for table in ("pages", "fetches", "links", "attachment_texts", "run_sites"):
        counts = [r["db"].execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for r in (runs[1], runs[2])]
        assert counts[0] == counts[1] > 0, table
    # and they send the same requests (retries aside), each URL once (tests/test_requested_once.py)
    sent = [r["db"].execute("SELECT COUNT(*), COUNT(DISTINCT url) FROM requests WHERE retry = 0 AND purpose != 'ipv6'"
                            ).fetchone() for r in (runs[1], runs[2])]
    assert sent[0] == sent[1] and sent[0][0] == sent[0][1], sent


def test_every_page_gets_the_same_column_and_list_date_whatever_the_crawl_order(runs):
    """The crawl order differs between the two runs; the pages' columns and list dates do not."""
    facts = [set(r["db"].execute("SELECT url, column_kind, column_url, list_date FROM pages").fetchall())
             for r in (runs[1], runs[2])]
    assert facts[0] == facts[1], sorted(facts[0] ^ facts[1], key=str)[:10]


def test_the_progress_display_shows_every_process_and_no_part_file_is_left(runs):
    stderr = runs[2]["stderr"]
    assert "进程 1/2" in stderr and "进程 2/2" in stderr
    assert "临沂市政府: 页面" in stderr and "友邻站: 页面" in stderr
    assert not any(".part" in p.name for p in runs[2]["tmp"].iterdir())


def test_ctrl_c_stops_every_process_and_keeps_the_store_consistent(tmp_path, sample_server, sites):
    sample_server.reset()
    cfg = write_config(tmp_path / "c.yaml", sites, store=tmp_path / "a.db", crawl={"concurrency": 2, "processes": 2})

    def both_crawling():
        """Until each process's progress file shows a parsed page."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            shown = [p.read_text(encoding="utf-8") for p in tmp_path.glob("a.db.run1.part*.progress")]
            if len(shown) == 2 and all("页面 0 " not in text for text in shown):
                return
            time.sleep(0.2)

    interrupt_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), wait=both_crawling)
    db = interrupted_store(tmp_path / "a.db")
    assert {s for (s,) in db.execute("SELECT DISTINCT site FROM fetches")} == {"临沂市政府", "友邻站"}
    assert not any(".part" in p.name for p in tmp_path.iterdir())


def part_counts(parts: list[Path], copies: Path) -> dict[str, int]:
    """Run 1's rows per table in the store files ``parts`` (as a killed run left them, their
    write-ahead logs included), read from copies (opening a file alone checkpoints it)."""
    copies.mkdir()
    counts: dict[str, int] = {}
    for part in parts:
        for side in ("", "-wal", "-shm"):
            if Path(f"{part}{side}").exists():
                shutil.copy(f"{part}{side}", copies / f"{part.name}{side}")
        db = sqlite3.connect(copies / part.name)
        for table in TABLES:
            counts[table] = counts.get(table, 0) + db.execute(f"SELECT COUNT(*) FROM {table} WHERE run_id = 1").fetchone()[0]
        db.close()
    return counts


TABLES = ("pages", "links", "fetches", "requests", "run_sites")


def test_a_parent_killed_outright_takes_its_crawl_processes_with_it(tmp_path, sample_server, sites):
    """The crawl processes leave the terminal's process group (for Ctrl-C): when the main
    process is killed outright (a scheduler's timeout, SIGKILL), they must stop too, not
    go on crawling the sites with nobody to merge their rows. What they had stored, in
    their part files, is merged into the killed run by the next run, and the files removed."""
    sample_server.reset()
    cfg = write_config(tmp_path / "c.yaml", sites, store=tmp_path / "a.db", crawl={"concurrency": 2, "processes": 2})
    proc = subprocess.Popen([sys.executable, "-m", "portal_audit.cli", "run", "-c", str(cfg), "-o",
                             str(tmp_path / "out")], stderr=subprocess.DEVNULL)
    main = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    crawlers: list[psutil.Process] = []
    while len(crawlers) < 2 and time.monotonic() < deadline:
        crawlers = [c for c in main.children() if c.name().startswith("pa-crawl-")]
        time.sleep(0.2)
    assert len(crawlers) == 2
    # killed mid-crawl, once both processes have pages in their part files: fewer than a
    # batch (500 rows), written because what is held is written every two seconds
    parts = [tmp_path / f"a.db.run1.part{i}" for i in range(2)]
    while time.monotonic() < deadline and not all(stored(part, "pages") for part in parts):
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    assert not any(merged(tmp_path / "a.db", site) for site, _ in sites), "a site ended before the kill"
    _, alive = psutil.wait_procs(crawlers, timeout=30)
    for p in alive:
        p.kill()
    assert not alive, [p.pid for p in alive]
    assert all(part.exists() for part in parts)
    # each process's pending requests were on disk (Scrapy's disk queues), left by the kill
    # beside its part, and go with it
    queues = [Path(queue_path(tmp_path / "a.db", 1, i)) for i in range(2)]
    assert all(any(q.rglob("q*")) for q in queues), [sorted(q.rglob("*")) for q in queues]
    gathered = part_counts([tmp_path / "a.db", *parts], tmp_path / "copies")
    assert gathered["pages"] > 0 and gathered["links"] > 0, gathered

    # the next run, not held to a few requests at a time (the slow site would take half a minute)
    cfg = write_config(tmp_path / "c2.yaml", sites, store=tmp_path / "a.db",
                       crawl={"processes": 2, "per_host_concurrency": 16})
    again = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out2"), "--no-progress", "--only", "link")
    assert again.returncode == 0, again.stderr
    for part in parts:
        assert f"运行 1 的采集进程文件 {part.name} 已并入该运行" in again.stderr, again.stderr
    db = sqlite3.connect(tmp_path / "a.db")
    status, stats = db.execute("SELECT status, stats_json FROM runs WHERE id = 1").fetchone()
    assert status == "interrupted" and len(json.loads(stats)["recovered_parts"]) == len(parts), stats
    recovered = {t: db.execute(f"SELECT COUNT(*) FROM {t} WHERE run_id = 1").fetchone()[0] for t in TABLES}
    # and an inconclusive fetch row for each external URL claimed by a process that had not answered it
    recovered["fetches"] -= db.execute("SELECT COUNT(*) FROM fetches WHERE run_id = 1 AND error = ?",
                                       (CLAIMER_DIED,)).fetchone()[0]
    assert recovered == gathered
    assert db.execute("SELECT status FROM runs WHERE id = 2").fetchone() == ("completed",)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    assert not any(".part" in p.name for p in tmp_path.iterdir()), sorted(p.name for p in tmp_path.iterdir())


def merged(store: Path, site: str) -> bool:
    """Whether ``site``'s pages are in the store already (its crawl process ended, its file merged)."""
    db = sqlite3.connect(store, timeout=5)
    try:
        return db.execute("SELECT COUNT(*) FROM pages WHERE run_id = 1 AND site = ?", (site,)).fetchone()[0] > 0
    except sqlite3.OperationalError:
        return False
    finally:
        db.close()


def stored(part: Path, table: str) -> int:
    """Rows in ``table`` of a part file a crawl process is writing (0 before it has the table)."""
    if not part.exists():
        return 0
    db = sqlite3.connect(part, timeout=5)
    try:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def test_damaged_and_foreign_part_files_lose_nothing_readable_and_crash_nothing(tmp_path):
    """The part files of a killed run as a disk or a half-finished copy may leave them: one
    whole (and already merged once: the parent was killed between its merge and its removal),
    one cut off halfway, one overwritten, and one of a run this store does not hold. A command
    that opens the store for writing under its lock (here ``prune``) merges all that can be
    read, each row once, and sets aside what could not be read whole; the queues of pending
    requests the processes left are removed."""
    store_path = tmp_path / "a.db"
    store = Store(str(store_path))
    run = store.begin_run(audit_date="2024-06-30", config={}, options={}, versions={})
    n = 3000

    def part(index: int, site: str, run_id: int = run) -> Path:
        path = Path(part_path(store_path, run_id, index))
        db = Store(str(path))
        db.insert_many("pages", [{"run_id": run_id, "site": site, "url": f"http://{index}/{i}.html",
                                  "main_text": f"正文 {i} " * 40} for i in range(n)])
        db.insert_many("links", [{"run_id": run_id, "site": site, "source_url": f"http://{index}/{i}.html",
                                  "target_url": f"http://{index}/{i + 1}.html", "kind": "page"} for i in range(n)])
        db.close()
        return path

    whole, cut, overwritten, foreign = part(0, "甲"), part(1, "乙"), part(2, "丙"), part(0, "丁", run_id=99)
    store.merge_run_from(whole, run)
    store.close()
    with open(cut, "r+b") as f:
        f.truncate(cut.stat().st_size // 2)
    overwritten.write_bytes(b"\x00garbage" * 5000)
    Path(f"{overwritten}.progress").write_text("进程 3/3\n", encoding="utf-8")
    # the pending requests' directories a killed process leaves: beside a part, and of a lone
    # process that wrote the store itself (no part)
    for queue in (Path(queue_path(store_path, run, 2)), Path(queue_path(store_path, run, 7))):
        (queue / "requests.queue").mkdir(parents=True)
        (queue / "requests.queue" / "active.json").write_text("[]", encoding="utf-8")

    result = run_cli("prune", "--keep", "1", "--store", str(store_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert f"运行 {run} 的采集进程文件 {whole.name} 已并入该运行（页面 {n}、链接 {n}" in result.stderr, result.stderr
    assert f"运行 {run} 的采集进程文件 {cut.name} 已损坏" in result.stderr
    assert f"已移至 {cut.name}.damaged" in result.stderr and f"已移至 {overwritten.name}.damaged" in result.stderr
    assert f"采集进程文件 {foreign.name} 不属于本数据库的任何运行" in result.stderr
    db = sqlite3.connect(store_path)
    pages = dict(db.execute("SELECT site, COUNT(*) FROM pages WHERE run_id = ? GROUP BY site", (run,)).fetchall())
    links = dict(db.execute("SELECT site, COUNT(*) FROM links WHERE run_id = ? GROUP BY site", (run,)).fetchall())
    status, stats = db.execute("SELECT status, stats_json FROM runs WHERE id = ?", (run,)).fetchone()
    assert db.execute("SELECT COUNT(*) FROM pages WHERE run_id = 99").fetchone()[0] == 0
    db.close()
    assert pages["甲"] == n and links["甲"] == n       # merged twice, each row once
    assert 0 < pages.get("乙", 0) < n, pages         # what the first half of the file holds
    assert "丙" not in pages and "丁" not in pages
    assert status == "interrupted"
    recovered = {Path(r["file"]).name: r for r in json.loads(stats)["recovered_parts"]}
    assert set(recovered) == {whole.name, cut.name, overwritten.name}
    assert "problem" not in recovered[whole.name] and recovered[cut.name]["problem"] and recovered[overwritten.name]["problem"]
    assert recovered[cut.name]["rows"]["pages"] == pages["乙"]
    left = sorted(p.name for p in tmp_path.iterdir() if ".run" in p.name and not p.name.endswith(("-wal", "-shm")))
    assert left == [f"{cut.name}.damaged", f"{overwritten.name}.damaged", f"{foreign.name}.orphan"], left
    # set aside, never read again
    again = run_cli("prune", "--keep", "1", "--store", str(store_path))
    assert again.returncode == 0 and "采集进程文件" not in again.stderr, again.stderr


def _indexes(store: Store) -> list[tuple[str, str]]:
    return [(r["name"], r["sql"]) for r in store.query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")]


def test_part_file_builds_its_indexes_once_after_the_crawl(tmp_path):
    """A crawl process's fresh part file streams its rows without index upkeep: the pipeline
    drops the crawl tables' secondary indexes and builds exactly the same ones at the end; the
    unique keys that upserts need stay throughout. A store already holding rows keeps its indexes."""
    from crawler.pipelines import DEFERRED_INDEX_TABLES

    reference = Store(tmp_path / "ref.db")
    expected = _indexes(reference)
    part = Store(part_path(tmp_path / "audit.db", 1, 0))
    statements = part.defer_indexes(DEFERRED_INDEX_TABLES)
    assert {"links_target", "links_source", "links_site", "requests_site"} <= {
        s.split()[2] for s in statements}
    left = _indexes(part)
    assert not any(name.startswith(("links_", "requests_")) for name, _ in left)
    run = part.begin_run(audit_date="2024-06-30", config={}, options={}, versions={})
    part.insert_many("pages", [{"run_id": run, "site": "s", "url": "http://a/", "final_url": "http://a/", "status": 200}],
                     conflict=("run_id", "url"))
    part.insert_many("pages", [{"run_id": run, "site": "s", "url": "http://a/", "final_url": "http://a/", "status": 301}],
                     conflict=("run_id", "url"))     # the upsert's unique key is still there
    assert part.scalar("SELECT status FROM pages") == 301
    part.build_indexes(statements)
    assert _indexes(part) == expected
    assert part.defer_indexes(DEFERRED_INDEX_TABLES) == []   # pages holds a row now: nothing dropped
    assert _indexes(part) == expected
    reference.close()
    part.close()


def test_sites_are_dealt_by_their_pages_last_time():
    """Longest first, each to the lightest process: a big site does not share its process
    with the small ones' load; the first run (nothing known) deals round robin."""
    sites = [types.SimpleNamespace(name=n) for n in ("甲", "乙", "丙", "丁", "戊")]

    def names(dealt):
        return [[s.name for s in share] for share in dealt]

    assert names(deal_sites(sites, 2, {})) == [["甲", "丙", "戊"], ["乙", "丁"]]
    pages = {"甲": 5000, "乙": 100, "丙": 120}      # 丁 and 戊 are new: the median, 120 each
    assert names(deal_sites(sites, 2, pages)) == [["甲"], ["乙", "丙", "丁", "戊"]]
    pages.update({"丁": 4000, "戊": 900})
    assert names(deal_sites(sites, 2, pages)) == [["甲", "乙"], ["丙", "丁", "戊"]]
    assert names(deal_sites(sites[:1], 3, pages)) == [["甲"], [], []]
