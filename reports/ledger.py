"""ledger.xlsx: the 整改台账 sent to the responsible units, and read back by
``portal-audit feedback import``.

One sheet per site plus a 汇总 (summary) sheet. Columns: 序号, 站点, 栏目, 问题类型,
检查项代码, 问题描述, 问题页面, 问题链接, 首次发现, 最近发现, 状态, 整改责任单位, 整改期限,
整改情况, 反馈状态, 复核结果, and a hidden 指纹 (fingerprint) column — the only thing the
import relies on besides header texts. The header row is frozen, filters are on, column
widths and wrapping are set, links are clickable, 反馈状态 has a drop-down list, and the
columns the unit fills in are tinted. Text is always written as text (a page title
starting with ``=`` never becomes a formula).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any
from weakref import WeakKeyDictionary
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.packaging.relationship import Relationship, RelationshipList, get_rels_path
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter
from openpyxl.xml.constants import PKG_REL_NS
from openpyxl.xml.functions import xmlfile

from core.models import ACTIVE, FIXED, NEW, OPEN, REOPENED, UNVERIFIED, WAIVED, short_time
from reports.history import Entry
from reports.safe import for_xml

ANSWERS = ("已整改", "误报", "暂缓", "未整改")
# (header, width, wrap)
COLUMNS = [
    ("序号", 6, False), ("站点", 14, True), ("栏目", 10, True), ("问题类型", 18, True),
    ("检查项代码", 18, False), ("问题描述", 46, True), ("问题页面", 36, True), ("问题链接", 36, True),
    ("首次发现", 17, False), ("最近发现", 17, False), ("状态", 12, True), ("整改责任单位", 16, True),
    ("整改期限", 12, False), ("整改情况", 36, True), ("反馈状态", 11, False), ("复核结果", 22, True),
    ("指纹", 18, False),
]
FILL_IN = ("整改责任单位", "整改期限", "整改情况", "反馈状态")
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
HEADER_FONT = Font(bold=True, color="FFFFFF")
INPUT_FILL = "FFF7D6"
STATUS_FILLS = {NEW: "FDE2C8", REOPENED: "F8C9C4", OPEN: None, UNVERIFIED: "EAECF0", FIXED: "D1FADF",
                WAIVED: "E4E7EC"}
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
LINK_FONT = Font(color="0563C1", underline="single")
MAX_CELL = 32000
EXTRA_VALIDATED_ROWS = 500
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


# -- cell helpers (shared with the 复核报告 workbook) ------------------------------------
def clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    text = for_xml(str(value))
    return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…"


def put(ws, row: int, col: int, value: Any, *, wrap: bool = False, link: str | None = None,
        fill: str | None = None):
    """Write ``value`` into a cell of ``ws`` as a literal (text stays text, never a formula),
    with a solid ``fill`` colour (hex RGB) if given."""
    return _literal(ws.cell(row=row, column=col), value, wrap, link, fill)


def literal(ws, value: Any, *, wrap: bool = False, link: str | None = None, fill: str | None = None):
    """A cell of a row to append to ``ws`` (a write-only sheet: its rows stream to the file),
    ``value`` as :func:`put` writes it."""
    return _literal(WriteOnlyCell(ws), value, wrap, link, fill)


def _literal(cell, value: Any, wrap: bool, link: str | None, fill: str | None):
    value = clean(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    linked = bool(link and re.match(r"(?i)^https?://", link) and len(link) <= 2000 and " " not in link)
    if linked:
        cell.hyperlink = link
    _look(cell, wrap, linked, fill)
    return cell


# each workbook's looks of a data cell: (wrap, linked, fill) -> the style ids it registered
_LOOKS: WeakKeyDictionary = WeakKeyDictionary()


def _look(cell, wrap: bool, linked: bool, fill: str | None) -> None:
    """Give a data cell its alignment, border, link font and fill. openpyxl registers a style
    object by hashing it each time one is assigned (17 s of 20 s for a 20,000-row sheet), so
    each distinct look is registered with the workbook once and its style ids copied after."""
    looks = _LOOKS.setdefault(cell.parent.parent, {})
    ids = looks.get((wrap, linked, fill))
    if ids is None:
        cell.alignment = WRAP if wrap else TOP
        cell.border = BORDER
        if linked:
            cell.font = LINK_FONT
        if fill:
            cell.fill = PatternFill("solid", fgColor=fill)
        looks[(wrap, linked, fill)] = StyleArray(cell._style)
    else:
        cell._style = StyleArray(ids)


def sheet_title(name: str, taken: set[str]) -> str:
    base = _SHEET_BAD.sub("_", for_xml(name)).strip("'") or "站点"
    base = base[:31]
    title, n = base, 2
    while title.lower() in {t.lower() for t in taken}:
        suffix = f"({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title)
    return title


def header(ws, columns: Sequence[tuple[str, int, bool]], fill_in: Iterable[str] = ()) -> None:
    """The column widths and the frozen header row, appended as ``ws``'s first row (``ws`` may
    be write-only: its column and row settings are set before)."""
    fill_in = set(fill_in)
    for i, (_, width, _) in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"
    cells = []
    for label, _, _ in columns:
        cell = WriteOnlyCell(ws, label)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL if label not in fill_in else PatternFill("solid", fgColor="7F6000")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
        cells.append(cell)
    ws.append(cells)


def finish_sheet(ws, ncols: int, nrows: int) -> None:
    """Filters over the rows, and the print layout (on a write-only sheet: before its rows)."""
    last = get_column_letter(ncols)
    ws.auto_filter.ref = f"A1:{last}{max(nrows, 1) + 1}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def answer_validation(ws, col: int, last_row: int) -> None:
    letter = get_column_letter(col)
    dv = DataValidation(type="list", formula1='"' + ",".join(ANSWERS) + '"', allow_blank=True,
                        showDropDown=False, showErrorMessage=True, showInputMessage=True,
                        errorTitle="反馈状态", error="请从下拉列表中选择：" + "、".join(ANSWERS),
                        promptTitle="反馈状态", prompt="已整改 / 误报 / 暂缓 / 未整改")
    dv.add(f"{letter}2:{letter}{last_row}")
    ws.data_validations.append(dv)


def site_label(summary) -> str:
    """A site as the 通报 name it: 名称（网站标识码，主办单位） when configured."""
    return identity_label(summary.name, getattr(summary, "code", None), getattr(summary, "unit", None))


def identity_label(name: str, code: str | None, unit: str | None) -> str:
    """名称（网站标识码，主办单位）, what the 站点 cells of the ledger say (read back on import)."""
    extra = "，".join(x for x in (code, unit) if x)
    return f"{name}（{extra}）" if extra else name


# -- the ledger ----------------------------------------------------------------------------
def status_label(e: Entry) -> str:
    return e.status_label


def recheck_text(e: Entry) -> str:
    if e.recheck_result:
        when = short_time(e.recheck_at)[:10]
        return f"{e.recheck_result}（{when}）" if when else e.recheck_result
    if e.status == FIXED:
        return f"检查确认已整改（{short_time(e.fixed_at)[:10]}）" if e.fixed_at else "检查确认已整改"
    return ""


def answer_of(e: Entry) -> str:
    if e.current_status == WAIVED:
        return "误报"
    return e.feedback_status or ""


def entries_of(data) -> list[Entry]:
    view = getattr(data, "history", None)
    if view is not None and getattr(view, "available", False):
        return view.ledger_entries()
    started = data.run.get("started_at", "")
    return [Entry(fingerprint=f.fingerprint, site=f.site, check=f.check, severity=f.severity.value, url=f.url,
                  page=f.page, anchor=f.anchor, message=f.message, status="", current_status="",
                  first_seen=started, last_seen=started, times_seen=1)
            for f in data.findings]


def write(data, path) -> None:
    """The workbook in write-only mode: each sheet's rows stream to the file as they are made
    (tens of thousands of findings are never a sheet of cell objects in memory), so every
    column and row setting is made before the rows it applies to."""
    entries = entries_of(data)
    wb = Workbook(write_only=True)
    summary = wb.create_sheet("汇总")    # the first sheet, written once every site's rows are known
    taken = {"汇总"}
    sites = [s.name for s in data.sites]
    for e in entries:
        if e.site not in sites:
            sites.append(e.site)
    by_site: dict[str, list[Entry]] = {s: [] for s in sites}
    for e in entries:
        by_site[e.site].append(e)
    idents = {x.name: site_label(x) for x in data.sites}
    fp_col = len(COLUMNS)
    answer_col = [c[0] for c in COLUMNS].index("反馈状态") + 1
    for site in sites:
        ws = wb.create_sheet(sheet_title(site, taken))
        rows = by_site[site]
        finish_sheet(ws, len(COLUMNS), len(rows))
        ws.column_dimensions[get_column_letter(fp_col)].hidden = True
        header(ws, COLUMNS, FILL_IN)
        for n, e in enumerate(rows, 1):
            chk = data.checks.get(e.check)
            values = [n, idents.get(e.site, e.site), e.column, chk.title if chk else e.check, e.check, e.message, e.page or "",
                      e.url or "", short_time(e.first_seen), short_time(e.last_seen), status_label(e),
                      e.feedback_unit or "", e.feedback_deadline or "", e.feedback_note or e.waived_reason or "",
                      answer_of(e), recheck_text(e), e.fingerprint]
            cells = []
            for value, (label, _, wrap) in zip(values, COLUMNS):
                link = value if label in ("问题页面", "问题链接") else None
                fill = INPUT_FILL if label in FILL_IN else STATUS_FILLS.get(e.status) if label == "状态" else None
                cells.append(literal(ws, value, wrap=wrap, link=link, fill=fill))
            ws.append(cells)
        answer_validation(ws, answer_col, len(rows) + 1 + EXTRA_VALIDATED_ROWS)
    _summary(summary, data, by_site)
    _save(wb, path)


# -- saving: a sheet's links element by element ---------------------------------------------
class _SheetWriter(WorksheetWriter):
    """openpyxl's sheet writer, except that the hyperlinks (two per finding row) are written one
    element after another, where openpyxl makes them one XML tree first (54 MB at 29,170 rows)."""

    def write_hyperlinks(self):
        links = self.ws._hyperlinks
        if not links:
            return
        xf = self.xf.send(True)
        with xf.element("hyperlinks"):
            for link in links:
                if link.target:
                    rel = Relationship(type="hyperlink", TargetMode="External", Target=link.target)
                    self._rels.append(rel)
                    link.id = rel.id
                xf.write(link.to_tree())
        self.xf.send(None)


class _Writer(ExcelWriter):
    """openpyxl's workbook writer (``save_workbook``), except that each write-only sheet's tail
    is written by :class:`_SheetWriter` and its relationships (one per link) streamed into the
    archive, where openpyxl makes them one XML tree (57 MB at 29,170 rows)."""

    def write_worksheet(self, ws):
        ws._writer.__class__ = _SheetWriter     # its rows are written; its tail is written now
        super().write_worksheet(ws)
        if ws._rels:
            part = ZipInfo(get_rels_path(ws.path)[1:], date_time=datetime.now().timetuple()[:6])
            part.compress_type = ZIP_DEFLATED
            with self._archive.open(part, "w") as out, xmlfile(out) as xf:
                with xf.element("Relationships", xmlns=PKG_REL_NS):
                    for rel in ws._rels:
                        xf.write(rel.to_tree())
            ws._rels = RelationshipList()        # written: ExcelWriter writes a sheet's non-empty list


def _save(wb, path) -> None:
    wb.properties.modified = datetime.now(tz=timezone.utc).replace(tzinfo=None)
    with ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        _Writer(wb, archive).save()


def _bold(ws, value: Any, size: float | None = None):
    cell = WriteOnlyCell(ws, value)
    cell.font = Font(bold=True, size=size)
    return cell


def _summary(ws, data, by_site: dict[str, list[Entry]]) -> None:
    """The 汇总 sheet, row after row (``ws`` is write-only)."""
    run = data.run
    info = [("检查运行编号", run.get("id")), ("检查开始时间", short_time(run.get("started_at"))),
            ("检查日期", run.get("audit_date")),
            ("运行状态", {"completed": "已完成", "completed_with_errors": "已完成（有数据未写入，结果不完整）",
                      "interrupted": "已中断（结果不完整）"}.get(run.get("status"),
                                                                                   run.get("status")))]
    cols = [("站点", 22, True), ("当前问题", 10, False), ("新增", 8, False), ("持续", 8, False),
            ("复发", 8, False), ("本次未核实", 11, False), ("本次已整改", 11, False), ("豁免", 8, False),
            ("待复核", 8, False), ("已反馈", 8, False), ("网站标识码", 13, False), ("主办单位", 16, True),
            ("检查结论", 9, False), ("单项否决项 / 待定原因", 40, True), ("健康分（非官方）", 10, False)]
    for i, (_, width, _) in enumerate(cols, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.merged_cells.add("A1:J1")
    ws.append([_bold(ws, "政府网站信息公开检查 · 整改台账", size=14)])
    ws.append([])
    for label, value in info:
        cell = literal(ws, value)
        cell.border = Border()
        ws.append([_bold(ws, label), cell])
    ws.append([])
    heads = []
    for label, _, _ in cols:
        cell = WriteOnlyCell(ws, label)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        cell.alignment = Alignment(horizontal="center")
        heads.append(cell)
    ws.append(heads)
    verdicts = {v.site: v for v in getattr(data, "verdicts", None) or []}
    totals = [0] * 9
    for site, rows in by_site.items():
        count = lambda *st: sum(1 for e in rows if e.status in st)  # noqa: E731
        values = [count(*ACTIVE, UNVERIFIED), count(NEW), count(OPEN), count(REOPENED), count(UNVERIFIED),
                  count(FIXED), count(WAIVED),
                  sum(1 for e in rows if e.awaiting and e.current_status in ACTIVE),
                  sum(1 for e in rows if e.feedback_status)]
        cells = [literal(ws, site, wrap=True), *(literal(ws, v) for v in values)]
        for i, v in enumerate(values):
            totals[i] += v
        verdict = verdicts.get(site)
        if verdict is not None:
            reasons = [f"{i.label}（{i.count}）" for i in verdict.triggered] or \
                      [f"待定：{i.label}，{i.reason}" for i in verdict.undecided]
            cells += [literal(ws, v, wrap=k == 3) for k, v in enumerate(
                [verdict.code or "", verdict.unit or "", verdict.verdict, "；".join(reasons), verdict.score])]
        ws.append(cells)
    total_row = [literal(ws, "合计"), *(literal(ws, v) for v in totals)]
    for cell in total_row:
        cell.font = Font(bold=True)
    ws.append(total_row)
    ws.append([])
    notes = [
        "填写说明",
        "1. 每个站点一张工作表。请在浅黄色的“整改责任单位、整改期限、整改情况、反馈状态”列填写，其余列请勿修改。",
        "2. 反馈状态从下拉列表中选择：已整改（待复核确认）、误报（请在“整改情况”中写明理由）、"
        "暂缓（请在“整改期限”中填写新的期限）、未整改。",
        "3. 可以排序、筛选、增加备注列或删除不需要的列，但请勿删除隐藏列（问题的唯一标识），"
        "否则该行无法导入。新增的行不会被导入，会在导入时列出。",
        "4. 状态说明：新增＝本次首次发现；持续＝此前已发现、本次仍存在；复发＝曾经整改、本次再次出现；"
        "已整改＝本次检查确认已消除；豁免＝经确认为误报；本次未核实＝页面本次未访问到或检查未执行，仍按未整改对待。",
        "5. 填写完成后交回，由检查人员执行 portal-audit feedback import 导入，再执行 portal-audit recheck 复核。",
    ]
    base = len(info) + 4 + len(by_site) + 3     # the head's row, then a row per site, the totals, a gap
    for i, text in enumerate(notes):
        cell = _bold(ws, text) if i == 0 else WriteOnlyCell(ws, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if i:
            ws.merged_cells.add(f"A{base + i}:J{base + i}")
            ws.row_dimensions[base + i].height = 32
        ws.append([cell])
