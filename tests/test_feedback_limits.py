"""The returned ledger is scoped and bounded (issue 13): a row applies only to a finding of
the site its sheet (and its 站点 cell) names; the file is capped in bytes and rows and read
in the sandbox, before the store lock is taken."""

from __future__ import annotations

import time

import pytest
from openpyxl import load_workbook

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
