"""The monthly 《政务信息公开台账》: what each site disclosed in a month, from the stored runs.

Seed S3 (长高政公组字〔2021〕1号 六(三)) asks each department to file, before the 4th of every
month, the ledger of what it disclosed the month before. Every article the crawler stored has
its metadata table; this writes, per site and per 主办单位 (``sites[].unit``), an XLSX of the
items whose 发布日期 falls in the month — 序号, 栏目, 标题, 索引号, 文号, 发布机构, 成文日期,
发布日期, 公开方式, 链接, the paired 解读 (the same pairing as ``policy.no-interpretation``)
— with the problems this audit found on each item beside it, in the 整改台账's style. The
source is the latest completed audit run of each site; nothing is fetched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from checks.computed.documents import index
from checks.computed.policy import policy_index
from checks.registry import REGISTRY, AuditContext, all_checks
from core.models import Severity
from core.vocabulary import column_label
from reports.ledger import finish_sheet, header, put, sheet_title

COLUMNS = [
    ("序号", 6, False), ("栏目", 12, True), ("标题", 44, True), ("索引号", 22, True), ("文号", 18, True),
    ("发布机构", 18, True), ("成文日期", 11, False), ("发布日期", 11, False), ("公开方式", 10, False),
    ("链接", 36, True), ("政策解读", 36, True), ("解读链接", 30, True), ("本次检查发现的问题", 40, True),
    ("检查项代码", 20, True),
]
FLAGGED_FILL = "FDE2C8"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_UNSAFE_FILE = re.compile(r"[\\/:*?\"<>|\s]+")


class MonthError(ValueError):
    pass


def parse_month(text: str) -> tuple[date, date]:
    """'2026-10' → (2026-10-01, 2026-11-01)."""
    m = _MONTH.match(text or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise MonthError(f"月份应为 YYYY-MM（如 2026-10），实际为 {text!r}")
    y, mo = int(m.group(1)), int(m.group(2))
    return date(y, mo, 1), date(y + (mo == 12), mo % 12 + 1, 1)


@dataclass
class Item:
    column: str
    title: str
    index_no: str
    doc_no: str
    publisher: str
    written: str
    published: str
    attribute: str
    url: str
    interpretation: str
    interpretation_url: str
    problems: str
    codes: str


def latest_run(store, site: str) -> int | None:
    return store.latest_completed_audit(site)


def items_of(store, run_id: int, site: str, start: date, end: date) -> list[Item]:
    row = store.run(run_id)
    titles = {c.code: c.title for c in all_checks()}   # (also registers every check)
    ctx = AuditContext(store, run_id, date.fromisoformat(row["audit_date"]), {}, REGISTRY["policy.no-interpretation"],
                       Severity.WARNING, {}, {})
    docs = [d for d in index(ctx)["docs"].values() if d.site == site and d.published and start <= d.published < end]
    if not docs:
        return []
    pol = policy_index(ctx)
    metas = {url: json.loads(meta or "{}") for url, meta in store.page_metas(run_id, [d.url for d in docs]).items()}
    problems: dict[str, list[tuple[str, str]]] = {}
    for f in store.findings(run_id):
        if f.site == site:
            for u in {f.url, f.page} - {None}:
                problems.setdefault(u, []).append((f.check, f.message))
    by_url = index(ctx)["docs"]
    out = []
    for d in sorted(docs, key=lambda d: (d.published, d.url)):
        meta = metas.get(d.url, {})
        pairs = pol.pairs.get(d.url, {})
        if pairs:
            interp = [(it.title, it.url) for it, _how, _score in pairs.values()]
            label = "；".join(f"《{t}》" for t, _ in interp)
            link = " ".join(u for _, u in interp)
        elif d.url in pol.interp_urls:
            paired = [by_url[u] for u in sorted(pol.paired_to(d.url)) if u in by_url]
            label = "（本条为解读）" + "；".join(f"所解读文件《{p.title}》" for p in paired)
            link = " ".join(p.url for p in paired)
        else:
            label = "未发现对应解读" if d.url in pol.policy_urls else ""
            link = ""
        found = problems.get(d.url, [])
        out.append(Item(
            column=column_label(d.column), title=d.title, index_no=meta.get("索引号", ""), doc_no=d.doc_no or "",
            publisher=meta.get("发布机构", ""), written=d.written.isoformat() if d.written else "",
            published=d.published.isoformat(), attribute=meta.get("公开属性", ""), url=d.url,
            interpretation=label, interpretation_url=link,
            problems="；".join(f"{titles.get(c, c)}：{m}" for c, m in found),
            codes="、".join(dict.fromkeys(c for c, _ in found))))
    return out


def _sheet(wb, title: str, items: list[Item], taken: set[str]) -> None:
    ws = wb.create_sheet(sheet_title(title, taken))
    header(ws, COLUMNS)
    for n, it in enumerate(items, 1):
        values = [n, it.column, it.title, it.index_no, it.doc_no, it.publisher, it.written, it.published,
                  it.attribute, it.url, it.interpretation, it.interpretation_url, it.problems, it.codes]
        for c, (value, (label, _, wrap)) in enumerate(zip(values, COLUMNS), 1):
            link = value if label in ("链接",) or (label == "解读链接" and " " not in value) else None
            flagged = it.codes and label in ("本次检查发现的问题", "检查项代码", "标题")
            put(ws, n + 1, c, value, wrap=wrap, link=link, fill=FLAGGED_FILL if flagged else None)
    finish_sheet(ws, len(COLUMNS), len(items))


def _about(ws, month: str, sites: list, runs: dict[str, int | None], counts: dict[str, int]) -> None:
    ws["A1"] = f"政务信息公开台账（{month}）"
    ws["A1"].font = Font(bold=True, size=14)
    heads = ["网站名称", "网站标识码", "主办单位", "本月公开信息（条）", "其中发现问题（条）", "数据来源（检查运行编号）"]
    for i, h in enumerate(heads, 1):
        put(ws, 3, i, h).font = Font(bold=True)
        ws.column_dimensions[chr(64 + i)].width = 20
    for r, (s, flagged) in enumerate(sites, 4):
        for c, v in enumerate([s.name, s.code or "", s.unit or "", counts[s.name], flagged,
                               runs[s.name] if runs[s.name] is not None else "无已完成的检查"], 1):
            put(ws, r, c, v)
    note = ("说明：依据各站点最近一次已完成检查所采集的信息，列出发布日期在本月的信息（发布日期取信息页元数据表，"
            "缺失时取列表日期或网址中的日期）；橙色为本次检查发现问题的条目；“政策解读”按 policy.no-interpretation 的配对规则"
            "（《》指明、文号引用、相互链接、标题相近）给出。报送要求：每月4日前报送上月台账（长高政公组字〔2021〕1号）。")
    put(ws, len(sites) + 5, 1, note, wrap=True)
    ws.merge_cells(start_row=len(sites) + 5, start_column=1, end_row=len(sites) + 5, end_column=6)
    ws.row_dimensions[len(sites) + 5].height = 60


def write_monthly(store, cfg, month: str, out_dir: str | Path) -> list[Path]:
    """One XLSX per site, and one per 主办单位 with a sheet per site; returns the paths."""
    start, end = parse_month(month)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = {s.name: latest_run(store, s.name) for s in cfg.sites}
    items = {s.name: (items_of(store, runs[s.name], s.name, start, end) if runs[s.name] else []) for s in cfg.sites}
    counts = {name: len(v) for name, v in items.items()}
    written = []
    groups = [([s], s.code or s.name) for s in cfg.sites]
    units: dict[str, list] = {}
    for s in cfg.sites:
        if s.unit:
            units.setdefault(s.unit, []).append(s)
    groups += [(members, unit) for unit, members in units.items()]
    for members, label in groups:
        wb = Workbook()
        about = wb.active
        about.title = "说明"
        taken = {"说明"}
        _about(about, month, [(s, sum(1 for it in items[s.name] if it.codes)) for s in members], runs, counts)
        for s in members:
            _sheet(wb, s.name, items[s.name], taken)
        path = out / f"政务信息公开台账-{_UNSAFE_FILE.sub('_', label)}-{month}.xlsx"
        wb.save(path)
        written.append(path)
    return written
