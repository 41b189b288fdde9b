"""Reading documents: the main text of an article and its 信息公开 metadata.

Main text: the first CMS container that holds real text, in this order — TRS
(``div.TRS_Editor``, ``#UCAP-CONTENT``, ``<!--ContentStart-->…<!--ContentEnd-->``
markers), ``#zoom`` (TRS and Hanweb), Hanweb (``.article-content``, ``#zoomcon``,
``.bt-article-content``, ``.wz_content``), then the common ``.article`` /
``.content`` / ``.detail`` / ``<article>`` containers; a container made mostly of
links (a menu) is skipped. Without any of them, the block with the most
paragraph text and few links wins (text density).

Metadata: label/value pairs in ``<table>`` cells (two pairs per row, labels
with full-width spaces, trailing ``：`` or ``|``), ``<dl>`` (dt/dd), and
``<ul>/<li>``, ``<p>``, ``<span>`` or ``<div>`` lines (``索引号：…　发布日期：…``,
``<li><b>发文机关：</b>…</li>``). Labels are normalised (发文机关 → 发布机构,
发文字号 → 文号, 生成日期 → 成文日期, 时效 → 有效性 …). A short notice such as
“该文件已失效” / “本文件已废止” anywhere on the page, or an image whose alt text
says 已失效/已废止, is kept as ``失效提示``; one inside a hidden element (a
``display:none`` stamp a template shows only for repealed documents, see
:class:`crawler.hidden.HiddenOracle`) is not.
"""

from __future__ import annotations

import re

import lxml.etree

from core.text import squash
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
_TEXTS = lxml.etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style)"
                          " and not(ancestor::noscript)]")
_LINK_TEXTS = lxml.etree.XPath(".//a//text()")
_BLOCKS = lxml.etree.XPath("//body//div|//body//td|//body//article|//body//section")
_PARA_CHILD_TEXT = lxml.etree.XPath(
    "./text()|./p//text()[not(ancestor::a)]|./span//text()[not(ancestor::a)]|./font//text()"
    "|./strong//text()|./b//text()")
_CHROME = re.compile(r"foot|bottom|copyright|header|top-?bar|tools|nav|menu|sidebar|breadcrumb|position|banner", re.I)
_BODY_TEXTS = lxml.etree.XPath("//body//text()[not(ancestor::script) and not(ancestor::style)]")

# label variants → canonical field name
META_LABELS = {
    "索引号": "索引号", "索取号": "索引号",
    "主题分类": "主题分类", "分类": "主题分类", "组配分类": "主题分类", "公开目录": "主题分类",
    "信息分类": "主题分类", "主题": "主题分类", "所属主题": "主题分类", "体裁分类": "主题分类",
    "发布机构": "发布机构", "发文机关": "发布机构", "发文单位": "发布机构", "发布单位": "发布机构",
    "信息来源": "发布机构", "公开责任部门": "发布机构", "制发机关": "发布机构", "发文机构": "发布机构",
    "成文日期": "成文日期", "生成日期": "成文日期", "发文日期": "成文日期", "印发日期": "成文日期",
    "制发日期": "成文日期", "签发日期": "成文日期",
    "发布日期": "发布日期", "公开日期": "发布日期", "发布时间": "发布日期", "公开时间": "发布日期",
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
_LABEL_HINT = re.compile(rf"(?:{_LABEL_ALT}){_SP}】?{_SP}[:：|｜]|^{_SP}(?:{_LABEL_ALT}){_SP}$")

MARK_RE = re.compile(r"(?:本|该|此)(?:规范性)?(?:文件|件|政策|规定|通知|办法|意见|文|条例|细则|方案)?"
                     r"(?:已于[^。；，,]{0,24}|已经|现已|已)(?:宣布)?(?:失效|废止|作废|停止执行)"
                     r"|已(?:宣布)?(?:失效|废止)(?:文件)?$|^(?:失效|废止|已失效|已废止|作废)$")
_MARK_ALT = re.compile(r"失效|废止|作废")


def canonical_label(label: str) -> str | None:
    return META_LABELS.get(_LABEL_CLEAN.sub("", label or ""))


def _text(el) -> str:
    return squash(" ".join(_TEXTS(el)))


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

def extract_metadata(tree) -> dict[str, str]:
    """The metadata fields of an article, in <table>, <ul>/<li>, <p>/<span>/<div> or <dl> layouts.

    Returns {} unless at least two fields are found (a lone “来源：” line is not a
    metadata table); a 失效/废止 notice is kept as ``失效提示`` even then.
    """
    meta: dict[str, str] = {}
    for table in tree.iter("table"):
        for row in table.iter("tr"):
            cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
            _pairs(cells, meta)
    for dl in tree.iter("dl"):
        _pairs([c for c in dl if isinstance(c.tag, str) and c.tag in ("dt", "dd")], meta)
    done: set = set()
    marks: list[tuple[str, object]] = []     # (notice, its element)
    for node in _BODY_TEXTS(tree):
        raw = str(node)
        if not raw.strip():
            continue
        parent = node.getparent()
        if parent is None:
            continue
        if _MARK_ALT.search(raw):
            short = squash(raw)
            if len(short) <= 60 and MARK_RE.search(short):
                marks.append((short, parent))
        if not _LABEL_HINT.search(raw):
            continue
        el = parent
        for _ in range(4):
            if el is None or el in done:
                break
            text = _text(el)
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
    fields = {k: v for k, v in meta.items() if k != "标题"} if len(meta) < 3 else meta
    result = dict(fields) if len(fields) >= 2 else {}
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
        value = text[m.end():end].strip(" \u3000\xa0|｜;；,，")
        key = canonical_label(m.group(1))
        if key and value:
            got = True
            meta.setdefault(key, value[:300])
    return got


def _pairs(cells, meta: dict[str, str]) -> None:
    """Label cell, value cell, label cell, value cell …; a cell may also hold ``label：value``."""
    i = 0
    while i < len(cells):
        label = squash(cells[i].text_content())
        key = canonical_label(label) if len(label) <= 14 else None
        if key and i + 1 < len(cells):
            value = squash(cells[i + 1].text_content())
            if value and canonical_label(value) is None:
                meta.setdefault(key, value[:300])
                i += 2
                continue
        elif key is None and len(label) <= 300:
            _parse_line(label, meta)
        i += 1


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
