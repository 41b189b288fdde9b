"""run --scrapyd: the crawl spread over real Scrapyd nodes on loopback, failover included."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal_audit.cli import main
from portal_audit.config import ConfigError, parse_config
from portal_audit.sample import build_portal, serve
from portal_audit.scrapyd import build_egg, find_scrapy_cfg, job_id, job_prefix
from store import Store, Superseded
from tests.conftest import read_findings, run_cli, served, write_config
from tests.scrapyd_nodes import ScrapydNode

ONLY = "link,column,interaction,report"   # checks on the crawl alone: no attachment is read
PG = "postgresql://audit@127.0.0.1:5432/audit"   # a URL of the right form (config tests connect nowhere)
FAST = "scrapyd: {max_proc: 2, poll_interval: 0.2, timeout: 3}"
TABLES = ("pages", "links", "fetches", "requests")


@pytest.fixture(scope="module")
def portals():
    """Four sites: 甲 and 乙 on hosts of their own (乙 slow, so that it is still crawling when
    its node is killed), 丙 and 丁 on one host (never crawled at once)."""
    servers = {
        "甲": serve(build_portal(kind="bench", pages=20), hosts=("127.0.0.41",), port=0),
        "乙": serve(build_portal(kind="bench", pages=40), hosts=("127.0.0.42",), port=0, latency=(0.03, 0.06)),
        "丙": serve(build_portal(kind="bench", pages=20), hosts=("127.0.0.43",), port=0),
        "丁": serve(build_portal(kind="bench", pages=20), hosts=("127.0.0.43",), port=0),
    }
    yield servers
    for srv in servers.values():
        srv.stop()


def config(tmp, portals, extra=FAST, store_url: str | None = None):
    """The config of ``portals``: the store in PostgreSQL at ``store_url``, else a SQLite file."""
    path = write_config(tmp / "c.yaml", [(name, srv.base_url) for name, srv in portals.items()],
                        store=tmp / "a.db", extra=extra)
    if store_url:
        text = path.read_text(encoding="utf-8").replace(f"store: {{path: '{tmp / 'a.db'}'}}",
                                                         f"store: {{url: '{store_url}'}}")
        path.write_text(text, encoding="utf-8")
    return path


def per_site(db: Store, table: str) -> dict[str, int]:
    return {r[0]: r[1] for r in db.query(f"SELECT site, COUNT(*) FROM {table} GROUP BY site")}


@pytest.fixture(scope="module")
def one_process(tmp_path_factory, portals):
    """The sites of ``portals`` audited in one process into SQLite, no Scrapyd: what the nodes
    must find. It starts at once, in the background; calling the fixture's value waits for it
    and gives its findings' fingerprints and its rows per table and site."""
    root = tmp_path_factory.mktemp("here")
    cfg = config(root, portals, extra="")
    with open(root / "stderr.txt", "w", encoding="utf-8") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "portal_audit.cli", "run", "-c", str(cfg), "-o", str(root / "out"),
                                 "--only", ONLY, "--no-progress"], stderr=stderr, text=True)
    found: dict = {}

    def result() -> dict:
        if not found:
            proc.wait(timeout=120)
            assert proc.returncode == 0, (root / "stderr.txt").read_text(encoding="utf-8")
            here = Store(str(root / "a.db"))
            found.update(fingerprints=sorted(f["fingerprint"] for f in read_findings(root / "out")),
                         rows={table: per_site(here, table) for table in TABLES})
            here.close()
        return found

    yield result
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def audited_once(db: Store, out, expected: dict, sites) -> None:
    """Every site audited exactly once: the findings and the rows per site of the one-process run."""
    assert sorted(f["fingerprint"] for f in read_findings(out)) == expected["fingerprints"]
    assert {f["site"] for f in read_findings(out)} == set(sites)
    for table in TABLES:
        assert per_site(db, table) == expected["rows"][table], table
    assert {r[0]: r[1] for r in db.query("SELECT site, status FROM run_sites")} == dict.fromkeys(sites, "ok")


def test_the_egg_is_built_from_scrapy_cfg():
    egg = build_egg(find_scrapy_cfg())
    again = build_egg(find_scrapy_cfg())
    assert egg.project == "portal_audit" and egg.version == again.version and egg.data == again.data
    names = zipfile.ZipFile(io.BytesIO(egg.data)).namelist()
    assert "crawler/spiders/site_job.py" in names and "store/db.py" in names
    assert not any("__pycache__" in n for n in names)
    entry = zipfile.ZipFile(io.BytesIO(egg.data)).read("EGG-INFO/entry_points.txt").decode()
    assert entry == "[scrapy]\nsettings = crawler.settings\n"


def test_a_job_queue_is_removed_by_the_next_job_once_its_process_is_dead(tmp_path, monkeypatch):
    """A job's queue directory is held by its process's lock: a later job removes the
    directory of a job whose process died (SIGKILL), never the directory of one still running."""
    from crawler.spiders.site_job import own_queue_dir

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)   # tempfile reads TMPDIR again
    running, held = own_queue_dir("running")
    code = ("import os, signal; from crawler.spiders.site_job import own_queue_dir; own_queue_dir('killed');"
            " os.kill(os.getpid(), signal.SIGKILL)")
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "TMPDIR": str(tmp_path)}, check=False)
    (killed,) = tmp_path.glob("portal-audit-job-killed-*")
    (killed / "requests.queue").mkdir()      # what Scrapy had written there
    foreign = tmp_path / "portal-audit-job-not-a-job"
    foreign.mkdir()                          # no lock file: left alone
    later, later_held = own_queue_dir("later")
    assert running.is_dir() and later.is_dir() and foreign.is_dir() and not killed.exists()
    held.close()
    later_held.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_store_refuses_the_writes_of_a_superseded_attempt(backend, tmp_path, request):
    location = request.getfixturevalue("pg_url") if backend == "postgresql" else str(tmp_path / "a.db")
    coordinator, first, second = Store(location), Store(location), Store(location)
    run = coordinator.begin_run(audit_date="2024-06-30", config={}, options={}, versions={})
    page = lambda url: {"run_id": run, "site": "甲", "url": url}  # noqa: E731
    coordinator.discard_site(run, "甲", next_attempt="a1")
    first.fence(run, "甲", "a1")
    first.insert_many("pages", [page("http://a/1.html")])
    # 甲 scheduled again: the first attempt's rows are removed, and its writes refused from then on
    coordinator.discard_site(run, "甲", next_attempt="a2")
    second.fence(run, "甲", "a2")
    second.insert_many("pages", [page("http://a/2.html")])
    with pytest.raises(Superseded):
        first.insert_many("pages", [page("http://a/late.html")])
    with pytest.raises(Superseded):
        first.set_run_site(run, "甲", url="http://a/", status="ok", pages=1, links=0)
    assert [r["url"] for r in coordinator.query("SELECT url FROM pages")] == ["http://a/2.html"]
    assert coordinator.run_sites(run) == []
    if backend == "postgresql":
        # a write under way when the site is scheduled again: the coordinator waits for it to
        # commit, then removes its rows too (no late row slips in between the check and the write)
        with second.transaction():
            second.db.execute("INSERT INTO pages (run_id, site, url) VALUES (?, ?, ?)", (run, "甲", "http://a/3.html"))
            moving = threading.Thread(target=coordinator.discard_site, args=(run, "甲"), kwargs={"next_attempt": "a3"})
            moving.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not first.scalar(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"):
                time.sleep(0.05)
            assert moving.is_alive()
        moving.join(timeout=30)
        assert coordinator.query("SELECT url FROM pages") == []
        with pytest.raises(Superseded):
            second.insert_many("pages", [page("http://a/4.html")])
    for db in (coordinator, first, second):
        db.close()


def until(condition, proc, within: float = 60) -> bool:
    """Poll ``condition`` while the run ``proc`` goes on; whether it came true."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and proc.poll() is None:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_dead_node_and_a_cancelled_job_lose_no_site_and_duplicate_none(tmp_path, portals, pg_url, one_process):
    nodes = ScrapydNode.start([tmp_path / "node1", tmp_path / "node2"])
    db = Store(pg_url)
    crawling = lambda node, job: job in node.running() and db.scalar(  # noqa: E731
        "SELECT COUNT(*) FROM links WHERE site = '乙'")
    job = lambda attempt: job_id(db.identity, 1, 1, attempt)  # noqa: E731   乙's jobs in run 1
    try:
        cfg = config(tmp_path, portals, store_url=pg_url)
        proc = subprocess.Popen([sys.executable, "-m", "portal_audit.cli", "run", "-c", str(cfg), "-o",
                                 str(tmp_path / "out"), "--only", ONLY, "--scrapyd", ",".join(n.url for n in nodes)],
                                stderr=subprocess.PIPE, text=True)
        # 乙 (the second site) goes to the second node: that node dies while 乙 is crawled there
        # and has rows in the store already …
        killed = until(lambda: crawling(nodes[1], job(1)), proc)
        if killed:
            nodes[1].kill()
        # … and its second job, on the node left, is cancelled (it ends without the site's
        # completion row): the third and last attempt audits it
        cancelled = killed and until(lambda: crawling(nodes[0], job(2)), proc)
        queues = {n: lambda n=n: list(Path(tempfile.gettempdir()).glob(f"portal-audit-job-{job(n)}-*")) for n in (1, 2, 3)}
        queued = queues[2]()   # the job keeps its pending requests on disk, in a directory of its own …
        if cancelled:
            nodes[0].cancel(job(2))
        _, stderr = proc.communicate(timeout=120)
        assert killed and cancelled, stderr
        assert proc.returncode == 0, stderr
        assert job(3) in [j["id"] for j in nodes[0].jobs()["finished"]]
        # … removed when it ended, cancelled (the second) or finished (the third); the first,
        # killed with its node, could not: a later job on this machine removed it
        assert len(queued) == 1 and queues[1]() == queues[2]() == queues[3]() == []
        assert "Traceback" not in nodes[0].job_log(job(2)) + nodes[0].job_log(job(3))
    finally:
        for node in nodes:
            node.stop()
    audited_once(db, tmp_path / "out", one_process(), portals)
    # the progress display shows the nodes' jobs, and the killed node given up
    assert f"节点 {nodes[0].url}：作业" in stderr and f"节点 {nodes[1].url}：已停用" in stderr
    # 丙 and 丁 share a host: one was crawled after the other (crawl.per_host_rate holds across jobs)
    spans = sorted(tuple(r) for r in db.query(
        "SELECT MIN(requested_at), MAX(requested_at) FROM requests WHERE site IN ('丙', '丁') GROUP BY site"))
    db.close()
    assert len(spans) == 2 and spans[0][1] <= spans[1][0]


def test_a_node_that_stops_answering_and_comes_back_writes_nothing_more(tmp_path, portals, pg_url, one_process):
    nodes = ScrapydNode.start([tmp_path / "node1", tmp_path / "node2"])
    db = Store(pg_url)
    job = lambda attempt: job_id(db.identity, 1, 1, attempt)  # noqa: E731   乙's jobs in run 1
    try:
        cfg = config(tmp_path, portals, store_url=pg_url, extra="scrapyd: {max_proc: 2, poll_interval: 0.2, timeout: 2}")
        proc = subprocess.Popen([sys.executable, "-m", "portal_audit.cli", "run", "-c", str(cfg), "-o",
                                 str(tmp_path / "out"), "--only", ONLY, "--no-progress",
                                 "--scrapyd", ",".join(n.url for n in nodes)], stderr=subprocess.PIPE, text=True)
        # the second node stops answering while 乙 is crawled there with rows in the store; its
        # job stops with it (a node cut off, not dead) …
        paused = until(lambda: job(1) in nodes[1].running() and db.scalar(
            "SELECT COUNT(*) FROM links WHERE site = '乙'"), proc)
        if paused:
            nodes[1].pause()
        # … 乙 is scheduled again on the first node, and the second comes back while that runs
        # (or, should the job have been paused inside a write, once the run waited long enough
        # for it): its job goes on crawling, and the store refuses what it writes
        if paused:
            until(lambda: job(2) in nodes[0].running(), proc)
        nodes[1].resume()
        _, stderr = proc.communicate(timeout=120)
        assert paused, stderr
        assert proc.returncode == 0, stderr
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and job(1) not in [j["id"] for j in nodes[1].jobs()["finished"]]:
            time.sleep(0.2)
        stale = nodes[1].job_log(job(1))
        assert "已被取代" in stale and "closing the spider" in stale, stale[-3000:]
    finally:
        for node in nodes:
            node.stop()
    audited_once(db, tmp_path / "out", one_process(), portals)
    assert db.scalar("SELECT COUNT(*) FROM pages") == db.scalar("SELECT COUNT(DISTINCT url) FROM pages")
    db.close()


def cli_run(cfg, out, nodes) -> tuple[subprocess.Popen, list[str]]:
    """``run --scrapyd`` of ``cfg`` on ``nodes``, started; its stderr lines as they come."""
    proc = subprocess.Popen([sys.executable, "-m", "portal_audit.cli", "run", "-c", str(cfg), "-o", str(out),
                             "--only", ONLY, "--no-progress", "--scrapyd", ",".join(n.url for n in nodes)],
                            stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True).start()
    return proc, lines


def test_ctrl_c_cancels_the_jobs_on_every_node_and_keeps_the_finished_sites(tmp_path, portals, pg_url, pg_server,
                                                                            one_process):
    """Ctrl-C of one run, while another store's run (another team's database: its run ids
    start at 1 too) crawls on the same nodes: the one's jobs are cancelled, the other's not."""
    nodes = ScrapydNode.start([tmp_path / "node1", tmp_path / "node2"])
    db = Store(pg_url)
    other_name = pg_server.create_database()
    other = Store(pg_server.url(other_name))
    assert db.identity != other.identity
    (tmp_path / "other").mkdir()
    # 甲 on the first node, 慢 (slow: seconds of crawl) on the second; the other store's 邻
    # (as slow) on the first: its first site, as 甲 is this run's (run1-site0-try1 for both
    # when job ids named the run alone)
    with served("bench", pages=300, hosts=("127.0.0.45",), port=0, latency=(0.5, 1.0)) as slow, \
            served("bench", pages=300, hosts=("127.0.0.46",), port=0, latency=(0.5, 1.0)) as neighbour:
        proc = their_proc = None
        try:
            cfg = config(tmp_path, {"甲": portals["甲"], "慢": slow}, store_url=pg_url)
            theirs = config(tmp_path / "other", {"邻": neighbour}, store_url=pg_server.url(other_name))
            proc, lines = cli_run(cfg, tmp_path / "out", nodes)
            their_proc, their_lines = cli_run(theirs, tmp_path / "other" / "out", nodes)
            their_job = job_id(other.identity, 1, 0, 1)
            # Ctrl-C once 甲 is finished and 慢 is crawled with rows in the store (and 邻 in its own) …
            ready = until(lambda: db.scalar("SELECT COUNT(*) FROM run_sites WHERE site = '甲'") and db.scalar(
                "SELECT COUNT(*) FROM links WHERE site = '慢'") and their_job in nodes[0].running() and other.scalar(
                "SELECT COUNT(*) FROM links WHERE site = '邻'"), proc)
            proc.send_signal(signal.SIGINT)
            # … and again while the jobs are being cancelled
            if until(lambda: any("正在取消各 Scrapyd 节点" in line for line in lines), proc, within=30):
                proc.send_signal(signal.SIGINT)
            proc.wait(timeout=120)
            stderr = "".join(lines)
            assert ready, stderr + "".join(their_lines)
            assert proc.returncode == 130, stderr
            # nothing of this run is left pending or running on either node; the other store's
            # job goes on crawling, its run too
            mine = job_prefix(db.identity, 1)
            for node in nodes:
                jobs = node.jobs()
                assert not [j for state in ("pending", "running") for j in jobs[state] if j["id"].startswith(mine)], \
                    (node.url, jobs)
            assert nodes[0].running() == [their_job] and their_proc.poll() is None, "".join(their_lines)
            crawled = other.scalar("SELECT COUNT(*) FROM links WHERE site = '邻'")
            assert until(lambda: other.scalar("SELECT COUNT(*) FROM links WHERE site = '邻'") > crawled, their_proc)
            their_proc.send_signal(signal.SIGINT)
            their_proc.wait(timeout=120)
            assert their_proc.returncode == 130 and "已取消 1 个站点（邻）" in "".join(their_lines), "".join(their_lines)
        finally:
            for p in (proc, their_proc):
                if p is not None and p.poll() is None:
                    p.kill()
            for node in nodes:
                node.stop()
            other.close()
            pg_server.drop_database(other_name)
    assert "Traceback" not in stderr, stderr
    assert "已中断（Ctrl-C）：已完成 1 个站点（甲），结果已保存；已取消 1 个站点（慢），本次未能检查" in stderr
    assert "正在取消节点上的作业，请稍候" in stderr       # the second Ctrl-C, while the jobs were cancelled
    assert "慢（未能检查，没有检查结果，不作为整改依据）：第 1 次" in stderr and "运行被中断（Ctrl-C）" in stderr
    assert db.scalar("SELECT status FROM runs") == "interrupted"
    assert {r[0]: r[1] for r in db.query("SELECT site, status FROM run_sites")} == {"甲": "ok", "慢": "not_audited"}
    # 甲's rows are all kept, 慢's (a crawl cut off) removed, and its late writes refused
    expected = one_process()
    for table in TABLES:
        assert per_site(db, table) == {"甲": expected["rows"][table]["甲"]}, table
    assert db.scalar("SELECT COUNT(*) FROM site_attempts") == 1
    db.close()


def test_ctrl_c_while_the_egg_is_deployed_ends_at_once_and_schedules_nothing(tmp_path, portals, pg_url):
    """One node deploys at once, the other (a loopback server that takes the upload and never
    answers) keeps the deploy step waiting: a Ctrl-C then ends the run without waiting for it."""
    (node,) = ScrapydNode.start([tmp_path / "node1"])
    silent = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.extend(silent.accept()[0] for _ in range(1)), daemon=True).start()
    proc = None
    try:
        cfg = config(tmp_path, portals, store_url=pg_url)
        proc = subprocess.Popen([sys.executable, "-m", "portal_audit.cli", "run", "-c", str(cfg), "-o",
                                 str(tmp_path / "out"), "--only", ONLY, "--no-progress", "--scrapyd",
                                 f"{node.url},http://127.0.0.1:{silent.getsockname()[1]}"],
                                stderr=subprocess.PIPE, text=True)
        deploying = until(lambda: held and node.api("listprojects.json").get("projects"), proc)
        asked = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        took = time.monotonic() - asked
        assert deploying, stderr
        assert proc.returncode == 130, stderr
        jobs = node.jobs()
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
        node.stop()
        for conn in held:
            conn.close()
        silent.close()
    assert took < 30, took      # not the 120 s the silent node's upload could take
    assert "Traceback" not in stderr, stderr
    assert "收到 Ctrl-C：部署未完成，尚未在 Scrapyd 节点上安排任何作业" in stderr
    assert "已中断（Ctrl-C）：部署未完成，未在节点上安排任何作业；4 个站点（甲、乙、丙、丁）本次未能检查" in stderr
    assert jobs["pending"] == [] and jobs["running"] == [] and jobs["finished"] == []
    db = Store(pg_url)
    assert db.scalar("SELECT status FROM runs") == "interrupted"
    assert {r[0] for r in db.query("SELECT status FROM run_sites")} == {"not_audited"}
    assert db.scalar("SELECT COUNT(*) FROM site_attempts") == 0
    db.close()


def test_every_node_dead_reports_every_site_not_audited(tmp_path, portals, dead_port, pg_url):
    cfg = config(tmp_path, portals, store_url=pg_url)
    nodes = f"http://127.0.0.1:{dead_port},http://127.0.0.1:{dead_port}/"
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--only", ONLY, "--scrapyd", nodes)
    assert result.returncode == 3, result.stderr
    for name in portals:
        assert f"{name}（未能检查，没有检查结果，不作为整改依据）：没有可用的 Scrapyd 节点" in result.stderr
    assert read_findings(tmp_path / "out") == []
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "有 4 个站点本次未能检查" in html and "部署失败" in html
    db = Store(pg_url)
    assert {r[0] for r in db.query("SELECT status FROM run_sites")} == {"not_audited"}
    assert db.scalar("SELECT status FROM runs") == "completed_with_errors"
    db.close()


@pytest.mark.parametrize("section, key", [
    ("{nodes: ['ftp://node1']}", "scrapyd.nodes[0]"),
    ("{nodes: ['http://node1:99999']}", "scrapyd.nodes[0]"),
    ("{nodes: ['http://node1:6800'], max_proc: 0}", "scrapyd.max_proc"),
    ("{nodes: ['http://node1:6800'], poll_interval: 0}", "scrapyd.poll_interval"),
    ("{nodes: ['http://node1:6800'], poll: 1}", "scrapyd.poll"),
])
def test_the_scrapyd_section_is_validated(section, key):
    with pytest.raises(ConfigError) as err:
        parse_config(f"sites: [{{name: 甲, url: 'http://127.0.0.1/'}}]\nstore: {{url: '{PG}'}}\nscrapyd: {section}\n")
    assert err.value.key == key


def test_a_sqlite_store_is_refused(tmp_path, portals):
    with pytest.raises(ConfigError) as err:
        parse_config("sites: [{name: 甲, url: 'http://127.0.0.1/'}]\nscrapyd: {nodes: ['http://127.0.0.1:6800']}\n")
    assert err.value.key == "scrapyd.nodes" and "需要 PostgreSQL 存储" in err.value.problem
    result = CliRunner().invoke(main, ["run", "-c", str(config(tmp_path, portals)), "-o", str(tmp_path / "out"),
                                       "--scrapyd", "http://127.0.0.1:6800"])
    assert result.exit_code == 2 and "--scrapyd: 在 Scrapyd 节点上采集需要 PostgreSQL 存储" in result.stderr
    assert not (tmp_path / "a.db").exists()


def test_scrapyd_urls_on_the_command_line_are_checked(tmp_path, portals):
    result = CliRunner().invoke(main, ["run", "-c", str(config(tmp_path, portals)), "-o", str(tmp_path / "out"),
                                       "--scrapyd", "http://127.0.0.1:6800,node2:6800"])
    assert result.exit_code == 2 and "--scrapyd" in result.stderr and "node2:6800" in result.stderr
