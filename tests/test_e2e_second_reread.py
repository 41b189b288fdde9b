"""A finding is proven fixed only by re-reading the page that carries the defect, never by
a list page answering 200 (issue 10 §1): two audits of the second generated portal into one
store, where the second one fetches the defect pages but cannot read them (they answer
200 as a download), while every list page linking to them still answers and is parsed.
Nothing may be called fixed; the report and the run summary say which pages were left
unparsed and why, per site and per column."""

from __future__ import annotations

import dataclasses
import sqlite3
from urllib.parse import urlsplit

import pytest

from checks.registry import verify_rules
from core.models import Verify
from portal_audit.sample import Resource
from portal_audit.sample.model import MAIN
from tests.conftest import read_findings, run_cli, served, write_config

#: the checks whose fix is proven by re-reading the finding's own page (its ``url``)
REREAD = (Verify.PAGE, Verify.SITE)


def as_download(res: Resource) -> Resource:
    """The same answer, served as a binary download (fetched: 200; never parsed)."""
    return Resource(handler=lambda request: dataclasses.replace(res.respond(request),
                                                                content_type="application/octet-stream"))


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reread")
    with served("second") as srv:
        cfg = write_config(tmp / "c.yaml", [("青山县", srv.base_url)], store=tmp / "a.db")
        first = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out1"), "--no-progress")
        assert first.returncode in (0, 1), first.stderr
        findings = read_findings(tmp / "out1")
        rules = verify_rules()
        site = srv.portal.sites[MAIN]
        unread = set()
        for f in findings:
            if rules[f["check"]] in REREAD and f["url"].startswith(srv.base_url):
                parts = urlsplit(f["url"])
                key, res = site.lookup(parts.path, parts.query)
                if res is not None and key not in unread:
                    site.resources[key] = as_download(res)
                    unread.add(key)
        # afresh (no conditional requests: a 304 would carry the unchanged page's facts over)
        cfg = write_config(tmp / "c.yaml", [("青山县", srv.base_url)], store=tmp / "a.db",
                           crawl={"incremental": "false"})
        second = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out2"), "--no-progress")
        assert second.returncode in (0, 1), second.stderr
        db = sqlite3.connect(tmp / "a.db")
        db.row_factory = sqlite3.Row
        yield {"findings": findings, "rules": rules, "db": db, "summary": second.stderr,
               "report": (tmp / "out2" / "report.html").read_text(encoding="utf-8")}
        db.close()


def test_no_finding_is_fixed_when_its_page_was_fetched_but_not_reread(two_runs):
    db, rules = two_runs["db"], two_runs["rules"]
    status = {r["fingerprint"]: r for r in db.execute("SELECT * FROM finding_status WHERE run_id = 2")}
    reread = [f for f in two_runs["findings"] if rules[f["check"]] in REREAD]
    codes = {f["check"] for f in reread}
    assert {"metadata.missing", "metadata.inconsistent", "column.empty", "column.stale",
            "privacy.id-number", "policy.no-interpretation", "document.expired-unmarked"} <= codes
    for f in reread:
        row = status[f["fingerprint"]]
        assert row["status"] == "unverified", (f["check"], f["url"], row["status"])
        assert row["note"] == "问题所在页面本次未访问到"
        fetch = db.execute("SELECT outcome, unparsed FROM fetches WHERE run_id = 2 AND url = ?", (f["url"],)).fetchone()
        assert tuple(fetch) == ("ok", "non-HTML"), f["url"]     # it answered 200 and was not read
        if f["page"]:   # the list page linking to it answered and was parsed: that proves nothing
            assert db.execute("SELECT 1 FROM pages WHERE run_id = 2 AND url = ?", (f["page"],)).fetchone()
    assert not db.execute("SELECT COUNT(*) FROM finding_status WHERE run_id = 2 AND status = 'fixed'").fetchone()[0]


def test_report_and_summary_show_what_was_not_parsed_per_column(two_runs):
    db, report = two_runs["db"], two_runs["report"]
    unparsed = db.execute("SELECT COUNT(*) FROM fetches WHERE run_id = 2 AND unparsed IS NOT NULL").fetchone()[0]
    assert unparsed >= 10
    assert f"已获取未解析 {unparsed}（非网页内容 {unparsed}" in two_runs["summary"]
    assert "采集覆盖不完整" in report and f"非网页内容 {unparsed}" in report
    # per column: the 政策文件 list (jpage proxy) links policies left unparsed
    assert "已获取未解析（原因）" in report
    per_column = [r for r in db.execute(
        "SELECT p.column_url, COUNT(DISTINCT l.target_url) AS n FROM pages p JOIN links l"
        " ON l.run_id = p.run_id AND l.source_url = p.url JOIN fetches f ON f.run_id = l.run_id"
        " AND f.url = l.target_url WHERE p.run_id = 2 AND f.unparsed = 'non-HTML' AND p.column_url IS NOT NULL"
        " AND p.is_home = 0 AND (p.is_list = 1 OR p.url = p.column_url) GROUP BY p.column_url")]
    assert per_column
    for col, n in per_column:
        assert f"{col}</td>" in report and f"非网页内容 {n}</td>" in report
