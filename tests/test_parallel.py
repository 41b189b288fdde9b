"""crawl.processes: sites crawled in parallel processes, each into its own store file, merged."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import psutil
import pytest

from tests.conftest import interrupt_cli, interrupted_store, read_findings, run_cli, served, write_config


@pytest.fixture(scope="module")
def bench_server():
    """A second portal (the generated bench portal, 300 pages) on its own port."""
    with served("bench", pages=300, hosts=("127.0.0.1",), port=0) as srv:
        yield srv


@pytest.fixture
def sites(sample_server, bench_server):
    return [("临沂市政府", sample_server.base_url), ("友邻站", bench_server.base_url)]


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


def test_a_parent_killed_outright_takes_its_crawl_processes_with_it(tmp_path, sample_server, sites):
    """The crawl processes leave the terminal's process group (for Ctrl-C): when the main
    process is killed outright (a scheduler's timeout, SIGKILL), they must stop too, not
    go on crawling the sites with nobody to merge their rows."""
    sample_server.reset()
    cfg = write_config(tmp_path / "c.yaml", sites, store=tmp_path / "a.db", crawl={"concurrency": 2, "processes": 2})
    proc = subprocess.Popen([sys.executable, "-m", "portal_audit.cli", "run", "-c", str(cfg), "-o",
                             str(tmp_path / "out"), "--no-progress"], stderr=subprocess.DEVNULL)
    main = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    crawlers: list[psutil.Process] = []
    while len(crawlers) < 2 and time.monotonic() < deadline:
        crawlers = [c for c in main.children() if "spawn_main" in " ".join(c.cmdline())]
        time.sleep(0.2)
    assert len(crawlers) == 2
    proc.kill()
    proc.wait()
    _, alive = psutil.wait_procs(crawlers, timeout=30)
    for p in alive:
        p.kill()
    assert not alive, [p.pid for p in alive]
