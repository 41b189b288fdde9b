"""End to end: the real CLI crawls the sample portal (plus two small sites on the second
loopback host) and must report exactly the planted timeliness, metadata, privacy and
column defects; no output may hold a full ID or mobile number."""

from __future__ import annotations

import sqlite3

import pytest

import openpyxl

from portal_audit.sample.content_misc import EXTRA_SITES, PRIVATE_VALUES
from tests.conftest import read_findings, run_cli, write_config

ONLY = "disclosure,metadata,privacy,column,site.home-stale"
FAMILIES = ("disclosure.", "metadata.", "privacy.", "column.")


def ours(code: str) -> bool:
    return code.startswith(FAMILIES) or code == "site.home-stale"


@pytest.fixture(scope="module")
def audit(tmp_path_factory, sample_server):
    sample_server.reset()
    tmp = tmp_path_factory.mktemp("content_misc")
    store = tmp / "audit.db"
    sites = [("临沂市政府", sample_server.base_url)]
    sites += [(name, sample_server.url(path)) for name, path in EXTRA_SITES.items()]
    cfg = write_config(tmp / "c.yaml", sites, store=store)
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out"), "--no-progress", "--only", ONLY)
    assert result.returncode == 0, result.stderr
    return {"out": tmp / "out", "store": store, "stderr": result.stderr, "findings": read_findings(tmp / "out")}


def test_exactly_the_planted_defects(audit, sample_server):
    got = sorted({(f["check"], f["url"]) for f in audit["findings"]})
    expected = sorted({(e.check, e.url) for e in sample_server.expected if ours(e.check)})
    assert got == expected
    assert all(ours(f["check"]) for f in audit["findings"])


def test_no_full_number_in_any_output(audit):
    out = audit["out"]
    texts = {name: (out / name).read_text(encoding="utf-8-sig") for name in ("findings.jsonl", "findings.csv",
                                                                           "report.html")}
    db = sqlite3.connect(audit["store"])
    texts["store.findings"] = "\n".join(m + e for m, e in db.execute("SELECT message, evidence_json FROM findings"))
    texts["store.history"] = "\n".join(m + e for m, e in db.execute("SELECT message, evidence_json FROM finding_history"))
    db.close()
    wb = openpyxl.load_workbook(out / "ledger.xlsx", read_only=True)
    texts["ledger.xlsx"] = "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                                     for v in row if v is not None)
    wb.close()
    for name, text in texts.items():
        for value in PRIVATE_VALUES:
            assert value not in text, f"{value} in {name}"
    masked = {f["evidence"]["masked"] for f in audit["findings"] if f["check"].startswith("privacy.")}
    assert {"371302********2538", "371311********001X", "139****1234", "139****8765", "135****8899"} <= masked
    # the 低保 spreadsheet (an XLSX attachment): every row's ID and mobile
    assert {"371302********3014", "371322********402X", "371325********2831",
            "138****1122", "159****4433", "187****6655"} <= masked
    assert all("*" in f["evidence"]["context"] for f in audit["findings"] if f["check"].startswith("privacy."))


def test_evidence_says_why(audit, sample_server):
    by = {(f["check"], f["url"]): f for f in audit["findings"]}
    late = [f for f in audit["findings"] if f["check"] == "disclosure.late"]
    assert {f["evidence"]["limit"] for f in late} == {7, 20}
    assert all(f["evidence"]["working_days"] > f["evidence"]["limit"] for f in late)
    stale = by[("site.home-stale", sample_server.url("/zhen/index.html"))]
    assert stale["evidence"]["newest"] == "2024-05-20" and stale["severity"] == "error"
    kinds = {f["evidence"]["kind_label"] for f in audit["findings"] if f["check"] == "column.stale"}
    assert kinds == {"动态/要闻", "通知公告", "其他栏目"}
    inconsistent = {p["what"] for f in audit["findings"] if f["check"] == "metadata.inconsistent"
                    for p in f["evidence"]["problems"]}
    assert inconsistent == {"列表日期与发布日期不一致", "正文落款日期与成文日期不一致", "发布日期早于成文日期"}


def test_an_attachment_finding_names_the_attachment_and_a_linking_page(audit, sample_server):
    xlsx = [f for f in audit["findings"] if f["check"].startswith("privacy.") and f["url"].endswith(".xlsx")]
    assert {f["check"] for f in xlsx} == {"privacy.id-number", "privacy.mobile"} and len(xlsx) == 6
    expected = {(e.check, e.url): e.page for e in sample_server.expected}
    for f in xlsx:
        assert f["page"] == expected[(f["check"], f["url"])] and f["page"].endswith("_5305.html")
        assert "附件" in f["message"] and f["evidence"]["where"] == "附件"
        assert f["evidence"]["attachment"] == f["url"] and f["evidence"]["distinct_on_page"] == 3
    # the DOCX carrying a download-only article is reported on the article only, not twice
    assert not any(f["url"].endswith(".docx") for f in audit["findings"])
    db = sqlite3.connect(audit["store"])
    read = {url for (url,) in db.execute("SELECT url FROM attachment_texts")}
    fetched = db.execute("SELECT method, outcome FROM fetches WHERE url = ?", (xlsx[0]["url"],)).fetchall()
    db.close()
    assert any(u.endswith("P020240621530501.xlsx") for u in read) and any(u.endswith(".docx") for u in read)
    assert fetched == [("GET", "ok")]   # the check and the read are one GET
