"""The document index: every article page of a run as a :class:`Doc` (title, dates, 文号,
marking, stated validity, repeal statements), with lookups by 文号 and by document name,
and the documents' repeal targets.

Built once per audit with ``ctx.computed`` and streamed from the store so that the page
texts are never all held in memory; read by the document, policy and regulation checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from checks.computed.compact import Compact
from core.text import parse_date

# -- text helpers -------------------------------------------------------------------

_CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NUM = r"(\d{1,2}|[一二两三四五六七八九十])"
_SENTENCE_SPLIT = re.compile(r"[。；;！!\n]")
_SITE_SUFFIX = re.compile(r"\s*(?:_|——|\s-\s|｜|\|)\s*[^_｜|]{2,30}$")

# a 文号: 机关代字 + 〔year〕 + number + 号 (brackets vary: 〔〕 [] ［］ ﹝﹞ () （） 【】)
DOC_NO_RE = re.compile(r"([\u4e00-\u9fa5]{1,16}?)\s*[〔\[［﹝(（【]\s*((?:19|20)\d{2})\s*[〕\]］﹞)）】]\s*第?\s*0*(\d{1,5})\s*号")
NAME_RE = re.compile(r"《([^《》]{4,120})》")

TITLE_MARK_RE = re.compile(r"[（(【\[［〔<＜]\s*(?:已\s*)?(?:失效|废止|作废|停止执行)\s*[）)】\]］〕>＞]"
                           r"|^\s*(?:已)?(?:失效|废止|作废)\s*[:：]")
BANNER_RE = re.compile(r"(?:本|该|此)(?:规范性)?(?:文件|件|政策|规定|通知|办法|意见|文|细则|方案|决定)?"
                       r"(?:已于[^。；，,]{0,24}|已经|现已|已)(?:宣布)?(?:失效|废止|作废|停止执行)")
VALIDITY_FIELD_MARK = re.compile(r"失效|废止|作废|停止执行|已废|无效")

REPEAL_RE = re.compile(r"同时废止|予以废止|一并废止|同时失效|不再执行|停止执行|宣布失效|自行废止")
START_RE = re.compile(r"自\s*(?P<date>[^，,。；起]{6,20}?)\s*起\s*(?:施行|实施|执行|试行|生效)")
START_REL_RE = re.compile(r"自\s*(?P<event>印发|发布|公布|签发|下发|颁布|公开发布)之日起\s*(?:施行|实施|执行|试行|生效)")
OWN_DOC_RE = re.compile(r"本(?:规范性文件|文件|办法|通知|意见|实施意见|规定|细则|方案|措施|决定|规划|计划|制度|"
                        r"政策|标准|条例|规则|指引|指南|若干措施|暂行办法|实施细则|工作方案)")
NOT_OWN_VALIDITY = re.compile(r"(?:证|照|书|卡|资格|许可|合同|协议|备案|批复|报告|认定|资质|评估|证明|承诺)的?有效期")
_VALIDITY_HINT = re.compile(r"有效期|试行|暂行|执行期")


def cn_int(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return _CN_NUM.get(text)


def clean_title(title: str | None, heading: str | None = None) -> str:
    """The document's title: its heading, else the <title> without the site-name suffix."""
    t = (heading or "").strip()
    if len(t) >= 4:
        return t
    t = (title or "").strip()
    while True:
        stripped = _SITE_SUFFIX.sub("", t)
        if stripped == t or len(stripped) < 4:
            return t
        t = stripped


def normalize_doc_no(text: str | None) -> str | None:
    """临政办发[2024] 012号 → 临政办发〔2024〕12号 (the first 文号 in ``text``)."""
    m = DOC_NO_RE.search(text or "")
    return f"{m.group(1)}〔{m.group(2)}〕{int(m.group(3))}号" if m else None


def doc_nos_in(text: str) -> list[tuple[str, int, str]]:
    """Every 文号 cited in ``text`` as (year, number, 机关代字 with what precedes it)."""
    return [(m.group(2), int(m.group(3)), m.group(1)) for m in DOC_NO_RE.finditer(text or "")]


def same_doc_no(cited: tuple[str, int, str], doc_no: str) -> bool:
    """Does a cited (year, number, prefix) name the normalised 文号 ``doc_no``?"""
    m = DOC_NO_RE.search(doc_no)
    return bool(m) and cited[0] == m.group(2) and cited[1] == int(m.group(3)) and cited[2].endswith(m.group(1))


_CORE_DROP = re.compile(r"[《》〈〉“”\"'‘’「」\s\u3000·、，,：:！!？?｜|丨]")
_CORE_BRACKETS = re.compile(r"[（(〔\[［﹝【][^）)〕\]］﹞】]{0,30}[）)〕\]］﹞】]")
_CORE_PLACE = re.compile(r"^(?:我|本|全)(?:省|市|县|区)|^[\u4e00-\u9fa5]{2,6}?(?:省|市|县|区)(?=[\u4e00-\u9fa5]{4})")
_CORE_VERBS = re.compile(r"^(?:印发|转发|公布|发布|下发|修订|出台|制定)|出台|印发")
_CORE_TAIL = re.compile(r"的(?:通知|通告|公告|函|批复|复函|决定)?$")


def doc_core(title: str, place: bool = True) -> str:
    """What a document title names, for matching: 临沂市人民政府关于印发《临沂市X方案》的通知 → X方案.

    Drops the issuing authority (everything before the last 关于 of the opening), 印发/转发, the trailing 的通知,
    bracketed parts (文号, 试行), quotes and punctuation, and a leading place name
    (临沂市 / 我市 / 全市), so that the title of a policy, its 《》 name inside another
    text, and the title of its interpretation reduce to the same string. ``place=False``
    keeps the leading place name (a place-like word such as 老旧小区 is no place).
    """
    t = _CORE_DROP.sub("", title or "")
    t = _CORE_BRACKETS.sub("", t)
    i = t.rfind("关于", 0, 42)
    if i >= 0:
        t = t[i + 2:]
    for _ in range(2):
        t = _CORE_VERBS.sub("", t)
        t = _CORE_TAIL.sub("", t)
    return _CORE_PLACE.sub("", t) if place else t


# -- marking -------------------------------------------------------------------------

def marking(title: str, heading: str, meta: dict[str, str], text: str) -> str | None:
    """How a page marks itself 失效/废止, or None: the 有效性 field, a mark in the title,
    a notice on the page (kept by the gatherer as 失效提示) or in the body."""
    value = meta.get("有效性") or ""
    if VALIDITY_FIELD_MARK.search(value):
        return f"有效性：{value}"
    for t in (heading, title):
        m = TITLE_MARK_RE.search(t or "")
        if m:
            return f"标题标注：{m.group(0).strip()}"
    if meta.get("失效提示"):
        return f"页面提示：{meta['失效提示']}"
    for chunk in (text[:400], text[-400:]) if text else ():
        m = BANNER_RE.search(chunk)
        if m:
            return f"正文提示：{m.group(0)}"
    return None


# -- validity --------------------------------------------------------------------------

@dataclass(frozen=True)
class Validity:
    """A validity a document states for itself."""

    end: date                 # the last day it applies
    clause: str               # the sentence that says so
    rule: str                 # 有效期至 | 有效期N年 | 试行N年 …
    start: date | None = None


def _add(start: date, years: int = 0, months: int = 0) -> date:
    """The last day of a period: start + years/months − 1 day (有效期3年 from 2021-01-01 →
    2023-12-31); a period from 2024-02-29 or 1-31 ends on the last day of the month before
    the missing anniversary."""
    total = start.year * 12 + start.month - 1 + years * 12 + months
    y, m = divmod(total, 12)
    try:
        return date(y, m + 1, start.day) - timedelta(days=1)
    except ValueError:  # no such day (2-29, 4-31 …): the period ends on the month's last day
        nxt = date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1)
        return nxt - timedelta(days=1)


def start_date(text: str, written: date | None, published: date | None) -> date | None:
    """When a document takes effect: 自2024年1月1日起施行, 自印发之日起施行 (→ 成文日期),
    自发布之日起施行 (→ 发布日期); None when the text does not say."""
    m = START_RE.search(text)
    if m:
        d = parse_date(m.group("date"))
        if d:
            return d
    m = START_REL_RE.search(text)
    if m:
        if m.group("event") in ("印发", "签发", "下发"):
            return written or published
        return published or written
    return None


_END_RE = re.compile(r"有效期(?:限)?(?:为|是)?\s*(?:自[^，。；至到]{6,20}?(?:起)?)?\s*(?:至|到|截至|截止到?)\s*"
                     r"(?P<end>[^，。；,)）]{6,20}?)(?:止|为止|结束|届满|$|[，。；,)）])")
_YEARS_RE = re.compile(rf"有效期(?:限)?(?:为|是)?\s*{_NUM}\s*(?P<unit>年|个月)")
_TRIAL_RE = re.compile(rf"(?:试行|暂行)(?:期|期限)?(?:为|是)?\s*{_NUM}\s*(?P<unit>年|个月)")
_YEAR_END = re.compile(r"((?:19|20)\d{2})\s*年\s*(?:底|末)")


def parse_validity(text: str, written: date | None = None, published: date | None = None) -> Validity | None:
    """The validity a document states for itself, or None.

    Understood: 有效期至2026年12月31日 / 有效期至二〇二四年五月三十一日 / 有效期至2025年底,
    有效期自…至…, 有效期3年 / 有效期为五年 / 有效期6个月, 试行期一年 / 暂行2年. A relative
    period starts on the 施行 date (自…起施行, 自印发之日起施行 = 成文日期, 自发布之日起施行 =
    发布日期), else on the 成文日期 / 发布日期. Only the document's own validity counts:
    the sentence must speak of the document (本办法, 本通知 …) or of its 施行, or start
    with 有效期; validities of certificates, licences, agreements (证书有效期 …) are ignored.
    """
    if not text or not _VALIDITY_HINT.search(text):
        return None
    doc_start = start_date(text, written, published)
    for raw in _SENTENCE_SPLIT.split(text):
        sentence = raw.strip()
        if not _VALIDITY_HINT.search(sentence):
            continue
        if not (OWN_DOC_RE.search(sentence) or "施行" in sentence or "实施" in sentence
                or sentence.startswith(("有效期", "试行期", "暂行期"))):
            continue
        clean = NOT_OWN_VALIDITY.sub("", sentence)
        m = _END_RE.search(clean)
        if m:
            end = parse_date(m.group("end"))
            if end is None:
                ye = _YEAR_END.search(m.group("end"))
                end = date(int(ye.group(1)), 12, 31) if ye else None
            if end:
                return Validity(end, sentence[:200], "有效期至", doc_start)
        for rx, rule in ((_YEARS_RE, "有效期"), (_TRIAL_RE, "试行期")):
            m = rx.search(clean)
            if not m:
                continue
            n = cn_int(m.group(1))
            if not n:
                continue
            local = start_date(sentence, written, published)
            start = local or doc_start or written or published
            if start is None:
                continue
            unit = m.group("unit")
            end = _add(start, years=n) if unit == "年" else _add(start, months=n)
            label = ("试行" if "试行" in m.group(0) else "暂行" if "暂行" in m.group(0) else "有效期")
            return Validity(end, sentence[:200], f"{label}{m.group(1)}{unit}", start)
    return None


# -- repeal statements -------------------------------------------------------------------

@dataclass(frozen=True)
class Repeal:
    """A statement that other documents are repealed (同时废止 / 予以废止 / 不再执行)."""

    names: tuple[str, ...]                       # titles named in 《》
    nos: tuple[tuple[str, int, str], ...]         # 文号s cited
    sentence: str
    effective: date | None = None                 # when the repeal takes effect, if stated


def parse_repeals(text: str, doc_start: date | None = None) -> list[Repeal]:
    """Repeal statements in a document's text, with the titles (《》) and 文号s they name.

    ``下列文件予以废止：1.《A》（临政发〔2019〕3号）；2.《B》`` names both A and B;
    ``本办法自2024年8月1日起施行，《A》同时废止`` takes effect on 2024-08-01.
    """
    out = []
    if not text or not REPEAL_RE.search(text):
        return out
    for sentence in text.split("。"):
        m = REPEAL_RE.search(sentence)
        if not m:
            continue
        colon = re.search(r"(?:废止|不再执行|停止执行|失效)[^：:]{0,6}[：:]", sentence)
        if colon:
            parts = [sentence]
        else:
            parts = [p for p in re.split(r"[；;]", sentence) if REPEAL_RE.search(p)]
        for part in parts:
            names = tuple(dict.fromkeys(n.strip() for n in NAME_RE.findall(part)))
            nos = tuple(dict.fromkeys(doc_nos_in(part)))
            if not names and not nos:
                continue
            local = START_RE.search(sentence)
            effective = parse_date(local.group("date")) if local else doc_start
            out.append(Repeal(names, nos, part.strip()[:300], effective))
    return out


# -- the per-audit index of documents ------------------------------------------------------

@dataclass(slots=True)
class Doc:
    site: str
    url: str
    title: str
    column: str | None
    published: date | None
    written: date | None
    doc_no: str | None
    core: str
    validity_field: str
    mark: str | None
    validity: Validity | None
    start: date | None
    repeals: tuple[Repeal, ...] = ()
    head: str = ""            # title + the first part of the body, kept for interpretations only

    def brief(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "文号": self.doc_no,
                "发布日期": iso_date(self.published), "成文日期": iso_date(self.written)}


def quoted(title: str) -> str:
    """《title》, or “title” when the title itself holds 《》 (no 《《…》》 in messages)."""
    return f"“{title}”" if "《" in title else f"《{title}》"


def iso_date(d: date | None) -> str | None:
    return d.isoformat() if d else None


_URL_DATE = re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_|/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/")


def url_date(url: str) -> date | None:
    m = _URL_DATE.search(url)
    if not m:
        return None
    y, mo, d = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
    try:
        return date(int(y), int(mo), int(d))
    except ValueError:
        return None


HEAD_CHARS = 1500
DRAFT_RE = re.compile(r"征求意见|意见稿|草案|送审稿")
INTERP_HINT = re.compile(r"解读|图解|一图(?:读懂|看懂|了解)|答记者问|问答|新闻发布会")


def build_index(ctx) -> dict[str, Any]:
    """All article pages of the run as :class:`Doc`, with lookups by URL and 文号."""
    docs: dict[str, Doc] = {}
    same = Compact()
    for row in ctx.store.articles(ctx.run_id):
        meta = same.meta(row["meta_json"])
        text = row["main_text"] or ""
        title = clean_title(row["title"], row["heading"])
        published = same(parse_date(meta.get("发布日期")) or parse_date(row["list_date"]) or url_date(row["url"])
                         or parse_date(meta.get("成文日期")))
        written = same(parse_date(meta.get("成文日期"))) or published
        start = same(start_date(text, written, published)) if "起" in text else None
        doc = Doc(site=same(row["site"]), url=row["url"], title=title, column=same(row["column_kind"]),
                  published=published, written=written, doc_no=same(normalize_doc_no(meta.get("文号"))),
                  core=doc_core(title), validity_field=meta.get("有效性") or "",
                  mark=same(marking(row["title"] or "", row["heading"] or "", meta, text)),
                  validity=parse_validity(text, written, published), start=start,
                  repeals=tuple(parse_repeals(text, start)))
        if doc.column == "interpretation" or INTERP_HINT.search(title):
            doc.head = f"{title} {text[:HEAD_CHARS]}"
        docs[doc.url] = doc
    return {"docs": docs, "by_no": _grouped(docs.values(), _no_key), "by_core": _grouped(docs.values(), _core_key)}


def _grouped(docs, key) -> dict[Any, list[Doc]]:
    """The documents by ``key(doc)``, in order; a document whose key is None is left out."""
    out: dict[Any, list[Doc]] = {}
    for doc in docs:
        k = key(doc)
        if k is not None:
            out.setdefault(k, []).append(doc)
    return out


def _no_key(doc: Doc) -> tuple[str, int] | None:
    """(year, number) of the document's normalised 文号."""
    m = DOC_NO_RE.search(doc.doc_no) if doc.doc_no else None
    return (m.group(2), int(m.group(3))) if m else None


def _core_key(doc: Doc) -> tuple[str, str] | None:
    """(site, name core) when the core is long enough to find the document by its name."""
    return (doc.site, doc.core) if len(doc.core) >= 4 else None


def index(ctx) -> dict[str, Any]:
    return ctx.computed("documents.index", lambda: build_index(ctx))


def find_by_no(idx, site: str, cited: tuple[str, int, str]) -> list[Doc]:
    return [d for d in idx["by_no"].get((cited[0], cited[1]), ())
            if d.site == site and d.doc_no and same_doc_no(cited, d.doc_no)]


def find_by_name(idx, site: str, name: str) -> list[Doc]:
    core = doc_core(name)
    return list(idx["by_core"].get((site, core), ())) if len(core) >= 4 else []


def repealed_targets(ctx) -> dict[str, list[tuple[Doc, Repeal, str]]]:
    """Target URL → [(repealing document, statement, how it is named)], repeals in force only."""
    def build():
        idx = index(ctx)
        out: dict[str, list[tuple[Doc, Repeal, str]]] = {}
        for doc in sorted(idx["docs"].values(), key=lambda d: (bool(d.head), d.url)):
            if DRAFT_RE.search(doc.title):
                continue
            for rep in doc.repeals:
                if rep.effective and rep.effective > ctx.audit_date:
                    continue
                hits: dict[str, tuple[Doc, str]] = {}
                for cited in rep.nos:
                    for target in find_by_no(idx, doc.site, cited):
                        hits.setdefault(target.url, (target, f"文号 {target.doc_no}"))
                for name in rep.names:
                    for target in find_by_name(idx, doc.site, name):
                        hits.setdefault(target.url, (target, f"标题《{name}》"))
                for url, (target, how) in hits.items():
                    if url != doc.url:
                        out.setdefault(url, []).append((doc, rep, how))
        return out

    return ctx.computed("documents.repealed", build)


