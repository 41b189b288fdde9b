"""Nothing gathered is lost without a trace, and a run that lost rows proves no fix
(issue 13): hostile header values, writes failing for a moment, reports with hostile text."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys

import lxml.html
import openpyxl
import pytest

from store import Store
from tests.conftest import read_findings, run_cli, write_config
from tests.hostile import HostileServer, page

HUGE = "99999999999999999999999"


@pytest.fixture
def portal():
    srv = HostileServer({
        "/": page("<a href='/a.html'>栏目甲</a> <a href='/gone.html'>已删除的通知</a>"
                  "<a href='/big.pdf'>大附件</a>"),
        "/a.html": page("<p>正文</p>"),
        "/gone.html": page("not here", status=404),
        # HEAD and GET both announce a size no SQLite INTEGER can hold
        "/big.pdf": (200, {"Content-Type": "application/pdf", "Content-Length": HUGE}, b""),
    })
    yield srv
    srv.stop()


def _cfg(tmp_path, srv):
    return write_config(tmp_path / "c.yaml", [("甲站", srv.url("/"))], store=tmp_path / "a.db",
                        extra="ipv6: {enabled: false}")


def _run(cfg, out):
    return run_cli("run", "-c", str(cfg), "-o", str(out), "--no-progress", "--only", "link,site.unreachable")


def test_a_huge_content_length_is_stored_and_a_lost_row_proves_no_fix(tmp_path, portal):
    cfg = _cfg(tmp_path, portal)
    first = _run(cfg, tmp_path / "o1")
    assert first.returncode == 0, first.stderr
    db = sqlite3.connect(tmp_path / "a.db")
    assert db.execute("SELECT COUNT(*) FROM write_errors").fetchone()[0] == 0
    # the absurd Content-Length is clamped at the edge: the row is stored, with the real size
    big = db.execute("SELECT outcome, size FROM fetches WHERE url LIKE '%big.pdf'").fetchall()
    assert len(big) == 1 and (big[0][1] is None or big[0][1] < 2**53), big
    broken = [f for f in read_findings(tmp_path / "o1") if f["check"] == "link.broken"]
    assert [f["url"] for f in broken] == [portal.url("/gone.html")]

    # the disk "fills" for the row of the still-broken link: SQLite refuses it
    db.execute("CREATE TRIGGER poison BEFORE INSERT ON fetches WHEN NEW.url LIKE '%gone.html'"
               " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    db.commit()
    second = _run(cfg, tmp_path / "o2")
    assert second.returncode == 3, second.stderr            # completed_with_errors
    assert "未能写入数据库" in second.stderr
    run2 = db.execute("SELECT status FROM runs WHERE id = 2").fetchone()[0]
    assert run2 == "completed_with_errors"
    # the rest of the batch was written row by row: every other fetch of run 1 is there
    urls = lambda rid: {u for (u,) in db.execute("SELECT url FROM fetches WHERE run_id = ? AND kind != 'probe'",  # noqa: E731
                                                 (rid,))}
    assert urls(2) == urls(1) - {portal.url("/gone.html")}
    lost = db.execute("SELECT site, table_name, url, reason FROM write_errors WHERE run_id = 2").fetchall()
    assert lost == [("甲站", "fetches", portal.url("/gone.html"), "IntegrityError: database or disk is full")]
    # the broken link is not called fixed, with the reason
    status, note = db.execute("SELECT status, note FROM finding_status WHERE run_id = 2 AND check_code ="
                              " 'link.broken'").fetchone()
    assert status == "unverified" and "未能写入" in note
    assert db.execute("SELECT status FROM finding_history WHERE check_code = 'link.broken'").fetchone()[0] == "new"
    html = (tmp_path / "o2" / "report.html").read_text(encoding="utf-8")
    assert "未能写入数据库" in html and "访问结果 1 条" in html

    # the next clean run decides again
    db.execute("DROP TRIGGER poison")
    db.commit()
    third = _run(cfg, tmp_path / "o3")
    assert third.returncode == 0, third.stderr
    assert db.execute("SELECT status FROM finding_status WHERE run_id = 3 AND check_code = 'link.broken'"
                      ).fetchone()[0] == "open"


HOSTILE_TITLE = "通知\ufffe\uffff公告\x00\x07\x1b"
FORMULA_ANCHORS = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+2", "-3", "@SUM(A1)"]


def test_every_output_opens_with_hostile_text(tmp_path):
    links = "".join(f"<a href='/f{i}.html'>{a}</a>" for i, a in enumerate(FORMULA_ANCHORS))
    srv = HostileServer({"/": page(f"<title>{HOSTILE_TITLE}</title>{links}"
                                   f"<a href='/bad.html'>{HOSTILE_TITLE}</a>")})
    try:
        cfg = _cfg(tmp_path, srv)
        result = _run(cfg, tmp_path / "out")
        assert result.returncode == 0, result.stderr
        out = tmp_path / "out"
        findings = read_findings(out)
        assert len([f for f in findings if f["check"] == "link.broken"]) == len(FORMULA_ANCHORS) + 1
        wb = openpyxl.load_workbook(out / "ledger.xlsx")
        cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]
        assert not any(isinstance(v, str) and ("\ufffe" in v or "\x00" in v) for v in cells)
        with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        anchors = {r["链接文字"] for r in rows}
        assert {f"'{a}" for a in FORMULA_ANCHORS} <= anchors
        assert not any(cell and cell[0] in "=+-@" for r in rows for cell in r.values())
        text = (out / "report.html").read_text(encoding="utf-8")
        assert "\x00" not in text and "\ufffe" not in text
        assert lxml.html.fromstring(text).xpath("//main")
        again = run_cli("report", "1", "--store", str(tmp_path / "a.db"), "-o", str(tmp_path / "re"))
        assert again.returncode == 0, again.stderr
        assert json.loads((tmp_path / "re" / "findings.jsonl").read_text(encoding="utf-8").splitlines()[0])
    finally:
        srv.stop()


def test_one_writer_failing_keeps_the_others_and_says_so(tmp_path):
    """A report file that cannot be written (here: a directory is in its way) costs no other file."""
    srv = HostileServer({"/": page("<a href='/x.html'>x</a>")})
    try:
        cfg = _cfg(tmp_path, srv)
        (tmp_path / "out" / "ledger.xlsx").mkdir(parents=True)
        result = _run(cfg, tmp_path / "out")
        assert result.returncode == 3, result.stderr
        assert "ledger.xlsx 未能写出" in result.stderr
        assert read_findings(tmp_path / "out") and (tmp_path / "out" / "findings.csv").exists()
        store = Store(tmp_path / "a.db")
        assert store.run(1)["status"] == "completed_with_errors"
        store.close()
    finally:
        srv.stop()


# a report writer added in the CLI's process that records what the store says of the run
# while the reports are being written
WATCHING_WRITER = """
import json, sys
import reports
from portal_audit import cli
from store import Store

STORE = sys.argv[1]

def seen(data, path):
    store = Store(STORE)
    try:
        row = store.run(data.run["id"])
        path.write_text(json.dumps({"stored": row["status"], "shown": data.run["status"]}))
    finally:
        store.close()

reports.WRITERS["seen.json"] = seen
sys.argv = ["portal-audit", *sys.argv[2:]]
cli.main()
"""


def test_reports_are_written_before_the_run_is_marked(tmp_path):
    """The run stays 'running' while its reports are written (the reports show the status it
    is finishing with); it is marked once they are, and a writer failing makes it
    completed_with_errors without losing the finding history's mark."""
    srv = HostileServer({"/": page("<a href='/x.html'>x</a>")})
    try:
        cfg = _cfg(tmp_path, srv)
        args = ["run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress", "--only", "link"]
        result = subprocess.run([sys.executable, "-c", WATCHING_WRITER, str(tmp_path / "a.db"), *args],
                                capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, result.stderr
        assert json.loads((tmp_path / "out" / "seen.json").read_text()) == {"stored": "running", "shown": "completed"}
        (tmp_path / "out2" / "ledger.xlsx").mkdir(parents=True)
        failed = _run(cfg, tmp_path / "out2")
        assert failed.returncode == 3, failed.stderr
        store = Store(tmp_path / "a.db")
        try:
            for run_id, status in ((1, "completed"), (2, "completed_with_errors")):
                row = store.run(run_id)
                assert row["status"] == status and row["finished_at"]
                stats = json.loads(row["stats_json"])
                assert "history" in stats and stats["checks"] > 0, stats
            assert "ledger.xlsx" in json.loads(store.run(2)["stats_json"])["report_errors"]
        finally:
            store.close()
    finally:
        srv.stop()


def test_a_soft404_is_rechecked_through_its_verify_rule(tmp_path):
    """recheck decides link.soft404 through ``verify=target-probe`` like any other check: fixed
    once the page answers with content and the host's answer to an unknown URL was taken; while
    that answer is inconclusive (rate-limited), the re-check proves nothing."""
    srv = HostileServer({"/": page("<a href='/x.html'>关于开展安全检查的通知</a>"),
                         "/x.html": page("<title>页面不存在</title><p>您访问的页面不存在</p>")})
    try:
        cfg = _cfg(tmp_path, srv)
        first = run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "o1"), "--no-progress", "--only", "link")
        assert first.returncode == 0, first.stderr
        assert [f["check"] for f in read_findings(tmp_path / "o1") if f["url"].endswith("/x.html")] == ["link.soft404"]
        srv.routes["/x.html"] = page("<title>关于开展安全检查的通知</title><p>正文</p>")
        # every unknown URL of the host (its not-found sample) is now rate-limited: inconclusive
        fallback, srv.fallback = srv.fallback, (429, {"Content-Type": "text/html"}, b"<html>429</html>")
        blocked = run_cli("recheck", "-c", str(cfg), "--status", "open", "-o", str(tmp_path / "r1"))
        assert blocked.returncode == 0, blocked.stderr
        db = sqlite3.connect(tmp_path / "a.db")
        status, result, note = db.execute("SELECT status, recheck_result, recheck_note FROM finding_history"
                                          " WHERE check_code = 'link.soft404'").fetchone()
        assert status == "new" and result.startswith("无法复核") and "软404样本" in note, (status, result, note)
        srv.fallback = fallback                  # unknown URLs answer 404 again
        fixed = run_cli("recheck", "-c", str(cfg), "--status", "open", "-o", str(tmp_path / "r2"))
        assert fixed.returncode == 0, fixed.stderr
        status, result = db.execute("SELECT status, recheck_result FROM finding_history"
                                    " WHERE check_code = 'link.soft404'").fetchone()
        assert (status, result) == ("fixed", "已整改")
    finally:
        srv.stop()
