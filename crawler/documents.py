"""Reading attachments that carry the document itself.

Many portals publish a 规范性文件 as an article whose body is only “附件：xxx.pdf”
(or .docx). For those, the gatherer downloads that one attachment with a GET,
up to :data:`MAX_DOCUMENT_BYTES`, and stores its text as the page's main text,
so that the content checks (validity, repeal statements, revisions …) see the
document. PDF is read with pdfminer.six, DOCX with python-docx; scanned PDFs
(images only), .doc/.wps/.ofd and anything larger than the cap are left alone.

Same-site XLSX/DOCX/PDF attachments linked from parsed pages are also read (same cap)
into ``attachment_texts`` for the privacy checks: XLSX with openpyxl (read-only, cell
values only, at most :data:`MAX_XLSX_ROWS` rows per sheet and :data:`MAX_XLSX_CELLS` cells).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from urllib.parse import unquote, urlsplit

from core.text import cjk_count, squash
from core.vocabulary import Stage


MAX_DOCUMENT_BYTES = 5 * 1024 * 1024   # a bigger attachment is not downloaded for reading
MAX_PDF_PAGES = 60                     # pages of a PDF read at most
MAX_TEXT = 200_000                     # characters kept
MAX_XLSX_ROWS = 5000                   # rows read per worksheet at most
MAX_XLSX_CELLS = 200_000               # cells read per workbook at most
SHORT_BODY_CJK = 60                    # a body with fewer Chinese characters is "only a link"

PDF_TYPES = ("application/pdf", "application/x-pdf")
DOCX_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)
XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)
READABLE_KINDS = ("pdf", "docx", "xlsx")
#: what each reading stage reads: every readable attachment, or the documents an article's body is in
STAGE_KINDS = {Stage.ATTACHMENTS: READABLE_KINDS, Stage.DOCUMENTS: ("pdf", "docx")}

log = logging.getLogger(__name__)


def kinds_to_read(stages) -> tuple[str, ...]:
    """The attachment kinds the crawl reads (one capped GET) for the reading ``stages`` wanted."""
    return tuple(k for k in READABLE_KINDS if any(k in STAGE_KINDS.get(s, ()) for s in stages))


def document_kind(url: str, content_type: str | None = None) -> str | None:
    """``"pdf"``, ``"docx"``, ``"xlsx"`` or None, from the content type, else the URL's extension."""
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if ctype in PDF_TYPES:
        return "pdf"
    if ctype in DOCX_TYPES:
        return "docx"
    if ctype in XLSX_TYPES:
        return "xlsx"
    parts = urlsplit(url)
    path = unquote(parts.path).lower()
    for candidate in (path, unquote(parts.query).lower()):
        m = re.search(r"\.(pdf|docx|xlsx)(?:$|[?&#])", candidate)
        if m:
            return m.group(1)
    return None


def body_is_only_a_link(main_text: str) -> bool:
    """True when an article's body text is too short to be the document itself."""
    return cjk_count(main_text or "") < SHORT_BODY_CJK


def sniff(body: bytes) -> str | None:
    """The real type of a downloaded body (servers often send application/octet-stream)."""
    if body.startswith(b"%PDF"):
        return "pdf"
    if body.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "docx"
        return "xlsx" if "xl/workbook.xml" in names else None
    return None


def extract_document_text(body: bytes, kind: str | None = None, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """The text of a PDF, DOCX or XLSX body ("" when unreadable, too big or of another type)."""
    if not body or len(body) > max_bytes:
        return ""
    real = sniff(body) or kind
    try:
        if real == "pdf":
            return _pdf_text(body)
        if real == "docx":
            return _docx_text(body)
        if real == "xlsx":
            return _xlsx_text(body)
    except MemoryError:
        raise               # over the sandbox's memory limit: the caller records parse_limit
    except Exception as exc:  # noqa: BLE001 - a broken attachment must never stop the crawl
        log.info("cannot read %s attachment: %s: %s", real, type(exc).__name__, exc)
    return ""


def _pdf_text(body: bytes) -> str:
    # deferred: pdfminer is heavy and only needed when a PDF is read
    from pdfminer.high_level import extract_text

    for name in ("pdfminer", "pdfminer.pdfpage", "pdfminer.pdfinterp", "pdfminer.cmapdb"):
        logging.getLogger(name).setLevel(logging.ERROR)
    text = extract_text(io.BytesIO(body), maxpages=MAX_PDF_PAGES)
    return squash(text)[:MAX_TEXT]


def _docx_text(body: bytes) -> str:
    # deferred: python-docx is only needed when a DOCX is read
    import docx

    document = docx.Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" ".join(cell.text for cell in row.cells))
    return squash(" ".join(parts))[:MAX_TEXT]


def _xlsx_text(body: bytes) -> str:
    """Cell values, one line per row (cells separated by spaces), sheet by sheet; capped
    at :data:`MAX_XLSX_ROWS` rows per sheet, :data:`MAX_XLSX_CELLS` cells and :data:`MAX_TEXT`
    characters. Formulas are not evaluated (their cached value is read)."""
    # deferred: openpyxl is heavy and only needed when an XLSX is read
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    lines, cells, size = [], 0, 0
    try:
        for sheet in workbook.worksheets:
            for n, row in enumerate(sheet.iter_rows(values_only=True)):
                if n >= MAX_XLSX_ROWS or cells >= MAX_XLSX_CELLS or size >= MAX_TEXT:
                    break
                values = [_cell_text(v) for v in row[:max(0, MAX_XLSX_CELLS - cells)]]
                cells += len(row)
                line = " ".join(v for v in values if v)
                if line:
                    lines.append(line)
                    size += len(line) + 1
    finally:
        workbook.close()
    return squash("\n".join(lines))[:MAX_TEXT]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
