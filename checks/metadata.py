"""Metadata family: the 信息公开 metadata table of an article — missing fields and dates
that disagree with the list page or the document's own signing date.

An *article* is a stored page that is not the home page, not a list page (nor an
index-like column address) and not a “page not found” page, and that either carries a
metadata table (索引号, 发布机构 …) or sits in a disclosure column and was reached from a
list entry with a date (the records, shared with the ``disclosure`` checks, are built in
:mod:`checks.computed.articles`).
"""

from __future__ import annotations

from checks.computed.articles import articles
from checks.computed.titles import title_similarity
from checks.registry import NotApplicable, check
from core.models import Verify
from core.text import cjk_count, parse_date
from core.vocabulary import CATALOG_FIELDS, column_label


BASE_FIELDS = ("索引号", "发布机构", "发布日期")
DOCUMENT_FIELDS = ("文号", "有效性")


def names_other_document(anchor: str, title: str, min_cjk: int, threshold: float) -> bool:
    """Whether a list entry's text names a clearly different document (the ``link.wrong`` rule)."""
    if not anchor or not title or cjk_count(anchor) < min_cjk:
        return False
    return title_similarity(anchor, title) < threshold


@check("metadata.missing", verify=Verify.SITE, title="信息公开元数据缺项", severity="warning",
       fix="在信息公开目录（元数据表）中补全索引号、发布机构、发布日期；政策文件、法规文件类还应标注文号和有效性。",
       requires=("pages", "document_texts"),
       options={"kinds": ["policy", "regulation", "interpretation", "notice"],
                "document_kinds": ["policy", "regulation"]},
       source="《政府信息公开条例》第二十条、《政府网站发展指引》(国办发〔2017〕47号) 信息公开目录；"
              "S0/S1 政务公开工作要点：明确标识公开属性、文件有效性",
       uses=("content.articles",))
def metadata_missing(ctx):
    """Flags an article whose 信息公开 metadata lacks 索引号, 发布机构 or 发布日期, or — for a
    document in a column listed in ``document_kinds`` (政策文件, 法规文件) — 文号 or 有效性.
    Label variants count (发文机关 = 发布机构, 发文字号 = 文号, 时效 = 有效性 …); an empty
    value or a dash counts as missing, an explicit 无 does not.

    Checked: articles in the columns listed in ``kinds`` (default 政策文件, 法规文件, 政策解读,
    通知公告) — one without any metadata table is reported with every field missing — and
    any article of a column of unknown kind (for example a department's Hanweb column)
    that carries a catalogue table (索引号, or three of the catalogue fields).

    Not flagged: list pages, the home page, 公开指南 and 年度报告 columns (unless listed in
    ``kinds``), pages outside the disclosure columns without a metadata table, news pages
    of other columns whose header only shows 发布时间 and 来源.

    Evidence: the missing fields, the fields found, the column kind and a list page
    linking to the article.
    """
    kinds = set(ctx.options["kinds"])
    doc_kinds = set(ctx.options["document_kinds"])
    arts = articles(ctx)
    if not arts:
        raise NotApplicable("快照中没有信息公开文章页面")
    for art in arts:
        if art.kind is not None and art.kind not in kinds:
            continue
        if art.kind is None and not art.has_table:
            continue   # a page header such as 发布时间/来源 is not a catalogue table
        wanted = list(BASE_FIELDS) + (list(DOCUMENT_FIELDS) if art.kind in doc_kinds else [])
        missing = [f for f in wanted if not art.field(f)]
        if not missing:
            continue
        table = CATALOG_FIELDS.intersection(art.meta) - {"发布日期"}   # a date line alone is no table
        what = "页面没有信息公开元数据表" if not table else "元数据缺少" + "、".join(missing)
        yield ctx.finding(site=art.site, url=art.url, page=art.list_page,
                          message=f"{what}：{art.title or art.url}",
                          evidence={"missing": missing, "present": sorted(art.meta), "kind": art.kind,
                                    "kind_label": column_label(art.kind), "title": art.title})


@check("metadata.inconsistent", verify=Verify.SITE, title="发布日期前后不一致", severity="warning",
       fix="核对并统一信息公开目录（元数据表）、栏目列表和正文落款中的日期；发布日期不得早于成文日期。",
       requires=("pages", "links", "document_texts"), options={"tolerance_days": 0, "min_cjk": 8, "threshold": 45},
       source="国办函〔2019〕80号 单项否决“安全、泄密事故等严重问题”：存在弄虚作假行为(如伪造发稿日期等)；"
              "《政府网站发展指引》信息公开目录",
       uses=("content.articles",))
def metadata_inconsistent(ctx):
    """Flags an article whose dates disagree, and says which:

    - the date shown beside its link on a list page differs from the 发布日期 of its
      metadata table by more than ``tolerance_days`` (default 0) — a list showing the
      成文日期 instead is accepted, and an entry whose text names another document
      (at least ``min_cjk`` Chinese characters, similarity below ``threshold``, as in
      ``link.wrong``) is left to ``link.wrong``;
    - the signing date at the end of its text (落款, e.g. “二〇二四年三月五日” followed by
      nothing but notes such as （此件公开发布）) differs from the table's 成文日期;
    - the table's 发布日期 is earlier than its 成文日期.

    Not flagged: articles without a metadata table or without the compared date, dates
    inside the text that are not a signature (施行日期, “自…起”, 有效期至…), times of day,
    the signature of a notice forwarding another document (…转发…的通知, …批转…的通知):
    its text ends with the forwarded document, whose date is not the notice's.

    Evidence: every disagreeing pair with both values and where each comes from (元数据表,
    列表页 with its URL, 正文落款).
    """
    tolerance = int(ctx.options["tolerance_days"])
    min_cjk, threshold = int(ctx.options["min_cjk"]), float(ctx.options["threshold"])
    arts = articles(ctx)
    if not arts:
        raise NotApplicable("快照中没有信息公开文章页面")
    for art in arts:
        written = parse_date(art.field("成文日期"))
        published = parse_date(art.field("发布日期"))
        problems = []
        if published:
            seen = set()
            for d, src, anchor in art.list_dates:
                if d in seen or abs((d - published).days) <= tolerance or d == written:
                    continue
                if names_other_document(anchor, art.title, min_cjk, threshold):
                    continue   # the entry is for another document: link.wrong reports it
                seen.add(d)
                problems.append({"what": "列表日期与发布日期不一致", "list": d.isoformat(), "list_page": src,
                                 "table_published": published.isoformat(),
                                 "text": f"列表页显示 {d.isoformat()}，元数据表发布日期为 {published.isoformat()}"})
        if written and art.signed and art.signed != written:
            problems.append({"what": "正文落款日期与成文日期不一致", "signature": art.signed.isoformat(),
                             "signature_text": art.signed_text, "table_written": written.isoformat(),
                             "text": f"正文落款为 {art.signed_text}，元数据表成文日期为 {written.isoformat()}"})
        if written and published and published < written:
            problems.append({"what": "发布日期早于成文日期", "table_written": written.isoformat(),
                             "table_published": published.isoformat(),
                             "text": f"发布日期 {published.isoformat()} 早于成文日期 {written.isoformat()}"})
        if not problems:
            continue
        yield ctx.finding(site=art.site, url=art.url, page=art.list_page,
                          message="日期不一致：" + "；".join(p["text"] for p in problems),
                          evidence={"title": art.title, "problems": problems,
                                    "table": {k: art.meta[k] for k in ("成文日期", "发布日期") if k in art.meta}})
