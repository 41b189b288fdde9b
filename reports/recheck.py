"""The 复核报告 of a targeted re-check: recheck.html (self-contained, printable) and
recheck.xlsx. Per finding it says 已整改 / 未整改 / 复发 / 无法复核 and why."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from jinja2 import Environment, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from core.models import STATUS_LABELS, short_time
from reports.ledger import BORDER, HEADER_FILL, HEADER_FONT, finish_sheet, header, put

STATUS_FILTER_LABELS = {"awaiting": "单位反馈“已整改”、待复核的问题", "open": "全部未整改的问题",
                        "fixed": "此前已整改的问题（回头看）"}
RESULT_CLASSES = {"已整改": "fixed", "未整改": "open", "复发": "reopened"}
RESULT_FILLS = {"已整改": "D1FADF", "未整改": "FDE2C8", "复发": "F8C9C4"}

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True),
                   trim_blocks=True, lstrip_blocks=True)
_env.filters["t"] = short_time
_env.tests["web"] = lambda url: bool(re.match(r"(?i)^https?://[^\s\"'<>]+$", url or ""))

TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>复核报告（复核运行 {{ o.run_id }}）</title>
<style>
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",sans-serif;
 color:#101828;margin:24px auto;max-width:1180px;padding:0 16px;line-height:1.55;font-size:14px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:2px solid #1f3864;padding-bottom:4px}
.meta{color:#475467;margin:0 0 16px} .meta span{margin-right:18px;white-space:nowrap}
.warn{background:#fef0c7;border:1px solid #f79009;padding:8px 12px;border-radius:4px;margin:12px 0}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #d0d5dd;border-radius:6px;padding:8px 16px;min-width:110px}
.card b{display:block;font-size:24px}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{border:1px solid #d0d5dd;padding:5px 7px;vertical-align:top;text-align:left}
th{background:#1f3864;color:#fff;font-weight:600} tr{page-break-inside:avoid}
.code{font-family:ui-monospace,Consolas,monospace;font-size:12px;color:#344054}
.url{word-break:break-all;font-size:12px} .muted{color:#667085;font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;white-space:nowrap;background:#eaecf0}
.badge.fixed{background:#d1fadf;color:#05603a} .badge.open{background:#fde2c8;color:#93370d}
.badge.reopened{background:#f8c9c4;color:#912018}
.legend{color:#475467;font-size:12px;margin-top:24px}
@media print{body{margin:0;max-width:none} a{color:inherit;text-decoration:none} h2{page-break-after:avoid}}
</style></head><body>
{% macro link(url) %}{% if url is web %}<a href="{{ url }}">{{ url }}</a>{% else %}{{ url }}{% endif %}{% endmacro %}
<h1>复核报告</h1>
<p class="meta"><span>复核运行编号：{{ o.run_id }}</span><span>复核时间：{{ o.started_at|t }}</span>
<span>复核范围：{{ scope }}</span>{% if o.sites %}<span>站点：{{ o.sites|join("、") }}</span>{% endif %}
<span>用时 {{ "%.1f"|format(o.elapsed) }} 秒</span><span>解析页面 {{ o.pages }} 个 · 访问地址 {{ o.fetches }} 个</span></p>
{% if o.run_status not in ("completed", "completed_with_errors") %}<p class="warn">本次复核未完成（已中断），以下结果不作为整改依据，问题状态未作更改。</p>{% endif %}
<div class="cards">
{% for label in ["已整改", "未整改", "复发"] %}<div class="card">{{ label }}<b>{{ counts.get(label, 0) }}</b></div>{% endfor %}
<div class="card">无法复核<b>{{ undecided }}</b></div>
</div>
{% if not o.items %}<p>没有需要复核的问题。</p>{% endif %}
{% for site, items in groups %}
<h2>{{ site }}（{{ items|length }} 项）</h2>
<table><thead><tr><th style="width:3em">序号</th><th style="width:15%">问题</th><th>问题描述与位置</th>
<th style="width:18%">单位反馈</th><th style="width:9em">复核结果</th><th style="width:20%">复核说明</th></tr></thead><tbody>
{% for i in items %}
<tr><td>{{ loop.index }}</td>
<td>{{ labels.get(i.entry.check, i.entry.check) }}<br><span class="code">{{ i.entry.check }}</span></td>
<td>{{ i.entry.message }}
{% if i.entry.url %}<div class="url">问题链接：{{ link(i.entry.url) }}</div>{% endif %}
{% if i.entry.page %}<div class="url">所在页面：{{ link(i.entry.page) }}</div>{% endif %}
<div class="muted">首次发现 {{ i.entry.first_seen|t }} · 复核前状态 {{ status_labels.get(i.previous_status, i.previous_status) }}</div></td>
<td>{% if i.entry.feedback_status %}<b>{{ i.entry.feedback_status }}</b>{% else %}<span class="muted">未反馈</span>{% endif %}
{% if i.entry.feedback_unit %}<div class="muted">{{ i.entry.feedback_unit }}</div>{% endif %}
{% if i.entry.feedback_note %}<div>{{ i.entry.feedback_note }}</div>{% endif %}
{% if i.entry.feedback_deadline %}<div class="muted">整改期限 {{ i.entry.feedback_deadline }}</div>{% endif %}</td>
<td><span class="badge {{ classes.get(i.result, '') }}">{{ i.result }}</span></td>
<td>{{ i.detail }}</td></tr>
{% endfor %}
</tbody></table>
{% endfor %}
<p class="legend">已整改：重新访问问题所在页面和目标地址后，问题已不存在。未整改：问题仍然存在。复发：曾经确认整改，现再次出现。
无法复核：页面本次未能访问、检查项需要全站数据（需完整检查）或复核被中断；问题状态保持不变，请在下次完整检查中确认。</p>
</body></html>
"""


def write_html(outcome, path: Path) -> None:
    groups: dict[str, list] = {}
    for item in outcome.items:
        groups.setdefault(item.entry.site, []).append(item)
    counts = Counter(i.result for i in outcome.items)
    undecided = sum(n for k, n in counts.items() if k not in RESULT_CLASSES)
    html = _env.from_string(TEMPLATE).render(
        o=outcome, groups=list(groups.items()), counts=counts, undecided=undecided,
        scope=STATUS_FILTER_LABELS.get(outcome.status_filter, outcome.status_filter),
        labels=outcome.check_labels, classes=RESULT_CLASSES, status_labels=STATUS_LABELS)
    path.write_text(html, encoding="utf-8")


COLUMNS = [
    ("序号", 6, False), ("站点", 14, True), ("问题类型", 18, True), ("检查项代码", 18, False),
    ("问题描述", 44, True), ("问题页面", 34, True), ("问题链接", 34, True), ("首次发现", 17, False),
    ("复核前状态", 11, False), ("整改责任单位", 14, True), ("反馈状态", 10, False), ("整改情况", 30, True),
    ("复核结果", 20, True), ("复核说明", 34, True), ("复核时间", 17, False), ("指纹", 18, False),
]


def write_xlsx(outcome, path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "复核结果"
    header(ws, COLUMNS)
    for n, i in enumerate(outcome.items, 1):
        e = i.entry
        values = [n, e.site, outcome.check_labels.get(e.check, e.check), e.check, e.message, e.page or "",
                  e.url or "", short_time(e.first_seen), STATUS_LABELS.get(i.previous_status, i.previous_status),
                  e.feedback_unit or "", e.feedback_status or "", e.feedback_note or "", i.result, i.detail,
                  short_time(outcome.started_at), e.fingerprint]
        for c, (value, (label, _, wrap)) in enumerate(zip(values, COLUMNS), 1):
            put(ws, n + 1, c, value, wrap=wrap, link=value if label in ("问题页面", "问题链接") else None,
                fill=RESULT_FILLS.get(i.result) if label == "复核结果" else None)
    ws.column_dimensions[get_column_letter(len(COLUMNS))].hidden = True
    finish_sheet(ws, len(COLUMNS), len(outcome.items))

    s = wb.create_sheet("汇总", 0)
    s["A1"] = "复核报告 · 汇总"
    s["A1"].font = Font(bold=True, size=14)
    meta = [("复核运行编号", outcome.run_id), ("复核时间", short_time(outcome.started_at)),
            ("复核范围", STATUS_FILTER_LABELS.get(outcome.status_filter, outcome.status_filter)),
            ("用时（秒）", round(outcome.elapsed, 1)),
            ("运行状态", {"completed": "已完成", "completed_with_errors": "已完成（有数据未写入，相关站点不作为整改依据）"}.get(
                outcome.run_status, "已中断（结果不作为整改依据）"))]
    for r, (label, value) in enumerate(meta, 3):
        s.cell(row=r, column=1, value=label).font = Font(bold=True)
        s.cell(row=r, column=2, value=value)
    results = ["已整改", "未整改", "复发"] + sorted({i.result for i in outcome.items} - set(RESULT_CLASSES))
    top = len(meta) + 4
    heads = ["站点", *results, "合计"]
    for c, label in enumerate(heads, 1):
        cell = s.cell(row=top, column=c, value=label)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        s.column_dimensions[get_column_letter(c)].width = 24 if c == 1 else 14
    per_site: dict[str, Counter] = {}
    for i in outcome.items:
        per_site.setdefault(i.entry.site, Counter())[i.result] += 1
    for r, (site, counts) in enumerate(per_site.items(), top + 1):
        put(s, r, 1, site)
        for c, label in enumerate(results, 2):
            put(s, r, c, counts.get(label, 0))
        put(s, r, len(heads), sum(counts.values()))
    wb.save(path)


def write_all(outcome, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, xlsx_path = out_dir / "recheck.html", out_dir / "recheck.xlsx"
    write_html(outcome, html_path)
    write_xlsx(outcome, xlsx_path)
    return {"recheck.html": html_path, "recheck.xlsx": xlsx_path}
