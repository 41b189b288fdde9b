"""The 整改台账 (ledger.xlsx): its layout, and reading it back as units fill it in."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from datetime import datetime

import pytest
from lxml import etree
from openpyxl import load_workbook

from portal_audit.feedback import LedgerError, import_ledger, normalize_deadline
from reports import ledger
from store import history
from tests.conftest import FINDINGS, SITES, fill, make_run, write_ledger


def test_layout(store, tmp_path):
    rid = make_run(store, FINDINGS)
    path = write_ledger(store, rid, tmp_path / "ledger.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "汇总" and len(wb.sheetnames) == 3
    site_sheet = wb.worksheets[1]
    assert len(site_sheet.title) <= 31 and not set("[]:*?/\\") & set(site_sheet.title)
    ws = site_sheet
    head = [c.value for c in ws[1]]
    assert head == [c[0] for c in ledger.COLUMNS]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:Q{ws.max_row}"
    assert ws.column_dimensions["Q"].hidden and ws.column_dimensions["F"].width == 46
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == 3
    row2 = next(r for r in rows if r[7].value == "http://a/2.html")
    assert row2[5].data_type == "s" and row2[5].value.startswith("=HYPERLINK") and "\x07" not in row2[5].value
    assert row2[7].hyperlink.target == "http://a/2.html" and row2[6].hyperlink.target == "http://a/p.html"
    assert row2[5].alignment.wrap_text
    assert [r[10].value for r in rows] == ["新增"] * 3 and rows[0][2].value == "政策文件"
    assert rows[0][16].value == FINDINGS[0].fingerprint
    dv = ws.data_validations.dataValidation
    assert len(dv) == 1 and dv[0].formula1 == '"已整改,误报,暂缓,未整改"' and "O2:O" in str(dv[0].sqref)
    summary = wb["汇总"]
    values = [[c.value for c in r] for r in summary.iter_rows()]
    assert any(r[:3] == [SITES[0], 3, 3] for r in values) and any(r[0] == "合计" and r[1] == 4 for r in values)
    # every XML part is well-formed (what Excel and LibreOffice choke on first)
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                etree.fromstring(z.read(name))


def test_sheet_settings_made_before_the_streamed_rows(store, tmp_path):
    """The ledger is written in write-only mode, where a sheet setting made after its rows is
    lost without a word: every one of them is in the file."""
    rid = make_run(store, FINDINGS)
    wb = load_workbook(write_ledger(store, rid, tmp_path / "ledger.xlsx"))
    for ws in wb.worksheets[1:]:
        assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.row_dimensions[1].height == 30 and ws.column_dimensions["Q"].hidden
        assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb == "001F3864" and ws["L1"].fill.fgColor.rgb == "007F6000"
        assert ws["L2"].fill.fgColor.rgb == "00FFF7D6" and ws["B2"].border.left.style == "thin"
    summary = wb["汇总"]
    assert summary["A1"].value == "政府网站信息公开检查 · 整改台账" and summary["A1"].font.sz == 14
    assert [summary.cell(row=r, column=1).value for r in range(3, 7)] == ["检查运行编号", "检查开始时间", "检查日期", "运行状态"]
    assert summary["B6"].value == "已完成" and not getattr(summary["B6"].border.left, "style", None)
    assert [c.value for c in summary[8]][:2] == ["站点", "当前问题"] and summary.column_dimensions["N"].width == 40
    assert [c.value for c in summary[11]][:2] == ["合计", 4] and summary["B11"].font.b
    assert summary["A13"].value == "填写说明" and summary["A14"].value.startswith("1. 每个站点一张工作表")
    merged = {str(r) for r in summary.merged_cells.ranges}
    assert merged == {"A1:J1", *(f"A{r}:J{r}" for r in range(14, 19))}
    assert all(summary.row_dimensions[r].height == 32 for r in range(14, 19))


@pytest.mark.skipif(not (shutil.which("libreoffice") or shutil.which("soffice")), reason="LibreOffice not installed")
def test_opens_in_libreoffice(store, tmp_path):
    rid = make_run(store, FINDINGS)
    path = write_ledger(store, rid, tmp_path / "ledger.xlsx")
    office = shutil.which("libreoffice") or shutil.which("soffice")
    done = subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and (tmp_path / "ledger.pdf").stat().st_size > 1000, done.stderr


def test_import_by_header_text_and_twice_is_a_no_op(store, tmp_path):
    rid = make_run(store, FINDINGS)
    path = write_ledger(store, rid, tmp_path / "ledger.xlsx")
    filled = fill(path, {
        "http://a/1.html": ("误报", "该地址为内网系统入口，不对外提供", "办公室", None),
        "http://a/2.html": (" 已经整改 ", "已修改链接", "信息中心", None),
        "http://a/3.html": ("暂缓", "待系统改版", "信息中心", datetime(2024, 9, 30)),
        "http://b/1.html": ("整改不了", None, None, None),
    }, delete=("问题描述", "栏目", "首次发现"), title_row=True)
    result = import_ledger(store, filled, by="督查科")
    assert result.applied == {"误报": 1, "已整改": 1, "暂缓": 1}
    assert [p.reason for p in result.problems] == ["反馈状态“整改不了”无法识别（可选：已整改、误报、暂缓、未整改）"]
    h = {r["url"]: r for r in store.query("SELECT * FROM finding_history")}
    assert h["http://a/1.html"]["status"] == "waived" and h["http://a/1.html"]["waived_by"] == "督查科"
    assert h["http://a/1.html"]["waived_reason"] == "该地址为内网系统入口，不对外提供"
    assert h["http://a/2.html"]["awaiting_recheck"] == 1 and h["http://a/2.html"]["feedback_unit"] == "信息中心"
    assert h["http://a/3.html"]["feedback_deadline"] == "2024-09-30" and h["http://a/3.html"]["status"] == "new"
    logged = store.scalar("SELECT COUNT(*) FROM feedback_log")
    again = import_ledger(store, filled, by="督查科")
    assert again.applied == {} and again.unchanged == 3 and len(again.problems) == 1
    assert store.scalar("SELECT COUNT(*) FROM feedback_log") == logged
    # the next ledger shows the answers, and its re-import changes nothing either
    path2 = write_ledger(store, rid, tmp_path / "ledger2.xlsx")
    ws = load_workbook(path2).worksheets[1]
    head = [c.value for c in ws[1]]
    answers = {r[head.index("问题链接")]: r[head.index("反馈状态")] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert answers == {"http://a/1.html": "误报", "http://a/2.html": "已整改", "http://a/3.html": "暂缓"}
    assert import_ledger(store, path2).applied == {}


def test_withdrawn_misreport_and_unmatched_rows(store, tmp_path):
    rid = make_run(store, FINDINGS)
    path = write_ledger(store, rid, tmp_path / "ledger.xlsx")
    import_ledger(store, fill(path, {"http://a/1.html": ("误报", "理由", "办公室", None)}))
    assert history.history_row(store, FINDINGS[0].fingerprint)["status"] == "waived"
    wb = load_workbook(fill(path, {"http://a/1.html": ("未整改", "经核实确为问题", "办公室", None)}, delete=()))
    ws = wb.worksheets[1]
    head = [c.value for c in ws[1]]
    dup = [c.value for c in ws[2]]
    ws.append(dup)                                             # a copied row
    ws.append([None] * len(head))
    ws.cell(ws.max_row, head.index("问题描述") + 1, "单位补充：首页图片加载慢")
    ws.cell(ws.max_row, head.index("反馈状态") + 1, "已整改")
    wb.save(tmp_path / "again.xlsx")
    result = import_ledger(store, tmp_path / "again.xlsx")
    assert result.applied == {"未整改": 1}
    reasons = sorted(p.reason[:6] for p in result.problems)
    assert reasons == ["无法匹配（缺", "重复的行（与"]
    assert any("单位补充" in str(p) for p in result.problems)
    assert history.history_row(store, FINDINGS[0].fingerprint)["status"] == "new"


def test_not_a_ledger(store, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["站点", "问题描述"])
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(LedgerError, match="指纹"):
        import_ledger(store, tmp_path / "x.xlsx")
    (tmp_path / "y.xlsx").write_text("not a zip")
    with pytest.raises(LedgerError, match="无法读取"):
        import_ledger(store, tmp_path / "y.xlsx")
    wb = Workbook()
    wb.active.append(["指纹", "站点"])
    wb.save(tmp_path / "z.xlsx")
    with pytest.raises(LedgerError, match="反馈状态"):
        import_ledger(store, tmp_path / "z.xlsx")


@pytest.mark.parametrize("value, expected", [
    (datetime(2024, 9, 30), "2024-09-30"), ("2024-9-30", "2024-09-30"), ("2024/09/30", "2024-09-30"),
    ("2024年9月30日", "2024-09-30"), ("2024.9.30", "2024-09-30"), ("九月底", "九月底"), (None, None), ("", None),
])
def test_deadlines(value, expected):
    assert normalize_deadline(value) == expected
