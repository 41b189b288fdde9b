"""End to end: the real CLI crawls the sample portal (plus four small sites on the main
host) and must report exactly the planted timeliness, metadata, privacy, column, 年度报告,
互动回应 and 错别字 defects; no output may hold a full ID or mobile number."""

from __future__ import annotations

import sqlite3

import pytest

import openpyxl

from portal_audit.sample.content_inspect import EXTRA_SITES as INSPECTION_SITES
from portal_audit.sample.content_misc import EXTRA_SITES, PRIVATE_VALUES
from tests.conftest import read_findings, run_cli, unlabeled_evidence, write_config

ONLY = "disclosure,metadata,privacy,column,site.home-stale,report,interaction,text"
FAMILIES = ("disclosure.", "metadata.", "privacy.", "column.", "report.", "interaction.", "text.")


def ours(code: str) -> bool:
    return code.startswith(FAMILIES) or code == "site.home-stale"


@pytest.fixture(scope="module")
def audit(tmp_path_factory, sample_server):
    sample_server.reset()
    tmp = tmp_path_factory.mktemp("content_misc")
    store = tmp / "audit.db"
    sites = [("临沂市政府", sample_server.base_url)]
    sites += [(name, sample_server.url(path)) for name, path in {**EXTRA_SITES, **INSPECTION_SITES}.items()]
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


# -- issue 15: required columns, 年度报告, 公开属性, 互动回应, 错别字 ----------------------------------

COUNTY, DISTRICT = INSPECTION_SITES


def test_inspection_findings_say_what_and_spare_the_lookalikes(audit, sample_server):
    found = audit["findings"]

    def of(code):
        return [f for f in found if f["check"] == code]

    missing = sorted((f["site"], f["evidence"]["missing"]) for f in of("column.required-missing"))
    assert missing == [(COUNTY, "政府信息公开制度"), (COUNTY, "政府信息公开年报")]
    assert [(f["site"], f["evidence"]["year"]) for f in of("report.annual-missing")] == [(COUNTY, 2023)]
    late = of("report.annual-late")
    assert [(f["site"], f["evidence"]["published"], f["evidence"]["days_late"]) for f in late] == [
        (DISTRICT, "2024-02-05", 5)]
    assert {f["evidence"]["problem"] for f in of("metadata.disclosure-attribute")} == {"missing", "invalid", "published"}
    unanswered = sorted((f["site"], f["evidence"]["problem"], f["evidence"].get("asked")) for f in of("interaction.unanswered"))
    assert unanswered == sorted([(COUNTY, "no-channel", None), ("某镇人民政府（样例）", "no-channel", None),
                                 ("某街道办事处（样例）", "no-channel", None),
                                 (DISTRICT, "unanswered", "2023-12-01"), (DISTRICT, "unanswered", "2024-02-10")])
    assert all(f["severity"] == "error" for f in of("interaction.unanswered") + of("text.serious-error"))
    texts = sorted((f["check"], f["evidence"]["wrong"], f["evidence"]["right"], f["evidence"]["category"])
                   for f in of("text.serious-error") + of("text.typo"))
    assert texts == [("text.serious-error", "扫黑险恶", "扫黑除恶", "时政表述"),
                     ("text.typo", "布署", "部署", "一般"), ("text.typo", "政府信息工开条例", "政府信息公开条例", "法律名称")]
    for f in of("text.serious-error") + of("text.typo"):
        assert f["evidence"]["where"] == "正文" and f"【{f['evidence']['wrong']}】" in f["evidence"]["context"]
    urls = {f["url"] for f in found}
    for name in ("annual-report-on-jan-31", "message-answered-after-89-days", "on-request-catalogue-entry",
                 "required-columns-other-wording"):
        assert sample_server.lookalikes[name] not in urls, name


def test_inspection_findings_reach_report_ledger_and_jsonl(audit):
    out = audit["out"]
    html = (out / "report.html").read_text(encoding="utf-8")
    wb = openpyxl.load_workbook(out / "ledger.xlsx", read_only=True)
    ledger = "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    wb.close()
    codes = ("column.required-missing", "report.annual-missing", "report.annual-late", "metadata.disclosure-attribute",
             "interaction.unanswered", "text.serious-error", "text.typo")
    jsonl = {f["check"] for f in audit["findings"]}
    for code in codes:
        assert code in jsonl and code in html and code in ledger, code
    assert "扫黑险恶" in html and "扫黑险恶" in ledger


def test_every_evidence_fact_has_a_chinese_label(audit):
    """The report shows each fact of a finding's evidence under a Chinese label (reports/evidence.py)."""
    assert audit["findings"] and not unlabeled_evidence(audit["findings"])
