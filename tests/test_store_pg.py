"""The PostgreSQL store against a real server (tests/pgserver.py: one server per session,
one database per test): the same portal audited twice into SQLite and into PostgreSQL
gives the same findings, statuses, history and ledger; ``store migrate`` copies a history
both ways without losing a row; values PostgreSQL holds otherwise than SQLite (NUL in text,
sizes past 32 bits) are stored, and a write it refuses is retried row by row and recorded
(a transaction refused even at its COMMIT leaves either store usable);
the advisory lock refuses a second run; a bad or unreachable URL is a zh-CN message and
exit 2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from openpyxl import load_workbook

from portal_audit.lock import LockHeld, StoreLock
from store import Store
from store.migrations import MIGRATIONS
from tests.conftest import LOOPBACK_NETWORKS, fill, read_findings
from tests.conftest import write_config as conftest_config
from tests.hostile import HostileServer, page
from tests.loop_portal import Portal

CLI = [sys.executable, "-m", "portal_audit.cli"]
AUDIT_DATE = "2024-06-30"
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def cli(*args, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


def write_config(path: Path, portal: Portal, store: str, processes: int = 2) -> Path:
    a, b = portal.base["a"], portal.base["b"]
    path.write_text(f"""
audit_date: {AUDIT_DATE}
store: {store}
crawl: {{processes: {processes}, concurrency: 8, timeout: 4, retries: 0, respect_robots: false, {LOOPBACK_NETWORKS}, per_host_rate: 0}}
checks: {{select: [link, attachment, site.unreachable]}}
sites:
  - {{name: 甲市人民政府, url: '{a}/', disclosure: '{a}/xxgk/'}}
  - {{name: 乙县人民政府, url: '{b}/', disclosure: '{b}/xxgk/'}}
""", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def twins(tmp_path_factory, portal, pg_server):
    """Two runs of the changing portal (version 1, then 2: fixes, a new defect, a site down),
    each into a SQLite store (one crawl process) and into a PostgreSQL database (two crawl
    processes writing it at once)."""
    root = tmp_path_factory.mktemp("twins")
    url = pg_server.url(pg_server.create_database())
    stores = {"sqlite": str(root / "audit.db"), "pg": url}
    configs = {"sqlite": write_config(root / "sqlite.yaml", portal, f"{{path: '{stores['sqlite']}'}}", processes=1),
               "pg": write_config(root / "pg.yaml", portal, f"{{url: '{url}'}}")}
    for version in (1, 2):
        portal.set(version)
        for name, config in configs.items():
            done = cli("run", "-c", str(config), "-o", str(root / f"{name}{version}"), "--no-progress", cwd=root)
            assert done.returncode == 0, (name, version, done.stderr)
    portal.set(1)
    return root, stores


def comparable(finding: dict) -> tuple:
    return tuple(finding.get(k) for k in ("fingerprint", "check", "severity", "site", "url", "page", "message",
                                          "status"))


def run_statuses(location: str, run_id: int) -> dict[str, tuple]:
    store = Store(location)
    try:
        return {r["fingerprint"]: (r["status"], r["seen"], r["note"]) for r in store.query(
            "SELECT fingerprint, status, seen, note FROM finding_status WHERE run_id = ?", (run_id,))}
    finally:
        store.close()


def history(location: str) -> dict[str, tuple]:
    store = Store(location)
    try:
        return {r["fingerprint"]: tuple(r[c] for c in (
            "status", "status_run", "first_seen_run", "last_seen_run", "times_seen", "fixed_run", "times_fixed",
            "times_reopened", "message")) for r in store.query("SELECT * FROM finding_history")}
    finally:
        store.close()


def ledger_cells(path: Path) -> dict[str, list[tuple]]:
    """Every cell of the ledger, the times (首次发现, 最近发现: when the run happened) left out."""
    wb = load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple("<time>" if isinstance(v, str) and TIME.fullmatch(v) else v for v in row)
                           for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def test_postgresql_and_sqlite_give_the_same_audit(twins):
    root, stores = twins
    for version in (1, 2):
        # in the same order: the test server's databases sort text in the ICU collation zh
        # (tests/pgserver.py), where 甲市 comes before 乙县; in SQLite's byte order it comes after
        found = {name: [comparable(f) for f in read_findings(root / f"{name}{version}")] for name in stores}
        assert found["pg"] == found["sqlite"], version
        assert found["pg"], version
    assert run_statuses(stores["pg"], 2) == run_statuses(stores["sqlite"], 2)
    statuses = {s for s, _, _ in run_statuses(stores["pg"], 2).values()}
    assert {"new", "open", "fixed", "unverified"} <= statuses      # the loop moved, the same way
    assert history(stores["pg"]) == history(stores["sqlite"])
    assert ledger_cells(root / "pg2" / "ledger.xlsx") == ledger_cells(root / "sqlite2" / "ledger.xlsx")


def in_postgresql(config: Path, url: str) -> Path:
    """A copy of the SQLite ``config`` (tests/conftest.py's) with its store in ``url``."""
    pg = config.with_name(f"{config.stem}-pg.yaml")
    pg.write_text(re.sub(r"(?m)^store: .*$", f"store: {{url: '{url}'}}", config.read_text(encoding="utf-8")),
                  encoding="utf-8")
    return pg


def without_times(finding: dict) -> dict:
    """A finding without what depends on when and how fast the run went (latencies, the
    availability window ending now, first/last seen)."""
    evidence = {k: v for k, v in finding["evidence"].items() if k != "elapsed"}
    return {**{k: v for k, v in finding.items() if k not in ("first_seen", "last_seen", "site_verdict")},
            "evidence": evidence}


def test_the_sample_portal_gives_the_same_findings_in_both_stores(sample_server, pg_url, tmp_path):
    """Every check on the full sample portal: SQLite and PostgreSQL find the same 100-odd
    findings, field for field, in the same order."""
    sample_server.reset()
    sqlite = conftest_config(tmp_path / "sqlite.yaml", [("临沂市政府", sample_server.base_url)], store=tmp_path / "a.db")
    pg = in_postgresql(sqlite, pg_url)
    found = {}
    for name, config in (("sqlite", sqlite), ("pg", pg)):
        done = cli("run", "-c", str(config), "-o", str(tmp_path / name), "--no-progress", cwd=tmp_path, timeout=240)
        assert done.returncode == 0, done.stderr
        found[name] = [without_times(f) for f in read_findings(tmp_path / name)]
    assert len(found["pg"]) > 100
    assert found["pg"] == found["sqlite"]


def test_an_incremental_run_carries_links_in_postgresql_and_records_what_it_refuses(sample_server, pg_url,
                                                                                    tmp_path):
    """The unchanged sample portal into PostgreSQL twice: the 304 pages' link rows are copied by
    the store (one INSERT … SELECT), the same rows page by page. Then the copy of one page's
    links is refused (a trigger): the batch is written row by row, that page's refused rows are
    recorded in write_errors, every other page's links are there, and the run is
    completed_with_errors."""
    sample_server.reset()
    pg = in_postgresql(conftest_config(tmp_path / "c.yaml", [("临沂市政府", sample_server.base_url)],
                                       store=tmp_path / "a.db"), pg_url)
    cols = ("site, source_url, target_url, raw_href, anchor, tag, attr, line, kind, hidden, hidden_reason,"
            " list_date, fragment")

    def links(store, run_id):
        out: dict[str, list[tuple]] = {}
        for r in store.query(f"SELECT {cols} FROM links WHERE run_id = ? ORDER BY id", (run_id,)):
            out.setdefault(r["source_url"], []).append(tuple(r))
        return out

    for n in (1, 2):
        done = cli("run", "-c", str(pg), "-o", str(tmp_path / f"pg{n}"), "--no-progress", cwd=tmp_path, timeout=240)
        assert done.returncode == 0, done.stderr
    disclosure = sample_server.base_url + "xxgk/"
    store = Store(pg_url)
    try:
        assert store.scalar("SELECT COUNT(carried_from) FROM pages WHERE run_id = 2") > 0.9 * store.page_count(1)
        first = links(store, 1)
        assert first and links(store, 2) == first and first[disclosure]
    finally:
        store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
                     " BEGIN RAISE EXCEPTION 'database or disk is full'; END $$")
        conn.execute("CREATE TRIGGER refuse_links BEFORE INSERT ON links FOR EACH ROW"
                     f" WHEN (NEW.run_id = 3 AND NEW.source_url = '{disclosure}') EXECUTE FUNCTION refuse()")
    sample_server.reset()
    done = cli("run", "-c", str(pg), "-o", str(tmp_path / "pg3"), "--no-progress", cwd=tmp_path, timeout=240)
    assert done.returncode == 3, done.stderr           # completed_with_errors
    store = Store(pg_url)
    try:
        assert store.run(3)["status"] == "completed_with_errors"
        third = links(store, 3)
        assert disclosure not in third and third == {u: rows for u, rows in first.items() if u != disclosure}
        lost = store.query("SELECT table_name, url FROM write_errors WHERE run_id = 3")
        assert [tuple(r) for r in lost] == [("links", disclosure)] * len(first[disclosure])
    finally:
        store.close()


NUL_PAGE = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>关于\x00公布权责清单的通知</title></head><body>"
            "<h1>关于\x00公布权责清单的通知</h1><div class='article'><p>权责清单正文\x00内容。</p></div></body></html>")
# the fetch of one URL and the list dates settled when the crawl closes are refused, as by a full disk
REFUSE = """
CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'database or disk is full'; END $$;
CREATE TRIGGER refuse_fetch BEFORE INSERT ON fetches FOR EACH ROW WHEN (NEW.url LIKE '%/gone.html')
    EXECUTE FUNCTION refuse();
CREATE TRIGGER refuse_settle BEFORE UPDATE ON pages FOR EACH ROW WHEN (OLD.list_date IS DISTINCT FROM NEW.list_date)
    EXECUTE FUNCTION refuse()
"""


def test_postgresql_stores_what_sqlite_stores_and_records_what_it_refuses(pg_url, tmp_path):
    """What PostgreSQL refuses and SQLite does not: NUL in text (here an ETag; the parser
    reads a NUL in the page's title and text as U+FFFD) is dropped and the row stored, an
    attachment of 3 GB fits its 64-bit integers; the same findings as SQLite. Then writes
    fail (a trigger): the batch is retried row by row after its transaction was rolled
    back, the refused fetch and the refused close-time updates are recorded in write_errors,
    and the run is completed_with_errors (exit 3), the broken link unverified, not fixed."""
    srv = HostileServer({
        # the article is read through the home page's link (no date); its list gives it its date
        "/": page("<a href='/xxgk/nul.html'>权责清单</a><a href='/xxgk/'>政务公开</a><a href='/gone.html'>已删除的通知</a>"
                  "<a href='/big.zip'>视频合集</a>"),
        "/xxgk/": page("<ul><li><a href='/xxgk/nul.html'>关于公布权责清单的通知</a> 2024-05-06</li></ul>"),
        "/xxgk/nul.html": (200, {"Content-Type": "text/html; charset=utf-8", "ETag": '"ab\x00cd"'},
                           NUL_PAGE.encode("utf-8")),
        "/gone.html": page("not here", status=404),
        "/big.zip": (200, {"Content-Type": "application/zip", "Content-Length": "3000000000"}, b""),
    })
    try:
        sqlite = conftest_config(tmp_path / "c.yaml", [("甲站", srv.url("/"))], store=tmp_path / "a.db",
                                 extra="ipv6: {enabled: false}")
        run = lambda config, out: cli("run", "-c", str(config), "-o", str(tmp_path / out), "--no-progress",  # noqa: E731
                                      "--only", "link,site.unreachable", cwd=tmp_path)
        pg = in_postgresql(sqlite, pg_url)
        for config, out in ((sqlite, "sqlite"), (pg, "pg1")):
            done = run(config, out)
            assert done.returncode == 0, done.stderr
        found = [comparable(f) for f in read_findings(tmp_path / "pg1")]
        assert found == [comparable(f) for f in read_findings(tmp_path / "sqlite")]
        assert {f[1] for f in found} == {"link.broken"}
        store = Store(pg_url)
        try:
            assert store.fetch(1, srv.url("/big.zip"))["size"] == 3_000_000_000
            assert store.fetch(1, srv.url("/xxgk/nul.html"))["etag"] == '"abcd"'
            nul = store.page(1, srv.url("/xxgk/nul.html"))
            assert nul["title"] == "关于\ufffd公布权责清单的通知" and "权责清单正文" in nul["main_text"]
            assert nul["list_date"] == "2024-05-06"
            assert store.query("SELECT * FROM write_errors") == []
        finally:
            store.close()

        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(REFUSE)
        done = run(pg, "pg2")
        assert done.returncode == 3, done.stderr           # completed_with_errors
        assert "未能写入数据库" in done.stderr and "Traceback" not in done.stderr
        store = Store(pg_url)
        try:
            assert store.run(2)["status"] == "completed_with_errors"
            urls = lambda rid: {r["url"] for r in store.query(  # noqa: E731
                "SELECT url FROM fetches WHERE run_id = ? AND kind != 'probe'", (rid,))}
            assert urls(2) == urls(1) - {srv.url("/gone.html")}     # the rest of the batch, row by row
            lost = [tuple(r) for r in store.query("SELECT site, table_name, url, reason FROM write_errors"
                                                  " WHERE run_id = 2 ORDER BY id")]
            refused = "RaiseException: database or disk is full"
            assert lost == [("甲站", "fetches", srv.url("/gone.html"), refused),
                            ("甲站", "pages", "（页面所属栏目与列表日期）", refused)]
            assert store.scalar("SELECT s.status FROM finding_status s JOIN findings f ON f.fingerprint = s.fingerprint"
                                " WHERE s.run_id = 2 AND f.run_id = 1 AND f.url = ?",
                                (srv.url("/gone.html"),)) == "unverified"
        finally:
            store.close()
    finally:
        srv.stop()


@pytest.mark.parametrize("backend", ["sqlite", "pg"])
def test_a_write_refused_at_commit_leaves_the_store_usable(backend, request, tmp_path):
    """A transaction whose COMMIT fails (here a deferred foreign key) is rolled back: the
    next write goes in (SQLite kept it open and refused every later BEGIN)."""
    store = Store(request.getfixturevalue("pg_url") if backend == "pg" else tmp_path / "a.db")
    try:
        if backend == "sqlite":
            store.db.execute("PRAGMA foreign_keys = ON")
        store.ddl("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        store.ddl("CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id)"
                  " DEFERRABLE INITIALLY DEFERRED)")
        with pytest.raises(store.write_failures):
            store.insert_many("child", [{"parent": 5}])
        store.insert_many("parent", [{"id": 5}])
        store.insert_many("child", [{"parent": 5}])
        assert [tuple(r) for r in store.query("SELECT parent FROM child")] == [(5,)]
    finally:
        store.close()


def test_a_store_made_with_narrow_types_is_migrated_to_the_wide_ones(pg_url):
    """A PostgreSQL store whose integers were 32-bit and text in the database's collation (as
    made before m014) gets BIGINT and COLLATE "C" when opened."""
    store = Store(pg_url)
    store.db.execute('ALTER TABLE fetches ALTER COLUMN size TYPE INTEGER, ALTER COLUMN url TYPE TEXT COLLATE "default"')
    store.db.execute('ALTER TABLE runs ALTER COLUMN status TYPE TEXT COLLATE "default"')
    store.db.execute("DELETE FROM schema_migrations WHERE name = 'm014_column_types'")
    store.close()
    store = Store(pg_url)
    try:
        assert store.query("SELECT table_name, column_name FROM information_schema.columns"
                           " WHERE table_schema = current_schema() AND (data_type = 'integer'"
                           " OR data_type = 'text' AND collation_name IS DISTINCT FROM 'C')") == []
        assert store.schema_version == len(MIGRATIONS)
    finally:
        store.close()


def table_rows(location: str) -> dict[str, list[tuple]]:
    store = Store(location)
    try:
        return {t: sorted((tuple(r) for r in store.query(f"SELECT * FROM {t}")), key=repr)
                for t in store.tables() if t not in ("schema_migrations", "store_meta")}
    finally:
        store.close()


def test_store_migrate_round_trip(twins, pg_url, tmp_path, portal):
    root, stores = twins
    there = cli("store", "migrate", "--from", stores["sqlite"], "--to", pg_url, cwd=root)
    assert there.returncode == 0, there.stderr
    assert "已将" in there.stdout and "运行 2" in there.stdout and "问题历史" in there.stdout
    back_path = tmp_path / "back.db"
    back = cli("store", "migrate", "--from", pg_url, "--to", str(back_path), cwd=root)
    assert back.returncode == 0, back.stderr
    assert table_rows(str(back_path)) == table_rows(stores["sqlite"])
    # every copy is a store of its own (Scrapyd job ids name it): its identity is not copied
    identities = set()
    for location in (stores["sqlite"], pg_url, str(back_path)):
        store = Store(location)
        identities.add(store.identity)
        store.close()
    assert len(identities) == 3
    again = cli("store", "migrate", "--from", stores["sqlite"], "--to", pg_url, cwd=root)
    assert again.returncode == 2 and "已有数据" in again.stderr
    # the migrated history goes on: run 3 gets the next id and sees the loop's statuses
    config = write_config(tmp_path / "migrated.yaml", portal, f"{{url: '{pg_url}'}}", processes=1)
    portal.set(2)
    done = cli("run", "-c", str(config), "-o", str(tmp_path / "out3"), "--no-progress", cwd=root)
    portal.set(1)
    assert done.returncode == 0, done.stderr
    statuses = run_statuses(pg_url, 3)
    assert statuses and set(s for s, _, _ in statuses.values()) <= {"open", "unverified", "new"}


def test_advisory_lock_refuses_a_second_run(pg_url, tmp_path, portal):
    config = write_config(tmp_path / "pg.yaml", portal, f"{{url: '{pg_url}'}}", processes=1)
    with StoreLock(pg_url, "run"):
        with pytest.raises(LockHeld) as held:
            StoreLock(pg_url, "recheck").acquire()
        assert f"进程 {os.getpid()}" in str(held.value) and "咨询锁" in str(held.value)
        with StoreLock(pg_url, "watch", suffix=".watch.lock"):    # the watch's own lock is another
            pass
        refused = cli("run", "-c", str(config), "-o", str(tmp_path / "out"), "--no-progress", cwd=tmp_path)
    assert refused.returncode == 75, refused.stderr
    assert "另一个检查任务正在使用同一数据库" in refused.stderr and f"进程 {os.getpid()}" in refused.stderr
    with StoreLock(pg_url, "run"):          # released with its connection
        pass


@pytest.mark.parametrize("url, says", [
    ("postgresql://postgres:s3cret@127.0.0.1:{dead}/audit", "无法连接 PostgreSQL 数据库"),
    ("postgresql://postgres@127.0.0.1:{live}/no_such_db", "无法连接 PostgreSQL 数据库"),
    ("postgresql://127.0.0.1:{live}/", "缺少数据库名"),
    ("mysql://127.0.0.1/audit", "应为 postgresql://"),
])
def test_bad_postgresql_url_is_a_message_and_exit_2(url, says, pg_server, dead_port, tmp_path, portal):
    url = url.format(dead=dead_port, live=pg_server.port)
    config = write_config(tmp_path / "bad.yaml", portal, f"{{url: '{url}'}}", processes=1)
    done = cli("run", "-c", str(config), "-o", str(tmp_path / "out"), "--no-progress", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
    assert "s3cret" not in done.stderr


def test_store_path_and_url_together_are_refused(tmp_path, portal):
    config = write_config(tmp_path / "both.yaml", portal, "{path: a.db, url: 'postgresql://u@127.0.0.1:5432/audit'}")
    done = cli("run", "-c", str(config), "-o", str(tmp_path / "out"), "--no-progress", cwd=tmp_path)
    assert done.returncode == 2 and "只能给出一个" in done.stderr


def recheck_state(location: str) -> dict[str, tuple]:
    store = Store(location)
    try:
        return {r["fingerprint"]: tuple(r[c] for c in (
            "status", "feedback_status", "waived_by", "awaiting_recheck", "recheck_result", "recheck_note"))
            for r in store.query("SELECT * FROM finding_history")}
    finally:
        store.close()


def test_feedback_and_recheck_behave_the_same(twins, portal):
    """(After the migrate test, which counts the twins' runs.) The unit answers the same ledger
    in both stores — one 误报, two 已整改 — and the re-check decides the same in both."""
    root, stores = twins
    a = portal.base["a"]
    answers = {f"{a}/files/gone2.html": ("误报", "历史归档链接，已说明", None, None),
               f"{a}/files/new1.html": ("已整改", "已补上附件", None, None),
               f"{a}/files/gone5.html": ("已整改", "已修复", None, None)}
    portal.set(4)                       # new1.html answers again, gone5.html is still broken
    try:
        for name in stores:
            config = str(root / f"{name}.yaml")
            filled = fill(root / f"{name}2" / "ledger.xlsx", answers)
            done = cli("feedback", "import", str(filled), "-c", config, "--by", "督查科", cwd=root)
            assert done.returncode == 0, done.stderr
            done = cli("recheck", "-c", config, "-o", str(root / f"{name}-recheck"), cwd=root)
            assert done.returncode == 0, done.stderr
    finally:
        portal.set(1)
    state = recheck_state(stores["pg"])
    assert state == recheck_state(stores["sqlite"])
    results = {s[0]: s[4] for s in state.values() if s[4]}
    assert results == {"fixed": "已整改", "open": "未整改"}
    assert sum(s[0] == "waived" for s in state.values()) == 1


def test_each_sites_document_texts_are_attached_once_whichever_crawl_ends_last(pg_url):
    # two crawl processes (or Scrapyd jobs) write one run and end one after the other
    db = Store(pg_url)
    run = db.begin_run(audit_date=AUDIT_DATE, config={}, options={}, versions={})
    for site in ("甲", "乙"):
        db.insert_many("pages", [{"run_id": run, "site": site, "url": f"http://{site}/a.html", "main_text": "正文",
                                  "document_url": f"http://{site}/a.pdf"}])
        db.insert_many("attachment_texts", [{"run_id": run, "site": site, "url": f"http://{site}/a.pdf",
                                             "text": "附件"}])
        db.attach_document_texts(run, site)
    assert [r[0] for r in db.query("SELECT main_text FROM pages ORDER BY site")] == ["正文 附件", "正文 附件"]
    db.close()
