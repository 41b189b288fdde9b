"""Statutory requirements the national 抽查 checks in the 政府信息公开 专栏 beyond
freshness — its four required columns, the yearly 年度报告 on time, the 公开属性 of every
document, and answers to the public's 咨询 messages.

Codes: ``column.required-missing``, ``report.annual-missing``, ``report.annual-late``,
``metadata.disclosure-attribute``, ``interaction.unanswered``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from checks.computed.articles import articles
from checks.computed.columns import column_name, dated_links, home_pages, index_key, site_scopes
from checks.registry import NotApplicable, check
from core.models import Verify
from core.text import parse_date
from core.vocabulary import CONSULTATION_WORDS, is_consultation

# the four columns of the 政府信息公开 专栏 and the name variants that count for each
REQUIRED_COLUMNS = {
    "政府信息公开指南": r"公开指南",
    "政府信息公开制度": r"公开(?:工作)?(?:规章)?制度|信息公开规定|公开工作规定",
    "法定主动公开内容": r"法定主动公开|主动公开(?:内容|目录|信息|事项)|^主动公开$|信息公开目录",
    "政府信息公开年报": r"年报|年度报告",
}
# the column kinds of the gatherer's column map that stand for a required column
_KIND_COUNTS = {"guide": "政府信息公开指南", "report": "政府信息公开年报"}

# “临沂市人民政府2023年政府信息公开工作年度报告（全文）”; not “关于做好…年度报告编制工作的通知”
ANNUAL_REPORT_RE = (r"(?P<year>(?:19|20)\d{2})\s*年度?[^，。；]{0,30}?(?:政府|政务)?信息公开(?:工作)?(?:年度报告|年报)"
                    r"\s*(?:[（(][^（()）]{0,12}[）)])?$")

ATTRIBUTE_VALUES = ("主动公开", "依申请公开", "不予公开")
_ATTR_CLEAN = re.compile(r"[\s\u3000\xa0。．.；;]+")

_ANSWERED = re.compile(r"已(?:回复|答复|办结|处理|回应)|^办结$|^已完成$")
_PENDING = re.compile(r"未(?:回复|答复|办结|处理|回应)|待(?:回复|答复|处理|办理)|办理中|处理中|受理中|正在办理")


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months (the 31st becomes the month's last day)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def _site_stats(ctx) -> dict[str, dict]:
    def build():
        out = {}
        for row in ctx.store.run_sites(ctx.run_id):
            try:
                out[row["site"]] = json.loads(row["stats_json"] or "{}") or {}
            except ValueError:
                out[row["site"]] = {}
        return out

    return ctx.computed("statutory.site_stats", build)


def _stored(ctx, url: str) -> bool:
    return ctx.store.page_stored(ctx.run_id, url)


# -- column.required-missing ------------------------------------------------------------

@check("column.required-missing", verify=Verify.SITE, title="政府信息公开专栏缺少必设栏目", severity="warning",
       fix="在政府信息公开专栏设置政府信息公开指南、政府信息公开制度、法定主动公开内容、政府信息公开年报栏目，"
           "并保持内容完整、及时更新。",
       requires=("pages", "links"), options={"required": REQUIRED_COLUMNS},
       source="《政府信息公开条例》(国务院令第711号) 第十二条、第四十九条 政府信息公开指南和目录、年度报告；"
              "政府信息公开专栏应设公开指南、公开制度、法定主动公开内容、公开年报（DOMAIN.md §1；S3 一(一)、S1 三(一)）",
       uses=("content.site_scopes", "statutory.site_stats"))
def column_required_missing(ctx):
    """Flags a site whose 政府信息公开 column lacks one of the columns the 专栏 must have:
    政府信息公开指南, 政府信息公开制度, 法定主动公开内容 and 政府信息公开年报 (``required``:
    name → pattern of the variants that count, e.g. 信息公开指南 / 公开指南, 政府信息公开工作
    年度报告 / 年度报告 / 年报, 主动公开内容 / 信息公开目录).

    A column counts when its name is found in any of: the text of a visible link on the
    政府信息公开 page; the text of a visible home-page link into the 政府信息公开 scope; the
    name of a stored column page (its title or heading); a block heading on the 政府信息公开
    page that groups sub-columns (``法定主动公开内容`` above its list of sub-columns); the
    gatherer's column map (a 公开指南 or 年度报告 column).

    Not judged: a site whose 政府信息公开 page was not found or not stored (nothing to
    judge; see ``site.unreachable`` and the crawl log).

    One finding per site and missing column. Evidence: the missing column, the 政府信息公开
    page and the names that were found (so a reviewer sees what the column is called).
    """
    patterns = {name: re.compile(p) for name, p in (ctx.options["required"] or {}).items()}
    scopes = site_scopes(ctx)
    stats = _site_stats(ctx)
    judged = 0
    for site, sc in sorted(scopes.items()):
        if not sc.disclosure or not _stored(ctx, sc.disclosure):
            continue
        judged += 1
        names: set[str] = set(stats.get(site, {}).get("sections") or ())
        for row in ctx.store.visible_anchors_of(ctx.run_id, sc.disclosure):
            names.add(row["anchor"] or "")
        for home in sc.home:
            for row in ctx.store.visible_anchors_of(ctx.run_id, home):
                if sc.in_scope(row["target_url"]):
                    names.add(row["anchor"] or "")
        for row in ctx.store.site_page_titles(ctx.run_id, site):
            if index_key(row["url"]) is not None and sc.in_scope(row["url"]):
                names.add(column_name(row["title"], row["heading"]))
        names = {n.strip() for n in names if n and n.strip() and len(n.strip()) <= 40}
        present = {_KIND_COUNTS[k] for k in sc.columns.values() if k in _KIND_COUNTS}
        for required, pattern in patterns.items():
            hits = sorted(n for n in names if pattern.search(n))
            if hits or required in present:
                continue
            yield ctx.finding(site=site, url=sc.disclosure, page=None,
                              message=f"政府信息公开专栏缺少“{required}”栏目",
                              evidence={"missing": required, "pattern": pattern.pattern,
                                        "disclosure": sc.disclosure, "names_found": sorted(names)[:60]},
                              identity=(required,))
    if not judged:
        raise NotApplicable("没有抓取到政府信息公开专栏页面")


# -- report.annual-missing / report.annual-late -----------------------------------------------

@dataclass
class AnnualReport:
    site: str
    url: str
    title: str
    year: int
    published: date | None
    source: str
    list_page: str | None


def annual_reports(ctx) -> dict[str, list[AnnualReport]]:
    """Per site, the 政府信息公开工作年度报告 found: article pages whose title names one,
    and list entries (an attachment or a page not stored) whose text does."""

    def build():
        rx = re.compile(ctx.options["title_pattern"])
        out: dict[str, dict[str, AnnualReport]] = {}
        for art in articles(ctx):
            m = rx.search((art.title or "").strip())
            if not m:
                continue
            published, source = parse_date(art.field("发布日期")), "元数据表发布日期"
            if published is None and art.list_dates:
                published, source = art.list_dates[0][0], "列表页日期"
            out.setdefault(art.site, {})[art.url] = AnnualReport(art.site, art.url, art.title, int(m["year"]),
                                                                published, source, art.list_page)
        site_of = ctx.store.page_sites(ctx.run_id)
        for target, entries in dated_links(ctx).by_target.items():
            for d, list_page, anchor in sorted(entries):
                m = rx.search((anchor or "").strip())
                site = site_of.get(list_page)
                if not m or site is None or target in out.get(site, {}):
                    continue
                out.setdefault(site, {})[target] = AnnualReport(site, target, anchor, int(m["year"]), d,
                                                                "列表页日期", list_page)
        return {site: sorted(reports.values(), key=lambda r: (r.year, r.url)) for site, reports in out.items()}

    return ctx.computed("statutory.annual_reports:" + ctx.options["title_pattern"], build)


def due_year(audit_date: date, month: int, day: int) -> tuple[int, date]:
    """The report year judged on ``audit_date`` and its deadline: the previous year's report
    once its deadline (``month``/``day``, 1月31日) has passed, else the year before."""
    deadline = date(audit_date.year, month, day)
    year = audit_date.year - 1 if audit_date > deadline else audit_date.year - 2
    return year, date(year + 1, month, day)


_REPORT_OPTIONS = {"title_pattern": ANNUAL_REPORT_RE, "deadline": "01-31"}
_REPORT_SOURCE = ("《政府信息公开条例》(国务院令第711号) 第四十九条：县级以上人民政府部门应当在每年1月31日前向本级政府"
                  "信息公开工作主管部门提交本行政机关上一年度政府信息公开工作年度报告并向社会公布；第五十条 年度报告内容")


def _deadline(ctx) -> tuple[int, date]:
    month, day = (int(x) for x in str(ctx.options["deadline"]).split("-", 1))
    return due_year(ctx.audit_date, month, day)


@check("report.annual-missing", verify=Verify.SITE, title="未公布上一年度政府信息公开工作年度报告", severity="error",
       fix="编制并在政府信息公开专栏“政府信息公开年报”栏目公布上一年度政府信息公开工作年度报告（每年1月31日前）。",
       requires=("pages", "links"), options=_REPORT_OPTIONS, source=_REPORT_SOURCE,
       uses=("content.site_scopes", "content.articles", "statutory.annual_reports"))
def report_annual_missing(ctx):
    """Flags a site on which no 政府信息公开工作年度报告 for the year due is found: the
    previous year's once its deadline (``deadline``, default 01-31: 1月31日) has passed
    on the audit date, else the year before (an audit on 15 January 2025 judges the 2023
    report). A report is an article page or a list entry whose title names one
    (``title_pattern``: “…2023年政府信息公开工作年度报告”, “2023年度信息公开年报”, with an
    optional “（全文）”); notices about writing the report are not reports.

    Not judged: a site whose 政府信息公开 page was not stored.

    Evidence: the year due, the deadline and the reports found for other years.
    """
    year, deadline = _deadline(ctx)
    reports = annual_reports(ctx)
    judged = 0
    for site, sc in sorted(site_scopes(ctx).items()):
        if not sc.disclosure or not _stored(ctx, sc.disclosure):
            continue
        judged += 1
        found = reports.get(site, [])
        if any(r.year == year for r in found):
            continue
        yield ctx.finding(site=site, url=sc.disclosure, page=None,
                          message=f"未找到{year}年政府信息公开工作年度报告（应于{deadline.year}年{deadline.month}月"
                                  f"{deadline.day}日前公布）",
                          evidence={"year": year, "deadline": deadline.isoformat(),
                                    "years_found": sorted({r.year for r in found}),
                                    "reports": [{"year": r.year, "url": r.url, "title": r.title} for r in found][:10]},
                          identity=(year,))
    if not judged:
        raise NotApplicable("没有抓取到政府信息公开专栏页面")


@check("report.annual-late", verify=Verify.SITE, title="政府信息公开工作年度报告公布超期", severity="warning",
       fix="每年1月31日前公布上一年度政府信息公开工作年度报告；发布日期应如实标注。",
       requires=("pages", "links"), options=_REPORT_OPTIONS, source=_REPORT_SOURCE,
       uses=("content.articles", "statutory.annual_reports"))
def report_annual_late(ctx):
    """Flags the 政府信息公开工作年度报告 of the year due (as for ``report.annual-missing``)
    published after its deadline (1月31日 of the next year; 31 January itself is on time).
    The publication date is the 发布日期 of the report's metadata table, else the earliest
    date beside its link on a list page.

    Not flagged: a report without any date (undecidable), reports of other years.

    Evidence: the year, the publication date and where it comes from, the deadline and the
    days late.
    """
    year, deadline = _deadline(ctx)
    reports = annual_reports(ctx)
    if not reports:
        raise NotApplicable("未找到政府信息公开工作年度报告")
    for site, found in sorted(reports.items()):
        due = [r for r in found if r.year == year and r.published]
        if not due or any(r.published <= deadline for r in due):
            continue
        r = min(due, key=lambda x: (x.published, x.url))
        late = (r.published - deadline).days
        yield ctx.finding(site=site, url=r.url, page=r.list_page,
                          message=f"{year}年政府信息公开工作年度报告于 {r.published.isoformat()} 公布，"
                                  f"超过 {deadline.isoformat()} 的公布时限 {late} 天：{r.title}",
                          evidence={"year": year, "published": r.published.isoformat(), "published_source": r.source,
                                    "deadline": deadline.isoformat(), "days_late": late, "title": r.title},
                          identity=(year,))


# -- metadata.disclosure-attribute ------------------------------------------------------------

@check("metadata.disclosure-attribute", verify=Verify.PAGE, title="公开属性缺失或不规范", severity="warning",
       fix="在信息公开目录（元数据表）中标注公开属性（公开方式），取值为主动公开、依申请公开或不予公开；"
           "依申请公开、不予公开的公文不应全文公开发布，已公开的应核实并更正公开属性。",
       requires=("pages",), options={"min_text": 100},
       source="公文公开属性源头认定机制：须明确标识主动公开、依申请公开或不予公开属性（S1 三(一)、S4 (十二)、S0 四(十一)；"
              "DOMAIN.md §4.7）；《政府信息公开条例》第二十条",
       uses=("content.articles",))
def metadata_disclosure_attribute(ctx):
    """Flags an article whose 信息公开 catalogue table (索引号, or three catalogue fields)
    has no 公开属性 (label variants 公开方式, 公开形式), or whose value is not one of
    主动公开, 依申请公开, 不予公开 (spaces ignored); and an article published openly — its
    page carries the text itself, at least ``min_text`` (default 100) characters — whose
    公开属性 says 依申请公开 or 不予公开.

    Not flagged: pages without a catalogue table (news pages with only 发布时间/来源); a
    catalogue entry whose page shows no text of its own (only the table, or a notice that
    the document is available on request).

    Evidence: the value found (or that the field is missing), the fields of the table and
    the column kind.
    """
    min_text = int(ctx.options["min_text"])
    arts = [a for a in articles(ctx) if a.has_table]
    if not arts:
        raise NotApplicable("快照中没有带信息公开目录的文章页面")
    for art in arts:
        raw = art.field("公开属性")
        value = _ATTR_CLEAN.sub("", raw or "")
        if not raw:
            problem, message = "missing", "元数据表没有公开属性（公开方式）"
        elif value not in ATTRIBUTE_VALUES:
            problem, message = "invalid", f"公开属性“{raw}”不是主动公开、依申请公开或不予公开"
        elif value != "主动公开" and art.text_len >= min_text:
            problem, message = "published", f"公开属性为“{value}”，但全文已在网站公开发布"
        else:
            continue
        yield ctx.finding(site=art.site, url=art.url, page=art.list_page, message=f"{message}：{art.title or art.url}",
                          evidence={"problem": problem, "value": raw, "fields": sorted(art.meta), "kind": art.kind,
                                    "title": art.title})


# -- interaction.unanswered -------------------------------------------------------------------

@dataclass
class Message:
    site: str
    url: str
    title: str
    asked: date
    answered: date | None
    state: str | None
    list_page: str | None


def messages(ctx) -> list[Message]:
    """The 政务咨询 messages stored: pages under a 咨询 column of the column map (领导信箱 …)
    whose metadata shows when they were asked (留言时间/来信时间 …), and the rows of the
    column's lists that show those dates themselves (``run_sites.stats_json["messages"]``,
    crawler/content.py ``message_rows``) for messages without such a page — a list-only
    column, or detail pages behind a login."""

    def build():
        stats = _site_stats(ctx)
        prefixes = {site: [p for p, kind in (s.get("columns") or {}).items() if kind == "interaction"]
                    for site, s in stats.items()}
        dl = dated_links(ctx)
        out = []
        for row in ctx.store.articles_with_meta(ctx.run_id, "留言日期"):
            if not any(row["url"].startswith(p) for p in prefixes.get(row["site"], ())):
                continue
            meta = json.loads(row["meta_json"] or "{}")
            asked = parse_date(meta.get("留言日期"))
            if asked is None:
                continue
            listed = sorted(dl.by_target.get(row["url"], ()))
            out.append(Message(row["site"], row["url"], row["heading"] or row["title"] or "", asked,
                               parse_date(meta.get("答复日期")), (meta.get("办理状态") or "").strip() or None,
                               listed[0][1] if listed else None))
        read = {(m.site, m.url) for m in out}
        for site, st in sorted(stats.items()):
            for rec in st.get("messages") or []:
                asked = parse_date(rec.get("留言日期"))
                if asked is None or (site, rec.get("url")) in read:
                    continue
                # a row without a page of its own is named by its list page and title
                url = rec.get("url") or f"{rec['list_page']}#{rec.get('标题', '')}"
                out.append(Message(site, url, rec.get("标题", ""), asked, parse_date(rec.get("答复日期")),
                                   (rec.get("办理状态") or "").strip() or None, rec["list_page"]))
        return out

    return ctx.computed("statutory.messages", build)


@check("interaction.unanswered", verify=Verify.SITE, title="互动回应差", severity="error",
       fix="对网民留言及时答复处理（不超过3个月），公开答复内容和答复时间；未设置咨询建言渠道的，"
           "应开设领导信箱、咨询留言等网上有效咨询建言渠道。",
       requires=("pages", "links"), options={"max_months": 3, "window_days": 365},
       source="国办函〔2019〕80号 单项否决“互动回应差”：未提供网上有效咨询建言渠道（网上信访、纪检举报等专门渠道除外）；"
              "监测时间点前1年内，政务咨询类栏目（在线访谈、调查征集、网上信访、纪检举报类栏目除外）存在超过3个月"
              "未回应有效留言的现象（DOMAIN.md §2.2）",
       uses=("content.home_pages", "statutory.messages"))
def interaction_unanswered(ctx):
    """Flags, as the 单项否决 item 互动回应差 does:

    - a site none of whose stored pages links to an online 咨询建言 channel — a link whose
      text names 领导信箱/市长信箱, 咨询, 留言, 建言, 问政 or 政民互动 (信访, 举报, 访谈, 征集
      and 调查 channels do not count, nor a 咨询电话);
    - a message of a 政务咨询 column (a 信箱/咨询/留言 column linked from the home page,
      crawled with its messages) asked within ``window_days`` (365) before the audit date
      that was not answered within ``max_months`` (3) calendar months: answered later
      (its 回复时间 more than 3 months after its 留言时间 — 89 days is within), or still
      unanswered on the audit date (its state says 未回复/待回复/办理中 …) with more than
      3 months gone.

    A message is read from its own page (留言时间, 回复时间, 办理状态 in its table), or from
    the row of the column's list that shows them (a <table> with 留言时间 and 回复时间 or
    状态 columns) when it has no such page: a list-only column is judged too.

    Not flagged: a message without a reply date whose state is not shown or says it is
    answered (undecidable); list rows that show only one date (no 回复时间 column and no
    state); messages asked less than 3 months before the audit date and still open.

    One finding per site for the missing channel and one per late message. Evidence: the
    dates, the state and the months allowed.
    """
    max_months, window = int(ctx.options["max_months"]), int(ctx.options["window_days"])
    homes = home_pages(ctx)
    if not homes:
        raise NotApplicable("没有成功抓取的首页")
    channels: dict[str, str] = {}
    for row in ctx.store.visible_links_with_words(ctx.run_id, CONSULTATION_WORDS):
        if is_consultation(row["anchor"]):
            channels.setdefault(row["site"], f"{row['anchor']}（{row['target_url']}）")
    for home in homes:
        if home["site"] not in channels:
            yield ctx.finding(site=home["site"], url=home["url"], page=None,
                              message="网站未提供网上咨询建言渠道（领导信箱、咨询留言等），单项否决指标",
                              evidence={"problem": "no-channel"}, identity=("no-channel",))
    for msg in messages(ctx):
        if (ctx.audit_date - msg.asked).days > window or msg.asked > ctx.audit_date:
            continue
        limit = add_months(msg.asked, max_months)
        state = msg.state or ""
        if msg.answered is not None:
            if msg.answered <= limit:
                continue
            what = f"{msg.answered.isoformat()} 才答复，相隔 {(msg.answered - msg.asked).days} 天"
        elif _PENDING.search(state) and not _ANSWERED.search(state) and ctx.audit_date > limit:
            what = f"至 {ctx.audit_date.isoformat()} 仍未答复（{state}），已 {(ctx.audit_date - msg.asked).days} 天"
        else:
            continue
        yield ctx.finding(site=msg.site, url=msg.url, page=msg.list_page,
                          message=f"留言超过{max_months}个月未回应：{msg.asked.isoformat()} 留言，{what}：{msg.title}",
                          evidence={"problem": "unanswered", "asked": msg.asked.isoformat(),
                                    "answered": msg.answered.isoformat() if msg.answered else None, "state": msg.state,
                                    "limit": limit.isoformat(), "max_months": max_months, "title": msg.title},
                          identity=("message", msg.url))

