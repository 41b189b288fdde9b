"""The returned ledger is scoped and bounded (issue 13): a row applies only to a finding of
the site and 主办单位 its sheet (and its 站点 cell) names; the file is capped in bytes and rows
and read in the sandbox, before the store lock is taken."""

from __future__ import annotations

import time

import pytest
from openpyxl import load_workbook

from checks.registry import verify_rules
from crawler import sandbox
from portal_audit.feedback import LedgerError, import_ledger, parse_ledger_sandboxed
from store import history
from tests.bombs import xlsx_shared_strings_bomb
from tests.conftest import FINDINGS, SITES, fill, make_run, run_cli, write_ledger


def test_a_row_of_another_site_changes_nothing(store, tmp_path):
    rid = make_run(store, FINDINGS)
    path = write_ledger(store, rid, tmp_path / "ledger.xlsx")
    wb = load_workbook(fill(path, {"http://b/1.html": ("误报", "不是问题", "某单位", None),
                                   "http://a/2.html": ("误报", "不是问题", "某单位", None)}, delete=()))
    sheet_a, sheet_b = wb.worksheets[1], wb.worksheets[2]
    head = [c.value for c in sheet_b[1]]
    # site B's row pasted into site A's sheet, and removed from B's own
    row_b = [c.value for c in sheet_b[2]]
    sheet_a.append(row_b)
    sheet_b.delete_rows(2)
    # on A's own sheet, a row whose 站点 cell was changed to site B
    for r in sheet_a.iter_rows(min_row=2):
        if r[head.index("问题链接")].value == "http://a/2.html":
            r[head.index("站点")].value = SITES[1]
    wb.save(tmp_path / "cross.xlsx")
    result = import_ledger(store, tmp_path / "cross.xlsx")
    assert result.applied == {}
    assert sorted(p.reason[:4] for p in result.problems) == ["站点不符", "站点不符"]
    assert history.history_row(store, FINDINGS[3].fingerprint)["status"] == "new"
    assert history.history_row(store, FINDINGS[1].fingerprint)["status"] == "new"
    # the same answers on the right sheets apply
    right = import_ledger(store, fill(path, {"http://b/1.html": ("误报", "不是问题", "某单位", None)}, delete=()))
    assert right.applied == {"误报": 1}


def test_a_row_of_another_unit_changes_nothing(store, tmp_path):
    """With 网站标识码 and 主办单位 configured, the 站点 cells say 名称（标识码，主办单位）: such a
    row applies; one whose unit was changed, or another site's, is listed and ignored."""
    config = {"sites": [{"name": SITES[0], "url": "http://a/", "code": "3713000001", "unit": "甲市政府办公室"},
                        {"name": SITES[1], "url": "http://b/", "code": "3713000002", "unit": "乙县政府办公室"}]}
    rid = store.begin_run(audit_date="2024-06-30", config=config, options={"sites": SITES}, versions={})
    for site in SITES:
        store.set_run_site(rid, site, url="http://a/", status="ok", pages=1, links=1)
    store.save_findings(rid, FINDINGS)
    store.record_check_run(rid, "link.broken", "found", len(FINDINGS), None, 0.1)
    store.finish_run(rid, "completed")
    history.apply_run(store, rid, verify_rules())
    path = write_ledger(store, rid, tmp_path / "ledger.xlsx")
    wb = load_workbook(fill(path, {u: ("误报", "不是问题", "某单位", None)
                                   for u in ("http://a/1.html", "http://a/2.html", "http://a/3.html")}, delete=()))
    sheet_a = wb.worksheets[1]
    head = [c.value for c in sheet_a[1]]
    cells = {r[head.index("问题链接")].value: r[head.index("站点")] for r in sheet_a.iter_rows(min_row=2)}
    assert cells["http://a/1.html"].value == f"{SITES[0]}（3713000001，甲市政府办公室）"
    cells["http://a/2.html"].value = f"{SITES[0]}（3713000001，乙县政府办公室）"   # another unit claims it
    cells["http://a/3.html"].value = SITES[0]                                  # the name alone is the site
    wb.save(tmp_path / "units.xlsx")
    result = import_ledger(store, tmp_path / "units.xlsx")
    assert result.applied == {"误报": 2}
    assert [p.reason[:6] for p in result.problems] == ["主办单位不符"]
    assert "甲市政府办公室" in result.problems[0].reason
    assert history.history_row(store, FINDINGS[1].fingerprint)["status"] == "new"
    assert {history.history_row(store, FINDINGS[i].fingerprint)["status"] for i in (0, 2)} == {"waived"}


def test_size_and_row_caps_exit_2_before_the_lock(store, tmp_path):
    rid = make_run(store, FINDINGS)
    path = write_ledger(store, rid, tmp_path / "ledger.xlsx")
    rows = run_cli("feedback", "import", str(path), "--store", str(tmp_path / "a.db"), "--max-rows", "2", timeout=60)
    assert rows.returncode == 2 and "超过 2 行" in rows.stderr, rows.stderr
    size = run_cli("feedback", "import", str(path), "--store", str(tmp_path / "a.db"), "--max-bytes", "1024",
                   timeout=60)
    assert size.returncode == 2 and "超过上限 1 KB" in size.stderr, size.stderr
    assert store.scalar("SELECT COUNT(*) FROM feedback_log") == 0
    ok = run_cli("feedback", "import", str(path), "--store", str(tmp_path / "a.db"), timeout=60)
    assert ok.returncode == 0, ok.stderr


def test_a_ledger_bomb_ends_in_the_sandbox(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(xlsx_shared_strings_bomb())
    started = time.monotonic()
    with pytest.raises(LedgerError, match="上限"):
        parse_ledger_sandboxed(bomb, limits=sandbox.Limits(wall=6, cpu=3, memory=200 * 1024 * 1024))
    assert time.monotonic() - started < 10
