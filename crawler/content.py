"""Reading documents: the main text of an article and its 信息公开 metadata.

Main text: the first CMS container that holds real text, in this order — TRS
(``div.TRS_Editor``, ``#UCAP-CONTENT``, ``<!--ContentStart-->…<!--ContentEnd-->``
markers), ``#zoom`` (TRS and Hanweb), Hanweb (``.article-content``, ``#zoomcon``,
``.bt-article-content``, ``.wz_content``), then the common ``.article`` /
``.content`` / ``.detail`` / ``<article>`` containers; a container made mostly of
links (a menu) is skipped. Without any of them, the block with the most
paragraph text and few links wins (text density).

Metadata: label/value pairs in ``<table>`` cells (two pairs per row, labels
with full-width spaces, trailing ``：`` or ``|``; or a header row of labels with
the values in the one row below it), ``<dl>`` (dt/dd), and ``<ul>/<li>``, ``<p>``,
``<span>`` or ``<div>`` lines (``索引号：…　发布日期：…``, ``<li><b>发文机关：</b>…</li>``).
Script source in a cell is never a value. Labels are normalised (发文机关 → 发布机构,
发文字号 → 文号, 信息索引 → 索引号, 时效 → 有效性 …); 来源/信息来源 (the outlet a text came
from) is kept as ``来源``, never as the 发布机构; 生成日期 is the 成文日期 only when the
page shows no 成文日期 (发文日期, 印发日期 …) of its own.

发布日期 also comes from the article's date line, in every usual form: one labelled
field (``发布时间：2023-05-06 来源：本网``, ``时间发布：``, ``更新时间：``), a bare
``日期：``/``时间：`` or no label at all beside the other parts of a date line (来源,
作者, 浏览次数, 字体【大 中 小】, 打印, 分享 …). Without any date on the page, the
``<meta name="PubDate">`` of the CMS is kept as ``PubDate`` (a fallback for dates,
never shown as the page's 发布日期).

A short notice such as “该文件已失效” / “本文件已废止” anywhere on the page, or an image
whose alt text says 已失效/已废止, is kept as ``失效提示``; one inside a hidden element (a
``display:none`` stamp a template shows only for repealed documents, see
:class:`crawler.hidden.HiddenOracle`) is not.
"""

from __future__ import annotations

import functools
import re

import lxml.etree

from core.text import DATE_RE, find_dates, squash
from core.vocabulary import has_catalogue
from crawler.hidden import HiddenOracle

MAX_TEXT = 200_000
MIN_MAIN = 20            # characters a generic container needs to count as the main text
MIN_SPECIFIC = 6         # … and a CMS-specific one (a body may be only “附件：x.pdf”)
MAX_LINK_SHARE = 0.5     # a container whose text is mostly link text is a menu

MAIN_SELECTORS = [
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    "//*[@id='UCAP-CONTENT']",
    "@markers",
    "//*[@id='zoom']",
    "//*[@id='zoomcon' or @id='Zoom' or @id='fontzoom' or @id='content_text']",
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' article-content ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' bt-article-content ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' wz_content ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' art_con ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' pages_content ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' TRS_UEDITOR ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' Custom_UnionStyle ')]",
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' article ')]",
    "//*[self::div or self::td][contains(concat(' ', normalize-space(@class), ' '), ' content ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' main-txt ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' detail ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' zw ')]",
    "//article",
]
GENERIC_FROM = 6         # MAIN_SELECTORS from this index on are generic containers
_COMPILED = [None if x == "@markers" else lxml.etree.XPath(x) for x in MAIN_SELECTORS]
# strings only (smart_strings=False): no per-string link back to its element
_TEXTS = lxml.etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style)"
                          " and not(ancestor::noscript)]", smart_strings=False)
_LINK_TEXTS = lxml.etree.XPath(".//a//text()", smart_strings=False)
_BLOCKS = lxml.etree.XPath("//body//div|//body//td|//body//article|//body//section")
_PARA_CHILD_TEXT = lxml.etree.XPath(
    "./text()|./p//text()[not(ancestor::a)]|./span//text()[not(ancestor::a)]|./font//text()"
    "|./strong//text()|./b//text()", smart_strings=False)
_CHROME = re.compile(r"foot|bottom|copyright|header|top-?bar|tools|nav|menu|sidebar|breadcrumb|position|banner", re.I)
_BODY_TEXTS = lxml.etree.XPath("//body//text()[not(ancestor::script) and not(ancestor::style)]")

# label variants → canonical field name
META_LABELS = {
    "索引号": "索引号", "索取号": "索引号",
    "主题分类": "主题分类", "分类": "主题分类", "组配分类": "主题分类", "公开目录": "主题分类",
    "信息分类": "主题分类", "主题": "主题分类", "所属主题": "主题分类", "体裁分类": "主题分类",
    "信息索引": "索引号",
    "发布机构": "发布机构", "发文机关": "发布机构", "发文单位": "发布机构", "发布单位": "发布机构",
    "公开责任部门": "发布机构", "制发机关": "发布机构", "发文机构": "发布机构",
    # the outlet a text came from (本网, a newspaper): never the 发布机构
    "来源": "来源", "信息来源": "来源", "文章来源": "来源", "稿件来源": "来源", "新闻来源": "来源",
    "成文日期": "成文日期", "发文日期": "成文日期", "印发日期": "成文日期",
    "制发日期": "成文日期", "签发日期": "成文日期",
    "生成日期": "生成日期",   # the page's creation; the 成文日期 only where no 成文日期 is shown
    "发布日期": "发布日期", "公开日期": "发布日期", "发布时间": "发布日期", "公开时间": "发布日期",
    "时间发布": "发布日期", "发稿时间": "发布日期", "发表时间": "发布日期", "上传时间": "发布日期",
    "录入时间": "发布日期",
    "更新时间": "更新日期", "更新日期": "更新日期",   # the 发布日期 only where none is shown
    "文号": "文号", "发文字号": "文号", "文件编号": "文号", "发文文号": "文号", "文件文号": "文号",
    "有效性": "有效性", "时效": "有效性", "时效性": "有效性", "效力状态": "有效性", "是否有效": "有效性",
    "效力": "有效性", "有效状态": "有效性",
    "公开属性": "公开属性", "公开方式": "公开属性", "公开形式": "公开属性",
    "标题": "标题", "名称": "标题", "文件名称": "标题",
    "关键词": "主题词", "主题词": "主题词",
    # 政务咨询 messages (领导信箱, 咨询留言): when asked, when answered, the state shown
    "留言时间": "留言日期", "留言日期": "留言日期", "来信时间": "留言日期", "来信日期": "留言日期",
    "提问时间": "留言日期", "咨询时间": "留言日期", "写信时间": "留言日期",
    "回复时间": "答复日期", "回复日期": "答复日期", "答复时间": "答复日期", "答复日期": "答复日期",
    "办结时间": "答复日期",
    "办理状态": "办理状态", "处理状态": "办理状态", "回复状态": "办理状态", "办结状态": "办理状态",
}
_LABEL_CLEAN = re.compile(r"[\s\u3000\xa0:：|｜【】\[\]]+")
_SP = r"[\s\u3000\xa0]*"
_LABEL_ALT = "|".join(_SP.join(re.escape(c) for c in label)
                      for label in sorted(META_LABELS, key=len, reverse=True))
# a label followed by a colon (or a bar), at the start of a text or after a space/separator
_LABEL_RE = re.compile(rf"(?:^|(?<=[\s\u3000\xa0|｜;；,，>]))【?({_LABEL_ALT}){_SP}】?{_SP}[:：|｜]")
_LABEL_HINT = re.compile(rf"(?:{_LABEL_ALT}){_SP}】?{_SP}[:：|｜]")
_HINT_MARKS = frozenset(":：|｜")


def _label_hint(text: str) -> bool:
    """Does a text node hold a label: one followed by a colon or a bar, or a label alone
    (white space aside; no label holds a colon or a bar)? The pattern is tried only on texts
    with a colon or a bar."""
    if _HINT_MARKS.isdisjoint(text):
        return "".join(text.split()) in META_LABELS
    return _LABEL_HINT.search(text) is not None

MARK_RE = re.compile(r"(?:本|该|此)(?:规范性)?(?:文件|件|政策|规定|通知|办法|意见|文|条例|细则|方案)?"
                     r"(?:已于[^。；，,]{0,24}|已经|现已|已)(?:宣布)?(?:失效|废止|作废|停止执行)"
                     r"|已(?:宣布)?(?:失效|废止)(?:文件)?$|^(?:失效|废止|已失效|已废止|作废)$")
_MARK_ALT = re.compile(r"失效|废止|作废")


@functools.lru_cache(maxsize=4096)   # a template's labels repeat on every page
def canonical_label(label: str) -> str | None:
    return META_LABELS.get(_LABEL_CLEAN.sub("", label or ""))


def _text(el) -> str:
    return squash(" ".join(_TEXTS(el)))


class _Texts(dict):
    """Each element's :func:`_text`, computed once per document read (a metadata cell is
    read as a header label, as a pair's label or value, and again as a line's ancestor)."""

    def __call__(self, el) -> str:
        text = self.get(el)
        if text is None:
            text = self[el] = _text(el)
        return text


# -- 政务咨询 lists -------------------------------------------------------------

#: header texts of a message list that are not metadata labels (or mean something else there)
_MESSAGE_HEADERS = {"状态": "办理状态", "信件状态": "办理状态", "答复状态": "办理状态", "主题": "标题",
                    "信件标题": "标题", "留言标题": "标题", "来信标题": "标题", "咨询标题": "标题"}
_MESSAGE_FIELDS = ("标题", "留言日期", "答复日期", "办理状态")
MAX_MESSAGE_ROWS = 500


def _header_label(cell) -> str | None:
    text = _LABEL_CLEAN.sub("", "".join(cell.itertext()))
    return _MESSAGE_HEADERS.get(text) or canonical_label(text)


def message_rows(tree, limit: int = MAX_MESSAGE_ROWS) -> list[dict[str, str]]:
    """The messages of a 政务咨询 list that shows their dates: every row of a <table> whose
    header row names when a message was asked (留言时间/来信时间 …) and when it was answered
    (回复时间/答复时间 …) or its state (办理状态/状态 …). Per row: 标题, 留言日期, 答复日期 and
    办理状态 as shown, and ``href``, the row's first link (none when the list links no detail
    page). At most ``limit`` rows."""
    out: list[dict[str, str]] = []
    for table in tree.iter("table"):
        header: list[str | None] | None = None
        for row in table.iter("tr"):
            cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
            if header is None:
                labels = [_header_label(c) for c in cells]
                if "留言日期" in labels and {"答复日期", "办理状态"} & set(labels):
                    header = labels
                continue
            if len(cells) != len(header):
                continue
            rec = {label: squash("".join(cell.itertext())) for label, cell in zip(header, cells)
                   if label in _MESSAGE_FIELDS}
            link = next(row.iterfind(".//a[@href]"), None)
            if link is not None:
                rec["href"] = link.get("href").strip()
                rec["标题"] = rec.get("标题") or squash("".join(link.itertext()))
            if rec.get("留言日期"):
                out.append({k: v for k, v in rec.items() if v})
                if len(out) >= limit:
                    return out
    return out


# -- metadata -----------------------------------------------------------------

# a field shown only where the page shows none of the field it stands in for
_STAND_INS = {"成文日期": "生成日期", "发布日期": "更新日期"}
_NOT_COUNTED = frozenset({"来源", "标题"})   # a 来源 line or a title is no metadata table
_SCRIPT_VALUE = re.compile(r"document\s*\.\s*write|\bvar\s+\w+\s*=|function\s*\(|\)\s*\{|getElementById")


def extract_metadata(tree) -> dict[str, str]:
    """The metadata fields of an article, in <table>, <ul>/<li>, <p>/<span>/<div> or <dl>
    layouts, and the 发布日期 of its date line.

    Catalogue fields count only when at least two are found (a lone “来源：” or
    “发布机构：” line is not a metadata table); the 发布日期 counts alone, with the 来源
    beside it (a date line with one field gives a date). Without any date, the CMS's
    ``PubDate`` meta is kept as ``PubDate``. A 失效/废止 notice is kept as ``失效提示``.
    """
    meta: dict[str, str] = {}
    text_of = _Texts()
    for table in tree.iter("table"):
        rows = [[c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")] for row in table.iter("tr")]
        for n, cells in enumerate(rows):
            if not _header_row(cells, rows[n + 1:], meta, text_of):
                _pairs(cells, meta, text_of)
    for dl in tree.iter("dl"):
        _pairs([c for c in dl if isinstance(c.tag, str) and c.tag in ("dt", "dd")], meta, text_of)
    done: set = set()
    marks: list[tuple[str, object]] = []     # (notice, its element)
    for node in _BODY_TEXTS(tree):
        # most texts hold neither a notice nor a label: tested before their element is looked up
        mark = _MARK_ALT.search(node) is not None
        hint = _label_hint(node)
        if not (mark or hint):
            continue
        parent = node.getparent()
        if parent is None:
            continue
        if mark:
            short = squash(node)
            if len(short) <= 60 and MARK_RE.search(short):
                marks.append((short, parent))
        if not hint:
            continue
        el = parent
        for _ in range(4):
            if el is None or el in done:
                break
            text = text_of(el)
            if len(text) > 400:
                break
            if _parse_line(text, meta):
                done.add(el)
                break
            el = el.getparent()
    for img in tree.iter("img"):
        alt = squash(img.get("alt") or img.get("title") or "")
        if alt and len(alt) <= 20 and re.search(r"已?(?:失效|废止|作废)", alt):
            marks.append((alt, img))
    for field, stand_in in _STAND_INS.items():
        value = meta.pop(stand_in, None)
        if value and field not in meta:
            meta[field] = value
    counted = [k for k in meta if k not in _NOT_COUNTED]
    if len(counted) >= 2:
        result = {k: v for k, v in meta.items() if k != "标题"} if len(meta) < 3 else dict(meta)
    else:
        result = {k: meta[k] for k in ("发布日期", "来源") if k in meta} if find_dates(meta.get("发布日期", "")) else {}
    if "发布日期" not in result:
        shown = date_line(tree)
        if shown:
            result["发布日期"] = shown
        elif pub := _pubdate_meta(tree):
            result["PubDate"] = pub
    # the 有效性 value itself is not a notice, nor a stamp a template keeps hidden (display:none)
    marks = _shown(tree, marks, meta)
    if marks:
        result["失效提示"] = marks[0][:100]
    return result


def _shown(tree, marks: list[tuple[str, object]], meta: dict[str, str]) -> list[str]:
    """The notices a visitor sees: not the 有效性 value, nor one inside a hidden element."""
    oracle = None
    out = []
    for text, el in marks:
        if text == meta.get("有效性"):
            continue
        oracle = oracle or HiddenOracle(tree)
        if not oracle.reason(el):
            out.append(text)
    return out


def _parse_line(text: str, meta: dict[str, str]) -> bool:
    """``索引号：A　发布日期：B`` → meta; True when the text held at least one label with a value."""
    found = list(_LABEL_RE.finditer(text))
    if not found or found[0].start() > 2:
        return False
    got = False
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        value = text[m.end():end]
        value = value[:part.start()] if (part := _LINE_PART.search(value)) else value   # 来源：本网 字体：【大 中 小】
        value = value.strip(" \u3000\xa0|｜;；,，")
        key = canonical_label(m.group(1))
        if key and value and not _SCRIPT_VALUE.search(value):
            got = True
            meta.setdefault(key, value[:300])
    return got


def _pairs(cells, meta: dict[str, str], text_of=_text) -> None:
    """Label cell, value cell, label cell, value cell …; a cell may also hold ``label：value``.
    A cell's script (``var fileNum = …; document.write(…)``) is not its text."""
    i = 0
    while i < len(cells):
        label = text_of(cells[i])
        key = canonical_label(label) if len(label) <= 14 else None
        if key and i + 1 < len(cells):
            value = text_of(cells[i + 1])
            if canonical_label(value) is None and not _starts_with_label(value):
                if value and not _SCRIPT_VALUE.search(value):
                    meta.setdefault(key, value[:300])
                i += 2
                continue
        elif key is None and len(label) <= 300:
            _parse_line(label, meta)
        i += 1


def _starts_with_label(text: str) -> bool:
    """``发布机构：省教育厅``: a cell that is a label of its own, not the value of the cell before."""
    m = _LABEL_RE.search(text)
    return m is not None and m.start() <= 2


def _header_row(cells, below, meta: dict[str, str], text_of=_text) -> bool:
    """A header row of labels (索取号 | 发布时间 | 发布机构 | 文件编号) with the values in the one
    row below it, the layout of a one-document 信息公开目录 table; a list (several rows, or
    a row linking a page) is not one. True when ``cells`` is such a header."""
    if len(cells) < 3:
        return False
    labels = [canonical_label(text) if len(text := text_of(c)) <= 14 else None for c in cells]
    if sum(k is not None for k in labels) < max(2, len(cells) - 1):
        return False
    values = [row for row in below if row]
    if len(values) != 1 or len(values[0]) != len(cells) or any(c.find(".//a[@href]") is not None for c in values[0]):
        return False
    for key, cell in zip(labels, values[0]):
        value = text_of(cell)
        if key and value and canonical_label(value) is None and not _SCRIPT_VALUE.search(value):
            meta.setdefault(key, value[:300])
    return True


def _pubdate_meta(tree) -> str | None:
    for el in tree.iterfind(".//meta[@name]"):
        if el.get("name", "").lower() in ("pubdate", "publishdate") and find_dates(el.get("content") or ""):
            return squash(el.get("content"))[:40]
    return None


# -- the date line ----------------------------------------------------------------

_DATE_HINT = re.compile(r"(?:19|20)\d{2}\s*(?:年|[-./／])\s*\d{1,2}")
# the label just before a date: 发布时间：, 时间发布：, 日期 :, 【发布日期】 …
_DATE_LABEL = re.compile(r"(?:^|(?<=[^\u4e00-\u9fff]))(?P<label>(?:发布|公开|发稿|发表|上传|录入)(?:日期|时间)|时间发布"
                         r"|(?P<update>更新(?:日期|时间))|(?P<bare>日期|时间))\s*[】\]]?\s*[:：]?\s*[\[【(（]?\s*$")
# another field's date (开始时间：, 成文日期：, 截止日期：) or a clock on the page (今天是)
_OTHER_DATE = re.compile(rf"[\u4e00-\u9fff]{{1,8}}\s*[】\]]?\s*[:：]\s*[\[【(（]?\s*$|(?:{_LABEL_ALT}){_SP}[】\]]?{_SP}$"
                         r"|(?:今天是|今天|今日|当前)\s*$")
# the other parts of a date line; 来源 alone only beside a time of day
_LINE_PART = re.compile(r"字\s*[体号](?:\s*大\s*小)?\s*[:：【\[〖]|【\s*字\s*[体号]|浏览(?:次数|量)?\s*[:：]|阅读(?:次数|量)?\s*[:：]"
                        r"|点击(?:次数|数|量|率)?\s*[:：]|访问(?:次数|量)|打\s*印|分享|收藏|作者\s*[:：]|编辑\s*[:：]|大\s*中\s*小")
_SOURCE_PART = re.compile(r"来\s*源")
_TIME_OF_DAY = re.compile(r"^\s*\d{1,2}\s*[:：∶时]\s*\d{2}")
_DATE_CLASS = re.compile(r"(?:^|[-_ ])(?:time|date|pubdate|pubtime|fbsj|fbrq|rq|sj)(?:[-_ ]|$)", re.I)
_ITEM_TAGS = frozenset({"li", "tr", "dd", "dt"})
MAX_LINE = 160


def date_line(tree) -> str | None:
    """The publication date an article shows in its date line (the line under the
    title), as written on the page: a date after a publication label (发布时间：…,
    时间发布：…), then a date after 更新时间：, then a date after a bare 日期：/时间： or
    with no label beside the other parts of a date line (来源 with a time of day, 作者,
    浏览次数, 字体【大 中 小】, 打印, 分享), then an element whose class says date or
    time holding only a date. The first of the best form wins. Dates in links, in
    another field (开始时间：, 成文日期：) and in list items are not the date line's."""
    best: tuple[int, str] | None = None
    texts: dict = {}   # element → its text, each computed once (a long list has many dated items)

    def text_of(el) -> str:
        if el not in texts:
            texts[el] = _text(el)
        return texts[el]

    for node in _BODY_TEXTS(tree):
        if not _DATE_HINT.search(node):
            continue
        parent = node.getparent()
        if parent is not None and node.is_tail:
            parent = parent.getparent()   # the text after an element belongs to that element's parent
        own = squash(str(node))
        m = DATE_RE.search(own)   # one date per text node: the date line's date comes first
        if parent is None or m is None or _in_link(parent, text_of):
            continue
        rank = _date_rank(parent, own, m, text_of)
        if rank is not None and (best is None or rank < best[0]):
            best = (rank, m.group(0).strip())
            if rank == 0:
                break
    return best[1] if best else None


def _date_rank(parent, own: str, m, text_of) -> int | None:
    """0 labelled, 1 labelled 更新时间, 2 bare label or no label in a date line, 3 a date
    element by class; None when the date is no date line's. The line is the nearest
    element (up to four levels up, at most ``MAX_LINE`` characters) holding a label or
    another part of a date line."""
    line, text, el = parent, own, parent
    for _ in range(4):
        if el is None or el.tag in ("body", "html"):
            break
        whole = text_of(el)
        if len(whole) > MAX_LINE:
            break
        line, text = el, whole
        if _LINE_PART.search(whole) or _SOURCE_PART.search(whole) or _DATE_LABEL_IN.search(whole):
            break
        el = el.getparent()
    pos = text.find(m.group(0))
    before, after = (text[:pos], text[pos + len(m.group(0)):]) if pos >= 0 else (own[:m.start()], own[m.end():])
    label = _DATE_LABEL.search(before[-16:])
    if label and not label.group("bare"):
        return 1 if label.group("update") else 0
    if (not label and _OTHER_DATE.search(before[-12:])) or len(text) > MAX_LINE:
        return None   # another field's date, or a date inside prose (only a label makes it a date line's)
    if _in_item(line):
        return None
    if _LINE_PART.search(text) or (_SOURCE_PART.search(text) and (label or _TIME_OF_DAY.match(after))):
        return 2
    return _class_rank(parent, own, m)


_DATE_LABEL_IN = re.compile(r"(?:发布|公开|发稿|发表|更新)(?:日期|时间)|时间发布")


def _class_rank(parent, own: str, m) -> int | None:
    rest = _DATE_LABEL_IN.sub("", own.replace(m.group(0), "")).replace("日期", "").replace("时间", "")
    if re.sub(r"[\s()（）\[\]【】:：∶\d时分秒]", "", rest) or _in_item(parent):
        return None
    el = parent
    for _ in range(2):
        if el is None:
            break
        if _DATE_CLASS.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
            return 3
        el = el.getparent()
    return None


def _in_link(el, text_of) -> bool:
    """Inside a link's text (a link left open around half the page is no link text)."""
    return any(a.tag == "a" and len(text_of(a)) <= MAX_LINE for a in (el, *el.iterancestors()))


def _in_item(el) -> bool:
    """Inside a list item that links somewhere (the date of a sidebar or 相关新闻 entry)."""
    for _ in range(3):
        if el is None:
            return False
        if el.tag in _ITEM_TAGS and el.find(".//a[@href]") is not None:
            return True
        el = el.getparent()
    return False


def is_article(tree, meta: dict[str, str]) -> bool:
    """A page with an article body (a CMS text container), a metadata table or a title
    block (the CMS's ``ArticleTitle`` meta) is an article, whatever its sidebar lists."""
    if has_catalogue(meta):
        return True
    if any(el.get("name", "").lower() == "articletitle" and (el.get("content") or "").strip()
           for el in tree.iterfind(".//meta[@name]")):
        return True
    for n, xpath in enumerate(_COMPILED[:GENERIC_FROM]):
        found = _between_markers(tree) if xpath is None else xpath(tree)
        for el in found:
            text = el if isinstance(el, str) else _text(el)
            if len(text) >= MIN_MAIN and not _mostly_links(el, text):
                return True
    return False


def is_list_page(tree, links, meta: dict[str, str]) -> bool:
    """A list: at least three page links with a date beside them (font-size buttons and
    other ``javascript:``/``#`` links are no items), unless the page is an article
    (:func:`is_article`: its sidebar or 相关新闻 block is not what the page is)."""
    dated = {raw.href for raw in links if raw.list_date and not _NO_ITEM_HREF.match(raw.href or "")}
    return len(dated) >= 3 and not is_article(tree, meta)


_NO_ITEM_HREF = re.compile(r"\s*(?:#|javascript:|$)", re.I)


# -- main text ------------------------------------------------------------------

def extract_main_text(tree) -> str:
    """The article body text: a known CMS container, else the densest text block.

    The CMS-specific containers (TRS, ``#zoom``, Hanweb …) count even when their text is
    short or only a download link (“附件：xxx.pdf”): that is the article's body. The generic
    ones (``.article``, ``.content`` …) must hold real text and not be mostly links.
    """
    for n, xpath in enumerate(_COMPILED):
        generic = n >= GENERIC_FROM
        found = _between_markers(tree) if xpath is None else xpath(tree)
        best = ""
        for el in found if isinstance(found, list) else []:
            text = _text(el) if not isinstance(el, str) else el
            if len(text) > len(best) and not (generic and _mostly_links(el, text)):
                best = text
        if len(best) >= (MIN_MAIN if generic else MIN_SPECIFIC):
            return best[:MAX_TEXT]
    return _densest(tree)[:MAX_TEXT]


def _mostly_links(el, text: str) -> bool:
    if isinstance(el, str) or not text:
        return False
    linked = sum(len(t.strip()) for t in _LINK_TEXTS(el))
    return linked > MAX_LINK_SHARE * len(text.replace(" ", ""))


def _between_markers(tree) -> list[str]:
    """Text between <!--ContentStart--> and <!--ContentEnd--> comments (TRS templates)."""
    out = []
    for comment in tree.iter(lxml.etree.Comment):
        if not re.search(r"ContentStart|正文开始|zhengwen\s*start", comment.text or "", re.I):
            continue
        parts = [comment.tail or ""]
        sib = comment.getnext()
        while sib is not None:
            if sib.tag is lxml.etree.Comment and re.search(r"ContentEnd|正文结束|zhengwen\s*end",
                                                            sib.text or "", re.I):
                break
            if isinstance(sib.tag, str) and sib.tag not in ("script", "style"):
                parts.append(" ".join(_TEXTS(sib)))
            parts.append(sib.tail or "")
            sib = sib.getnext()
        out.append(squash(" ".join(parts)))
    return out


def _in_chrome(el) -> bool:
    """Inside a header, footer, menu or tool bar (by class or id)."""
    while el is not None and el.tag != "body":
        if _CHROME.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
            return True
        el = el.getparent()
    return False


def _densest(tree) -> str:
    best, best_len = None, 0
    for el in _BLOCKS(tree):
        if _in_chrome(el):
            continue
        own = sum(len(t.strip()) for t in _PARA_CHILD_TEXT(el))
        if own > best_len:
            best, best_len = el, own
    if best is None:
        return ""
    return _text(best)
