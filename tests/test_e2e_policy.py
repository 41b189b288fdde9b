"""End to end: the real CLI crawls the sample portal on loopback and must report exactly the
planted policy / regulation / document defects (portal_audit.sample.content_policy), and
none of the look-alikes."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import read_findings, run_cli, unlabeled_evidence, write_config

CODES = ("policy.no-interpretation", "policy.late-interpretation", "regulation.stale", "document.expired-unmarked",
         "document.repealed-unmarked", "document.marking-wrong")


@pytest.fixture(scope="module")
def audit(tmp_path_factory, sample_server):
    sample_server.reset()
    tmp = tmp_path_factory.mktemp("policy")
    store = tmp / "audit.db"
    cfg = write_config(tmp / "c.yaml", [("临沂市政府", sample_server.base_url)], store=store)
    result = run_cli("run", "-c", str(cfg), "-o", str(tmp / "out"), "--no-progress",
                     "--only", "policy,regulation,document")
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(store)
    db.row_factory = sqlite3.Row
    yield {"findings": read_findings(tmp / "out"), "db": db, "cfg": cfg, "tmp": tmp}
    db.close()


def test_exactly_the_planted_defects(audit, sample_server):
    got = sorted((f["check"], f["url"]) for f in audit["findings"])
    expected = sorted({(e.check, e.url) for e in sample_server.expected if e.check in CODES})
    assert got == expected


def test_every_check_ran(audit):
    states = {r["check_code"]: r["state"] for r in audit["db"].execute("SELECT check_code, state FROM check_runs")}
    assert {states[c] for c in CODES} == {"found"}


def test_look_alikes_stay_quiet(audit, sample_server):
    flagged = {f["url"] for f in audit["findings"]}
    for name in ("interpretation-only-from-list", "interpretation-fuzzy-title", "interpretation-by-doc-no",
                 "interpretation-linked-from-policy", "interpretation-spring-festival", "expired-marked",
                 "repealed-marked", "repeal-not-yet-in-force", "regulation-current-711",
                 "regulation-499-before-2026-revision", "notice-about-regulation"):
        url = sample_server.lookalikes[name]
        assert url not in flagged, name
        row = audit["db"].execute("SELECT is_list FROM pages WHERE url = ?", (url,)).fetchone()
        assert row is not None and row["is_list"] == 0, f"{name} was not crawled"


def test_documents_behind_a_download_link_were_read(audit, sample_server):
    expired = {f["url"]: f for f in audit["findings"] if f["check"] == "document.expired-unmarked"}
    by_rule = {f["evidence"]["rule"]: f for f in expired.values()}
    assert by_rule["试行一年"]["evidence"]["end"] == "2024-06-04"          # from the PDF
    assert "有效期1年" in by_rule and "有效期至" in by_rule
    texts = [r["main_text"] for r in audit["db"].execute(
        "SELECT main_text FROM pages WHERE url IN (%s)" % ",".join("?" * len(expired)), list(expired))]
    assert any("第二十一条 本办法自印发之日起试行，试行期一年。" in t for t in texts)     # PDF text stored
    assert any("链长" in t and "有效期1年" in t for t in texts)                       # DOCX text stored


def test_evidence_says_why(audit):
    by = {(f["check"], f["url"].rsplit("/", 1)[-1]): f for f in audit["findings"]}
    stale = [f for f in audit["findings"] if f["check"] == "regulation.stale"]
    gov = next(f for f in stale if "政府信息公开条例" in f["message"])
    assert gov["evidence"]["page_shows"]["decrees"] == ["国务院令第492号"]
    assert gov["evidence"]["in_force"]["decree"] == "国务院令第711号"
    assert "flk.npc.gov.cn" in gov["evidence"]["official_source"]
    assert any(f["evidence"]["verdict"] == "repealed" for f in stale)
    late = [f for f in audit["findings"] if f["check"] == "policy.late-interpretation"]
    assert all(f["evidence"]["workdays"] > 3 for f in late)
    nointerp = [f for f in audit["findings"] if f["check"] == "policy.no-interpretation"]
    assert all("best_candidate" in f["evidence"] for f in nointerp)
    assert by and all(f["severity"] == "warning" for f in audit["findings"] if f["check"] == "document.marking-wrong")
    json.dumps(audit["findings"], ensure_ascii=False)


def test_explain_prints_the_rule(audit):
    result = run_cli("checks", "--explain", "regulation.stale")
    assert result.returncode == 0
    assert "国务院令第492号" in result.stdout and "catalog" in result.stdout


def test_every_evidence_fact_has_a_chinese_label(audit):
    """The report shows each fact of a finding's evidence under a Chinese label (reports/evidence.py)."""
    assert audit["findings"] and not unlabeled_evidence(audit["findings"])
