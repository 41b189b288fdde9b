"""findings.csv: UTF-8 with BOM so that Excel opens the Chinese correctly. Every cell
goes through :func:`reports.safe.for_csv` (controls removed, formula triggers escaped);
a finding that cannot be written becomes a row saying so, never a lost file."""

from __future__ import annotations

import csv
import json
import logging

from reports.safe import for_csv

log = logging.getLogger(__name__)

COLUMNS = [("站点", "site"), ("检查项代码", "check"), ("问题类型", None), ("级别", "severity"),
           ("问题描述", "message"), ("问题链接", "url"), ("所在页面", "page"), ("链接文字", "anchor"),
           ("证据", "evidence"), ("整改建议", None), ("指纹", "fingerprint"), ("运行编号", "run_id")]


def write(data, path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([label for label, _ in COLUMNS])
        for f in data.findings:
            chk = data.checks.get(f.check)
            try:
                cells = [f.site, f.check, chk.title if chk else "", f.severity.label, f.message, f.url or "",
                         f.page or "", f.anchor or "", json.dumps(f.evidence, ensure_ascii=False),
                         chk.fix if chk else "", f.fingerprint, f.run_id]
                writer.writerow([for_csv(c) for c in cells])
            except Exception as exc:  # noqa: BLE001 - one finding never costs the others
                log.warning("findings.csv: finding %s cannot be written: %s", f.fingerprint, exc)
                writer.writerow([for_csv(f.site), f.check, "", "", f"（此条问题无法写出：{type(exc).__name__}）",
                                 "", "", "", "", "", f.fingerprint, f.run_id])
