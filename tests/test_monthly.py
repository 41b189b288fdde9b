"""The monthly 《政务信息公开台账》 from a stored run of the sample portal (no crawling)."""

from __future__ import annotations

from openpyxl import load_workbook

from tests.conftest import run_cli, write_config


def test_monthly_ledger(tmp_path, sample_server):
    sample_server.reset()
    cfg = write_config(tmp_path / "c.yaml", [("临沂市政府", sample_server.base_url)], store=tmp_path / "a.db")
    cfg.write_text(cfg.read_text(encoding="utf-8").replace(
        f"url: '{sample_server.base_url}'}}", f"url: '{sample_server.base_url}', code: '3713000001', unit: 临沂市大数据局}}"),
        encoding="utf-8")
    assert run_cli("run", "-c", str(cfg), "-o", str(tmp_path / "out"), "--no-progress").returncode == 0
    bad = run_cli("ledger", "monthly", "--month", "2024-13", "-c", str(cfg), "-o", str(tmp_path / "m"))
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr
    done = run_cli("ledger", "monthly", "--month", "2024-05", "-c", str(cfg), "-o", str(tmp_path / "m"))
    assert done.returncode == 0, done.stderr
    paths = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert paths == ["政务信息公开台账-3713000001-2024-05.xlsx", "政务信息公开台账-临沂市大数据局-2024-05.xlsx"]
    wb = load_workbook(tmp_path / "m" / paths[0])
    ws = wb["临沂市政府"]
    head = [c.value for c in ws[1]]
    assert head[:10] == ["序号", "栏目", "标题", "索引号", "文号", "发布机构", "成文日期", "发布日期", "公开方式", "链接"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows and all(r[7].startswith("2024-05") for r in rows)
    assert any(r[10] and "《" in r[10] for r in rows)                # paired 解读
    flagged = [r for r in ws.iter_rows(min_row=2) if r[13].value]
    assert flagged and flagged[0][13].fill.fgColor.rgb.endswith("FDE2C8")
    about = [c.value for c in wb["说明"][4]]
    assert about[:3] == ["临沂市政府", "3713000001", "临沂市大数据局"] and about[3] == len(rows)
