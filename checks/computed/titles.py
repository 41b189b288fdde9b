"""Title similarity: how far a link's anchor names the page it points to; used by the link,
metadata and policy checks.

``title_similarity`` compares whole titles with the document frame (关于印发…的通知)
removed (the metadata checks' list-anchor test). Whether a link names *another document*
is decided on document names instead: two titles from one government share the place
name, the issuing agency and the frame, so what tells two documents apart is their name —
the 《》 content when there is one, else the title without issuer, place and frame
(``doc_core``), with the document type kept (实施方案 and 实施意见 are different
documents). Names are compared with rapidfuzz (ratio of the subjects; an abbreviated
anchor scores by the share of its characters found in order in the other name) and judged
against what unrelated names of the same site score (:func:`site_threshold`), so the bar
adapts to each site's naming habits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz

from checks.computed.documents import doc_core
from core.text import cjk_count


_BOILERPLATE = re.compile(r"关于|印发|转发|公布|的|通知|意见|办法|方案|决定|《|》|〈|〉|“|”|\s|"
                          r"[〔\[［(（﹝][^〕\]］)）﹝]*[〕\]］)）﹞]|\.{2,}|…+|_.*$|-.*$|——.*$|\|.*$")


def title_core(text: str) -> str:
    """A document title without gov boilerplate (关于印发…的通知), brackets, 文号 or site suffix."""
    return _BOILERPLATE.sub("", text or "")


def title_similarity(anchor: str, title: str) -> float:
    a, b = title_core(anchor), title_core(title)
    if not a or not b:
        return 100.0
    return max(fuzz.ratio(a, b), fuzz.partial_ratio(a, b) if min(len(a), len(b)) >= 6 else 0)


_QUOTED = re.compile(r"《([^《》]{2,120})》")
_TRUNCATED = re.compile(r"(?:\.{2,}|…+|。{3,})\s*$")
_SUFFIX = re.compile(r"\s*(?:_|——|\s-\s|｜|\|)\s*[^_｜|]{2,30}$")
_INTERP = re.compile(r"(?:的)?(?:政策)?(?:解读|图解)$")
# the document type a name ends in (longest first); two names of different types are two documents
DOC_TYPES = ("实施方案", "工作方案", "行动方案", "实施意见", "指导意见", "实施细则", "管理办法", "暂行办法", "实施办法",
             "若干措施", "行动计划", "工作要点", "方案", "意见", "办法", "细则", "规定", "措施", "计划", "规划",
             "纲要", "条例", "规则", "决定", "通告", "公告", "通知", "指南", "制度", "标准", "要点")
DEFAULT_THRESHOLD = 60.0
MIN_THRESHOLD, MAX_THRESHOLD = 35.0, 75.0
SAMPLE_NAMES = 60


def document_name(text: str, place: bool = False) -> str:
    """The name of the document ``text`` refers to: the 《》 content when the rest is only the
    frame (关于印发《X》的通知, 《X》政策解读), else the title's core; issuer, 关于印发…的通知 frame, site suffix and truncation dots removed, and
    with ``place`` the leading place name too."""
    text = _TRUNCATED.sub("", (text or "").strip())
    m = _QUOTED.search(text)
    if m and len(_INTERP.sub("", doc_core(text[:m.start()] + text[m.end():]))) <= 1:
        text = m.group(1)   # 关于印发《X》的通知, 《X》政策解读: X is the name (not in 关于学习《X》的通知)
    else:
        while (stripped := _SUFFIX.sub("", text)) != text and len(stripped) >= 4:
            text = stripped
    name = doc_core(text, place=place)
    return _INTERP.sub("", name) or name


_ORGANISATION = re.compile(r"(?:人民政府|政府|办公室|办公厅|委员会|管理局|局|厅|中心|网站|门户网|首页|政务公开|信息公开)$")


def names_a_document(text: str) -> bool:
    """Does ``text`` (a page title) name a document, not only an agency or a site
    (临沂市人民政府, 首页 …)?"""
    name = document_name(text)
    return len(name) >= 4 and not _ORGANISATION.search(name)


def doc_type(name: str) -> str | None:
    return next((t for t in DOC_TYPES if name.endswith(t)), None)


def _in_order_share(short: str, long: str) -> float:
    """Share (0–100) of ``short``'s characters found in ``long`` in the same order: an
    abbreviation (老旧小区改造方案 of 城镇老旧小区改造实施方案) scores 100."""
    i = hits = 0
    for ch in short:
        j = long.find(ch, i)
        if j >= 0:
            hits += 1
            i = j + 1
    return 100.0 * hits / len(short) if short else 0.0


def names_similarity(a: str, b: str, truncated: bool = False) -> float:
    """How alike two document names are, 0–100: the ratio of their subjects (the names
    without their document type, since 若干措施 or 实施方案 ends half of a site's titles), 0
    for two different types (方案 vs 意见) unless ``a`` is cut short; an abbreviation of the
    other name (all its characters in order) scores at least 90."""
    if a == b:
        return 100.0
    ta, tb = doc_type(a), doc_type(b)
    if ta and tb and ta != tb and not (ta.endswith(tb) or tb.endswith(ta)) and not truncated:
        return 0.0
    sa, sb = (a[:-len(ta)] if ta else a), (b[:-len(tb)] if tb else b)
    score = float(fuzz.ratio(sa, sb)) if sa and sb else float(fuzz.ratio(a, b))
    short, long = sorted((a, b), key=len)
    if len(short) >= 4:
        share = _in_order_share(short, long)
        if share >= 90:   # either is an abbreviation of the other (公开指南 of 政府信息公开指南)
            score = max(score, 90.0 if not truncated else share)
        if truncated and long.startswith(short[:min(6, len(short))]):
            score = max(score, float(fuzz.partial_ratio(short, long)))
    return score


_YEAR = re.compile(r"(?:19|20)\d{2}(?=年)")
_LEAD_PLACE = re.compile(r"^[\u4e00-\u9fa5]{2,6}?(?:省|市|县|区)")


def other_year_or_place(a: str, b: str) -> bool:
    """Do two document names (place kept) belong to other years (no year in common: the
    2015年 and the 2022年 统计公报) or other places (江西省 and 宜春市, neither named in the
    other name: 南沙区 is in 广州市南沙区…)?"""
    ya, yb = set(_YEAR.findall(a)), set(_YEAR.findall(b))
    if ya and yb and not ya & yb:
        return True
    pa, pb = _LEAD_PLACE.match(a), _LEAD_PLACE.match(b)
    return bool(pa and pb) and pa.group() not in b and pb.group() not in a


def name_similarity(anchor: str, title: str) -> float:
    """How alike the documents named by ``anchor`` and ``title`` are, 0–100 (100 when either
    names nothing comparable): :func:`names_similarity` of their names without the leading
    place name, or with it when only one of them had one (老旧小区 looks like a place); 0 for
    the documents of other years or places (:func:`other_year_or_place`)."""
    truncated = bool(_TRUNCATED.search(anchor or ""))
    a, b = document_name(anchor, place=True), document_name(title, place=True)
    if len(a) < 2 or len(b) < 2:
        return 100.0
    a_full, b_full = document_name(anchor), document_name(title)
    if other_year_or_place(a_full, b_full):
        return 0.0
    score = names_similarity(a, b, truncated)
    if (a_full != a) != (b_full != b):
        score = max(score, names_similarity(a_full, b_full, truncated))
    return score


def site_threshold(names: Iterable[str], base: float = DEFAULT_THRESHOLD) -> float:
    """The similarity two unrelated documents of one site reach (the 90th percentile over
    pairs of distinct document names, up to ``SAMPLE_NAMES`` names spread over the sorted
    list), plus 10, kept within [35, 75]; ``base`` when the site has fewer than 5 names. A
    link scoring below it names another document."""
    distinct = sorted({document_name(n, place=True) for n in names} - {""})
    if len(distinct) < 5:
        return base
    step = max(1, len(distinct) // SAMPLE_NAMES)
    sample = distinct[::step][:SAMPLE_NAMES]
    scores = sorted(names_similarity(a, b) for i, a in enumerate(sample) for b in sample[i + 1:])
    p90 = scores[int(0.9 * (len(scores) - 1))]
    return max(MIN_THRESHOLD, min(MAX_THRESHOLD, max(base, p90 + 10)))


def wrong_link_thresholds(ctx, base: float) -> dict[str, float]:
    """Per site, the bar a link's anchor must reach against its target's document name
    (:func:`site_threshold` over the names of the site's article pages)."""

    def build():
        names: dict[str, list[str]] = {}
        for row in ctx.store.article_titles(ctx.run_id):
            names.setdefault(row["site"], []).append(row["heading"] or row["title"] or "")
        return {site: site_threshold(found, base) for site, found in names.items()}

    return ctx.computed(f"titles.wrong_link_thresholds:{base}", build)


def names_other_document(anchor: str, title: str, bar: float, min_cjk: int = 8) -> bool:
    """Does a link whose text is ``anchor`` name another document than the page titled
    ``title``? Only when both name a document (an anchor of at least ``min_cjk`` Chinese
    characters, neither only an agency or site name) and their names score below ``bar``."""
    if cjk_count(anchor) < min_cjk or cjk_count(title_core(title)) < 4:
        return False
    if not (names_a_document(title) and names_a_document(anchor)):
        return False
    cut = _TRUNCATED.sub("", (anchor or "").strip())
    if cut != (anchor or "").strip() and (title or "").startswith(cut):
        return False   # a truncated anchor: the title's own beginning
    return name_similarity(anchor, title) < bar


def is_wrong_link(ctx, site: str, anchor: str, title: str, base: float, min_cjk: int = 8) -> bool:
    """:func:`names_other_document` with the site's bar (the rule of ``link.wrong``)."""
    return names_other_document(anchor, title, wrong_link_thresholds(ctx, base).get(site, base), min_cjk)
