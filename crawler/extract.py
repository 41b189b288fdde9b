"""Extraction from fetched HTML: decoding, title, links (with their hidden state from
crawler.hidden), pagination hints and list dates. Pure functions over bytes and lxml
trees, so they are testable without a crawl.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import lxml.etree
import lxml.html
from lxml.html import soupparser

from core.text import find_dates, squash
from crawler import linkparse
from crawler.hidden import HiddenOracle

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.I)
_CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
                    "utf8": "utf-8", "unicode": "utf-8"}
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
# a </html> or </body> with elements still to come (a header include closing the document):
# libxml2 drops everything after it, browsers carry on
_EARLY_END = re.compile(r"</(?:html|body)\s*>(?=.*?<[a-zA-Z])", re.I | re.S)
_BINARY_MAGIC = (b"\x89PNG", b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"GIF8", b"\xff\xd8\xff", b"Rar!")

NOTFOUND_RE = re.compile(
    r"页面不存在|您访问的页面不存在|页面未找到|找不到(?:该|此)?页面|页面已删除|信息已删除|"
    r"该信息不存在|文章不存在|404\s*not\s*found|^\s*404\s*$|错误\s*404|404\s*错误",
    re.I,
)
WAF_RE = re.compile(
    r"安全狗|云盾|云锁|加速乐|知道创宇|创宇盾|防火墙|拦截|请求存在威胁|安全验证|人机验证|"
    r"web\s*application\s*firewall|\bwaf\b|access\s+denied|request\s+blocked|captcha",
    re.I,
)


def normalize_charset(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    return _CHARSET_ALIASES.get(name, name)


def utf16_codec(body: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` for a UTF-16 page (Word's "Unicode" web pages): a byte
    order mark, or markup whose every other byte is NUL; else None."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16-le" if body[0] == 0xFF else "utf-16-be"
    head = body[:128]
    if len(head) < 16:
        return None
    even, odd = head[0::2].count(0) / (len(head) // 2), head[1::2].count(0) / (len(head) // 2)
    codec = "utf-16-le" if even <= 0.1 and odd >= 0.75 else "utf-16-be" if odd <= 0.1 and even >= 0.75 else None
    return codec if codec and "<" in head.decode(codec, "ignore") else None


def looks_html(body: bytes) -> bool:
    """Whether a body sent without a Content-Type starts like an HTML page (in UTF-16 too)."""
    codec = utf16_codec(body)
    head = body[:4096].decode(codec, "ignore") if codec else body[:2048].decode("latin-1")
    return "<html" in head.lower()


def looks_binary(body: bytes) -> bool:
    head = body[:1024]
    return head.startswith(_BINARY_MAGIC) or (head.count(b"\x00") > 4 and not utf16_codec(body))


def decode_html(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """Decode an HTML body: declared charsets first (header, then <meta>), each
    only if it decodes cleanly; then UTF-8; then gb18030 (the superset of
    GB2312/GBK) as the fallback for Chinese pages that declare nothing or lie.
    A UTF-16 page (byte order mark, or NUL bytes between the characters of its markup)
    is decoded as UTF-16 whatever it declares. Returns (text, charset used).
    """
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace"), "utf-8"
    codec = utf16_codec(body)
    if codec:
        return body.decode(codec, "replace").lstrip("\ufeff"), codec
    candidates = []
    for declared in (normalize_charset(header_charset), _meta_charset(body)):
        if declared and declared not in candidates:
            candidates.append(declared)
    for fallback in ("utf-8", "gb18030"):
        if fallback not in candidates:
            candidates.append(fallback)
    for charset in candidates:
        try:
            return body.decode(charset), charset
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("gb18030", "replace"), "gb18030"


def _meta_charset(body: bytes) -> str | None:
    m = _META_CHARSET.search(body[:4096])
    return normalize_charset(m.group(1).decode("ascii", "ignore")) if m else None


_ANCHOR_TAG = re.compile(r"<a\s", re.I)
_CONTROL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])


def parse_tree(text: str) -> lxml.etree._Element | None:
    """An lxml tree of the page. libxml2's recovering parser handles most broken HTML
    fast (a stray ``</html>`` or ``</body>`` before the end is dropped first, as browsers
    ignore it); when it loses the document (it gives up below 256 levels of unclosed tags, as
    in pages built from nested <font>/<div> soup), BeautifulSoup rebuilds the tree
    (``lxml.html.soupparser``), so the links are not lost."""
    text = _EARLY_END.sub("", _XML_DECL.sub("", text, count=1))
    if not text.strip():
        return None
    parser = lxml.etree.HTMLParser()   # plain elements: lxml.html's class lookup is a Python call per element
    try:
        tree = lxml.etree.fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError):
        tree = None
    too_deep = any("Excessive depth" in e.message for e in parser.error_log)
    anchors = len(_ANCHOR_TAG.findall(text))
    lost = lambda t: t is None or sum(1 for _ in t.iter("a")) * 2 < anchors  # noqa: E731
    if anchors >= 3 and (too_deep or lost(tree)):
        try:
            soup = soupparser.fromstring(text.translate(_CONTROL))
        except (ValueError, TypeError, RecursionError):
            soup = None
        if soup is not None and not lost(soup) and not (too_deep and _depth_over(soup, 250)):
            return soup
        # nested deeper than any parser goes (a 10,000-level <div> nest): the layout
        # tags are dropped so that the nesting goes away and no link is lost
        flat = _flat_tree(text)
        return flat if flat is not None else (soup if soup is not None else tree)
    return tree


# layout-only tags: dropping them keeps every link, image, frame, script and form
_LAYOUT_TAG = re.compile(r"</?(?:div|span|font|center|table|thead|tbody|tfoot|tr|td|th|ul|ol|li|dl|dt|dd|p|b|i|u|s|"
                         r"em|strong|small|big|section|article|header|footer|nav|main|aside|blockquote|pre|h[1-6]|"
                         r"label|fieldset|marquee|tt|sub|sup)\b[^>]*>", re.I)


def _depth_over(tree, limit: int) -> bool:
    """Is some element of ``tree`` nested deeper than ``limit``? (A rebuilt tree cut at
    libxml2's depth limit ends right there.)"""
    return any(sum(1 for _ in el.iterancestors()) > limit for el in tree.iter("a"))


def _flat_tree(text: str) -> lxml.etree._Element | None:
    try:
        return lxml.etree.fromstring(_LAYOUT_TAG.sub(" ", text), parser=lxml.etree.HTMLParser())
    except (lxml.etree.ParserError, ValueError):
        return None


_STRING = lxml.etree.XPath("string()", smart_strings=False)   # what lxml.html's text_content() computes, for any element


def text_of(el) -> str:
    return squash(_STRING(el)) if el is not None else ""


def page_title(tree) -> str:
    el = tree.find(".//title")
    return text_of(el)[:500]


def page_heading(tree) -> str:
    """The document's own title: ``<meta name=ArticleTitle>``; else the heading (h1–h3) of
    the article block that the ``<title>`` agrees with; else the first h1/h2 that heads
    neither a block of links (友情链接, 相关链接) nor the site (its name); else the
    ``<title>`` without the site's name (:func:`strip_site_name`); else ""."""
    names = set()
    for meta in tree.iterfind(".//meta[@name]"):
        name = meta.get("name", "").lower()
        if name in ("articletitle", "title") and meta.get("content"):
            return squash(meta.get("content"))[:500]
        if name == "sitename" and meta.get("content"):
            names.add(_compact(meta.get("content")))
    title = page_title(tree)
    compact = _compact(title)
    headings = [(el.tag, text) for el in tree.iter("h1", "h2", "h3")
                if len(text := text_of(el)) >= 4 and not _names_site(text, names) and not _heads_links(el)]
    for _, text in headings:
        if _compact(text) in compact:
            return text[:500]
    for tag, text in headings:
        if tag != "h3":
            return text[:500]
    stripped = strip_site_name(title, names)
    return stripped[:500] if stripped != title else ""


# the separators of a <title>'s parts: 标题_栏目_站点, 站点-栏目-标题, 标题 | 站点 (a hyphen
# between letters or digits, as in 1-10月, is no separator; nor is the dash —— of a title)
_TITLE_SEP = re.compile(r"\s*(?:_+|[|｜]|\s[-－]\s|(?<![\dA-Za-z])[-－](?![\dA-Za-z]))\s*")
_SITE_WORDS = re.compile(r"(?:人民政府|政府|门户网站?|网站|官网|政务网|政府网|之窗|网|委员会|管委会|局|厅|办公室|办|委|中心|"
                         r"欢迎您\W*|\.gov\.cn|\.com|\.cn)[)）]?$", re.I)


def _compact(text: str | None) -> str:
    return re.sub(r"[\s\u3000\xa0]+", "", text or "")


def _names_site(text: str, names: set[str]) -> bool:
    """Is ``text`` a site's name (the SiteName meta, or a short name of an authority or a website)?"""
    c = _compact(text)
    return c in names or (len(c) <= 24 and _SITE_WORDS.search(c) is not None and not re.search(r"[，。：“”《》]", c))


def strip_site_name(title: str, names: set[str] | frozenset = frozenset()) -> str:
    """A ``<title>`` without the site's name: ``标题_栏目_站点`` → 标题, ``站点-栏目-标题`` → 标题
    (a <title> runs from the page to the site or from the site to the page); unchanged
    when neither end names a site."""
    parts = [p for p in _TITLE_SEP.split(title or "") if p.strip()]
    if len(parts) < 2:
        return title
    if _names_site(parts[-1], names) and len(parts[0]) >= 4 and not _names_site(parts[0], names):
        return parts[0].strip()
    if _names_site(parts[0], names) and len(parts[-1]) >= 2 and not _names_site(parts[-1], names):
        return parts[-1].strip()
    return title


def _heads_links(el) -> bool:
    """A block heading (友情链接, 相关链接): the rest of its block is mostly links."""
    parent = el.getparent()
    if parent is None or parent.tag in ("body", "html"):
        return False
    own = len(_compact(text_of(el)))
    linked = sum(len(_compact(text_of(a))) for a in parent.iter("a") if el not in a.iterancestors() and a is not el)
    rest = len(_compact(text_of(parent))) - own
    return linked >= 4 and linked * 2 >= rest


_VISIBLE = lxml.etree.XPath(
    "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]", smart_strings=False)


def visible_text(tree) -> str:
    """The text a reader sees (script and style content left out); the tree is not changed."""
    return squash(" ".join(_VISIBLE(tree)))


def text_hash(text: str) -> str:
    """A hash of the visible text with digits folded, to recognise a host's not-found page."""
    return hashlib.sha1(re.sub(r"\d+", "0", text[:20000]).encode("utf-8")).hexdigest()[:16]


def says_not_found(title: str, text: str) -> bool:
    return bool(NOTFOUND_RE.search(title) or (len(text) < 3000 and NOTFOUND_RE.search(text)))


def is_waf_page(title: str, text: str) -> bool:
    return bool(WAF_RE.search(title) or WAF_RE.search(text[:5000]))


# -- links ---------------------------------------------------------------



@dataclass(frozen=True)
class RawLink:
    href: str
    anchor: str
    tag: str
    attr: str
    line: int | None
    hidden: str | None
    list_date: str | None
    resource: bool = False    # loaded by the browser with the page (image, script, stylesheet …)
    form: bool = False        # a form's action: checked, never submitted
    css: bool = False         # a style sheet (<link rel=stylesheet>, @import): read for its url()s


def iter_links(tree, reference: date | None = None, text: str | None = None) -> Iterator[RawLink]:
    """Every link a browser follows or loads (see :mod:`crawler.linkparse`), with its anchor
    text, the line where its tag starts (``text`` is the page's source; lxml alone gives
    the line where a tag spanning lines ends), hidden state and the date shown beside it in
    a list (a month-day date such as ``06-26`` takes its year from ``reference``, the audit
    date). CSS ``url()``s of ``<style>`` elements and ``style`` attributes come last."""
    oracle = HiddenOracle(tree)
    dates: dict = {}
    lines = _TagLines(text)
    attrs_of = linkparse.ELEMENT_ATTRS
    for el in tree.iter(*attrs_of):
        tag = el.tag
        if tag == "a":
            href = el.get("href")
            if href is None:
                continue
            anchor = text_of(el) or squash(el.get("title") or el.get("alt") or "")
            yield RawLink(href=href, anchor=anchor[:300], tag=tag, attr="href", line=lines.start(el),
                          hidden=oracle.reason(el), list_date=_item_date(el, reference, dates))
            continue
        if tag == "meta" and el.get("http-equiv") is None or len(el.attrib) == 0:
            continue   # the common elements without a URL cost no more than this
        first = True
        for attr, href in linkparse.url_attrs(el):
            if first:
                if tag == "area":
                    anchor = text_of(el) or squash(el.get("title") or el.get("alt") or "")
                    hidden = oracle.reason(el)
                else:
                    anchor = squash(el.get("title") or el.get("alt") or "")
                    hidden = None
                line = lines.start(el)
                rel = el.get("rel") if tag == "link" else None
                first = False
            yield RawLink(href=href, anchor=anchor[:300], tag=tag, attr=attr, line=line, hidden=hidden,
                          list_date=None, resource=linkparse.is_resource(tag, attr, rel),
                          form=(tag, attr) in linkparse.FORM_TARGETS,
                          css=rel is not None and "stylesheet" in rel.lower())
    if text is not None and "url(" not in text and "@import" not in text:
        return   # no CSS URL anywhere in the source
    for style in tree.iter("style"):
        for attr, href, offset in linkparse.css_urls(style.text or ""):
            line = style.sourceline + (style.text or "").count("\n", 0, offset) if style.sourceline else None
            yield RawLink(href=href, anchor="", tag="style", attr=attr, line=line, hidden=None,
                          list_date=None, resource=True, css=attr == "import")
    for el in linkparse.STYLED(tree):
        for _, href, _ in linkparse.css_urls(el.get("style")):
            yield RawLink(href=href, anchor="", tag=el.tag, attr="style", line=lines.start(el), hidden=None,
                          list_date=None, resource=True)


_MULTILINE_TAG = re.compile(r"<[a-zA-Z][^<>]*\n")


class _TagLines:
    """The line where an element's start tag begins. lxml's ``sourceline`` is where the
    tag ends; on a page without start tags spanning lines the two are the same and nothing
    is computed, otherwise the source is searched back from that line for ``<tag``."""

    def __init__(self, text: str | None):
        self.text = text
        self.multiline = bool(text) and _MULTILINE_TAG.search(text) is not None
        self.lower = self.offsets = None

    def start(self, el) -> int | None:
        line = el.sourceline
        if not self.multiline or line is None or not isinstance(el.tag, str):
            return line
        if self.offsets is None:
            self.lower = self.text.lower()
            self.offsets = [0, *(m.end() for m in re.finditer("\n", self.text))]
        end = self.offsets[line] if line < len(self.offsets) else len(self.text)
        pos = self.lower.rfind("<" + el.tag, 0, end)
        return bisect.bisect_right(self.offsets, pos) if pos >= 0 else line


_MONTH_DAY = re.compile(r"(?<![\d.\-/])(?:(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])|(\d{1,2})月(\d{1,2})日)(?![\d:])")


def _item_date(a, reference: date | None, memo: dict) -> str | None:
    """The date shown beside a list item link (in its <li>/<tr>/<dd>), ISO format;
    ``memo`` keeps each item's date so an item with several links is read once."""
    node = a.getparent()
    for _ in range(3):
        if node is None:
            return None
        if node.tag in ("li", "tr", "dd", "dl", "p"):
            if node not in memo:
                memo[node] = _date_beside(node, a, reference)
            return memo[node]
        node = node.getparent()
    return None


def _date_beside(item, a, reference: date | None) -> str | None:
    text = text_of(item)
    dates = find_dates(text)
    if dates:
        return dates[-1][1].isoformat()
    if reference is None:
        return None
    rest = text.replace(text_of(a), " ")
    found = _MONTH_DAY.findall(rest)
    if not found:
        return None
    mm, dd, m2, d2 = found[-1]
    try:
        day = date(reference.year, int(mm or m2), int(dd or d2))
    except ValueError:
        return None
    if day > reference:  # a month-day later than the audit date is last year's
        try:
            day = day.replace(year=reference.year - 1)
        except ValueError:
            return None
    return day.isoformat()


# createPageHTML(12, 0, "index", "html") and createPageHTML('page_div', 10, 1, 'list_zw_wj', 'shtml', 278)
_CREATE_PAGE = re.compile(r"""createPageHTML\s*\(\s*(?:['"][\w-]*['"]\s*,\s*)?['"]?(\d+)['"]?\s*,\s*['"]?(\d+)['"]?"""
                          r"""\s*,\s*['"]([\w-]+)['"]\s*,\s*['"](\w+)['"]""")
_PAGE_VARS = re.compile(r"(?:countPage|totalPage|pageCount|contenpage)\s*[=:]\s*['\"]?(\d+)")
_PAGE_NAME = re.compile(r"^(?P<stem>[\w-]+?)(?:_\d+)?\.(?P<ext>s?html?)$")
MAX_LIST_PAGES = 200


def pagination_hrefs(html: str, page_name: str = "") -> list[str]:
    """Relative hrefs of the pages a TRS-style pager script would write.

    ``createPageHTML(12, 0, "index", "html")`` → index_1.html … index_11.html;
    ``createPageHTML('page_div', 3, 0, 'list_zw_wj', 'shtml', 25)`` → list_zw_wj_1.shtml,
    list_zw_wj_2.shtml; a ``var countPage = 3`` whose script builds ``index_`` + i names gives the same suffixes
    on the list page's own name (``page_name``: ``index.shtml`` → index_1.shtml, index_2.shtml).
    """
    m = _CREATE_PAGE.search(html)
    if m:
        count, name, ext = int(m.group(1)), m.group(3), m.group(4)
    else:
        m = _PAGE_VARS.search(html)
        if not m:
            return []
        own = _PAGE_NAME.match(page_name or "index.html") or _PAGE_NAME.match("index.html")
        count, name, ext = int(m.group(1)), own.group("stem"), own.group("ext")
        if f"{name}_" not in html and "createPage" not in html:
            return []   # a page count of something else: the script never names the pages
    return [f"{name}_{i}.{ext}" for i in range(1, min(count, MAX_LIST_PAGES))]


# a block heading: an h1–h6 or an element whose class or id says title/head
_HEADINGS = lxml.etree.XPath(
    "//body//*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
    " or re:test(concat(@class, ' ', @id), '(^|[-_ ])(title|tit|hd|head|header|bt|lm|lanmu)([-_ ]|$)', 'i')]",
    namespaces={"re": "http://exslt.org/regular-expressions"})
_HEADING_TEXT = re.compile(r"^[\u4e00-\u9fff（）()、·\s]{2,24}$")


def section_headings(tree) -> list[str]:
    """The headings that group links on a page (a 栏目 block title such as
    ``<div class="xxgk-block-title">法定主动公开内容</div>`` above its sub-columns): short
    Chinese texts of a heading element that is not itself a link, whose parent block holds
    links outside the heading. In document order, without repeats."""
    out: list[str] = []
    for el in _HEADINGS(tree):
        if any(a.tag == "a" for a in el.iterancestors()) or el.find(".//a") is not None:
            continue
        text = text_of(el)
        if not _HEADING_TEXT.match(text) or text in out:
            continue
        parent = el.getparent()
        if parent is not None and parent.tag not in ("body", "html") and parent.find(".//a") is not None:
            out.append(text)
    return out


# -- Hanweb list data: <script type="text/xml"><datastore> and the jpage proxy -----------

_DATASTORE = re.compile(r"<datastore\b.*?</datastore>", re.S | re.I)
_RECORD = re.compile(r"<record\b[^>]*>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</record>", re.S | re.I)
_NEXTGROUP = re.compile(r"<nextgroup\b[^>]*>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</nextgroup>", re.S | re.I)
_TOTAL_PAGES = re.compile(r"<totalpage>\s*(\d+)\s*</totalpage>", re.I)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)


def datastore_records(text: str) -> list[str]:
    """The HTML fragments of a Hanweb list: the ``<record>`` entries (usually CDATA) of every
    ``<datastore>`` in the page (an inline ``<script type="text/xml">`` list, or a ``jpage``
    ``dataproxy.jsp`` answer)."""
    out = []
    for store in _DATASTORE.findall(text):
        out.extend((a or b).strip() for a, b in _RECORD.findall(store))
    return [r for r in out if r]


def record_links(records: list[str], reference: date | None = None) -> list[RawLink]:
    """The list links of Hanweb records, each with the date shown in its record."""
    if not records:
        return []
    tree = parse_tree("<html><body><ul>" + "".join(records) + "</ul></body></html>")
    return [raw for raw in iter_links(tree, reference) if raw.tag == "a"] if tree is not None else []


def jpage_proxy_href(text: str) -> str | None:
    """The ``dataproxy.jsp`` address a Hanweb ``<datastore>`` loads its list from (the
    ``<nextgroup>`` link), or None."""
    for store in _DATASTORE.findall(text):
        m = _NEXTGROUP.search(store)
        if m:
            href = _HREF.search(m.group(1) or m.group(2) or "")
            if href and "dataproxy" in href.group(1):
                return href.group(1).replace("&amp;", "&")
    return None


def datastore_total_pages(text: str) -> int:
    m = _TOTAL_PAGES.search(text)
    return min(int(m.group(1)), MAX_LIST_PAGES) if m else 1
