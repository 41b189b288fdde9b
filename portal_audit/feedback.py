"""Importing the 整改台账 as the responsible unit filled it in.

The unit may sort and filter the sheets, add rows, delete or move any column but
the (hidden) 指纹 column, rename sheets, or add a title row above the header: columns
are found by their header text on every sheet, and rows are matched to findings
by fingerprint only. Each answer in 反馈状态 is stored:

- 误报   → the finding is waived (who: ``--by`` or 整改责任单位; why: 整改情况; when: now)
- 已整改 → awaiting re-check (``portal-audit recheck`` decides)
- 暂缓   → kept open, with the new deadline from 整改期限
- 未整改 → kept open; a waiver set earlier through the ledger is withdrawn

A row whose fingerprint is missing or unknown, a duplicate, or an unknown answer is
listed, never silently dropped. Rows whose answer equals what is stored change
nothing, so importing the same file twice is a no-op.

A row applies only to a finding of the site and 主办单位 its sheet names: the sheet's title
as the ledger wrote it, and the row's own 站点 cell (名称, or 名称（网站标识码，主办单位） as the
ledger writes it when the config gives them) compared with the site, code and unit of the
run that last saw the finding. Site A's sheet never waives site B's finding, and a row
claiming another unit changes nothing; such rows are listed and ignored.

Bounded: the file is refused above ``max_bytes`` and ``max_rows`` data rows; it is read
(streamed, openpyxl read-only) in a sandboxed worker under :data:`LEDGER_LIMITS`
(crawler/sandbox.py), and the store lock is taken only to apply the parsed answers.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from core.models import FIXED, WAIVED
from core.text import now_iso
from crawler import sandbox
from reports.ledger import identity_label, sheet_title
from reports.verdict import site_identities
from store.history import history_row, history_sites, record_feedback

MAX_LEDGER_BYTES = 20 * 1024 * 1024    # a returned ledger larger than this is refused unread
MAX_LEDGER_ROWS = 50_000               # data rows read at most
LEDGER_LIMITS = sandbox.Limits(wall=120, cpu=120, memory=1024 * 1024 * 1024)

ANSWERS = ("已整改", "误报", "暂缓", "未整改")
ANSWER_ALIASES = {"已经整改": "已整改", "整改完成": "已整改", "已完成": "已整改", "误判": "误报",
                  "非问题": "误报", "缓办": "暂缓", "延期": "暂缓", "未完成": "未整改", "整改中": "未整改"}
HEADERS = {
    "fingerprint": ("指纹", "fingerprint", "问题指纹"),
    "answer": ("反馈状态",),
    "note": ("整改情况", "整改情况说明"),
    "unit": ("整改责任单位", "责任单位"),
    "deadline": ("整改期限",),
    "site": ("站点",),
    "code": ("检查项代码",),
    "url": ("问题链接",),
    "message": ("问题描述",),
}
_FP = re.compile(r"^[0-9a-f]{16}$")


class LedgerError(Exception):
    """The file is not a ledger this tool can read."""


@dataclass
class Problem:
    sheet: str
    row: int
    reason: str
    text: str

    def __str__(self) -> str:
        return f"[{self.sheet} 第 {self.row} 行] {self.reason}：{self.text}"


@dataclass
class ImportResult:
    source: str
    applied: dict[str, int] = field(default_factory=dict)       # answer → rows that changed something
    unchanged: int = 0
    blank: int = 0
    problems: list[Problem] = field(default_factory=list)       # unmatched / invalid rows
    changed: list[tuple[str, str]] = field(default_factory=list)  # (fingerprint, answer)

    @property
    def total_changed(self) -> int:
        return sum(self.applied.values())


def _norm_header(value: Any) -> str:
    return re.sub(r"[\s\*＊:：()（）]", "", str(value or "")).lower()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def normalize_deadline(value: Any) -> str | None:
    """A deadline as the unit typed it: a real date, 2024-9-30, 2024/09/30, 2024.9.30,
    2024年9月30日 → '2024-09-30'; anything else is kept as text."""
    text = _cell_text(value)
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+00:00(?::00)?)?", text)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return text
    return text


def normalize_answer(value: Any) -> str:
    text = re.sub(r"\s", "", _cell_text(value))
    return ANSWER_ALIASES.get(text, text)


def _find_header(ws) -> tuple[int, dict[str, int]] | None:
    """(header row number, {field: column index}) of a sheet, or None when it has no 指纹 column."""
    wanted = {k: {_norm_header(h) for h in names} for k, names in HEADERS.items()}
    for row_idx, row in enumerate(ws.iter_rows(min_row=1, max_row=min(ws.max_row or 10, 10), values_only=True), 1):
        cols: dict[str, int] = {}
        for col_idx, value in enumerate(row):
            key = _norm_header(value)
            for fld, names in wanted.items():
                if key in names and fld not in cols:
                    cols[fld] = col_idx
        if "fingerprint" in cols:
            return row_idx, cols
    return None


def parse_ledger(path: str | Path, max_bytes: int = MAX_LEDGER_BYTES, max_rows: int = MAX_LEDGER_ROWS) -> list:
    """Every data row of the ledger at ``path`` (see :func:`read_ledger`), refusing a file
    over ``max_bytes`` or ``max_rows`` rows with a :class:`LedgerError`."""
    try:
        size = Path(path).stat().st_size
    except FileNotFoundError:
        raise LedgerError(f"文件不存在：{path}") from None
    except OSError as exc:
        raise LedgerError(f"无法读取台账文件 {path}：{exc}") from None
    if size > max_bytes:
        raise LedgerError(f"台账文件 {path} 有 {size // 1024} KB，超过上限 {max_bytes // 1024} KB（--max-bytes），未导入")
    rows = []
    for row in read_ledger(path):
        if len(rows) >= max_rows:
            raise LedgerError(f"台账文件 {path} 超过 {max_rows} 行（--max-rows），未导入；请按站点拆分后分别导入")
        rows.append(row)
    return rows


def parse_ledger_sandboxed(path: str | Path, max_bytes: int = MAX_LEDGER_BYTES,
                           max_rows: int = MAX_LEDGER_ROWS, limits: sandbox.Limits = LEDGER_LIMITS) -> list:
    """:func:`parse_ledger` in a sandboxed worker; a file over the limits is a :class:`LedgerError`."""
    try:
        return sandbox.run_limited(parse_ledger, (str(path), max_bytes, max_rows), limits)
    except sandbox.ParseLimit as exc:
        raise LedgerError(f"读取台账文件 {path} 时{exc}") from None


def read_ledger(path: str | Path):
    """Yield (sheet, row number, {field: value}) for every data row of every ledger sheet."""
    # deferred: openpyxl is heavy and only needed when a ledger is imported
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, data_only=True, read_only=True)
    except FileNotFoundError:
        raise LedgerError(f"文件不存在：{path}") from None
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise LedgerError(f"无法读取台账文件 {path}（应为 .xlsx）：{exc}") from None
    found_any = False
    try:
        for ws in wb.worksheets:
            header = _find_header(ws)
            if header is None:
                continue
            found_any = True
            header_row, cols = header
            if "answer" not in cols:
                raise LedgerError(f"工作表“{ws.title}”缺少“反馈状态”列，无法导入")
            for offset, row in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True)):
                values = {fld: (row[i] if i < len(row) else None) for fld, i in cols.items()}
                if all(_cell_text(v) == "" for v in row):
                    continue
                yield ws.title, header_row + 1 + offset, values
    finally:
        wb.close()
    if not found_any:
        raise LedgerError(f"{path} 中没有找到含“指纹”列的工作表：请使用 portal-audit 生成的整改台账，"
                          "且不要删除隐藏的“指纹”列")


def import_ledger(store, path: str | Path, by: str | None = None, rows: list | None = None) -> ImportResult:
    """Store every answer of the ledger at ``path`` (its ``rows`` when already parsed);
    see the module docstring."""
    result = ImportResult(source=str(path))
    seen: dict[str, tuple[str, int]] = {}
    rows = parse_ledger(path) if rows is None else rows
    sheet_sites: dict[str, str | None] = {}
    identities: dict[int, dict[str, dict[str, Any]]] = {}    # run → site → {code, unit}
    when = now_iso()
    with store.transaction():
        for sheet, row_no, values in rows:
            fp = _cell_text(values.get("fingerprint")).lower()
            answer = normalize_answer(values.get("answer"))
            note = _cell_text(values.get("note")) or None
            unit = _cell_text(values.get("unit")) or None
            deadline = normalize_deadline(values.get("deadline"))
            describe = _describe(values)
            if not fp:
                if answer or note:
                    result.problems.append(Problem(sheet, row_no, "无法匹配（缺少指纹，可能是新增的行）", describe))
                continue
            if not _FP.match(fp):
                result.problems.append(Problem(sheet, row_no, f"无法匹配（指纹 {fp!r} 格式不正确）", describe))
                continue
            if fp in seen:
                first = seen[fp]
                result.problems.append(Problem(sheet, row_no,
                                               f"重复的行（与“{first[0]}”第 {first[1]} 行是同一问题，已忽略此行）",
                                               describe))
                continue
            seen[fp] = (sheet, row_no)
            h = history_row(store, fp)
            if h is None:
                result.problems.append(Problem(sheet, row_no, f"无法匹配（数据库中没有指纹为 {fp} 的问题）", describe))
                continue
            if sheet not in sheet_sites:
                sheet_sites[sheet] = _sheet_site(store, sheet)
            mismatch = _scope_mismatch(store, h, sheet_sites[sheet], _cell_text(values.get("site")), identities)
            if mismatch:
                result.problems.append(Problem(sheet, row_no, mismatch, describe))
                continue
            if not answer:
                result.blank += 1
                continue
            if answer not in ANSWERS:
                result.problems.append(Problem(sheet, row_no,
                                               f"反馈状态“{answer}”无法识别（可选：{'、'.join(ANSWERS)}）", describe))
                continue
            if answer == "暂缓" and not deadline:
                deadline = h["feedback_deadline"]
            if (h["feedback_status"], h["feedback_note"], h["feedback_unit"], h["feedback_deadline"]) == (
                    answer, note, unit, deadline) and _state_matches(h, answer):
                result.unchanged += 1
                continue
            record_feedback(store, h, answer=answer, note=note, unit=unit, deadline=deadline, by=by, when=when,
                            source=str(path), sheet=sheet, row_number=row_no)
            result.applied[answer] = result.applied.get(answer, 0) + 1
            result.changed.append((fp, answer))
    return result


def _scope_mismatch(store, h, sheet_site: str | None, cell: str,
                    identities: dict[int, dict[str, dict[str, Any]]]) -> str | None:
    """Why the row does not apply to the finding ``h`` (site or 主办单位 not its own), else None."""
    site = h["site"]
    if sheet_site is not None and sheet_site != site:
        return f"站点不符（该问题属于“{site}”，不属于本工作表的站点），已忽略此行"
    if not cell or cell == site:
        return None
    run_id = h["last_seen_run"]
    if run_id not in identities:
        run = store.run(run_id)
        identities[run_id] = site_identities(json.loads(run["config_json"] or "{}")) if run is not None else {}
    ident = identities[run_id].get(site, {})
    if cell == identity_label(site, ident.get("code"), ident.get("unit")):
        return None
    if cell.startswith(f"{site}（"):
        unit = ident.get("unit") or "未配置"
        return (f"主办单位不符（该问题属于“{site}”，主办单位为“{unit}”，本行所填为“{cell}”），已忽略此行")
    return f"站点不符（该问题属于“{site}”，本行所填站点为“{cell}”），已忽略此行"


def _sheet_site(store, sheet: str) -> str | None:
    """The site whose ledger sheet is titled ``sheet`` (None when no site's is: renamed)."""
    matches = [s for s in history_sites(store) if sheet_title(s, set()) == sheet]
    return matches[0] if len(matches) == 1 else None


def _state_matches(h, answer: str) -> bool:
    """Does the stored state already reflect ``answer``? (A later run may have moved it on.)"""
    if answer == "误报":
        return h["status"] == WAIVED
    if answer == "已整改":
        return bool(h["awaiting_recheck"]) or h["status"] == FIXED or h["recheck_result"] is not None
    return h["status"] != WAIVED or h["waived_prior"] is None


def _describe(values: dict[str, Any]) -> str:
    parts = [_cell_text(values.get(k)) for k in ("site", "code", "message", "url", "answer", "note")]
    text = " | ".join(p for p in parts if p)
    return (text[:160] + "…") if len(text) > 160 else (text or "（空行）")
